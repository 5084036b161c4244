"""Poster rules: the call and its phases, submissions, PDF checks, review assignment with the
conflict-of-interest rule, blind review, ranking, decisions released in one batch, boards,
file access and the audience award. Plain functions over the database session.

Phases of a call (from its dates, all stored UTC and shown in Japan time):
upcoming → open (until the deadline) → closed → reviewing → selection → released.
"""

from __future__ import annotations

import enum
import io
import re
import statistics
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _nl
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from convention import storage
from convention.accounts.models import ParticipantCategory, Role, User, UserRole
from convention.checkin import services as checkin
from convention.checkin.models import ListKind
from convention.events.models import Edition
from convention.extensions import db, get_by_id
from convention.mail.services import absolute_url, queue
from convention.posters.models import (
    STATE_LABELS,
    Decision,
    PosterCall,
    PosterTrack,
    PosterVote,
    Review,
    ReviewAssignment,
    ReviewerProfile,
    ReviewScore,
    ScoreCategory,
    Submission,
    SubmissionAuthor,
    SubmissionState,
)
from convention.refusals import Refusal
from convention.registration.models import Registration, University
from convention.spreadsheet import csv_text
from convention.timeutil import local, utcnow

MAX_AUTHORS = 8
PDF_MIME = "application/pdf"
S = SubmissionState

# The one place a submission's state may change: (from, to) pairs.
TRANSITIONS: set[tuple[SubmissionState, SubmissionState]] = {
    (S.DRAFT, S.SUBMITTED),
    (S.DRAFT, S.WITHDRAWN),
    (S.SUBMITTED, S.WITHDRAWN),
    (S.SUBMITTED, S.ACCEPTED),
    (S.SUBMITTED, S.REJECTED),
    (S.SUBMITTED, S.WAITLISTED),
    # A place freed after the release goes to the waiting list.
    (S.WAITLISTED, S.ACCEPTED),
}

DECISION_STATES = {
    Decision.ACCEPT: S.ACCEPTED,
    Decision.REJECT: S.REJECTED,
    Decision.WAITLIST: S.WAITLISTED,
}


