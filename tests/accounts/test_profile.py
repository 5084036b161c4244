"""The profile page: edit name, organisation, country, category and language."""

from __future__ import annotations

import re

from convention.accounts.models import ParticipantCategory
from convention.extensions import db
from tests.conftest import login
from tests.factories import make_user


def profile_form(**overrides):
    data = {
        "name": "Hanako Suzuki",
        "organization": "Kanagawa Solar",
        "country": "PH",
        "category": "government",
        "language": "ja",
    }
    data.update(overrides)
    return data


def test_profile_shows_the_saved_values(client):
    login(client, make_user("someone@example.org", name="Ken Sato", organization="Harbour Co"))
    response = client.get("/account/profile")
    assert response.status_code == 200
    assert "someone@example.org" in response.text
    assert 'value="Ken Sato"' in response.text
    assert 'value="Harbour Co"' in response.text
    assert '<option selected value="JP">' in response.text


def test_profile_edit_saves_and_says_so(client):
    user = make_user("someone@example.org")
    login(client, user)
    response = client.post("/account/profile", data=profile_form())
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/profile"
    db.session.refresh(user)
    assert (user.name, user.organization, user.country) == (
        "Hanako Suzuki",
        "Kanagawa Solar",
        "PH",
    )
    assert user.category is ParticipantCategory.GOVERNMENT
    assert user.language == "ja"
    page = client.get("/account/profile")
    assert '<html lang="ja">' in page.text  # the saved language wins over Accept-Language


def test_profile_edit_by_htmx_answers_with_hx_redirect(client):
    login(client, make_user())
    response = client.post(
        "/account/profile", data=profile_form(language="en"), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/account/profile"


def test_profile_errors_are_shown_beside_the_fields_and_change_nothing(client):
    user = make_user("someone@example.org", name="Ken Sato")
    login(client, user)
    response = client.post(
        "/account/profile",
        data=profile_form(name="", country="XX", category="alien", language="fr"),
    )
    assert response.status_code == 422
    for field in ("name", "country", "category", "language"):
        assert re.search(rf'class="field has-error [^"]*" id="{field}-field"', response.text)
    assert response.text.count("has-error") == 4
    assert response.text.count("Not a valid choice") == 3
    db.session.refresh(user)
    assert (user.name, user.country, user.language) == ("Ken Sato", "JP", "en")


def test_profile_refuses_a_name_that_is_too_long(client):
    user = make_user(name="Ken Sato")
    login(client, user)
    response = client.post("/account/profile", data=profile_form(name="x" * 121))
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.text
    db.session.refresh(user)
    assert user.name == "Ken Sato"


def test_profile_refuses_a_nul_beside_the_field(client):
    """No browser sends a NUL and PostgreSQL cannot store one: 422, not a 500."""
    user = make_user(name="Ken Sato")
    login(client, user)
    response = client.post("/account/profile", data=profile_form(organization="Port\x00City"))
    assert response.status_code == 422
    assert re.search(r'class="field has-error [^"]*" id="organization-field"', response.text)
    assert "This contains characters that are not allowed." in response.text
    db.session.refresh(user)
    assert (user.name, user.organization) == ("Ken Sato", "")


def test_profile_needs_a_login(client):
    response = client.get("/account/profile")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/login?next=/account/profile")
    htmx = client.get(
        "/account/profile",
        headers={"HX-Request": "true", "HX-Current-URL": "http://convention.test/programme?day=2"},
    )
    assert htmx.status_code == 200
    assert htmx.headers["HX-Redirect"] == "/account/login?next=/programme?day%3D2"
    post = client.post("/account/profile", data={})
    assert post.status_code == 302
    assert post.headers["Location"] == "/account/login"  # not back to a POST-only URL


def test_a_script_sending_json_gets_401_not_a_login_page(client):
    # The scanner component posts JSON; after its session ends it must hear "log in again".
    response = client.post("/my/sponsor/1/leads/scan", json={"token": "x", "nonce": "n"})
    assert response.status_code == 401
    assert "Location" not in response.headers
