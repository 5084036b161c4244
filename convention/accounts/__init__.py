"""Accounts: sign-up, log-in, password reset, profile and the staff roles."""

from flask import Flask

from convention.extensions import login_manager


def init_app(app: Flask) -> None:
    from convention.accounts import access  # noqa: F401  (registers the user loader)
    from convention.accounts.cli import cli
    from convention.accounts.views import bp

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    app.register_blueprint(bp)
    app.register_blueprint(cli)