class PosterError(Refusal):
    """A rule refused the action; `field` names the form field the message belongs to."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def _move(submission: Submission, target: SubmissionState) -> None:
    if (submission.state, target) not in TRANSITIONS:
        raise PosterError(
            _l(
                "A poster that is %(state)s cannot become %(target)s.",
                state=STATE_LABELS[submission.state],
                target=STATE_LABELS[target],
            )
        )
    submission.state = target
    submission.updated_at = utcnow()


# --- the call ----------------------------------------------------------------------------------


class Phase(enum.StrEnum):
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"  # after the deadline, before reviewing opens
    REVIEWING = "reviewing"
    SELECTION = "selection"
    RELEASED = "released"


PHASE_LABELS = {
    Phase.UPCOMING: _l("Not open yet"),
    Phase.OPEN: _l("Open for submissions"),
    Phase.CLOSED: _l("Closed for submissions"),
    Phase.REVIEWING: _l("Under review"),
    Phase.SELECTION: _l("Selection"),
    Phase.RELEASED: _l("Decisions released"),
}


def call_of(edition: Edition | None) -> PosterCall | None:
    if edition is None:
        return None
    return db.session.scalar(select(PosterCall).where(PosterCall.edition_id == edition.id))


def _lock(call: PosterCall) -> PosterCall:
    """Lock the call's row for the rest of the transaction (and reload it): batch actions on a
    call (assigning reviewers, releasing decisions, numbering boards) run one at a time, so a
    double click or two organisers cannot assign twice or release twice."""
    return db.session.scalars(
        select(PosterCall)
        .where(PosterCall.id == call.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def phase(call: PosterCall, now: datetime | None = None) -> Phase:
    now = now or utcnow()
    if call.decisions_released_at is not None:
        return Phase.RELEASED
    if now < call.opens_at:
        return Phase.UPCOMING
    if now < call.deadline:
        return Phase.OPEN
    if now < call.review_opens_at:
        return Phase.CLOSED
    if now < call.review_closes_at:
        return Phase.REVIEWING
    return Phase.SELECTION


def is_open(call: PosterCall, now: datetime | None = None) -> bool:
    return phase(call, now) == Phase.OPEN


@dataclass
class CallData:
    opens_at: datetime
    deadline: datetime
    review_opens_at: datetime
    review_closes_at: datetime
    languages: list[str] = field(default_factory=lambda: ["ja", "en"])
    title_max: int = 120
    abstract_max: int = 2000
    max_file_mb: int = 10
    reviews_per_poster: int = 2
    session_id: int | None = None
    # (name_ja, name_en) in order; (name_ja, name_en, weight) for categories.
    tracks: list[tuple[str, str]] = field(default_factory=list)
    categories: list[tuple[str, str, int]] = field(default_factory=list)


def _code(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:30] or "item"
    code, number = base, 2
    while code in taken:
        code, number = f"{base}-{number}", number + 1
    taken.add(code)
    return code


def save_call(edition: Edition, data: CallData) -> PosterCall:
    """Create or update the edition's call. Tracks and categories are matched by English name;
    one that is gone is removed unless submissions or reviews use it."""
    if data.deadline <= data.opens_at:
        raise PosterError(_l("The deadline must be after the opening."), field="deadline")
    if data.review_opens_at < data.deadline:
        raise PosterError(
            _l("Reviewing can open only after the submission deadline."), field="review_opens_at"
        )
    if data.review_closes_at <= data.review_opens_at:
        raise PosterError(_l("Reviewing must close after it opens."), field="review_closes_at")
    if not data.tracks:
        raise PosterError(_l("Give at least one track."), field="tracks")
    if not data.categories:
        raise PosterError(_l("Give at least one score category."), field="categories")
    if not data.languages:
        raise PosterError(_l("Choose at least one language."), field="languages")
    call = call_of(edition) or PosterCall(edition_id=edition.id)
    for name in (
        "opens_at",
        "deadline",
        "review_opens_at",
        "review_closes_at",
        "title_max",
        "abstract_max",
        "max_file_mb",
        "reviews_per_poster",
        "session_id",
    ):
        setattr(call, name, getattr(data, name))
    call.languages = ",".join(data.languages)
    db.session.add(call)

    call.tracks = _matched(
        call.tracks,
        [{"name_ja": ja, "name_en": en} for ja, en in data.tracks],
        PosterTrack,
        in_use=lambda track: select(func.count()).where(Submission.track_id == track.id),
        refusal=lambda name: _l("The track “%(name)s” has submissions: keep it.", name=name),
        field="tracks",
    )
    call.categories = _matched(
        call.categories,
        [{"name_ja": ja, "name_en": en, "weight": weight} for ja, en, weight in data.categories],
        ScoreCategory,
        in_use=lambda category: select(func.count()).where(ReviewScore.category_id == category.id),
        refusal=lambda name: _l("The category “%(name)s” has scores: keep it.", name=name),
        field="categories",
    )
    db.session.commit()
    return call


def _matched(rows, wanted: list[dict], model, *, in_use, refusal, field: str) -> list:
    """The rows for `wanted` (in that order), reusing existing ones by English name; a row
    that would go while something uses it is refused (`refusal(name)` says so)."""
    existing = {row.name_en: row for row in rows}
    codes = {row.code for row in rows}
    result = []
    for position, values in enumerate(wanted):
        row = existing.pop(values["name_en"], None) or model(code=_code(values["name_en"], codes))
        for name, value in values.items():
            setattr(row, name, value)
        row.position = position
        result.append(row)
    for row in existing.values():
        if row.id and db.session.scalar(in_use(row)):
            raise PosterError(refusal(row.name_en), field=field)
    return result


# --- submissions -------------------------------------------------------------------------------


@dataclass
class SubmissionData:
    title_ja: str = ""
    title_en: str = ""
    abstract: str = ""
    language: str = "ja"
    track_id: int | None = None
    keywords: str = ""
    university_id: int | None = None
    supervisor: str = ""
    consent_public: bool = False
    # (name, affiliation) in author order; empty rows are dropped.
    authors: list[tuple[str, str]] = field(default_factory=list)
    presenter_index: int = 0


def check_pdf(data: bytes) -> None:
    """Refuse anything that is not a readable PDF, whatever its name says: the header must be
    `%PDF-`, and pypdf must be able to open it and find at least one page."""
    if not data.startswith(b"%PDF-"):
        raise PosterError(_l("This file is not a PDF. Upload your poster as a PDF."), field="file")
    if b"%%EOF" not in data[-2048:]:
        raise PosterError(
            _l("This PDF is incomplete or damaged. Export it again and upload it."), field="file"
        )
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise PosterError(
                _l("This PDF is password-protected. Upload it without a password."), field="file"
            )
        pages = len(reader.pages)
    except PosterError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError):
        pages = 0
    if pages < 1:
        raise PosterError(
            _l("This PDF is incomplete or damaged. Export it again and upload it."), field="file"
        )


def read_upload(stream, call: PosterCall) -> bytes:
    """The uploaded file's bytes, within the call's size limit, checked to be a PDF."""
    try:
        data = storage.read_limited(stream, call.max_file_mb * 1024 * 1024)
    except storage.UploadTooLarge:
        raise PosterError(
            _l("The file is larger than %(mb)s MB.", mb=call.max_file_mb), field="file"
        ) from None
    if not data:
        raise PosterError(_l("The file is empty."), field="file")
    check_pdf(data)
    return data


def _require_open(call: PosterCall, now: datetime | None = None) -> None:
    if not is_open(call, now):
        raise PosterError(
            _l("The call is closed: submissions can no longer be changed.")
            if phase(call, now) != Phase.UPCOMING
            else _l("The call is not open yet.")
        )


def _check(call: PosterCall, data: SubmissionData, *, complete: bool) -> None:
    """Limits always; required fields only when submitting (a draft may be partial)."""
    for name in ("title_ja", "title_en"):
        if len(getattr(data, name)) > call.title_max:
            raise PosterError(_l("At most %(count)s characters.", count=call.title_max), field=name)
    if len(data.abstract) > call.abstract_max:
        raise PosterError(
            _l(
                "The abstract has %(length)s characters; at most %(count)s are allowed.",
                length=len(data.abstract),
                count=call.abstract_max,
            ),
            field="abstract",
        )
    if data.language not in call.language_codes:
        raise PosterError(_l("Choose one of the call's languages."), field="language")
    if data.track_id is not None and data.track_id not in {track.id for track in call.tracks}:
        raise PosterError(_l("Choose a track of this call."), field="track_id")
    if data.university_id is not None and db.session.get(University, data.university_id) is None:
        raise PosterError(_l("Choose a university from the list."), field="university_id")
    if len(data.authors) > MAX_AUTHORS:
        raise PosterError(_l("At most %(count)s authors.", count=MAX_AUTHORS), field="authors")
    if data.authors and not 0 <= data.presenter_index < len(data.authors):
        raise PosterError(_l("Mark the presenter among the authors."), field="authors")
    if not complete:
        return
    if not (data.title_ja.strip() or data.title_en.strip()):
        raise PosterError(_l("Give the title in Japanese or English."), field="title_ja")
    if not data.abstract.strip():
        raise PosterError(_l("Write the abstract."), field="abstract")
    if data.track_id is None:
        raise PosterError(_l("Choose a track."), field="track_id")
    if data.university_id is None:
        raise PosterError(_l("Choose your university."), field="university_id")
    if not data.supervisor.strip():
        raise PosterError(_l("Name your supervisor."), field="supervisor")
    if not data.authors:
        raise PosterError(_l("List at least one author."), field="authors")


# The fields a submission and its form share one to one (authors and the file are apart).
PLAIN_FIELDS = (
    "title_ja",
    "title_en",
    "abstract",
    "language",
    "track_id",
    "keywords",
    "university_id",
    "supervisor",
    "consent_public",
)


def _apply(submission: Submission, data: SubmissionData) -> None:
    for name in PLAIN_FIELDS:
        setattr(submission, name, getattr(data, name))
    submission.supervisor = data.supervisor.strip()
    submission.keywords = ", ".join(w.strip() for w in data.keywords.split(",") if w.strip())
    submission.authors.clear()
    db.session.flush()
    submission.authors.extend(
        SubmissionAuthor(
            position=position,
            name=name.strip(),
            affiliation=affiliation.strip(),
            is_presenter=position == data.presenter_index,
        )
        for position, (name, affiliation) in enumerate(data.authors)
    )
    submission.updated_at = utcnow()


def save_submission(
    call: PosterCall,
    student: User,
    data: SubmissionData,
    *,
    file_data: bytes | None = None,
    submission: Submission | None = None,
    submitting: bool = False,
    now: datetime | None = None,
) -> Submission:
    """Create or edit a poster (draft or submitted) while the call is open. A submitted poster
    must stay complete, and so must one about to be submitted (`submitting`: nothing is saved
    if it is not). `file_data` must come from `read_upload` (already checked)."""
    if student.category != ParticipantCategory.STUDENT:
        raise PosterError(_l("Only student accounts can submit posters."))
    _require_open(call, now)
    if submission is not None:
        if submission.student_id != student.id or submission.call_id != call.id:
            raise PosterError(_l("This is not your poster."))
        if submission.state not in (S.DRAFT, S.SUBMITTED):
            raise PosterError(_l("A withdrawn poster cannot be changed."))
    complete = submitting or (submission is not None and submission.state == S.SUBMITTED)
    _check(call, data, complete=complete)
    if submitting and file_data is None and not (submission and submission.file_key):
        raise PosterError(_l("Upload the poster PDF before submitting."), field="file")
    if submission is None:
        submission = Submission(call_id=call.id, student_id=student.id)
        db.session.add(submission)
    _apply(submission, data)
    old_key = new_key = None
    if file_data is not None:
        old_key = submission.file_key
        new_key = submission.file_key = storage.save("posters", file_data, "pdf")
        submission.file_size = len(file_data)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        storage.delete(new_key)  # the new file only: the row still names the old one
        raise
    storage.delete(old_key)
    return submission


def _student_mail(submission: Submission, template: str, **context) -> None:
    student = submission.student
    queue(
        student.email,
        f"posters/{template}",
        language=student.language or "ja",
        submission=submission,
        user=student,
        url=absolute_url("posters.my_poster", submission_id=submission.id),
        **context,
    )


def submit(submission: Submission, student: User, now: datetime | None = None) -> Submission:
    """Draft → submitted, once complete; sends the confirmation email."""
    call = submission.call
    _require_open(call, now)
    if submission.student_id != student.id:
        raise PosterError(_l("This is not your poster."))
    data = data_of(submission)
    _check(call, data, complete=True)
    if not submission.file_key:
        raise PosterError(_l("Upload the poster PDF before submitting."), field="file")
    _move(submission, S.SUBMITTED)
    submission.submitted_at = now or utcnow()
    _student_mail(submission, "submitted")
    db.session.commit()
    return submission


def withdraw(submission: Submission, student: User, now: datetime | None = None) -> Submission:
    _require_open(submission.call, now)
    if submission.student_id != student.id:
        raise PosterError(_l("This is not your poster."))
    _move(submission, S.WITHDRAWN)
    db.session.commit()
    return submission


def data_of(submission: Submission) -> SubmissionData:
    presenter = next((i for i, author in enumerate(submission.authors) if author.is_presenter), 0)
    return SubmissionData(
        **{name: getattr(submission, name) for name in PLAIN_FIELDS},
        authors=[(author.name, author.affiliation) for author in submission.authors],
        presenter_index=presenter,
    )


def submissions_of(student: User) -> list[Submission]:
    return list(
        db.session.scalars(
            select(Submission)
            .where(Submission.student_id == student.id)
            .order_by(Submission.created_at.desc())
        )
    )


def universities() -> list[University]:
    return list(db.session.scalars(select(University).order_by(University.name_en)))


# --- reviewers and assignments -----------------------------------------------------------------


def reviewers() -> list[User]:
    """Users holding the reviewer role (organisers review only if they hold it too)."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.REVIEWER)
            .order_by(User.name, User.id)
        )
    )


