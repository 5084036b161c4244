from __future__ import annotations

import click
from flask import Blueprint
from sqlalchemy import select

from convention.demo import data
from convention.events.models import Edition
from convention.extensions import db

cli = Blueprint("demo", __name__, cli_group="demo")


@cli.cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when an edition already exists.")
def load(if_empty: bool) -> None:
    """Create a demo edition with accounts, registrations, check-ins and more."""
    if if_empty and db.session.scalar(select(Edition.id).limit(1)) is not None:
        click.echo("Demo data already present; nothing to do.")
        return
    accounts = data.load()
    click.echo("Demo convention loaded. Log in with:")
    for role, (email, password) in accounts.items():
        click.echo(f"  {role:<10} {email}  /  {password}")
