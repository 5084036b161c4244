"""Time rules: store UTC, show the event's zone, fiscal years from dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

EVENT_ZONE = ZoneInfo("Asia/Tokyo")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """An aware datetime stored as UTC; SQLite keeps no zone, so it is added back on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous: pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def fiscal_year(day: date | datetime) -> int:
    """Japanese fiscal year: 1 April to 31 March, named after the year it starts in."""
    if isinstance(day, datetime):
        day = day.astimezone(EVENT_ZONE).date() if day.tzinfo else day.date()
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(year: int, zone: ZoneInfo = EVENT_ZONE) -> tuple[datetime, datetime]:
    """[start, end) of a fiscal year as aware datetimes in the event zone."""
    return (
        datetime(year, 4, 1, tzinfo=zone),
        datetime(year + 1, 4, 1, tzinfo=zone),
    )


def local(moment: datetime | None, zone: ZoneInfo | str = EVENT_ZONE) -> datetime | None:
    if moment is None:
        return None
    if isinstance(zone, str):
        zone = ZoneInfo(zone)
    return moment.astimezone(zone)


def parse_local(value: str, zone: ZoneInfo | str = EVENT_ZONE) -> datetime:
    """Parse an HTML datetime-local value entered in the event's zone into an aware datetime."""
    if isinstance(zone, str):
        zone = ZoneInfo(zone)
    return datetime.fromisoformat(value).replace(tzinfo=zone)
