"""sponsors."""

from flask import Flask


def init_app(app: Flask) -> None:
    from convention.sponsors import models  # noqa: F401
