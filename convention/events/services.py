"""Editions, rooms and the programme: the rules, as plain functions over the database session.

Views parse input and call these; other features reuse `current_edition`, `programme`,
`calendar_for` (calendar files and feeds) and `check_room_free`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby
from urllib.parse import urlsplit

import icalendar
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from convention.events.models import (
    Edition,
    Room,
    Session,
    SessionKind,
    SessionLanguage,
    Visibility,
)
from convention.extensions import db
from convention.refusals import Refusal
from convention.timeutil import EVENT_ZONE, fiscal_year, local, utcnow

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

KIND_LABELS = {
    SessionKind.OPENING: _l("Opening / keynote"),
    SessionKind.SEMINAR: _l("Public seminar"),
    SessionKind.WORKSHOP: _l("Closed workshop"),
    SessionKind.SITE_VISIT: _l("Site visit"),
    SessionKind.POSTER: _l("Poster session"),
    SessionKind.MATCHING: _l("Matching session"),
}

LANGUAGE_LABELS = {
    SessionLanguage.JA: _l("Japanese"),
    SessionLanguage.EN: _l("English"),
    SessionLanguage.BOTH: _l("Japanese and English (simultaneous interpretation)"),
}

# Short forms for badges in lists; the long form is the badge's title.
LANGUAGE_BADGES = {
    SessionLanguage.JA: _l("JA"),
    SessionLanguage.EN: _l("EN"),
    SessionLanguage.BOTH: _l("JA/EN interpreted"),
}

VISIBILITY_LABELS = {
    Visibility.PUBLIC: _l("Public"),
    Visibility.CLOSED: _l("By invitation"),
}


class EventError(Refusal):
    """A rule refused the change. `errors` maps form field names (or "" for the whole form)
    to messages, so each message can be shown beside its field."""

    def __init__(self, errors: dict[str, str] | str, field: str = ""):
        if isinstance(errors, str):
            errors = {field: errors}
        self.errors = errors
        super().__init__("; ".join(str(message) for message in errors.values()))


# ---------------------------------------------------------------------------------------------
# Reading the programme


def current_edition() -> Edition | None:
    """The edition the organisers marked current, else the latest one."""
    return db.session.scalar(
        select(Edition).order_by(Edition.is_current.desc(), Edition.start_date.desc()).limit(1)
    )


def edition_days(edition: Edition) -> list[date]:
    days = (edition.end_date - edition.start_date).days + 1
    return [edition.start_date + timedelta(days=offset) for offset in range(max(days, 0))]


@dataclass(frozen=True)
class ProgrammeFilter:
    """The public programme's filters; unknown values are ignored (they show everything)."""

    day: date | None = None
    kind: SessionKind | None = None
    language: SessionLanguage | None = None

    @classmethod
    def parse(cls, args, edition: Edition | None) -> ProgrammeFilter:
        day = None
        try:
            day = date.fromisoformat(args.get("day") or "")
        except ValueError:
            day = None
        if edition is not None and day not in edition_days(edition):
            day = None
        kind = args.get("kind") or ""
        language = args.get("language") or ""
        return cls(
            day=day,
            kind=SessionKind(kind) if kind in SessionKind._value2member_map_ else None,
            language=(
                SessionLanguage(language)
                if language in SessionLanguage._value2member_map_
                else None
            ),
        )

    def args(self, **changes) -> dict[str, str]:
        """Query arguments for a link that changes some filters and keeps the others."""
        values = {
            "day": self.day.isoformat() if self.day else None,
            "kind": self.kind.value if self.kind else None,
            "language": self.language.value if self.language else None,
        }
        for key, value in changes.items():
            values[key] = value.isoformat() if isinstance(value, date) else value
        return {key: value for key, value in values.items() if value}

    @property
    def active(self) -> bool:
        return bool(self.day or self.kind or self.language)


def programme(edition: Edition, filters: ProgrammeFilter | None = None) -> list[Session]:
    """The edition's sessions in time order (closed ones included: they show as by invitation).

    A session in the "both" language matches both the Japanese and the English filter,
    since interpretation makes it followable in either.
    """
    filters = filters or ProgrammeFilter()
    query = (
        select(Session)
        .where(Session.edition_id == edition.id)
        .options(sa.orm.selectinload(Session.room))
        .order_by(Session.starts_at, Session.ends_at, Session.id)
    )
    if filters.kind:
        query = query.where(Session.kind == filters.kind)
    if filters.language == SessionLanguage.BOTH:
        query = query.where(Session.language == SessionLanguage.BOTH)
    elif filters.language:
        query = query.where(Session.language.in_([filters.language, SessionLanguage.BOTH]))
    if filters.day:
        start = datetime.combine(filters.day, datetime.min.time(), tzinfo=EVENT_ZONE)
        query = query.where(Session.starts_at >= start, Session.starts_at < start + timedelta(1))
    return list(db.session.scalars(query))


