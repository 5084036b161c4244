from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.accounts.models import enum_column
from convention.extensions import db
from convention.timeutil import UTCDateTime, fiscal_year, utcnow


class SessionKind(enum.StrEnum):
    OPENING = "opening"  # opening / keynote
    SEMINAR = "seminar"  # public seminar
    WORKSHOP = "workshop"  # closed workshop
    SITE_VISIT = "site_visit"
    POSTER = "poster"  # poster session
    MATCHING = "matching"  # business-matching session


class SessionLanguage(enum.StrEnum):
    JA = "ja"
    EN = "en"
    BOTH = "both"  # with simultaneous interpretation


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    CLOSED = "closed"


class Edition(db.Model):
    """One convention, held on consecutive days within one fiscal year."""

    __tablename__ = "edition"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="dates_in_order"),
        # At most one current edition: the public pages show it.
        Index(
            "uq_edition_one_current",
            "is_current",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name_ja: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    venue_ja: Mapped[str] = mapped_column(String(200), default="")
    venue_en: Mapped[str] = mapped_column(String(200), default="")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Tokyo")
    is_current: Mapped[bool] = mapped_column(default=False)
    public_summary: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    rooms: Mapped[list[Room]] = relationship(
        back_populates="edition", cascade="all, delete-orphan", order_by="Room.position"
    )
    sessions: Mapped[list[Session]] = relationship(
        back_populates="edition", cascade="all, delete-orphan", order_by="Session.starts_at"
    )

    @property
    def fiscal_year(self) -> int:
        return fiscal_year(self.start_date)

    def __repr__(self) -> str:
        return f"<Edition {self.slug}>"


class Room(db.Model):
    __tablename__ = "room"
    __table_args__ = (UniqueConstraint("edition_id", "name_en"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    name_ja: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int | None] = mapped_column()
    position: Mapped[int] = mapped_column(default=0)

    edition: Mapped[Edition] = relationship(back_populates="rooms")
    sessions: Mapped[list[Session]] = relationship(back_populates="room")


class Session(db.Model):
    """A programme item: keynote, seminar, workshop, site visit, poster or matching session."""

    __tablename__ = "session"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        UniqueConstraint("edition_id", "slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("edition.id", ondelete="CASCADE"), index=True
    )
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"))
    slug: Mapped[str] = mapped_column(String(80))
    kind: Mapped[SessionKind] = mapped_column(enum_column(SessionKind, name="session_kind"))
    title_ja: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    description_ja: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    speakers: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int | None] = mapped_column()
    language: Mapped[SessionLanguage] = mapped_column(
        enum_column(SessionLanguage, name="session_language"), default=SessionLanguage.JA
    )
    visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility, name="visibility"), default=Visibility.PUBLIC
    )
    stream_url: Mapped[str | None] = mapped_column(String(500))
    # Closed workshops: attendees who know this code may sign up without approval.
    invitation_code: Mapped[str | None] = mapped_column(String(40))

    edition: Mapped[Edition] = relationship(back_populates="sessions")
    room: Mapped[Room | None] = relationship(back_populates="sessions")

    def overlaps(self, other: Session) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at

    @property
    def is_over(self) -> bool:
        return self.ends_at <= utcnow()

    def __repr__(self) -> str:
        return f"<Session {self.slug}>"
