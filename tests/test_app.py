from datetime import date

from convention.timeutil import fiscal_year


def test_home_page_shows_current_edition(client, app):
    from tests.factories import make_edition

    make_edition(name_en="Test Convention", is_current=True)
    response = client.get("/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "Test Convention" in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_fiscal_year_runs_april_to_march():
    assert fiscal_year(date(2025, 3, 31)) == 2024
    assert fiscal_year(date(2025, 4, 1)) == 2025


def test_error_pages_are_pages_for_people_and_json_for_the_api(client):
    page = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert page.status_code == 404
    assert "Page not found" in page.text
    assert "<html" in page.text
    fragment = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert fragment.status_code == 404
    assert "<html" not in fragment.text
    api = client.get("/api/no-such-thing")
    assert api.status_code == 404
    assert api.json["status"] == "error"


def test_method_not_allowed_keeps_the_allow_header(client):
    response = client.get("/language")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