def profile_of(user: User) -> ReviewerProfile | None:
    return db.session.scalar(select(ReviewerProfile).where(ReviewerProfile.user_id == user.id))


def reviewer_loads(call: PosterCall, people: list[User]) -> tuple[dict, dict[int, int]]:
    """The reviewers' profiles and their number of reviews in the call (withdrawn posters and
    conflicts of interest left out, as in `assignments_of`), in two queries for the whole list."""
    ids = [user.id for user in people] or [0]
    profiles: dict[int, ReviewerProfile | None] = dict.fromkeys(ids)
    profiles |= {
        profile.user_id: profile
        for profile in db.session.scalars(
            select(ReviewerProfile).where(ReviewerProfile.user_id.in_(ids))
        )
    }
    loads = dict.fromkeys((user.id for user in people), 0)
    if call is None:
        return profiles, loads
    by_id = {user.id: user for user in people}
    rows = db.session.scalars(
        select(ReviewAssignment)
        .join(Submission, Submission.id == ReviewAssignment.submission_id)
        .where(
            ReviewAssignment.reviewer_id.in_(ids),
            Submission.call_id == call.id,
            Submission.state != S.WITHDRAWN,
        )
        .options(selectinload(ReviewAssignment.submission))
    )
    for row in rows:
        profile = profiles.get(row.reviewer_id)
        if (
            profile is not None
            and conflict(by_id[row.reviewer_id], row.submission, profile) is None
        ):
            loads[row.reviewer_id] += 1
    return profiles, loads


