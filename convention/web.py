"""What every page shares: language, error pages, template helpers and the home page."""

from __future__ import annotations

import time
from datetime import date, datetime
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    has_request_context,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2 import pass_eval_context
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from convention.extensions import MAX_ID, babel, db, get_by_id, limiter
from convention.htmx import add_vary, is_htmx
from convention.i18n import localized
from convention.timeutil import EVENT_ZONE, local

bp = Blueprint("web", __name__)


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: at most what an id column holds, so a longer number in a
    forged or mangled link matches no route (404) instead of reaching the database."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}


def select_locale() -> str:
    """The user's saved language, then the visitor's choice, then Accept-Language."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and services run outside a request
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def form_status(form) -> int:
    """The status of a form page: 422 when it is shown again because its post was refused (the
    app's rule: static/js/app.js has htmx swap a 422 like a 200), 200 when first shown."""
    return 422 if form.is_submitted() else 200


def safe_next(target: str | None, fallback: str) -> str:
    """Only same-site paths may be a redirect target (no open redirects). Browsers read a
    backslash as a slash ("/\\evil.example" is "//evil.example") and drop tabs and newlines, and
    htmx follows HX-Redirect as it is: such a target is refused, not cleaned. Percent-encoded
    forms are never decoded here and stay a path of this site."""
    if not target or "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def safe_referrer(fallback: str) -> str:
    """Back to the page the form was sent from when it is a page of this site; otherwise
    `fallback`. The Referer header is whatever the client says."""
    parts = urlsplit(request.referrer or "")
    if parts.scheme not in ("http", "https") or parts.netloc != request.host:
        return fallback
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""), fallback)


@bp.get("/")
def home():
    from convention.events.services import current_edition

    return render_template("home.html", edition=current_edition())


@bp.get("/privacy")
def privacy():
    return render_template("privacy.html")


@bp.post("/language")
def switch_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.language = lang
            db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("web.home")), code=303)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


