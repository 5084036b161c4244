"""Settings read from the environment, with safe defaults for trying the app out."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-change-me"
EMBEDDED_DATABASE_URL = f"sqlite:///{INSTANCE_DIR / 'convention.sqlite3'}"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(url: str | None) -> str:
    if not url:
        return EMBEDDED_DATABASE_URL
    # Hosting platforms still hand out postgres:// URLs; SQLAlchemy wants a driver name.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def from_environment() -> dict:
    """The settings of one process, read once when the app is created."""
    redis_url = os.environ.get("REDIS_URL") or None
    production = os.environ.get("CONVENTION_ENV", "development") == "production"
    return {
        "ENV_NAME": "production" if production else "development",
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": _database_url(os.environ.get("DATABASE_URL")),
        "REDIS_URL": redis_url,
        "MAIL_URL": os.environ.get("MAIL_URL") or None,
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "Convention <no-reply@convention.example>"),
        "MAIL_MAX_ATTEMPTS": int(os.environ.get("MAIL_MAX_ATTEMPTS", "8")),
        # How often a web request also delivers retries that came due (0 = only the worker).
        "MAIL_POLL_SECONDS": float(os.environ.get("MAIL_POLL_SECONDS", "60")),
        "BABEL_DEFAULT_LOCALE": os.environ.get("DEFAULT_LOCALE", "ja"),
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("DEFAULT_TIMEZONE", "Asia/Tokyo"),
        "LANGUAGES": ("ja", "en"),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,  # see web._seconds_until_limit_resets
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        "REGISTER_RATE_LIMIT": os.environ.get("REGISTER_RATE_LIMIT", "30 per minute"),
        # A parameter set of argon2.profiles; only the test suite should pick CHEAPEST.
        "PASSWORD_HASH_PROFILE": os.environ.get("PASSWORD_HASH_PROFILE", "RFC_9106_LOW_MEMORY"),
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads")),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        "TRUSTED_PROXY_COUNT": int(os.environ.get("TRUSTED_PROXY_COUNT", "0")),
        "JSON_LOGS": _bool("JSON_LOGS", False),
        "ACCESS_LOG": _bool("ACCESS_LOG", False),
    }


class ConfigurationError(RuntimeError):
    """The settings would make an unsafe or broken process."""


def check(settings: dict) -> None:
    from argon2 import profiles

    production = settings["ENV_NAME"] == "production"
    if production and settings["SECRET_KEY"] in {DEVELOPMENT_SECRET_KEY, ""}:
        raise ConfigurationError(
            "SECRET_KEY must be set to a long random value when CONVENTION_ENV=production."
        )
    profile = settings.get("PASSWORD_HASH_PROFILE", "RFC_9106_LOW_MEMORY")
    if not isinstance(getattr(profiles, profile, None), profiles.Parameters):
        raise ConfigurationError(f"PASSWORD_HASH_PROFILE {profile!r} is not an argon2 profile.")
    if production and profile == "CHEAPEST":
        raise ConfigurationError("PASSWORD_HASH_PROFILE=CHEAPEST is for tests only.")
