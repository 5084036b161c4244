"""Registration rules: tickets, capacity, waiting lists, seminar sign-ups, the attendee's data.

Every booking locks the row that carries the capacity (ticket type or session) with
`SELECT ... FOR UPDATE` and counts the places held in the same transaction, so no ticket type
or seminar is ever oversold, also with several app processes on PostgreSQL. On SQLite the
lock is a no-op UPDATE of that row, which takes the database's single write lock first.
"""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from icalendar import Calendar, Event
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from convention.accounts.models import NO_ADDRESS_DOMAIN, ParticipantCategory, Role, User, UserRole
from convention.countries import is_country
from convention.events.models import Edition, Session, SessionKind, Visibility
from convention.extensions import db, positive_int
from convention.mail import services as mail
from convention.refusals import Refusal
from convention.registration.models import (
    Registration,
    RegistrationStatus,
    SessionSignup,
    SignupStatus,
    TicketType,
    University,
    new_badge_token,
)
from convention.spreadsheet import csv_text, safe_cell
from convention.timeutil import local, utcnow
from convention.web import format_local

RS = RegistrationStatus
SS = SignupStatus


class RegistrationError(Refusal):
    """A rule refused the change; `field` names the form field the message belongs to."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.field = field


# ---------------------------------------------------------------------------------------------
# State machines: the only allowed moves. Anything else is refused.

REGISTRATION_TRANSITIONS: dict[RegistrationStatus, frozenset[RegistrationStatus]] = {
    RS.PENDING_APPROVAL: frozenset(
        {RS.CONFIRMED, RS.AWAITING_PAYMENT, RS.WAITLISTED, RS.REJECTED, RS.CANCELLED}
    ),
    RS.WAITLISTED: frozenset({RS.CONFIRMED, RS.AWAITING_PAYMENT, RS.REJECTED, RS.CANCELLED}),
    RS.AWAITING_PAYMENT: frozenset({RS.CONFIRMED, RS.CANCELLED}),
    RS.CONFIRMED: frozenset({RS.CANCELLED}),
    # Registering again after cancelling reuses the row (one registration per person).
    RS.CANCELLED: frozenset(
        {RS.PENDING_APPROVAL, RS.WAITLISTED, RS.AWAITING_PAYMENT, RS.CONFIRMED}
    ),
    RS.REJECTED: frozenset(),
}

SIGNUP_TRANSITIONS: dict[SignupStatus, frozenset[SignupStatus]] = {
    SS.PENDING_APPROVAL: frozenset({SS.CONFIRMED, SS.WAITLISTED, SS.REJECTED, SS.CANCELLED}),
    SS.WAITLISTED: frozenset({SS.CONFIRMED, SS.CANCELLED}),
    SS.CONFIRMED: frozenset({SS.CANCELLED}),
    SS.CANCELLED: frozenset({SS.CONFIRMED, SS.WAITLISTED, SS.PENDING_APPROVAL}),
    SS.REJECTED: frozenset(),
}

# Statuses that occupy a place of the ticket type / the session.
HOLDS_TICKET = (RS.CONFIRMED, RS.AWAITING_PAYMENT)
HOLDS_SEAT = (SS.CONFIRMED,)
# Registrations still in play (may choose seminars, see their page).
ACTIVE = (RS.CONFIRMED, RS.AWAITING_PAYMENT, RS.PENDING_APPROVAL, RS.WAITLISTED)
MAY_CHOOSE_SESSIONS = (RS.CONFIRMED, RS.AWAITING_PAYMENT, RS.PENDING_APPROVAL)
# Sign-ups that count when looking for a clash.
ACTIVE_SIGNUP = (SS.CONFIRMED, SS.WAITLISTED, SS.PENDING_APPROVAL)
# The matching feature books its own sessions.
SIGNUP_KINDS = tuple(kind for kind in SessionKind if kind != SessionKind.MATCHING)

STATUS_LABELS = {
    RS.PENDING_APPROVAL: _l("Waiting for the organisers' approval"),
    RS.WAITLISTED: _l("On the waiting list"),
    RS.AWAITING_PAYMENT: _l("Awaiting payment"),
    RS.CONFIRMED: _l("Confirmed"),
    RS.CANCELLED: _l("Cancelled"),
    RS.REJECTED: _l("Declined"),
}
SIGNUP_LABELS = {
    SS.CONFIRMED: _l("Place confirmed"),
    SS.WAITLISTED: _l("On the waiting list"),
    SS.PENDING_APPROVAL: _l("Waiting for approval"),
    SS.CANCELLED: _l("Cancelled"),
    SS.REJECTED: _l("Declined"),
}


def move(record: Registration | SessionSignup, new_status) -> None:
    """Change a registration's or sign-up's status if the state machine allows it."""
    table = REGISTRATION_TRANSITIONS if isinstance(record, Registration) else SIGNUP_TRANSITIONS
    if new_status not in table[record.status]:
        raise RegistrationError(
            _l(
                "This cannot change from “%(old)s” to “%(new)s”.",
                old=_label(record.status),
                new=_label(new_status),
            )
        )
    now = utcnow()
    record.status = new_status
    if new_status in (RS.CONFIRMED, SS.CONFIRMED):
        record.confirmed_at = now
    if new_status in (RS.CANCELLED, SS.CANCELLED, RS.REJECTED, SS.REJECTED):
        record.cancelled_at = now
    if new_status not in (RS.WAITLISTED, SS.WAITLISTED):
        record.waitlist_rank = None


def _label(status) -> str:
    labels = STATUS_LABELS if isinstance(status, RegistrationStatus) else SIGNUP_LABELS
    return str(labels.get(status, status))


# ---------------------------------------------------------------------------------------------
# Answers

SECTORS = {
    "energy": _l("Energy and utilities"),
    "manufacturing": _l("Manufacturing"),
    "construction": _l("Construction and real estate"),
    "transport": _l("Transport and logistics"),
    "finance": _l("Finance and insurance"),
    "ict": _l("Information and communication technology"),
    "consulting": _l("Consulting and services"),
    "government": _l("Government and public bodies"),
    "academia": _l("University and research"),
    "ngo": _l("NGO / NPO"),
    "media": _l("Media"),
    "other": _l("Other"),
}
STUDY_YEARS = ("B1", "B2", "B3", "B4", "B5", "B6", "M1", "M2", "D1", "D2", "D3", "other")
TEXT_LIMITS = {
    "organization": 200,
    "department": 200,
    "job_title": 200,
    "dietary_needs": 500,
    "accessibility_needs": 500,
    "university_other": 200,
    "faculty": 200,
}
ANSWER_FIELDS = (
    *TEXT_LIMITS,
    "country",
    "sector",
    "interpretation_headset",
    "university_id",
    "study_year",
    "consent_share_with_sponsors",
)


def _clean_text(name: str, value) -> str:
    value = "" if value is None else str(value)
    value = value.strip()
    if any(ord(char) < 32 and char not in "\n\t" for char in value):
        raise RegistrationError(_l("This contains characters that are not allowed."), field=name)
    if len(value) > TEXT_LIMITS[name]:
        raise RegistrationError(
            _l("Use at most %(count)d characters.", count=TEXT_LIMITS[name]), field=name
        )
    return value


def clean_answers(answers: Mapping, category: ParticipantCategory) -> dict:
    """Check the answers to the registration questions; raise RegistrationError on the first
    bad one. Unknown keys are ignored: only the known questions are ever stored."""
    cleaned: dict = {name: _clean_text(name, answers.get(name)) for name in TEXT_LIMITS}
    country = str(answers.get("country") or "JP").strip().upper()
    if not is_country(country):
        raise RegistrationError(_l("Choose a country or region from the list."), field="country")
    cleaned["country"] = country
    sector = str(answers.get("sector") or "").strip()
    if sector and sector not in SECTORS:
        raise RegistrationError(_l("Choose a sector from the list."), field="sector")
    cleaned["sector"] = sector
    cleaned["interpretation_headset"] = bool(answers.get("interpretation_headset"))
    cleaned["consent_share_with_sponsors"] = bool(answers.get("consent_share_with_sponsors"))

    university_id = answers.get("university_id")
    if university_id in ("", None, "other"):
        university_id = None
    if university_id is not None:
        try:
            university = db.session.get(University, int(university_id))
        except (TypeError, ValueError):
            university = None
        if university is None:
            raise RegistrationError(_l("Choose a university from the list."), field="university")
        university_id = university.id
    cleaned["university_id"] = university_id
    study_year = str(answers.get("study_year") or "").strip()
    if study_year and study_year not in STUDY_YEARS:
        raise RegistrationError(_l("Choose a year from the list."), field="study_year")
    cleaned["study_year"] = study_year

    if category == ParticipantCategory.STUDENT:
        if university_id is None and not cleaned["university_other"]:
            raise RegistrationError(
                _l("Choose your university, or “Other” and type its name."), field="university"
            )
        if not cleaned["faculty"]:
            raise RegistrationError(_l("Enter your faculty or department."), field="faculty")
        if not study_year:
            raise RegistrationError(_l("Choose your year of study."), field="study_year")
    else:
        cleaned.update(university_id=None, university_other="", faculty="", study_year="")
    return cleaned


def _apply_answers(registration: Registration, cleaned: dict) -> None:
    if cleaned["consent_share_with_sponsors"] != bool(registration.consent_share_with_sponsors):
        registration.consent_changed_at = utcnow()
    for name, value in cleaned.items():
        setattr(registration, name, value)


def update_answers(registration: Registration, answers: Mapping) -> Registration:
    """The attendee edits their answers (not the ticket type)."""
    if registration.status not in ACTIVE:
        raise RegistrationError(_l("This registration is closed and cannot be changed."))
    _apply_answers(registration, clean_answers(answers, registration.category))
    db.session.commit()
    return registration


# ---------------------------------------------------------------------------------------------
# Locks and counts


def _lock(model, row_id: int):
    """Lock one row for the rest of the transaction and return it freshly loaded."""
    if db.engine.dialect.name == "sqlite":
        # SQLite has no row locks: a write takes the database's write lock, serialising us.
        table = model.__table__
        db.session.execute(update(table).where(table.c.id == row_id).values(id=table.c.id))
    return db.session.scalars(
        select(model)
        .where(model.id == row_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def held_count(ticket_type: TicketType) -> int:
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.ticket_type_id == ticket_type.id, Registration.status.in_(HOLDS_TICKET)
        )
    )


def seat_count(session: Session) -> int:
    return db.session.scalar(
        select(func.count(SessionSignup.id)).where(
            SessionSignup.session_id == session.id, SessionSignup.status.in_(HOLDS_SEAT)
        )
    )


def _next_rank(model, column, value) -> int:
    """The rank after the last person waiting: first come, first served."""
    waitlisted = RS.WAITLISTED if model is Registration else SS.WAITLISTED
    highest = db.session.scalar(
        select(func.max(model.waitlist_rank)).where(column == value, model.status == waitlisted)
    )
    return (highest or 0) + 1


def _waitlist_query(model, column, value):
    waitlisted = RS.WAITLISTED if model is Registration else SS.WAITLISTED
    return (
        select(model)
        .where(column == value, model.status == waitlisted)
        .order_by(
            model.waitlist_rank.asc().nulls_last(),
            model.waitlisted_at.asc(),
            model.id.asc(),
        )
    )


def waitlist(target: TicketType | Session) -> list:
    """The waiting list of a ticket type (registrations) or a session (sign-ups), in order."""
    if isinstance(target, TicketType):
        query = _waitlist_query(Registration, Registration.ticket_type_id, target.id)
    else:
        query = _waitlist_query(SessionSignup, SessionSignup.session_id, target.id)
    return list(db.session.scalars(query))


@dataclass
class Availability:
    target: TicketType | Session
    capacity: int | None
    held: int
    waiting: int

    @property
    def remaining(self) -> int | None:
        if self.capacity is None:
            return None
        return max(self.capacity - self.held, 0)

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.held >= self.capacity


def _status_counts(key, status, targets: list) -> dict[tuple[int, object], int]:
    """How many rows per (target id, status), for all targets in one query."""
    if not targets:
        return {}
    rows = db.session.execute(
        select(key, status, func.count())
        .where(key.in_([target.id for target in targets]))
        .group_by(key, status)
    )
    return {(target_id, state): number for target_id, state, number in rows}


def ticket_availability(ticket_types: Iterable[TicketType]) -> dict[int, Availability]:
    """Places held and people waiting per ticket type, in one query."""
    types = list(ticket_types)
    counts = _status_counts(Registration.ticket_type_id, Registration.status, types)
    return {
        t.id: Availability(
            t,
            t.capacity,
            sum(counts.get((t.id, s), 0) for s in HOLDS_TICKET),
            counts.get((t.id, RS.WAITLISTED), 0),
        )
        for t in types
    }


def session_availability(sessions: Iterable[Session]) -> dict[int, Availability]:
    items = list(sessions)
    counts = _status_counts(SessionSignup.session_id, SessionSignup.status, items)
    return {
        s.id: Availability(
            s, s.capacity, counts.get((s.id, SS.CONFIRMED), 0), counts.get((s.id, SS.WAITLISTED), 0)
        )
        for s in items
    }


# ---------------------------------------------------------------------------------------------
# Ticket types


def ticket_types_on_offer(edition: Edition, access_code: str | None = None) -> list[TicketType]:
    """Public types, plus the hidden ones whose access code was given."""
    types = db.session.scalars(
        select(TicketType)
        .where(TicketType.edition_id == edition.id)
        .order_by(TicketType.position, TicketType.id)
    ).all()
    return [t for t in types if not t.is_hidden or code_matches(t.access_code, access_code)]


def code_matches(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return secrets.compare_digest(
        expected.strip().casefold().encode(), given.strip().casefold().encode()
    )


def sales_state(ticket_type: TicketType, now: datetime | None = None) -> str:
    """ "open", "not_yet" or "ended"."""
    now = now or utcnow()
    if ticket_type.sales_start and now < ticket_type.sales_start:
        return "not_yet"
    if ticket_type.sales_end and now >= ticket_type.sales_end:
        return "ended"
    return "open"


def sales_over(ticket_types: Iterable[TicketType], now: datetime | None = None) -> bool:
    """True when no ticket type will sell any more (live counts can stop polling)."""
    return all(sales_state(t, now) == "ended" for t in ticket_types)


def check_ticket_type(
    ticket_type: TicketType | None, edition: Edition | None, access_code: str | None
) -> TicketType:
    """The ticket type may be bought now by someone who knows `access_code`."""
    if (
        ticket_type is None
        or (edition is not None and ticket_type.edition_id != edition.id)
        or (ticket_type.is_hidden and not code_matches(ticket_type.access_code, access_code))
    ):
        raise RegistrationError(_l("Choose one of the tickets on offer."), field="ticket_type")
    state = sales_state(ticket_type)
    if state == "not_yet":
        raise RegistrationError(
            _l(
                "Sales for this ticket open on %(when)s.",
                when=format_local(ticket_type.sales_start),
            ),
            field="ticket_type",
        )
    if state == "ended":
        raise RegistrationError(
            _l(
                "Sales for this ticket closed on %(when)s.",
                when=format_local(ticket_type.sales_end),
            ),
            field="ticket_type",
        )
    return ticket_type


@dataclass
class TicketTypeData:
    name_ja: str
    name_en: str
    category: ParticipantCategory
    price: int = 0
    capacity: int | None = None
    sales_start: datetime | None = None
    sales_end: datetime | None = None
    requires_approval: bool = False
    access_code: str | None = None
    description_ja: str = ""
    description_en: str = ""
    position: int = 0


def save_ticket_type(
    edition: Edition, data: TicketTypeData, ticket_type: TicketType | None = None
) -> TicketType:
    """Create or edit a ticket type; a raised capacity promotes the waiting list at once."""
    if data.price < 0:
        raise RegistrationError(_l("The price cannot be negative."), field="price")
    if data.capacity is not None and data.capacity < 0:
        raise RegistrationError(_l("The capacity cannot be negative."), field="capacity")
    if data.sales_start and data.sales_end and data.sales_end <= data.sales_start:
        raise RegistrationError(_l("Sales must end after they start."), field="sales_end")
    if ticket_type is None:
        ticket_type = TicketType(edition_id=edition.id)
        db.session.add(ticket_type)
    elif data.capacity is not None:
        ticket_type = _lock(TicketType, ticket_type.id)
        if data.capacity < held_count(ticket_type):
            raise RegistrationError(
                _l(
                    "%(count)d people already hold this ticket: the capacity cannot be lower.",
                    count=held_count(ticket_type),
                ),
                field="capacity",
            )
    for name, value in vars(data).items():
        setattr(ticket_type, name, value)
    ticket_type.access_code = (data.access_code or "").strip() or None
    db.session.flush()
    promote_waitlist(ticket_type, commit=False)
    _commit()
    return ticket_type


# ---------------------------------------------------------------------------------------------
# Registering


def _place_status(ticket_type: TicketType) -> RegistrationStatus:
    return RS.AWAITING_PAYMENT if ticket_type.price > 0 else RS.CONFIRMED


def _seat(registration: Registration, ticket_type: TicketType) -> None:
    """Give a place if one is free (ticket type row locked by the caller), else the waiting
    list."""
    if ticket_type.capacity is None or held_count(ticket_type) < ticket_type.capacity:
        move(registration, _place_status(ticket_type))
    else:
        rank = _next_rank(Registration, Registration.ticket_type_id, ticket_type.id)
        move(registration, RS.WAITLISTED)
        registration.waitlist_rank = rank
        registration.waitlisted_at = utcnow()


def register(
    user: User,
    ticket_type: TicketType,
    answers: Mapping,
    access_code: str | None = None,
    *,
    edition: Edition | None = None,
    notify: bool = True,
) -> Registration:
    """Register `user` for the edition of `ticket_type`.

    The result is confirmed, waitlisted (full), pending_approval (the type needs the organisers'
    approval) or awaiting_payment (paid type). `edition` (optional) is the edition the form was
    for: a ticket type of another edition is refused as if it did not exist."""
    check_ticket_type(ticket_type, edition, access_code)
    cleaned = clean_answers(answers, ticket_type.category)
    try:
        ticket_type = _lock(TicketType, ticket_type.id)
        existing = db.session.scalars(
            select(Registration).where(
                Registration.edition_id == ticket_type.edition_id,
                Registration.user_id == user.id,
            )
        ).one_or_none()
        if existing is not None and existing.status != RS.CANCELLED:
            raise RegistrationError(_already_message(existing))
        registration = existing or Registration(
            edition_id=ticket_type.edition_id, user_id=user.id, status=RS.CANCELLED
        )
        if existing is not None:
            # A new badge: the one of the cancelled registration stays refused.
            registration.badge_token = new_badge_token()
            registration.cancelled_at = None
            registration.confirmed_at = None
            registration.created_at = utcnow()
        registration.ticket_type_id = ticket_type.id
        registration.ticket_type = ticket_type
        registration.category = ticket_type.category
        _apply_answers(registration, cleaned)
        if existing is None:
            db.session.add(registration)
        if ticket_type.requires_approval:
            move(registration, RS.PENDING_APPROVAL)
        else:
            _seat(registration, ticket_type)
        db.session.flush()
    except IntegrityError:
        # Two submissions of the same person raced: the unique constraint kept one.
        db.session.rollback()
        raise RegistrationError(_l("You are already registered for this convention.")) from None
    except RegistrationError:
        db.session.rollback()
        raise
    if registration.status == RS.AWAITING_PAYMENT:
        _start_payment(registration)
    if notify:
        send_confirmation(registration)
    _commit()
    return registration


def _already_message(existing: Registration) -> str:
    if existing.status == RS.REJECTED:
        return str(
            _l("Your registration for this convention was declined. Please contact the organisers.")
        )
    return str(
        _l(
            "You are already registered for this convention (%(status)s). "
            "See your registration page.",
            status=_label(existing.status),
        )
    )


_ORDERS_TO_CREATE = "registration.orders_to_create"


def _start_payment(registration: Registration) -> None:
    """A paid place waits for payment (AWAITING_PAYMENT). Billing's order is made after our
    commit (`_commit`), because billing commits on its own and must not release our row lock
    in the middle of filling places."""
    db.session.info.setdefault(_ORDERS_TO_CREATE, []).append(registration.id)


def _commit() -> None:
    db.session.commit()
    _create_orders()


def _create_orders() -> None:
    from convention.billing import services as billing

    for registration_id in db.session.info.pop(_ORDERS_TO_CREATE, []):
        registration = db.session.get(Registration, registration_id)
        if registration is None or registration.status != RS.AWAITING_PAYMENT:
            continue
        if billing.order_for_source("registration", registration.id) is not None:
            continue
        try:
            billing.create_order_for_registration(registration)
        except billing.BillingError:
            # e.g. the issuer settings are incomplete: the order waits as a draft and the
            # registration keeps its place, awaiting payment.
            db.session.rollback()
            current_app.logger.warning("no invoice for registration %s", registration_id)


def payment_order(registration: Registration):
    """The billing order of an unpaid registration, made now if none exists yet (a place
    given by a billing callback waits for this, since callbacks must not commit)."""
    from convention.billing import services as billing

    if registration.status != RS.AWAITING_PAYMENT:
        return None
    order = billing.order_for_source("registration", registration.id)
    if order is None:
        _start_payment(registration)
        _create_orders()
        order = billing.order_for_source("registration", registration.id)
    return order


def on_ticket_paid(order) -> None:
    """Billing calls this inside the transaction that records the payment (no commit here)."""
    registration = db.session.get(Registration, order.source_id or 0)
    if registration is None or registration.status != RS.AWAITING_PAYMENT:
        return
    move(registration, RS.CONFIRMED)
    send_confirmation(registration)


def on_ticket_order_cancelled(order) -> None:
    """An unpaid ticket order was cancelled: the reserved place goes to the waiting list."""
    registration = db.session.get(Registration, order.source_id or 0)
    if registration is None or registration.status != RS.AWAITING_PAYMENT:
        return
    _cancel(registration, by_organiser=True)


def mark_paid(registration: Registration) -> Registration:
    """Billing calls this once the registration's order is paid: the badge becomes valid."""
    registration = _lock(Registration, registration.id)
    if registration.status == RS.CONFIRMED:
        return registration
    move(registration, RS.CONFIRMED)
    send_confirmation(registration)
    db.session.commit()
    return registration


