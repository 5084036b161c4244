"""Database connections that survive a database restart without a ping on every request.

SQLAlchemy's `pool_pre_ping` costs three round trips (BEGIN, SELECT 1, ROLLBACK on psycopg) on
every checkout: on a door scan that is a third of all round trips. A connection that was used a
moment ago is alive; only one that sat idle in the pool for a while is pinged, and a dead one is
replaced before the request sees it.
"""

from __future__ import annotations

import time

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool

IDLE_SECONDS_BEFORE_PING = 10.0
_CHECKED_IN_AT = "convention_checked_in_at"


@event.listens_for(Pool, "checkin")
def _remember_checkin(dbapi_connection, record) -> None:
    if record is not None:
        record.info[_CHECKED_IN_AT] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_if_idle(dbapi_connection, record, proxy) -> None:
    checked_in_at = record.info.get(_CHECKED_IN_AT)
    if checked_in_at is None or time.monotonic() - checked_in_at < IDLE_SECONDS_BEFORE_PING:
        return  # new, or used a moment ago
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as error:  # any failure means the connection is unusable
        # The pool discards this connection and checks out (or opens) another.
        raise DisconnectionError(str(error)) from error
