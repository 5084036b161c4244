"""checkin."""

from flask import Flask


def init_app(app: Flask) -> None:
    from convention.checkin import models  # noqa: F401
