"""Extensions are created once here and bound to the app in create_app()."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from convention.htmx import htmx

# Named constraints make Alembic migrations reproducible on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Model(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Model)

# Ids are INTEGER columns, 32 bits on PostgreSQL. A larger number names no row, but the
# database driver refuses to even look it up (an error, not "not found").
MAX_ID = 2**31 - 1


def positive_int(value) -> int | None:
    """A whole number from outside (a form field, a query string, its digits as text) that an id
    or integer column can hold, from 1 up; None for anything else."""
    if isinstance(value, str):
        value = int(value) if value.isdecimal() else None
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= MAX_ID else None


def get_by_id(model, item_id):
    """`db.session.get` for an id that came from outside: None when no row could have it."""
    item_id = positive_int(item_id)
    return None if item_id is None else db.session.get(model, item_id)


migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

__all__ = [
    "MAX_ID",
    "babel",
    "csrf",
    "db",
    "get_by_id",
    "htmx",
    "limiter",
    "login_manager",
    "migrate",
    "positive_int",
]
