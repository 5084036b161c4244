"""Business matching pages: directory, profile, requests, agenda; the back-office board."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from convention.accounts.access import login_required, organiser_required, roles_required
from convention.accounts.models import Role
from convention.events.models import Session, SessionKind
from convention.extensions import db
from convention.forms import attach_error, select_choices
from convention.htmx import redirect, render, wants_fragment
from convention.matching import services
from convention.matching.forms import (
    CoordinateForm,
    FollowUpForm,
    GridForm,
    MoveForm,
    ProfileForm,
    RequestForm,
    ScheduleForm,
)
from convention.matching.models import (
    FollowUp,
    FollowUpOutcome,
    MatchProfile,
    Meeting,
    MeetingRequest,
    MeetingStatus,
    RequestState,
)
from convention.registration.models import Registration, RegistrationStatus
from convention.registration.services import registration_for
from convention.web import current_edition_or_404 as _edition
from convention.web import form_status, of_edition_or_404, safe_referrer

bp = Blueprint("matching", __name__, url_prefix="/matching")


def _my_profile(edition):
    return services.profile_for(current_user, edition)


def _profile_or_404(profile_id: int, edition) -> MatchProfile:
    return of_edition_or_404(MatchProfile, profile_id, edition)


# --- directory ---------------------------------------------------------------------------------


@bp.get("")
@login_required
def directory():
    edition = _edition()
    filters = services.DirectoryFilters.from_args(request.args)
    me = _my_profile(edition)
    return render(
        "matching/directory.html",
        "matching/_results.html",
        targets=("directory-results",),
        edition=edition,
        filters=filters,
        profiles=services.search_profiles(edition, filters),
        countries=services.directory_countries(edition),
        me=me,
        may_join=me is not None or services.active_registration(current_user, edition) is not None,
        recommended=services.recommendations(me, _language(), limit=5) if me else [],
    )


def _language() -> str:
    return current_user.language if current_user.language in ("ja", "en") else "ja"


@bp.get("/p/<int:profile_id>")
@login_required
def profile_detail(profile_id: int):
    edition = _edition()
    profile = _profile_or_404(profile_id, edition)
    me = _my_profile(edition)
    if not services.listed(profile) and (me is None or me.id != profile.id) and not _organiser():
        abort(404)
    return render("matching/profile_detail.html", **_request_context(me, profile, RequestForm()))


def _request_context(me, profile: MatchProfile, form: RequestForm) -> dict:
    """What the request box of a profile page shows: my open request with them, why I cannot
    send one (no confirmed registration, the cap reached), or the form."""
    return {
        "profile": profile,
        "me": me,
        "form": form,
        "existing": services.open_request_between(me, profile) if me else None,
        "refusal": services.sender_refusal(me) if me else None,
    }


def _organiser() -> bool:
    return current_user.is_authenticated and current_user.has_role(Role.ORGANISER)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def edit_profile():
    edition = _edition()
    registration = services.active_registration(current_user, edition)
    if registration is None:
        # Somewhere to go: their registration (pending, say) if they have one, else the form.
        pending = registration_for(current_user, edition)
        return render("matching/no_registration.html", edition=edition, pending=pending), 403
    profile = services.profile_for(current_user, edition)
    form = ProfileForm(obj=profile)
    if profile is None and request.method == "GET":
        form.organisation.data = registration.organization
        form.country.data = registration.country
        form.languages.data = [current_user.language]
    elif profile is not None and request.method == "GET":
        form.sectors.data = profile.sectors
        form.need_codes.data = profile.need_codes
        form.offer_codes.data = profile.offer_codes
        form.languages.data = profile.languages
        form.unavailable.data = [row.slot_id for row in profile.unavailable]
    slots = _edition_slots(edition)
    form.unavailable.choices = select_choices(
        (slot.id, services.slot_label(slot)) for slot in slots
    )
    if form.validate_on_submit():
        try:
            profile = services.save_profile(registration, form.data)
        except services.MatchingError as error:
            attach_error(form, error)
        else:
            flash(_("Your matching profile is saved."), "success")
            return redirect(url_for("matching.directory"))
    return render("matching/profile_form.html", form=form, profile=profile, edition=edition), (
        form_status(form)
    )


def _edition_slots(edition):
    slots = []
    for session in services.matching_sessions(edition):
        slots.extend(services.slots_of(session))
    return slots


# --- requests ----------------------------------------------------------------------------------


@bp.post("/p/<int:profile_id>/request")
@login_required
def send_request(profile_id: int):
    edition = _edition()
    recipient = _profile_or_404(profile_id, edition)
    me = _my_profile(edition)
    form = RequestForm()
    if me is None:
        form.form_errors.append(_("Create your matching profile before requesting meetings."))
    elif form.validate_on_submit():
        try:
            services.send_request(me, recipient, form.message.data, form.priority.data)
        except services.MatchingError as error:
            form.form_errors.append(error.message)
        else:
            flash(_("Your request was sent to %(name)s.", name=recipient.display_name), "success")
            return redirect(url_for("matching.requests"))
    # 422 for htmx and plain posts alike: app.js has htmx swap it into #request-form.
    return render(
        "matching/profile_detail.html",
        "matching/_request_form.html",
        targets=("request-form",),
        **_request_context(me, recipient, form),
    ), 422


@bp.get("/requests")
@login_required
def requests():
    edition = _edition()
    me = _my_profile(edition)
    if me is None:
        return redirect(url_for("matching.edit_profile"))
    received, sent = services.requests_of(me)
    return render(
        "matching/requests.html",
        me=me,
        received=received,
        sent=sent,
        cap=services.request_cap(),
        open_count=services.sent_open_count(me),
    )


def _request_or_404(request_id: int) -> MeetingRequest:
    return of_edition_or_404(MeetingRequest, request_id, _edition())


def _meeting_or_404(meeting_id: int) -> Meeting:
    """A meeting of the current edition: a past year's meetings (and their KPIs) stay as
    they are."""
    return of_edition_or_404(Meeting, meeting_id, _edition())


@bp.post("/requests/<int:request_id>/<any(accept,decline,cancel):action>")
@login_required
def answer_request(request_id: int, action: str):
    meeting_request = _request_or_404(request_id)
    me = services.profile_for(current_user, meeting_request.edition)
    if me is None or me.id not in (meeting_request.requester_id, meeting_request.recipient_id):
        abort(404)
    error = None
    try:
        if action == "cancel":
            services.cancel_request(meeting_request, me)
        else:
            services.respond(meeting_request, me, accept=action == "accept")
    except services.MatchingError as problem:
        db.session.rollback()
        error = problem.message
    if wants_fragment(f"request-{request_id}"):
        # A refusal is a 422 that app.js has htmx swap into the row, like the other routes.
        return render("matching/_request_row.html", req=meeting_request, me=me, error=error), (
            200 if error is None else 422
        )
    flash(error or _("Done."), "error" if error else "success")
    return redirect(url_for("matching.requests"))


# --- agenda ------------------------------------------------------------------------------------


@bp.get("/agenda")
@login_required
def agenda():
    edition = _edition()
    me = _my_profile(edition)
    if me is None:
        return redirect(url_for("matching.edit_profile"))
    return render("matching/agenda.html", **_agenda_context(me))


def _agenda_context(me: MatchProfile, refused: tuple[int, FollowUpForm] | None = None) -> dict:
    """The agenda page; `refused` is (meeting id, posted form) of a follow-up sent back."""
    return {
        "me": me,
        "meetings": services.agenda(me),
        "feed_url": url_for("matching.feed", token=me.registration.calendar_token, _external=True),
        "follow_ups": {
            row.meeting_id: row
            for row in db.session.scalars(select(FollowUp).where(FollowUp.profile_id == me.id))
        },
        "follow_up_form": FollowUpForm(formdata=None),
        "refused": refused,
    }


def _ics(body: bytes, filename: str | None) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/agenda.ics")
@login_required
def agenda_ics():
    me = _my_profile(_edition()) or abort(404)
    return _ics(services.agenda_ics(me), "meetings.ics")


@bp.get("/feed/<token>.ics")
def feed(token: str):
    """A private feed of my meetings; the registration's calendar token is the key."""
    registration = db.session.scalar(
        select(Registration).where(Registration.calendar_token == token[:64])
    )
    if registration is None or registration.status != RegistrationStatus.CONFIRMED:
        abort(404)
    profile = db.session.scalar(
        select(MatchProfile).where(MatchProfile.registration_id == registration.id)
    )
    if profile is None:
        abort(404)
    return _ics(services.agenda_ics(profile), None)


