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


def test_an_id_beyond_an_id_column_is_404_not_a_database_error(app, organiser_client):
    """Ids are 32-bit columns; a longer number in a forged link matches no route."""
    from sqlalchemy import func, select

    from convention.extensions import db
    from convention.registration.models import Registration
    from tests.factories import make_edition, make_user, register_confirmed

    edition = make_edition(is_current=True)
    registration = register_confirmed(edition, [make_user(email="someone@example.org")])[0]
    too_long = "99999999999999999999"
    for method, path in [
        ("get", f"/admin/registrations/{too_long}"),
        ("post", f"/admin/registrations/{too_long}/cancel"),
        ("post", f"/seminars/{too_long}/sign-up"),
        ("post", f"/admin/editions/{too_long}/rooms"),
    ]:
        response = organiser_client.open(path, method=method, data={"name_en": "Room"})
        assert response.status_code == 404, path
    db.session.refresh(registration)
    assert registration.status == "confirmed"
    assert db.session.scalar(select(func.count(Registration.id))) == 1


def test_a_nul_in_a_search_is_dropped_and_the_page_answers(app, organiser_client):
    """PostgreSQL cannot compare text with a NUL character (the searches of the back-office
    and the matching directory answered 500, then 400): a search that carries one answers
    its page as if the character had not been typed, full page and htmx fragment alike."""
    from tests.factories import make_edition, make_user, register_confirmed

    edition = make_edition(is_current=True)
    register_confirmed(edition, [make_user(name="Hanako Yamada"), make_user(name="Ben Smith")])
    page = organiser_client.get("/admin/registrations?q=Yama%00da")
    assert page.status_code == 200 and "<html" in page.text
    assert "Hanako Yamada" in page.text and "Ben Smith" not in page.text
    assert 'value="Yamada"' in page.text  # the search box shows what was searched
    fragment = organiser_client.get(
        "/admin/registrations?q=%00Smith",
        headers={"HX-Request": "true", "HX-Target": "registration-results"},
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "Ben Smith" in fragment.text and "Hanako Yamada" not in fragment.text
    for path in [
        "/matching?q=%00",
        "/posters?q=a%00",
        "/admin/billing/orders?q=%00",
        "/programme?q=%00&day=%00",
        "/checkin/scan?q=%00",
    ]:
        response = organiser_client.get(path)
        assert response.status_code == 200, path
        assert "<html" in response.text, path
