"""`flask users create-admin EMAIL`."""

from __future__ import annotations

from convention.accounts.models import Role
from convention.accounts.services import find_user, password_matches
from tests.factories import make_user


def test_create_admin_makes_a_verified_organiser_with_a_printed_password(runner):
    result = runner.invoke(args=["users", "create-admin", "Boss@Example.org"])
    assert result.exit_code == 0, result.output
    password = result.output.strip().rsplit("Password: ", 1)[1]
    user = find_user("boss@example.org")
    assert user.roles == {Role.ORGANISER}
    assert user.email_verified
    assert user.password_hash.startswith("$argon2")
    assert password_matches(user, password)


def test_create_admin_with_a_chosen_password_promotes_an_existing_account(runner):
    make_user("someone@example.org", roles=("reviewer",))
    result = runner.invoke(
        args=["users", "create-admin", "someone@example.org", "--password", "chosen password 1"]
    )
    assert result.exit_code == 0, result.output
    assert "chosen password 1" in result.output
    user = find_user("someone@example.org")
    assert user.roles == {Role.ORGANISER, Role.REVIEWER}
    assert password_matches(user, "chosen password 1")


def test_create_admin_refuses_a_bad_address_or_a_short_password(runner):
    result = runner.invoke(args=["users", "create-admin", "not-an-address"])
    assert result.exit_code != 0
    assert "not a valid email address" in result.output
    assert find_user("not-an-address") is None
    result = runner.invoke(args=["users", "create-admin", "a@example.org", "--password", "short"])
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
    assert find_user("a@example.org") is None
