from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.accounts.models import User, enum_column
from convention.events.models import Edition, Session
from convention.extensions import db
from convention.registration.models import Registration
from convention.timeutil import UTCDateTime, utcnow


class ListKind(enum.StrEnum):
    MAIN_DOOR = "main_door"  # counts for KPI ③ and ④
    SESSION = "session"  # a seminar, workshop or site visit
    POSTER = "poster"  # the poster session
    MATCHING = "matching"  # the matching tables


class Admission(enum.StrEnum):
    EVERYONE = "everyone"  # every confirmed registration of the edition
    SIGNED_UP = "signed_up"  # only those with a confirmed sign-up for the list's session


class CheckInList(db.Model):
    __tablename__ = "checkin_list"
    __table_args__ = (UniqueConstraint("edition_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(80))
    name_ja: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ListKind] = mapped_column(enum_column(ListKind, name="list_kind"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    admission: Mapped[Admission] = mapped_column(
        enum_column(Admission, name="admission"), default=Admission.EVERYONE
    )
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    allow_reentry: Mapped[bool] = mapped_column(default=True)
    track_exits: Mapped[bool] = mapped_column(default=False)

    edition: Mapped[Edition] = relationship()
    session: Mapped[Session | None] = relationship()


class ScannerDevice(db.Model):
    """A scanner app or phone that authenticates with a bearer token (only its hash is kept)."""

    __tablename__ = "scanner_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ScanDirection(enum.StrEnum):
    IN = "in"
    OUT = "out"


class ScanResult(enum.StrEnum):
    OK = "ok"
    ERROR = "error"


class ScanReason(enum.StrEnum):
    """The closed set of the scan API contract."""

    INVALID = "invalid"
    REVOKED = "revoked"
    ALREADY_CHECKED_IN = "already_checked_in"
    WRONG_EVENT = "wrong_event"
    NOT_ON_LIST = "not_on_list"
    UNPAID = "unpaid"
    NOT_YET_VALID = "not_yet_valid"


class Scan(db.Model):
    """Every scan is a row, failures included. KPIs are plain queries over these rows."""

    __tablename__ = "scan"
    __table_args__ = (
        Index("ix_scan_list_registration", "checkin_list_id", "registration_id"),
        Index("ix_scan_edition_result", "edition_id", "result"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    checkin_list_id: Mapped[int] = mapped_column(ForeignKey("checkin_list.id", ondelete="CASCADE"))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL")
    )
    # The client's uuid: a retried upload with the same nonce finds this row and gets its answer.
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[ScanDirection] = mapped_column(
        enum_column(ScanDirection, name="scan_direction"), default=ScanDirection.IN
    )
    result: Mapped[ScanResult] = mapped_column(enum_column(ScanResult, name="scan_result"))
    reason: Mapped[ScanReason | None] = mapped_column(enum_column(ScanReason, name="scan_reason"))
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    offline: Mapped[bool] = mapped_column(default=False)
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("scanner_device.id", ondelete="SET NULL")
    )
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Checked in by name search instead of a QR code.
    manual: Mapped[bool] = mapped_column(default=False)
    # Part of the answer: a retried nonce gets the same first check-in time back.
    first_checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    checkin_list: Mapped[CheckInList] = relationship()
    registration: Mapped[Registration | None] = relationship()
    device: Mapped[ScannerDevice | None] = relationship()
    staff_user: Mapped[User | None] = relationship(foreign_keys=[staff_user_id])
    undone_by: Mapped[User | None] = relationship(foreign_keys=[undone_by_id])


class Presence(db.Model):
    """One row per (list, registration) once checked in: the unique constraint makes a second
    simultaneous first check-in impossible, and the row is locked (FOR UPDATE) while a scan
    decides, so two doors cannot both answer `ok`."""

    __tablename__ = "checkin_presence"
    __table_args__ = (
        UniqueConstraint("checkin_list_id", "registration_id"),
        Index("ix_checkin_presence_list_inside", "checkin_list_id", "inside"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_list_id: Mapped[int] = mapped_column(ForeignKey("checkin_list.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    first_checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_scan_at: Mapped[datetime] = mapped_column(UTCDateTime())
    inside: Mapped[bool] = mapped_column(default=True)
    entries: Mapped[int] = mapped_column(default=1)
