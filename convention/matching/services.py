"""Business-matching rules: profiles, requests, scheduling, meetings, follow-ups and KPIs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import icalendar
from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import and_, distinct, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from convention.events.models import Edition, Session, SessionKind
from convention.extensions import db, get_by_id
from convention.mail.services import absolute_url, attachment, queue
from convention.matching.models import (
    ACTIVE_STATUSES,
    MARKED_STATUSES,
    OPEN_REQUEST_STATES,
    PUBLISHED_STATUSES,
    FollowUp,
    FollowUpOutcome,
    MatchingSlot,
    MatchingTable,
    MatchProfile,
    Meeting,
    MeetingRequest,
    MeetingSeat,
    MeetingStatus,
    OrganisationType,
    ProfileTag,
    ProfileUnavailability,
    RequestState,
    TagKind,
)
from convention.matching.scheduler import count_breaks, solve
from convention.matching.vocabulary import LANGUAGES, PRIORITIES, TOPICS, topic_label
from convention.refusals import Refusal
from convention.registration.models import Registration, RegistrationStatus
from convention.timeutil import local, utcnow

# Registrations that may take part: confirmed ones (paid or free).
MATCHING_REGISTRATION_STATUSES = (RegistrationStatus.CONFIRMED,)

# --- KPIs (read by the KPI dashboard) ----------------------------------------------------------


def kpi_meetings_held(edition_ids: Iterable[int]) -> int:
    """KPI ②: business matchings that actually took place (held, not merely scheduled)."""
    ids = list(edition_ids)
    if not ids:
        return 0
    return db.session.scalar(
        select(func.count(Meeting.id)).where(
            Meeting.edition_id.in_(ids), Meeting.status == MeetingStatus.HELD
        )
    )


def kpi_deals(edition_ids: Iterable[int]) -> int:
    """KPI ①: held meetings with at least one follow-up marked as a deal (one per meeting)."""
    ids = list(edition_ids)
    if not ids:
        return 0
    return db.session.scalar(
        select(func.count(distinct(FollowUp.meeting_id)))
        .join(Meeting, Meeting.id == FollowUp.meeting_id)
        .where(
            Meeting.edition_id.in_(ids),
            Meeting.status == MeetingStatus.HELD,
            FollowUp.deal.is_(True),
        )
    )


def meetings_scheduled_vs_held(edition_ids: Iterable[int]) -> dict:
    """Published meetings against those held: {"scheduled", "held", "no_show", "cancelled",
    "draft"}; `scheduled` counts every published meeting (still scheduled, held or no-show)."""
    ids = list(edition_ids)
    counts = dict.fromkeys(MeetingStatus, 0)
    if ids:
        rows = db.session.execute(
            select(Meeting.status, func.count(Meeting.id))
            .where(Meeting.edition_id.in_(ids))
            .group_by(Meeting.status)
        )
        for status, number in rows:
            counts[MeetingStatus(status)] = number
    return {
        "scheduled": sum(counts[status] for status in PUBLISHED_STATUSES),
        "held": counts[MeetingStatus.HELD],
        "no_show": counts[MeetingStatus.NO_SHOW],
        "cancelled": counts[MeetingStatus.CANCELLED],
        "draft": counts[MeetingStatus.DRAFT],
    }


# --- errors ------------------------------------------------------------------------------------


class MatchingError(Refusal):
    """A refused action; the message is shown to the person (beside `field` when given)."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


# --- profiles ----------------------------------------------------------------------------------


def active_registration(user, edition) -> Registration | None:
    """The user's registration for the edition that may take part in matching."""
    if user is None or edition is None or not getattr(user, "is_authenticated", True):
        return None
    return db.session.scalar(
        select(Registration).where(
            Registration.user_id == user.id,
            Registration.edition_id == edition.id,
            Registration.status.in_(MATCHING_REGISTRATION_STATUSES),
        )
    )


def takes_part(profile: MatchProfile) -> bool:
    """Is the profile's registration still one that may take part (not cancelled, say)?"""
    return profile.registration.status in MATCHING_REGISTRATION_STATUSES


def listed(profile: MatchProfile) -> bool:
    """Shown to others (directory, recommendations, profile page) and open to requests."""
    return profile.visible and takes_part(profile)


def _taking_part_in(edition_id: int):
    """The query form of `takes_part` for the profiles of an edition."""
    return and_(
        MatchProfile.edition_id == edition_id,
        MatchProfile.registration.has(Registration.status.in_(MATCHING_REGISTRATION_STATUSES)),
    )


def _listed_in(edition_id: int):
    """The query form of `listed` for the profiles of an edition."""
    return and_(_taking_part_in(edition_id), MatchProfile.visible.is_(True))


def coordination_choices(edition) -> list[MatchProfile]:
    """Whom a coordinator may match: every profile that takes part, hidden ones too (a hidden
    profile is left out of the directory, not out of matching)."""
    return list(
        db.session.scalars(
            select(MatchProfile)
            .where(_taking_part_in(edition.id))
            .order_by(MatchProfile.organisation)
        )
    )


def profile_for(user, edition) -> MatchProfile | None:
    if user is None or edition is None or not getattr(user, "is_authenticated", True):
        return None
    return db.session.scalar(
        select(MatchProfile)
        .join(Registration, Registration.id == MatchProfile.registration_id)
        .where(Registration.user_id == user.id, MatchProfile.edition_id == edition.id)
    )


def _set_tags(profile: MatchProfile, kind: TagKind, codes: Iterable[str], allowed) -> None:
    wanted = {code for code in codes if code in allowed}
    for tag in list(profile.tags):
        if tag.kind == kind and tag.code not in wanted:
            profile.tags.remove(tag)
    have = {tag.code for tag in profile.tags if tag.kind == kind}
    for code in sorted(wanted - have):
        profile.tags.append(ProfileTag(kind=kind, code=code))


def save_profile(registration: Registration, data: dict) -> MatchProfile:
    """Create or update the registration's matching profile from cleaned form data; with an
    "unavailable" key, also the slots the participant cannot meet in."""
    if registration.status not in MATCHING_REGISTRATION_STATUSES:
        raise MatchingError(_("Only confirmed registrations can take part in matching."))
    profile = db.session.scalar(
        select(MatchProfile).where(MatchProfile.registration_id == registration.id)
    )
    if profile is not None and "unavailable" in data:
        _refuse_slots_with_published_meetings(profile, data["unavailable"] or [])
    if profile is None:
        profile = MatchProfile(registration=registration, edition_id=registration.edition_id)
        db.session.add(profile)
    profile.organisation_type = OrganisationType(data["organisation_type"])
    profile.organisation = (data.get("organisation") or registration.organization or "").strip()
    profile.country = (data.get("country") or registration.country or "JP").upper()[:2]
    profile.city = (data.get("city") or "").strip()
    for part in ("summary", "needs", "offers"):
        for language in ("ja", "en"):
            name = f"{part}_{language}"
            setattr(profile, name, (data.get(name) or "").strip())
    profile.visible = bool(data.get("visible", True))
    _set_tags(profile, TagKind.SECTOR, data.get("sectors") or [], TOPICS)
    _set_tags(profile, TagKind.NEED, data.get("need_codes") or [], TOPICS)
    _set_tags(profile, TagKind.OFFER, data.get("offer_codes") or [], TOPICS)
    _set_tags(profile, TagKind.LANGUAGE, data.get("languages") or [], LANGUAGES)
    if "unavailable" in data:
        _set_unavailable(profile, data["unavailable"] or [])
    db.session.commit()
    return profile


