"""Operations endpoints and headers, through the Flask test client."""

from __future__ import annotations

import json
import logging

import pytest

from convention.ops import JsonFormatter


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_reports_migrations_behind_on_a_schema_made_without_alembic(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json["checks"]
    assert checks["database"] == "ok"
    assert checks["migrations"].startswith("behind")


def test_every_response_has_a_request_id_and_security_headers(client):
    response = client.get("/", headers={"X-Request-ID": "abcd1234-req"})
    assert response.headers["X-Request-ID"] == "abcd1234-req"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    forged = client.get("/", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert forged.headers["X-Request-ID"] != "<script>alert(1)</script>"


def test_proxy_headers_are_ignored_without_a_configured_proxy(client):
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXY_COUNT": 1}])
def test_behind_a_configured_proxy_https_turns_on_hsts(client):
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_json_log_lines_carry_the_request_id():
    record = logging.LogRecord("convention", logging.INFO, __file__, 1, "scan %s", ("ok",), None)
    record.request_id = "feedc0de"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "scan ok"
    assert line["request_id"] == "feedc0de"
    assert line["level"] == "INFO"
