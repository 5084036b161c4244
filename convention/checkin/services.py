"""Check-in rules: scanning a badge at a list, undoing a scan, counters, device tokens, lists.

A scan is one transaction: the presence row of (list, registration) is inserted with
ON CONFLICT DO NOTHING, or locked FOR UPDATE when it exists, and the scan row is written with
its answer. Two doors scanning the same badge at once therefore get one `ok` and one
`already_checked_in`; the nonce's unique constraint makes a retried upload one row with the
same answer.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, bindparam, func, insert, or_, select, union, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from convention.accounts.models import Role, User
from convention.checkin.models import (
    Admission,
    CheckInList,
    ListKind,
    Presence,
    Scan,
    ScanDirection,
    ScannerDevice,
    ScanReason,
    ScanResult,
)
from convention.events.models import Edition, Session, SessionKind
from convention.extensions import db
from convention.jobs import resolve
from convention.refusals import Refusal
from convention.registration.models import (
    Registration,
    RegistrationStatus,
    SessionSignup,
    SignupStatus,
    TicketType,
)
from convention.timeutil import EVENT_ZONE, utcnow

# What a badge of each registration status gets at the door (CONFIRMED is the only valid one).
STATUS_REASONS: dict[RegistrationStatus, ScanReason] = {
    RegistrationStatus.CANCELLED: ScanReason.REVOKED,
    RegistrationStatus.REJECTED: ScanReason.REVOKED,
    RegistrationStatus.AWAITING_PAYMENT: ScanReason.UNPAID,
    # Not confirmed yet (waiting list, approval): the badge becomes valid once confirmed.
    RegistrationStatus.WAITLISTED: ScanReason.NOT_YET_VALID,
    RegistrationStatus.PENDING_APPROVAL: ScanReason.NOT_YET_VALID,
}

REASON_MESSAGES = {
    ScanReason.INVALID: _l("Not a badge of this convention"),
    ScanReason.REVOKED: _l("Badge cancelled"),
    ScanReason.ALREADY_CHECKED_IN: _l("Already checked in"),
    ScanReason.WRONG_EVENT: _l("Badge of another edition"),
    ScanReason.NOT_ON_LIST: _l("Not signed up for this session"),
    ScanReason.UNPAID: _l("Not paid yet: send to the registration desk"),
    ScanReason.NOT_YET_VALID: _l("Not valid today"),
}

# Badge tokens are URL-safe random strings (or signed tokens with a key id and dots); anything
# else is refused without a database query.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_.:~-]{16,128}$")
NONCE_MAX = 64
DEVICE_TOKEN_PREFIX = "cdv_"
UNDO_WINDOW = timedelta(
    minutes=30
)  # door staff may undo their mistakes this long; organisers always
# A device clock this far ahead is not believed: the server's time is used instead.
CLOCK_SKEW = timedelta(minutes=5)


class CheckinError(Refusal):
    """A rule refused the action; `field` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class ScanOutcome:
    """The answer of the scan API, as stored in the scan row."""

    status: str
    reason: ScanReason | None
    direction: ScanDirection
    list_slug: str
    scan_id: int | None = None
    attendee: dict | None = None
    first_checked_in_at: datetime | None = None
    scanned_at: datetime | None = None
    offline: bool = False
    replayed: bool = False
    registration_id: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == ScanResult.OK

    @property
    def message(self) -> str:
        if self.ok:
            return str(_l("Checked out")) if self.direction == ScanDirection.OUT else str(_l("OK"))
        return str(REASON_MESSAGES[self.reason])

    def to_json(self) -> dict:
        data: dict = {"status": self.status}
        if self.reason:
            data["reason"] = self.reason.value
        if has_request_context():  # words in the reader's language
            data["message"] = self.message
        data["direction"] = self.direction.value
        data["list"] = self.list_slug
        if self.attendee is not None:
            data["attendee"] = dict(self.attendee)
            if has_request_context():
                data["attendee"]["category_label"] = _category_label(self.attendee["category"])
        if self.attendee is not None or self.first_checked_in_at is not None:
            data["first_checked_in_at"] = _iso(self.first_checked_in_at)
        data["scan_id"] = self.scan_id
        data["scanned_at"] = _iso(self.scanned_at)
        data["offline"] = self.offline
        return data


def _category_label(category: str) -> str:
    from convention.accounts.forms import CATEGORY_LABELS

    return str(CATEGORY_LABELS.get(category, category))


