"""Production mode for real: gunicorn processes sharing one PostgreSQL and one Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from redis import Redis
from sqlalchemy.engine import make_url

from bench.common import free_port, start_gunicorn, stop
from tests.conftest import DEFAULT_PG_URL, missing_service

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/14"
# The storage every process shares (an NFS mount in a real deployment).
UPLOAD_DIR = Path(tempfile.gettempdir()) / f"convention-production-uploads-{os.getpid()}"


@pytest.fixture(scope="module")
def production_database():
    base = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL))
    name = f"convention_prod_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        missing_service(f"PostgreSQL: {error}")
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        Redis.from_url(REDIS_URL).ping()
    except Exception as error:
        missing_service(f"Redis at {REDIS_URL}: {error}")
    Redis.from_url(REDIS_URL).flushdb()
    env = production_env(url)
    # Every deploy runs the migrations; the schema comes from them, not from create_all.
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    yield url
    Redis.from_url(REDIS_URL).flushdb()
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def production_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "CONVENTION_ENV": "production",
        "SECRET_KEY": "a-long-random-production-key-for-tests-only",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "SESSION_COOKIE_SECURE": "false",  # plain http on loopback in the test
        "LOGIN_RATE_LIMIT": "4 per minute",
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        "UPLOAD_DIR": str(UPLOAD_DIR),
    }
    env.update(extra)
    return env


class Instance:
    def __init__(self, process: subprocess.Popen, port: int):
        self.process = process
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        stop(self.process)


def start_instance(database_url: str, workers: int = 2, **extra_env: str) -> Instance:
    port = free_port()
    env = {
        key: value
        for key, value in production_env(database_url, **extra_env).items()
        if key not in os.environ or os.environ[key] != value
    }
    return Instance(start_gunicorn(database_url, port, workers, **env), port)


@pytest.fixture(scope="module")
def two_instances(request, production_database):
    """Two instances; a test module may set INSTANCE_ENV to change their settings."""
    extra = getattr(request.module, "INSTANCE_ENV", {})
    first = start_instance(production_database, **extra)
    second = start_instance(production_database, **extra)
    yield first, second
    first.stop()
    second.stop()
