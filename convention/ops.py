"""Operations: request ids, JSON logs, security headers, proxy trust and readiness checks."""

from __future__ import annotations

import json
import logging
import secrets
import sys
import time

from flask import Blueprint, Flask, current_app, g, jsonify, request
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix

from convention.extensions import db

bp = Blueprint("ops", __name__)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Inline style attributes are used by server-rendered SVG charts; no inline <script>.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: mediastream:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# The scanner page needs the camera; nothing needs the microphone or location.
PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=()"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        for key in ("method", "path", "status", "duration_ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.request_id = g.get("request_id")
        except RuntimeError:  # outside a request
            record.request_id = None
        return True


def _start_request() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    # Accept the proxy's id only if it looks like one; never log arbitrary header content.
    valid = 8 <= len(incoming) <= 64 and incoming.replace("-", "").isalnum()
    g.request_id = incoming if valid else secrets.token_hex(8)
    g.request_started = time.perf_counter()


def _finish_request(response):
    response.headers["X-Request-ID"] = g.get("request_id", "")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if current_app.config.get("ACCESS_LOG"):
        current_app.logger.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
            },
        )
    return response


@bp.get("/readyz")
def readyz():
    """Ready for traffic: database reachable, migrations at head, Redis reachable if set."""
    checks: dict[str, str] = {}
    healthy = True
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # report, do not crash the probe
        checks["database"] = f"error: {type(error).__name__}"
        healthy = False
    if healthy:
        checks["migrations"], at_head = _migration_state()
        healthy = healthy and at_head
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        try:
            from redis import Redis

            Redis.from_url(redis_url, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception as error:
            checks["redis"] = f"error: {type(error).__name__}"
            healthy = False
    db.session.rollback()
    return jsonify(status="ok" if healthy else "error", checks=checks), 200 if healthy else 503


def _migration_state() -> tuple[str, bool]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = current_app.extensions["migrate"].migrate.get_config()
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if current == heads:
        return "ok", True
    return f"behind: at {sorted(current) or 'nothing'}, head {sorted(heads)}", False


def configure_logging(app: Flask) -> None:
    if app.testing or not app.config.get("JSON_LOGS"):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    app.logger.handlers = [handler]
    app.logger.setLevel(logging.INFO)


def init_app(app: Flask) -> None:
    proxies = app.config.get("TRUSTED_PROXY_COUNT", 0)
    if proxies:
        # Only behind a configured proxy do X-Forwarded-* headers decide client address and scheme.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    configure_logging(app)
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.register_blueprint(bp)