def _iso(moment: datetime | None) -> str | None:
    # In the event's zone: unambiguous, and the hour is the one on the venue's clocks.
    return moment.astimezone(EVENT_ZONE).isoformat() if moment else None


def attendee_of(registration: Registration) -> dict:
    user = registration.user
    return {
        "name": user.name or user.email,
        "organization": registration.organization or user.organization or "",
        "category": registration.category.value,
    }


# --- lists -------------------------------------------------------------------------------------


def find_list(slug: str, edition: Edition | None = None) -> CheckInList | None:
    """The list with this slug: of `edition`, else of the current (or latest) edition."""
    if "\x00" in slug:  # a forged slug names no list, and PostgreSQL cannot compare it
        return None
    query = select(CheckInList).where(CheckInList.slug == slug)
    if edition is not None:
        query = query.where(CheckInList.edition_id == edition.id)
    else:
        query = query.join(Edition, Edition.id == CheckInList.edition_id).order_by(
            Edition.is_current.desc(), Edition.start_date.desc()
        )
    return db.session.scalar(query.limit(1))


def lists_of(edition: Edition) -> list[CheckInList]:
    kinds = {ListKind.MAIN_DOOR: 0, ListKind.SESSION: 1, ListKind.POSTER: 2, ListKind.MATCHING: 3}
    rows = db.session.scalars(
        select(CheckInList)
        .where(CheckInList.edition_id == edition.id)
        .options(joinedload(CheckInList.session))
    ).all()
    return sorted(
        rows,
        key=lambda row: (
            kinds[row.kind],
            row.session.starts_at if row.session else datetime.min.replace(tzinfo=EVENT_ZONE),
            row.slug,
        ),
    )


SESSION_LIST_KINDS = {
    SessionKind.OPENING: (ListKind.SESSION, Admission.EVERYONE),
    SessionKind.SEMINAR: (ListKind.SESSION, Admission.SIGNED_UP),
    SessionKind.WORKSHOP: (ListKind.SESSION, Admission.SIGNED_UP),
    SessionKind.SITE_VISIT: (ListKind.SESSION, Admission.SIGNED_UP),
    SessionKind.POSTER: (ListKind.POSTER, Admission.EVERYONE),
    SessionKind.MATCHING: (ListKind.MATCHING, Admission.EVERYONE),
}

MAIN_DOOR_SLUG = "main-door"


def ensure_lists(edition: Edition) -> list[CheckInList]:
    """Create the main door and one list per session (seminars admit only those signed up;
    the opening, the poster session and the matching tables admit everyone). Lists that exist
    are left as the organisers set them. Returns the lists created."""
    existing = set(
        db.session.scalars(select(CheckInList.slug).where(CheckInList.edition_id == edition.id))
    )
    created = []
    if MAIN_DOOR_SLUG not in existing:
        created.append(
            CheckInList(
                edition_id=edition.id,
                slug=MAIN_DOOR_SLUG,
                name_ja="正面入口",
                name_en="Main door",
                kind=ListKind.MAIN_DOOR,
                admission=Admission.EVERYONE,
                valid_from=edition.start_date,
                valid_until=edition.end_date,
                allow_reentry=True,
                track_exits=False,
            )
        )
    sessions = db.session.scalars(
        select(Session).where(Session.edition_id == edition.id).order_by(Session.starts_at)
    ).all()
    for session in sessions:
        if session.slug in existing or session.slug == MAIN_DOOR_SLUG:
            continue
        kind, admission = SESSION_LIST_KINDS.get(
            session.kind, (ListKind.SESSION, Admission.SIGNED_UP)
        )
        day = session.starts_at.astimezone(EVENT_ZONE).date()
        created.append(
            CheckInList(
                edition_id=edition.id,
                slug=session.slug,
                name_ja=session.title_ja,
                name_en=session.title_en,
                kind=kind,
                session_id=session.id,
                admission=admission,
                valid_from=day,
                valid_until=day,
                allow_reentry=True,
                track_exits=kind == ListKind.MATCHING,
            )
        )
    db.session.add_all(created)
    db.session.commit()
    return created


SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


@dataclass
class ListData:
    slug: str
    name_ja: str
    name_en: str
    kind: ListKind = ListKind.SESSION
    session_id: int | None = None
    admission: Admission = Admission.EVERYONE
    valid_from: date | None = None
    valid_until: date | None = None
    allow_reentry: bool = True
    track_exits: bool = False