def slot_start(slot: MatchingSlot) -> str:
    """When a slot begins, as the pages show times: "Dec 3, 2026 13:30"."""
    starts = local(slot.starts_at)
    return f"{format_date(starts, 'medium', rebase=False)} {starts:%H:%M}"


def slot_label(slot: MatchingSlot) -> str:
    """A slot as the agenda and the board show times: "Dec 3, 2026 13:30–13:50"."""
    return f"{slot_start(slot)}–{local(slot.ends_at):%H:%M}"


def _refuse_slots_with_published_meetings(profile: MatchProfile, slot_ids: Iterable[int]) -> None:
    """A published meeting stays where it is when the scheduler runs again, so a slot newly
    marked unavailable must not hold one: the organisers move it first."""
    already = {row.slot_id for row in profile.unavailable}
    clash = db.session.scalar(
        select(Meeting)
        .join(MeetingSeat, MeetingSeat.meeting_id == Meeting.id)
        .where(
            MeetingSeat.profile_id == profile.id,
            MeetingSeat.slot_id.in_(set(slot_ids) - already),
            Meeting.status.in_(PUBLISHED_STATUSES),
        )
        .limit(1)
    )
    if clash is not None:
        raise MatchingError(
            _(
                "You have meeting #%(id)s at %(time)s: ask the organisers to move it before "
                "you mark that slot.",
                id=clash.id,
                time=slot_label(clash.slot),
            ),
            "unavailable",
        )


def _set_unavailable(profile: MatchProfile, slot_ids: Iterable[int]) -> None:
    """Replace the slots the participant cannot meet in (only slots of this edition)."""
    valid = set(
        db.session.scalars(
            select(MatchingSlot.id)
            .join(Session, Session.id == MatchingSlot.session_id)
            .where(Session.edition_id == profile.edition_id, MatchingSlot.id.in_(list(slot_ids)))
        )
    )
    for row in list(profile.unavailable):
        if row.slot_id not in valid:
            profile.unavailable.remove(row)
    have = {row.slot_id for row in profile.unavailable}
    for slot_id in sorted(valid - have):
        profile.unavailable.append(ProfileUnavailability(slot_id=slot_id))


# --- directory and recommendations -------------------------------------------------------------


@dataclass
class DirectoryFilters:
    q: str = ""
    type: str = ""
    country: str = ""
    sector: str = ""
    language: str = ""

    @classmethod
    def from_args(cls, args) -> DirectoryFilters:
        filters = cls(
            q=(args.get("q") or "").strip()[:100],
            type=args.get("type") or "",
            country=(args.get("country") or "").upper()[:2],
            sector=args.get("sector") or "",
            language=args.get("language") or "",
        )
        # Unknown values are ignored rather than refused: a stale link still shows something.
        if filters.type not in {t.value for t in OrganisationType}:
            filters.type = ""
        if filters.sector not in TOPICS:
            filters.sector = ""
        if filters.language not in LANGUAGES:
            filters.language = ""
        return filters

    def args(self, **changes) -> dict:
        values = {**self.__dict__, **changes}
        return {key: value for key, value in values.items() if value}

    @property
    def active(self) -> bool:
        return any(self.__dict__.values())


def _has_tag(kind: TagKind, code: str):
    return (
        select(ProfileTag.id)
        .where(
            ProfileTag.profile_id == MatchProfile.id,
            ProfileTag.kind == kind,
            ProfileTag.code == code,
        )
        .exists()
    )


def search_profiles(edition, filters: DirectoryFilters, limit: int = 200) -> list[MatchProfile]:
    query = select(MatchProfile).where(_listed_in(edition.id))
    if filters.q:
        text_columns = (
            MatchProfile.organisation,
            MatchProfile.city,
            MatchProfile.summary_ja,
            MatchProfile.summary_en,
            MatchProfile.needs_ja,
            MatchProfile.needs_en,
            MatchProfile.offers_ja,
            MatchProfile.offers_en,
        )
        # autoescape: a % or _ typed in the search box is a character, not a wildcard.
        query = query.where(
            or_(
                *(
                    func.lower(column).contains(filters.q.lower(), autoescape=True)
                    for column in text_columns
                )
            )
        )
    if filters.type:
        query = query.where(MatchProfile.organisation_type == OrganisationType(filters.type))
    if filters.country:
        query = query.where(MatchProfile.country == filters.country)
    if filters.sector:
        query = query.where(
            or_(
                _has_tag(TagKind.SECTOR, filters.sector),
                _has_tag(TagKind.OFFER, filters.sector),
                _has_tag(TagKind.NEED, filters.sector),
            )
        )
    if filters.language:
        query = query.where(_has_tag(TagKind.LANGUAGE, filters.language))
    query = query.order_by(MatchProfile.organisation, MatchProfile.id).limit(limit)
    return list(db.session.scalars(query))


def directory_countries(edition) -> list[str]:
    return list(
        db.session.scalars(
            select(MatchProfile.country)
            .where(_listed_in(edition.id))
            .distinct()
            .order_by(MatchProfile.country)
        )
    )


@dataclass
class Reason:
    direction: str  # "need": my need meets their offer; "offer": my offer meets their need
    code: str
    their_text: str

    @property
    def label(self) -> str:
        return topic_label(self.code)


@dataclass
class Recommendation:
    profile: MatchProfile
    reasons: list[Reason] = field(default_factory=list)


def _their_text(profile: MatchProfile, kind: str, language: str) -> str:
    other = "en" if language == "ja" else "ja"
    text = getattr(profile, f"{kind}_{language}") or getattr(profile, f"{kind}_{other}") or ""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first[:120]


def recommendations(
    profile: MatchProfile, language: str = "en", limit: int = 10
) -> list[Recommendation]:
    """Profiles whose offers meet my needs (and whose needs my offers meet), best first,
    each with the reasons; people I already have an open request with are left out."""
    mine_need, mine_offer = set(profile.need_codes), set(profile.offer_codes)
    if (not mine_need and not mine_offer) or not takes_part(profile):
        return []
    busy = _open_partners(profile)
    others = db.session.scalars(
        select(MatchProfile).where(_listed_in(profile.edition_id), MatchProfile.id != profile.id)
    )
    found = []
    for other in others:
        if other.id in busy:
            continue
        reasons = [
            Reason("need", code, _their_text(other, "offers", language))
            for code in sorted(mine_need & set(other.offer_codes))
        ] + [
            Reason("offer", code, _their_text(other, "needs", language))
            for code in sorted(mine_offer & set(other.need_codes))
        ]
        if reasons:
            found.append(Recommendation(other, reasons))
    # More reasons first; a need of mine met counts more than an offer of mine wanted.
    found.sort(
        key=lambda r: (
            -len(r.reasons),
            -sum(reason.direction == "need" for reason in r.reasons),
            r.profile.display_name,
        )
    )
    return found[:limit]


# --- requests ----------------------------------------------------------------------------------


def request_cap() -> int:
    return int(current_app.config.get("MATCHING_REQUEST_CAP", 10))


def _lock_profile(profile_id: int) -> None:
    """Serialise request decisions per participant across processes (no-op on SQLite).

    FOR NO KEY UPDATE, not FOR UPDATE: inserting a request or a seat takes a key-share lock on
    both profiles (their foreign keys), so A asking B while B asks A would deadlock otherwise."""
    db.session.execute(
        select(MatchProfile.id).where(MatchProfile.id == profile_id).with_for_update(key_share=True)
    )


def _open_partners(profile: MatchProfile) -> set[int]:
    rows = db.session.execute(
        select(MeetingRequest.requester_id, MeetingRequest.recipient_id).where(
            or_(
                MeetingRequest.requester_id == profile.id,
                MeetingRequest.recipient_id == profile.id,
            ),
            MeetingRequest.state.in_(OPEN_REQUEST_STATES),
        )
    )
    return {a if b == profile.id else b for a, b in rows}


