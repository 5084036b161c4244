"""Settings from the environment, and the refusal to run production on unsafe defaults."""

from __future__ import annotations

import pytest

from convention import create_app
from convention.config import DEVELOPMENT_SECRET_KEY, ConfigurationError


@pytest.fixture
def environment(monkeypatch, tmp_path):
    for name in ("SECRET_KEY", "DATABASE_URL", "MAIL_URL", "REDIS_URL", "PASSWORD_HASH_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'config.sqlite3'}")
    return monkeypatch


def test_production_refuses_the_default_secret_key(environment):
    environment.setenv("CONVENTION_ENV", "production")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()
    environment.setenv("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()
    environment.setenv("SECRET_KEY", "")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()


def test_production_starts_with_a_real_key(environment):
    environment.setenv("CONVENTION_ENV", "production")
    environment.setenv("SECRET_KEY", "a-long-random-value-from-the-operator-0123456789")
    app = create_app()
    assert app.config["ENV_NAME"] == "production"
    assert app.config["PASSWORD_HASH_PROFILE"] == "RFC_9106_LOW_MEMORY"


def test_production_refuses_test_password_hashing(environment):
    environment.setenv("CONVENTION_ENV", "production")
    environment.setenv("SECRET_KEY", "a-long-random-value-from-the-operator-0123456789")
    environment.setenv("PASSWORD_HASH_PROFILE", "CHEAPEST")
    with pytest.raises(ConfigurationError, match="CHEAPEST"):
        create_app()
    environment.setenv("PASSWORD_HASH_PROFILE", "NOT_A_PROFILE")
    with pytest.raises(ConfigurationError, match="not an argon2 profile"):
        create_app()


def test_development_defaults(environment, tmp_path):
    from convention import config as settings

    environment.delenv("CONVENTION_ENV", raising=False)
    environment.delenv("DATABASE_URL")
    assert settings.EMBEDDED_DATABASE_URL.startswith("sqlite:///")
    assert settings.EMBEDDED_DATABASE_URL.endswith("instance/convention.sqlite3")
    # The app makes the embedded database on first use: in a scratch folder, never in the
    # developer's own instance/, where a schema made by the tests would lag behind the next
    # migration and `flask db check` would say so.
    embedded = f"sqlite:///{tmp_path / 'instance' / 'convention.sqlite3'}"
    environment.setattr(settings, "INSTANCE_DIR", tmp_path / "instance")
    environment.setattr(settings, "EMBEDDED_DATABASE_URL", embedded)
    app = create_app()
    assert app.config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY
    assert app.config["SQLALCHEMY_DATABASE_URI"] == embedded
    assert (tmp_path / "instance" / "convention.sqlite3").exists()
    assert app.config["MAIL_URL"] is None
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert app.config["BABEL_DEFAULT_LOCALE"] == "ja"


def test_environment_urls(environment):
    environment.setenv("DATABASE_URL", "postgres://db.internal:5432/convention")
    environment.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    environment.setenv("MAIL_URL", "smtp://127.0.0.1:2525")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://db.internal:5432/convention"
    )
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert app.config["MAIL_URL"] == "smtp://127.0.0.1:2525"
