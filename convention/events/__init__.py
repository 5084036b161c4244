"""Events: editions, rooms, sessions, the public programme and its calendar files."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from convention.accounts.models import Role
from convention.web import add_nav


def init_app(app: Flask) -> None:
    from convention.events import admin, models, services, views  # noqa: F401

    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    # Labels for kinds, languages and visibility, for any feature's templates.
    app.jinja_env.globals["event_labels"] = {
        "kind": services.KIND_LABELS,
        "language": services.LANGUAGE_LABELS,
        "badge": services.LANGUAGE_BADGES,
        "visibility": services.VISIBILITY_LABELS,
    }
    add_nav(app, "main", "events.programme", _l("Programme"))
    add_nav(app, "home", "events.programme", _l("See the programme"))
    add_nav(app, "staff", "events_admin.editions", _l("Editions"), Role.ORGANISER)