def open_request_between(a: MatchProfile, b: MatchProfile) -> MeetingRequest | None:
    return db.session.scalar(
        select(MeetingRequest).where(
            or_(
                and_(MeetingRequest.requester_id == a.id, MeetingRequest.recipient_id == b.id),
                and_(MeetingRequest.requester_id == b.id, MeetingRequest.recipient_id == a.id),
            ),
            MeetingRequest.state.in_(OPEN_REQUEST_STATES),
        )
    )


def sent_open_count(profile: MatchProfile) -> int:
    return db.session.scalar(
        select(func.count(MeetingRequest.id)).where(
            MeetingRequest.requester_id == profile.id,
            MeetingRequest.state.in_(OPEN_REQUEST_STATES),
            MeetingRequest.coordinator_id.is_(None),
        )
    )


def sender_refusal(profile: MatchProfile) -> str | None:
    """Why the participant cannot send any request now (None: they can): their registration
    no longer takes part, or they reached the cap of open requests. The profile page shows it
    in place of the request form; `send_request` refuses with it."""
    if not takes_part(profile):
        return _("Only confirmed registrations can take part in matching.")
    cap = request_cap()
    if sent_open_count(profile) >= cap:
        return _(
            "You have reached the limit of %(cap)s open requests. Cancel one to send another.",
            cap=cap,
        )
    return None


def _no_longer_taking_part(profile: MatchProfile, field: str | None = None) -> MatchingError:
    return MatchingError(
        _(
            "%(name)s no longer has a confirmed registration and cannot take part in matching.",
            name=profile.display_name,
        ),
        field,
    )


def _store(request: MeetingRequest, already_open: MatchingError) -> None:
    """Insert the request. The check for an open request between the two cannot see one that a
    concurrent transaction is storing; the pair's unique index refuses it, with the check's
    message."""
    db.session.add(request)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        # PostgreSQL names the index, SQLite the column.
        if not any(name in str(error.orig) for name in ("one_open_per_pair", "pair_key")):
            raise
        raise already_open from None


def send_request(
    requester: MatchProfile, recipient: MatchProfile, message: str = "", priority: int = 2
) -> MeetingRequest:
    """Ask for a meeting. Refused: to oneself, across editions, to a profile that is hidden or
    whose registration no longer takes part, from such a registration, when an open request
    between the two exists (either way), or beyond the cap of open requests."""
    if requester.id == recipient.id:
        raise MatchingError(_("You cannot request a meeting with yourself."))
    if requester.edition_id != recipient.edition_id or not listed(recipient):
        raise MatchingError(_("This participant is not taking requests."))
    if priority not in PRIORITIES:
        raise MatchingError(_("Choose a priority."), "priority")
    _lock_profile(requester.id)
    already_open = MatchingError(
        _(
            "There is already an open request between you and %(name)s.",
            name=recipient.display_name,
        )
    )
    if open_request_between(requester, recipient) is not None:
        raise already_open
    refusal = sender_refusal(requester)
    if refusal is not None:
        raise MatchingError(refusal)
    request = MeetingRequest(
        edition_id=requester.edition_id,
        requester=requester,
        recipient=recipient,
        message=(message or "").strip()[:2000],
        priority=priority,
    )
    _store(request, already_open)
    _mail(recipient, "matching/request_received", request=request)
    db.session.commit()
    return request


def _meeting_for(request: MeetingRequest, *, coordinator=None) -> Meeting:
    with db.session.no_autoflush:
        meeting = Meeting(
            edition_id=request.edition_id,
            priority=request.priority,
            status=MeetingStatus.DRAFT,
            # No shared meeting language: seat them at a table with an interpreter.
            needs_interpreter=not set(request.requester.languages)
            & set(request.recipient.languages),
            seats=[MeetingSeat(profile=request.requester), MeetingSeat(profile=request.recipient)],
        )
        db.session.add(meeting)
        meeting.request = request
    return meeting


def respond(request: MeetingRequest, profile: MatchProfile, accept: bool, note: str = ""):
    """The recipient accepts (a draft meeting is made for the scheduler) or declines."""
    if profile.id != request.recipient_id:
        raise MatchingError(_("Only the invited participant can answer this request."))
    _lock_profile(request.recipient_id)
    db.session.refresh(request)
    state = RequestState.ACCEPTED if accept else RequestState.DECLINED
    if not request.can_become(state):
        raise MatchingError(_("This request is no longer open."))
    if accept and not takes_part(profile):
        raise MatchingError(_("Only confirmed registrations can take part in matching."))
    if accept and not takes_part(request.requester):
        raise _no_longer_taking_part(request.requester)
    request.transition(state)
    request.response_note = (note or "").strip()[:1000]
    if accept:
        _meeting_for(request)
    _mail(request.requester, "matching/request_answered", request=request)
    db.session.commit()
    return request


def cancel_request(request: MeetingRequest, profile: MatchProfile | None, *, by_organiser=False):
    """Either party (or an organiser) cancels; an accepted request's meeting is cancelled too,
    unless it has already taken place."""
    if not by_organiser and (
        profile is None or profile.id not in (request.requester_id, request.recipient_id)
    ):
        raise MatchingError(_("This is not your request."))
    meeting = request.meeting and _lock_meeting(request.meeting.id)
    if meeting is not None and meeting.status in MARKED_STATUSES:
        raise MatchingError(_("The meeting has already taken place."))
    if not request.can_become(RequestState.CANCELLED):
        raise MatchingError(_("This request is no longer open."))
    request.transition(RequestState.CANCELLED)
    if meeting is not None and meeting.can_become(MeetingStatus.CANCELLED):
        was_published = meeting.is_published
        _cancel_meeting(meeting)
        if was_published:
            for seat in meeting.seats:
                _mail(seat.profile, "matching/meeting_cancelled", meeting=meeting)
    else:
        other = request.recipient if profile and profile.id == request.requester_id else None
        if other is not None and request.meeting is None:
            _mail(other, "matching/request_cancelled", request=request)
    db.session.commit()
    return request


def coordinate(
    organiser, a: MatchProfile, b: MatchProfile, message: str = "", priority: int = 2
) -> MeetingRequest:
    """A coordinator matches two parties: the request is accepted on their behalf."""
    if a.id == b.id:
        raise MatchingError(_("Choose two different participants."), "recipient")
    if a.edition_id != b.edition_id:
        raise MatchingError(_("Both participants must be at the same edition."), "recipient")
    if priority not in PRIORITIES:
        raise MatchingError(_("Choose a priority."), "priority")
    for party, field_name in ((a, "requester"), (b, "recipient")):
        if not takes_part(party):
            raise _no_longer_taking_part(party, field_name)
    _lock_profile(a.id)
    already_open = MatchingError(
        _(
            "There is already an open request between %(a)s and %(b)s.",
            a=a.display_name,
            b=b.display_name,
        ),
        "recipient",
    )
    if open_request_between(a, b) is not None:
        raise already_open
    request = MeetingRequest(
        edition_id=a.edition_id,
        requester=a,
        recipient=b,
        message=(message or "").strip()[:2000],
        priority=priority,
        coordinator_id=organiser.id,
        state=RequestState.ACCEPTED,
        responded_at=utcnow(),
    )
    _store(request, already_open)
    _meeting_for(request, coordinator=organiser)
    db.session.flush()
    for party in (a, b):
        _mail(party, "matching/coordinated", request=request, me=party)
    db.session.commit()
    return request


