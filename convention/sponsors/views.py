"""Sponsors: the public page, applying (with the booth map), the sponsor portal, lead
scanning at the booth, and the organisers' back-office (/admin/sponsors)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from convention import storage
from convention.accounts.access import login_required, organiser_required
from convention.events.services import current_edition
from convention.extensions import db
from convention.forms import attach_error as _attach
from convention.forms import select_choices
from convention.htmx import redirect, render, wants_fragment
from convention.i18n import localized
from convention.registration.services import STATUS_LABELS as REGISTRATION_STATUS_LABELS
from convention.sponsors import floorplan, services
from convention.sponsors.forms import (
    LOGO_SIZE_LABELS,
    ApplicationForm,
    BoothForm,
    BudgetForm,
    LeadForm,
    OptionForm,
    ProfileForm,
    RejectForm,
    TierForm,
)
from convention.sponsors.models import (
    ApplicationStatus,
    Booth,
    Lead,
    LogoSize,
    SponsorApplication,
    SponsorTier,
)
from convention.sponsors.services import STATUS_LABELS, SponsorError
from convention.web import current_edition_or_404 as _edition
from convention.web import form_status, of_edition_or_404

bp = Blueprint("sponsors", __name__)
admin = Blueprint("sponsors_admin", __name__, url_prefix="/admin/sponsors")


def _labels() -> dict:
    return {
        "status_labels": STATUS_LABELS,
        "rating_labels": services.RATING_LABELS,
        "logo_size_labels": LOGO_SIZE_LABELS,
        "registration_status_labels": REGISTRATION_STATUS_LABELS,
    }


# ------------------------------------------------------------------------------ public page


@bp.get("/sponsors")
def sponsors():
    edition = _edition()
    tiers = services.tiers_of(edition)
    mine = services.applications_of(current_user, edition) if current_user.is_authenticated else []
    return render_template(
        "sponsors/public.html",
        edition=edition,
        groups=services.public_sponsors(edition),
        tiers=tiers,
        left=services.tier_places_left(tiers),
        mine=mine,
        **_labels(),
    )


@bp.get("/sponsors/logos/<int:application_id>")
def logo(application_id: int):
    application = db.session.get(SponsorApplication, application_id)
    if application is None or not application.logo_key:
        abort(404)
    if not (
        services.logo_is_public(application)
        or (current_user.is_authenticated and services.can_manage(current_user, application))
    ):
        abort(404)
    mimetype = "image/png" if application.logo_key.endswith(".png") else "image/jpeg"
    extension = application.logo_key.rsplit(".", 1)[-1]
    response = storage.send(
        application.logo_key, mimetype=mimetype, download_name=f"logo-{application.id}.{extension}"
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


# ------------------------------------------------------------------------------ applying


def _picker_context(edition, selected: set[int] | None = None, message: str | None = None):
    states = services.booth_states(edition, current_user)
    mine = {s.booth.id for s in states if s.state == "mine"}
    chosen_options = {
        int(key.removeprefix("options_")): set(_int_list(request.form.getlist(key)))
        for key in request.form
        if key.startswith("options_") and _is_id(key.removeprefix("options_"))
    }
    return {
        "chosen_options": chosen_options,
        "plan": floorplan.plan(states),
        "states": states,
        "options": services.options_of(edition),
        "selected": mine | (selected or set()),
        "hold_minutes": services.hold_minutes(),
        "picker_message": message,
        "interactive": True,
    }


def _application_form(edition):
    form = ApplicationForm()
    tiers = services.tiers_of(edition)
    left = services.tier_places_left(tiers)
    form.tier.choices = select_choices(
        [(str(t.id), localized(t, "name")) for t in tiers],
        blank=_("No sponsorship tier (booths only)"),
    )
    form.booths.choices = select_choices((str(b.id), b.code) for b in services.booths_of(edition))
    if not form.is_submitted():
        form.contact_name.data = current_user.name
        form.contact_email.data = current_user.email
        form.company_name_ja.data = current_user.organization
        language = current_user.language
        form.language.data = language if language in ("ja", "en") else "ja"
    return form, tiers, left


def _apply_page(form, edition, tiers, left, status=200, selected=None):
    return (
        render_template(
            "sponsors/apply.html",
            form=form,
            edition=edition,
            tiers=tiers,
            left=left,
            **_picker_context(edition, selected),
            **_labels(),
        ),
        status,
    )


def _is_id(value) -> bool:
    """An id as a browser posts it: ASCII digits only ("²".isdigit() is true but int() fails),
    short enough for the database's integer column."""
    text = str(value)
    return text.isascii() and text.isdigit() and len(text) <= 9


