"""Poster pages: the call and public programme, students' posters, blind review, back-office."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from convention import storage
from convention.accounts.access import login_required, organiser_required, roles_required
from convention.accounts.models import ParticipantCategory, Role, User
from convention.events.models import Session, SessionKind
from convention.events.services import current_edition
from convention.extensions import db, get_by_id
from convention.forms import attach_error, select_choices
from convention.htmx import redirect, render, wants_fragment
from convention.i18n import localized
from convention.posters import services
from convention.posters.forms import (
    LANGUAGE_LABELS,
    AssignForm,
    CallForm,
    DecisionForm,
    ReviewerUniversityForm,
    SubmissionForm,
)
from convention.posters.models import (
    Decision,
    ReviewAssignment,
    Submission,
    SubmissionState,
)
from convention.posters.services import PHASE_LABELS, Phase, PosterError
from convention.registration.services import STATUS_LABELS as REGISTRATION_LABELS
from convention.timeutil import local, parse_local
from convention.web import current_edition_or_404, form_status

bp = Blueprint("posters", __name__)
admin = Blueprint("posters_admin", __name__, url_prefix="/admin/posters")

EDITABLE = (SubmissionState.DRAFT, SubmissionState.SUBMITTED)


def _call(required: bool = True):
    call = services.call_of(current_edition())
    if call is None and required:
        abort(404)
    return call


def _show_error(form, error: PosterError) -> None:
    if error.field == "authors":
        form.author_error = str(error.message)
        return
    attach_error(form, error)


def _context(call, **extra) -> dict:
    return {
        "call": call,
        "phase": services.phase(call) if call else None,
        "phase_labels": PHASE_LABELS,
        "Phase": Phase,
        "language_labels": LANGUAGE_LABELS,
        "slot_times": services.slot_times,
        **extra,
    }


# --- public ------------------------------------------------------------------------------------


@bp.get("/posters/call")
def call_page():
    call = _call(required=False)
    return render("posters/call.html", **_context(call))


@bp.get("/posters")
def programme():
    call = _call(required=False)
    track = request.args.get("track", "")
    q = request.args.get("q", "")
    posters = services.programme(call, track, q) if call else []
    return render(
        "posters/programme.html",
        "posters/_programme_results.html",
        targets=("poster-results",),
        **_context(
            call,
            posters=posters,
            track=track,
            q=q,
            my_vote=services.vote_of(call, current_user) if call else None,
            winners=services.award_winners(call) if call else [],
            can_vote=bool(
                call and call.voting_open and services.voter_registration(call, current_user)
            ),
        ),
    )


@bp.get("/posters/<int:submission_id>/file")
def poster_file(submission_id: int):
    submission = db.session.get(Submission, submission_id) or abort(404)
    if not services.can_download(current_user, submission):
        abort(403 if current_user.is_authenticated else 404)
    return storage.send(
        submission.file_key,
        mimetype=services.PDF_MIME,
        download_name=services.file_name(submission),
    )


@bp.post("/posters/<int:submission_id>/vote")
@login_required
def vote(submission_id: int):
    call = _call()
    submission = db.session.get(Submission, submission_id) or abort(404)
    try:
        services.vote(call, current_user, submission)
        flash(
            _(
                "Thank you: your vote for board %(number)s is counted.",
                number=submission.board_number,
            ),
            "success",
        )
    except PosterError as error:
        flash(str(error.message), "error")
    return redirect(url_for("posters.programme"))


# --- students ----------------------------------------------------------------------------------


def _own(submission_id: int) -> Submission:
    submission = db.session.get(Submission, submission_id) or abort(404)
    if submission.student_id != current_user.id:
        abort(403)
    return submission


def _submission_form(call, submission: Submission | None = None) -> SubmissionForm:
    form = SubmissionForm()
    form.language.choices = select_choices(
        (code, LANGUAGE_LABELS.get(code, code)) for code in call.language_codes
    )
    form.track_id.choices = select_choices(
        [(track.id, localized(track, "name")) for track in call.tracks],
        blank=_("Choose a track"),
    )
    form.university_id.choices = select_choices(
        [(u.id, localized(u, "name")) for u in services.universities()],
        blank=_("Choose your university"),
    )
    if request.method == "GET" and submission is not None:
        data = services.data_of(submission)
        for name in services.PLAIN_FIELDS:
            getattr(form, name).data = getattr(data, name)
        for entry, (name, affiliation) in zip(form.authors.entries, data.authors, strict=False):
            entry.form.name.data = name
            entry.form.affiliation.data = affiliation
        form.presenter.data = str(data.presenter_index)
    elif request.method == "GET":
        form.authors.entries[0].form.name.data = current_user.name
    return form


def _data(form: SubmissionForm) -> services.SubmissionData:
    rows = [
        (entry.form.name.data or "", entry.form.affiliation.data or "") for entry in form.authors
    ]
    # The presenter is picked by row; empty rows are dropped, so count the rows kept before it.
    chosen = int(form.presenter.data) if (form.presenter.data or "").isdigit() else -1
    kept, presenter = [], -1
    for index, (name, affiliation) in enumerate(rows):
        if name.strip():
            if index == chosen:
                presenter = len(kept)
            kept.append((name, affiliation))
    return services.SubmissionData(
        title_ja=form.title_ja.data or "",
        title_en=form.title_en.data or "",
        abstract=(form.abstract.data or "").replace("\r\n", "\n").strip(),
        language=form.language.data or "",
        track_id=form.track_id.data,
        keywords=form.keywords.data or "",
        university_id=form.university_id.data,
        supervisor=form.supervisor.data or "",
        consent_public=bool(form.consent_public.data),
        authors=kept,
        presenter_index=presenter,
    )


@bp.get("/my/posters")
@login_required
def my_posters():
    call = _call(required=False)
    return render(
        "posters/my_posters.html",
        **_context(
            call,
            submissions=services.submissions_of(current_user),
            is_student=current_user.category == ParticipantCategory.STUDENT,
        ),
    )


def _save(call, form, submission: Submission | None):
    """Save the form (and the file, if one came); returns the submission or None on an error."""
    if not form.validate():
        if form.authors.errors:
            form.author_error = _("Names and affiliations have at most 200 characters each.")
        return None
    upload = request.files.get("file")
    submitting = request.form.get("action") == "submit" and (
        submission is None or submission.state == SubmissionState.DRAFT
    )
    try:
        file_data = (
            services.read_upload(upload.stream, call) if upload and upload.filename else None
        )
        submission = services.save_submission(
            call,
            current_user,
            _data(form),
            file_data=file_data,
            submission=submission,
            submitting=submitting,
        )
        if submitting:
            services.submit(submission, current_user)
            flash(_("Your poster is submitted. A confirmation email is on its way."), "success")
        else:
            flash(_("Saved."), "success")
        return submission
    except PosterError as error:
        db.session.rollback()
        _show_error(form, error)
        return None


@bp.route("/my/posters/new", methods=["GET", "POST"])
@login_required
def new_poster():
    call = _call()
    if current_user.category != ParticipantCategory.STUDENT:
        return render("posters/not_student.html", **_context(call)), 403
    form = _submission_form(call)
    if not services.is_open(call):
        return render(
            "posters/my_posters.html",
            **_context(call, submissions=services.submissions_of(current_user), is_student=True),
        ), 422 if request.method == "POST" else 200
    if request.method == "POST":
        submission = _save(call, form, None)
        if submission is not None:
            return redirect(url_for("posters.my_poster", submission_id=submission.id))
    return render(
        "posters/submission_form.html", **_context(call, form=form, submission=None)
    ), form_status(form)


@bp.route("/my/posters/<int:submission_id>", methods=["GET", "POST"])
@login_required
def my_poster(submission_id: int):
    submission = _own(submission_id)
    call = submission.call
    editable = services.is_open(call) and submission.state in EDITABLE
    form = _submission_form(call, submission)
    if request.method == "POST":
        if not editable:
            form.form_errors.append(
                _("A withdrawn poster cannot be changed.")
                if submission.state == SubmissionState.WITHDRAWN
                else _("The call is closed: submissions can no longer be changed.")
            )
            return render(
                "posters/submission.html", **_context(call, submission=submission, form=form)
            ), 422
        saved = _save(call, form, submission)
        if saved is not None:
            return redirect(url_for("posters.my_poster", submission_id=submission.id))
        return render(
            "posters/submission_form.html", **_context(call, form=form, submission=submission)
        ), 422
    if editable:
        return render(
            "posters/submission_form.html", **_context(call, form=form, submission=submission)
        )
    return render("posters/submission.html", **_context(call, submission=submission, form=form))


@bp.post("/my/posters/<int:submission_id>/withdraw")
@login_required
def withdraw(submission_id: int):
    submission = _own(submission_id)
    try:
        services.withdraw(submission, current_user)
        flash(_("Your poster is withdrawn."), "success")
    except PosterError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(url_for("posters.my_poster", submission_id=submission.id))


# --- reviewers ---------------------------------------------------------------------------------


@bp.get("/review/posters")
@roles_required(Role.REVIEWER)
def review_list():
    call = _call(required=False)
    return render(
        "posters/review_list.html",
        **_context(
            call,
            assignments=services.assignments_of(current_user),
            profile=services.profile_of(current_user),
        ),
    )


def _assignment(assignment_id: int) -> ReviewAssignment:
    assignment = services.assignment_for(current_user, assignment_id)
    if assignment is None:
        abort(403)
    return assignment


@bp.route("/review/posters/<int:assignment_id>", methods=["GET", "POST"])
@roles_required(Role.REVIEWER)
def review(assignment_id: int):
    assignment = _assignment(assignment_id)
    submission = assignment.submission
    call = submission.call
    errors: dict[str, str] = {}
    values = {}
    status = 200
    if request.method == "POST":
        scores = {}
        for category in call.categories:
            raw = request.form.get(f"score_{category.id}", "")
            values[f"score_{category.id}"] = raw
            if raw.isdigit():
                scores[category.id] = int(raw)
        try:
            services.save_review(
                assignment,
                scores,
                request.form.get("comment_to_authors", ""),
                request.form.get("confidential_comment", ""),
            )
            flash(_("Your review is saved."), "success")
            return redirect(url_for("posters.review", assignment_id=assignment.id))
        except PosterError as error:
            db.session.rollback()
            errors[error.field or "form"] = str(error.message)
            status = 422
    review_row = assignment.review
    current = {score.category_id: score.score for score in review_row.scores} if review_row else {}
    return render(
        "posters/review.html",
        **_context(
            call,
            assignment=assignment,
            submission=submission,
            review=review_row,
            current=current,
            values=values,
            errors=errors,
            form_values=request.form,
            reviewing=services.can_review_now(call),
            # Once this one is saved: where the reviewer goes next.
            next_assignment=next(
                (
                    other
                    for other in services.assignments_of(current_user)
                    if other.review is None and other.id != assignment.id
                ),
                None,
            )
            if review_row
            else None,
        ),
    ), status


@bp.get("/review/posters/<int:assignment_id>/file")
@roles_required(Role.REVIEWER)
def review_file(assignment_id: int):
    submission = _assignment(assignment_id).submission
    if not submission.file_key:
        abort(404)
    return storage.send(
        submission.file_key,
        mimetype=services.PDF_MIME,
        download_name=services.file_name(submission),
    )


# --- back-office -------------------------------------------------------------------------------


def _lines(text: str) -> list[list[str]]:
    rows = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        values = [value.strip() for value in line.split("/")]
        rows.append(values)
    return rows


def _parse_call_lists(form: CallForm):
    tracks, categories = [], []
    for values in _lines(form.tracks.data):
        if len(values) != 2 or not all(values):
            form.tracks.errors = [_("Write each track as: Japanese name / English name")]
            return None
        tracks.append((values[0], values[1]))
    for values in _lines(form.categories.data):
        if (
            len(values) != 3
            or not values[0]
            or not values[1]
            or not values[2].isdigit()
            or int(values[2]) < 1
        ):
            form.categories.errors = [
                _("Write each category as: Japanese name / English name / weight (1 or more)")
            ]
            return None
        categories.append((values[0], values[1], int(values[2])))
    return tracks, categories


@admin.route("", methods=["GET", "POST"])
@organiser_required
def call_settings():
    edition = current_edition_or_404()
    call = services.call_of(edition)
    form = CallForm()
    sessions = db.session.scalars(
        select(Session)
        .where(Session.edition_id == edition.id, Session.kind == SessionKind.POSTER)
        .order_by(Session.starts_at)
    ).all()
    form.session_id.choices = select_choices(
        [
            (
                session.id,
                f"{localized(session, 'title')} ({local(session.starts_at):%Y-%m-%d %H:%M})",
            )
            for session in sessions
        ],
        blank=_("No poster session yet"),
    )
    if request.method == "GET" and call is not None:
        for name in ("opens_at", "deadline", "review_opens_at", "review_closes_at"):
            getattr(form, name).data = local(getattr(call, name)).replace(tzinfo=None)
        for name in (
            "title_max",
            "abstract_max",
            "max_file_mb",
            "reviews_per_poster",
            "session_id",
        ):
            getattr(form, name).data = getattr(call, name)
        form.languages.data = call.language_codes
        form.tracks.data = "\n".join(f"{t.name_ja} / {t.name_en}" for t in call.tracks)
        form.categories.data = "\n".join(
            f"{c.name_ja} / {c.name_en} / {c.weight}" for c in call.categories
        )
    elif request.method == "GET":
        form.languages.data = ["ja", "en"]
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            lists = _parse_call_lists(form)
            if lists is not None:
                data = services.CallData(
                    **{
                        name: parse_local(getattr(form, name).data.isoformat())
                        for name in ("opens_at", "deadline", "review_opens_at", "review_closes_at")
                    },
                    languages=form.languages.data or [],
                    title_max=form.title_max.data,
                    abstract_max=form.abstract_max.data,
                    max_file_mb=form.max_file_mb.data,
                    reviews_per_poster=form.reviews_per_poster.data,
                    session_id=form.session_id.data,
                    tracks=lists[0],
                    categories=lists[1],
                )
                try:
                    services.save_call(edition, data)
                    flash(_("The call for posters is saved."), "success")
                    return redirect(url_for("posters_admin.call_settings"))
                except PosterError as error:
                    db.session.rollback()
                    _show_error(form, error)
    return render("posters/admin_call.html", **_context(call, form=form, edition=edition)), status


@admin.get("/submissions")
@organiser_required
def submissions():
    call = _call(required=False)
    if call is None:  # the back-office starts with the call
        return redirect(url_for("posters_admin.call_settings"))
    everything = db.session.scalars(
        select(Submission).where(Submission.call_id == call.id).order_by(Submission.id)
    ).all()
    return render(
        "posters/admin_submissions.html",
        **_context(
            call,
            rows=services.ranking(call),
            others=[
                s
                for s in everything
                if s.state in (SubmissionState.DRAFT, SubmissionState.WITHDRAWN)
            ],
            decision_choices=DecisionForm().decision.choices,
        ),
    )


def _rank_row(submission: Submission, error: str | None = None, status: int = 200):
    """The ranking's row of one poster, for htmx to swap after a decision: 200 with the
    decision made, 422 (which htmx swaps the same way) with the refusal beside the field."""
    rows = services.ranking(submission.call)
    found = next(((i, r) for i, r in enumerate(rows, 1) if r.submission.id == submission.id), None)
    if found is None:  # a draft or withdrawn poster has no row: back to the list, with the message
        if error:
            flash(error, "error")
        return redirect(url_for("posters_admin.submissions"))
    position, row = found
    return render_template(
        "posters/_rank_row.html",
        row=row,
        position=position,
        call=submission.call,
        decision_choices=DecisionForm().decision.choices,
        error=error,
    ), status


def _admin_submission(submission_id: int) -> Submission:
    submission = db.session.get(Submission, submission_id) or abort(404)
    return submission


def _submission_page(submission: Submission, *, assign_form=None, decision_form=None, status=200):
    call = submission.call
    assign_form = assign_form or AssignForm()
    assigned = {a.reviewer_id for a in submission.assignments}
    assign_form.reviewer_id.choices = select_choices(
        [
            (user.id, user.name or user.email)
            for user in services.reviewers()
            if user.id not in assigned
        ],
        blank=_("Choose a reviewer"),
    )
    decision_form = decision_form or DecisionForm(
        decision=submission.decision.value if submission.decision else ""
    )
    return render(
        "posters/admin_submission.html",
        **_context(
            call,
            submission=submission,
            assign_form=assign_form,
            decision_form=decision_form,
            conflicts=[
                (user, reason)
                for user in services.reviewers()
                if (reason := services.conflict(user, submission)) is not None
            ],
            weighted_score=services.weighted_score,
        ),
    ), status


@admin.get("/submissions/<int:submission_id>")
@organiser_required
def submission_detail(submission_id: int):
    return _submission_page(_admin_submission(submission_id))


@admin.post("/submissions/<int:submission_id>/assign")
@organiser_required
def assign(submission_id: int):
    submission = _admin_submission(submission_id)
    form = AssignForm()
    reviewer = get_by_id(User, form.reviewer_id.data)
    if reviewer is None:
        form.reviewer_id.errors = [_("Choose a reviewer.")]
        return _submission_page(submission, assign_form=form, status=422)
    try:
        services.assign(submission, reviewer)
    except PosterError as error:
        db.session.rollback()
        form.reviewer_id.errors = [str(error.message)]
        return _submission_page(submission, assign_form=form, status=422)
    flash(_("%(name)s is assigned.", name=reviewer.name or reviewer.email), "success")
    return redirect(url_for("posters_admin.submission_detail", submission_id=submission.id))


@admin.post("/assignments/<int:assignment_id>/delete")
@organiser_required
def unassign(assignment_id: int):
    assignment = db.session.get(ReviewAssignment, assignment_id) or abort(404)
    submission_id = assignment.submission_id
    services.unassign(assignment)
    flash(_("The assignment is removed."), "success")
    return redirect(url_for("posters_admin.submission_detail", submission_id=submission_id))


@admin.post("/submissions/<int:submission_id>/decision")
@organiser_required
def decide(submission_id: int):
    submission = _admin_submission(submission_id)
    form = DecisionForm()
    if not form.validate():
        if wants_fragment(f"rank-{submission.id}"):  # the row, not the whole page, in the row
            return _rank_row(
                submission, " ".join(map(str, form.decision.errors)) or None, form_status(form)
            )
        return _submission_page(submission, decision_form=form, status=422)
    try:
        services.decide(submission, Decision(form.decision.data) if form.decision.data else None)
    except PosterError as error:
        db.session.rollback()
        form.decision.errors = [str(error.message)]
        if wants_fragment(f"rank-{submission.id}"):
            return _rank_row(submission, str(error.message), form_status(form))
        if request.form.get("from") == "list":
            flash(str(error.message), "error")
            return redirect(url_for("posters_admin.submissions"))
        return _submission_page(submission, decision_form=form, status=422)
    if wants_fragment(f"rank-{submission.id}"):
        return _rank_row(submission)
    if request.form.get("from") == "list":
        return redirect(url_for("posters_admin.submissions"))
    flash(
        _("The decision is recorded. Students are told when the decisions are released."), "success"
    )
    return redirect(url_for("posters_admin.submission_detail", submission_id=submission.id))


@admin.post("/submissions/<int:submission_id>/promote")
@organiser_required
def promote(submission_id: int):
    submission = _admin_submission(submission_id)
    try:
        services.promote(submission)
        flash(_("The poster is accepted from the waiting list; the student is emailed."), "success")
    except PosterError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(url_for("posters_admin.submission_detail", submission_id=submission.id))


@admin.post("/assign")
@organiser_required
def auto_assign():
    call = _call()
    report = services.auto_assign(call)
    flash(
        ngettext("%(num)s assignment made.", "%(num)s assignments made.", report.created),
        "success",
    )
    for submission in report.short:
        flash(
            _("Poster %(id)s lacks reviewers without a conflict of interest.", id=submission.id),
            "warning",
        )
    return redirect(url_for("posters_admin.reviewers"))


@admin.route("/reviewers", methods=["GET", "POST"])
@organiser_required
def reviewers():
    call = _call(required=False)
    status = 200
    error_for = None
    if request.method == "POST":
        user = get_by_id(User, request.form.get("user_id", type=int)) or abort(404)
        form = ReviewerUniversityForm()
        form.university_id.choices = []
        raw = request.form.get("university_id", "")
        try:
            if raw == "":  # "Not recorded" kept: saving it must not record "no university"
                raise PosterError(
                    _("Choose the reviewer's university, or “No university”."),
                    field="university_id",
                )
            university_id = None if raw == "none" else int(raw)
            services.set_reviewer_university(user, university_id)
            flash(_("Saved."), "success")
            return redirect(url_for("posters_admin.reviewers"))
        except (PosterError, ValueError) as error:
            db.session.rollback()
            error_for = (
                user.id,
                str(getattr(error, "message", _("Choose a university from the list."))),
            )
            status = 422
    people = services.reviewers()
    profiles, loads = services.reviewer_loads(call, people)
    return render(
        "posters/admin_reviewers.html",
        **_context(
            call,
            people=people,
            profiles=profiles,
            loads=loads,
            universities=services.universities(),
            error_for=error_for,
        ),
    ), status


@admin.post("/release")
@organiser_required
def release():
    call = _call()
    try:
        count = services.release_decisions(call)
        flash(
            ngettext(
                "The decisions are released: %(num)s student is emailed.",
                "The decisions are released: %(num)s students are emailed.",
                count,
            ),
            "success",
        )
    except PosterError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(url_for("posters_admin.submissions"))


@admin.post("/boards")
@organiser_required
def boards():
    call = _call()
    try:
        count = services.assign_boards(call)
        flash(
            ngettext(
                "%(num)s poster got a board number.", "%(num)s posters got a board number.", count
            ),
            "success",
        )
    except PosterError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(url_for("posters_admin.session"))


@admin.post("/voting")
@organiser_required
def voting():
    call = _call()
    try:
        services.set_voting(call, request.form.get("open") == "1")
        flash(_("Voting is open.") if call.voting_open else _("Voting is closed."), "success")
    except PosterError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(url_for("posters_admin.session"))


@admin.get("/accepted.csv")
@organiser_required
def export_accepted():
    call = _call()
    response = make_response(services.export_csv(call))
    response.mimetype = "text/csv"
    response.charset = "utf-8"
    stamp = local(services.utcnow()).strftime("%Y%m%d-%H%M")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="posters-{call.edition.slug}-{stamp}.csv"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@admin.get("/session")
@organiser_required
def session():
    call = _call(required=False)
    if call is None:
        return redirect(url_for("posters_admin.call_settings"))
    checkin_list, rows = services.presenters(call)
    return render(
        "posters/admin_session.html",
        **_context(
            call,
            checkin_list=checkin_list,
            rows=rows,
            votes=services.vote_counts(call),
            registration_labels=REGISTRATION_LABELS,
        ),
    )
