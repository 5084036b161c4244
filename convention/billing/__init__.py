"""Billing: orders, qualified invoices, payments, receipts, reminders and card payments."""

import os

from flask import Flask
from flask_babel import lazy_gettext as _l

from convention.accounts.models import Role
from convention.jobs import describe
from convention.money import yen
from convention.web import add_nav


def init_app(app: Flask) -> None:
    from convention.billing import models, services  # noqa: F401 (models: their tables)
    from convention.billing.cli import cli
    from convention.billing.views import bp, my_bp, webhook_bp

    # Card payments are offered only when both secrets are set (see billing/card.py).
    app.config.setdefault("STRIPE_SECRET", os.environ.get("STRIPE_SECRET") or None)
    app.config.setdefault("STRIPE_WEBHOOK_SECRET", os.environ.get("STRIPE_WEBHOOK_SECRET") or None)
    app.config.setdefault(
        "BILLING_REMINDER_INTERVAL_DAYS", int(os.environ.get("BILLING_REMINDER_INTERVAL_DAYS", "7"))
    )
    app.config.setdefault(
        "BILLING_MAX_REMINDERS", int(os.environ.get("BILLING_MAX_REMINDERS", "3"))
    )
    app.jinja_env.filters["yen"] = yen
    app.jinja_env.globals["organiser_name"] = services.organiser_name
    app.register_blueprint(bp)
    app.register_blueprint(my_bp)
    app.register_blueprint(webhook_bp)
    app.register_blueprint(cli)
    add_nav(app, "staff", "billing.dashboard", _l("Billing"), Role.ORGANISER)
    describe("reminders", _l("Payment reminders"), back="billing.dashboard")
    describe("invoices", _l("All invoices as PDFs"), back="billing.dashboard")