def _int_list(values) -> list[int]:
    return [int(v) for v in values if _is_id(v)]


@bp.route("/sponsors/apply", methods=["GET", "POST"])
@login_required
def apply():
    edition = _edition()
    form, tiers, left = _application_form(edition)
    posted_booths = set(_int_list(request.form.getlist("booths")))
    if not form.validate_on_submit():
        status = form_status(form)
        return _apply_page(form, edition, tiers, left, status, posted_booths)
    booth_ids = sorted(posted_booths)
    data = services.ApplicationData(
        company_name_ja=form.company_name_ja.data or "",
        company_name_en=form.company_name_en.data or "",
        registration_number=form.registration_number.data or "",
        postal_code=form.postal_code.data or "",
        billing_address=form.billing_address.data or "",
        contact_name=form.contact_name.data or "",
        contact_email=form.contact_email.data or "",
        contact_phone=form.contact_phone.data or "",
        tier_id=int(form.tier.data) if (form.tier.data or "").isdigit() else None,
        booth_ids=booth_ids,
        options={b: _int_list(request.form.getlist(f"options_{b}")) for b in booth_ids},
        language=form.language.data,
    )
    try:
        application = services.submit_application(current_user, edition, data)
    except SponsorError as error:
        _attach(form, error)
        left = services.tier_places_left(tiers)
        return _apply_page(form, edition, tiers, left, 422, posted_booths)
    flash(
        _("Thank you: your application was sent. We will email you when it is reviewed."),
        "success",
    )
    return redirect(url_for("sponsors.portal", application_id=application.id))


@bp.post("/sponsors/apply/booths/<int:booth_id>")
@login_required
def toggle_booth(booth_id: int):
    """Pick or let go of a booth on the map: held for a few minutes while the form is filled."""
    edition = _edition()
    booth = of_edition_or_404(Booth, booth_id, edition)
    message = None
    selected = set(_int_list(request.form.getlist("booths")))
    selected.discard(booth.id)
    if not services.release_booth(current_user, booth):
        try:
            services.hold_booth(current_user, booth)
        except SponsorError as error:
            message = str(error)
    if not wants_fragment("booth-picker"):
        if message:
            flash(message, "error")
        return redirect(url_for("sponsors.apply"))
    # The picker either way; 422 (which htmx swaps like a 200) when the booth was refused.
    return render_template(
        "sponsors/_picker.html", **_picker_context(edition, selected, message), **_labels()
    ), (422 if message else 200)


# ------------------------------------------------------------------------------ the portal


def _allowed_application(application_id: int, allowed) -> SponsorApplication:
    """The application if `allowed(current_user, application)`, else 404 (no hint it exists)."""
    application = db.session.get(SponsorApplication, application_id)
    if application is None or not allowed(current_user, application):
        abort(404)
    return application


def _my_application(application_id: int) -> SponsorApplication:
    """Only the applicant (and organisers) see an application; anyone else gets 404."""
    return _allowed_application(application_id, services.can_manage)


@bp.get("/my/sponsor/")
@login_required
def portal_index():
    edition = current_edition()
    mine = services.applications_of(current_user)
    staff_of = services.scannable_applications(current_user, edition) if edition else []
    staff_of = [a for a in staff_of if a.user_id != current_user.id]
    return render_template(
        "sponsors/portal_index.html", applications=mine, staff_of=staff_of, **_labels()
    )


@bp.get("/my/sponsor/<int:application_id>")
@login_required
def portal(application_id: int):
    application = _my_application(application_id)
    services.ensure_passes(application)
    return render_template(
        "sponsors/portal.html",
        application=application,
        order=services.order_of(application),
        passes=services.pass_usage(application),
        lead_count=len(services.leads_of(application)),
        **_labels(),
    )


@bp.post("/my/sponsor/<int:application_id>/withdraw")
@login_required
def withdraw(application_id: int):
    application = _my_application(application_id)
    try:
        services.withdraw(application)
        flash(_("Your application was withdrawn."), "success")
    except SponsorError as error:
        flash(str(error), "error")
    return redirect(url_for("sponsors.portal", application_id=application.id))


@bp.route("/my/sponsor/<int:application_id>/profile", methods=["GET", "POST"])
@login_required
def profile(application_id: int):
    application = _my_application(application_id)
    form = ProfileForm(obj=application if request.method == "GET" else None)
    if form.validate_on_submit():
        upload = request.files.get("logo")
        stream = upload.stream if isinstance(upload, FileStorage) and upload.filename else None
        try:
            services.save_profile(
                application,
                company_name_ja=form.company_name_ja.data or "",
                company_name_en=form.company_name_en.data or "",
                website=form.website.data or "",
                description_ja=form.description_ja.data or "",
                description_en=form.description_en.data or "",
                logo_stream=stream,
            )
        except SponsorError as error:
            db.session.rollback()
            _attach(form, error)
        else:
            flash(_("Your company profile was saved."), "success")
            return redirect(url_for("sponsors.portal", application_id=application.id))
    status = form_status(form)
    return render_template("sponsors/profile.html", form=form, application=application), status