def expire_requests(edition=None, *, older_than: timedelta | None = None) -> int:
    """Unanswered requests expire before scheduling (all of them, or those older than)."""
    query = select(MeetingRequest).where(MeetingRequest.state == RequestState.REQUESTED)
    if edition is not None:
        query = query.where(MeetingRequest.edition_id == edition.id)
    if older_than is not None:
        query = query.where(MeetingRequest.created_at < utcnow() - older_than)
    count = 0
    for request in db.session.scalars(query.with_for_update()):
        request.transition(RequestState.EXPIRED)
        _mail(request.requester, "matching/request_expired", request=request)
        count += 1
    db.session.commit()
    return count


def requests_of(profile: MatchProfile) -> tuple[list[MeetingRequest], list[MeetingRequest]]:
    """(received, sent), newest first, loaded with what each row shows (the other side's name,
    the meeting): one query per list, however many requests."""
    order = MeetingRequest.created_at.desc(), MeetingRequest.id.desc()
    shown = [
        db.joinedload(side).joinedload(MatchProfile.registration).joinedload(Registration.user)
        for side in (MeetingRequest.requester, MeetingRequest.recipient)
    ]
    requests = select(MeetingRequest).options(db.joinedload(MeetingRequest.meeting), *shown)
    received = db.session.scalars(
        requests.where(MeetingRequest.recipient_id == profile.id).order_by(*order)
    )
    sent = db.session.scalars(
        requests.where(MeetingRequest.requester_id == profile.id).order_by(*order)
    )
    return list(received), list(sent)


# --- the grid ----------------------------------------------------------------------------------


def matching_sessions(edition) -> list[Session]:
    return list(
        db.session.scalars(
            select(Session)
            .where(Session.edition_id == edition.id, Session.kind == SessionKind.MATCHING)
            .order_by(Session.starts_at)
        )
    )


def slots_of(session: Session) -> list[MatchingSlot]:
    return list(
        db.session.scalars(
            select(MatchingSlot)
            .where(MatchingSlot.session_id == session.id)
            .order_by(MatchingSlot.number)
        )
    )


def tables_of(session: Session) -> list[MatchingTable]:
    return list(
        db.session.scalars(
            select(MatchingTable)
            .where(MatchingTable.session_id == session.id)
            .order_by(MatchingTable.number)
        )
    )


def setup_grid(
    session: Session,
    *,
    slot_minutes: int = 20,
    gap_minutes: int = 0,
    tables: int = 10,
    interpreter_tables: int = 0,
) -> tuple[list[MatchingSlot], list[MatchingTable]]:
    """Cut the session into slots and number its tables. Refused once meetings are placed."""
    if session.kind != SessionKind.MATCHING:
        raise MatchingError(_("Only matching sessions have a meeting grid."))
    if not 5 <= slot_minutes <= 120:
        raise MatchingError(_("A slot lasts between 5 and 120 minutes."), "slot_minutes")
    if not 0 <= gap_minutes <= 60:
        raise MatchingError(_("The pause between slots is 0 to 60 minutes."), "gap_minutes")
    if not 1 <= tables <= 200:
        raise MatchingError(_("Between 1 and 200 tables."), "tables")
    if not 0 <= interpreter_tables <= tables:
        raise MatchingError(
            _("At most as many interpreter tables as tables."), "interpreter_tables"
        )
    placed = db.session.scalar(
        select(func.count(Meeting.id))
        .join(MatchingSlot, MatchingSlot.id == Meeting.slot_id)
        .where(MatchingSlot.session_id == session.id)
    )
    if placed:
        raise MatchingError(
            _(
                "%(count)s meetings are already placed in this session: unschedule them first.",
                count=placed,
            )
        )
    for row in slots_of(session) + tables_of(session):
        db.session.delete(row)
    db.session.flush()
    slots = []
    step = timedelta(minutes=slot_minutes)
    moment = session.starts_at
    while moment + step <= session.ends_at:
        slots.append(
            MatchingSlot(
                session=session, number=len(slots), starts_at=moment, ends_at=moment + step
            )
        )
        moment += step + timedelta(minutes=gap_minutes)
    if not slots:
        raise MatchingError(_("The session is shorter than one slot."), "slot_minutes")
    made_tables = [
        MatchingTable(session=session, number=n, interpreter=n <= interpreter_tables)
        for n in range(1, tables + 1)
    ]
    db.session.add_all(slots + made_tables)
    db.session.commit()
    return slots, made_tables


# --- scheduling --------------------------------------------------------------------------------


def _meetings_for_session(session: Session) -> list[Meeting]:
    """Meetings the scheduler considers for this session: active ones of the session, plus
    unplaced drafts that are not tied to another session."""
    return list(
        db.session.scalars(
            select(Meeting)
            .where(
                Meeting.edition_id == session.edition_id,
                Meeting.status.in_(ACTIVE_STATUSES),
                or_(
                    Meeting.session_id == session.id,
                    and_(Meeting.session_id.is_(None), Meeting.slot_id.is_(None)),
                ),
            )
            .order_by(Meeting.id)
        )
    )


def build_instance(session: Session) -> tuple[dict, dict]:
    """The scheduler's instance for a session: published meetings are fixed where they are;
    drafts are free. When the session has interpreter tables, the drafts without a shared
    language need one of them, and a published meeting uses one when it sits at one.
    Returns (instance, {"slots", "tables", "meetings": {id: Meeting}, "left_out": [Meeting]})."""
    slots = slots_of(session)
    tables = tables_of(session)
    interpreter_tables = sum(table.interpreter for table in tables)
    index = {slot.id: slot.number for slot in slots}
    meetings = _meetings_for_session(session)
    people: dict[int, MatchProfile] = {}
    for meeting in meetings:
        for seat in meeting.seats:
            people[seat.profile_id] = seat.profile
    off_rows = db.session.execute(
        select(ProfileUnavailability.profile_id, ProfileUnavailability.slot_id).where(
            ProfileUnavailability.profile_id.in_(list(people)),
            ProfileUnavailability.slot_id.in_(list(index)),
        )
    )
    unavailable: dict[int, set[int]] = {}
    for profile_id, slot_id in off_rows:
        unavailable.setdefault(profile_id, set()).add(index[slot_id])
    # Meetings elsewhere (another matching session overlapping in time) block those slots too.
    for profile_id, others in _slots_elsewhere(people, session).items():
        for slot in slots:
            if any(_overlap(other, slot) for other in others):
                unavailable.setdefault(profile_id, set()).add(slot.number)
    rows = []
    by_id = {}
    left_out = []  # drafts of someone who left matching: they wait, off the board
    for meeting in meetings:
        if meeting.is_published and meeting.slot_id not in index:
            continue  # published in another session
        if not meeting.is_published and not all(takes_part(s.profile) for s in meeting.seats):
            left_out.append(meeting)
            continue
        key = f"m{meeting.id}"
        by_id[key] = meeting
        fixed = index[meeting.slot_id] if meeting.is_published else None
        if meeting.is_published:
            interpreter = meeting.table is not None and meeting.table.interpreter
        else:
            interpreter = meeting.needs_interpreter
        rows.append(
            {
                "id": key,
                "participants": [f"p{seat.profile_id}" for seat in meeting.seats],
                "priority": meeting.priority,
                "allowed": None,
                "fixed": fixed,
                "interpreter": interpreter and interpreter_tables > 0,
            }
        )
    instance = {
        "slots": len(slots),
        "tables": len(tables),
        "interpreter_tables": interpreter_tables,
        "participants": [
            {"id": f"p{pid}", "unavailable": sorted(unavailable.get(pid, ()))}
            for pid in sorted(people)
        ],
        "meetings": rows,
        "max_breaks_per_participant": current_app.config.get("MATCHING_MAX_BREAKS", 2),
    }
    return instance, {"slots": slots, "tables": tables, "meetings": by_id, "left_out": left_out}


