from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from convention.accounts.models import enum_column
from convention.extensions import db
from convention.timeutil import UTCDateTime, utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    SENDING = "sending"  # claimed by one sender; never picked again, so never sent twice
    SENT = "sent"
    LOGGED = "logged"  # development: no SMTP server, written to the console instead
    FAILED = "failed"  # gave up after MAIL_MAX_ATTEMPTS; an organiser can retry it


class OutboxMessage(db.Model):
    """Every email the app sends, written in the same transaction as the change it reports."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    body_text: Mapped[str] = mapped_column(Text)
    template: Mapped[str] = mapped_column(String(100))
    # The language the message was rendered in: the recipient's, not the sender's.
    language: Mapped[str] = mapped_column(String(5), default="ja")
    # Optional attachments (e.g. a badge PNG or an .ics): JSON list of
    # {"filename", "mimetype", "data_b64"}.
    attachments: Mapped[str | None] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, name="outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When a sender marked it SENDING; a claim older than STALE_CLAIM is treated as abandoned.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def message_id(self) -> str:
        # Stable per row, so a receiving server can drop a duplicate delivery.
        return f"<outbox-{self.id}-{int(self.created_at.timestamp())}@convention>"