def cancel(registration: Registration, *, by_organiser: bool = False) -> Registration:
    """Cancel a registration: its place and its seminar places go to the waiting lists, and
    an unpaid ticket invoice is cancelled (a paid one waits for the organiser's refund)."""
    _cancel(registration, by_organiser=by_organiser)
    _commit()
    _cancel_unpaid_order(registration)
    return registration


def _cancel_unpaid_order(registration: Registration) -> None:
    from convention.billing import services as billing
    from convention.billing.models import OrderStatus

    order = billing.order_for_source("registration", registration.id)
    if order is None or order.payments:
        return
    if order.status in (OrderStatus.DRAFT, OrderStatus.INVOICED):
        billing.cancel_order(order, str(_l("Registration cancelled")))


def _cancel(registration: Registration, *, by_organiser: bool) -> None:
    ticket_type = _lock(TicketType, registration.ticket_type_id)
    db.session.refresh(registration)
    held_place = registration.status in HOLDS_TICKET
    move(registration, RS.CANCELLED)
    _release_signups(registration)
    if held_place:
        promote_waitlist(ticket_type, commit=False)
    mail.queue(
        registration.user.email,
        "registration/cancelled",
        language=registration.user.language,
        registration=registration,
        by_organiser=by_organiser,
    )


def _release_signups(registration: Registration) -> None:
    active = [s for s in registration.signups if s.status in ACTIVE_SIGNUP]
    for signup in sorted(active, key=lambda s: s.session_id):
        session = _lock(Session, signup.session_id)
        had_seat = signup.status in HOLDS_SEAT
        move(signup, SS.CANCELLED)
        if had_seat:
            db.session.flush()
            promote_waitlist(session, commit=False)


