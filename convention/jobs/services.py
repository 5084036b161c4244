"""Tracked jobs: start one, report its progress, finish it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from convention import storage
from convention.extensions import db
from convention.jobs import run_or_enqueue
from convention.jobs.models import BackgroundJob, JobStatus
from convention.refusals import Refusal
from convention.timeutil import utcnow


@dataclass
class JobFile:
    """What a job returns when it made a file: the organiser downloads it from the job page."""

    data: bytes
    name: str  # download name, e.g. "badges-2025.pdf"


def start(kind: str, path: str, *args, created_by=None, **kwargs) -> BackgroundJob:
    """Record a job and run `path(job_id, *args)` in the worker (or inline without Redis)."""
    job = BackgroundJob(kind=kind, created_by_id=getattr(created_by, "id", None))
    db.session.add(job)
    db.session.commit()
    run_or_enqueue("convention.jobs.services:_run_tracked", job.id, path, *args, **kwargs)
    return job


def _run_tracked(job_id: int, path: str, *args, **kwargs) -> None:
    from convention.jobs import resolve

    job = db.session.get(BackgroundJob, job_id)
    if job is not None:
        job.error, job.finished_at = None, None  # a retry starts afresh
    report_progress(job_id, 0, status=JobStatus.RUNNING)
    try:
        result_url = resolve(path)(job_id, *args, **kwargs)
    except Exception as error:
        db.session.rollback()
        job = db.session.get(BackgroundJob, job_id)
        job.status = JobStatus.FAILED
        job.error = _refusal_message(error)
        job.finished_at = utcnow()
        db.session.commit()
        if isinstance(error, Refusal):
            return  # the same input is refused again: no retry (a scheduler run is a minute)
        raise
    job = db.session.get(BackgroundJob, job_id)
    if isinstance(result_url, JobFile):
        # Stored where every web process can serve it, whichever one the organiser reaches.
        extension = result_url.name.rsplit(".", 1)[-1].lower()
        job.result_file = storage.save("jobs", result_url.data, extension)
        job.result_name = result_url.name
        # A path, not a full URL: the worker has no request to take a host from.
        result_url = current_app.url_map.bind("").build("jobs.download", {"job_id": job.id})
    job.status = JobStatus.DONE
    job.progress = 100
    job.result_url = result_url if isinstance(result_url, str) else None
    job.finished_at = utcnow()
    db.session.commit()


def _refusal_message(error: Exception) -> str | None:
    """What the organiser reads about a failed job: the message of one of the app's own
    refusals, written for people; nothing for anything else (a developer's ValueError such as
    an illegal state change included), which the page words generically (the details go to
    the log)."""
    if isinstance(error, Refusal):
        return str(error)[:2000]
    return None


def report_progress(
    job_id: int, percent: int, message: str = "", *, status: JobStatus | None = None
) -> None:
    job = db.session.get(BackgroundJob, job_id)
    if job is None:
        return
    job.progress = max(0, min(100, int(percent)))
    if message:
        job.message = message[:500]
    if status is not None:
        job.status = status
    db.session.commit()
