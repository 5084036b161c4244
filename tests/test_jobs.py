"""Tracked background jobs: inline without Redis, through an RQ worker with Redis."""

from __future__ import annotations

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from convention.extensions import db
from convention.jobs import QUEUE_NAME
from convention.jobs import services as jobs
from convention.jobs.models import BackgroundJob, JobStatus

REDIS_URL = "redis://127.0.0.1:6379/15"

# One worker runs these, so two runs never share the Redis queue at once.
pytestmark = pytest.mark.xdist_group("redis")


def count_to_three(job_id: int, label: str) -> str:
    for step in range(1, 4):
        jobs.report_progress(job_id, step * 33, f"{label} {step}/3")
    return "/done"


def always_fails(job_id: int) -> None:
    raise RuntimeError("the printer is on fire")


def refuses(job_id: int) -> None:
    from convention.matching.services import MatchingError

    raise MatchingError("Set up the slots and tables of this session first.")


def test_inline_job_runs_to_the_end_and_keeps_its_result(app, organiser):
    job = jobs.start("count", "tests.test_jobs:count_to_three", "badge", created_by=organiser)
    db.session.refresh(job)
    assert job.status == JobStatus.DONE
    assert job.progress == 100
    assert job.message == "badge 3/3"
    assert job.result_url == "/done"


def test_a_refused_job_shows_the_refusal_and_nothing_else(app, organiser_client):
    job = jobs.start("matching-scheduler", "tests.test_jobs:refuses")
    db.session.refresh(job)
    assert job.status == JobStatus.FAILED
    assert job.error == "Set up the slots and tables of this session first."
    page = organiser_client.get(f"/admin/jobs/{job.id}", headers={"Accept-Language": "en"}).text
    assert "Set up the slots and tables of this session first." in page
    assert "MatchingError" not in page and "Something went wrong" not in page


def test_an_unexpected_failure_is_worded_generically(app, organiser_client, caplog):
    job = jobs.start("broken", "tests.test_jobs:always_fails")
    db.session.refresh(job)
    assert job.status == JobStatus.FAILED
    assert job.error is None
    assert "printer is on fire" in caplog.text  # the details are in the log
    page = organiser_client.get(f"/admin/jobs/{job.id}", headers={"Accept-Language": "en"}).text
    assert "Something went wrong on our side and the job stopped." in page
    assert "RuntimeError" not in page and "printer" not in page


def raises(job_id: int, path: str, message: str) -> None:
    from convention.jobs import resolve

    raise resolve(path)(message)


@pytest.mark.parametrize(
    "path",
    [
        "convention.accounts.services:AccountError",
        "convention.billing.models:BillingError",
        "convention.checkin.services:CheckinError",
        "convention.events.services:EventError",
        "convention.kpi.services:InvalidValue",
        "convention.matching.services:MatchingError",
        "convention.posters.services:PosterError",
        "convention.registration.services:RegistrationError",
        "convention.sponsors.services:SponsorError",
    ],
)
def test_every_feature_s_refusal_reaches_the_organiser(app, organiser_client, path):
    job = jobs.start("export", "tests.test_jobs:raises", path, "Choose an edition first.")
    page = organiser_client.get(f"/admin/jobs/{job.id}", headers={"Accept-Language": "en"}).text
    assert "Choose an edition first." in page
    assert "Something went wrong" not in page


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("convention.matching.models:IllegalTransition", "meeting draft -> scheduled"),
        ("convention.matching.scheduler:InstanceError", "the instance must be a JSON object"),
    ],
)
def test_a_developer_s_error_is_worded_generically(app, organiser_client, caplog, path, message):
    job = jobs.start("matching-scheduler", "tests.test_jobs:raises", path, message)
    page = organiser_client.get(f"/admin/jobs/{job.id}", headers={"Accept-Language": "en"}).text
    assert "Something went wrong on our side and the job stopped." in page
    assert message not in page
    assert message in caplog.text  # the details are in the log


def test_progress_fragment_polls_until_the_job_is_finished(app, organiser_client):
    running = BackgroundJob(kind="badges", status=JobStatus.RUNNING, progress=40)
    finished = BackgroundJob(kind="badges", status=JobStatus.DONE, progress=100, result_url="/x")
    db.session.add_all([running, finished])
    db.session.commit()

    headers = {"HX-Request": "true", "HX-Target": f"job-{running.id}"}
    response = organiser_client.get(f"/admin/jobs/{running.id}", headers=headers)
    assert response.status_code == 200
    assert 'hx-trigger="every 1s"' in response.text
    assert 'value="40"' in response.text

    headers["HX-Target"] = f"job-{finished.id}"
    response = organiser_client.get(f"/admin/jobs/{finished.id}", headers=headers)
    assert response.status_code == 286  # htmx stops polling
    assert "hx-trigger" not in response.text
    assert 'href="/x"' in response.text

    page = organiser_client.get(f"/admin/jobs/{finished.id}")
    assert page.status_code == 200
    assert "<html" in page.text


