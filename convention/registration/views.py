"""Registering, my registration, seminar sign-up, and the organisers' registrant views."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from wtforms import SelectChoice

from convention import pdf
from convention.accounts import services as accounts
from convention.accounts.access import login_required, organiser_required
from convention.accounts.forms import CATEGORY_LABELS
from convention.accounts.models import ParticipantCategory
from convention.countries import country_name
from convention.events.models import Session
from convention.events.services import current_edition
from convention.extensions import db, limiter
from convention.forms import attach_error, distinct_ids, select_choices
from convention.htmx import is_htmx, redirect, render
from convention.i18n import localized
from convention.registration import services
from convention.registration.forms import (
    AnswersForm,
    InvitationForm,
    MessageForm,
    RegistrationForm,
    SessionCapacityForm,
    TicketTypeForm,
    VisitorRegistrationForm,
)
from convention.registration.models import (
    Registration,
    RegistrationStatus,
    SessionSignup,
    SignupStatus,
    TicketType,
    University,
)
from convention.registration.services import RegistrationError
from convention.timeutil import local, parse_local
from convention.web import current_edition_or_404 as _edition
from convention.web import form_status, of_edition_or_404

bp = Blueprint("registration", __name__)
admin = Blueprint("registration_admin", __name__, url_prefix="/admin")


def _attach(form, error) -> None:
    attach_error(form, error, aliases={"university_id": "university"})


def _university_choices() -> list[SelectChoice]:
    universities = db.session.scalars(
        select(University).order_by(University.in_city.desc(), University.name_en)
    ).all()
    choices = []
    for university in universities:
        label = localized(university, "name")
        if university.in_city:
            label = _("%(name)s (in the city)", name=label)
        choices.append((str(university.id), label))
    choices.append(("other", _("Other (type its name)")))
    return select_choices(choices, blank=_("— Choose your university —"))


def _ticket_label(ticket_type: TicketType) -> str:
    price = _("¥%(price)s", price=f"{ticket_type.price:,}") if ticket_type.price else _("Free")
    return f"{localized(ticket_type, 'name')} — {price}"


def _registration_form(edition, code: str | None):
    form_class = RegistrationForm if current_user.is_authenticated else VisitorRegistrationForm
    form = form_class()
    types = services.ticket_types_on_offer(edition, code)
    form.ticket_type.choices = select_choices((str(t.id), _ticket_label(t)) for t in types)
    form.university.choices = _university_choices()
    if not form.is_submitted() and hasattr(form, "language"):
        form.language.data = str(get_locale() or "ja")  # the language the visitor reads
    if not form.is_submitted() and current_user.is_authenticated:
        form.organization.data = form.organization.data or current_user.organization
        form.country.data = current_user.country or "JP"
    return form, types


def _chosen_ticket_type(form, types) -> TicketType | None:
    """The ticket type picked among those on offer; None for any other value."""
    value = (form.ticket_type.data or "").strip()
    return next((t for t in types if str(t.id) == value), None)


def _register_page(form, edition, types, code, status=200):
    availability = services.ticket_availability(types)
    student_ids = [t.id for t in types if t.category == ParticipantCategory.STUDENT]
    return (
        render_template(
            "registration/register.html",
            form=form,
            edition=edition,
            types=types,
            availability=availability,
            code=code or "",
            student_ids=student_ids,
            sales_over=services.sales_over(types),
            hidden_shown=any(t.is_hidden for t in types),
        ),
        status,
    )


def _rate_limit() -> str:
    # Looser than log-in: colleagues behind one company address register in a burst.
    return current_app.config["REGISTER_RATE_LIMIT"]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_rate_limit, methods=["POST"])
def register():
    edition = _edition()
    existing = services.registration_for(current_user, edition)
    if existing is not None and existing.status not in (RegistrationStatus.CANCELLED,):
        flash(_("You are already registered for this convention."), "info")
        return redirect(url_for("registration.my_registration"))
    code = (request.form.get("access_code") or request.args.get("code") or "").strip()[:40]
    form, types = _registration_form(edition, code)
    if not form.validate_on_submit():
        return _register_page(form, edition, types, code, form_status(form))
    ticket_type = _chosen_ticket_type(form, types)
    answers = form.answers()
    try:
        ticket_type = services.check_ticket_type(ticket_type, edition, code)
        services.clean_answers(answers, ticket_type.category)
        if current_user.is_authenticated:
            registration = services.register(
                current_user, ticket_type, answers, access_code=code, edition=edition
            )
            flash(_("Thank you: you are registered."), "success")
            return redirect(url_for("registration.my_registration"))
        user = accounts.sign_up(
            accounts.SignUp(
                email=form.email.data,
                password=form.password.data,
                name=form.name.data,
                organization=answers["organization"] or "",
                country=answers["country"],
                category=ticket_type.category,
                language=form.language.data,
            )
        )
    except (RegistrationError, accounts.AccountError) as error:
        _attach(form, error)
        return _register_page(form, edition, types, code, 422)
    registration = None
    if user is not None:
        try:
            registration = services.register(
                user, ticket_type, answers, access_code=code, edition=edition
            )
        except RegistrationError as error:
            # The account exists now; the person logs in after verifying and tries again.
            form.form_errors.append(str(error))
            return _register_page(form, edition, types, code, 422)
    # The same answer whether or not the address already had an account (no account probing).
    return render_template(
        "registration/check_email.html", email=form.email.data, registration=registration
    )


@bp.post("/register/validate")
def validate_registration():
    """Inline validation: the form with its errors; htmx keeps only the field that changed."""
    edition = _edition()
    code = (request.form.get("access_code") or "").strip()[:40]
    form, types = _registration_form(edition, code)
    form.validate()
    ticket_type = _chosen_ticket_type(form, types)
    if ticket_type is not None:
        try:
            services.clean_answers(form.answers(), ticket_type.category)
        except RegistrationError as error:
            _attach(form, error)
    form.form_errors.clear()
    return render_template(
        "registration/_form.html",
        form=form,
        types=types,
        code=code,
        student_ids=[t.id for t in types if t.category == ParticipantCategory.STUDENT],
    )


@bp.get("/register/availability")
def availability():
    edition = _edition()
    code = (request.args.get("code") or "").strip()[:40]
    types = services.ticket_types_on_offer(edition, code)
    over = services.sales_over(types)
    body = render_template(
        "registration/_availability.html",
        types=types,
        availability=services.ticket_availability(types),
        code=code,
        sales_over=over,
    )
    # 286 tells htmx to stop polling: once sales are over, the numbers no longer move.
    return body, 286 if over and is_htmx() else 200


# My registration ---------------------------------------------------------------------------


def _my_registration(required: bool = True) -> Registration | None:
    registration = services.registration_for(current_user, current_edition())
    if registration is None and required:
        abort(404)
    return registration


@bp.get("/my/registration")
@login_required
def my_registration():
    edition = current_edition()
    registration = _my_registration(required=False)
    if registration is None:
        return render_template(
            "registration/my_registration.html", registration=None, edition=edition
        )
    signups = sorted(
        (s for s in registration.signups if s.status != SignupStatus.CANCELLED),
        key=lambda s: s.session.starts_at,
    )
    badge = (
        Markup(services.badge_svg(registration))
        if registration.status == RegistrationStatus.CONFIRMED
        else None
    )
    return render_template(
        "registration/my_registration.html",
        registration=registration,
        edition=edition,
        signups=signups,
        badge=badge,
        feed_url=services.calendar_feed_url(registration),
        status_labels=services.STATUS_LABELS,
        signup_labels=services.SIGNUP_LABELS,
        waitlist_position=_waitlist_position(registration),
        order=services.payment_order(registration),
        country_name=country_name,
    )


def _waitlist_position(registration: Registration) -> int | None:
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ids = [r.id for r in services.waitlist(registration.ticket_type)]
    return ids.index(registration.id) + 1 if registration.id in ids else None


@bp.route("/my/registration/edit", methods=["GET", "POST"])
@login_required
def edit_answers():
    registration = _my_registration()
    form = AnswersForm(obj=registration)
    form.university.choices = _university_choices()
    if not form.is_submitted():
        form.university.data = (
            str(registration.university_id)
            if registration.university_id
            else ("other" if registration.university_other else "")
        )
    if form.validate_on_submit():
        try:
            services.update_answers(registration, form.answers())
        except RegistrationError as error:
            db.session.rollback()
            _attach(form, error)
        else:
            flash(_("Your answers are saved."), "success")
            return redirect(url_for("registration.my_registration"))
    status = form_status(form)
    return (
        render_template(
            "registration/edit_answers.html",
            form=form,
            registration=registration,
            is_student=registration.category == ParticipantCategory.STUDENT,
        ),
        status,
    )


@bp.route("/my/registration/cancel", methods=["GET", "POST"])
@login_required
def cancel_registration():
    registration = _my_registration()
    if request.method == "POST":
        try:
            services.cancel(registration)
        except RegistrationError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(_("Your registration is cancelled. Your badge is no longer valid."), "success")
        return redirect(url_for("registration.my_registration"))
    return render_template("registration/cancel.html", registration=registration)


@bp.get("/my/registration/data.json")
@login_required
def download_my_data():
    response = make_response(services.export_my_data_json(current_user))
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = 'attachment; filename="my-convention-data.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/my/account/deletion", methods=["GET", "POST"])
@login_required
def request_deletion():
    if request.method == "POST":
        services.request_account_deletion(current_user)
        flash(
            _("We have received your request. The organisers will delete your data and confirm."),
            "success",
        )
        return redirect(url_for("registration.my_registration"))
    return render_template("registration/request_deletion.html")


@bp.get("/my/registration/badge.png")
@login_required
def badge_png():
    registration = _my_registration()
    if registration.status != RegistrationStatus.CONFIRMED:
        abort(404)
    response = make_response(services.badge_png(registration))
    response.mimetype = "image/png"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/my/registration/badge.pdf")
@login_required
def badge_pdf():
    registration = _my_registration()
    if registration.status != RegistrationStatus.CONFIRMED:
        abort(404)
    return pdf.response(services.badge_pdf(registration), "badge.pdf")


@bp.get("/my/registration/calendar.ics")
@login_required
def my_calendar():
    registration = _my_registration()
    return _ics(services.calendar_ics(registration), "convention.ics")


@bp.post("/my/registration/email-agenda")
@login_required
def email_agenda():
    registration = _my_registration()
    services.resend_calendar(registration)
    flash(_("We have emailed you your agenda."), "success")
    return redirect(url_for("registration.my_registration"))


@bp.get("/calendar/<token>.ics")
def calendar_feed(token: str):
    """A private feed calendar apps subscribe to: the unguessable token is the key."""
    registration = db.session.scalars(
        select(Registration).where(Registration.calendar_token == token[:64])
    ).one_or_none()
    if registration is None or registration.status in (
        RegistrationStatus.CANCELLED,
        RegistrationStatus.REJECTED,
    ):
        abort(404)
    return _ics(services.calendar_ics(registration), None)


def _ics(data: bytes, filename: str | None) -> Response:
    response = make_response(data)
    response.mimetype = "text/calendar"
    response.charset = "utf-8"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


# Seminar sign-up ---------------------------------------------------------------------------


def _card_context(session: Session, registration: Registration | None, error: str | None = None):
    signup = None
    if registration is not None:
        signup = db.session.scalars(
            select(SessionSignup).where(
                SessionSignup.registration_id == registration.id,
                SessionSignup.session_id == session.id,
            )
        ).one_or_none()
    return {
        "session": session,
        "registration": registration,
        "signup": signup,
        "counts": services.session_availability([session])[session.id],
        "error": error,
        "signup_labels": services.SIGNUP_LABELS,
        "invitation_form": InvitationForm(formdata=None),
    }


@bp.get("/seminars")
def seminars():
    edition = _edition()
    return _seminars_page(edition, services.registration_for(current_user, edition))


def _seminars_page(edition, registration: Registration | None, refused=None, error=None):
    """The seminar list; with `refused`, that seminar's card carries `error` (422), or the
    page does when the seminar is not on the list (no one signs up for it)."""
    sessions = services.sessions_open_for_signup(edition)
    counts = services.session_availability(sessions)
    mine = {}
    if registration is not None:
        mine = {s.session_id: s for s in registration.signups}
    page = render_template(
        "registration/seminars.html",
        edition=edition,
        registration=registration,
        sessions=sessions,
        counts=counts,
        mine=mine,
        card_errors={refused.id: error} if refused in sessions else {},
        page_error=error if refused is not None and refused not in sessions else None,
        signup_labels=services.SIGNUP_LABELS,
        invitation_form=InvitationForm(formdata=None),
        may_choose=registration is not None and registration.status in services.MAY_CHOOSE_SESSIONS,
    )
    return page, 422 if refused is not None else 200


def _session_or_404(session_id: int, edition) -> Session:
    return of_edition_or_404(Session, session_id, edition)


def _card_response(session, registration, error=None, message=None):
    """htmx: the seminar's card, 422 with the refusal in it (swapped like a 200). Without
    JavaScript: the list, with the refusal in the card (422), or back to it with the message."""
    if is_htmx():
        return make_response(
            render_template(
                "registration/_session_card.html", **_card_context(session, registration, error)
            ),
            422 if error else 200,
        )
    if error:  # the list again, the refusal in the seminar's card
        return _seminars_page(session.edition, registration, refused=session, error=error)
    flash(message, "success")
    return redirect(url_for("registration.seminars") + f"#session-{session.id}")


@bp.post("/seminars/<int:session_id>/sign-up")
@login_required
def sign_up_for_session(session_id: int):
    edition = _edition()
    session = _session_or_404(session_id, edition)
    registration = services.registration_for(current_user, edition)
    if registration is None:
        return _card_response(session, None, error=_("Register for the convention first."))
    form = InvitationForm()
    code = (form.invitation_code.data or "").strip()[:40] or None
    try:
        signup = services.sign_up_for_session(registration, session, invitation_code=code)
    except RegistrationError as error:
        db.session.rollback()
        return _card_response(session, registration, error=str(error))
    return _card_response(session, registration, message=str(services.SIGNUP_LABELS[signup.status]))


@bp.post("/seminars/<int:session_id>/cancel")
@login_required
def cancel_session_signup(session_id: int):
    edition = _edition()
    session = _session_or_404(session_id, edition)
    registration = services.registration_for(current_user, edition)
    signup = None
    if registration is not None:
        signup = db.session.scalars(
            select(SessionSignup).where(
                SessionSignup.registration_id == registration.id,
                SessionSignup.session_id == session.id,
            )
        ).one_or_none()
    if signup is None:
        abort(404)
    try:
        services.cancel_signup(signup)
    except RegistrationError as error:
        db.session.rollback()
        return _card_response(session, registration, error=str(error))
    return _card_response(session, registration, message=_("Your place is cancelled."))


# Organisers ---------------------------------------------------------------------------------


def _filter_options(edition):
    return {
        "ticket_types": db.session.scalars(
            select(TicketType)
            .where(TicketType.edition_id == edition.id)
            .order_by(TicketType.position, TicketType.id)
        ).all(),
        "universities": db.session.scalars(
            select(University).order_by(University.in_city.desc(), University.name_en)
        ).all(),
        "categories": CATEGORY_LABELS,
        "statuses": services.STATUS_LABELS,
        "sorts": {
            "newest": _("Newest first"),
            "oldest": _("Oldest first"),
            "name": _("Name"),
            "organization": _("Organisation"),
            "status": _("Status"),
            "country": _("Country"),
        },
    }


@admin.get("/registrations")
@organiser_required
def registrations():
    edition = _edition()
    filters = services.Filters.from_args(request.args)
    rows, total = services.registrations_page(edition, filters)
    pages = max(1, -(-total // services.PAGE_SIZE))
    return render(
        "registration/admin/registrations.html",
        "registration/admin/_results.html",
        targets=("registration-results",),
        edition=edition,
        filters=filters,
        rows=rows,
        total=total,
        pages=pages,
        status_labels=services.STATUS_LABELS,
        category_labels=CATEGORY_LABELS,
        **_filter_options(edition),
    )


@admin.get("/registrations/export.<fmt>")
@organiser_required
def export_registrations(fmt: str):
    edition = _edition()
    filters = services.Filters.from_args(request.args)
    stamp = local(services.utcnow()).strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        response = make_response(services.export_csv(edition, filters))
        response.mimetype = "text/csv"
        response.charset = "utf-8"
    elif fmt == "xlsx":
        response = make_response(services.export_xlsx(edition, filters))
        response.mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="registrations-{edition.slug}-{stamp}.{fmt}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _registration_or_404(registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        abort(404)
    return registration


@admin.get("/registrations/<int:registration_id>")
@organiser_required
def registration_detail(registration_id: int):
    registration = _registration_or_404(registration_id)
    return render_template(
        "registration/admin/detail.html",
        registration=registration,
        status_labels=services.STATUS_LABELS,
        signup_labels=services.SIGNUP_LABELS,
        category_labels=CATEGORY_LABELS,
        sector_labels=services.SECTORS,
        transitions=services.REGISTRATION_TRANSITIONS[registration.status],
        country_name=country_name,
    )


ACTIONS = {
    "approve": (services.approve, "approved"),
    "reject": (services.reject, "rejected"),
    "promote": (services.promote, "promoted"),
    "cancel": (lambda r: services.cancel(r, by_organiser=True), "cancelled"),
    "reissue-badge": (services.reissue_badge, "reissued"),
}


def _done_message(key: str) -> str:
    return {
        "approved": _("Approved; the person has been emailed."),
        "rejected": _("Declined; the person has been emailed."),
        "promoted": _("Promoted; the person has been emailed."),
        "cancelled": _("Cancelled; the person has been emailed."),
        "reissued": _("A new badge was issued; the old QR code is refused from now on."),
    }[key]


@admin.post("/registrations/<int:registration_id>/<action>")
@organiser_required
def registration_action(registration_id: int, action: str):
    registration = _registration_or_404(registration_id)
    if action not in ACTIONS:
        abort(404)
    function, done = ACTIONS[action]
    try:
        function(registration)
    except RegistrationError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(_done_message(done), "success")
    back = request.form.get("next") or ""
    target = (
        url_for("registration_admin.waitlists")
        if back == "waitlists"
        else url_for("registration_admin.registration_detail", registration_id=registration.id)
    )
    return redirect(target)


@admin.get("/waitlists")
@organiser_required
def waitlists():
    return _waitlists_page(_edition())


def _waitlists_page(edition, refused: tuple[Session, SessionCapacityForm] | None = None):
    """The waiting lists; `refused` is (seminar, posted form) of a capacity sent back, shown
    with its message beside the field (even if that seminar has nobody waiting)."""
    ticket_types = db.session.scalars(
        select(TicketType)
        .where(TicketType.edition_id == edition.id)
        .order_by(TicketType.position, TicketType.id)
    ).all()
    sessions = services.sessions_open_for_signup(edition)
    capacity_forms = {
        s.id: distinct_ids(
            SessionCapacityForm(formdata=None, capacity=s.capacity), f"session-{s.id}"
        )
        for s in sessions
    }
    if refused is not None:
        session, form = refused
        if session not in sessions:
            sessions = [*sessions, session]
        capacity_forms[session.id] = distinct_ids(form, f"session-{session.id}")
    pending = db.session.scalars(
        select(Registration)
        .where(
            Registration.edition_id == edition.id,
            Registration.status == RegistrationStatus.PENDING_APPROVAL,
        )
        .order_by(Registration.created_at)
    ).all()
    pending_signups = db.session.scalars(
        select(SessionSignup)
        .join(Session, Session.id == SessionSignup.session_id)
        .where(
            Session.edition_id == edition.id, SessionSignup.status == SignupStatus.PENDING_APPROVAL
        )
        .order_by(SessionSignup.created_at)
    ).all()
    return render_template(
        "registration/admin/waitlists.html",
        edition=edition,
        ticket_types=ticket_types,
        ticket_counts=services.ticket_availability(ticket_types),
        ticket_waitlists={t.id: services.waitlist(t) for t in ticket_types},
        sessions=sessions,
        session_counts=services.session_availability(sessions),
        session_waitlists={s.id: services.waitlist(s) for s in sessions},
        capacity_forms=capacity_forms,
        pending=pending,
        pending_signups=pending_signups,
    )


@admin.post("/waitlists/registration/<int:record_id>/<action>")
@admin.post("/waitlists/signup/<int:record_id>/<action>", endpoint="signup_waitlist_action")
@organiser_required
def waitlist_action(record_id: int, action: str):
    model = SessionSignup if "/signup/" in request.path else Registration
    record = db.session.get(model, record_id)
    if record is None:
        abort(404)
    operations = {
        "up": lambda r: services.move_in_waitlist(r, -1),
        "down": lambda r: services.move_in_waitlist(r, 1),
        "top": lambda r: services.move_in_waitlist(r, -(10**6)),
        "promote": services.promote,
    }
    if model is SessionSignup:
        operations |= {"approve": services.approve_signup, "reject": services.reject_signup}
    if action not in operations:
        abort(404)
    try:
        operations[action](record)
    except RegistrationError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(_("Done."), "success")
    return redirect(url_for("registration_admin.waitlists"))


@admin.post("/waitlists/session/<int:session_id>/capacity")
@organiser_required
def session_capacity(session_id: int):
    """Change a seminar's capacity here so that a raise fills the seats from its waiting list."""
    edition = _edition()
    session = _session_or_404(session_id, edition)
    form = SessionCapacityForm()
    if form.validate_on_submit():
        try:
            promoted = services.update_session_capacity(session, form.capacity.data)
        except RegistrationError as error:
            db.session.rollback()
            _attach(form, error)
        else:
            flash(
                ngettext(
                    "Capacity saved; %(num)d person got a seat.",
                    "Capacity saved; %(num)d people got a seat.",
                    len(promoted),
                ),
                "success",
            )
            return redirect(url_for("registration_admin.waitlists"))
    return _waitlists_page(edition, refused=(session, form)), form_status(form)