# ------------------------------------------------------------------------------ leads


def _scan_application(application_id: int) -> SponsorApplication:
    """The applicant, its staff and organisers scan and see leads; anyone else gets 404."""
    return _allowed_application(application_id, services.can_scan)


def _lead_forms(leads: list[Lead]) -> dict[int, LeadForm]:
    return {
        lead.id: LeadForm(
            formdata=None,
            rating=lead.rating.value if lead.rating else "",
            notes=lead.notes,
            prefix=f"lead{lead.id}",
        )
        for lead in leads
    }


@bp.get("/my/sponsor/<int:application_id>/leads")
@login_required
def leads(application_id: int):
    application = _scan_application(application_id)
    found = services.leads_of(application)
    return render(
        "sponsors/leads.html",
        "sponsors/_leads.html",
        targets=("leads",),
        application=application,
        leads=found,
        forms=_lead_forms(found),
        **_labels(),
    )


@bp.post("/my/sponsor/<int:application_id>/leads/scan")
@login_required
def scan_lead(application_id: int):
    """The scanner component's JSON call (same body as the door's scan API)."""
    application = _scan_application(application_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):  # a JSON list or string is a bad scan, not a 500
        body = {}
    token = body.get("token") if isinstance(body.get("token"), str) else ""
    if not token:
        token = request.form.get("token", "")
    nonce = body.get("nonce") if isinstance(body.get("nonce"), str) else ""
    outcome = services.scan_lead(application, token, current_user, nonce)
    if request.is_json:
        return jsonify(outcome.as_json())
    flash(outcome.message, "success" if outcome.ok else "error")
    return redirect(url_for("sponsors.leads", application_id=application.id))


@bp.post("/my/sponsor/<int:application_id>/leads/<int:lead_id>")
@login_required
def update_lead(application_id: int, lead_id: int):
    application = _scan_application(application_id)
    lead = db.session.get(Lead, lead_id)
    if (
        lead is None
        or lead.application_id != application.id
        or not lead.registration.consent_share_with_sponsors  # withdrawn since: not theirs
    ):
        abort(404)
    form = LeadForm(prefix=f"lead{lead.id}")
    saved = False
    if form.validate_on_submit():
        try:
            services.update_lead(lead, form.rating.data, form.notes.data)
            saved = True
        except SponsorError as error:
            db.session.rollback()
            _attach(form, error)
    if wants_fragment():
        return render_template(
            "sponsors/_lead.html",
            lead=lead,
            form=form,
            saved=saved,
            application=application,
            **_labels(),
        ), (200 if saved or not form.errors else 422)
    if saved:
        flash(_("Lead saved."), "success")
    return redirect(url_for("sponsors.leads", application_id=application.id))


@bp.get("/my/sponsor/<int:application_id>/leads.csv")
@login_required
def leads_csv(application_id: int):
    application = _scan_application(application_id)
    response = make_response(services.leads_csv(application))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="leads-{application.id}.csv"'
    return response


# ------------------------------------------------------------------------------ back-office


@admin.get("/")
@organiser_required
def queue():
    edition = _edition()
    status = request.args.get("status", "submitted")
    chosen = ApplicationStatus(status) if status in ApplicationStatus.__members__.values() else None
    return render(
        "sponsors/admin/queue.html",
        "sponsors/admin/_queue.html",
        targets=("applications",),
        edition=edition,
        applications=services.applications(edition, chosen),
        counts=services.status_counts(edition),
        status=status if chosen else "all",
        **_labels(),
    )


def _application_page(application, reject_form=None, status=200):
    return (
        render_template(
            "sponsors/admin/application.html",
            application=application,
            order=services.order_of(application),
            reject_form=reject_form or RejectForm(formdata=None),
            passes=services.pass_usage(application),
            **_labels(),
        ),
        status,
    )


def _admin_application(application_id: int) -> SponsorApplication:
    return db.session.get(SponsorApplication, application_id) or abort(404)


@admin.get("/applications/<int:application_id>")
@organiser_required
def application(application_id: int):
    return _application_page(_admin_application(application_id))