def by_day(sessions: Iterable[Session]) -> list[tuple[date, list[Session]]]:
    """Group time-ordered sessions by their day in the event's zone."""
    return [
        (day, list(items))
        for day, items in groupby(sessions, key=lambda s: local(s.starts_at).date())
    ]


def find_session(edition: Edition, slug: str) -> Session | None:
    return db.session.scalar(
        select(Session).where(Session.edition_id == edition.id, Session.slug == slug)
    )


# ---------------------------------------------------------------------------------------------
# Calendar files


def _text(obj, name: str, language: str) -> str:
    other = "en" if language == "ja" else "ja"
    return getattr(obj, f"{name}_{language}", "") or getattr(obj, f"{name}_{other}", "") or ""


def session_location(session: Session, language: str) -> str:
    """Room and venue, as calendar apps show it: "Room A, PACIFICO Yokohama"."""
    room = _text(session.room, "name", language) if session.room else ""
    venue = _text(session.edition, "venue", language)
    return ", ".join(part for part in (room, venue) if part)


def calendar_uid_domain() -> str:
    """The domain part of every calendar UID: from the configured public address, never from a
    request's host, so that every file and feed names a session the same way."""
    return urlsplit(current_app.config.get("PUBLIC_BASE_URL") or "").hostname or (
        "convention.example"
    )


def calendar_for(
    sessions: Iterable[Session],
    language: str,
    *,
    name: str | None = None,
    link: Callable[[Session], str] | None = None,
    uid_domain: str | None = None,
) -> bytes:
    """An iCalendar file (RFC 5545) for these sessions, in `language` ("ja" or "en").

    Times carry TZID=Asia/Tokyo with its VTIMEZONE, so calendar apps place them correctly
    wherever the reader is. UIDs depend only on the session's id: re-importing a newer file
    updates the entries instead of duplicating them. `link(session)` gives each entry's URL.
    """
    language = language if language in ("ja", "en") else "ja"
    uid_domain = uid_domain or calendar_uid_domain()
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Decarbonization Convention//Programme//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-timezone", str(EVENT_ZONE))
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("name", name)
    stamp = utcnow().replace(microsecond=0)
    for session in sessions:
        event = icalendar.Event()
        event.add("uid", f"session-{session.id}@{uid_domain}")
        event.add("dtstamp", stamp)
        event.add("dtstart", local(session.starts_at).replace(microsecond=0))
        event.add("dtend", local(session.ends_at).replace(microsecond=0))
        summary = _text(session, "title", language)
        event.add("summary", summary)
        location = session_location(session, language)
        if location:
            event.add("location", location)
        description = [_text(session, "description", language)]
        if session.speakers.strip():
            description.append(session.speakers.strip())
        if session.visibility == Visibility.CLOSED:
            event.add("class", "PRIVATE")
            with force_locale(language):  # the file's language, not the request's
                description.append(_("By invitation"))
        if session.stream_url:
            description.append(session.stream_url)
        url = link(session) if link else None
        if url:
            event.add("url", url)
            description.append(url)
        event.add("description", "\n\n".join(part for part in description if part))
        event.add("categories", [session.kind.value])
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


# ---------------------------------------------------------------------------------------------
# Rules for the back-office


def _lock_room(room: Room) -> None:
    """Serialise bookings of one room across processes (a no-op on SQLite's single writer)."""
    db.session.execute(select(Room.id).where(Room.id == room.id).with_for_update())


def find_clash(
    room: Room, starts_at: datetime, ends_at: datetime, *, ignore: Session | None = None
) -> Session | None:
    """The first session already in `room` that overlaps [starts_at, ends_at)."""
    query = (
        select(Session)
        .where(
            Session.room_id == room.id,
            Session.starts_at < ends_at,
            Session.ends_at > starts_at,
        )
        .order_by(Session.starts_at)
        .limit(1)
    )
    if ignore is not None and ignore.id is not None:
        query = query.where(Session.id != ignore.id)
    with db.session.no_autoflush:
        return db.session.scalar(query)


