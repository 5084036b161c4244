"""`flask billing ...`: reminders and overdue invoices from the command line (cron)."""

from __future__ import annotations

import click
from flask import Blueprint

from convention.billing import services
from convention.money import yen

cli = Blueprint("billing_cli", __name__, cli_group="billing")


@cli.cli.command("remind")
def remind() -> None:
    """Email a reminder for each overdue invoice that is due one (never twice)."""
    from convention.mail.services import deliver_due

    sent = services.send_reminders()
    deliver_due()
    click.echo(f"reminders sent: {sent}")


@cli.cli.command("overdue")
def overdue() -> None:
    """List the overdue invoices."""
    for invoice in services.overdue_invoices():
        order = invoice.order
        click.echo(
            f"{invoice.display_number}\t{order.reference}\t{invoice.due_date}\t"
            f"{yen(order.outstanding)}\t{order.buyer_display}\treminders={len(invoice.reminders)}"
        )
