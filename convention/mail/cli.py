from __future__ import annotations

import time

import click
from flask import Blueprint, current_app

from convention.extensions import db
from convention.mail.services import deliver_due

cli = Blueprint("mail_cli", __name__, cli_group="mail")


@cli.cli.command("deliver")
@click.option("--loop", is_flag=True, help="Keep delivering every few seconds.")
@click.option("--interval", default=5.0, show_default=True)
def deliver(loop: bool, interval: float) -> None:
    """Send the queued emails that are due."""
    while True:
        if not loop:
            click.echo(f"delivered {deliver_due()}")
            return
        try:
            sent = deliver_due()
        except Exception:  # a database hiccup must not stop the sender for good
            current_app.logger.exception("mail delivery failed; trying again")
            db.session.rollback()
        else:
            if sent:
                click.echo(f"delivered {sent}")
        time.sleep(interval)
