"""registration."""

from flask import Flask


def init_app(app: Flask) -> None:
    from convention.registration import models  # noqa: F401