def set_reviewer_university(user: User, university_id: int | None) -> ReviewerProfile:
    if not user.has_role(Role.REVIEWER):
        raise PosterError(_l("This person is not a reviewer."))
    if university_id is not None and get_by_id(University, university_id) is None:
        raise PosterError(_l("Choose a university from the list."), field="university_id")
    profile = profile_of(user) or ReviewerProfile(user_id=user.id)
    profile.university_id = university_id
    db.session.add(profile)
    db.session.commit()
    return profile


def conflict(reviewer: User, submission: Submission, profile: ReviewerProfile | None = None):
    """Why this reviewer may not review this poster (a message), or None.

    Without a recorded university the reviewer is not assignable at all."""
    if reviewer.id == submission.student_id:
        return _l("This is the reviewer's own poster.")
    profile = profile or profile_of(reviewer)
    if profile is None:
        return _l("The reviewer's university is not recorded yet.")
    if profile.university_id is not None and profile.university_id == submission.university_id:
        return _l("Conflict of interest: the poster comes from the reviewer's university.")
    return None


def _reviewable(call: PosterCall) -> list[Submission]:
    return list(
        db.session.scalars(
            select(Submission)
            .where(Submission.call_id == call.id, Submission.state == S.SUBMITTED)
            .options(selectinload(Submission.assignments))
            .order_by(Submission.id)
        )
    )


@dataclass
class AssignmentReport:
    created: int = 0
    # Submissions that could not get enough reviewers without a conflict.
    short: list[Submission] = field(default_factory=list)