@bp.post("/meetings/<int:meeting_id>/follow-up")
@login_required
def follow_up(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    me = services.profile_for(current_user, meeting.edition)
    if me is None or me.id not in {seat.profile_id for seat in meeting.seats}:
        abort(404)
    form = FollowUpForm()
    target = f"follow-up-{meeting_id}"
    if form.validate_on_submit():
        try:
            services.record_follow_up(
                meeting, me, FollowUpOutcome(form.outcome.data), form.note.data, by=current_user
            )
        except services.MatchingError as problem:
            form.form_errors.append(problem.message)
        else:
            if not wants_fragment(target):
                flash(_("Thank you: your follow-up is recorded."), "success")
                return redirect(url_for("matching.agenda"))
    if not wants_fragment(target):  # without JavaScript: the agenda, the messages in place
        return render("matching/agenda.html", **_agenda_context(me, (meeting.id, form))), 422
    row = db.session.scalar(
        select(FollowUp).where(FollowUp.meeting_id == meeting.id, FollowUp.profile_id == me.id)
    )
    return render("matching/_follow_up.html", meeting=meeting, follow_up=row, form=form), (
        422 if form.errors else 200
    )


# --- door staff: held / no-show ----------------------------------------------------------------


@bp.get("/door")
@roles_required(Role.DOOR_STAFF)
def door():
    """One slot's tables at a time, the one in progress first (or every slot, slot=all): at
    the tables nobody scrolls past the morning to find the meeting in front of them."""
    slots = services.door_slots(_edition())
    current = services.slot_at(slots)
    wanted = request.args.get("slot", "")
    if wanted == "all":
        shown = slots
    else:
        # An unknown slot (a stale link, a re-published schedule) shows the current one.
        chosen = next((entry for entry in slots if entry.key == wanted), current)
        shown = [chosen] if chosen else []
    return render(
        "matching/door.html",
        slots=slots,
        shown=shown,
        current=current,
        showing_all=wanted == "all",
        shown_day=shown[0].day if shown else None,
    )


@bp.post("/door/from-checkins")
@roles_required(Role.DOOR_STAFF)
def door_from_checkins():
    counts = services.mark_from_checkins(_edition())
    flash(
        _(
            "From the check-ins at the tables: %(held)s held, %(no_show)s no-show.",
            held=counts["held"],
            no_show=counts["no_show"],
        ),
        "success",
    )
    return redirect(safe_referrer(url_for("matching.door")))


@bp.post("/meetings/<int:meeting_id>/mark/<any(held,no_show,scheduled):status>")
@roles_required(Role.DOOR_STAFF)
def mark(meeting_id: int, status: str):
    meeting = _meeting_or_404(meeting_id)
    error = None
    try:
        services.mark(meeting, MeetingStatus(status), current_user)
    except services.MatchingError as problem:
        error = problem.message
    if wants_fragment(f"meeting-{meeting_id}"):
        slot_count = services.door_slot_of(meeting) if error is None else None
        return render(
            "matching/_door_row.html", meeting=meeting, error=error, slot_count=slot_count
        ), (200 if error is None else 422)
    done = _("Mark cleared.") if status == MeetingStatus.SCHEDULED else _("Meeting marked.")
    flash(error or done, "error" if error else "success")
    return redirect(safe_referrer(url_for("matching.door")))


# --- organisers --------------------------------------------------------------------------------


@bp.get("/admin")
@organiser_required
def admin():
    edition = _edition()
    sessions = services.matching_sessions(edition)
    counts = dict(
        db.session.execute(
            select(MeetingRequest.state, func.count(MeetingRequest.id))
            .where(MeetingRequest.edition_id == edition.id)
            .group_by(MeetingRequest.state)
        ).all()
    )
    return render(
        "matching/admin.html",
        edition=edition,
        sessions=sessions,
        meeting_counts=services.meetings_scheduled_vs_held([edition.id]),
        deals=services.kpi_deals([edition.id]),
        profiles=db.session.scalar(
            select(func.count(MatchProfile.id)).where(MatchProfile.edition_id == edition.id)
        ),
        unplaced=services.unplaced_meetings(edition),
        unanswered=counts.get(RequestState.REQUESTED, 0),
    )


@bp.post("/admin/expire")
@organiser_required
def admin_expire():
    count = services.expire_requests(_edition())
    flash(_("%(count)s unanswered requests expired.", count=count), "success")
    return redirect(url_for("matching.admin"))


@bp.route("/admin/coordinate", methods=["GET", "POST"])
@organiser_required
def admin_coordinate():
    edition = _edition()
    profiles = services.coordination_choices(edition)
    form = CoordinateForm()
    choices = select_choices((p.id, f"{p.display_name} ({p.user.name})") for p in profiles)
    form.requester.choices = choices
    form.recipient.choices = choices
    if form.validate_on_submit():
        a = _profile_or_404(form.requester.data, edition)
        b = _profile_or_404(form.recipient.data, edition)
        try:
            services.coordinate(current_user, a, b, form.message.data, form.priority.data)
        except services.MatchingError as error:
            getattr(form, error.field or "recipient").errors = [error.message]
        else:
            flash(
                _("Meeting arranged between %(a)s and %(b)s.", a=a.display_name, b=b.display_name),
                "success",
            )
            return redirect(url_for("matching.admin"))
    return render("matching/admin_coordinate.html", form=form), form_status(form)


def _matching_session_or_404(session_id: int) -> Session:
    session = of_edition_or_404(Session, session_id, _edition())
    if session.kind != SessionKind.MATCHING:
        abort(404)
    return session


def _board_context(session: Session, **extra) -> dict:
    slots = services.slots_of(session)
    tables = services.tables_of(session)
    grid_form = extra.pop("grid_form", None) or GridForm(
        tables=len(tables) or 10,
        interpreter_tables=sum(t.interpreter for t in tables),
    )
    move_form = MoveForm()
    move_form.slot.choices = select_choices((s.id, services.slot_label(s)) for s in slots)
    move_form.table.choices = select_choices((t.id, str(t.number)) for t in tables)
    board = services.board(session)
    return {
        "session": session,
        "slots": slots,
        "tables": tables,
        # Without interpreter tables nobody is seated at the wrong one: no warning on the board.
        "has_interpreters": any(t.interpreter for t in tables),
        "board": board,
        "table_rows": {t.id: services.table_rows(slots, t, board) for t in tables},
        "unplaced": services.unplaced_meetings(session.edition, session),
        "grid_form": grid_form,
        "schedule_form": extra.pop("schedule_form", None) or ScheduleForm(),
        "move_form": move_form,
        "job": extra.pop("job", None),
        **extra,
    }


@bp.get("/admin/sessions/<int:session_id>")
@organiser_required
def admin_session(session_id: int):
    session = _matching_session_or_404(session_id)
    job = None
    job_id = request.args.get("job", type=int)
    if job_id:
        from convention.jobs.models import BackgroundJob

        job = db.session.get(BackgroundJob, job_id)
        if job is not None and job.kind != "matching-scheduler":
            job = None  # this page shows scheduler runs only
    return render(
        "matching/admin_session.html",
        "matching/_board.html",
        targets=("board",),
        **_board_context(session, job=job),
    )


@bp.post("/admin/sessions/<int:session_id>/grid")
@organiser_required
def admin_grid(session_id: int):
    session = _matching_session_or_404(session_id)
    form = GridForm()
    if form.validate_on_submit():
        try:
            services.setup_grid(
                session,
                slot_minutes=form.slot_minutes.data,
                gap_minutes=form.gap_minutes.data,
                tables=form.tables.data,
                interpreter_tables=form.interpreter_tables.data,
            )
        except services.MatchingError as error:
            db.session.rollback()
            target = getattr(form, error.field, None) if error.field else None
            if target is not None:
                target.errors = [error.message]
            else:
                form.form_errors.append(error.message)
        else:
            flash(_("The grid is ready."), "success")
            return redirect(url_for("matching.admin_session", session_id=session.id))
    return render("matching/admin_session.html", **_board_context(session, grid_form=form)), 422


@bp.post("/admin/sessions/<int:session_id>/schedule")
@organiser_required
def admin_schedule(session_id: int):
    session = _matching_session_or_404(session_id)
    form = ScheduleForm()
    if not form.validate_on_submit():
        return render(
            "matching/admin_session.html", **_board_context(session, schedule_form=form)
        ), 422
    if not services.slots_of(session) or not services.tables_of(session):
        form.form_errors.append(_("Set up the slots and tables of this session first."))
        return render(
            "matching/admin_session.html", **_board_context(session, schedule_form=form)
        ), 422
    job = services.start_scheduling(session, current_user, form.time_limit.data)
    return redirect(url_for("matching.admin_session", session_id=session.id, job=job.id))


@bp.post("/admin/sessions/<int:session_id>/publish")
@organiser_required
def admin_publish(session_id: int):
    session = _matching_session_or_404(session_id)
    count = services.publish(session)
    flash(_("%(count)s meetings published; participants are emailed.", count=count), "success")
    return redirect(url_for("matching.admin_session", session_id=session.id))


@bp.post("/admin/sessions/<int:session_id>/unschedule")
@organiser_required
def admin_unschedule(session_id: int):
    session = _matching_session_or_404(session_id)
    count = services.unschedule_drafts(session)
    flash(_("%(count)s draft meetings taken off the grid.", count=count), "success")
    return redirect(url_for("matching.admin_session", session_id=session.id))


@bp.post("/admin/sessions/<int:session_id>/move")
@organiser_required
def admin_move(session_id: int):
    """Move a meeting to a slot and table of this session, refused on any conflict."""
    session = _matching_session_or_404(session_id)
    meeting = of_edition_or_404(Meeting, request.form.get("meeting", type=int), session.edition)
    error = None
    try:
        services.move_meeting(
            meeting.id,
            request.form.get("slot", type=int) or 0,
            request.form.get("table", type=int) or 0,
        )
    except services.MatchingError as problem:
        db.session.rollback()
        error = problem.message
    if wants_fragment("board"):
        return render("matching/_board.html", **_board_context(session, move_error=error)), (
            200 if error is None else 422
        )
    flash(error or _("Meeting moved."), "error" if error else "success")
    return redirect(url_for("matching.admin_session", session_id=session.id))


@bp.post("/admin/meetings/<int:meeting_id>/cancel")
@organiser_required
def admin_cancel(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    session_id = meeting.session_id
    try:
        services.cancel_meeting(meeting)
        flash(_("Meeting cancelled."), "success")
    except services.MatchingError as error:
        flash(error.message, "error")
    if session_id:
        return redirect(url_for("matching.admin_session", session_id=session_id))
    return redirect(url_for("matching.admin"))


@bp.get("/admin/meetings")
@organiser_required
def admin_meetings():
    return _admin_meetings_page(_edition())


def _admin_meetings_page(edition, refused: tuple[int, int, FollowUpForm] | None = None) -> str:
    """Every meeting of the edition with its follow-ups; `refused` is (meeting id, profile id,
    posted form) of a follow-up sent back, shown with its messages beside the fields."""
    meetings = list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.edition_id == edition.id)
            .outerjoin(Meeting.slot)
            .order_by(*services.board_order())
        )
    )
    return render("matching/admin_meetings.html", meetings=meetings, refused=refused)


@bp.post("/admin/meetings/<int:meeting_id>/follow-up/<int:profile_id>")
@organiser_required
def admin_follow_up(meeting_id: int, profile_id: int):
    meeting = _meeting_or_404(meeting_id)
    profile = _profile_or_404(profile_id, meeting.edition)
    if profile.id not in {seat.profile_id for seat in meeting.seats}:
        abort(404)  # not a seat of this meeting: the page has no form of theirs to show
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            services.record_follow_up(
                meeting,
                profile,
                FollowUpOutcome(form.outcome.data),
                form.note.data,
                by=current_user,
            )
        except services.MatchingError as error:
            db.session.rollback()
            # A refusal about the meeting itself is shown beside the outcome.
            attach_error(form, error, field=error.field or "outcome")
        else:
            flash(_("Follow-up recorded."), "success")
            return redirect(url_for("matching.admin_meetings"))
    refused = (meeting.id, profile.id, form)
    return _admin_meetings_page(meeting.edition, refused), form_status(form)
