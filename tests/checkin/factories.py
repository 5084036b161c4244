"""Registrations made directly (the registration services are another feature's)."""

from __future__ import annotations

from convention.accounts.models import ParticipantCategory
from convention.checkin import services
from convention.checkin.models import Admission, CheckInList, ListKind
from convention.events.models import Edition, Session
from convention.extensions import db
from convention.registration.models import (
    Registration,
    RegistrationStatus,
    SessionSignup,
    SignupStatus,
    TicketType,
)
from tests.factories import make_user


def make_ticket_type(edition: Edition, **fields) -> TicketType:
    ticket = TicketType(
        edition_id=edition.id,
        name_ja=fields.pop("name_ja", "一般"),
        name_en=fields.pop("name_en", "General"),
        category=fields.pop("category", ParticipantCategory.GENERAL),
        **fields,
    )
    db.session.add(ticket)
    db.session.commit()
    return ticket


def make_registration(
    edition: Edition,
    *,
    name: str = "Test Attendee",
    organization: str = "Example Co.",
    status: RegistrationStatus = RegistrationStatus.CONFIRMED,
    category: ParticipantCategory = ParticipantCategory.BUSINESS,
    sessions: tuple[Session, ...] = (),
    signup_status: SignupStatus = SignupStatus.CONFIRMED,
    user=None,
    ticket_type: TicketType | None = None,
) -> Registration:
    user = user or make_user(name=name, category=category)
    ticket_type = ticket_type or make_ticket_type(edition, category=category)
    registration = Registration(
        edition_id=edition.id,
        user_id=user.id,
        ticket_type_id=ticket_type.id,
        status=status,
        category=category,
        organization=organization,
    )
    db.session.add(registration)
    db.session.flush()
    for session in sessions:
        db.session.add(
            SessionSignup(
                registration_id=registration.id, session_id=session.id, status=signup_status
            )
        )
    db.session.commit()
    return registration


def make_list(edition: Edition, slug: str = "main-door", **fields) -> CheckInList:
    checkin_list = CheckInList(
        edition_id=edition.id,
        slug=slug,
        name_ja=fields.pop("name_ja", "正面入口"),
        name_en=fields.pop("name_en", "Main door"),
        kind=fields.pop("kind", ListKind.MAIN_DOOR),
        admission=fields.pop("admission", Admission.EVERYONE),
        **fields,
    )
    db.session.add(checkin_list)
    db.session.commit()
    return checkin_list


__all__ = ["make_list", "make_registration", "make_ticket_type", "services"]
