from __future__ import annotations

import secrets

import click
from email_validator import EmailNotValidError, validate_email
from flask import Blueprint

from convention.accounts.models import Role
from convention.accounts.services import MIN_PASSWORD_LENGTH, create_staff_user

cli = Blueprint("users", __name__, cli_group="users")


@cli.cli.command("create-admin")
@click.argument("email")
@click.option("--password", help="Password to set; a random one is printed if omitted.")
@click.option("--name", default="Organiser")
def create_admin(email: str, password: str | None, name: str) -> None:
    """Create (or promote) an organiser account."""
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise click.BadParameter(f"{email!r} is not a valid email address ({error})") from None
    password = password or secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    create_staff_user(email, password, name, Role.ORGANISER)
    click.echo(f"Organiser {email} is ready. Password: {password}")
