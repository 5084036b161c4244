"""Password reset by emailed link, change of password, and the log-in rate limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from flask_babel import force_locale

from convention.accounts.models import User
from convention.accounts.services import find_user, password_matches
from convention.extensions import db
from convention.timeutil import utcnow
from convention.web import ERROR_TITLES
from tests.accounts.conftest import is_logged_in, link_in, log_in, main_of
from tests.conftest import login
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "an even better secret"


def reset_link(client, outbox, email="someone@example.org") -> str:
    client.post("/account/forgot-password", data={"email": email})
    return link_in(outbox()[-1], "/account/reset/")


def test_forgot_password_page_is_the_same_for_known_and_unknown_addresses(client, outbox):
    make_user("someone@example.org")
    known = client.post("/account/forgot-password", data={"email": "someone@example.org"})
    unknown = client.post("/account/forgot-password", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert "If an account exists for someone@example.org" in known.text
    assert main_of(known).replace("someone@", "X@") == main_of(unknown).replace("nobody@", "X@")
    [message] = outbox()
    assert message.recipient == "someone@example.org"
    assert message.template == "accounts/reset_password"


def test_forgot_password_with_a_bad_address_says_so_beside_the_field(client, outbox):
    response = client.post("/account/forgot-password", data={"email": "no at sign"})
    assert response.status_code == 422
    assert 'class="field has-error' in response.text
    assert "Enter a valid email address." in response.text
    assert outbox() == []


def test_password_reset_by_emailed_link(client, new_client, outbox):
    make_user("someone@example.org")
    path = reset_link(client, outbox)
    page = client.get(path)
    assert page.status_code == 200
    assert 'name="password"' in page.text

    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert "Your password has been changed." in client.get("/").text
    assert is_logged_in(client)

    user = find_user("someone@example.org")
    assert password_matches(user, NEW_PASSWORD)
    assert not password_matches(user, PASSWORD)
    assert log_in(new_client(), "someone@example.org", PASSWORD).status_code == 422
    assert log_in(new_client(), "someone@example.org", NEW_PASSWORD).status_code == 303


def test_reset_link_stops_working_after_use(client, new_client, outbox):
    make_user("someone@example.org")
    path = reset_link(client, outbox)
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    other = new_client()
    for response in (
        other.get(path),
        other.post(path, data={"password": "a third password!", "confirm": "a third password!"}),
    ):
        assert response.status_code == 400
        assert "This link does not work" in response.text
    assert password_matches(find_user("someone@example.org"), NEW_PASSWORD)
    assert not is_logged_in(other)


def test_only_the_newest_reset_link_does_not_outlive_a_password_change(client, outbox):
    """Two links asked for; using one ends the other too (the security stamp changed)."""
    make_user("someone@example.org")
    first = reset_link(client, outbox)
    second = reset_link(client, outbox)
    client.post(second, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert client.get(first).status_code == 400


def test_expired_and_forged_reset_links_do_not_work(client, outbox):
    make_user("someone@example.org")
    path = reset_link(client, outbox)
    with time_machine.travel(utcnow() + timedelta(hours=2, minutes=1)):
        response = client.get(path)
    assert response.status_code == 400
    assert "This link does not work" in response.text
    assert client.get("/account/reset/forged.token.value").status_code == 400
    assert password_matches(find_user("someone@example.org"), PASSWORD)


def test_reset_form_errors_are_shown_and_change_nothing(client, outbox):
    make_user("someone@example.org")
    path = reset_link(client, outbox)
    response = client.post(path, data={"password": "short", "confirm": "short"})
    assert response.status_code == 422
    assert "Use at least 10 characters." in response.text
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": "something else"})
    assert response.status_code == 422 and "The passwords differ." in response.text
    assert 'id="confirm-field"' in response.text
    assert password_matches(find_user("someone@example.org"), PASSWORD)
    assert client.get(path).status_code == 200  # the link still works


def test_reset_confirms_an_unverified_address(client, outbox):
    make_user("someone@example.org", verified=False)
    path = reset_link(client, outbox)
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert find_user("someone@example.org").email_verified


def change(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None, **kwargs):
    return client.post(
        "/account/password",
        data={"current_password": current, "password": new, "confirm": confirm or new},
        **kwargs,
    )


def test_change_password_needs_the_current_one(client):
    user = make_user("someone@example.org")
    login(client, user)
    response = change(client, current="a wrong guess")
    assert response.status_code == 422
    assert "That is not your current password." in response.text
    assert 'class="field has-error field-passwordfield" id="current_password-field"' in (
        response.text
    )
    assert password_matches(find_user("someone@example.org"), PASSWORD)


def test_change_password_logs_out_other_sessions(new_client):
    user = make_user("someone@example.org")
    here = login(new_client(), user)
    elsewhere = login(new_client(), user)
    assert is_logged_in(elsewhere)

    response = change(here)
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/profile"
    assert "Your password has been changed." in here.get("/account/profile").text
    assert is_logged_in(here)
    assert not is_logged_in(elsewhere)
    assert password_matches(find_user("someone@example.org"), NEW_PASSWORD)


def test_change_password_by_htmx_redirects_with_a_header(client):
    login(client, make_user("someone@example.org"))
    response = change(client, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/account/profile"


def test_change_password_page_needs_a_login(client):
    response = client.get("/account/password")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


@pytest.fixture
def limited(app_config):
    app_config.update(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")


@pytest.mark.usefixtures("limited")
def test_log_in_is_rate_limited_with_a_page_in_the_visitors_language(app, new_client):
    make_user("someone@example.org")
    client = new_client("ja")
    for _attempt in range(3):
        assert log_in(client, "someone@example.org", "wrong guess").status_code == 422
    response = log_in(client, "someone@example.org", PASSWORD)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert '<html lang="ja">' in response.text
    with app.test_request_context(), force_locale("ja"):
        title = str(ERROR_TITLES[429])
    assert title in response.text
    # Looking at the form is not limited, and the limit passes.
    assert client.get("/account/login").status_code == 200
    with time_machine.travel(utcnow() + timedelta(minutes=2)):
        assert log_in(client, "someone@example.org", PASSWORD).status_code == 303


@pytest.mark.usefixtures("limited")
def test_forgot_password_and_sign_up_are_rate_limited_too(client, sign_up_form):
    for _attempt in range(3):
        client.post("/account/forgot-password", data={"email": "x@example.org"})
    assert client.post("/account/forgot-password", data={"email": "x@example.org"}).status_code == (
        429
    )
    for number in range(3):
        client.post("/account/sign-up", data=sign_up_form(email=f"p{number}@example.org"))
    response = client.post("/account/sign-up", data=sign_up_form(email="p9@example.org"))
    assert response.status_code == 429
    assert "Too many requests" in response.text
    assert db.session.query(User).count() == 3