def test_the_job_page_links_back_to_where_the_job_was_started(app, organiser_client):
    archive = BackgroundJob(kind="invoices", status=JobStatus.DONE, progress=100)
    unknown = BackgroundJob(kind="something-else", status=JobStatus.DONE, progress=100)
    db.session.add_all([archive, unknown])
    db.session.commit()
    page = organiser_client.get(f"/admin/jobs/{archive.id}").text
    assert '<a href="/admin/billing/">← Back</a>' in page
    assert "← Back" not in organiser_client.get(f"/admin/jobs/{unknown.id}").text


@pytest.fixture
def redis_queue_app(app):
    try:
        Redis.from_url(REDIS_URL).ping()
    except RedisConnectionError as error:
        from tests.conftest import missing_service

        missing_service(f"Redis at {REDIS_URL}: {error}")
    Redis.from_url(REDIS_URL).flushdb()
    app.config.update(REDIS_URL=REDIS_URL, JOBS_INLINE=False)
    yield app
    Redis.from_url(REDIS_URL).flushdb()


def after_the_worker(runner, job: BackgroundJob) -> BackgroundJob:
    """Run the worker until the queue is empty; the job as it then is."""
    result = runner.invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return db.session.get(BackgroundJob, job.id)


def test_with_redis_the_job_waits_for_a_worker_then_runs(redis_queue_app, runner):
    job = jobs.start("count", "tests.test_jobs:count_to_three", "invoice")
    db.session.refresh(job)
    assert job.status == JobStatus.QUEUED  # nothing ran in the request

    job = after_the_worker(runner, job)
    assert job.status == JobStatus.DONE
    assert job.message == "invoice 3/3"


def test_with_redis_a_refused_job_fails_once_and_is_not_retried(redis_queue_app, runner):
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    job = after_the_worker(runner, jobs.start("matching-scheduler", "tests.test_jobs:refuses"))
    assert job.status == JobStatus.FAILED
    assert job.error == "Set up the slots and tables of this session first."
    queue = Queue(QUEUE_NAME, connection=Redis.from_url(REDIS_URL))
    assert ScheduledJobRegistry(queue=queue).count == 0  # no retry in 30 s


def test_a_job_that_runs_again_loses_its_old_error(app):
    job = jobs.start("count", "tests.test_jobs:count_to_three", "badge")
    job.status, job.error = JobStatus.FAILED, "Set up the slots first."
    db.session.commit()
    jobs._run_tracked(job.id, "tests.test_jobs:count_to_three", "badge")
    db.session.refresh(job)
    assert (job.status, job.error) == (JobStatus.DONE, None)


def make_report(job_id: int, title: str):
    jobs.report_progress(job_id, 50, "writing")
    return jobs.JobFile(f"%PDF-1.4 {title}".encode(), "report.pdf")


def test_a_file_made_by_a_job_is_downloaded_by_organisers_only(app, organiser, client):
    from tests.conftest import login
    from tests.factories import make_user

    job = jobs.start("report", "tests.test_jobs:make_report", "KPI", created_by=organiser)
    db.session.refresh(job)
    assert job.status == JobStatus.DONE
    assert job.result_url == f"/admin/jobs/{job.id}/download"

    organiser_client = login(app.test_client(), organiser)
    page = organiser_client.get(f"/admin/jobs/{job.id}")
    assert f'href="/admin/jobs/{job.id}/download"' in page.text
    download = organiser_client.get(job.result_url)
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert download.data == b"%PDF-1.4 KPI"
    assert "attachment; filename=report.pdf" in download.headers["Content-Disposition"]

    assert client.get(job.result_url).status_code in (302, 401)
    stranger = login(app.test_client(), make_user())
    assert stranger.get(job.result_url).status_code == 403


def test_a_job_without_a_file_has_nothing_to_download(app, organiser_client):
    job = jobs.start("count", "tests.test_jobs:count_to_three", "x")
    assert organiser_client.get(f"/admin/jobs/{job.id}/download").status_code == 404
