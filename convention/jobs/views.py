from __future__ import annotations

from flask import Blueprint, abort, render_template

from convention.accounts.access import organiser_required
from convention.extensions import db
from convention.htmx import wants_fragment
from convention.jobs.models import BackgroundJob

bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs")

# htmx stops polling when it receives this status code.
STOP_POLLING = 286


@bp.get("/<int:job_id>")
@organiser_required
def job(job_id: int):
    found = db.session.get(BackgroundJob, job_id) or abort(404)
    if wants_fragment(f"job-{job_id}"):
        status = STOP_POLLING if found.status.finished else 200
        return render_template("jobs/_progress.html", job=found), status
    return render_template("jobs/job.html", job=found)
