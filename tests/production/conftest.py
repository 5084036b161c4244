"""Production mode for real: gunicorn processes sharing one PostgreSQL and one Redis."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from redis import Redis
from sqlalchemy.engine import make_url

from tests.conftest import DEFAULT_PG_URL, missing_service

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/14"

# Several processes share these services; keep them on one xdist worker.
pytestmark = pytest.mark.xdist_group("production")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    }
    env.update(extra)
    return env


class Instance:
    def __init__(self, process: subprocess.Popen, port: int):
        self.process = process
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_gunicorn(database_url: str, workers: int = 2, **extra_env: str) -> Instance:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "wsgi:app",
        ],
        cwd=ROOT,
        env=production_env(database_url, **extra_env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    instance = Instance(process, port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {process.stderr.read().decode()[-2000:]}")
        try:
            if requests.get(f"{instance.url}/healthz", timeout=5).ok:
                return instance
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.3)
    instance.stop()
    raise RuntimeError("gunicorn did not become healthy within 60 s")


@pytest.fixture(scope="module")
def two_instances(request, production_database):
    """Two instances; a test module may set INSTANCE_ENV to change their settings."""
    extra = getattr(request.module, "INSTANCE_ENV", {})
    first = start_gunicorn(production_database, **extra)
    second = start_gunicorn(production_database, **extra)
    yield first, second
    first.stop()
    second.stop()
