"""Bulk work goes to the RQ worker: an organiser starts a badge print on one instance, a
worker process makes the PDF into the shared storage, and the other instance serves it."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from datetime import date

import pytest
import requests
from pypdf import PdfReader

from convention.extensions import db
from tests.checkin.factories import make_registration
from tests.factories import make_edition
from tests.production.conftest import ROOT, production_env
from tests.production.test_invariants_across_instances import _app
from tests.production.test_two_instances import create_organiser, csrf_token

pytestmark = pytest.mark.xdist_group("production")


def test_a_bulk_print_runs_on_the_worker_and_downloads_from_either_instance(
    two_instances, production_database
):
    first, second = two_instances
    app = _app(production_database)
    with app.app_context():
        db.session.execute(db.text("UPDATE edition SET is_current = false"))
        edition = make_edition(start=date.today(), is_current=True, slug="print-run")
        for name in ("佐藤 花子", "Jane Smith"):
            make_registration(edition, name=name)
    create_organiser(production_database, "printer@example.org", "bulk-print-pass")
    browser = requests.Session()
    browser.post(
        f"{first.url}/account/login",
        data={
            "csrf_token": csrf_token(browser, f"{first.url}/account/login"),
            "email": "printer@example.org",
            "password": "bulk-print-pass",
        },
        timeout=10,
    )

    started = browser.post(
        f"{first.url}/checkin/badges",
        data={"csrf_token": csrf_token(browser, f"{first.url}/checkin/admin")},
        allow_redirects=False,
        timeout=10,
    )
    assert started.status_code == 303
    job_path = started.headers["Location"]
    waiting = browser.get(f"{second.url}{job_path}", timeout=10)
    assert "job job-queued" in waiting.text  # no worker has taken it yet

    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--burst"],
        cwd=ROOT,
        env=production_env(production_database),
        check=True,
        capture_output=True,
        timeout=120,
    )

    done = browser.get(f"{second.url}{job_path}", timeout=10)
    assert "job job-done" in done.text
    download = re.search(r'href="(/admin/jobs/\d+/download)"', done.text).group(1)
    response = browser.get(f"{second.url}{download}", timeout=30)
    assert response.headers["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Jane Smith" in text and "佐藤" in text
