from __future__ import annotations

import secrets

import click
from flask import Blueprint

from convention.accounts.models import Role
from convention.accounts.services import create_staff_user

cli = Blueprint("users", __name__, cli_group="users")


@cli.cli.command("create-admin")
@click.argument("email")
@click.option("--password", help="Password to set; a random one is printed if omitted.")
@click.option("--name", default="Organiser")
def create_admin(email: str, password: str | None, name: str) -> None:
    """Create (or promote) an organiser account."""
    password = password or secrets.token_urlsafe(12)
    create_staff_user(email, password, name, Role.ORGANISER)
    click.echo(f"Organiser {email} is ready. Password: {password}")
