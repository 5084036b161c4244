"""billing."""

from flask import Flask


def init_app(app: Flask) -> None:
    from convention.billing import models  # noqa: F401
