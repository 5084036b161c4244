from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.accounts.models import ParticipantCategory, User, enum_column
from convention.events.models import Edition, Session
from convention.extensions import db
from convention.timeutil import UTCDateTime, utcnow


def new_badge_token() -> str:
    """Opaque and unguessable (192 random bits): the only thing a QR badge carries."""
    return secrets.token_urlsafe(24)


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class University(db.Model):
    __tablename__ = "university"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_ja: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), unique=True)
    # Students of in-city universities count for KPI ④.
    in_city: Mapped[bool] = mapped_column(default=False)


class TicketType(db.Model):
    __tablename__ = "ticket_type"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    name_ja: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    description_ja: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[ParticipantCategory] = mapped_column(
        enum_column(ParticipantCategory, name="participant_category")
    )
    price: Mapped[int] = mapped_column(default=0)  # integer yen, tax included
    capacity: Mapped[int | None] = mapped_column()  # None: no limit
    sales_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sales_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    requires_approval: Mapped[bool] = mapped_column(default=False)
    # Hidden types (invited delegations, sponsor passes) are offered only with this code.
    access_code: Mapped[str | None] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)

    edition: Mapped[Edition] = relationship()

    @property
    def is_hidden(self) -> bool:
        return bool(self.access_code)


class RegistrationStatus(enum.StrEnum):
    PENDING_APPROVAL = "pending_approval"
    WAITLISTED = "waitlisted"
    AWAITING_PAYMENT = "awaiting_payment"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class Registration(db.Model):
    """One person at one edition. The badge token is made with it and refused once cancelled."""

    __tablename__ = "registration"
    __table_args__ = (
        UniqueConstraint("edition_id", "user_id"),
        Index("ix_registration_edition_status", "edition_id", "status"),
        # The organisers' list filters and sorts by these within one edition.
        Index("ix_registration_edition_created", "edition_id", "created_at"),
        Index("ix_registration_edition_category", "edition_id", "category"),
        Index("ix_registration_edition_country", "edition_id", "country"),
        Index("ix_registration_edition_university", "edition_id", "university_id"),
        Index("ix_registration_ticket_type_status", "ticket_type_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    ticket_type_id: Mapped[int] = mapped_column(ForeignKey("ticket_type.id"), index=True)
    status: Mapped[RegistrationStatus] = mapped_column(
        enum_column(RegistrationStatus, name="registration_status")
    )
    # Copied from the ticket type when registering: the KPI breakdowns read it.
    category: Mapped[ParticipantCategory] = mapped_column(
        enum_column(ParticipantCategory, name="participant_category")
    )
    badge_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_badge_token)
    calendar_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_calendar_token)

    # Answers (the person's name and email live on the user).
    organization: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str] = mapped_column(String(200), default="")
    job_title: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), default="JP")
    sector: Mapped[str] = mapped_column(String(60), default="")
    dietary_needs: Mapped[str] = mapped_column(String(500), default="")
    accessibility_needs: Mapped[str] = mapped_column(String(500), default="")
    interpretation_headset: Mapped[bool] = mapped_column(default=False)
    university_id: Mapped[int | None] = mapped_column(ForeignKey("university.id"))
    university_other: Mapped[str] = mapped_column(String(200), default="")
    faculty: Mapped[str] = mapped_column(String(200), default="")
    study_year: Mapped[str] = mapped_column(String(20), default="")
    consent_share_with_sponsors: Mapped[bool] = mapped_column(default=False)
    consent_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # First come, first served: the waiting list is ordered by (waitlist_rank, waitlisted_at).
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    waitlist_rank: Mapped[int | None] = mapped_column()
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    edition: Mapped[Edition] = relationship()
    user: Mapped[User] = relationship()
    ticket_type: Mapped[TicketType] = relationship()
    university: Mapped[University | None] = relationship()
    signups: Mapped[list[SessionSignup]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )

    @property
    def badge_valid(self) -> bool:
        return self.status == RegistrationStatus.CONFIRMED

    @property
    def badge_refusal(self) -> str | None:
        """Why the door refuses this badge, in the scan API's words (None: admit)."""
        return BADGE_REFUSALS.get(self.status)


# The check-in scan API's reasons for a badge that is known but not (or no longer) valid.
BADGE_REFUSALS = {
    RegistrationStatus.AWAITING_PAYMENT: "unpaid",
    RegistrationStatus.PENDING_APPROVAL: "not_yet_valid",
    RegistrationStatus.WAITLISTED: "not_yet_valid",
    RegistrationStatus.CANCELLED: "revoked",
    RegistrationStatus.REJECTED: "revoked",
}


class SignupStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    PENDING_APPROVAL = "pending_approval"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class SessionSignup(db.Model):
    __tablename__ = "session_signup"
    __table_args__ = (
        UniqueConstraint("registration_id", "session_id"),
        Index("ix_session_signup_session_status", "session_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    status: Mapped[SignupStatus] = mapped_column(enum_column(SignupStatus, name="signup_status"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    waitlist_rank: Mapped[int | None] = mapped_column()
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    registration: Mapped[Registration] = relationship(back_populates="signups")
    session: Mapped[Session] = relationship()
