"""registration: ticket types, registering, waiting lists, seminar sign-up, badges."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from convention.accounts.models import Role
    from convention.billing import services as billing
    from convention.registration import (
        models,  # noqa: F401
        views,
    )
    from convention.web import add_nav

    # Paid tickets: billing tells us when the order is paid or cancelled.
    billing.on_paid("ticket", "convention.registration.services:on_ticket_paid")
    billing.on_cancelled("ticket", "convention.registration.services:on_ticket_order_cancelled")
    app.register_blueprint(views.bp)
    app.register_blueprint(views.admin)
    add_nav(app, "main", "registration.register", _l("Register"))
    add_nav(app, "main", "registration.seminars", _l("Seminars"))
    add_nav(app, "main", "registration.my_registration", _l("My registration"))
    add_nav(app, "home", "registration.register", _l("Register"))
    add_nav(app, "staff", "registration_admin.registrations", _l("Registrations"), Role.ORGANISER)
    add_nav(app, "staff", "registration_admin.waitlists", _l("Waiting lists"), Role.ORGANISER)
    add_nav(app, "staff", "registration_admin.ticket_types", _l("Ticket types"), Role.ORGANISER)