def promote_waitlist(target: TicketType | Session, *, commit: bool = True) -> list:
    """Fill free places from the front of the waiting list, emailing each person promoted.

    Called after a cancellation and when an organiser raises the capacity."""
    if isinstance(target, TicketType):
        promoted = _promote_registrations(target)
    else:
        promoted = _promote_signups(target)
    if commit:
        _commit()
    return promoted


def _promote_registrations(ticket_type: TicketType) -> list[Registration]:
    ticket_type = _lock(TicketType, ticket_type.id)
    db.session.flush()
    free = None if ticket_type.capacity is None else ticket_type.capacity - held_count(ticket_type)
    promoted = []
    for registration in waitlist(ticket_type):
        if free is not None and free <= 0:
            break
        move(registration, _place_status(ticket_type))
        if registration.status == RS.AWAITING_PAYMENT:
            _start_payment(registration)
        _notify_promoted(registration)
        promoted.append(registration)
        if free is not None:
            free -= 1
    db.session.flush()
    return promoted


def _promote_signups(session: Session) -> list[SessionSignup]:
    session = _lock(Session, session.id)
    db.session.flush()
    free = None if session.capacity is None else session.capacity - seat_count(session)
    promoted = []
    for signup in waitlist(session):
        if free is not None and free <= 0:
            break
        move(signup, SS.CONFIRMED)
        _notify_signup(signup, "registration/signup_promoted")
        promoted.append(signup)
        if free is not None:
            free -= 1
    db.session.flush()
    return promoted