ERROR_TITLES = {
    400: _l("Bad request"),
    401: _l("Please log in"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    413: _l("The upload is too large"),
    429: _l("Too many requests: please wait a moment and try again"),
    500: _l("Something went wrong on our side"),
}


def _error_response(code: int, message: str | None = None):
    title = ERROR_TITLES.get(code, ERROR_TITLES[500])
    if request.path.startswith("/api/"):
        return jsonify(status="error", error=str(title), message=message), code
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    return render_template(template, code=code, title=title, message=message), code


def _handle_http_error(error: HTTPException):
    response = make_response(_error_response(error.code or 500))
    # Keep what the exception says besides its body: Allow on 405, WWW-Authenticate on 401.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    if error.code == 429:
        response.headers["Retry-After"] = str(_seconds_until_limit_resets())
    return response


def _seconds_until_limit_resets() -> int:
    """Rate-limit headers are off (they cost two storage round trips on every limited request,
    a scan among them); only the refused request learns when to come back."""
    limit = limiter.current_limit
    return max(1, int(limit.reset_at - time.time())) if limit else 60


def _handle_csrf_error(error: CSRFError):
    return _error_response(
        400, str(_l("The form expired or was sent from elsewhere. Reload the page and try again."))
    )


def _drop_nul_from_query() -> None:
    """A NUL character in the query string is dropped, as if it had not been typed: a search
    pasted or a link mangled can carry one, PostgreSQL cannot compare text with it, and the
    person should get their page (with the results for the rest of what they typed), not an
    error. Every view then reads the arguments without it."""
    pairs = list(request.args.items(multi=True))
    if any("\x00" in key + value for key, value in pairs):
        request.args = request.parameter_storage_class(
            [(key.replace("\x00", ""), value.replace("\x00", "")) for key, value in pairs]
        )


def _handle_unexpected(error: Exception):
    current_app.logger.exception("unhandled error on %s", request.path)
    db.session.rollback()
    return _error_response(500)


def current_edition_or_404():
    """The edition a public or back-office page is about; 404 before any edition exists."""
    from convention.events.services import current_edition

    return current_edition() or abort(404)


# A CLDR date pattern, translated like any text: each language writes a day heading its own
# way (Thursday, November 20, 2025 · 2025年11月20日(木)).
DAY_PATTERN = _l("EEEE, MMMM d, y")
# A moment, likewise: the CLDR's own short and medium patterns write "12/3/26, 1:30 PM" in
# English (is that March or December?) and add seconds no one reads; this one names the month
# and keeps the 24-hour clock of the programme (Dec 3, 2026, 13:30 · 2026/12/03 13:30).
MOMENT_PATTERN = _l("MMM d, y, HH:mm")


def of_edition_or_404(model, item_id, edition):
    """The `model` row with this id if it belongs to `edition`; 404 otherwise, so an id from
    another edition (or none) reveals nothing."""
    item = get_by_id(model, item_id)
    if item is None or item.edition_id != edition.id:
        abort(404)
    return item


def format_day(day: date | datetime) -> str:
    """A day as headings show it, with its weekday; a datetime counts by its day in the
    event's zone."""
    if isinstance(day, datetime):
        day = local(day).date()
    return format_date(day, str(DAY_PATTERN))


def format_local(moment: datetime | None, pattern: str = "medium") -> str:
    """A datetime in the event's zone, formatted for the current language: "short" and
    "medium" as MOMENT_PATTERN, any other CLDR name or pattern as Babel formats it."""
    if moment is None:
        return ""
    if pattern in ("short", "medium"):
        pattern = str(MOMENT_PATTERN)
    return format_datetime(local(moment), pattern, rebase=False)


@pass_eval_context
def _local_filter(eval_ctx, moment: datetime | None, pattern: str = "medium", element: bool = True):
    """The `local` filter: format_local's text, which a page wraps in a <time> element naming
    the moment; app.css keeps one in a table cell on one line (a narrow column broke Japanese
    moments between the date and the time). Text emails get the bare text, and so does a
    template that writes its own <time> around more words (element=False)."""
    text = format_local(moment, pattern)
    if not text or not element or not eval_ctx.autoescape:
        return text
    return Markup('<time datetime="{}">{}</time>').format(
        local(moment).isoformat(timespec="seconds"), text
    )


def add_nav(app: Flask, area: str, endpoint: str, label, *roles) -> None:
    """Features add their links here: area "main" (everyone), "staff" (back-office bar) or
    "home" (buttons on the start page). With roles, only users holding one see the link; a
    role may also be a function of the logged-in user (e.g. "has applied as a sponsor")."""
    app.extensions.setdefault("convention_nav", []).append((area, endpoint, label, roles))


def _may_see(roles) -> bool:
    if not current_user.is_authenticated:
        return False
    named = [role for role in roles if not callable(role)]
    if named and current_user.has_role(*named):
        return True
    return any(check(current_user) for check in roles if callable(check))


def _nav(area: str) -> list[tuple[str, str]]:
    items = []
    for item_area, endpoint, label, roles in current_app.extensions.get("convention_nav", []):
        if item_area != area:
            continue
        if roles and not _may_see(roles):
            continue
        items.append((endpoint, label))
    return items


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: str(EVENT_ZONE))
    app.register_blueprint(bp)
    app.register_error_handler(CSRFError, _handle_csrf_error)
    app.register_error_handler(HTTPException, _handle_http_error)
    app.before_request(_drop_nul_from_query)
    if not app.testing and not app.debug:
        app.register_error_handler(Exception, _handle_unexpected)
    app.after_request(add_vary)
    app.jinja_env.filters["local"] = _local_filter
    app.jinja_env.filters["localized"] = localized
    app.jinja_env.filters["format_date"] = format_date
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    @app.context_processor
    def shared_context():
        return {
            "current_language": str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"]),
            "language_names": LANGUAGE_NAMES,
            "main_nav": lambda: _nav("main"),
            "staff_nav": lambda: _nav("staff"),
            "home_actions": lambda: _nav("home"),
        }
