"""Language: the visitor's choice, the user's saved language, then Accept-Language."""

from __future__ import annotations

import pytest

from convention.extensions import db
from tests.conftest import login
from tests.factories import PASSWORD, make_user


@pytest.fixture
def app_config():
    # The product's default (Japanese), not the English the rest of the suite reads.
    return {"BABEL_DEFAULT_LOCALE": "ja"}


def page_language(client, path="/privacy") -> str:
    text = client.get(path).text
    return text.split('<html lang="', 1)[1].split('"', 1)[0]


def browser(app, accept_language: str | None = None):
    client = app.test_client()
    if accept_language:
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = accept_language
    return client


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-US,en;q=0.9", "en"),
        ("ja-JP,ja;q=0.9,en;q=0.5", "ja"),
        ("fr-FR,en;q=0.4", "en"),
        ("fr-FR", "ja"),
        (None, "ja"),
    ],
)
def test_visitors_get_their_browsers_language(app, header, expected):
    assert page_language(browser(app, header)) == expected


def test_visitors_choice_is_kept_in_the_session(app):
    client = browser(app, "ja")
    response = client.post("/language", data={"lang": "en", "next": "/privacy?x=1"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/privacy?x=1"
    with client.session_transaction() as session:
        assert session["lang"] == "en"
    assert page_language(client) == "en"
    assert page_language(browser(app, "ja")) == "ja"  # other visitors are not affected

    client.post("/language", data={"lang": "ja"})
    assert page_language(client) == "ja"


def test_unknown_language_and_off_site_next_are_ignored(app):
    client = browser(app, "en")
    response = client.post("/language", data={"lang": "fr", "next": "https://evil.example/"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert page_language(client) == "en"


def test_the_switcher_offers_the_other_language(app):
    text = browser(app, "ja").get("/").text
    assert 'name="lang" value="en"' in text
    assert 'name="lang" value="ja"' not in text


def test_a_users_choice_is_saved_and_used_at_the_next_log_in(app):
    user = make_user("someone@example.org", language="ja")
    client = login(browser(app, "ja"), user)
    client.post("/language", data={"lang": "en", "next": "/"})
    db.session.refresh(user)
    assert user.language == "en"
    assert page_language(client) == "en"

    # A new browser that prefers Japanese: the saved choice wins once the person logs in.
    other = browser(app, "ja")
    assert page_language(other) == "ja"
    response = other.post(
        "/account/login", data={"email": "someone@example.org", "password": PASSWORD}
    )
    assert response.status_code == 303
    assert page_language(other) == "en"


@pytest.mark.parametrize(
    ("language", "written"),
    [("en", "Dec 3, 2026, 13:30"), ("ja", "2026/12/03 13:30")],
)
def test_a_moment_names_its_month_in_english_and_has_no_seconds(app, language, written):
    """Every page writes times through the `local` filter: never "12/3/26, 1:30 PM" (March or
    December?) nor seconds, whichever CLDR name a template asks for."""
    from datetime import UTC, datetime

    from flask_babel import force_locale

    from convention.web import format_local

    moment = datetime(2026, 12, 3, 4, 30, tzinfo=UTC)  # 13:30 in Yokohama
    with app.test_request_context(), force_locale(language):
        assert format_local(moment) == format_local(moment, "short") == written
        assert format_local(moment, "HH:mm:ss") == "13:30:00"  # an explicit pattern as asked


def test_a_moment_on_a_page_is_a_time_element_and_plain_text_in_an_email(app):
    """The `local` filter names the moment in a <time> on a page (app.css keeps one in a table
    cell on one line); a text email, or a template that writes its own <time>, gets the text."""
    from datetime import UTC, datetime

    from flask import render_template_string
    from flask_babel import force_locale

    moment = datetime(2026, 12, 3, 4, 30, tzinfo=UTC)
    with app.test_request_context(), force_locale("ja"):
        page = render_template_string("{{ moment|local }}", moment=moment)
        assert page == '<time datetime="2026-12-03T13:30:00+09:00">2026/12/03 13:30</time>'
        bare = render_template_string('{{ moment|local("HH:mm", element=False) }}', moment=moment)
        assert bare == "13:30"
        email = app.jinja_env.from_string(
            "{% autoescape false %}{{ moment|local }}{% endautoescape %}"
        )
        assert email.render(moment=moment) == "2026/12/03 13:30"