def _notify_promoted(registration: Registration) -> None:
    send_confirmation(registration, template="registration/promoted")


# Organiser actions on registrations ---------------------------------------------------------


def approve(registration: Registration) -> Registration:
    """Approve a pending registration: a place if one is free, else the waiting list."""
    ticket_type = _lock(TicketType, registration.ticket_type_id)
    db.session.refresh(registration)
    if registration.status != RS.PENDING_APPROVAL:
        raise RegistrationError(_l("Only registrations waiting for approval can be approved."))
    _seat(registration, ticket_type)
    db.session.flush()
    if registration.status == RS.AWAITING_PAYMENT:
        _start_payment(registration)
    send_confirmation(registration, template="registration/promoted")
    _commit()
    return registration


def reject(registration: Registration) -> Registration:
    ticket_type = _lock(TicketType, registration.ticket_type_id)
    db.session.refresh(registration)
    held_place = registration.status in HOLDS_TICKET
    move(registration, RS.REJECTED)
    _release_signups(registration)
    if held_place:
        promote_waitlist(ticket_type, commit=False)
    mail.queue(
        registration.user.email,
        "registration/rejected",
        language=registration.user.language,
        registration=registration,
    )
    _commit()
    return registration


def promote(record: Registration | SessionSignup):
    """An organiser gives a waiting person a free place out of turn (never beyond capacity)."""
    if isinstance(record, Registration):
        target = _lock(TicketType, record.ticket_type_id)
        db.session.refresh(record)
        if record.status != RS.WAITLISTED:
            raise RegistrationError(_l("Only people on the waiting list can be promoted."))
        if target.capacity is not None and held_count(target) >= target.capacity:
            raise RegistrationError(_full_message())
        move(record, _place_status(target))
        if record.status == RS.AWAITING_PAYMENT:
            _start_payment(record)
        _notify_promoted(record)
    else:
        target = _lock(Session, record.session_id)
        db.session.refresh(record)
        if record.status != SS.WAITLISTED:
            raise RegistrationError(_l("Only people on the waiting list can be promoted."))
        if target.capacity is not None and seat_count(target) >= target.capacity:
            raise RegistrationError(_full_message())
        move(record, SS.CONFIRMED)
        _notify_signup(record, "registration/signup_promoted")
    _commit()
    return record


