"""checkin: QR badges, check-in lists, the scan API, the scanner page and walk-ins."""

import os

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from convention.accounts.models import Role
    from convention.checkin import cli, models, views  # noqa: F401
    from convention.jobs import describe
    from convention.web import add_nav

    # Per device (or staff member): a USB scanner at a busy door reads about one badge a second.
    app.config.setdefault(
        "CHECKIN_SCAN_RATE_LIMIT", os.environ.get("CHECKIN_SCAN_RATE_LIMIT", "300 per minute")
    )
    app.register_blueprint(views.bp)
    app.register_blueprint(cli.cli)
    describe("badges", _l("Badges for printing"), back="checkin.admin_lists")
    app.jinja_env.filters["scan_reason"] = _scan_reason
    app.jinja_env.filters["category_label"] = _category_label
    add_nav(app, "staff", "checkin.scanner", _l("Scan badges"), Role.DOOR_STAFF)
    add_nav(app, "staff", "checkin.walk_in", _l("Walk-in"), Role.DOOR_STAFF)
    add_nav(app, "staff", "checkin.admin_lists", _l("Check-in lists"), Role.ORGANISER)
    add_nav(app, "staff", "checkin.admin_devices", _l("Scanner devices"), Role.ORGANISER)


def _scan_reason(reason) -> str:
    from convention.checkin.services import REASON_MESSAGES

    return str(REASON_MESSAGES.get(reason, reason or ""))


def _category_label(category) -> str:
    from convention.accounts.forms import CATEGORY_LABELS

    return str(CATEGORY_LABELS.get(category, category or ""))
