"""Business matching: profiles, directory, meeting requests, the scheduler and agendas."""

from flask import Flask


def init_app(app: Flask) -> None:
    from convention.matching import models  # noqa: F401
    from convention.matching.cli import cli

    app.register_blueprint(cli)
