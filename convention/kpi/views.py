"""KPI dashboard, targets, exports and the public summary. Views parse, call, render."""

from __future__ import annotations

from flask import Blueprint, abort, make_response, render_template, request, url_for
from flask_babel import get_locale
from sqlalchemy import select

from convention.accounts.access import organiser_required
from convention.events.models import Edition
from convention.extensions import db
from convention.htmx import is_htmx, redirect, render, wants_fragment
from convention.kpi import charts, exports, services
from convention.kpi.models import KPI_CODES
from convention.timeutil import utcnow

bp = Blueprint("kpi", __name__)

# htmx stops polling when the server answers 286.
STOP_POLLING = 286


def _language() -> str:
    return str(get_locale() or "ja")


def _scope(editions: list[Edition]) -> services.Scope:
    """?edition=<slug> or ?fy=<year>; by default the current edition (or this fiscal year)."""
    slug = request.args.get("edition", "").strip()
    year = request.args.get("fy", "").strip()
    if slug:
        for edition in editions:
            if edition.slug == slug:
                return services.edition_scope(edition)
        abort(404)
    if year:
        if not year.isdigit() or not 2000 <= int(year) <= 2100:
            abort(404)
        return services.fiscal_year_scope(int(year), editions)
    from convention.events.services import current_edition

    edition = current_edition()
    if edition is not None:
        return services.edition_scope(edition)
    return services.fiscal_year_scope(services.fiscal_year_today(), editions)


def _panel_context(scope: services.Scope, editions: list[Edition]) -> dict:
    board = services.dashboard(scope, editions, _language())
    return {
        "board": board,
        "scope": scope,
        "live": scope.running,
        "charts": charts,
        "kpi_codes": KPI_CODES,
        "services": services,
        "language": _language(),
        "now": utcnow(),
    }


@bp.get("/admin/kpi")
@organiser_required
def dashboard():
    editions = services.all_editions()
    scope = _scope(editions)
    context = _panel_context(scope, editions)
    years = sorted(set(context["board"].plan.years) | {services.fiscal_year_today()}, reverse=True)
    response = make_response(
        render(
            "kpi/dashboard.html",
            "kpi/_panel.html",
            targets=("kpi-panel",),
            editions=editions,
            years=years,
            **context,
        )
    )
    if wants_fragment("kpi-panel") and request.args.get("poll") and not scope.running:
        response.status_code = STOP_POLLING
    return response


# --- targets and baselines ----------------------------------------------------------------------


def _targets_context(errors: dict | None = None, values: dict | None = None) -> dict:
    goal = services.targets()
    return {
        "years": sorted(goal),
        "goal": goal,
        "baseline": services.baselines(),
        "kpi_codes": KPI_CODES,
        "services": services,
        "language": _language(),
        "errors": errors or {},
        "values": values or {},
    }


@bp.get("/admin/kpi/targets")
@organiser_required
def targets():
    return render_template("kpi/targets.html", **_targets_context())


def _cell(kind: str, year: int | None, code: int, value, error: str | None, saved: bool):
    return render_template(
        "kpi/_target_cell.html",
        kind=kind,
        year=year,
        code=code,
        value=value,
        error=error,
        saved=saved,
        services=services,
        language=_language(),
    )


def _save(kind: str, year: int | None, code: int):
    if code not in KPI_CODES:
        abort(404)
    raw = request.form.get("value", "")
    try:
        if kind == "target":
            row = services.set_target(year, code, raw)
            value = row.target
        else:
            value = services.set_baseline(code, raw).value
    except services.InvalidValue as error:
        db.session.rollback()
        if is_htmx():  # the cell with the message beside the number, refused like a form
            return _cell(kind, year, code, raw, str(error), False), 422
        key = f"{kind}-{year}-{code}"
        context = _targets_context({key: str(error)}, {key: raw})
        return render_template("kpi/targets.html", **context), 422
    if is_htmx():
        return _cell(kind, year, code, value, None, True)
    return redirect(url_for("kpi.targets"))


@bp.post("/admin/kpi/targets/<int:year>/<int:code>")
@organiser_required
def save_target(year: int, code: int):
    if not 2000 <= year <= 2100:
        abort(404)
    return _save("target", year, code)


@bp.post("/admin/kpi/baseline/<int:code>")
@organiser_required
def save_baseline(code: int):
    return _save("baseline", None, code)


@bp.post("/admin/kpi/targets/year")
@organiser_required
def add_year():
    try:
        services.add_fiscal_year(request.form.get("fiscal_year", ""))
    except services.InvalidValue as error:
        db.session.rollback()
        context = _targets_context(
            {"new-year": str(error)}, {"new-year": request.form.get("fiscal_year", "")}
        )
        return render_template("kpi/targets.html", **context), 422
    return redirect(url_for("kpi.targets"))


# --- exports ------------------------------------------------------------------------------------


def _download(data: bytes, filename: str, mimetype: str):
    response = make_response(data)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/admin/kpi/export/<key>.<fmt>")
@organiser_required
def export(key: str, fmt: str):
    editions = services.all_editions()
    scope = _scope(editions)
    stem = exports.scope_stem(scope)
    if key == "all" and fmt == "xlsx":
        figures = services.figures_for(scope)
        data = exports.breakdowns_xlsx(services.breakdowns(scope, figures, _language()))
        return _download(data, f"kpi-{stem}.xlsx", exports.XLSX)
    if key not in services.BREAKDOWN_KEYS or fmt not in ("csv", "xlsx"):
        abort(404)
    breakdown = services.breakdown(key, scope, _language())
    if fmt == "csv":
        return _download(exports.breakdown_csv(breakdown), f"kpi-{key}-{stem}.csv", exports.CSV)
    return _download(exports.breakdowns_xlsx([breakdown]), f"kpi-{key}-{stem}.xlsx", exports.XLSX)


@bp.get("/admin/kpi/report/<int:year>.<fmt>")
@organiser_required
def report(year: int, fmt: str):
    if fmt not in ("pdf", "xlsx") or not 2000 <= year <= 2100:
        abort(404)
    language = request.args.get("lang", "ja")
    if language not in ("ja", "en"):
        language = "ja"
    data = exports.annual_report(year, fmt, language)
    mimetype = exports.PDF if fmt == "pdf" else exports.XLSX
    return _download(data, exports.report_filename(year, fmt), mimetype)


# --- public summary -----------------------------------------------------------------------------


@bp.get("/kpi/summary/<slug>")
def summary(slug: str):
    edition = db.session.scalar(select(Edition).where(Edition.slug == slug))
    if edition is None or not edition.public_summary:
        abort(404)
    scope = services.edition_scope(edition)
    figures = services.figures_for(scope)
    ids = scope.edition_ids
    return render_template(
        "kpi/summary.html",
        edition=edition,
        figures=figures,
        categories=services.category_breakdown(ids),
        organisations=services.organisation_type_breakdown(ids),
        countries=services.public_countries(ids),
        charts=charts,
        services=services,
        kpi_codes=KPI_CODES,
        language=_language(),
    )