def _slots_elsewhere(profile_ids, session: Session) -> dict[int, list[MatchingSlot]]:
    """The slots where these participants have placed meetings in other sessions."""
    found: dict[int, list[MatchingSlot]] = {}
    rows = db.session.execute(
        select(MeetingSeat.profile_id, MatchingSlot)
        .join(MatchingSlot, MatchingSlot.id == MeetingSeat.slot_id)
        .where(MeetingSeat.profile_id.in_(list(profile_ids)), MatchingSlot.session_id != session.id)
    )
    for profile_id, slot in rows:
        found.setdefault(profile_id, []).append(slot)
    return found


def _lock_matching(edition_id: int) -> None:
    """Serialise what places meetings in an edition (applying a run, moves, publishing) across
    processes, so that the check for overlapping seats in parallel sessions sees the others'
    writes (no-op on SQLite). FOR NO KEY UPDATE: rows that only reference the edition (scans,
    registrations) are still inserted meanwhile."""
    db.session.execute(
        select(Edition.id).where(Edition.id == edition_id).with_for_update(key_share=True)
    )


def _place(meeting: Meeting, slot: MatchingSlot | None, table: MatchingTable | None) -> None:
    """Move a meeting and its seats together (the seats mirror the slot for the unique key)."""
    meeting.slot = slot
    meeting.table = table
    meeting.slot_id = slot.id if slot else None
    meeting.table_id = table.id if table else None
    if slot is not None:
        meeting.session_id = slot.session_id
    for seat in meeting.seats:
        seat.slot_id = meeting.slot_id


def _cancel_meeting(meeting: Meeting) -> None:
    meeting.transition(MeetingStatus.CANCELLED)
    meeting.cancelled_at = utcnow()
    _place(meeting, None, None)


def apply_schedule(session: Session, output: dict, mapping: dict) -> int:
    """Write the solver's output as drafts. Published meetings keep their slot and table; the
    other meetings of a slot take the free tables, interpreter tables first for those who need
    one (the solver leaves enough of them in each slot). Drafts left out of the instance lose
    their place. Returns the number of drafts placed.

    The solver worked on the meetings as they were when it started. Under the edition's
    matching lock they are read again: a meeting published, moved or cancelled meanwhile stays
    as it is now, and a draft goes nowhere its participants, its table or the interpreters are
    now taken, in this session or a parallel one: it waits."""
    slots, tables = mapping["slots"], mapping["tables"]
    _lock_matching(session.edition_id)
    ids = [m.id for m in mapping["meetings"].values()] + [m.id for m in mapping["left_out"]]
    now = {
        m.id: m
        for m in db.session.scalars(
            select(Meeting).where(Meeting.id.in_(ids)).execution_options(populate_existing=True)
        )
    }
    by_id = {key: now[m.id] for key, m in mapping["meetings"].items() if m.id in now}
    drafts = [m for m in by_id.values() if m.status == MeetingStatus.DRAFT]
    for meeting in drafts + [now[m.id] for m in mapping["left_out"] if m.id in now]:
        if meeting.status == MeetingStatus.DRAFT:
            _place(meeting, None, None)
    db.session.flush()
    # What stays where it is now: every meeting still placed in this session.
    taken: dict[int, set[int]] = {}  # slot id -> table ids
    busy: set[tuple[int, int]] = set()  # (profile id, slot id)
    staying = db.session.scalars(
        select(Meeting)
        .join(MatchingSlot, MatchingSlot.id == Meeting.slot_id)
        .where(MatchingSlot.session_id == session.id)
    )
    for meeting in staying:
        taken.setdefault(meeting.slot_id, set()).add(meeting.table_id)
        busy.update((seat.profile_id, meeting.slot_id) for seat in meeting.seats)
    elsewhere = _slots_elsewhere({seat.profile_id for m in drafts for seat in m.seats}, session)
    has_interpreters = any(t.interpreter for t in tables)
    placed = 0
    rows = sorted(
        (row for row in output["assignments"] if by_id.get(row["meeting"]) in drafts),
        key=lambda row: (not by_id[row["meeting"]].needs_interpreter, row["slot"]),
    )
    for row in rows:
        meeting = by_id[row["meeting"]]
        slot = slots[row["slot"]]
        if any((seat.profile_id, slot.id) in busy for seat in meeting.seats):
            continue  # someone's meeting here was published or moved while the solver ran
        meanwhile = [o for seat in meeting.seats for o in elsewhere.get(seat.profile_id, ())]
        if any(_overlap(other, slot) for other in meanwhile):
            continue  # placed in a parallel session at that time while the solver ran
        used = taken.setdefault(slot.id, set())
        free = [t for t in tables if t.id not in used]
        if meeting.needs_interpreter and has_interpreters:
            free = [t for t in free if t.interpreter]
        else:
            free.sort(key=lambda t: t.interpreter)  # keep interpreters for those who need them
        if not free:
            continue  # the tables filled up meanwhile
        table = free[0]
        used.add(table.id)
        busy.update((seat.profile_id, slot.id) for seat in meeting.seats)
        _place(meeting, slot, table)
        placed += 1
    db.session.flush()
    return placed


def schedule_session(session: Session, time_limit: float = 30.0, job_id: int | None = None):
    """Build the instance, solve it and store drafts. Returns the solver's output."""
    from convention.jobs.services import report_progress

    instance, mapping = build_instance(session)
    if not instance["slots"] or not instance["tables"]:
        raise MatchingError(_("Set up the slots and tables of this session first."))
    if job_id:
        report_progress(
            job_id,
            10,
            _(
                "Solving: %(count)s meetings, %(slots)s slots, %(tables)s tables",
                count=len(instance["meetings"]),
                slots=instance["slots"],
                tables=instance["tables"],
            ),
        )
    stats: dict = {}
    output = solve(instance, time_limit=time_limit, stats=stats)
    if output["status"] == "infeasible":
        raise MatchingError(
            _(
                "The published meetings contradict each other; nothing changed. %(reason)s",
                reason=_conflict_message(stats.get("conflict"), mapping),
            )
        )
    if job_id:
        report_progress(job_id, 90, _("Saving the draft schedule"))
    apply_schedule(session, output, mapping)
    db.session.commit()
    return output


def _conflict_message(conflict, mapping: dict) -> str:
    """The scheduler's FixedConflict in the organiser's language, with names, meeting numbers
    and times instead of the instance's ids (p12, m34, slot 3)."""
    if conflict is None:
        return ""
    names = {
        f"p{seat.profile_id}": seat.profile.display_name
        for meeting in mapping["meetings"].values()
        for seat in meeting.seats
    }
    numbers = [f"#{mid[1:]}" for mid in conflict.meetings]
    when = slot_label(mapping["slots"][conflict.slot])
    name = names.get(conflict.person, conflict.person)
    if conflict.kind == "unavailable":
        return _(
            "%(name)s cannot meet at %(time)s, where meeting %(meeting)s is published.",
            name=name,
            time=when,
            meeting=numbers[0],
        )
    if conflict.kind == "same_slot":
        return _(
            "%(name)s has published meetings %(first)s and %(second)s at %(time)s.",
            name=name,
            first=numbers[0],
            second=numbers[1],
            time=when,
        )
    if conflict.kind == "tables":
        return _("More published meetings than tables at %(time)s.", time=when)
    return _(
        "Meeting %(meeting)s is published at %(time)s, where it may not be.",
        meeting=numbers[0],
        time=when,
    )