def save_list(edition: Edition, data: ListData, checkin_list: CheckInList | None = None):
    """Create or change a list; refuses a taken slug, an unknown session or dates in the
    wrong order."""
    slug = data.slug.strip().lower()
    if not SLUG_PATTERN.match(slug):
        raise CheckinError(_l("Use lower-case letters, digits and hyphens."), field="slug")
    taken = db.session.scalar(
        select(CheckInList.id).where(
            CheckInList.edition_id == edition.id,
            CheckInList.slug == slug,
            CheckInList.id != (checkin_list.id if checkin_list else -1),
        )
    )
    if taken:
        raise CheckinError(_l("Another list already uses this slug."), field="slug")
    if data.valid_from and data.valid_until and data.valid_until < data.valid_from:
        raise CheckinError(_l("The last day is before the first day."), field="valid_until")
    if data.session_id is not None:
        session = db.session.get(Session, data.session_id)
        if session is None or session.edition_id != edition.id:
            raise CheckinError(_l("Choose a session of this edition."), field="session_id")
    if data.admission == Admission.SIGNED_UP and data.session_id is None:
        raise CheckinError(
            _l("Only a list for a session can admit those signed up."), field="admission"
        )
    if checkin_list is None:
        checkin_list = CheckInList(edition_id=edition.id)
        db.session.add(checkin_list)
    checkin_list.slug = slug
    checkin_list.name_ja = data.name_ja.strip()
    checkin_list.name_en = data.name_en.strip()
    checkin_list.kind = data.kind
    checkin_list.session_id = data.session_id
    checkin_list.admission = data.admission
    checkin_list.valid_from = data.valid_from
    checkin_list.valid_until = data.valid_until
    checkin_list.allow_reentry = data.allow_reentry
    checkin_list.track_exits = data.track_exits
    db.session.commit()
    return checkin_list


# --- scanning ----------------------------------------------------------------------------------


def _outcome_of(scan: Scan, checkin_list: CheckInList, *, replayed: bool = False) -> ScanOutcome:
    registration = scan.registration
    return ScanOutcome(
        status=scan.result.value,
        reason=scan.reason,
        direction=scan.direction,
        list_slug=checkin_list.slug,
        scan_id=scan.id,
        attendee=attendee_of(registration) if registration is not None else None,
        first_checked_in_at=scan.first_checked_in_at,
        scanned_at=scan.scanned_at,
        offline=scan.offline,
        replayed=replayed,
        registration_id=scan.registration_id,
    )


def _replay(nonce: str) -> ScanOutcome | None:
    scan = db.session.scalar(
        select(Scan)
        .where(Scan.nonce == nonce)
        .options(
            joinedload(Scan.registration).joinedload(Registration.user),
            joinedload(Scan.checkin_list),
        )
    )
    if scan is None:
        return None
    return _outcome_of(scan, scan.checkin_list, replayed=True)


_PRESENCE_UPSERTS: dict = {}


def _connection():
    """The session's connection, in the session's transaction: Core statements run on it
    without the ORM's per-statement work."""
    return db.session.connection()


def _presence_upsert(dialect: str):
    """INSERT … ON CONFLICT DO NOTHING RETURNING id, built once per dialect."""
    if dialect not in _PRESENCE_UPSERTS:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert
        _PRESENCE_UPSERTS[dialect] = (
            upsert(Presence)
            .values(
                checkin_list_id=bindparam("list_id"),
                registration_id=bindparam("registration_id"),
                first_checked_in_at=bindparam("moment"),
                last_scan_at=bindparam("moment"),
                inside=True,
                entries=1,
            )
            .on_conflict_do_nothing(index_elements=["checkin_list_id", "registration_id"])
            .returning(Presence.id)
        )
    return _PRESENCE_UPSERTS[dialect]


def _presence_insert(list_id: int, registration_id: int, moment: datetime) -> int | None:
    """The new presence row's id if this call created it, None if it existed."""
    connection = _connection()
    statement = _presence_upsert(connection.dialect.name)
    return connection.execute(
        statement, {"list_id": list_id, "registration_id": registration_id, "moment": moment}
    ).scalar()


