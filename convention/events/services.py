"""Editions, rooms and the programme."""

from __future__ import annotations

from sqlalchemy import select

from convention.events.models import Edition
from convention.extensions import db


def current_edition() -> Edition | None:
    """The edition the organisers marked current, else the latest one."""
    return db.session.scalar(
        select(Edition).order_by(Edition.is_current.desc(), Edition.start_date.desc()).limit(1)
    )
