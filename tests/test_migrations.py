"""The Alembic history builds the same schema as the models, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from convention import create_app
from convention.extensions import db
from tests.conftest import DEFAULT_PG_URL, missing_service, test_config


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    base = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL))
    name = f"convention_migrations_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        missing_service(f"PostgreSQL: {error}")
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_from_empty_matches_the_models(empty_database):
    app = create_app(test_config(empty_database))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == [], f"models and migrations differ: {differences}"


def test_upgrade_is_safe_to_run_twice(empty_database):
    app = create_app(test_config(empty_database))
    with app.app_context():
        upgrade()
        upgrade()  # every deploy runs it; a second run must be a no-op
        head = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        db.engine.dispose()
    assert head


def test_issued_invoices_are_guarded_by_a_trigger_after_upgrade(empty_database):
    app = create_app(test_config(empty_database))
    with app.app_context():
        upgrade()
        inspector_sql = {
            "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'",
            "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
        }[db.engine.dialect.name]
        triggers = set(db.session.execute(sa.text(inspector_sql)).scalars())
        db.engine.dispose()
    assert "billing_invoice_immutable" in triggers


def test_the_embedded_database_gets_the_schema_on_first_use_and_is_left_alone_after(
    tmp_path, monkeypatch
):
    from convention import config as settings

    url = f"sqlite:///{tmp_path / 'convention.sqlite3'}"
    monkeypatch.setattr(settings, "EMBEDDED_DATABASE_URL", url)
    app = create_app(test_config(url))  # a fresh checkout: no database file yet
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
        head = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = 'older'"))
        db.session.commit()
        db.engine.dispose()
    assert set(db.metadata.tables) <= tables and head  # every table of the models

    app = create_app(test_config(url))  # a revision is there: upgrading stays a deliberate step
    with app.app_context():
        kept = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        db.engine.dispose()
    assert kept == "older"
