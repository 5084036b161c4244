from __future__ import annotations

import time

import click
from flask import Blueprint

from convention.mail.services import deliver_due

cli = Blueprint("mail_cli", __name__, cli_group="mail")


@cli.cli.command("deliver")
@click.option("--loop", is_flag=True, help="Keep delivering every few seconds.")
@click.option("--interval", default=5.0, show_default=True)
def deliver(loop: bool, interval: float) -> None:
    """Send the queued emails that are due."""
    while True:
        sent = deliver_due()
        click.echo(f"delivered {sent}")
        if not loop:
            return
        time.sleep(interval)
