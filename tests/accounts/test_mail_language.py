"""Emails are written in the recipient's language, whatever the language of the page."""

from __future__ import annotations

import pytest
from flask import template_rendered
from flask_babel import force_locale, get_locale, gettext

from tests.accounts.conftest import link_in, log_in
from tests.factories import make_user


@pytest.fixture
def mail_languages(app):
    """(template, language it was rendered in) for every email template rendered."""
    seen: list[tuple[str, str]] = []

    def record(sender, template, context, **extra):
        if template.name.startswith("mail/"):
            seen.append((template.name, str(get_locale())))

    template_rendered.connect(record, app)
    yield seen
    template_rendered.disconnect(record, app)


def subject_in(app, language: str, english: str) -> str:
    with app.test_request_context(), force_locale(language):
        return gettext(english)


def test_sign_up_in_japanese_from_an_english_page(
    app, client, sign_up_form, outbox, mail_languages
):
    client.post("/account/sign-up", data=sign_up_form(language="ja"))
    [message] = outbox()
    assert message.language == "ja"
    assert message.template == "accounts/verify_email"
    assert mail_languages == [("mail/accounts/verify_email.txt", "ja")]
    # Japanese once the catalog has it; English today.
    assert message.subject == subject_in(app, "ja", "Confirm your email address")
    assert link_in(message, "/account/verify/").startswith("/account/verify/")


def test_reset_mail_follows_the_account_not_the_browser(app, client, outbox, mail_languages):
    make_user("someone@example.org", language="ja")
    client.post("/account/forgot-password", data={"email": "someone@example.org"})
    [message] = outbox()
    assert (message.template, message.language) == ("accounts/reset_password", "ja")
    assert mail_languages == [("mail/accounts/reset_password.txt", "ja")]
    assert message.subject == subject_in(app, "ja", "Choose a new password")
    assert link_in(message, "/account/reset/").startswith("/account/reset/")


def test_already_registered_notice_in_the_owners_language(
    new_client, sign_up_form, outbox, mail_languages
):
    make_user("taken@example.org", language="en")
    new_client("ja").post("/account/sign-up", data=sign_up_form(email="taken@example.org"))
    [message] = outbox()
    assert (message.template, message.language) == ("accounts/already_registered", "en")
    assert mail_languages == [("mail/accounts/already_registered.txt", "en")]
    assert message.subject == "You already have an account"


def test_a_new_verification_link_in_the_users_language(client, outbox, mail_languages):
    make_user("waiting@example.org", verified=False, language="ja")
    log_in(client, "waiting@example.org")
    [message] = outbox()
    assert (message.template, message.language) == ("accounts/verify_email", "ja")
    assert mail_languages == [("mail/accounts/verify_email.txt", "ja")]
    assert "/account/verify/" in message.body_text


def test_a_japanese_users_subject_is_japanese(app, client, sign_up_form, outbox):
    if subject_in(app, "ja", "Confirm your email address") == "Confirm your email address":
        pytest.skip("the ja catalog is not compiled (make translations)")
    client.post("/account/sign-up", data=sign_up_form(language="ja"))
    [message] = outbox()
    assert message.subject == "メールアドレスの確認"
    assert "メール" in message.body_text
