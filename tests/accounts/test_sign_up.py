"""Sign-up, email verification and the refusal of unverified log-ins."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from convention.accounts.models import User
from convention.accounts.services import find_user, make_token
from convention.extensions import db
from convention.timeutil import utcnow
from tests.accounts.conftest import is_logged_in, link_in, log_in, main_of
from tests.factories import PASSWORD, make_user


def test_sign_up_page_shows_the_form_and_purpose_of_use(client):
    response = client.get("/account/sign-up")
    assert response.status_code == 200
    assert 'name="email"' in response.text
    assert 'name="password"' in response.text


def test_sign_up_mails_a_link_that_verifies_and_logs_in(client, sign_up_form, outbox):
    response = client.post("/account/sign-up", data=sign_up_form())
    assert response.status_code == 200
    assert "new.person@example.org" in response.text

    user = find_user("new.person@example.org")
    assert user.name == "New Person"
    assert user.organization == "Green Works"
    assert user.category.value == "business"
    assert user.email_verified_at is None
    assert user.password_hash.startswith("$argon2")
    assert not is_logged_in(client)

    [message] = outbox()
    assert message.recipient == "new.person@example.org"
    assert message.template == "accounts/verify_email"
    assert message.language == "en"
    path = link_in(message, "/account/verify/")

    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    page = client.get("/")
    assert "Your email address is confirmed" in page.text
    db.session.expire_all()
    assert db.session.get(User, user.id).email_verified_at is not None
    assert is_logged_in(client)


def test_sign_up_keeps_the_address_case_insensitive(client, sign_up_form):
    client.post("/account/sign-up", data=sign_up_form(email="  Mixed.Case@Example.ORG "))
    assert find_user("mixed.case@example.org") is not None


def test_sign_up_errors_are_shown_beside_the_fields(client, sign_up_form, outbox):
    response = client.post(
        "/account/sign-up",
        data=sign_up_form(email="not-an-address", password="short", name=""),
    )
    assert response.status_code == 422
    assert 'id="email-field"' in response.text
    assert "Enter a valid email address." in response.text
    assert "Use at least 10 characters." in response.text
    assert response.text.count('class="field has-error') == 3
    assert db.session.query(User).count() == 0
    assert outbox() == []


def test_sign_up_refuses_an_unknown_country(client, sign_up_form):
    response = client.post("/account/sign-up", data=sign_up_form(country="XX"))
    assert response.status_code == 422
    assert 'id="country-field"' in response.text
    assert "Not a valid choice" in response.text
    assert db.session.query(User).count() == 0


def test_sign_up_with_a_registered_address_looks_the_same(new_client, sign_up_form, outbox):
    """No enumeration: the page is the same; the owner gets a notice, not a second account."""
    make_user("taken@example.org", name="Owner", language="ja")
    fresh = new_client().post("/account/sign-up", data=sign_up_form(email="free@example.org"))
    taken = new_client().post("/account/sign-up", data=sign_up_form(email="taken@example.org"))
    assert fresh.status_code == taken.status_code == 200
    assert main_of(fresh).replace("free@", "X@") == main_of(taken).replace("taken@", "X@")

    messages = {m.recipient: m for m in outbox()}
    assert messages["free@example.org"].template == "accounts/verify_email"
    notice = messages["taken@example.org"]
    assert notice.template == "accounts/already_registered"
    assert notice.language == "ja"
    assert link_in(notice, "/account/login") == "/account/login"
    assert link_in(notice, "/account/forgot-password") == "/account/forgot-password"
    assert db.session.query(User).filter_by(email="taken@example.org").count() == 1
    assert find_user("taken@example.org").name == "Owner"


def test_expired_verification_link_does_not_work(client, sign_up_form, outbox):
    client.post("/account/sign-up", data=sign_up_form())
    path = link_in(outbox()[0], "/account/verify/")
    with time_machine.travel(utcnow() + timedelta(days=8)):
        response = client.get(path)
    assert response.status_code == 400
    assert "This link does not work" in response.text
    assert find_user("new.person@example.org").email_verified_at is None
    assert not is_logged_in(client)


def test_forged_verification_link_does_not_work(client, app):
    user = make_user(verified=False)
    with app.test_request_context():
        app.config["SECRET_KEY"] = "somebody-elses-key"
        forged = make_token(user, "verify")
        app.config["SECRET_KEY"] = "test-secret-key"
    for path in (f"/account/verify/{forged}", "/account/verify/garbage", "/account/verify/a.b.c"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert "This link does not work" in response.text
    assert not is_logged_in(client)


def test_a_reset_token_is_not_a_verification_token(client, app):
    user = make_user(verified=False)
    with app.test_request_context():
        reset_token = make_token(user, "reset")
    assert client.get(f"/account/verify/{reset_token}").status_code == 400


def test_verification_link_works_once(new_client, sign_up_form, outbox):
    """A used link must not keep logging people in from an old mailbox."""
    new_client().post("/account/sign-up", data=sign_up_form())
    path = link_in(outbox()[0], "/account/verify/")
    assert new_client().get(path).status_code == 303
    other = new_client()
    response = other.get(path)
    assert response.status_code == 400
    assert "This link does not work" in response.text
    assert not is_logged_in(other)


def test_unverified_log_in_is_refused_and_a_new_link_is_sent(client, outbox):
    user = make_user("waiting@example.org", verified=False)
    response = log_in(client, "waiting@example.org")
    assert response.status_code == 422
    assert "Please confirm your email address first" in response.text
    assert not is_logged_in(client)
    [message] = outbox()
    assert message.recipient == user.email
    assert message.template == "accounts/verify_email"

    client.get(link_in(message, "/account/verify/"))
    assert is_logged_in(client)


def test_log_in_and_out(client):
    make_user("someone@example.org")
    response = log_in(client, "Someone@Example.org")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert is_logged_in(client)
    assert client.post("/account/logout").status_code == 303
    assert not is_logged_in(client)


def test_log_in_goes_back_to_the_page_asked_for_but_never_off_site(client):
    make_user("someone@example.org")
    response = client.get("/account/profile")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/login?next=/account/profile")
    response = log_in(client, "someone@example.org", query_string={"next": "/account/profile"})
    assert response.headers["Location"] == "/account/profile"

    client.post("/account/logout")
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = log_in(client, "someone@example.org", query_string={"next": target})
        assert response.headers["Location"] == "/", target


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("/\\evil.example", "/"),  # a browser reads the backslash as a slash: //evil.example
        ("\\\\evil.example", "/"),
        ("/\t/evil.example", "/"),  # browsers drop tabs and newlines
        ("/\n/evil.example", "/"),
        ("/account/pro\nfile", "/"),
        # Never decoded: chromium keeps "/%5Cevil.example" as a path of this site.
        ("/%5Cevil.example", "/%5Cevil.example"),
        ("/programme?day=2", "/programme?day=2"),
    ],
)
def test_log_in_never_goes_off_site_through_a_backslash_or_a_control_character(
    client, target, landing
):
    make_user("someone@example.org")
    plain = log_in(client, "someone@example.org", query_string={"next": target})
    assert plain.status_code == 303
    assert plain.headers["Location"] == landing
    client.post("/account/logout")
    htmx = log_in(
        client, "someone@example.org", query_string={"next": target}, headers={"HX-Request": "true"}
    )
    assert htmx.headers["HX-Redirect"] == landing  # htmx follows it as it is


def test_wrong_password_and_unknown_address_get_the_same_answer(client):
    make_user("someone@example.org")
    wrong = log_in(client, "someone@example.org", "not the password")
    unknown = log_in(client, "nobody@example.org", PASSWORD)
    assert wrong.status_code == unknown.status_code == 422
    assert "Email or password is not correct." in wrong.text
    assert main_of(wrong).replace("someone@", "X@") == main_of(unknown).replace("nobody@", "X@")
    assert not is_logged_in(client)


def test_htmx_log_in_answers_with_hx_redirect(client):
    make_user("someone@example.org")
    response = log_in(client, "someone@example.org", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/"


def test_passwords_are_hashed_with_argon2(app):
    user = make_user()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_a_sign_up_racing_another_for_the_same_address_is_not_an_error(app, monkeypatch):
    """Both requests looked before either wrote: the unique address decides, quietly."""
    from convention.accounts import services

    make_user("racer@example.org")
    monkeypatch.setattr(services, "find_user", lambda email: None)
    with app.test_request_context():
        result = services.sign_up(
            services.SignUp(email="racer@example.org", password="a long enough secret", name="R")
        )
    assert result is None
    assert db.session.query(User).filter_by(email="racer@example.org").count() == 1
