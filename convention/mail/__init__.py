"""Mail: the outbox table, SMTP delivery with retries, and the organisers' outbox view."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from convention.accounts.models import Role
from convention.web import add_nav


def init_app(app: Flask) -> None:
    from convention.mail.cli import cli
    from convention.mail.services import deliver_after_request
    from convention.mail.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(cli)
    app.after_request(deliver_after_request)
    add_nav(app, "staff", "mail.outbox", _l("Outbox"), Role.ORGANISER)
