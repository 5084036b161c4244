"""sponsors: tiers, booths and the floor plan, applications, the sponsor portal, passes, leads."""

import os

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from convention.accounts.models import Role
    from convention.billing import services as billing
    from convention.sponsors import models, views  # noqa: F401
    from convention.web import add_nav

    app.config.setdefault("SPONSOR_HOLD_MINUTES", int(os.environ.get("SPONSOR_HOLD_MINUTES", "15")))
    app.config.setdefault("SPONSOR_MAX_HOLDS", int(os.environ.get("SPONSOR_MAX_HOLDS", "4")))
    app.config.setdefault(
        "SPONSOR_LOGO_MAX_BYTES",
        int(os.environ.get("SPONSOR_LOGO_MAX_BYTES", str(2 * 1024 * 1024))),
    )
    # Approval issues the invoice; billing tells us when it is paid or cancelled.
    for family in ("sponsorship", "booth"):
        billing.on_paid(family, "convention.sponsors.services:on_order_paid")
        billing.on_cancelled(family, "convention.sponsors.services:on_order_cancelled")
    app.register_blueprint(views.bp)
    app.register_blueprint(views.admin)
    add_nav(app, "main", "sponsors.sponsors", _l("Sponsors"))
    add_nav(app, "main", "sponsors.portal_index", _l("Sponsor portal"), _in_sponsor_portal)
    add_nav(app, "staff", "sponsors_admin.queue", _l("Sponsors"), Role.ORGANISER)


def _in_sponsor_portal(user) -> bool:
    """Applicants and the staff registered with a sponsor's passes see the portal link."""
    from flask import g

    if "sponsor_portal_user" not in g:
        from convention.sponsors.services import has_portal

        g.sponsor_portal_user = has_portal(user)
    return g.sponsor_portal_user