def _full_message():
    return _l(
        "There is no free place. Raise the capacity, or move this person to the top of the "
        "waiting list."
    )


def reorder(target: TicketType | Session, ordered_ids: list[int]) -> list:
    """Set the waiting-list order by hand: `ordered_ids` first, in that order, then the rest."""
    if isinstance(target, TicketType):
        _lock(TicketType, target.id)
    else:
        _lock(Session, target.id)
    current = waitlist(target)
    by_id = {record.id: record for record in current}
    if any(record_id not in by_id for record_id in ordered_ids):
        raise RegistrationError(_l("Someone in that order is not on this waiting list."))
    new_order = [by_id[i] for i in ordered_ids] + [r for r in current if r.id not in ordered_ids]
    for rank, record in enumerate(new_order, start=1):
        record.waitlist_rank = rank
    db.session.commit()
    return new_order


def move_in_waitlist(record: Registration | SessionSignup, offset: int) -> list:
    """Move one person up (negative offset) or down the waiting list."""
    target = record.ticket_type if isinstance(record, Registration) else record.session
    ids = [r.id for r in waitlist(target)]
    if record.id not in ids:
        raise RegistrationError(_l("This person is not on the waiting list."))
    index = ids.index(record.id)
    ids.pop(index)
    ids.insert(max(0, min(len(ids), index + offset)), record.id)
    return reorder(target, ids)


def reissue_badge(registration: Registration) -> Registration:
    """A new badge token: the old QR code (lost or shared badge) is refused from now on."""
    registration.badge_token = new_badge_token()
    db.session.commit()
    return registration


# ---------------------------------------------------------------------------------------------
# Seminar sign-up


def sessions_open_for_signup(edition: Edition) -> list[Session]:
    return list(
        db.session.scalars(
            select(Session)
            .where(Session.edition_id == edition.id, Session.kind.in_(SIGNUP_KINDS))
            .order_by(Session.starts_at, Session.id)
        )
    )


def sign_up_for_session(
    registration: Registration, session: Session, invitation_code: str | None = None
) -> SessionSignup:
    """Book a seat, or the waiting list when full. Closed workshops need the invitation code,
    otherwise the request waits for an organiser's approval."""
    if session.edition_id != registration.edition_id or session.kind not in SIGNUP_KINDS:
        raise RegistrationError(_l("This session is not open for sign-up."))
    if registration.status not in MAY_CHOOSE_SESSIONS:
        raise RegistrationError(
            _l("You can choose seminars once your registration for the convention is accepted.")
        )
    if session.is_over:
        raise RegistrationError(_l("This session is over."))
    invited = False
    if session.visibility == Visibility.CLOSED and invitation_code:
        if not code_matches(session.invitation_code, invitation_code):
            raise RegistrationError(
                _l("This invitation code is not valid for this session."), field="invitation_code"
            )
        invited = True
    session = _lock(Session, session.id)
    signup = db.session.scalars(
        select(SessionSignup).where(
            SessionSignup.registration_id == registration.id,
            SessionSignup.session_id == session.id,
        )
    ).one_or_none()
    if signup is not None and signup.status != SS.CANCELLED:
        db.session.rollback()
        if signup.status == SS.REJECTED:
            raise RegistrationError(_l("The organisers declined your request for this session."))
        raise RegistrationError(_l("You have already signed up for this session."))
    clash = _clash(registration, session)
    if clash is not None:
        db.session.rollback()
        raise RegistrationError(
            _l(
                "This overlaps with “%(title)s” (%(when)s), which you have already chosen. "
                "Cancel that one first.",
                title=_localized_title(clash),
                when=format_local(clash.starts_at),
            ),
            field="session",
        )
    if signup is None:
        signup = SessionSignup(
            registration_id=registration.id, session_id=session.id, status=SS.CANCELLED
        )
        signup.session = session
        db.session.add(signup)
    signup.cancelled_at = None
    if session.visibility == Visibility.CLOSED and not invited:
        move(signup, SS.PENDING_APPROVAL)
    else:
        _seat_signup(signup, session)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise RegistrationError(_l("You have already signed up for this session.")) from None
    db.session.commit()
    return signup


