"""Convention: a city's decarbonization convention, end to end."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from convention import config as settings
from convention import dbpool  # noqa: F401  (pings connections that sat idle)
from convention.extensions import csrf, db, htmx, limiter, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings from the environment, overridden by `config` (tests)."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(settings.INSTANCE_DIR),
    )
    from convention.web import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.config.update(settings.from_environment())
    if config:
        app.config.update(config)
    settings.check(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    _create_embedded_database(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)

    from convention import ops, web

    ops.init_app(app)
    web.init_app(app)
    _register_features(app)
    return app


def _create_embedded_database(app: Flask) -> None:
    """The embedded SQLite database gets the current schema on first use, so that a fresh
    checkout's `flask run` or `flask db check` needs no `flask db upgrade` first. A database
    that has a revision is left alone: upgrading it stays the organiser's step."""
    if app.config["SQLALCHEMY_DATABASE_URI"] != settings.EMBEDDED_DATABASE_URL:
        return
    import flask_migrate
    from alembic.runtime.migration import MigrationContext

    with app.app_context():
        with db.engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
        if revision is None:
            flask_migrate.upgrade()


def _register_features(app: Flask) -> None:
    from convention import (
        accounts,
        billing,
        checkin,
        demo,
        events,
        jobs,
        kpi,
        mail,
        matching,
        posters,
        registration,
        sponsors,
    )

    features = (
        accounts,
        mail,
        jobs,
        events,
        registration,
        billing,
        sponsors,
        checkin,
        kpi,
        posters,
        matching,
        demo,
    )
    for feature in features:
        feature.init_app(app)