def check_room_free(
    room: Room | None,
    starts_at: datetime,
    ends_at: datetime,
    *,
    ignore: Session | None = None,
) -> None:
    """Refuse a time in a room that another session already uses, naming that session.

    Locks the room row first, so two organisers saving at once cannot both book it.
    Sessions without a room (a site visit off-site) never clash.
    """
    if room is None:
        return
    _lock_room(room)
    clash = find_clash(room, starts_at, ends_at, ignore=ignore)
    if clash is not None:
        from convention.i18n import localized

        raise EventError(
            _(
                "%(room)s is already used by “%(title)s” (%(start)s–%(end)s JST).",
                room=localized(room, "name"),
                title=localized(clash, "title"),
                start=local(clash.starts_at).strftime("%m/%d %H:%M"),
                end=local(clash.ends_at).strftime("%H:%M"),
            ),
            field="room_id",
        )


# Rows other features derive from a session or an edition (a check-in list per session):
# deleted along with it (ON DELETE CASCADE) as long as nothing points at them in turn.
DERIVED_TABLES = {"checkin_list"}


def _dependents(table_name: str, ids: list[int], *, depth: int = 0) -> dict[str, int]:
    """Rows of other tables that point at these rows (by foreign key), counted per table.

    Read from the metadata, so a feature added later is protected without a change here.
    Derived rows count only through what depends on them (a check-in list with scans).
    """
    counts: dict[str, int] = {}
    if not ids:
        return counts
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name != table_name:
                continue
            if table.name in DERIVED_TABLES and depth < 3:
                (pk,) = table.primary_key.columns
                rows = list(db.session.scalars(select(pk).where(fk.parent.in_(ids))))
                for name, count in _dependents(table.name, rows, depth=depth + 1).items():
                    counts[name] = counts.get(name, 0) + count
                continue
            count = db.session.scalar(
                select(func.count()).select_from(table).where(fk.parent.in_(ids))
            )
            if count:
                counts[table.name] = counts.get(table.name, 0) + count
    return counts


def _delete_derived(table_name: str, ids: list[int]) -> None:
    """Delete the derived rows explicitly: SQLite does not enforce ON DELETE CASCADE unless
    told to, and the result must be the same on both databases."""
    for table in db.metadata.sorted_tables:
        if table.name not in DERIVED_TABLES:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == table_name:
                db.session.execute(sa.delete(table).where(fk.parent.in_(ids)))


def _count_words(table: str, count: int) -> str:
    """ "3 sessions", "1 seminar sign-up" ... for the refusal message."""
    words = {
        "session_signup": lambda: ngettext(
            "%(num)d seminar sign-up", "%(num)d seminar sign-ups", count
        ),
        "registration": lambda: ngettext("%(num)d registration", "%(num)d registrations", count),
        "ticket_type": lambda: ngettext("%(num)d ticket type", "%(num)d ticket types", count),
        "session": lambda: ngettext("%(num)d session", "%(num)d sessions", count),
        "room": lambda: ngettext("%(num)d room", "%(num)d rooms", count),
        "scan": lambda: ngettext("%(num)d badge scan", "%(num)d badge scans", count),
        "checkin_presence": lambda: ngettext("%(num)d check-in", "%(num)d check-ins", count),
    }
    if table in words:
        return words[table]()
    return _("%(num)d records of %(table)s", num=count, table=table.replace("_", " "))


def _refuse_if_used(what: str, counts: dict[str, int]) -> None:
    if not counts:
        return
    parts = ", ".join(_count_words(table, count) for table, count in sorted(counts.items()))
    raise EventError(
        _("%(what)s cannot be deleted while it has %(parts)s.", what=what, parts=parts)
    )


def _check_slug(slug: str) -> str | None:
    if not SLUG_PATTERN.match(slug or ""):
        return _("Use lower-case letters, digits and single hyphens (for example: green-finance).")
    return None


# --- editions --------------------------------------------------------------------------------


@dataclass
class EditionData:
    slug: str
    name_ja: str
    name_en: str
    venue_ja: str
    venue_en: str
    start_date: date
    end_date: date
    is_current: bool = False