def auto_assign(call: PosterCall) -> AssignmentReport:
    """Give every submitted poster `reviews_per_poster` reviewers: never the reviewer's own
    poster or university, reviewers with the fewest assignments first (balanced). Existing
    assignments stay; posters with the fewest possible reviewers are served first."""
    call = _lock(call)
    profiles = {
        profile.user_id: profile
        for profile in db.session.scalars(select(ReviewerProfile))
        if profile.user.has_role(Role.REVIEWER)
    }
    people = [user for user in reviewers() if user.id in profiles]
    load = {user.id: 0 for user in people}
    for reviewer_id, count in db.session.execute(
        select(ReviewAssignment.reviewer_id, func.count())
        .join(Submission, Submission.id == ReviewAssignment.submission_id)
        .where(Submission.call_id == call.id)
        .group_by(ReviewAssignment.reviewer_id)
    ):
        if reviewer_id in load:
            load[reviewer_id] = count
    submissions = _reviewable(call)
    eligible = {
        submission.id: [
            user
            for user in people
            if conflict(user, submission, profiles[user.id]) is None
            and user.id not in {a.reviewer_id for a in submission.assignments}
        ]
        for submission in submissions
    }
    report = AssignmentReport()
    chosen: dict[int, list[User]] = {}
    for submission in sorted(submissions, key=lambda s: (len(eligible[s.id]), s.id)):
        # An assignment that became a conflict (the poster's university changed) does not count.
        valid = [a for a in submission.assignments if conflict(a.reviewer, submission) is None]
        needed = call.reviews_per_poster - len(valid)
        candidates = sorted(eligible[submission.id], key=lambda user: (load[user.id], user.id))
        chosen[submission.id] = candidates[: max(needed, 0)]
        for user in chosen[submission.id]:
            load[user.id] += 1
        if needed > len(candidates):
            report.short.append(submission)
    _rebalance(chosen, eligible, load)
    for submission_id, users in chosen.items():
        for user in users:
            db.session.add(ReviewAssignment(submission_id=submission_id, reviewer_id=user.id))
            report.created += 1
    db.session.commit()
    return report


def _rebalance(chosen: dict[int, list[User]], eligible: dict[int, list[User]], load) -> None:
    """Move new assignments from a busier reviewer to an eligible one with at least two fewer
    until no such move is left (the greedy pass alone can leave loads of 2 and 4)."""
    moved = True
    while moved:
        moved = False
        for submission_id, users in chosen.items():
            taken = {user.id for user in users}
            for index, user in enumerate(users):
                lighter = min(
                    (other for other in eligible[submission_id] if other.id not in taken),
                    key=lambda other: (load[other.id], other.id),
                    default=None,
                )
                if lighter is not None and load[user.id] - load[lighter.id] >= 2:
                    users[index] = lighter
                    load[user.id] -= 1
                    load[lighter.id] += 1
                    taken = {u.id for u in users}
                    moved = True


def assign(submission: Submission, reviewer: User) -> ReviewAssignment:
    """An organiser's manual assignment: the same conflict rule holds."""
    if Role.REVIEWER not in reviewer.roles:  # organisers review only with the role
        raise PosterError(_l("This person is not a reviewer."), field="reviewer_id")
    reason = conflict(reviewer, submission)
    if reason is not None:
        raise PosterError(reason, field="reviewer_id")
    if submission.state != S.SUBMITTED:
        raise PosterError(_l("Only submitted posters are reviewed."), field="reviewer_id")
    assignment = ReviewAssignment(submission_id=submission.id, reviewer_id=reviewer.id, manual=True)
    db.session.add(assignment)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise PosterError(
            _l("This reviewer is already assigned to this poster."), field="reviewer_id"
        ) from None
    return assignment


def unassign(assignment: ReviewAssignment) -> None:
    db.session.delete(assignment)
    db.session.commit()


def assignment_for(user: User, assignment_id: int) -> ReviewAssignment | None:
    """The reviewer's own assignment, only while it has no conflict (else None: refuse)."""
    assignment = db.session.get(ReviewAssignment, assignment_id)
    if assignment is None or assignment.reviewer_id != user.id:
        return None
    if assignment.submission.state == S.WITHDRAWN:
        return None
    if conflict(user, assignment.submission) is not None:
        return None
    return assignment


def assignments_of(user: User) -> list[ReviewAssignment]:
    rows = db.session.scalars(
        select(ReviewAssignment)
        .join(Submission, Submission.id == ReviewAssignment.submission_id)
        .where(ReviewAssignment.reviewer_id == user.id, Submission.state != S.WITHDRAWN)
        .options(
            selectinload(ReviewAssignment.review),
            selectinload(ReviewAssignment.submission).selectinload(Submission.track),
        )
        .order_by(ReviewAssignment.id)
    )
    profile = profile_of(user)
    kept = [row for row in rows if conflict(user, row.submission, profile) is None]
    # The reviews still to do first: that is what the reviewer opens the list for.
    return sorted(kept, key=lambda row: row.review is not None)


