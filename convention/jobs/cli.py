from __future__ import annotations

import click
from flask import Blueprint, current_app

cli = Blueprint("jobs_cli", __name__, cli_group="jobs")


@cli.cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run background jobs from Redis (mail, bulk PDFs, the scheduler, reminders)."""
    from redis import Redis
    from rq import SimpleWorker

    from convention.jobs import QUEUE_NAME

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: jobs run inline, no worker needed.")
    # SimpleWorker runs jobs in this process, inside this app context: no fork, one app.
    SimpleWorker([QUEUE_NAME], connection=Redis.from_url(url)).work(burst=burst)