def save_edition(data: EditionData, edition: Edition | None = None) -> Edition:
    """Create (edition=None) or change an edition; refuses bad dates and duplicate slugs."""
    errors: dict[str, str] = {}
    slug_error = _check_slug(data.slug)
    if slug_error:
        errors["slug"] = slug_error
    else:
        query = select(Edition.id).where(Edition.slug == data.slug)
        if edition is not None and edition.id is not None:
            query = query.where(Edition.id != edition.id)
        if db.session.scalar(query) is not None:
            errors["slug"] = _("Another edition already uses this short name.")
    if data.end_date < data.start_date:
        errors["end_date"] = _("The last day cannot be before the first day.")
    elif fiscal_year(data.start_date) != fiscal_year(data.end_date):
        errors["end_date"] = _(
            "An edition belongs to one fiscal year (1 April – 31 March): it cannot run past 31 March."  # noqa: E501
        )
    elif (data.end_date - data.start_date).days > 30:
        errors["end_date"] = _("An edition lasts at most 31 days.")
    if edition is not None and edition.id is not None and "end_date" not in errors:
        outside = _first_session_outside(edition, data.start_date, data.end_date)
        if outside is not None:
            from convention.i18n import localized

            errors["start_date"] = _(
                "“%(title)s” is scheduled on %(day)s, outside these dates: move it first.",
                title=localized(outside, "title"),
                day=local(outside.starts_at).date().isoformat(),
            )
    if errors:
        raise EventError(errors)

    if edition is None:
        edition = Edition()
        db.session.add(edition)
    for name in ("slug", "name_ja", "name_en", "venue_ja", "venue_en", "start_date", "end_date"):
        setattr(edition, name, getattr(data, name))
    edition.timezone = str(EVENT_ZONE)
    if data.is_current:
        db.session.flush()
        # Clear the others first: the partial unique index allows one current edition.
        db.session.execute(
            update(Edition)
            .where(Edition.id != edition.id, Edition.is_current.is_(True))
            .values(is_current=False)
        )
    edition.is_current = data.is_current
    db.session.commit()
    return edition


def _first_session_outside(edition: Edition, first: date, last: date) -> Session | None:
    start = datetime.combine(first, datetime.min.time(), tzinfo=EVENT_ZONE)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=EVENT_ZONE)
    return db.session.scalar(
        select(Session)
        .where(
            Session.edition_id == edition.id,
            sa.or_(Session.starts_at < start, Session.ends_at > end),
        )
        .order_by(Session.starts_at)
        .limit(1)
    )


def delete_edition(edition: Edition) -> None:
    """Only an edition nothing depends on: no sessions, rooms, registrations, tickets ..."""
    counts = _dependents("edition", [edition.id])
    _refuse_if_used(_("This edition"), counts)
    _delete_derived("edition", [edition.id])
    db.session.delete(edition)
    db.session.commit()


# --- rooms -----------------------------------------------------------------------------------


@dataclass
class RoomData:
    name_ja: str
    name_en: str
    capacity: int | None = None
    position: int = 0


def save_room(edition: Edition, data: RoomData, room: Room | None = None) -> Room:
    errors: dict[str, str] = {}
    if data.capacity is not None and data.capacity < 0:
        errors["capacity"] = _("Capacity cannot be negative.")
    query = select(Room.id).where(Room.edition_id == edition.id, Room.name_en == data.name_en)
    if room is not None and room.id is not None:
        query = query.where(Room.id != room.id)
    if db.session.scalar(query) is not None:
        errors["name_en"] = _("This edition already has a room with this name.")
    if room is not None and data.capacity is not None and "capacity" not in errors:
        biggest = db.session.scalar(
            select(Session)
            .where(Session.room_id == room.id, Session.capacity > data.capacity)
            .order_by(Session.capacity.desc())
            .limit(1)
        )
        if biggest is not None:
            from convention.i18n import localized

            errors["capacity"] = _(
                "“%(title)s” in this room takes %(count)d people.",
                title=localized(biggest, "title"),
                count=biggest.capacity,
            )
    if errors:
        raise EventError(errors)
    if room is None:
        room = Room(edition=edition)
        db.session.add(room)
    room.name_ja = data.name_ja
    room.name_en = data.name_en
    room.capacity = data.capacity
    room.position = data.position
    db.session.commit()
    return room


def delete_room(room: Room) -> None:
    counts = _dependents("room", [room.id])
    _refuse_if_used(_("This room"), counts)
    _delete_derived("room", [room.id])
    db.session.delete(room)
    db.session.commit()


# --- sessions --------------------------------------------------------------------------------


@dataclass
class SessionData:
    slug: str
    kind: SessionKind
    title_ja: str
    title_en: str
    starts_at: datetime
    ends_at: datetime
    room: Room | None = None
    capacity: int | None = None
    language: SessionLanguage = SessionLanguage.JA
    visibility: Visibility = Visibility.PUBLIC
    description_ja: str = ""
    description_en: str = ""
    speakers: str = ""
    stream_url: str | None = None
    invitation_code: str | None = None


