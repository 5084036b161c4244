"""Check-in: the scan API, the door staff's scanner page, walk-ins, badges and the back-office."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from convention import pdf
from convention.accounts.access import organiser_required, roles_required
from convention.accounts.forms import CATEGORY_LABELS
from convention.accounts.models import ParticipantCategory, Role
from convention.checkin import badges, services
from convention.checkin.forms import BadgesForm, DeviceForm, ListForm, WalkInForm
from convention.checkin.models import (
    Admission,
    CheckInList,
    ListKind,
    Scan,
    ScanDirection,
    ScannerDevice,
)
from convention.events.models import Edition, Session
from convention.extensions import csrf, db, limiter
from convention.forms import distinct_ids, select_choices
from convention.htmx import is_htmx, redirect, render, trigger, wants_fragment
from convention.jobs.services import start as start_job
from convention.registration.models import Registration
from convention.registration.services import STATUS_LABELS as REGISTRATION_STATUS_LABELS
from convention.timeutil import EVENT_ZONE, utcnow
from convention.web import current_edition_or_404 as _edition
from convention.web import form_status, of_edition_or_404

bp = Blueprint("checkin", __name__)
door_staff_required = roles_required(Role.DOOR_STAFF)

SCANNED_EVENT = "checkin:scanned"


# --- the scan API ------------------------------------------------------------------------------


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def scanner_key() -> str:
    """Rate limits count per device (bearer token) or per logged-in staff member."""
    token = _bearer_token()
    if token:
        return "device:" + services.hash_device_token(token)[:24]
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return "ip:" + (get_remote_address() or "")


def scan_rate_limit() -> str:
    return current_app.config["CHECKIN_SCAN_RATE_LIMIT"]


def _unknown_device():
    return _api_error(401, "unauthorized", _l("Unknown or revoked device token."))


def _api_error(status: int, error: str, message, field: str | None = None):
    body = {"status": "error", "error": error, "message": str(message)}
    if field:
        body["field"] = field
    return jsonify(body), status


class BadRequest(ValueError):
    def __init__(self, message, field: str):
        super().__init__(str(message))
        self.field = field


def _string(payload: dict, name: str, *, required: bool, max_length: int) -> str | None:
    value = payload.get(name)
    if value is None:
        if required:
            raise BadRequest(_l("This field is required."), name)
        return None
    if not isinstance(value, str):
        raise BadRequest(_l("Send a text value."), name)
    value = value.strip()
    if "\x00" in value:  # no scanner sends one; PostgreSQL can neither store nor compare it
        raise BadRequest(_l("This contains characters that are not allowed."), name)
    if required and not value:
        raise BadRequest(_l("This field is required."), name)
    if len(value) > max_length:
        raise BadRequest(_l("Too long (at most %(count)d characters).", count=max_length), name)
    return value


def parse_scan_request(payload) -> dict:
    """The JSON body of the scan API, checked field by field (BadRequest names the field)."""
    if not isinstance(payload, dict):
        raise BadRequest(_l("Send a JSON object."), "body")
    parsed = {
        "token": _string(payload, "token", required=True, max_length=2048),
        "list": _string(payload, "list", required=True, max_length=80),
        "nonce": _string(payload, "nonce", required=True, max_length=services.NONCE_MAX),
    }
    direction = _string(payload, "direction", required=False, max_length=8) or "in"
    if direction not in {item.value for item in ScanDirection}:
        raise BadRequest(_l('Use "in" or "out".'), "direction")
    parsed["direction"] = ScanDirection(direction)
    scanned_at = _string(payload, "scanned_at", required=False, max_length=40)
    parsed["scanned_at"] = None
    if scanned_at:
        try:
            moment = datetime.fromisoformat(scanned_at)
        except ValueError:
            raise BadRequest(_l("Use an ISO 8601 date and time."), "scanned_at") from None
        # A time without a zone is the venue's clock.
        parsed["scanned_at"] = moment if moment.tzinfo else moment.replace(tzinfo=EVENT_ZONE)
    offline = payload.get("offline", False)
    if not isinstance(offline, bool):
        raise BadRequest(_l("Send true or false."), "offline")
    parsed["offline"] = offline
    return parsed


@bp.post("/api/checkin/scan")
@csrf.exempt
@limiter.limit(scan_rate_limit, key_func=scanner_key)
def api_scan():
    staff = None
    device_token = _bearer_token()
    if device_token is None:
        if not current_user.is_authenticated:
            return _api_error(
                401, "unauthorized", _l("Log in as door staff or use a device token.")
            )
        if not current_user.has_role(Role.DOOR_STAFF):
            return _api_error(403, "forbidden", _l("Only door staff and organisers may scan."))
        # Cookie sessions need the CSRF token; bearer devices are not cookie-driven.
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()
        staff = current_user._get_current_object()
    try:
        data = parse_scan_request(request.get_json(silent=True))
    except BadRequest as error:
        if device_token is not None and services.scanning_device(device_token) is None:
            return _unknown_device()
        return _api_error(400, "bad_request", error, error.field)
    scanned_at = data["scanned_at"]
    if scanned_at is not None and scanned_at > utcnow() + services.CLOCK_SKEW:
        scanned_at = None  # a device clock far ahead is not believed: the server's time counts
    try:
        # A device token is checked in the scan's own look-up (one round trip for both).
        outcome = services.scan(
            data["token"],
            data["list"],
            direction=data["direction"],
            nonce=data["nonce"],
            scanned_at=scanned_at,
            device_token=device_token,
            staff=staff,
            offline=data["offline"],
        )
    except services.UnknownDevice:
        return _unknown_device()
    except LookupError:
        return _api_error(404, "unknown_list", _l("There is no check-in list with this name."))
    return jsonify(outcome.to_json())


# Door staff or a device token; the URL sweep test reads this like roles_required's mark.
api_scan.required_roles = (Role.DOOR_STAFF,)


# --- the scanner page --------------------------------------------------------------------------


def _selected_list(edition: Edition, slug: str | None) -> CheckInList | None:
    if slug:
        checkin_list = services.find_list(slug, edition)
        if checkin_list is None:
            abort(404)
        return checkin_list
    return None


def _scanner_context(edition: Edition, checkin_list: CheckInList | None, **extra) -> dict:
    context = {
        "edition": edition,
        "lists": services.lists_of(edition),
        "checkin_list": checkin_list,
        "counters": services.counters(checkin_list) if checkin_list else None,
        "recent": services.recent_scans(checkin_list) if checkin_list else [],
        "query": request.args.get("q", ""),
        "results": [],
        "result": None,
        "category_labels": CATEGORY_LABELS,
        "registration_status_labels": REGISTRATION_STATUS_LABELS,
    }
    if checkin_list and context["query"]:
        context["results"] = services.search(checkin_list, context["query"])
    context.update(extra)
    return context


@bp.get("/checkin/scan")
@door_staff_required
def scanner():
    edition = _edition()
    checkin_list = _selected_list(edition, request.args.get("list"))
    if checkin_list is None and request.args.get("q"):
        abort(404)
    context = _scanner_context(edition, checkin_list)
    return render(
        "checkin/scanner.html",
        "checkin/_search_results.html",
        targets=("search-results",),
        **context,
    )


def _list_from_args() -> CheckInList:
    checkin_list = _selected_list(_edition(), request.values.get("list"))
    if checkin_list is None:
        abort(404)
    return checkin_list


def _list_over(checkin_list: CheckInList) -> bool:
    today = utcnow().astimezone(EVENT_ZONE).date()
    return checkin_list.valid_until is not None and today > checkin_list.valid_until


@bp.get("/checkin/scan/counters")
@door_staff_required
def counters():
    checkin_list = _list_from_args()
    html = render_template(
        "checkin/_counters.html",
        checkin_list=checkin_list,
        counters=services.counters(checkin_list),
    )
    # 286 tells htmx to stop polling once the list's last day is over.
    return html, 286 if _list_over(checkin_list) and is_htmx() else 200


@bp.get("/checkin/scan/recent")
@door_staff_required
def recent():
    checkin_list = _list_from_args()
    return render_template(
        "checkin/_recent.html",
        checkin_list=checkin_list,
        recent=services.recent_scans(checkin_list),
    )


@bp.post("/checkin/scan/manual")
@door_staff_required
def manual_check_in():
    """The check-in button beside a search result (the person forgot the badge)."""
    edition = _edition()
    checkin_list = _list_from_args()
    registration_id = request.form.get("registration", type=int)
    registration = of_edition_or_404(Registration, registration_id, edition)
    nonce = (request.form.get("nonce") or "").strip()[: services.NONCE_MAX]
    if "\x00" in nonce:  # the page sends none; a forged one cannot be stored
        abort(400)
    outcome = services.scan(
        registration.badge_token,
        checkin_list,
        nonce=nonce or secrets.token_hex(16),
        staff=current_user._get_current_object(),
        manual=True,
    )
    if wants_fragment("scan-result"):
        response = make_response(
            render_template("checkin/_result.html", result=outcome, checkin_list=checkin_list)
        )
        return trigger(response, SCANNED_EVENT)
    context = _scanner_context(edition, checkin_list, result=outcome)
    return render_template("checkin/scanner.html", **context)


@bp.post("/checkin/scans/<int:scan_id>/undo")
@door_staff_required
def undo(scan_id: int):
    row = db.session.get(Scan, scan_id)
    if row is None:
        abort(404)
    try:
        services.undo(row, current_user._get_current_object())
    except services.CheckinError as error:
        message = str(error)
        if is_htmx():  # 422, which htmx swaps like a 200: the list with the message in it
            return make_response(
                render_template(
                    "checkin/_recent.html",
                    checkin_list=row.checkin_list,
                    recent=services.recent_scans(row.checkin_list),
                    error=message,
                ),
                422,
            )
        flash(message, "error")
        return redirect(url_for("checkin.scanner", list=row.checkin_list.slug))
    if is_htmx():
        response = make_response(
            render_template(
                "checkin/_recent.html",
                checkin_list=row.checkin_list,
                recent=services.recent_scans(row.checkin_list),
            )
        )
        return trigger(response, SCANNED_EVENT)
    flash(_("The check-in was undone."), "success")
    return redirect(url_for("checkin.scanner", list=row.checkin_list.slug))


# --- badges ------------------------------------------------------------------------------------


@bp.get("/checkin/badges/<int:registration_id>.pdf")
@door_staff_required
def badge(registration_id: int):
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        abort(404)
    data = badges.badge_pdf([badges.badge_from_registration(registration)], title=_("Badge"))
    return pdf.response(data, f"badge-{registration.id}.pdf")


@bp.post("/checkin/badges")
@organiser_required
def bulk_badges():
    """Print every confirmed badge (optionally one category): a job on the worker, since ten
    thousand badges take a while; the organiser watches its progress and downloads the PDF."""
    edition = _edition()
    form = _badges_form()
    if not form.validate_on_submit():
        return _admin_lists_page(edition, form), form_status(form)
    job = start_job(
        "badges",
        "convention.checkin.badges:bulk_badges_job",
        edition.id,
        form.category.data or None,
        created_by=current_user,
    )
    return redirect(url_for("jobs.job", job_id=job.id))


# --- walk-in registration ----------------------------------------------------------------------


@bp.route("/checkin/walk-in", methods=["GET", "POST"])
@door_staff_required
def walk_in():
    edition = _edition()
    form = WalkInForm()
    if form.validate_on_submit():
        try:
            registration = services.register_walk_in(
                edition,
                name=form.name.data,
                email=form.email.data or "",
                organization=form.organization.data or "",
                category=ParticipantCategory(form.category.data),
                staff=current_user._get_current_object(),
            )
        except services.CheckinError as error:
            field = getattr(form, error.field or "", None)
            if field is not None:
                field.errors = [*field.errors, str(error)]
            else:
                form.form_errors.append(str(error))
        else:
            flash(_("Registered. Print the badge and hand it over."), "success")
            return redirect(url_for("checkin.walk_in_done", registration_id=registration.id))
    status = 422 if form.is_submitted() and form.errors else 200
    return render_template("checkin/walk_in.html", form=form, edition=edition), status


@bp.get("/checkin/walk-in/<int:registration_id>")
@door_staff_required
def walk_in_done(registration_id: int):
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        abort(404)
    return render_template(
        "checkin/walk_in_done.html",
        registration=registration,
        qr=badges.qr_svg(
            registration.badge_token,
            label=_("Badge QR code of %(name)s", name=registration.user.name),
        ),
        category_labels=CATEGORY_LABELS,
        main_door=services.find_list(services.MAIN_DOOR_SLUG, registration.edition),
    )


# --- back-office: lists and devices ------------------------------------------------------------


def _session_choices(edition: Edition) -> list[SelectChoice]:
    from convention.i18n import localized

    sessions = db.session.scalars(
        select(Session).where(Session.edition_id == edition.id).order_by(Session.starts_at)
    ).all()
    return select_choices(
        [(str(item.id), localized(item, "title")) for item in sessions], blank=_("None")
    )


@bp.get("/checkin/admin")
@organiser_required
def admin_lists():
    return _admin_lists_page(_edition(), _badges_form())


def _badges_form() -> BadgesForm:
    return distinct_ids(BadgesForm(), "badge")


def _admin_lists_page(edition: Edition, badges_form: BadgesForm) -> str:
    """The lists with their counters and the bulk badge form (its message beside the
    category when it was sent back)."""
    rows = [(item, services.counters(item)) for item in services.lists_of(edition)]
    return render_template(
        "checkin/admin_lists.html", edition=edition, rows=rows, badges_form=badges_form
    )


@bp.post("/checkin/admin/lists/generate")
@organiser_required
def generate_lists():
    created = services.ensure_lists(_edition())
    flash(
        _("%(count)d check-in lists created.", count=len(created))
        if created
        else _("Every session already has its list."),
        "success",
    )
    return redirect(url_for("checkin.admin_lists"))


def _list_form_page(form: ListForm, edition: Edition, checkin_list: CheckInList | None):
    status = form_status(form)
    return (
        render_template(
            "checkin/admin_list_form.html", form=form, edition=edition, checkin_list=checkin_list
        ),
        status,
    )


@bp.route("/checkin/admin/lists/new", methods=["GET", "POST"])
@bp.route("/checkin/admin/lists/<int:list_id>", methods=["GET", "POST"])
@organiser_required
def edit_list(list_id: int | None = None):
    edition = _edition()
    checkin_list = of_edition_or_404(CheckInList, list_id, edition) if list_id is not None else None
    form = ListForm(obj=checkin_list)
    form.session_id.choices = _session_choices(edition)
    if request.method == "GET":
        if checkin_list is not None:
            form.session_id.data = str(checkin_list.session_id or "")
        else:
            form.valid_from.data = edition.start_date
            form.valid_until.data = edition.end_date
    if form.validate_on_submit():
        session_id = form.session_id.data
        if session_id and not session_id.isdigit():
            form.session_id.errors = [_("Choose a session of this edition.")]
            return _list_form_page(form, edition, checkin_list)
        data = services.ListData(
            slug=form.slug.data,
            name_ja=form.name_ja.data,
            name_en=form.name_en.data,
            kind=ListKind(form.kind.data),
            session_id=int(session_id) if session_id else None,
            admission=Admission(form.admission.data),
            valid_from=form.valid_from.data,
            valid_until=form.valid_until.data,
            allow_reentry=form.allow_reentry.data,
            track_exits=form.track_exits.data,
        )
        try:
            services.save_list(edition, data, checkin_list)
        except services.CheckinError as error:
            field = getattr(form, error.field or "", None)
            if field is not None:
                field.errors = [*field.errors, str(error)]
            else:
                form.form_errors.append(str(error))
            return _list_form_page(form, edition, checkin_list)
        flash(_("The check-in list is saved."), "success")
        return redirect(url_for("checkin.admin_lists"))
    if form.is_submitted():
        return _list_form_page(form, edition, checkin_list)
    return render_template(
        "checkin/admin_list_form.html", form=form, edition=edition, checkin_list=checkin_list
    )


@bp.route("/checkin/admin/devices", methods=["GET", "POST"])
@organiser_required
def admin_devices():
    form = DeviceForm()
    issued = None
    status = 200
    if form.validate_on_submit():
        try:
            device, token = services.issue_device_token(
                form.name.data, current_user._get_current_object()
            )
        except services.CheckinError as error:
            form.name.errors = [*form.name.errors, str(error)]
            status = 422
        else:
            issued = (device, token)
            form = DeviceForm(formdata=None)
    elif form.is_submitted():
        status = 422
    response = make_response(
        render(
            "checkin/admin_devices.html",
            "checkin/_devices.html",
            targets=("devices",),
            form=form,
            devices=services.devices(),
            issued=issued,
        ),
        status,
    )
    # The token is shown once: never keep the page in a cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/checkin/admin/devices/<int:device_id>/revoke")
@organiser_required
def revoke_device(device_id: int):
    device = db.session.get(ScannerDevice, device_id)
    if device is None:
        abort(404)
    services.revoke_device(device)
    if wants_fragment("devices"):
        return render_template("checkin/_devices.html", devices=services.devices(), issued=None)
    flash(_("The device token is revoked."), "success")
    return redirect(url_for("checkin.admin_devices"))
