"""Two gunicorn instances (2 workers each) on one PostgreSQL and one Redis behave as one app."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import requests
from redis import Redis

from tests.production.conftest import REDIS_URL, ROOT, production_env

# These start servers and share PostgreSQL and Redis: one worker runs them in turn.
pytestmark = pytest.mark.xdist_group("production")

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=10)
    assert page.status_code == 200, page.text[:500]
    return CSRF_FIELD.search(page.text).group(1)


def create_organiser(database_url: str, email: str, password: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi",
            "users",
            "create-admin",
            email,
            "--password",
            password,
        ],
        cwd=ROOT,
        env=production_env(database_url),
        check=True,
        capture_output=True,
    )


def test_both_instances_are_ready_with_migrations_at_head(two_instances):
    for instance in two_instances:
        response = requests.get(f"{instance.url}/readyz", timeout=10)
        assert response.status_code == 200, response.text
        assert response.json()["checks"] == {"database": "ok", "migrations": "ok", "redis": "ok"}


def test_a_session_made_on_one_instance_is_valid_on_the_other(two_instances, production_database):
    first, second = two_instances
    create_organiser(production_database, "shared@example.org", "shared-session-pass")
    browser = requests.Session()
    token = csrf_token(browser, f"{first.url}/account/login")
    response = browser.post(
        f"{first.url}/account/login",
        data={
            "csrf_token": token,
            "email": "shared@example.org",
            "password": "shared-session-pass",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code in (302, 303), response.text[:500]

    profile = browser.get(f"{second.url}/account/profile", allow_redirects=False, timeout=10)
    assert profile.status_code == 200
    assert "shared@example.org" in profile.text


def test_the_log_in_rate_limit_is_shared_between_instances(two_instances):
    first, second = two_instances
    Redis.from_url(REDIS_URL).flushdb()  # forget earlier tests' log-ins
    statuses = []
    for attempt in range(6):
        instance = (first, second)[attempt % 2]
        browser = requests.Session()
        token = csrf_token(browser, f"{instance.url}/account/login")
        response = browser.post(
            f"{instance.url}/account/login",
            data={"csrf_token": token, "email": "nobody@example.org", "password": "wrong"},
            allow_redirects=False,
            timeout=10,
        )
        statuses.append(response.status_code)
    # LOGIN_RATE_LIMIT is 4 per minute per client, counted in Redis across both instances.
    assert statuses[:4] == [422, 422, 422, 422]  # refused, with the message on the form
    assert statuses[4:] == [429, 429]


def test_responses_carry_the_security_headers(two_instances):
    response = requests.get(f"{two_instances[0].url}/", timeout=10)
    csp = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert len(response.headers["X-Request-ID"]) >= 8
    assert "Strict-Transport-Security" not in response.headers  # plain http: no HSTS
    https = requests.get(
        f"{two_instances[0].url}/", headers={"X-Forwarded-Proto": "https"}, timeout=10
    )
    # No proxy is configured, so a client cannot claim https (or another address) by header.
    assert "Strict-Transport-Security" not in https.headers