@admin.post("/applications/<int:application_id>/approve")
@organiser_required
def approve(application_id: int):
    found = _admin_application(application_id)
    try:
        services.approve(found, current_user)
    except SponsorError as error:
        flash(str(error), "error")
        return _application_page(found, status=422)
    flash(_("Approved: the invoice was issued and emailed."), "success")
    return redirect(url_for("sponsors_admin.application", application_id=found.id))


@admin.post("/applications/<int:application_id>/reject")
@organiser_required
def reject(application_id: int):
    found = _admin_application(application_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _application_page(found, form, 422)
    try:
        services.reject(found, form.reason.data, current_user)
    except SponsorError as error:
        _attach(form, error)
        return _application_page(found, form, 422)
    flash(_("Rejected: the applicant was told why."), "success")
    return redirect(url_for("sponsors_admin.application", application_id=found.id))


@admin.get("/booths")
@organiser_required
def booths():
    edition = _edition()
    states = services.booth_states(edition)
    return render_template(
        "sponsors/admin/booths.html",
        edition=edition,
        plan=floorplan.plan(states),
        states=states,
        interactive=False,
        **_labels(),
    )


@admin.route("/booths/new", methods=["GET", "POST"], defaults={"booth_id": None})
@admin.route("/booths/<int:booth_id>", methods=["GET", "POST"])
@organiser_required
def edit_booth(booth_id: int | None):
    edition = _edition()
    booth = of_edition_or_404(Booth, booth_id, edition) if booth_id is not None else None
    form = BoothForm(obj=booth if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.save_booth(
                edition, {name: getattr(form, name).data for name in services.BOOTH_FIELDS}, booth
            )
        except SponsorError as error:
            _attach(form, error)
        else:
            flash(_("The booth was saved."), "success")
            return redirect(url_for("sponsors_admin.booths"))
    status = form_status(form)
    return render_template("sponsors/admin/booth_form.html", form=form, booth=booth), status


@admin.route("/options", methods=["GET", "POST"])
@organiser_required
def options():
    edition = _edition()
    form = OptionForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.add_option(
                edition,
                form.code.data,
                form.name_ja.data or "",
                form.name_en.data or "",
                form.price.data,
            )
        except SponsorError as error:
            _attach(form, error)
            status = 422
        else:
            flash(_("The option was added."), "success")
            return redirect(url_for("sponsors_admin.options"))
    elif form.is_submitted():
        status = 422
    return (
        render_template(
            "sponsors/admin/options.html", form=form, options=services.options_of(edition)
        ),
        status,
    )


@admin.route("/revenue", methods=["GET", "POST"])
@organiser_required
def revenue():
    edition = _edition()
    budget = services.budget_of(edition)
    form = BudgetForm(obj=budget if request.method == "GET" else None)
    status = 200
    if form.is_submitted():
        if form.validate():
            services.save_budget(
                edition,
                form.convention_cost.data,
                form.sponsorship_target.data,
                form.exhibition_target.data,
            )
            flash(_("The budget was saved."), "success")
            return redirect(url_for("sponsors_admin.revenue"))
        status = 422
    return (
        render_template(
            "sponsors/admin/revenue.html",
            edition=edition,
            form=form,
            figures=services.revenue(edition),
            **_labels(),
        ),
        status,
    )


@admin.get("/revenue.csv")
@organiser_required
def revenue_csv():
    edition = _edition()
    response = make_response(services.revenue_csv(edition))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="sponsor-revenue-{edition.slug}.csv"'
    )
    return response


@admin.get("/tiers")
@organiser_required
def tiers():
    edition = _edition()
    found = services.tiers_of(edition)
    return render_template(
        "sponsors/admin/tiers.html",
        edition=edition,
        tiers=found,
        left=services.tier_places_left(found),
        **_labels(),
    )


@admin.route("/tiers/new", methods=["GET", "POST"], defaults={"tier_id": None})
@admin.route("/tiers/<int:tier_id>", methods=["GET", "POST"])
@organiser_required
def edit_tier(tier_id: int | None):
    edition = _edition()
    tier = of_edition_or_404(SponsorTier, tier_id, edition) if tier_id is not None else None
    form = TierForm(obj=tier if request.method == "GET" else None)
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in services.TIER_FIELDS}
        values["logo_size"] = LogoSize(values["logo_size"])
        values["position"] = values["position"] or 0
        try:
            services.save_tier(edition, values, tier)
        except SponsorError as error:
            _attach(form, error)
        else:
            flash(_("The tier was saved."), "success")
            return redirect(url_for("sponsors_admin.tiers"))
    status = form_status(form)
    return render_template("sponsors/admin/tier_form.html", form=form, tier=tier), status
