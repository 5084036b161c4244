"""CSRF: forms carry a token, htmx sends it in a header, anything else is refused."""

from __future__ import annotations

import re

import pytest

from convention.extensions import db
from tests.conftest import login
from tests.factories import make_user

PROFILE = {"name": "Changed Name", "country": "JP", "category": "general", "language": "en"}


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def user_client(app):
    user = make_user("someone@example.org", name="Original Name")
    client = login(app.test_client(), user)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return user, client


def page_token(client, path="/account/profile") -> str:
    text = client.get(path).text
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', text).group(1)


def test_form_post_without_token_is_refused_with_a_clear_message(user_client):
    user, client = user_client
    response = client.post("/account/profile", data=PROFILE)
    assert response.status_code == 400
    assert "The form expired or was sent from elsewhere" in response.text
    assert "<html" in response.text  # a whole page for a plain form
    db.session.refresh(user)
    assert user.name == "Original Name"


def test_form_post_with_a_wrong_token_is_refused(user_client):
    user, client = user_client
    page_token(client)
    response = client.post("/account/profile", data={**PROFILE, "csrf_token": "forged"})
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.name == "Original Name"


def test_form_post_with_the_pages_token_works(user_client):
    user, client = user_client
    form = client.get("/account/profile").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    response = client.post("/account/profile", data={**PROFILE, "csrf_token": token})
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.name == "Changed Name"


def test_htmx_post_with_the_header_token_works(user_client):
    user, client = user_client
    token = page_token(client)
    response = client.post(
        "/account/profile",
        data=PROFILE,
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/account/profile"
    db.session.refresh(user)
    assert user.name == "Changed Name"


def test_htmx_post_without_token_gets_an_error_fragment(user_client):
    user, client = user_client
    response = client.post("/account/profile", data=PROFILE, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "The form expired or was sent from elsewhere" in response.text
    assert "<html" not in response.text
    db.session.refresh(user)
    assert user.name == "Original Name"


def test_a_token_from_another_session_is_refused(app, user_client):
    user, client = user_client
    stranger = app.test_client()
    token = page_token(stranger, "/")
    response = client.post(
        "/account/profile", data=PROFILE, headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.name == "Original Name"


def test_language_switch_and_log_out_need_the_token(user_client):
    user, client = user_client
    assert client.post("/language", data={"lang": "ja"}).status_code == 400
    assert client.post("/account/logout").status_code == 400
    assert client.get("/account/profile").status_code == 200  # still logged in
    token = page_token(client)
    response = client.post("/account/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert client.get("/account/profile").status_code == 302
