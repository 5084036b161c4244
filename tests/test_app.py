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
