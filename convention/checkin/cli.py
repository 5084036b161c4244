from __future__ import annotations

import click
from flask import Blueprint

from convention.checkin import services

cli = Blueprint("checkin_cli", __name__, cli_group="checkin")


@cli.cli.command("device-token")
@click.argument("name")
def device_token(name: str) -> None:
    """Issue a token for a scanner device; the token is printed on the last line, once."""
    try:
        device, token = services.issue_device_token(name)
    except services.CheckinError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Device {device.id} ({device.name}) can scan with this bearer token:")
    click.echo(token)


@cli.cli.command("lists")
def make_lists() -> None:
    """Create the main door and one check-in list per session of the current edition."""
    from convention.events.services import current_edition

    edition = current_edition()
    if edition is None:
        raise click.ClickException("There is no edition yet.")
    created = services.ensure_lists(edition)
    click.echo(f"{len(created)} check-in lists created.")
