"""Sponsorship tiers, exhibition booths, applications, complimentary passes and booth leads.

The invariants live in the database: a booth has at most one claim (unique `booth_claim.booth_id`),
so it can be held or sold to one company only; a lead is one row per (application, attendee).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.accounts.models import ParticipantCategory, User, enum_column
from convention.events.models import Edition
from convention.extensions import db
from convention.timeutil import UTCDateTime, utcnow


class LogoSize(enum.StrEnum):
    """Where and how big the logo appears on the public sponsors page."""

    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"
    NAME = "name"  # the company's name only, no logo


class SponsorTier(db.Model):
    __tablename__ = "sponsor_tier"
    __table_args__ = (
        CheckConstraint("price >= 0", name="tier_price_not_negative"),
        CheckConstraint("quantity >= 0", name="tier_quantity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    name_ja: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    price: Mapped[int] = mapped_column(default=0)  # integer yen, tax excluded
    quantity: Mapped[int] = mapped_column(default=1)  # how many are for sale
    logo_size: Mapped[LogoSize] = mapped_column(
        enum_column(LogoSize, name="sponsor_logo_size"), default=LogoSize.SMALL
    )
    complimentary_passes: Mapped[int] = mapped_column(default=0)
    included_booths: Mapped[int] = mapped_column(default=0)
    speaking_slot: Mapped[bool] = mapped_column(default=False)
    benefits_ja: Mapped[str] = mapped_column(Text, default="")
    benefits_en: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    edition: Mapped[Edition] = relationship()


class BoothOption(db.Model):
    """An extra a booth can be ordered with (electricity, an extra table)."""

    __tablename__ = "booth_option"
    __table_args__ = (UniqueConstraint("edition_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    name_ja: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    price: Mapped[int] = mapped_column(default=0)  # integer yen, tax excluded


class Booth(db.Model):
    """A booth on the floor plan; position and size in metres from the hall's top-left corner."""

    __tablename__ = "booth"
    __table_args__ = (
        UniqueConstraint("edition_id", "code"),
        CheckConstraint("width > 0 AND depth > 0", name="booth_has_size"),
        CheckConstraint("price >= 0", name="booth_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    zone: Mapped[str] = mapped_column(String(40), default="")
    x: Mapped[int] = mapped_column(default=0)
    y: Mapped[int] = mapped_column(default=0)
    width: Mapped[int] = mapped_column(default=3)
    depth: Mapped[int] = mapped_column(default=3)
    price: Mapped[int] = mapped_column(default=0)  # integer yen, tax excluded
    exhibitor_passes: Mapped[int] = mapped_column(default=2)

    edition: Mapped[Edition] = relationship()
    claim: Mapped[BoothClaim | None] = relationship(back_populates="booth", uselist=False)


class ApplicationStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"  # invoice issued, waiting for payment
    PAID = "paid"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


# The state machine: anything else is refused.
APPLICATION_TRANSITIONS = {
    ApplicationStatus.SUBMITTED: {
        ApplicationStatus.APPROVED,
        ApplicationStatus.REJECTED,
        ApplicationStatus.WITHDRAWN,
    },
    ApplicationStatus.APPROVED: {ApplicationStatus.PAID, ApplicationStatus.CANCELLED},
    ApplicationStatus.PAID: {ApplicationStatus.CANCELLED},
    ApplicationStatus.REJECTED: set(),
    ApplicationStatus.WITHDRAWN: set(),
    ApplicationStatus.CANCELLED: set(),
}
# Applications that take a tier place and keep their booths.
ACTIVE_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.APPROVED, ApplicationStatus.PAID)


class SponsorApplication(db.Model):
    __tablename__ = "sponsor_application"
    __table_args__ = (
        Index("ix_sponsor_application_edition_status", "edition_id", "status"),
        Index("ix_sponsor_application_tier_status", "tier_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)  # the applicant
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("sponsor_tier.id"))
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus, name="sponsor_application_status")
    )
    company_name_ja: Mapped[str] = mapped_column(String(200))
    company_name_en: Mapped[str] = mapped_column(String(200), default="")
    registration_number: Mapped[str] = mapped_column(String(14), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    billing_address: Mapped[str] = mapped_column(String(400), default="")
    contact_name: Mapped[str] = mapped_column(String(120))
    contact_email: Mapped[str] = mapped_column(String(254))
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    language: Mapped[str] = mapped_column(String(5), default="ja")
    # The price of the tier when applying (a later price change does not move it).
    tier_price: Mapped[int] = mapped_column(default=0)
    # The public profile (shown on the sponsors page once approved).
    website: Mapped[str] = mapped_column(String(300), default="")
    description_ja: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    logo_key: Mapped[str | None] = mapped_column(String(200))

    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("billing_order.id", ondelete="SET NULL")
    )

    edition: Mapped[Edition] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    tier: Mapped[SponsorTier | None] = relationship()
    booths: Mapped[list[ApplicationBooth]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationBooth.id"
    )
    passes: Mapped[list[SponsorPass]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="SponsorPass.id"
    )

    @property
    def company_name(self) -> str:
        from convention.i18n import localized

        return localized(self, "company_name")

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class ApplicationBooth(db.Model):
    """A booth as applied for: its price and options at the time (history survives rejection)."""

    __tablename__ = "sponsor_application_booth"
    __table_args__ = (UniqueConstraint("application_id", "booth_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("sponsor_application.id", ondelete="CASCADE")
    )
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"))
    price: Mapped[int] = mapped_column(default=0)  # 0 when the tier includes the booth
    included: Mapped[bool] = mapped_column(default=False)  # one of the tier's included booths
    options: Mapped[list] = mapped_column(JSON, default=list)  # [{"code", "name_ja", ...}]

    application: Mapped[SponsorApplication] = relationship(back_populates="booths")
    booth: Mapped[Booth] = relationship()

    @property
    def options_total(self) -> int:
        return sum(int(option.get("price", 0)) for option in self.options or [])


class ClaimKind(enum.StrEnum):
    HOLD = "hold"  # picked on the map, expires
    RESERVED = "reserved"  # part of a submitted application
    SOLD = "sold"  # part of an approved (invoiced) or paid application


class BoothClaim(db.Model):
    """Who has a booth. One row per booth at most: the unique key is the no-double-sale rule."""

    __tablename__ = "booth_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("sponsor_application.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ClaimKind] = mapped_column(enum_column(ClaimKind, name="booth_claim_kind"))
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    booth: Mapped[Booth] = relationship(back_populates="claim")
    application: Mapped[SponsorApplication | None] = relationship()


