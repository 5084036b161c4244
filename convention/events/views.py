"""The public programme: the list with its filters, session pages and calendar files."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request, url_for
from flask_babel import get_locale

from convention.events import services
from convention.events.services import ProgrammeFilter
from convention.htmx import render, wants_fragment
from convention.i18n import localized
from convention.timeutil import utcnow

bp = Blueprint("events", __name__)

ICS_MIMETYPE = "text/calendar; charset=utf-8"


def _calendar_language() -> str:
    """`?lang=ja|en` chooses the calendar's language; otherwise the reader's."""
    requested = request.args.get("lang")
    if requested in current_app.config["LANGUAGES"]:
        return requested
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def _session_link(session) -> str:
    return url_for("events.session_detail", slug=session.slug, _external=True)


def _ics_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = ICS_MIMETYPE
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/programme")
def programme():
    edition = services.current_edition()
    filters = ProgrammeFilter.parse(request.args, edition)
    sessions = services.programme(edition, filters) if edition else []
    return render(
        "events/programme.html",
        "events/_session_list.html",
        targets=("session-list",),
        edition=edition,
        filters=filters,
        days=services.edition_days(edition) if edition else [],
        grouped=services.by_day(sessions),
        count=len(sessions),
        now=utcnow(),
        # An htmx swap of the list also refreshes the filter form (out of band) so that its
        # selects match the list after a day tab was clicked.
        oob_filters=wants_fragment("session-list"),
    )


@bp.get("/programme.ics")
def programme_ics():
    edition = services.current_edition() or abort(404)
    filters = ProgrammeFilter.parse(request.args, edition)
    language = _calendar_language()
    body = services.calendar_for(
        services.programme(edition, filters),
        language,
        name=getattr(edition, f"name_{language}") or localized(edition, "name"),
        link=_session_link,
    )
    return _ics_response(body, f"{edition.slug}.ics")


@bp.get("/programme/<slug>")
def session_detail(slug: str):
    edition = services.current_edition() or abort(404)
    session = services.find_session(edition, slug) or abort(404)
    return render("events/session.html", edition=edition, session=session, now=utcnow())


@bp.get("/programme/<slug>.ics")
def session_ics(slug: str):
    edition = services.current_edition() or abort(404)
    session = services.find_session(edition, slug) or abort(404)
    body = services.calendar_for([session], _calendar_language(), link=_session_link)
    return _ics_response(body, f"{session.slug}.ics")
