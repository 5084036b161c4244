"""posters."""

from flask import Flask


def init_app(app: Flask) -> None:
    from convention.posters import models  # noqa: F401
