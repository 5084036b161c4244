"""Student research posters: the call, submissions, blind review, decisions, boards and votes."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_pgettext
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.accounts.models import User, enum_column
from convention.events.models import Edition, Session
from convention.extensions import db
from convention.registration.models import University
from convention.timeutil import UTCDateTime, utcnow


class PosterCall(db.Model):
    """The call for posters of one edition, with its dates (stored UTC, shown in JST)."""

    __tablename__ = "poster_call"
    __table_args__ = (
        CheckConstraint("deadline > opens_at", name="deadline_after_opening"),
        CheckConstraint("review_closes_at > review_opens_at", name="review_dates_in_order"),
        CheckConstraint("reviews_per_poster BETWEEN 1 AND 10", name="reviews_per_poster_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("edition.id", ondelete="CASCADE"), unique=True
    )
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    review_opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Reviewing closes here; selection (decisions) follows.
    review_closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    languages: Mapped[str] = mapped_column(String(20), default="ja,en")
    title_max: Mapped[int] = mapped_column(default=120)
    abstract_max: Mapped[int] = mapped_column(default=2000)
    max_file_mb: Mapped[int] = mapped_column(default=10)
    reviews_per_poster: Mapped[int] = mapped_column(default=2)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("session.id", ondelete="SET NULL"))
    decisions_released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voting_open: Mapped[bool] = mapped_column(default=False)

    edition: Mapped[Edition] = relationship()
    session: Mapped[Session | None] = relationship()
    tracks: Mapped[list[PosterTrack]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="PosterTrack.position"
    )
    categories: Mapped[list[ScoreCategory]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="ScoreCategory.position"
    )

    @property
    def language_codes(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]


class PosterTrack(db.Model):
    __tablename__ = "poster_track"
    __table_args__ = (UniqueConstraint("call_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("poster_call.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    name_ja: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)

    call: Mapped[PosterCall] = relationship(back_populates="tracks")


class ScoreCategory(db.Model):
    """A criterion scored 1–5 by each reviewer; the weight counts in the ranking."""

    __tablename__ = "poster_score_category"
    __table_args__ = (
        UniqueConstraint("call_id", "code"),
        CheckConstraint("weight > 0", name="weight_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("poster_call.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    name_ja: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    weight: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)

    call: Mapped[PosterCall] = relationship(back_populates="categories")


class SubmissionState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    # Only after the decisions are released:
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WAITLISTED = "waitlisted"


class Decision(enum.StrEnum):
    """What the organisers decided; students learn it only when the batch is released."""

    ACCEPT = "accept"
    REJECT = "reject"
    WAITLIST = "waitlist"


# Words for the states and decisions; "poster" context, since matching's requests also have an
# "Accepted" and a "Draft" that read differently in Japanese (承諾 / 案 vs 採択 / 下書き).
STATE_LABELS = {
    SubmissionState.DRAFT: lazy_pgettext("poster", "Draft"),
    SubmissionState.SUBMITTED: lazy_pgettext("poster", "Submitted"),
    SubmissionState.WITHDRAWN: lazy_pgettext("poster", "Withdrawn"),
    SubmissionState.ACCEPTED: lazy_pgettext("poster", "Accepted"),
    SubmissionState.REJECTED: lazy_pgettext("poster", "Not accepted"),
    SubmissionState.WAITLISTED: lazy_pgettext("poster", "Waiting list"),
}
DECISION_LABELS = {
    Decision.ACCEPT: lazy_pgettext("poster", "Accept"),
    Decision.WAITLIST: lazy_pgettext("poster", "Waiting list"),
    Decision.REJECT: lazy_pgettext("poster", "Reject"),
}


class Submission(db.Model):
    __tablename__ = "poster_submission"
    __table_args__ = (
        # Board numbers are unique within a call (NULL until placed).
        UniqueConstraint("call_id", "board_number"),
        Index("ix_poster_submission_call_state", "call_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("poster_call.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    state: Mapped[SubmissionState] = mapped_column(
        enum_column(SubmissionState, name="poster_submission_state"),
        default=SubmissionState.DRAFT,
    )
    title_ja: Mapped[str] = mapped_column(String(300), default="")
    title_en: Mapped[str] = mapped_column(String(300), default="")
    abstract: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(5), default="ja")
    track_id: Mapped[int | None] = mapped_column(ForeignKey("poster_track.id", ondelete="SET NULL"))
    keywords: Mapped[str] = mapped_column(String(300), default="")
    university_id: Mapped[int | None] = mapped_column(ForeignKey("university.id"), index=True)
    supervisor: Mapped[str] = mapped_column(String(200), default="")
    consent_public: Mapped[bool] = mapped_column(default=False)
    file_key: Mapped[str | None] = mapped_column(String(200))
    file_size: Mapped[int | None] = mapped_column()
    decision: Mapped[Decision | None] = mapped_column(enum_column(Decision, name="poster_decision"))
    board_number: Mapped[int | None] = mapped_column()
    # 1: presenters stand by their board in the first half of the session, 2: the second half.
    slot: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    call: Mapped[PosterCall] = relationship()
    student: Mapped[User] = relationship()
    track: Mapped[PosterTrack | None] = relationship()
    university: Mapped[University | None] = relationship()
    authors: Mapped[list[SubmissionAuthor]] = relationship(
        back_populates="submission",
        cascade="all, delete-orphan",
        order_by="SubmissionAuthor.position",
    )
    assignments: Mapped[list[ReviewAssignment]] = relationship(
        back_populates="submission", cascade="all, delete-orphan"
    )

    @property
    def presenter(self) -> SubmissionAuthor | None:
        return next((author for author in self.authors if author.is_presenter), None)

    @property
    def keyword_list(self) -> list[str]:
        return [word.strip() for word in self.keywords.split(",") if word.strip()]


class SubmissionAuthor(db.Model):
    __tablename__ = "poster_author"
    __table_args__ = (
        UniqueConstraint("submission_id", "position"),
        # At most one presenter per poster.
        Index(
            "uq_poster_author_one_presenter",
            "submission_id",
            unique=True,
            sqlite_where=text("is_presenter"),
            postgresql_where=text("is_presenter"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("poster_submission.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(String(200))
    affiliation: Mapped[str] = mapped_column(String(200), default="")
    is_presenter: Mapped[bool] = mapped_column(default=False)

    submission: Mapped[Submission] = relationship(back_populates="authors")


class ReviewerProfile(db.Model):
    """A reviewer's university, recorded by organisers: the conflict-of-interest rule reads it.
    No university (None) means the reviewer is not affiliated with one (industry, city)."""

    __tablename__ = "poster_reviewer"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    university_id: Mapped[int | None] = mapped_column(ForeignKey("university.id"))

    user: Mapped[User] = relationship()
    university: Mapped[University | None] = relationship()


class ReviewAssignment(db.Model):
    __tablename__ = "poster_review_assignment"
    __table_args__ = (UniqueConstraint("submission_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("poster_submission.id", ondelete="CASCADE")
    )
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    manual: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="assignments")
    reviewer: Mapped[User] = relationship()
    review: Mapped[Review | None] = relationship(
        back_populates="assignment", cascade="all, delete-orphan", uselist=False
    )


class Review(db.Model):
    __tablename__ = "poster_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("poster_review_assignment.id", ondelete="CASCADE"), unique=True
    )
    comment_to_authors: Mapped[str] = mapped_column(Text, default="")
    confidential_comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    assignment: Mapped[ReviewAssignment] = relationship(back_populates="review")
    scores: Mapped[list[ReviewScore]] = relationship(
        back_populates="review", cascade="all, delete-orphan"
    )


class ReviewScore(db.Model):
    __tablename__ = "poster_review_score"
    __table_args__ = (
        UniqueConstraint("review_id", "category_id"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("poster_review.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(
        ForeignKey("poster_score_category.id", ondelete="CASCADE")
    )
    score: Mapped[int] = mapped_column()

    review: Mapped[Review] = relationship(back_populates="scores")
    category: Mapped[ScoreCategory] = relationship()


class PosterVote(db.Model):
    """The audience award: one vote per attendee per call, a database fact."""

    __tablename__ = "poster_vote"
    __table_args__ = (UniqueConstraint("call_id", "voter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("poster_call.id", ondelete="CASCADE"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("poster_submission.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