@admin.route("/registrations/message", methods=["GET", "POST"])
@organiser_required
def message_segment():
    edition = _edition()
    form = MessageForm()
    segments = services.segments(edition)
    form.segment.choices = select_choices(segments)
    if form.validate_on_submit():
        try:
            count = services.message_segment(
                edition, form.segment.data, form.subject.data, form.body.data
            )
        except RegistrationError as error:
            db.session.rollback()
            _attach(form, error)
        else:
            flash(_("%(count)d messages are on their way.", count=count), "success")
            return redirect(url_for("registration_admin.message_segment"))
    preview = None
    if form.segment.data and form.segment.data in dict(segments):
        preview = len(services.segment_recipients(edition, form.segment.data))
    return (
        render_template("registration/admin/message.html", form=form, preview=preview),
        form_status(form),
    )


# Ticket types -----------------------------------------------------------------------------------


@admin.get("/ticket-types")
@organiser_required
def ticket_types():
    edition = _edition()
    types = db.session.scalars(
        select(TicketType)
        .where(TicketType.edition_id == edition.id)
        .order_by(TicketType.position, TicketType.id)
    ).all()
    return render_template(
        "registration/admin/ticket_types.html",
        edition=edition,
        types=types,
        counts=services.ticket_availability(types),
        category_labels=CATEGORY_LABELS,
        sales_state=services.sales_state,
    )


