from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from convention.accounts.models import enum_column
from convention.extensions import db
from convention.timeutil import UTCDateTime, utcnow


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in {JobStatus.DONE, JobStatus.FAILED}


class BackgroundJob(db.Model):
    """A long task an organiser started and watches (progress polled by htmx)."""

    __tablename__ = "background_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    status: Mapped[JobStatus] = mapped_column(
        enum_column(JobStatus, name="job_status"), default=JobStatus.QUEUED
    )
    progress: Mapped[int] = mapped_column(default=0)  # percent
    message: Mapped[str] = mapped_column(String(500), default="")
    # Where the result can be fetched (a download URL or a page), once done.
    result_url: Mapped[str | None] = mapped_column(String(500))
    # A file the job made (bulk PDFs), kept in the shared upload storage: key and download name.
    result_file: Mapped[str | None] = mapped_column(String(300))
    result_name: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def title(self) -> str:
        from convention.jobs import KIND_LABELS

        return str(KIND_LABELS.get(self.kind, self.kind))
