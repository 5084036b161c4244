"""Events: editions, rooms, sessions, the public programme and its calendar files."""

from flask import Flask


def init_app(app: Flask) -> None:
    from convention.events import models  # noqa: F401
