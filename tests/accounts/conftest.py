"""Helpers for the account tests: follow emailed links, compare what a visitor sees."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.factories import PASSWORD


def link_in(message, marker: str) -> str:
    """The path of the first link in an emailed message whose URL contains `marker`."""
    for url in re.findall(r"https?://\S+", message.body_text):
        if marker in url:
            parts = urlsplit(url)
            return parts.path + (f"?{parts.query}" if parts.query else "")
    raise AssertionError(f"no link with {marker!r} in:\n{message.body_text}")


def main_of(response) -> str:
    """The <main> element of a page: what the visitor reads, without per-request tokens."""
    match = re.search(r"<main\b.*?</main>", response.text, re.S)
    assert match, response.text
    return match.group(0)


def log_in(client, email: str, password: str = PASSWORD, **kwargs):
    return client.post("/account/login", data={"email": email, "password": password}, **kwargs)


def is_logged_in(client) -> bool:
    response = client.get("/account/profile")
    return response.status_code == 200


@pytest.fixture
def new_client(app):
    """A browser of its own. English by default: the assertions read the English text, which
    must keep passing once the Japanese catalog exists (the app's default language is ja)."""

    def make(language: str | None = "en"):
        client = app.test_client()
        if language:
            client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        return client

    return make


@pytest.fixture
def client(new_client):
    return new_client()


@pytest.fixture
def sign_up_form():
    def build(**overrides):
        data = {
            "email": "new.person@example.org",
            "password": "a long enough secret",
            "name": "New Person",
            "organization": "Green Works",
            "country": "JP",
            "category": "business",
            "language": "en",
        }
        data.update(overrides)
        return data

    return build