def session_problems(
    edition: Edition, data: SessionData, session: Session | None = None
) -> dict[str, str]:
    """What refuses this session, by form field: a bad or duplicate slug, an end not after the
    start, a time outside the edition's days, a negative capacity or one above the room's, a
    room of another edition, and a room already used at that time (naming the clash).

    Checking the room locks it until the caller commits or rolls back."""
    errors: dict[str, str] = {}
    slug_error = _check_slug(data.slug)
    if slug_error:
        errors["slug"] = slug_error
    else:
        query = select(Session.id).where(
            Session.edition_id == edition.id, Session.slug == data.slug
        )
        if session is not None and session.id is not None:
            query = query.where(Session.id != session.id)
        if db.session.scalar(query) is not None:
            errors["slug"] = _("Another session of this edition already uses this short name.")
    if data.starts_at.tzinfo is None or data.ends_at.tzinfo is None:
        raise ValueError("session times must be aware datetimes")
    if data.ends_at <= data.starts_at:
        errors["ends_at"] = _("The end must be after the start.")
    first = datetime.combine(edition.start_date, datetime.min.time(), tzinfo=EVENT_ZONE)
    after_last = datetime.combine(
        edition.end_date + timedelta(days=1), datetime.min.time(), tzinfo=EVENT_ZONE
    )
    if not first <= data.starts_at < after_last:
        errors["starts_at"] = _(
            "The session must take place during the edition (%(first)s – %(last)s).",
            first=edition.start_date.isoformat(),
            last=edition.end_date.isoformat(),
        )
    elif "ends_at" not in errors and data.ends_at > after_last:
        errors["ends_at"] = _(
            "The session must end by the edition's last day (%(last)s).",
            last=edition.end_date.isoformat(),
        )
    if data.room is not None and data.room.edition_id != edition.id:
        errors["room_id"] = _("Choose a room of this edition.")
    if data.capacity is not None and data.capacity < 0:
        errors["capacity"] = _("Capacity cannot be negative.")
    elif (
        data.capacity is not None
        and data.room is not None
        and data.room.capacity is not None
        and data.capacity > data.room.capacity
    ):
        errors["capacity"] = _("The room holds only %(count)d people.", count=data.room.capacity)
    if not errors.keys() & {"starts_at", "ends_at", "room_id"}:
        try:
            check_room_free(data.room, data.starts_at, data.ends_at, ignore=session)
        except EventError as error:
            errors.update(error.errors)
    return errors


def save_session(edition: Edition, data: SessionData, session: Session | None = None) -> Session:
    """Create or change a session, or raise EventError with `session_problems`."""
    errors = session_problems(edition, data, session)
    if errors:
        db.session.rollback()
        raise EventError(errors)

    capacity_changes = session is not None and session.capacity != data.capacity
    if session is None:
        session = Session(edition=edition, capacity=data.capacity)
        db.session.add(session)
    for name in (
        "slug",
        "kind",
        "title_ja",
        "title_en",
        "starts_at",
        "ends_at",
        "room",
        "language",
        "visibility",
        "description_ja",
        "description_en",
        "speakers",
    ):
        setattr(session, name, getattr(data, name))
    session.stream_url = data.stream_url or None
    session.invitation_code = data.invitation_code or None
    if capacity_changes:
        # Seats are registration's: it refuses a capacity below the seats held (rolling back
        # every change here) and gives a raise to the waiting list.
        from convention.registration.services import RegistrationError, update_session_capacity

        db.session.flush()
        try:
            update_session_capacity(session, data.capacity)
        except RegistrationError as error:
            raise EventError({"capacity": str(error)}) from None
    db.session.commit()
    return session


def delete_session(session: Session) -> None:
    """Refused while anything points at the session: sign-ups (even cancelled ones are the
    attendees' history), check-in lists ..."""
    counts = _dependents("session", [session.id])
    _refuse_if_used(_("This session"), counts)
    _delete_derived("session", [session.id])
    db.session.delete(session)
    db.session.commit()


def edition_counts(edition: Edition) -> dict[str, int]:
    return {
        "rooms": db.session.scalar(
            select(func.count()).select_from(Room).where(Room.edition_id == edition.id)
        ),
        "sessions": db.session.scalar(
            select(func.count()).select_from(Session).where(Session.edition_id == edition.id)
        ),
    }
