"""Helpers that tests of several features share (data factories are in tests/factories.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from convention.extensions import db
from convention.refusals import Refusal


def at_once(app, calls: list[Callable[[], str]], timeout: float = 120) -> list[str]:
    """Run the calls at the same moment, each in its own thread with its own app context and
    database session, as several app processes would. Returns what each said, in the order
    they finished: its return value, a refusal's message, or "unexpected ..." for any other
    exception."""
    results: list[str] = []
    barrier = threading.Barrier(len(calls))

    def run(call):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results.append(call())
            except Refusal as error:
                results.append(str(error))
            except Exception as error:  # reported to the test, which fails on any
                results.append(f"unexpected {type(error).__name__}: {error}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results


@contextmanager
def sql_statements() -> Iterator[list[str]]:
    """The SQL statements run inside the block: a page's count must not grow with its rows."""
    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