def _seat_signup(signup: SessionSignup, session: Session) -> None:
    if session.capacity is None or seat_count(session) < session.capacity:
        move(signup, SS.CONFIRMED)
    else:
        rank = _next_rank(SessionSignup, SessionSignup.session_id, session.id)
        move(signup, SS.WAITLISTED)
        signup.waitlist_rank = rank
        signup.waitlisted_at = utcnow()


def _clash(registration: Registration, session: Session) -> Session | None:
    others = db.session.scalars(
        select(Session)
        .join(SessionSignup, SessionSignup.session_id == Session.id)
        .where(
            SessionSignup.registration_id == registration.id,
            SessionSignup.status.in_(ACTIVE_SIGNUP),
            Session.id != session.id,
            Session.starts_at < session.ends_at,
            Session.ends_at > session.starts_at,
        )
        .order_by(Session.starts_at)
    ).first()
    return others


def _localized_title(session: Session) -> str:
    from convention.i18n import localized

    return localized(session, "title")


def cancel_signup(signup: SessionSignup) -> SessionSignup:
    """Give up a seat (or a place in line); the first person waiting gets the seat."""
    session = _lock(Session, signup.session_id)
    db.session.refresh(signup)
    had_seat = signup.status in HOLDS_SEAT
    move(signup, SS.CANCELLED)
    db.session.flush()
    if had_seat:
        promote_waitlist(session, commit=False)
    db.session.commit()
    return signup


def approve_signup(signup: SessionSignup) -> SessionSignup:
    """An organiser admits a request for a closed workshop (seat if free, else waiting list)."""
    session = _lock(Session, signup.session_id)
    db.session.refresh(signup)
    if signup.status != SS.PENDING_APPROVAL:
        raise RegistrationError(_l("Only requests waiting for approval can be approved."))
    _seat_signup(signup, session)
    _notify_signup(signup, "registration/signup_promoted")
    db.session.commit()
    return signup


def reject_signup(signup: SessionSignup) -> SessionSignup:
    _lock(Session, signup.session_id)
    db.session.refresh(signup)
    if signup.status != SS.PENDING_APPROVAL:
        raise RegistrationError(_l("Only requests waiting for approval can be declined."))
    move(signup, SS.REJECTED)
    _notify_signup(signup, "registration/signup_rejected")
    db.session.commit()
    return signup


def end_sales(ticket_type: TicketType, now: datetime | None = None) -> None:
    """Stop selling a ticket type now: its access code no longer opens registration. No commit,
    so another feature can call it inside its own transaction (billing's cancellation hook)."""
    now = now or utcnow()
    if ticket_type.sales_end is None or ticket_type.sales_end > now:
        ticket_type.sales_end = now


def update_session_capacity(session: Session, capacity: int | None) -> list[SessionSignup]:
    """Change a session's capacity (events may call this); a raise promotes the waiting list."""
    session = _lock(Session, session.id)
    if capacity is not None and capacity < seat_count(session):
        db.session.rollback()
        raise RegistrationError(
            _l("More people already have a seat: the capacity cannot be lower."), field="capacity"
        )
    session.capacity = capacity
    db.session.flush()
    promoted = _promote_signups(session)
    db.session.commit()
    return promoted


def _notify_signup(signup: SessionSignup, template: str) -> None:
    user = signup.registration.user
    mail.queue(
        user.email,
        template,
        language=user.language,
        signup=signup,
        session=signup.session,
        user=user,
        page_url=_external("registration.my_registration"),
    )


# ---------------------------------------------------------------------------------------------
# Badge, calendar, confirmation email


def badge_svg(registration: Registration) -> str:
    """The QR badge as inline SVG (check-in's QR helper). It carries only the badge token."""
    from convention.checkin.badges import qr_svg

    return qr_svg(
        registration.badge_token, label=_l("QR code of your badge"), css_class="qr badge-qr"
    )


def badge_png(registration: Registration) -> bytes:
    from convention.checkin.badges import qr_png

    return qr_png(registration.badge_token, box_size=10)


def badge_pdf(registration: Registration) -> bytes:
    """The printable A6 badge (check-in's layout)."""
    from convention.checkin.badges import badge_from_registration
    from convention.checkin.badges import badge_pdf as render

    return render([badge_from_registration(registration)], sheet=False)


def my_sessions(registration: Registration, statuses=(SS.CONFIRMED,)) -> list[Session]:
    return list(
        db.session.scalars(
            select(Session)
            .join(SessionSignup, SessionSignup.session_id == Session.id)
            .where(
                SessionSignup.registration_id == registration.id,
                SessionSignup.status.in_(statuses),
            )
            .order_by(Session.starts_at)
        )
    )


def calendar_ics(registration: Registration, language: str | None = None) -> bytes:
    """The convention days and my confirmed sessions as an iCalendar file (the events
    feature's format, plus one all-day entry per edition)."""
    from convention.events.services import calendar_for

    language = language or registration.user.language or "ja"
    edition = registration.edition
    name = _pick(edition, "name", language)
    calendar = Calendar.from_ical(calendar_for(my_sessions(registration), language, name=name))
    day = Event()
    day.add("uid", f"edition-{edition.id}-{registration.id}@convention.example")
    day.add("dtstamp", utcnow().replace(microsecond=0))
    day.add("summary", name)
    day.add("dtstart", edition.start_date)
    day.add("dtend", edition.end_date + timedelta(days=1))
    day.add("transp", "TRANSPARENT")
    venue = _pick(edition, "venue", language)
    if venue:
        day.add("location", venue)
    calendar.add_component(day)
    from convention.matching.services import meeting_events  # my business meetings too

    for event in meeting_events(registration, language):
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _pick(obj, field: str, language: str) -> str:
    other = "en" if language == "ja" else "ja"
    return getattr(obj, f"{field}_{language}", "") or getattr(obj, f"{field}_{other}", "") or ""


def _external(endpoint: str, **values) -> str:
    return mail.absolute_url(endpoint, **values)


def calendar_feed_url(registration: Registration) -> str:
    return _external("registration.calendar_feed", token=registration.calendar_token)


