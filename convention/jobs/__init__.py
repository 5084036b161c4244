"""Background work: an RQ queue on Redis when REDIS_URL is set, inline otherwise."""

from __future__ import annotations

import importlib

from flask import current_app


def resolve(path: str):
    module_name, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def run_job(path: str, *args, **kwargs):
    """Entry point of the worker: run one job inside an app context."""
    from convention import create_app

    with create_app().app_context():
        return resolve(path)(*args, **kwargs)


def run_or_enqueue(path: str, *args, **kwargs):
    """Queue `module:function` for the worker, or run it now when there is no Redis."""
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url and not current_app.testing:
        from redis import Redis
        from rq import Queue

        queue = Queue("convention", connection=Redis.from_url(redis_url))
        return queue.enqueue(run_job, path, *args, **kwargs, retry=None)
    try:
        return resolve(path)(*args, **kwargs)
    except Exception:  # background work must never break the request that triggered it
        current_app.logger.exception("inline job %s failed", path)
        return None