def can_review_now(call: PosterCall, now: datetime | None = None) -> bool:
    return phase(call, now) == Phase.REVIEWING


def save_review(
    assignment: ReviewAssignment,
    scores: dict[int, int],
    comment_to_authors: str,
    confidential_comment: str,
    now: datetime | None = None,
) -> Review:
    """Score every category 1–5 while reviewing is open; saving again replaces the review."""
    call = assignment.submission.call
    if not can_review_now(call, now):
        raise PosterError(_l("Reviewing is not open: reviews can no longer be changed."))
    categories = call.categories
    for category in categories:
        value = scores.get(category.id)
        if value is None or not 1 <= value <= 5:
            raise PosterError(_l("Give a score from 1 to 5."), field=f"score_{category.id}")
    comments = {
        "comment_to_authors": comment_to_authors,
        "confidential_comment": confidential_comment,
    }
    for name, text in comments.items():
        if "\x00" in text:  # no browser sends it; PostgreSQL cannot store it
            raise PosterError(_l("This contains characters that are not allowed."), field=name)
    review = assignment.review or Review(assignment=assignment)
    review.comment_to_authors = comment_to_authors.strip()
    review.confidential_comment = confidential_comment.strip()
    review.submitted_at = now or utcnow()
    by_category = {score.category_id: score for score in review.scores}
    for category in categories:
        row = by_category.get(category.id) or ReviewScore(category_id=category.id)
        row.score = scores[category.id]
        if row not in review.scores:
            review.scores.append(row)
    db.session.add(review)
    db.session.commit()
    return review


def weighted_score(review: Review) -> float:
    """The review's weighted mean on the 1–5 scale."""
    total = sum(score.score * score.category.weight for score in review.scores)
    weights = sum(score.category.weight for score in review.scores)
    return total / weights if weights else 0.0


# --- ranking and decisions ---------------------------------------------------------------------


@dataclass
class RankRow:
    submission: Submission
    scores: list[float]
    assigned: int

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.scores) if self.scores else None

    @property
    def spread(self) -> float | None:
        """Highest minus lowest review: a wide spread asks for a discussion."""
        return max(self.scores) - min(self.scores) if len(self.scores) > 1 else None


def ranking(call: PosterCall) -> list[RankRow]:
    submissions = db.session.scalars(
        select(Submission)
        .where(
            Submission.call_id == call.id,
            Submission.state.in_((S.SUBMITTED, S.ACCEPTED, S.REJECTED, S.WAITLISTED)),
        )
        .options(
            selectinload(Submission.assignments)
            .selectinload(ReviewAssignment.review)
            .selectinload(Review.scores)
            .selectinload(ReviewScore.category),
            selectinload(Submission.university),
            selectinload(Submission.track),
        )
    ).all()
    rows = [
        RankRow(
            submission=submission,
            scores=[weighted_score(a.review) for a in submission.assignments if a.review],
            assigned=len(submission.assignments),
        )
        for submission in submissions
    ]
    rows.sort(key=lambda row: (row.mean is None, -(row.mean or 0), row.submission.id))
    return rows


def decide(submission: Submission, decision: Decision | None, now: datetime | None = None):
    """Record the organisers' decision; nobody is told until the batch is released."""
    call = submission.call
    if call.decisions_released_at is not None:
        raise PosterError(_l("The decisions are already released."), field="decision")
    if phase(call, now) in (Phase.UPCOMING, Phase.OPEN):
        raise PosterError(_l("Decide after the submission deadline."), field="decision")
    if submission.state != S.SUBMITTED:
        raise PosterError(_l("Only submitted posters get a decision."), field="decision")
    submission.decision = decision
    db.session.commit()
    return submission


def release_decisions(call: PosterCall, now: datetime | None = None) -> int:
    """Apply every decision at once and email each student; only then. Refused while a
    submitted poster has no decision, or a second time. Returns the number of emails."""
    call = _lock(call)
    if call.decisions_released_at is not None:
        raise PosterError(_l("The decisions are already released."))
    if phase(call, now) in (Phase.UPCOMING, Phase.OPEN):
        raise PosterError(_l("Decide after the submission deadline."))
    submissions = db.session.scalars(
        select(Submission)
        .where(Submission.call_id == call.id, Submission.state == S.SUBMITTED)
        .with_for_update()
    ).all()
    undecided = [s for s in submissions if s.decision is None]
    if undecided:
        raise PosterError(
            _nl(
                "%(num)s submitted poster has no decision yet.",
                "%(num)s submitted posters have no decision yet.",
                len(undecided),
            )
        )
    for submission in submissions:
        _move(submission, DECISION_STATES[submission.decision])
        _student_mail(submission, f"decision_{submission.decision.value}")
    call.decisions_released_at = now or utcnow()
    db.session.commit()
    return len(submissions)


