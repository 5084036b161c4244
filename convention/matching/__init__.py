"""matching."""

from flask import Flask


def init_app(app: Flask) -> None:
    from convention.matching import models  # noqa: F401