def send_confirmation(
    registration: Registration, template: str = "registration/confirmation"
) -> None:
    """The email for the registration's current status; a confirmed one carries the badge
    (PNG) and the calendar (.ics)."""
    user = registration.user
    attachments = []
    if registration.status == RS.CONFIRMED:
        attachments.append(mail.attachment("badge.png", "image/png", badge_png(registration)))
    if registration.status in ACTIVE:
        attachments.append(
            mail.attachment(
                "convention.ics", "text/calendar", calendar_ics(registration, user.language)
            )
        )
    mail.queue(
        user.email,
        template,
        language=user.language,
        attachments=attachments or None,
        registration=registration,
        user=user,
        status=registration.status.value,
        page_url=_external("registration.my_registration"),
        feed_url=calendar_feed_url(registration),
    )


def resend_calendar(registration: Registration) -> None:
    """Email my agenda again (after choosing seminars)."""
    send_confirmation(registration, template="registration/agenda")
    db.session.commit()


# ---------------------------------------------------------------------------------------------
# Personal data


def registration_for(user: User, edition: Edition | None) -> Registration | None:
    if edition is None or not user.is_authenticated:
        return None
    return db.session.scalars(
        select(Registration).where(
            Registration.edition_id == edition.id, Registration.user_id == user.id
        )
    ).one_or_none()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def export_my_data(user: User) -> dict:
    """Everything the app holds about one person's registrations (APPI disclosure)."""
    from convention.checkin.models import Scan

    registrations = db.session.scalars(
        select(Registration).where(Registration.user_id == user.id).order_by(Registration.id)
    ).all()
    data = {
        "generated_at": _iso(utcnow()),
        "user": {
            "email": user.email,
            "name": user.name,
            "organization": user.organization,
            "country": user.country,
            "category": str(user.category),
            "language": user.language,
            "email_verified_at": _iso(user.email_verified_at),
            "created_at": _iso(user.created_at),
            "deletion_requested_at": _iso(user.deletion_requested_at),
        },
        "registrations": [],
    }
    for registration in registrations:
        scans = db.session.scalars(
            select(Scan).where(Scan.registration_id == registration.id).order_by(Scan.scanned_at)
        ).all()
        data["registrations"].append(
            {
                "edition": registration.edition.name_en,
                "ticket_type": registration.ticket_type.name_en,
                "status": str(registration.status),
                "category": str(registration.category),
                "created_at": _iso(registration.created_at),
                "confirmed_at": _iso(registration.confirmed_at),
                "cancelled_at": _iso(registration.cancelled_at),
                "answers": {
                    name: getattr(registration, name)
                    for name in ANSWER_FIELDS
                    if name != "university_id"
                }
                | {
                    "university": registration.university.name_en
                    if registration.university
                    else None
                },
                "consent_changed_at": _iso(registration.consent_changed_at),
                "session_signups": [
                    {
                        "session": signup.session.title_en,
                        "starts_at": _iso(signup.session.starts_at),
                        "status": str(signup.status),
                        "created_at": _iso(signup.created_at),
                    }
                    for signup in registration.signups
                ],
                "scans": [
                    {
                        "list": scan.checkin_list.name_en,
                        "scanned_at": _iso(scan.scanned_at),
                        "direction": str(scan.direction),
                        "result": str(scan.result),
                        "reason": str(scan.reason) if scan.reason else None,
                    }
                    for scan in scans
                ],
            }
        )
    return data


def export_my_data_json(user: User) -> str:
    return json.dumps(export_my_data(user), ensure_ascii=False, indent=2)


def request_account_deletion(user: User) -> User:
    """Record the request and tell the organisers, who erase the account by hand."""
    if user.deletion_requested_at is None:
        user.deletion_requested_at = utcnow()
        organisers = db.session.scalars(
            select(User).join(UserRole).where(UserRole.role == Role.ORGANISER)
        ).all()
        for organiser in organisers:
            mail.queue(
                organiser.email,
                "registration/deletion_requested",
                language=organiser.language,
                person=user,
            )
        mail.queue(user.email, "registration/deletion_received", language=user.language, user=user)
    db.session.commit()
    return user


# ---------------------------------------------------------------------------------------------
# Organisers: the registrant list, exports, messages to a segment

PAGE_SIZE = 50
SORTS = {
    "newest": (Registration.created_at.desc(), Registration.id.desc()),
    "oldest": (Registration.created_at.asc(), Registration.id.asc()),
    "name": (User.name.asc(), Registration.id.asc()),
    "organization": (Registration.organization.asc(), Registration.id.asc()),
    "status": (Registration.status.asc(), Registration.created_at.asc()),
    "country": (Registration.country.asc(), Registration.id.asc()),
}


@dataclass
class Filters:
    q: str = ""
    category: str = ""
    ticket_type: str = ""
    status: str = ""
    country: str = ""
    university: str = ""
    sort: str = "newest"
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping) -> Filters:
        def text(name, limit=100):
            return str(args.get(name) or "").strip()[:limit]

        def an_id(value):  # a row's id, or "" (filters nothing) for what no id can be
            return str(positive_int(value) or "")

        page = text("page", 6)
        sort = text("sort", 20)
        university = text("university", 12)
        return cls(
            q=text("q"),
            category=text("category", 40),
            ticket_type=an_id(text("ticket_type", 12)),
            status=text("status", 40),
            country=text("country", 2).upper(),
            university=university if university in ("other", "in_city") else an_id(university),
            sort=sort if sort in SORTS else "newest",
            page=positive_int(page) or 1,
        )

    def args(self, **changes) -> dict:
        values = {**vars(self), **changes}
        return {key: value for key, value in values.items() if value not in ("", None)}


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def registrations_query(edition: Edition, filters: Filters):
    """Registrations of an edition with their person, ticket type and university, filtered and
    sorted; joined eagerly so a page is one query."""
    from sqlalchemy import or_
    from sqlalchemy.orm import contains_eager, lazyload

    query = (
        select(Registration)
        .join(Registration.user)
        .join(Registration.ticket_type)
        .outerjoin(Registration.university)
        .options(
            contains_eager(Registration.user).options(lazyload(User.role_rows)),
            contains_eager(Registration.ticket_type),
            contains_eager(Registration.university),
        )
        .where(Registration.edition_id == edition.id)
    )
    if filters.q:
        pattern = _like(filters.q)
        query = query.where(
            or_(
                User.name.ilike(pattern, escape="\\"),
                User.email.ilike(pattern, escape="\\"),
                Registration.organization.ilike(pattern, escape="\\"),
            )
        )
    if filters.category in ParticipantCategory.__members__.values():
        query = query.where(Registration.category == ParticipantCategory(filters.category))
    if filters.ticket_type.isdigit():
        query = query.where(Registration.ticket_type_id == int(filters.ticket_type))
    if filters.status in RegistrationStatus.__members__.values():
        query = query.where(Registration.status == RegistrationStatus(filters.status))
    if filters.country:
        query = query.where(Registration.country == filters.country)
    if filters.university == "other":
        query = query.where(
            Registration.university_id.is_(None), Registration.university_other != ""
        )
    elif filters.university == "in_city":
        query = query.where(University.in_city.is_(True))
    elif filters.university.isdigit():
        query = query.where(Registration.university_id == int(filters.university))
    return query.order_by(*SORTS[filters.sort])


