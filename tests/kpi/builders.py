"""Raw rows for KPI tests: registrations, check-in lists and scans written straight to the tables,
so the KPI queries are checked against data they did not produce themselves."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from convention.accounts.models import ParticipantCategory, User
from convention.checkin.models import CheckInList, ListKind, Scan, ScanDirection, ScanResult
from convention.events.models import Edition
from convention.extensions import db
from convention.registration.models import (
    Registration,
    RegistrationStatus,
    SessionSignup,
    SignupStatus,
    TicketType,
    University,
)
from tests.factories import jst, make_session


def ticket_type(edition: Edition, category=ParticipantCategory.GENERAL) -> TicketType:
    ticket = TicketType(edition=edition, name_ja="一般", name_en="General", category=category)
    db.session.add(ticket)
    db.session.flush()
    return ticket


def university(name: str, in_city: bool) -> University:
    row = University(name_ja=name, name_en=name, in_city=in_city)
    db.session.add(row)
    db.session.flush()
    return row


def person(category=ParticipantCategory.GENERAL) -> User:
    """A participant who never logs in here: no password hash to compute (fast)."""
    user = User(
        email=f"kpi-{uuid.uuid4().hex[:12]}@example.org",
        name="Test Person",
        category=category,
        password_hash=None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def register(
    edition: Edition,
    user=None,
    *,
    category=ParticipantCategory.GENERAL,
    status=RegistrationStatus.CONFIRMED,
    country="JP",
    university_id=None,
    ticket=None,
) -> Registration:
    user = user or person(category)
    ticket = ticket or ticket_type(edition, category)
    registration = Registration(
        edition_id=edition.id,
        user_id=user.id,
        ticket_type_id=ticket.id,
        status=status,
        category=category,
        country=country,
        university_id=university_id,
    )
    db.session.add(registration)
    db.session.flush()
    return registration


def checkin_list(edition: Edition, kind=ListKind.MAIN_DOOR, slug=None, session=None):
    row = CheckInList(
        edition_id=edition.id,
        slug=slug or f"{kind.value}-{uuid.uuid4().hex[:6]}",
        name_ja="入口",
        name_en="Entrance",
        kind=kind,
        session_id=session.id if session else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def seminar_with_sign_ups(edition: Edition, start: str, title: str, people: int, day: int = 0):
    """A one-hour seminar with a check-in list and `people` confirmed sign-ups, nobody in yet."""
    session = make_session(edition, start, 60, day=day, title_en=title)
    checkin_list(edition, ListKind.SESSION, session=session)
    for _ in range(people):
        db.session.add(
            SessionSignup(
                registration_id=register(edition).id,
                session_id=session.id,
                status=SignupStatus.CONFIRMED,
            )
        )
    db.session.commit()
    return session


def scan(
    checkin: CheckInList,
    registration: Registration | None,
    at: datetime,
    *,
    result=ScanResult.OK,
    direction=ScanDirection.IN,
    undone=False,
    reason=None,
) -> Scan:
    row = Scan(
        edition_id=checkin.edition_id,
        checkin_list_id=checkin.id,
        registration_id=registration.id if registration else None,
        nonce=uuid.uuid4().hex,
        direction=direction,
        result=result,
        reason=reason,
        scanned_at=at,
        undone_at=at + timedelta(minutes=1) if undone else None,
    )
    db.session.add(row)
    return row


def at(day: date, hhmm: str) -> datetime:
    return jst(day, hhmm)