def run_scheduler_job(job_id: int, session_id: int, time_limit: float) -> str:
    """The back-office job (convention.jobs tracked job): returns the board's URL."""
    from convention.jobs.services import report_progress

    session = db.session.get(Session, session_id)
    output = schedule_session(session, time_limit, job_id=job_id)
    report_progress(job_id, 100, schedule_summary(output))
    return absolute_url("matching.admin_session", session_id=session_id)


def schedule_summary(output: dict) -> str:
    # The scheduler's status is a code word of its file format (DESIGN.md); people read these.
    statuses = {
        "optimal": _("Best possible schedule"),
        "feasible": _("Good schedule, not proven the best"),
        "infeasible": _("No schedule possible"),
        "timeout": _("Time limit reached"),
    }
    return _(
        "%(status)s: %(placed)s meetings placed, %(left)s unscheduled, %(breaks)s breaks "
        "(%(seconds)s s)",
        status=statuses.get(output["status"], output["status"]),
        placed=len(output["assignments"]),
        left=len(output["unscheduled"]),
        breaks=output["breaks"],
        seconds=f"{output['seconds']:.1f}",
    )


INLINE_TIME_LIMIT = 20.0  # without a worker the organiser's request waits for the solver


def start_scheduling(session: Session, user, time_limit: float):
    from convention.jobs import uses_worker
    from convention.jobs.services import start

    if not uses_worker():
        time_limit = min(float(time_limit), INLINE_TIME_LIMIT)

    return start(
        "matching-scheduler",
        "convention.matching.services:run_scheduler_job",
        session.id,
        float(time_limit),
        created_by=user,
    )


def publish(session: Session, *, notify: bool = True) -> int:
    """Drafts placed in this session become scheduled; each participant gets their agenda.
    A draft of someone whose registration was cancelled since the run goes back to waiting."""
    _lock_matching(session.edition_id)
    drafts = list(
        db.session.scalars(
            select(Meeting)
            .join(MatchingSlot, MatchingSlot.id == Meeting.slot_id)
            .where(MatchingSlot.session_id == session.id, Meeting.status == MeetingStatus.DRAFT)
            .with_for_update(of=Meeting)
        )
    )
    now = utcnow()
    people: dict[int, MatchProfile] = {}
    for meeting in list(drafts):
        if not all(takes_part(seat.profile) for seat in meeting.seats):
            _place(meeting, None, None)  # someone left matching since the run: it waits
            drafts.remove(meeting)
            continue
        meeting.transition(MeetingStatus.SCHEDULED)
        meeting.published_at = now
        for seat in meeting.seats:
            people[seat.profile_id] = seat.profile
    db.session.flush()
    for profile in people.values() if notify else ():
        _mail(
            profile,
            "matching/agenda",
            meetings=agenda(profile),
            attachments=[attachment("meetings.ics", "text/calendar", agenda_ics(profile))],
        )
    db.session.commit()
    return len(drafts)


def unschedule_drafts(session: Session) -> int:
    _lock_matching(session.edition_id)
    drafts = list(
        db.session.scalars(
            select(Meeting)
            .join(MatchingSlot, MatchingSlot.id == Meeting.slot_id)
            .where(MatchingSlot.session_id == session.id, Meeting.status == MeetingStatus.DRAFT)
        )
    )
    for meeting in drafts:
        _place(meeting, None, None)
    db.session.commit()
    return len(drafts)


# --- manual moves, marks and follow-ups --------------------------------------------------------


def conflicts(meeting: Meeting, slot: MatchingSlot, table: MatchingTable) -> list[str]:
    """Why this meeting cannot go to (slot, table); empty when it can."""
    problems = []
    if table.session_id != slot.session_id:
        problems.append(_("The table is not in the slot's session."))
    for seat in meeting.seats:
        if not takes_part(seat.profile):
            problems.append(_no_longer_taking_part(seat.profile).message)
    if meeting.needs_interpreter and not table.interpreter and _has_interpreter_tables(table):
        problems.append(
            _(
                "Meeting #%(id)s needs an interpreter: table %(table)s has none.",
                id=meeting.id,
                table=table.number,
            )
        )
    other = db.session.scalar(
        select(Meeting).where(
            Meeting.slot_id == slot.id, Meeting.table_id == table.id, Meeting.id != meeting.id
        )
    )
    if other is not None:
        problems.append(
            _(
                "Table %(table)s is taken in this slot by meeting #%(id)s.",
                table=table.number,
                id=other.id,
            )
        )
    cap = current_app.config.get("MATCHING_MAX_BREAKS", 2)
    for seat in meeting.seats:
        elsewhere = _placed_seats(seat.profile_id, meeting.id)
        clash = next((seat for seat, other in elsewhere if _overlap(other, slot)), None)
        if clash is not None:
            problems.append(
                _(
                    "%(name)s already has meeting #%(id)s in this slot.",
                    name=seat.profile.display_name,
                    id=clash.meeting_id,
                )
            )
        day = [other.number for _, other in elsewhere if other.session_id == slot.session_id]
        here = (
            [meeting.slot.number]
            if meeting.slot and meeting.slot.session_id == slot.session_id
            else []
        )
        # Above the cap only when the move adds breaks (published meetings may already be).
        allowed = max(cap, count_breaks(day + here)) if cap is not None else None
        if allowed is not None and count_breaks([*day, slot.number]) > allowed:
            problems.append(
                _(
                    "%(name)s would have more than %(cap)s breaks between meetings.",
                    name=seat.profile.display_name,
                    cap=cap,
                )
            )
        off = db.session.scalar(
            select(ProfileUnavailability.id).where(
                ProfileUnavailability.profile_id == seat.profile_id,
                ProfileUnavailability.slot_id == slot.id,
            )
        )
        if off is not None:
            problems.append(
                _("%(name)s is not available in this slot.", name=seat.profile.display_name)
            )
    return problems


def _placed_seats(profile_id: int, except_meeting: int) -> list[tuple[MeetingSeat, MatchingSlot]]:
    """The participant's seats in placed meetings (drafts too), other than `except_meeting`."""
    return list(
        db.session.execute(
            select(MeetingSeat, MatchingSlot)
            .join(MatchingSlot, MatchingSlot.id == MeetingSeat.slot_id)
            .where(MeetingSeat.profile_id == profile_id, MeetingSeat.meeting_id != except_meeting)
        )
    )


def _overlap(one: MatchingSlot, other: MatchingSlot) -> bool:
    """Do two slots overlap in time? Parallel matching sessions have slots of their own, so
    the same slot row is not the only clash."""
    return one.starts_at < other.ends_at and other.starts_at < one.ends_at


def _has_interpreter_tables(table: MatchingTable) -> bool:
    """Does the table's session have interpreters? Without any, no meeting can ask for one."""
    return bool(
        db.session.scalar(
            select(MatchingTable.id)
            .where(MatchingTable.session_id == table.session_id, MatchingTable.interpreter)
            .limit(1)
        )
    )