def promote(submission: Submission) -> Submission:
    """A waitlisted poster gets a freed place after the release (and an email)."""
    _move(submission, S.ACCEPTED)
    submission.decision = Decision.ACCEPT
    _student_mail(submission, "decision_accept")
    db.session.commit()
    return submission


# --- the poster session ------------------------------------------------------------------------


def accepted(call: PosterCall) -> list[Submission]:
    return list(
        db.session.scalars(
            select(Submission)
            .where(Submission.call_id == call.id, Submission.state == S.ACCEPTED)
            .options(
                selectinload(Submission.authors),
                selectinload(Submission.student),
                selectinload(Submission.track),
                selectinload(Submission.university),
            )
            .order_by(Submission.board_number.is_(None), Submission.board_number, Submission.id)
        )
    )


def assign_boards(call: PosterCall) -> int:
    """Number the accepted posters' boards, grouped by track (in the track order) and ranked
    within it; odd boards present in the first half of the session, even ones in the second.
    Posters that already have a board keep it; new ones get the next free numbers."""
    call = _lock(call)
    if call.decisions_released_at is None:
        raise PosterError(_l("Release the decisions first."))
    ranks = {row.submission.id: index for index, row in enumerate(ranking(call))}
    track_order = {track.id: track.position for track in call.tracks}
    posters = accepted(call)
    used = {p.board_number for p in posters if p.board_number is not None}
    new = sorted(
        (p for p in posters if p.board_number is None),
        key=lambda p: (track_order.get(p.track_id, 999), ranks.get(p.id, 10**6), p.id),
    )
    number = 1
    for poster in new:
        while number in used:
            number += 1
        poster.board_number = number
        poster.slot = 1 if number % 2 else 2
        used.add(number)
    db.session.commit()
    return len(new)


EXPORT_COLUMNS = (
    _l("Board number"),
    _l("Slot"),
    _l("Title (Japanese)"),
    _l("Title (English)"),
    _l("Track"),
    _l("Presenter"),
    _l("University"),
    _l("In-city university"),
    _l("Consent to publish"),
    _l("Average weighted score"),
)


def export_rows(call: PosterCall) -> list[list]:
    """The header, then one row per accepted poster in board order (for the organisers' sheet)."""
    means = {row.submission.id: row.mean for row in ranking(call)}
    rows: list[list] = [[str(label) for label in EXPORT_COLUMNS]]
    for poster in accepted(call):
        times = slot_times(call, poster.slot)
        presenter = poster.presenter
        university = poster.university
        mean = means.get(poster.id)
        rows.append(
            [
                poster.board_number or "",
                f"{local(times[0]):%H:%M}–{local(times[1]):%H:%M}" if times else poster.slot or "",
                poster.title_ja,
                poster.title_en,
                poster.track.name_ja if poster.track else "",
                presenter.name if presenter else poster.student.name,
                university.name_ja if university else "",
                "yes" if university and university.in_city else "",
                "yes" if poster.consent_public else "",
                f"{mean:.2f}" if mean is not None else "",
            ]
        )
    return rows


def export_csv(call: PosterCall) -> str:
    """Accepted posters as CSV that opens safely in a spreadsheet."""
    return csv_text(export_rows(call))


def slot_times(call: PosterCall, slot: int | None):
    """(start, end) of a presenting slot: the session's first or second half."""
    session = call.session
    if session is None or slot not in (1, 2):
        return None
    middle = session.starts_at + (session.ends_at - session.starts_at) / 2
    return (session.starts_at, middle) if slot == 1 else (middle, session.ends_at)


def programme(call: PosterCall, track: str = "", q: str = "") -> list[Submission]:
    """The public poster programme: accepted posters of a released call, searchable."""
    if call.decisions_released_at is None:
        return []
    query = (
        select(Submission)
        .where(Submission.call_id == call.id, Submission.state == S.ACCEPTED)
        .options(selectinload(Submission.authors), selectinload(Submission.track))
        .order_by(Submission.board_number.is_(None), Submission.board_number, Submission.id)
    )
    if track:
        query = query.join(PosterTrack, PosterTrack.id == Submission.track_id).where(
            PosterTrack.code == track
        )
    q = q.strip()
    if q:
        pattern = f"%{q.replace('%', '').replace('_', '')}%"
        query = query.where(
            Submission.keywords.ilike(pattern)
            | Submission.title_ja.ilike(pattern)
            | Submission.title_en.ilike(pattern)
        )
    return list(db.session.scalars(query))


def _poster_list(call: PosterCall):
    """The check-in list of the poster session (made by check-in's `ensure_lists`)."""
    if call.session_id is None:
        return None
    return checkin.list_for_session(call.session_id)


