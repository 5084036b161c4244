"""Business matching: profiles, meeting requests, the session grid, meetings and follow-ups.

The booking invariants live in the database: a participant holds at most one seat per slot
(unique (profile, slot) on meeting_seat) and a table holds one meeting per slot (unique
(slot, table) on meeting). A meeting that is not placed, or is cancelled, has NULL slot and table,
which both PostgreSQL and SQLite treat as distinct, so only placed meetings compete. Two
profiles have at most one open meeting request between them, either way round (a partial unique
index on the request's unordered pair key), hence at most one meeting from requests.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.accounts.models import User, enum_column
from convention.events.models import Edition, Session
from convention.extensions import db
from convention.registration.models import Registration
from convention.timeutil import UTCDateTime, utcnow


class IllegalTransition(ValueError):
    """A state change the state machine does not allow."""


class OrganisationType(enum.StrEnum):
    LOCAL_COMPANY = "local_company"
    OVERSEAS_CITY = "overseas_city"  # overseas city or government
    OVERSEAS_COMPANY = "overseas_company"
    INTERNATIONAL_ORGANISATION = "international_organisation"
    UNIVERSITY = "university"
    FINANCIAL_INSTITUTION = "financial_institution"


class TagKind(enum.StrEnum):
    SECTOR = "sector"  # sectors and technologies the organisation works in
    NEED = "need"  # topics it is looking for
    OFFER = "offer"  # topics it can supply
    LANGUAGE = "language"  # languages the participant can meet in


class MatchProfile(db.Model):
    """A registered participant's matching card: who they are, what they need and offer."""

    __tablename__ = "match_profile"
    __table_args__ = (Index("ix_match_profile_edition_visible", "edition_id", "visible"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), unique=True
    )
    # Copied from the registration so directory queries need no join.
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    organisation_type: Mapped[OrganisationType] = mapped_column(
        enum_column(OrganisationType, name="organisation_type")
    )
    organisation: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), default="JP")
    city: Mapped[str] = mapped_column(String(120), default="")
    summary_ja: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    needs_ja: Mapped[str] = mapped_column(Text, default="")
    needs_en: Mapped[str] = mapped_column(Text, default="")
    offers_ja: Mapped[str] = mapped_column(Text, default="")
    offers_en: Mapped[str] = mapped_column(Text, default="")
    visible: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    registration: Mapped[Registration] = relationship()
    edition: Mapped[Edition] = relationship()
    tags: Mapped[list[ProfileTag]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", lazy="selectin"
    )
    unavailable: Mapped[list[ProfileUnavailability]] = relationship(
        back_populates="profile", cascade="all, delete-orphan"
    )

    def codes(self, kind: TagKind) -> list[str]:
        return sorted(tag.code for tag in self.tags if tag.kind == kind)

    @property
    def sectors(self) -> list[str]:
        return self.codes(TagKind.SECTOR)

    @property
    def need_codes(self) -> list[str]:
        return self.codes(TagKind.NEED)

    @property
    def offer_codes(self) -> list[str]:
        return self.codes(TagKind.OFFER)

    @property
    def languages(self) -> list[str]:
        return self.codes(TagKind.LANGUAGE)

    @property
    def user(self) -> User:
        return self.registration.user

    @property
    def display_name(self) -> str:
        return self.organisation or self.registration.organization or self.user.name

    def __repr__(self) -> str:
        return f"<MatchProfile {self.id} {self.organisation}>"