def _lock_meeting(meeting_id: int) -> Meeting | None:
    """The meeting as it is now (not as this session last read it), its row locked after the
    edition's matching lock, the order every placing path takes; None when there is none."""
    edition_id = db.session.scalar(select(Meeting.edition_id).where(Meeting.id == meeting_id))
    if edition_id is None:
        return None
    _lock_matching(edition_id)
    return db.session.scalar(
        select(Meeting)
        .where(Meeting.id == meeting_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def move_meeting(meeting_id: int, slot_id: int, table_id: int) -> Meeting:
    """Move a meeting by hand; refused with the reasons on any conflict. The meeting row is
    locked and the unique keys (participant, slot) and (slot, table) settle concurrent moves;
    the edition's matching lock (taken first, as every placing path does) covers parallel
    sessions, which those keys do not."""
    meeting = _lock_meeting(meeting_id)
    if meeting is None:
        raise MatchingError(_("No such meeting."))
    if meeting.status not in (MeetingStatus.DRAFT, MeetingStatus.SCHEDULED):
        raise MatchingError(_("Only draft or scheduled meetings can be moved."))
    slot = get_by_id(MatchingSlot, slot_id)
    table = get_by_id(MatchingTable, table_id)
    if slot is None or table is None or slot.session.edition_id != meeting.edition_id:
        raise MatchingError(_("Choose a slot and a table of this edition."), "slot")
    problems = conflicts(meeting, slot, table)
    if problems:
        raise MatchingError(" ".join(str(p) for p in problems), "slot")
    was_published = meeting.is_published
    _place(meeting, slot, table)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise MatchingError(
            _("Someone else just placed a meeting there. Reload and try again."), "slot"
        ) from None
    if was_published:
        for seat in meeting.seats:
            _mail(seat.profile, "matching/meeting_moved", meeting=meeting)
    db.session.commit()
    return meeting


def _has_begun(meeting: Meeting, now=None) -> bool:
    return meeting.slot is not None and meeting.slot.starts_at <= (now or utcnow())


def mark(meeting: Meeting, status: MeetingStatus, user) -> Meeting:
    """Held or no-show, by door staff or organisers, from the start of the meeting's slot: the
    door marks what it sees, so a meeting to come is neither. A mistaken mark may be corrected
    at any time after that (late in the day, or by an organiser the next morning), or cleared
    (`status` SCHEDULED): the check-ins at the tables then decide again. Clearing works at any
    time, so a mark made ahead of the slot can be undone."""
    if status not in (*MARKED_STATUSES, MeetingStatus.SCHEDULED):
        raise MatchingError(_("A meeting is marked held or no-show."))
    meeting = _lock_meeting(meeting.id)  # a cancellation in another process comes first
    if meeting is None:
        raise MatchingError(_("No such meeting."))
    if meeting.status == status:
        return meeting
    clearing = status == MeetingStatus.SCHEDULED
    if clearing and meeting.status not in MARKED_STATUSES:  # never publishes a draft
        raise MatchingError(_("Only a meeting marked held or no-show has a mark to clear."))
    if not meeting.can_become(status):
        raise MatchingError(_("Only a published meeting can be marked held or no-show."))
    if not clearing and not _has_begun(meeting):
        raise MatchingError(
            _(
                "This meeting starts at %(time)s: it can be marked held or no-show from then on.",
                time=slot_start(meeting.slot) if meeting.slot else "—",
            )
        )
    meeting.transition(status)
    meeting.marked_at = None if clearing else utcnow()
    meeting.marked_by_id = None if clearing else getattr(user, "id", None)
    db.session.commit()
    return meeting


def cancel_meeting(meeting: Meeting) -> Meeting:
    meeting = _lock_meeting(meeting.id)
    if not meeting.can_become(MeetingStatus.CANCELLED):
        raise MatchingError(_("This meeting cannot be cancelled any more."))
    was_published = meeting.is_published
    _cancel_meeting(meeting)
    if meeting.request is not None and meeting.request.can_become(RequestState.CANCELLED):
        meeting.request.transition(RequestState.CANCELLED)
    if was_published:
        for seat in meeting.seats:
            _mail(seat.profile, "matching/meeting_cancelled", meeting=meeting)
    db.session.commit()
    return meeting


def record_follow_up(
    meeting: Meeting, profile: MatchProfile, outcome: FollowUpOutcome, note: str = "", by=None
) -> FollowUp:
    """A party's answer after the meeting (a party itself, or an organiser for them): only for
    a meeting that took place, i.e. marked held and its slot begun, since a deal counts for
    KPI ①."""
    if profile.id not in {seat.profile_id for seat in meeting.seats}:
        raise MatchingError(_("Only the meeting's participants have a follow-up."))
    if meeting.status != MeetingStatus.HELD or not _has_begun(meeting):
        raise MatchingError(_("Follow-ups are recorded for meetings that took place."))
    row = db.session.scalar(
        select(FollowUp).where(FollowUp.meeting_id == meeting.id, FollowUp.profile_id == profile.id)
    )
    if row is None:
        row = FollowUp(meeting=meeting, profile=profile)
        db.session.add(row)
    row.outcome = FollowUpOutcome(outcome)
    row.deal = row.outcome == FollowUpOutcome.DEAL
    row.note = (note or "").strip()[:2000]
    row.recorded_by_id = getattr(by, "id", None)
    db.session.commit()
    return row


# --- agendas -----------------------------------------------------------------------------------


def agenda(profile: MatchProfile) -> list[Meeting]:
    """My published meetings in time order."""
    return list(
        db.session.scalars(
            select(Meeting)
            .join(MeetingSeat, MeetingSeat.meeting_id == Meeting.id)
            .join(MatchingSlot, MatchingSlot.id == Meeting.slot_id)
            .where(MeetingSeat.profile_id == profile.id, Meeting.status.in_(PUBLISHED_STATUSES))
            .order_by(MatchingSlot.starts_at)
        )
    )


def others_in(meeting: Meeting, profile: MatchProfile) -> list[MatchProfile]:
    return [seat.profile for seat in meeting.seats if seat.profile_id != profile.id]


def agenda_ics(profile: MatchProfile, language: str | None = None) -> bytes:
    """My meetings as an iCalendar file; UIDs follow the meeting, so a re-import updates."""
    language = language or profile.user.language or "ja"
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Decarbonization Convention//Business matching//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    with force_locale(language):
        calendar.add("x-wr-calname", str(_("Business matching meetings")))
    for event in meeting_events(profile, language):
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def meeting_events(profile: MatchProfile | Registration, language: str) -> list:
    """iCalendar events of my published meetings (for my agenda file and the registration's
    calendar feed); accepts the profile or the registration."""
    if isinstance(profile, Registration):
        profile = db.session.scalar(
            select(MatchProfile).where(MatchProfile.registration_id == profile.id)
        )
        if profile is None:
            return []
    events = []
    stamp = utcnow().replace(microsecond=0)
    with force_locale(language):
        for meeting in agenda(profile):
            names = ", ".join(p.display_name for p in others_in(meeting, profile))
            event = icalendar.Event()
            event.add("uid", f"meeting-{meeting.id}-{profile.id}@convention.example")
            event.add("dtstamp", stamp)
            event.add("dtstart", local(meeting.slot.starts_at).replace(microsecond=0))
            event.add("dtend", local(meeting.slot.ends_at).replace(microsecond=0))
            event.add("summary", str(_("Meeting with %(names)s", names=names)))
            location = str(_("Table %(number)s", number=meeting.table.number))
            if meeting.session and meeting.session.room:
                room = getattr(meeting.session.room, f"name_{language}", "")
                location = f"{room}, {location}" if room else location
            event.add("location", location)
            events.append(event)
    return events


def _mail(profile: MatchProfile, template: str, **context) -> None:
    user = profile.user
    attachments = context.pop("attachments", None)
    queue(
        user.email,
        template,
        language=user.language or "ja",
        attachments=attachments,
        profile=profile,
        user=user,
        urls={
            name: absolute_url(f"matching.{name}") for name in ("requests", "agenda", "directory")
        },
        **context,
    )


# --- boards ------------------------------------------------------------------------------------


def board_order():
    return (MatchingSlot.starts_at, Meeting.table_id, Meeting.id)


def board(session: Session) -> dict[tuple[int, int], Meeting]:
    """Placed meetings of a session by (slot id, table id)."""
    meetings = db.session.scalars(
        select(Meeting)
        .join(MatchingSlot, MatchingSlot.id == Meeting.slot_id)
        .where(MatchingSlot.session_id == session.id)
    )
    return {(m.slot_id, m.table_id): m for m in meetings}


@dataclass(frozen=True, eq=False)
class DoorSlot:
    """One time at the matching tables, with its published meetings in table order (those of
    parallel sessions, which share the time, one session after the other)."""

    starts_at: datetime
    ends_at: datetime
    meetings: list[Meeting]

    @property
    def key(self) -> str:
        """The slot's name in a link: its start in the event's time, e.g. 2026-12-04T13:00."""
        return local(self.starts_at).strftime("%Y-%m-%dT%H:%M")

    @property
    def anchor(self) -> str:
        """The key as an HTML id can be selected by (no colon)."""
        return self.key.replace(":", "").replace("-", "")

    @property
    def day(self) -> date:
        return local(self.starts_at).date()

    @property
    def marked(self) -> int:
        return sum(1 for meeting in self.meetings if meeting.status in MARKED_STATUSES)

    def underway(self, now=None) -> bool:
        return self.starts_at <= (now or utcnow()) < self.ends_at


def door_slots(edition: Edition, starts_at: datetime | None = None) -> list[DoorSlot]:
    """The edition's published meetings, slot by slot in time order (only the slot starting
    at `starts_at`, when given)."""
    query = (
        select(Meeting)
        .join(MatchingSlot, MatchingSlot.id == Meeting.slot_id)
        .join(MatchingTable, MatchingTable.id == Meeting.table_id)
        .where(Meeting.edition_id == edition.id, Meeting.status.in_(PUBLISHED_STATUSES))
        .order_by(MatchingSlot.starts_at, MatchingSlot.session_id, MatchingTable.number)
    )
    if starts_at is not None:
        query = query.where(MatchingSlot.starts_at == starts_at)
    meetings = db.session.scalars(query)
    by_start: dict[datetime, DoorSlot] = {}
    for meeting in meetings:
        slot = meeting.slot
        entry = by_start.setdefault(slot.starts_at, DoorSlot(slot.starts_at, slot.ends_at, []))
        entry.meetings.append(meeting)
    return list(by_start.values())


def door_slot_of(meeting: Meeting) -> DoorSlot | None:
    """The slot of the door page that `meeting` is in (None: it has no slot)."""
    if meeting.slot is None:
        return None
    return next(iter(door_slots(meeting.edition, meeting.slot.starts_at)), None)


def slot_at(slots: list[DoorSlot], now=None) -> DoorSlot | None:
    """The slot the door needs first: the one in progress, else the next to start, else (the
    day is over) the last one, whose marks may still need correcting."""
    now = now or utcnow()
    return next((entry for entry in slots if now < entry.ends_at), slots[-1] if slots else None)


@dataclass(frozen=True)
class TableRow:
    """A line of one table's card on the board: a meeting, or free slots from first to last."""

    first: MatchingSlot
    last: MatchingSlot
    meeting: Meeting | None = None


def table_rows(
    slots: list[MatchingSlot], table: MatchingTable, placed: dict[tuple[int, int], Meeting]
) -> list[TableRow]:
    """A table's slots in time order, with each run of free slots in one row: a card that read
    "free" eight times before its first meeting now reads "13:30–16:10 free"."""
    rows: list[TableRow] = []
    for slot in slots:
        meeting = placed.get((slot.id, table.id))
        if meeting is None and rows and rows[-1].meeting is None:
            rows[-1] = TableRow(rows[-1].first, slot)
        else:
            rows.append(TableRow(slot, slot, meeting))
    return rows


def unplaced_meetings(edition, session: Session | None = None) -> list[Meeting]:
    """Accepted meetings without a slot (for this session, or any session)."""
    query = select(Meeting).where(
        Meeting.edition_id == edition.id,
        Meeting.status == MeetingStatus.DRAFT,
        Meeting.slot_id.is_(None),
    )
    if session is not None:
        query = query.where(or_(Meeting.session_id.is_(None), Meeting.session_id == session.id))
    return list(db.session.scalars(query.order_by(Meeting.priority.desc(), Meeting.id)))


# --- on the day: held from check-ins at the matching tables ------------------------------------

CHECKIN_EARLY = timedelta(minutes=15)


def _checked_in(registration_id: int, meeting: Meeting, opens) -> bool:
    """Was this party at the tables for the meeting? The door team's rule: a party is present
    when they checked in at the matching tables (an accepted, not undone "in" scan on a
    matching list of the edition: this session's, or one for every matching session)

    - at any time from 15 minutes before the session's first slot (`opens`) until the
      meeting's slot ends (one check-in covers the rest of the session's meetings, since
      nobody scans between meetings at the tables; coming late still counts), and
    - did not check out on that same list between that check-in and the slot's start (an "out"
      scan during the meeting does not undo it: they were there)."""
    from convention.checkin.models import CheckInList, ListKind, Scan, ScanDirection, ScanResult

    slot = meeting.slot
    out = aliased(Scan)
    left_before_the_slot = (
        select(out.id)
        .where(
            out.checkin_list_id == Scan.checkin_list_id,
            out.registration_id == registration_id,
            out.direction == ScanDirection.OUT,
            out.result == ScanResult.OK,
            out.undone_at.is_(None),
            out.scanned_at > Scan.scanned_at,
            out.scanned_at <= slot.starts_at,
        )
        .exists()
    )
    return (
        db.session.scalar(
            select(Scan.id)
            .join(CheckInList, CheckInList.id == Scan.checkin_list_id)
            .where(
                Scan.registration_id == registration_id,
                Scan.direction == ScanDirection.IN,
                Scan.result == ScanResult.OK,
                Scan.undone_at.is_(None),
                CheckInList.edition_id == meeting.edition_id,
                CheckInList.kind == ListKind.MATCHING,
                or_(CheckInList.session_id.is_(None), CheckInList.session_id == slot.session_id),
                Scan.scanned_at >= opens - CHECKIN_EARLY,
                Scan.scanned_at <= slot.ends_at,
                ~left_before_the_slot,
            )
            .limit(1)
        )
        is not None
    )


def mark_from_checkins(edition, now=None) -> dict:
    """Scheduled meetings whose slot has begun: held when every party was checked in at the
    matching tables; once the slot is over without that, no-show. Staff marks are kept."""
    now = now or utcnow()
    meetings = db.session.scalars(
        select(Meeting)
        .join(MatchingSlot, MatchingSlot.id == Meeting.slot_id)
        .where(
            Meeting.edition_id == edition.id,
            Meeting.status == MeetingStatus.SCHEDULED,
            MatchingSlot.starts_at <= now,
        )
        .with_for_update(of=Meeting)
    )
    first_slots = dict(  # session id -> its first slot's start, for every party's check-in
        db.session.execute(
            select(MatchingSlot.session_id, func.min(MatchingSlot.starts_at))
            .join(Session, Session.id == MatchingSlot.session_id)
            .where(Session.edition_id == edition.id)
            .group_by(MatchingSlot.session_id)
        ).all()
    )
    counts = {"held": 0, "no_show": 0}
    for meeting in meetings:
        opens = first_slots[meeting.slot.session_id]
        present = all(
            _checked_in(seat.profile.registration_id, meeting, opens) for seat in meeting.seats
        )
        if present:
            meeting.transition(MeetingStatus.HELD)
        elif meeting.slot.ends_at <= now:
            meeting.transition(MeetingStatus.NO_SHOW)
        else:
            continue
        meeting.marked_at = now
        counts[meeting.status.value] += 1
    db.session.commit()
    return counts