def registrations_page(edition: Edition, filters: Filters) -> tuple[list[Registration], int]:
    """One page of the list and the total, in a single query (count() over the window)."""
    query = registrations_query(edition, filters).add_columns(func.count().over().label("total"))
    query = query.limit(PAGE_SIZE).offset((filters.page - 1) * PAGE_SIZE)
    rows = db.session.execute(query).all()
    if not rows and filters.page > 1:
        filters.page = 1
        return registrations_page(edition, filters)
    return [row[0] for row in rows], (rows[0][1] if rows else 0)


EXPORT_COLUMNS = (
    ("id", _l("No.")),
    ("name", _l("Name")),
    ("email", _l("Email")),
    ("organization", _l("Organisation")),
    ("department", _l("Department")),
    ("job_title", _l("Job title")),
    ("country", _l("Country or region")),
    ("sector", _l("Sector")),
    ("category", _l("Participant category")),
    ("ticket_type", _l("Ticket")),
    ("status", _l("Status")),
    ("university", _l("University")),
    ("in_city", _l("In-city university")),
    ("faculty", _l("Faculty or department")),
    ("study_year", _l("Year of study")),
    ("dietary_needs", _l("Dietary requirements")),
    ("accessibility_needs", _l("Accessibility needs")),
    ("interpretation_headset", _l("Interpretation headset")),
    ("consent_share_with_sponsors", _l("Consents to share with sponsors")),
    ("created_at", _l("Registered at (JST)")),
)


def export_rows(edition: Edition, filters: Filters) -> Iterable[list]:
    """The header, then one row per registration matching the filters."""
    yield [str(label) for _, label in EXPORT_COLUMNS]
    for registration in db.session.scalars(registrations_query(edition, filters)):
        university = registration.university
        yield [
            registration.id,
            registration.user.name,
            registration.user.contact_email or "",
            registration.organization,
            registration.department,
            registration.job_title,
            registration.country,
            registration.sector,
            str(registration.category),
            registration.ticket_type.name_ja,
            str(registration.status),
            university.name_ja if university else registration.university_other,
            "yes" if university and university.in_city else "",
            registration.faculty,
            registration.study_year,
            registration.dietary_needs,
            registration.accessibility_needs,
            "yes" if registration.interpretation_headset else "",
            "yes" if registration.consent_share_with_sponsors else "",
            local(registration.created_at).strftime("%Y-%m-%d %H:%M"),
        ]


def export_csv(edition: Edition, filters: Filters) -> str:
    return csv_text(export_rows(edition, filters))


def export_xlsx(edition: Edition, filters: Filters) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Registrations")
    for row in export_rows(edition, filters):
        sheet.append([safe_cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def segments(edition: Edition) -> list[tuple[str, str]]:
    """Groups an organiser can write to: everyone confirmed, per ticket type, per session."""
    choices = [
        ("confirmed", str(_l("Everyone confirmed"))),
        ("waitlisted", str(_l("Everyone on the convention's waiting list"))),
        ("students_in_city", str(_l("Confirmed students of in-city universities"))),
    ]
    for ticket_type in db.session.scalars(
        select(TicketType).where(TicketType.edition_id == edition.id).order_by(TicketType.position)
    ):
        choices.append(
            (
                f"ticket_type:{ticket_type.id}",
                str(_l("Confirmed with ticket: %(name)s", name=_localized_name(ticket_type))),
            )
        )
    for session in sessions_open_for_signup(edition):
        choices.append(
            (
                f"session:{session.id}",
                str(_l("Confirmed in session: %(title)s", title=_localized_title(session))),
            )
        )
    return choices


def segment_recipients(edition: Edition, segment: str) -> list[User]:
    """Who the segment's message reaches: never a walk-in who gave no address."""
    query = (
        select(User)
        .join(Registration, Registration.user_id == User.id)
        .where(Registration.edition_id == edition.id, ~User.email.endswith(NO_ADDRESS_DOMAIN))
    )
    kind, _, value = segment.partition(":")
    if kind == "waitlisted":
        query = query.where(Registration.status == RS.WAITLISTED)
    else:
        query = query.where(Registration.status == RS.CONFIRMED)
    if kind == "ticket_type" and value.isdigit():
        query = query.where(Registration.ticket_type_id == int(value))
    elif kind == "session" and value.isdigit():
        query = query.join(SessionSignup, SessionSignup.registration_id == Registration.id).where(
            SessionSignup.session_id == int(value), SessionSignup.status == SS.CONFIRMED
        )
    elif kind == "students_in_city":
        query = query.join(University, University.id == Registration.university_id).where(
            University.in_city.is_(True)
        )
    elif kind not in ("confirmed", "waitlisted"):
        raise RegistrationError(_l("Choose a group of recipients."), field="segment")
    return list(db.session.scalars(query.order_by(User.id)).unique())


def message_segment(edition: Edition, segment: str, subject: str, body: str) -> int:
    """Queue one email per recipient through the outbox; returns how many."""
    subject, body = subject.strip(), body.strip()
    if not subject or "\n" in subject or "\r" in subject:
        raise RegistrationError(_l("Write a one-line subject."), field="subject")
    if not body:
        raise RegistrationError(_l("Write a message."), field="body")
    recipients = segment_recipients(edition, segment)
    for user in recipients:
        mail.queue(
            user.email,
            "registration/segment",
            language=user.language,
            subject=subject,
            body=body,
            user=user,
            edition=edition,
        )
    db.session.commit()
    return len(recipients)


def _localized_name(obj) -> str:
    from convention.i18n import localized

    return localized(obj, "name")
