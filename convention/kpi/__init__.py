"""kpi: the city's four KPIs, live dashboard, breakdowns, exports and the annual report."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from convention.accounts.models import Role
    from convention.kpi import models  # noqa: F401
    from convention.kpi.cli import cli
    from convention.kpi.views import bp
    from convention.web import add_nav

    app.register_blueprint(bp)
    app.register_blueprint(cli)
    add_nav(app, "staff", "kpi.dashboard", _l("KPIs"), Role.ORGANISER)
