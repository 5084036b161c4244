"""Background work: an RQ queue on Redis when REDIS_URL is set, inline otherwise.

`run_or_enqueue` fires and forgets (mail delivery). `start` records a BackgroundJob row whose
progress the organiser watches (bulk PDFs, the meeting scheduler, reminders); the job function
receives the job id first and reports with `report_progress`.
"""

from __future__ import annotations

import importlib

from flask import Flask, current_app, has_app_context

QUEUE_NAME = "convention"
# What the organiser reads for each kind of tracked job; features add theirs with `describe`.
KIND_LABELS: dict[str, object] = {}
# The page a job was started from (an endpoint), for the job page's back link.
KIND_BACK: dict[str, str] = {}


def describe(kind: str, label, back: str | None = None) -> None:
    KIND_LABELS[kind] = label
    if back:
        KIND_BACK[kind] = back


def resolve(path: str):
    module_name, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def run_job(path: str, *args, **kwargs):
    """What the worker runs: inside the worker's app context, or a fresh one."""
    if has_app_context():
        return resolve(path)(*args, **kwargs)
    from convention import create_app

    with create_app().app_context():
        return resolve(path)(*args, **kwargs)


def _queue():
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE_NAME, connection=Redis.from_url(current_app.config["REDIS_URL"]))


def uses_worker() -> bool:
    return bool(current_app.config.get("REDIS_URL")) and not current_app.config.get(
        "JOBS_INLINE", current_app.testing
    )


def run_or_enqueue(path: str, *args, **kwargs):
    """Queue `module:function` for the worker, or run it now when there is no Redis."""
    if uses_worker():
        from rq import Retry

        return _queue().enqueue(run_job, path, *args, **kwargs, retry=Retry(max=3, interval=30))
    try:
        return resolve(path)(*args, **kwargs)
    except Exception:  # background work must never break the request that triggered it
        current_app.logger.exception("inline job %s failed", path)
        return None


def init_app(app: Flask) -> None:
    from convention.jobs import models  # noqa: F401
    from convention.jobs.cli import cli
    from convention.jobs.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(cli)
