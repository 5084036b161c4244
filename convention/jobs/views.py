from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for

from convention import storage
from convention.accounts.access import organiser_required
from convention.extensions import db
from convention.htmx import wants_fragment
from convention.jobs import KIND_BACK
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
    back = KIND_BACK.get(found.kind)
    return render_template("jobs/job.html", job=found, back_url=url_for(back) if back else None)


DOWNLOAD_TYPES = {"pdf": "application/pdf", "zip": "application/zip", "csv": "text/csv"}


@bp.get("/<int:job_id>/download")
@organiser_required
def download(job_id: int):
    found = db.session.get(BackgroundJob, job_id) or abort(404)
    if not found.result_file:
        abort(404)
    extension = found.result_file.rsplit(".", 1)[-1]
    return storage.send(
        found.result_file,
        mimetype=DOWNLOAD_TYPES.get(extension, "application/octet-stream"),
        download_name=found.result_name or f"job-{job_id}.{extension}",
        as_attachment=True,
    )