class SponsorPass(db.Model):
    """Complimentary passes of one category: a hidden ticket type (made through registration's
    services) whose capacity is the count and whose access code is the sponsor's pass code."""

    __tablename__ = "sponsor_pass"
    __table_args__ = (UniqueConstraint("application_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("sponsor_application.id", ondelete="CASCADE")
    )
    category: Mapped[ParticipantCategory] = mapped_column(
        enum_column(ParticipantCategory, name="participant_category")
    )
    quantity: Mapped[int] = mapped_column(default=0)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    ticket_type_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_type.id"))

    application: Mapped[SponsorApplication] = relationship(back_populates="passes")


class LeadRating(enum.StrEnum):
    HOT = "hot"
    WARM = "warm"
    COLD = "cold"


class Lead(db.Model):
    """An attendee who agreed to share their contact details, scanned at a sponsor's booth."""

    __tablename__ = "sponsor_lead"
    __table_args__ = (UniqueConstraint("application_id", "registration_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("sponsor_application.id", ondelete="CASCADE")
    )
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    rating: Mapped[LeadRating | None] = mapped_column(enum_column(LeadRating, name="lead_rating"))
    notes: Mapped[str] = mapped_column(Text, default="")
    first_scanned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_scanned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    scan_count: Mapped[int] = mapped_column(default=1)
    last_nonce: Mapped[str] = mapped_column(String(64), default="")
    scanned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    application: Mapped[SponsorApplication] = relationship()
    registration = relationship("Registration")


class SponsorBudget(db.Model):
    """What the convention costs and what sponsorship and exhibition should bring in."""

    __tablename__ = "sponsor_budget"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("edition.id", ondelete="CASCADE"), unique=True
    )
    convention_cost: Mapped[int] = mapped_column(default=0)
    sponsorship_target: Mapped[int] = mapped_column(default=0)
    exhibition_target: Mapped[int] = mapped_column(default=0)