class ProfileTag(db.Model):
    """One sector, need, offer or language code of a profile (codes in matching/vocabulary.py)."""

    __tablename__ = "match_profile_tag"
    __table_args__ = (
        UniqueConstraint("profile_id", "kind", "code"),
        Index("ix_match_profile_tag_kind_code", "kind", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("match_profile.id", ondelete="CASCADE"))
    kind: Mapped[TagKind] = mapped_column(enum_column(TagKind, name="match_tag_kind"))
    code: Mapped[str] = mapped_column(String(40))

    profile: Mapped[MatchProfile] = relationship(back_populates="tags")


# --- the grid of a matching session -------------------------------------------------------------


class MatchingSlot(db.Model):
    """A meeting time in a matching session (usually 20 minutes); `number` is 0-based."""

    __tablename__ = "matching_slot"
    __table_args__ = (
        UniqueConstraint("session_id", "number"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())

    session: Mapped[Session] = relationship()


class MatchingTable(db.Model):
    """A numbered meeting table of a matching session, some with an interpreter."""

    __tablename__ = "matching_table"
    __table_args__ = (UniqueConstraint("session_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()  # shown to people, starts at 1
    interpreter: Mapped[bool] = mapped_column(default=False)
    interpreter_languages: Mapped[str] = mapped_column(String(60), default="")  # e.g. "ja-en"

    session: Mapped[Session] = relationship()


class ProfileUnavailability(db.Model):
    """A slot in which a participant cannot meet."""

    __tablename__ = "match_unavailability"
    __table_args__ = (UniqueConstraint("profile_id", "slot_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("match_profile.id", ondelete="CASCADE"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("matching_slot.id", ondelete="CASCADE"))

    profile: Mapped[MatchProfile] = relationship(back_populates="unavailable")
    slot: Mapped[MatchingSlot] = relationship()


# --- requests ----------------------------------------------------------------------------------


class RequestState(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


# The whole state machine of a meeting request, in one place.
REQUEST_TRANSITIONS: dict[RequestState, frozenset[RequestState]] = {
    RequestState.REQUESTED: frozenset(
        {RequestState.ACCEPTED, RequestState.DECLINED, RequestState.CANCELLED, RequestState.EXPIRED}
    ),
    RequestState.ACCEPTED: frozenset({RequestState.CANCELLED}),
    RequestState.DECLINED: frozenset(),
    RequestState.CANCELLED: frozenset(),
    RequestState.EXPIRED: frozenset(),
}

# Open: not yet answered, or accepted (its meeting is to come or took place). A pair has at
# most one open request; once declined, cancelled or expired the two may ask again.
OPEN_REQUEST_STATES = (RequestState.REQUESTED, RequestState.ACCEPTED)
_OPEN_STATES_SQL = text(
    "state IN ({})".format(", ".join(f"'{state.value}'" for state in OPEN_REQUEST_STATES))
)


def pair_key(a_id: int, b_id: int) -> str:
    """The unordered pair of two profiles, lower id first: A->B and B->A are one pair."""
    low, high = sorted((a_id, b_id))
    return f"{low}-{high}"


class MeetingRequest(db.Model):
    __tablename__ = "meeting_request"
    __table_args__ = (
        CheckConstraint("requester_id <> recipient_id", name="not_to_oneself"),
        CheckConstraint("priority BETWEEN 1 AND 3", name="priority_range"),
        Index("ix_meeting_request_edition_state", "edition_id", "state"),
        # One open request per pair, whoever asked: simultaneous requests (or a request and a
        # coordinator's match) cannot both be stored, in any number of app processes.
        Index(
            "uq_meeting_request_one_open_per_pair",
            "pair_key",
            unique=True,
            sqlite_where=_OPEN_STATES_SQL,
            postgresql_where=_OPEN_STATES_SQL,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    requester_id: Mapped[int] = mapped_column(
        ForeignKey("match_profile.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("match_profile.id", ondelete="CASCADE"), index=True
    )
    # pair_key(requester_id, recipient_id), set on insert (see below). NULL only on rows older
    # than the unique index that duplicated an open request of their pair.
    pair_key: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[int] = mapped_column(default=2)  # 1 low, 2 normal, 3 high
    state: Mapped[RequestState] = mapped_column(
        enum_column(RequestState, name="meeting_request_state"), default=RequestState.REQUESTED
    )
    # A coordinator (organiser) who matched the two parties on their behalf.
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    response_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    edition: Mapped[Edition] = relationship()
    requester: Mapped[MatchProfile] = relationship(foreign_keys=[requester_id])
    recipient: Mapped[MatchProfile] = relationship(foreign_keys=[recipient_id])
    coordinator: Mapped[User | None] = relationship()
    meeting: Mapped[Meeting | None] = relationship(back_populates="request", uselist=False)

    def can_become(self, state: RequestState) -> bool:
        return state in REQUEST_TRANSITIONS[self.state]

    def transition(self, state: RequestState) -> None:
        if not self.can_become(state):
            raise IllegalTransition(f"meeting request {self.state} -> {state}")
        self.state = state
        self.responded_at = utcnow()


@event.listens_for(MeetingRequest, "before_insert")
def _set_pair_key(mapper, connection, request: MeetingRequest) -> None:
    request.pair_key = pair_key(request.requester_id, request.recipient_id)


# --- meetings ----------------------------------------------------------------------------------


class MeetingStatus(enum.StrEnum):
    DRAFT = "draft"  # accepted, maybe placed by the scheduler, not yet published
    SCHEDULED = "scheduled"  # published: participants see it; the scheduler keeps it fixed
    HELD = "held"  # took place (KPI ②)
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


MEETING_TRANSITIONS: dict[MeetingStatus, frozenset[MeetingStatus]] = {
    MeetingStatus.DRAFT: frozenset({MeetingStatus.SCHEDULED, MeetingStatus.CANCELLED}),
    MeetingStatus.SCHEDULED: frozenset(
        {MeetingStatus.HELD, MeetingStatus.NO_SHOW, MeetingStatus.CANCELLED}
    ),
    # Door staff and organisers may correct a mark made by mistake, or clear it (back to
    # scheduled: the check-ins at the tables decide again).
    MeetingStatus.HELD: frozenset({MeetingStatus.NO_SHOW, MeetingStatus.SCHEDULED}),
    MeetingStatus.NO_SHOW: frozenset({MeetingStatus.HELD, MeetingStatus.SCHEDULED}),
    MeetingStatus.CANCELLED: frozenset(),
}

PUBLISHED_STATUSES = (MeetingStatus.SCHEDULED, MeetingStatus.HELD, MeetingStatus.NO_SHOW)
MARKED_STATUSES = (MeetingStatus.HELD, MeetingStatus.NO_SHOW)  # the door has said which
ACTIVE_STATUSES = (MeetingStatus.DRAFT, *PUBLISHED_STATUSES)


class Meeting(db.Model):
    __tablename__ = "meeting"
    __table_args__ = (
        # A table holds one meeting per slot.
        UniqueConstraint("slot_id", "table_id"),
        CheckConstraint("(slot_id IS NULL) = (table_id IS NULL)", name="slot_and_table_together"),
        Index("ix_meeting_edition_status", "edition_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    # The matching session it is (to be) held in; NULL: any matching session of the edition.
    session_id: Mapped[int | None] = mapped_column(ForeignKey("session.id", ondelete="SET NULL"))
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_request.id", ondelete="SET NULL"), unique=True
    )
    status: Mapped[MeetingStatus] = mapped_column(
        enum_column(MeetingStatus, name="meeting_status"), default=MeetingStatus.DRAFT
    )
    priority: Mapped[int] = mapped_column(default=2)
    slot_id: Mapped[int | None] = mapped_column(
        ForeignKey("matching_slot.id", ondelete="SET NULL"), index=True
    )
    table_id: Mapped[int | None] = mapped_column(
        ForeignKey("matching_table.id", ondelete="SET NULL")
    )
    needs_interpreter: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # held / no-show
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    edition: Mapped[Edition] = relationship()
    session: Mapped[Session | None] = relationship()
    request: Mapped[MeetingRequest | None] = relationship(back_populates="meeting")
    slot: Mapped[MatchingSlot | None] = relationship()
    table: Mapped[MatchingTable | None] = relationship()
    seats: Mapped[list[MeetingSeat]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", lazy="selectin"
    )
    follow_ups: Mapped[list[FollowUp]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )

    @property
    def participants(self) -> list[MatchProfile]:
        return [seat.profile for seat in self.seats]

    @property
    def is_published(self) -> bool:
        return self.status in PUBLISHED_STATUSES

    def can_become(self, status: MeetingStatus) -> bool:
        return status in MEETING_TRANSITIONS[self.status]

    def transition(self, status: MeetingStatus) -> None:
        if not self.can_become(status):
            raise IllegalTransition(f"meeting {self.status} -> {status}")
        self.status = status


class MeetingSeat(db.Model):
    """A participant of a meeting (two for a 1:1, more for a delegation).

    `slot_id` mirrors the meeting's slot (the services keep them together) so the database can
    refuse a participant in two meetings of one slot.
    """

    __tablename__ = "meeting_seat"
    __table_args__ = (
        UniqueConstraint("meeting_id", "profile_id"),
        UniqueConstraint("profile_id", "slot_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("match_profile.id", ondelete="CASCADE"), index=True
    )
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("matching_slot.id", ondelete="SET NULL"))
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    meeting: Mapped[Meeting] = relationship(back_populates="seats")
    profile: Mapped[MatchProfile] = relationship()


class FollowUpOutcome(enum.StrEnum):
    NOTHING_YET = "nothing_yet"
    FURTHER_MEETING = "further_meeting"
    PROPOSAL = "proposal"
    DEAL = "deal"


class FollowUp(db.Model):
    """One party's answer after a meeting; a deal counts for KPI ①."""

    __tablename__ = "meeting_follow_up"
    __table_args__ = (UniqueConstraint("meeting_id", "profile_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    profile_id: Mapped[int] = mapped_column(ForeignKey("match_profile.id", ondelete="CASCADE"))
    outcome: Mapped[FollowUpOutcome] = mapped_column(
        enum_column(FollowUpOutcome, name="follow_up_outcome"),
        default=FollowUpOutcome.NOTHING_YET,
    )
    deal: Mapped[bool] = mapped_column(default=False)  # outcome == DEAL, kept for plain SQL KPIs
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="follow_ups")
    profile: Mapped[MatchProfile] = relationship()