def _locked_presence(list_id: int, registration_id: int) -> Presence | None:
    return db.session.scalar(
        select(Presence)
        .where(Presence.checkin_list_id == list_id, Presence.registration_id == registration_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


# --- admission without a sign-up ----------------------------------------------------------------
# Another feature may put people on a "signed up only" session list without a sign-up: posters
# admits the accepted presenters to the poster session. A hook gets the session id and returns
# a SELECT of registration ids (or None: nobody for this session). It may be a function or
# "module:function" (imported when first called).
AdmissionHook = Callable[[int], Select | None]
_admission_hooks: list[AdmissionHook | str] = []


def admit_without_signup(hook: AdmissionHook | str) -> None:
    """Register `hook(session_id)`; apps are created many times in one process: once only."""
    if hook not in _admission_hooks:
        _admission_hooks.append(hook)


def _admitted_without_signup(session_id: int) -> list[Select]:
    queries = []
    for hook in _admission_hooks:
        query = (resolve(hook) if isinstance(hook, str) else hook)(session_id)
        if query is not None:
            queries.append(query)
    return queries


def _signed_up_ids(session_id: int) -> Select:
    """Registration ids on a "signed up only" session list: confirmed sign-ups, and those the
    admission hooks add."""
    signed_up = select(SessionSignup.registration_id).where(
        SessionSignup.session_id == session_id, SessionSignup.status == SignupStatus.CONFIRMED
    )
    return union(signed_up, *_admitted_without_signup(session_id))


def _admission_reason(context, moment: datetime) -> ScanReason | None:
    """Why this badge may not enter this list now, or None (`context`: a _SCAN_CONTEXT row)."""
    checkin_list = registration = context
    if registration.registration_edition_id != checkin_list.edition_id:
        return ScanReason.WRONG_EVENT
    reason = STATUS_REASONS.get(registration.status)
    if reason is not None:
        return reason
    if registration.status != RegistrationStatus.CONFIRMED:
        return ScanReason.REVOKED
    day = moment.astimezone(EVENT_ZONE).date()
    # Outside the list's dates: before the first day and after the last the answer is the same,
    # since the closed set of reasons has no "expired".
    if (checkin_list.valid_from and day < checkin_list.valid_from) or (
        checkin_list.valid_until and day > checkin_list.valid_until
    ):
        return ScanReason.NOT_YET_VALID
    if checkin_list.admission == Admission.SIGNED_UP and checkin_list.session_id is not None:
        # One look-up for the sign-ups and whoever the admission hooks add (presenters).
        on_list = db.session.scalar(
            select(Registration.id).where(
                Registration.id == registration.registration_id,
                Registration.id.in_(_signed_up_ids(checkin_list.session_id).scalar_subquery()),
            )
        )
        if on_list is None:
            return ScanReason.NOT_ON_LIST
    return None


# The hot path of every scan uses prebuilt Core statements with few columns: building an ORM
# query and loading ~50 columns of registration and user costs more than the database work.
_LIST_ID = (
    select(CheckInList.id)
    .join(Edition, Edition.id == CheckInList.edition_id)
    .where(CheckInList.slug == bindparam("slug"))
    .order_by(Edition.is_current.desc(), Edition.start_date.desc())
    .limit(1)
    .scalar_subquery()
)
_ACTIVE_DEVICE = (ScannerDevice.token_hash == bindparam("token_hash")) & (
    ScannerDevice.revoked_at.is_(None)
)
# One round trip finds the list, the badge's registration and the scanning device: a scan is a
# handful of indexed look-ups, and on a busy door the round trips are what costs.
_SCAN_CONTEXT = (
    select(
        CheckInList.id,
        CheckInList.edition_id,
        CheckInList.slug,
        CheckInList.admission,
        CheckInList.session_id,
        CheckInList.valid_from,
        CheckInList.valid_until,
        CheckInList.allow_reentry,
        Registration.id.label("registration_id"),
        Registration.edition_id.label("registration_edition_id"),
        Registration.status,
        Registration.category,
        Registration.organization,
        User.name.label("user_name"),
        User.email.label("user_email"),
        User.organization.label("user_organization"),
        select(ScannerDevice.id).where(_ACTIVE_DEVICE).scalar_subquery().label("device_id"),
        select(ScannerDevice.last_used_at)
        .where(_ACTIVE_DEVICE)
        .scalar_subquery()
        .label("device_last_used_at"),
    )
    .select_from(CheckInList)
    .outerjoin(Registration, Registration.badge_token == bindparam("token"))
    .outerjoin(User, User.id == Registration.user_id)
    .where(CheckInList.id == func.coalesce(bindparam("list_id"), _LIST_ID))
)
_PRESENCE_KEY = (Presence.checkin_list_id == bindparam("list_id")) & (
    Presence.registration_id == bindparam("registration_id")
)
_PRESENCE_LOCK = (
    select(Presence.id, Presence.inside, Presence.entries, Presence.first_checked_in_at)
    .where(_PRESENCE_KEY)
    .with_for_update()
)
_PRESENCE_FIND = select(Presence.first_checked_in_at).where(_PRESENCE_KEY)
_PRESENCE_UPDATE = (
    update(Presence)
    .where(Presence.id == bindparam("b_id"))
    .values(
        inside=bindparam("b_inside"),
        entries=bindparam("b_entries"),
        last_scan_at=bindparam("b_last_scan_at"),
    )
    .execution_options(synchronize_session=False)
)
_SCAN_INSERT = insert(Scan).returning(Scan.id)


def _attendee_of_row(row) -> dict:
    return {
        "name": row.user_name or row.user_email,
        "organization": row.organization or row.user_organization or "",
        "category": row.category.value,
    }


def find_registration(token: str) -> Registration | None:
    if not TOKEN_PATTERN.match(token):
        return None
    return db.session.scalar(
        select(Registration)
        .where(Registration.badge_token == token)
        .options(joinedload(Registration.user))
    )


class UnknownDevice(LookupError):
    """A bearer token that is not an active scanner device's."""


def scan(
    token: str,
    list_or_slug: str | CheckInList,
    *,
    direction: ScanDirection | str = ScanDirection.IN,
    nonce: str | None = None,
    scanned_at: datetime | None = None,
    device: ScannerDevice | None = None,
    device_token: str | None = None,
    staff: User | None = None,
    offline: bool = False,
    manual: bool = False,
) -> ScanOutcome:
    """Scan `token` at a check-in list and store the scan, whatever the answer.

    A scanner app passes its bearer `device_token`: UnknownDevice if it is not an active
    device's (nothing is stored). Raises LookupError for an unknown list (there is nothing to
    store the scan against).
    """
    direction = ScanDirection(direction)
    nonce = nonce or secrets.token_hex(16)
    received = utcnow()
    scanned_at = scanned_at or received
    if device_token is not None and not _looks_like_device_token(device_token):
        raise UnknownDevice()

    # No look-up of the nonce first: a retried nonce hits the unique constraint on insert and
    # gets the stored answer (one round trip less on every scan).
    token = token.strip()
    given_list = list_or_slug if isinstance(list_or_slug, CheckInList) else None
    context = (
        _connection()
        .execute(
            _SCAN_CONTEXT,
            {
                "list_id": given_list.id if given_list else None,
                "slug": None if given_list else list_or_slug,
                "token": token if TOKEN_PATTERN.match(token) else None,
                "token_hash": hash_device_token(device_token) if device_token else None,
            },
        )
        .first()
    )
    if context is None:
        unknown_device = device_token is not None and scanning_device(device_token) is None
        db.session.rollback()
        raise UnknownDevice() if unknown_device else LookupError(list_or_slug)
    if device_token is not None:
        if context.device_id is None:
            db.session.rollback()
            raise UnknownDevice()
        _touch_device_row(context.device_id, context.device_last_used_at, received)
    checkin_list = context
    registration = context if context.registration_id is not None else None
    device_id = device.id if device else context.device_id
    first_checked_in_at = None
    key = {
        "list_id": checkin_list.id,
        "registration_id": registration.registration_id if registration else 0,
    }
    if registration is None:
        reason = ScanReason.INVALID
    elif direction == ScanDirection.OUT:
        # Nobody is kept in: an exit is recorded for any badge of this edition.
        reason = (
            ScanReason.WRONG_EVENT
            if registration.registration_edition_id != checkin_list.edition_id
            else None
        )
        if reason is None:
            presence = _connection().execute(_PRESENCE_LOCK, key).first()
            if presence is not None:
                first_checked_in_at = presence.first_checked_in_at
                _connection().execute(
                    _PRESENCE_UPDATE,
                    {
                        "b_id": presence.id,
                        "b_inside": False,
                        "b_entries": presence.entries,
                        "b_last_scan_at": scanned_at,
                    },
                )
    else:
        reason = _admission_reason(context, scanned_at)
        if reason is None:
            created = _presence_insert(checkin_list.id, registration.registration_id, scanned_at)
            if created is not None:
                first_checked_in_at = scanned_at
            else:
                presence = _connection().execute(_PRESENCE_LOCK, key).first()
                first_checked_in_at = presence.first_checked_in_at
                if presence.inside or not checkin_list.allow_reentry:
                    reason = ScanReason.ALREADY_CHECKED_IN
                else:
                    _connection().execute(
                        _PRESENCE_UPDATE,
                        {
                            "b_id": presence.id,
                            "b_inside": True,
                            "b_entries": presence.entries + 1,
                            "b_last_scan_at": scanned_at,
                        },
                    )
        elif reason in (ScanReason.NOT_ON_LIST, ScanReason.NOT_YET_VALID):
            # Tell the volunteer if the person was already let in earlier.
            presence = _connection().execute(_PRESENCE_FIND, key).first()
            first_checked_in_at = presence.first_checked_in_at if presence else None

    # Everything the answer needs is read before the commit expires the loaded objects.
    outcome = ScanOutcome(
        status=(ScanResult.OK if reason is None else ScanResult.ERROR).value,
        reason=reason,
        direction=direction,
        list_slug=checkin_list.slug,
        attendee=_attendee_of_row(registration) if registration is not None else None,
        first_checked_in_at=first_checked_in_at,
        scanned_at=scanned_at,
        offline=offline,
        registration_id=registration.registration_id if registration else None,
    )
    values = {
        "edition_id": checkin_list.edition_id,
        "checkin_list_id": checkin_list.id,
        "registration_id": outcome.registration_id,
        "nonce": nonce,
        "direction": direction,
        "result": ScanResult(outcome.status),
        "reason": reason,
        "scanned_at": scanned_at,
        "received_at": received,
        "offline": offline,
        "device_id": device_id,
        "staff_user_id": staff.id if staff else None,
        "manual": manual,
        "first_checked_in_at": first_checked_in_at,
        "undone_at": None,
        "undone_by_id": None,
    }
    try:
        # The presence change is flushed first; the scan row is a plain INSERT … RETURNING.
        db.session.flush()  # e.g. a device's last use
        outcome.scan_id = _connection().execute(_SCAN_INSERT, values).scalar_one()
        db.session.commit()
    except IntegrityError:
        # The same nonce was stored meanwhile by a concurrent retry: answer as it was answered.
        db.session.rollback()
        replay = _replay(nonce)
        if replay is None:
            raise
        db.session.rollback()
        return replay
    return outcome


def can_undo(row: Scan, staff: User, now: datetime | None = None) -> bool:
    if row.result != ScanResult.OK or row.undone_at is not None:
        return False
    if staff.has_role(Role.ORGANISER):
        return True
    return (now or utcnow()) - row.received_at <= UNDO_WINDOW


def undo(row: Scan, staff: User) -> Scan:
    """Take back a mistaken scan: the row stays (with who undid it and when) and no longer
    counts; the person's presence on the list is recomputed from the scans that remain."""
    if row.result != ScanResult.OK:
        raise CheckinError(_l("Only a successful scan can be undone."))
    if row.undone_at is not None:
        raise CheckinError(_l("This scan was already undone."))
    if not can_undo(row, staff):
        raise CheckinError(_l("This scan is too old to undo here: ask an organiser."))
    presence = _locked_presence(row.checkin_list_id, row.registration_id)
    row.undone_at = utcnow()
    row.undone_by_id = staff.id
    db.session.flush()
    remaining = db.session.scalars(
        select(Scan)
        .where(
            Scan.checkin_list_id == row.checkin_list_id,
            Scan.registration_id == row.registration_id,
            Scan.result == ScanResult.OK,
            Scan.undone_at.is_(None),
        )
        .order_by(Scan.scanned_at, Scan.id)
    ).all()
    entries = [scan for scan in remaining if scan.direction == ScanDirection.IN]
    if not entries:
        if presence is not None:
            db.session.delete(presence)
    else:
        if presence is None:
            presence = Presence(
                checkin_list_id=row.checkin_list_id, registration_id=row.registration_id
            )
            db.session.add(presence)
        presence.first_checked_in_at = entries[0].scanned_at
        presence.last_scan_at = remaining[-1].scanned_at
        presence.inside = remaining[-1].direction == ScanDirection.IN
        presence.entries = len(entries)
    db.session.commit()
    return row


# --- counters and lists of scans --------------------------------------------------------------


@dataclass
class Counters:
    checked_in: int
    registered: int
    inside: int


def counters(checkin_list: CheckInList) -> Counters:
    """Checked in / registered / inside for a list, in one query."""
    checked_in = (
        select(func.count(Presence.id))
        .where(Presence.checkin_list_id == checkin_list.id)
        .scalar_subquery()
    )
    inside = (
        select(func.count(Presence.id))
        .where(Presence.checkin_list_id == checkin_list.id, Presence.inside.is_(True))
        .scalar_subquery()
    )
    registered_query = select(func.count(Registration.id)).where(
        Registration.edition_id == checkin_list.edition_id,
        Registration.status == RegistrationStatus.CONFIRMED,
    )
    if checkin_list.admission == Admission.SIGNED_UP and checkin_list.session_id is not None:
        registered_query = registered_query.where(
            Registration.id.in_(_signed_up_ids(checkin_list.session_id).scalar_subquery())
        )
    row = db.session.execute(select(checked_in, registered_query.scalar_subquery(), inside)).one()
    return Counters(checked_in=row[0], registered=row[1], inside=row[2])


def recent_scans(checkin_list: CheckInList, limit: int = 10) -> list[Scan]:
    return list(
        db.session.scalars(
            select(Scan)
            .where(Scan.checkin_list_id == checkin_list.id)
            .options(joinedload(Scan.registration).joinedload(Registration.user))
            .order_by(Scan.id.desc())
            .limit(limit)
        )
    )


def search(checkin_list: CheckInList, text: str, limit: int = 15) -> list[tuple]:
    """Registrations of the list's edition matching a name, organisation or email, with their
    presence on the list (None when not checked in)."""
    text = text.strip()
    if len(text) < 2:
        return []
    pattern = f"%{text.replace('%', '').replace('_', '')}%"
    rows = db.session.execute(
        select(Registration, Presence)
        .join(User, User.id == Registration.user_id)
        .outerjoin(
            Presence,
            and_(
                Presence.registration_id == Registration.id,
                Presence.checkin_list_id == checkin_list.id,
            ),
        )
        .where(
            Registration.edition_id == checkin_list.edition_id,
            or_(
                User.name.ilike(pattern),
                User.email.ilike(pattern),
                Registration.organization.ilike(pattern),
                User.organization.ilike(pattern),
            ),
        )
        .options(joinedload(Registration.user))
        .order_by(User.name, Registration.id)
        .limit(limit)
    ).all()
    return [(registration, presence) for registration, presence in rows]


def list_for_session(session_id: int) -> CheckInList | None:
    """The check-in list made for a programme session (the poster session, a seminar)."""
    return db.session.scalar(
        select(CheckInList).where(CheckInList.session_id == session_id).limit(1)
    )


def presences(checkin_list: CheckInList, registration_ids: list[int]) -> dict[int, Presence]:
    """Who of these registrations was checked in on the list: registration id -> presence."""
    if not registration_ids:
        return {}
    rows = db.session.scalars(
        select(Presence).where(
            Presence.checkin_list_id == checkin_list.id,
            Presence.registration_id.in_(registration_ids),
        )
    )
    return {row.registration_id: row for row in rows}


def has_entered(registration_id: int, kinds: tuple[ListKind, ...]) -> bool:
    """True once the registration was checked in (not undone) at a list of one of `kinds`."""
    return (
        db.session.scalar(
            select(Presence.id)
            .join(CheckInList, CheckInList.id == Presence.checkin_list_id)
            .where(Presence.registration_id == registration_id, CheckInList.kind.in_(kinds))
            .limit(1)
        )
        is not None
    )


def badge_registrations(edition: Edition, category: str | None = None) -> list[Registration]:
    """Confirmed registrations of the edition (optionally one category), by name: a print run."""
    query = (
        select(Registration)
        .where(
            Registration.edition_id == edition.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .options(joinedload(Registration.user), joinedload(Registration.edition))
    )
    if category:
        query = query.where(Registration.category == category)
    return sorted(db.session.scalars(query), key=lambda item: (item.user.name, item.id))


# --- scanner devices ---------------------------------------------------------------------------


def hash_device_token(token: str) -> str:
    # The token has 256 random bits, so a fast hash is enough and keeps each scan cheap.
    return hashlib.sha256(token.encode()).hexdigest()


def issue_device_token(name: str, created_by: User | None = None) -> tuple[ScannerDevice, str]:
    """A new scanner device and its token; only the token's hash is kept."""
    name = name.strip()
    if not name:
        raise CheckinError(_l("Give the device a name."), field="name")
    if len(name) > 120:
        raise CheckinError(_l("Use at most 120 characters."), field="name")
    token = DEVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    device = ScannerDevice(
        name=name,
        token_hash=hash_device_token(token),
        created_by_id=created_by.id if created_by else None,
    )
    db.session.add(device)
    db.session.commit()
    return device, token


def revoke_device(device: ScannerDevice) -> None:
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        db.session.commit()


def device_for_token(token: str) -> ScannerDevice | None:
    """The device of a bearer token, unless unknown or revoked."""
    if not _looks_like_device_token(token):
        return None
    device = db.session.scalar(
        select(ScannerDevice).where(ScannerDevice.token_hash == hash_device_token(token))
    )
    if device is None or device.revoked_at is not None:
        return None
    return device


def _looks_like_device_token(token: str) -> bool:
    return token.startswith(DEVICE_TOKEN_PREFIX) and len(token) <= 100


_DEVICE_QUERY = select(ScannerDevice.id, ScannerDevice.last_used_at).where(_ACTIVE_DEVICE)
_DEVICE_TOUCH = (
    update(ScannerDevice)
    .where(ScannerDevice.id == bindparam("b_id"))
    .values(last_used_at=bindparam("b_now"))
    .execution_options(synchronize_session=False)
)


def _touch_device_row(device_id: int, last_used_at: datetime | None, now: datetime) -> None:
    """Mark the device used, at most once a minute (no extra write on every scan), in the
    transaction of the scan."""
    if last_used_at is None or now - last_used_at > timedelta(minutes=1):
        _connection().execute(_DEVICE_TOUCH, {"b_id": device_id, "b_now": now})


def scanning_device(token: str):
    """(id, last_used_at) of the active device of a bearer token, or None; marks it used."""
    if not _looks_like_device_token(token):
        return None
    device = _connection().execute(_DEVICE_QUERY, {"token_hash": hash_device_token(token)}).first()
    if device is not None:
        _touch_device_row(device.id, device.last_used_at, utcnow())
    return device


def devices() -> list[ScannerDevice]:
    return list(
        db.session.scalars(
            select(ScannerDevice).order_by(
                ScannerDevice.revoked_at.is_not(None), ScannerDevice.created_at.desc()
            )
        )
    )


# --- walk-in registration ----------------------------------------------------------------------


def _walk_in_ticket_type(edition: Edition, category) -> TicketType:
    types = db.session.scalars(
        select(TicketType)
        .where(TicketType.edition_id == edition.id)
        .order_by(TicketType.position, TicketType.id)
    ).all()
    if not types:
        raise CheckinError(_l("This edition has no ticket types yet: ask an organiser."))

    def preference(ticket_type: TicketType):
        return (
            ticket_type.category != category,
            ticket_type.requires_approval,
            ticket_type.price,
            ticket_type.is_hidden,
        )

    return min(types, key=preference)


def register_walk_in(
    edition: Edition,
    *,
    name: str,
    email: str = "",
    organization: str = "",
    category,
    staff: User | None = None,
) -> Registration:
    """Someone arrives without registering: door staff create a confirmed registration (any
    fee is taken at the desk, and the door, not the online capacity, decides who fits).
    The person gets an account only by email; without one a placeholder address is used."""
    from convention.accounts.models import address_for_someone_without_one, email_key

    name = name.strip()
    if not name:
        raise CheckinError(_l("Enter the person's name."), field="name")
    email = email_key(email) if email.strip() else ""
    ticket_type = _walk_in_ticket_type(edition, category)
    user = None
    if email:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            existing = db.session.scalar(
                select(Registration).where(
                    Registration.edition_id == edition.id, Registration.user_id == user.id
                )
            )
            if existing is not None:
                raise CheckinError(
                    _l("This email is already registered: find the person with the search."),
                    field="email",
                )
    if user is None:
        user = User(
            email=email or address_for_someone_without_one(),
            name=name,
            organization=organization.strip(),
            category=category,
        )
        db.session.add(user)
        db.session.flush()
    now = utcnow()
    registration = Registration(
        edition_id=edition.id,
        user_id=user.id,
        ticket_type_id=ticket_type.id,
        status=RegistrationStatus.CONFIRMED,
        category=category,
        organization=organization.strip()[:200],
        confirmed_at=now,
    )
    db.session.add(registration)
    db.session.commit()
    return registration