def presenter_registration_ids(session_id: int):
    """Check-in's admission hook: the registrations of the accepted posters' students for the
    poster session of a call, so presenters are on its list even when it admits only those
    signed up. None when no call holds its poster session there."""
    if db.session.scalar(select(PosterCall.id).where(PosterCall.session_id == session_id)) is None:
        return None
    return (
        select(Registration.id)
        .join(Submission, Submission.student_id == Registration.user_id)
        .join(PosterCall, PosterCall.id == Submission.call_id)
        .where(
            PosterCall.session_id == session_id,
            Registration.edition_id == PosterCall.edition_id,
            Submission.state == S.ACCEPTED,
        )
    )


@dataclass
class PresenterRow:
    submission: Submission
    registration: Registration | None
    checked_in_at: datetime | None


def presenters(call: PosterCall) -> tuple[object, list[PresenterRow]]:
    """Accepted posters' presenters on the poster-session check-in list: their registration
    (presenters register like everyone) and whether the door checked them in there."""
    checkin_list = _poster_list(call)
    posters = accepted(call)
    registrations = {
        registration.user_id: registration
        for registration in db.session.scalars(
            select(Registration).where(
                Registration.edition_id == call.edition_id,
                Registration.user_id.in_([p.student_id for p in posters] or [0]),
            )
        )
    }
    presence = (
        checkin.presences(checkin_list, [r.id for r in registrations.values()])
        if checkin_list is not None
        else {}
    )
    rows = []
    for poster in posters:
        registration = registrations.get(poster.student_id)
        row = presence.get(registration.id) if registration else None
        rows.append(PresenterRow(poster, registration, row.first_checked_in_at if row else None))
    return checkin_list, rows


# --- files -------------------------------------------------------------------------------------


def can_download(user, submission: Submission) -> bool:
    """Authors, assigned reviewers without a conflict and organisers; the public only for an
    accepted poster whose authors consented, once the decisions are released."""
    if not submission.file_key:
        return False
    if (
        submission.state == S.ACCEPTED
        and submission.consent_public
        and submission.call.decisions_released_at is not None
    ):
        return True
    if user is None or not user.is_authenticated:
        return False
    if user.id == submission.student_id or user.is_organiser:
        return True
    assigned = any(a.reviewer_id == user.id for a in submission.assignments)
    return assigned and conflict(user, submission) is None


def file_name(submission: Submission) -> str:
    """Anonymised: no title, author or university in the name."""
    return f"poster-{submission.id}.pdf"


# --- audience award ----------------------------------------------------------------------------


def voter_registration(call: PosterCall, user) -> Registration | None:
    """The attendee's registration, if the door checked them in (main door or poster session)."""
    if user is None or not user.is_authenticated:
        return None
    registration = db.session.scalar(
        select(Registration).where(
            Registration.edition_id == call.edition_id, Registration.user_id == user.id
        )
    )
    if registration is None:
        return None
    if not checkin.has_entered(registration.id, (ListKind.MAIN_DOOR, ListKind.POSTER)):
        return None
    return registration


def vote_of(call: PosterCall, user) -> PosterVote | None:
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(
        select(PosterVote).where(PosterVote.call_id == call.id, PosterVote.voter_id == user.id)
    )


def vote(call: PosterCall, user: User, submission: Submission) -> PosterVote:
    """One vote per checked-in attendee; the unique key refuses a second one, even a racing one."""
    if not call.voting_open:
        raise PosterError(_l("Voting for the audience award is not open."))
    if submission.call_id != call.id or submission.state != S.ACCEPTED:
        raise PosterError(_l("This poster is not in the poster session."))
    if voter_registration(call, user) is None:
        raise PosterError(_l("Only attendees checked in at the convention can vote."))
    if vote_of(call, user) is not None:
        raise PosterError(_l("You have already voted. Each attendee votes once."))
    row = PosterVote(call_id=call.id, voter_id=user.id, submission_id=submission.id)
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise PosterError(_l("You have already voted. Each attendee votes once.")) from None
    return row


def set_voting(call: PosterCall, open_: bool) -> None:
    if open_ and call.decisions_released_at is None:
        raise PosterError(_l("Release the decisions first."))
    call.voting_open = open_
    db.session.commit()


def vote_counts(call: PosterCall) -> list[tuple[Submission, int]]:
    rows = db.session.execute(
        select(Submission, func.count(PosterVote.id))
        .join(PosterVote, PosterVote.submission_id == Submission.id)
        .where(PosterVote.call_id == call.id)
        .group_by(Submission.id)
        .order_by(func.count(PosterVote.id).desc(), Submission.board_number)
    ).all()
    return [(submission, count) for submission, count in rows]


def award_winners(call: PosterCall) -> list[Submission]:
    """Once voting is closed, the posters with the most votes (ties share the award)."""
    if call.voting_open:
        return []
    counts = vote_counts(call)
    if not counts:
        return []
    top = counts[0][1]
    return [submission for submission, count in counts if count == top]
