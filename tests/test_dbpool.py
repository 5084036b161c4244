"""A database restart (here: the server ending a pooled connection) costs no request an error,
and connections used a moment ago are not pinged."""

import pytest
import sqlalchemy as sa

from convention import dbpool
from convention.extensions import db


@pytest.mark.postgres_only
def test_a_connection_the_server_closed_while_idle_is_replaced(app, monkeypatch):
    first_pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
    db.session.remove()  # back to the pool
    admin = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
    with admin.connect() as other:  # the server ends the pooled connection
        other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid})
    admin.dispose()
    monkeypatch.setattr(dbpool, "IDLE_SECONDS_BEFORE_PING", 0.0)

    second_pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))

    assert second_pid != first_pid


def test_a_connection_used_a_moment_ago_is_not_pinged(app):
    statements = []
    db.session.scalar(sa.text("SELECT 1"))
    db.session.remove()
    sa.event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    db.session.scalar(sa.text("SELECT 2"))

    assert statements == ["SELECT 2"]
