"""kpi."""

from flask import Flask


def init_app(app: Flask) -> None:
    from convention.kpi import models  # noqa: F401