@admin.route("/ticket-types/new", methods=["GET", "POST"])
@admin.route("/ticket-types/<int:ticket_type_id>/edit", methods=["GET", "POST"])
@organiser_required
def edit_ticket_type(ticket_type_id: int | None = None):
    edition = _edition()
    ticket_type = (
        of_edition_or_404(TicketType, ticket_type_id, edition)
        if ticket_type_id is not None
        else None
    )
    form = TicketTypeForm(obj=ticket_type)
    if not form.is_submitted() and ticket_type is not None:
        form.category.data = ticket_type.category.value
        form.sales_start.data = _naive_local(ticket_type.sales_start)
        form.sales_end.data = _naive_local(ticket_type.sales_end)
    if form.validate_on_submit():
        data = services.TicketTypeData(
            name_ja=form.name_ja.data.strip(),
            name_en=form.name_en.data.strip(),
            category=ParticipantCategory(form.category.data),
            price=form.price.data or 0,
            capacity=form.capacity.data,
            sales_start=_aware(form.sales_start.data),
            sales_end=_aware(form.sales_end.data),
            requires_approval=form.requires_approval.data,
            access_code=form.access_code.data,
            description_ja=form.description_ja.data or "",
            description_en=form.description_en.data or "",
            position=form.position.data or 0,
        )
        try:
            saved = services.save_ticket_type(edition, data, ticket_type)
        except RegistrationError as error:
            db.session.rollback()
            _attach(form, error)
        else:
            flash(
                _("The ticket type “%(name)s” is saved.", name=localized(saved, "name")), "success"
            )
            return redirect(url_for("registration_admin.ticket_types"))
    return (
        render_template(
            "registration/admin/ticket_type_form.html", form=form, ticket_type=ticket_type
        ),
        form_status(form),
    )


def _naive_local(moment):
    return local(moment).replace(tzinfo=None) if moment else None


def _aware(value):
    return parse_local(value.isoformat()) if value else None


@bp.app_template_global("ticket_sales_state")
def ticket_sales_state(ticket_type: TicketType) -> str:
    return services.sales_state(ticket_type)
