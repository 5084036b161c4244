"""The documented backup (pg_dump) and restore (pg_restore) bring back every row."""

from __future__ import annotations

import os
import subprocess
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from convention import create_app
from convention.extensions import db
from tests.conftest import DEFAULT_PG_URL, test_config
from tests.factories import make_edition, make_session, make_user
from tests.production.conftest import ROOT

# These start servers and share PostgreSQL and Redis: one worker runs them in turn.
pytestmark = pytest.mark.xdist_group("production")


def _counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        tables = [t.name for t in db.metadata.sorted_tables] + ["alembic_version"]
        counts = {
            name: connection.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar()
            for name in tables
        }
    engine.dispose()
    return counts


def test_a_backup_restores_into_an_empty_database(production_database, tmp_path):
    app = create_app(test_config(production_database, SERVER_NAME=None))
    with app.app_context():
        edition = make_edition(start=date(2025, 11, 20), slug=f"backup-{uuid.uuid4().hex[:6]}")
        make_session(edition, title_ja="バックアップ確認セミナー")
        make_user(name="山田 花子")
    dump = tmp_path / "convention.dump"
    env = {**os.environ, "DATABASE_URL": production_database}
    subprocess.run(
        [ROOT / "scripts" / "backup", str(dump)], env=env, check=True, capture_output=True
    )

    base = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL))
    target_name = f"convention_restore_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{target_name}"'))
    target = base.set(database=target_name).render_as_string(hide_password=False)
    try:
        env["DATABASE_URL"] = target
        subprocess.run(
            [ROOT / "scripts" / "restore", str(dump)], env=env, check=True, capture_output=True
        )
        assert _counts(target) == _counts(production_database)
        restored = sa.create_engine(target)
        with restored.connect() as connection:
            title = connection.execute(
                sa.text("SELECT title_ja FROM session WHERE title_ja = 'バックアップ確認セミナー'")
            ).scalar()
        restored.dispose()
        assert title == "バックアップ確認セミナー"

        # Restoring over a database that has tables is refused, not merged.
        again = subprocess.run(
            [ROOT / "scripts" / "restore", str(dump)], env=env, capture_output=True, text=True
        )
        assert again.returncode == 1
        assert "refusing to restore" in again.stderr
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{target_name}" WITH (FORCE)'))
        admin.dispose()
