"""`flask demo load`: a convention in progress, for trying the app out."""

from flask import Flask


def init_app(app: Flask) -> None:
    from convention.demo.cli import cli

    app.register_blueprint(cli)
