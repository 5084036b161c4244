"""Fixtures shared by the whole suite.

Every test that uses `app` runs once per database backend (SQLite and PostgreSQL; choose with
--backends). PostgreSQL gets a database per xdist worker. Locally a missing PostgreSQL skips
with a loud reason; in CI (CI=true) it fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask, g, request_started
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url
from wtforms import SelectField

from convention import create_app
from convention.extensions import db

IN_CI = os.environ.get("CI", "").lower() == "true"
DEFAULT_PG_URL = "postgresql+psycopg://127.0.0.1:5432/test"


def pytest_addoption(parser):
    parser.addoption(
        "--backends",
        default=os.environ.get("TEST_BACKENDS", "sqlite,postgresql"),
        help="comma-separated database backends to run database tests on",
    )


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        backends = metafunc.config.getoption("--backends").split(",")
        if metafunc.definition.get_closest_marker("postgres_only"):
            backends = ["postgresql"]
        metafunc.parametrize("backend", backends, scope="session")


def missing_service(reason: str):
    if IN_CI:
        pytest.fail(f"CI needs this service: {reason}", pytrace=False)
    pytest.skip(f"SERVICE MISSING, TEST SKIPPED: {reason}")


def _postgres_url(worker: str) -> str:
    base = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL))
    # Unique per process: several test runs may share one server.
    name = f"convention_test_{worker}_{os.getpid()}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        missing_service(f"PostgreSQL at {base.render_as_string(hide_password=True)}: {error}")
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(url: str) -> None:
    target = make_url(url)
    admin = sa.create_engine(
        make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL)), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(backend, tmp_path_factory, worker_id) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    url = _postgres_url(worker_id)
    yield url
    _drop_postgres_database(url)


def test_config(database_url: str, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        # Tests read English unless they ask for Japanese (Accept-Language or a user's choice).
        "BABEL_DEFAULT_LOCALE": "en",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_URL": None,
        "MAIL_POLL_SECONDS": 0,  # mail goes out after the request that queued it, no other
        "REDIS_URL": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": "convention.test",
        # Real argon2id, with the cheapest parameters: hashing dominated the suite's time.
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
    }
    config.update(overrides)
    return config


test_config.__test__ = False  # a helper, not a test, wherever it is imported


@pytest.fixture(scope="session")
def _schema(database_url) -> Iterator[str]:
    app = create_app(test_config(database_url))
    with app.app_context():
        db.create_all()
    yield database_url
    with app.app_context():
        db.engine.dispose()


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{table.name}"' for table in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app_config() -> dict:
    """Override in a test module (or parametrize) to change settings for its app."""
    return {}


@pytest.fixture(autouse=True, scope="session")
def _choices_are_select_choices() -> Iterator[None]:
    """WTForms 3.3 warns of choices given as tuples only where a field is declared with them;
    tuples a view sets later (`form.x.choices = [...]`) or a callable returns pass silently
    until 3.4 refuses them. Here they fail the test wherever they come from."""
    declared = SelectField.choices

    def choices(field):
        value = declared.fget(field)
        if isinstance(value, list | tuple) and any(isinstance(c, tuple) for c in value):
            raise TypeError(
                f"{field.name}: choices as tuples (WTForms 3.4 refuses them); build them with "
                "convention.forms.select_choices"
            )
        return value

    SelectField.choices = property(choices, declared.fset, doc=declared.__doc__)
    yield
    SelectField.choices = declared


def _fresh_g(sender, **extra) -> None:
    """The `app` fixture keeps one app context open for the whole test and Flask reuses it
    for the test client's requests, so `g` would carry one request's user (Flask-Login) and
    language (Flask-Babel) into the next, another client's included. A real request starts
    with an empty `g`; so does every test request."""
    for key in list(g):
        g.pop(key)


@pytest.fixture
def app(_schema, app_config, tmp_path) -> Iterator[Flask]:
    settings = {"UPLOAD_DIR": str(tmp_path / "uploads"), **app_config}
    app = create_app(test_config(_schema, **settings))
    request_started.connect(_fresh_g, app)
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def login(client: FlaskClient, user) -> FlaskClient:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


@pytest.fixture
def organiser(app):
    from tests.factories import make_user

    return make_user(roles=("organiser",), email="organiser@example.org")


@pytest.fixture
def door_staff(app):
    from tests.factories import make_user

    return make_user(roles=("door_staff",), email="door@example.org")


@pytest.fixture
def reviewer(app):
    from tests.factories import make_user

    return make_user(roles=("reviewer",), email="reviewer@example.org")


@pytest.fixture
def attendee(app):
    from tests.factories import make_user

    return make_user(email="attendee@example.org", name="Aiko Tanaka")


@pytest.fixture
def organiser_client(app, organiser) -> FlaskClient:
    return login(app.test_client(), organiser)


@pytest.fixture
def door_client(app, door_staff) -> FlaskClient:
    return login(app.test_client(), door_staff)


@pytest.fixture
def reviewer_client(app, reviewer) -> FlaskClient:
    return login(app.test_client(), reviewer)


@pytest.fixture
def attendee_client(app, attendee) -> FlaskClient:
    return login(app.test_client(), attendee)


@pytest.fixture
def outbox(app):
    """The emails queued so far, oldest first."""
    from convention.mail.models import OutboxMessage

    def read():
        return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()

    return read


@pytest.fixture
def frozen_time():
    """The clock stands still at 2025-11-20 09:00 Japan time (day one of the factories' default
    edition). Move it with `frozen_time.shift(timedelta(...))` or `.move_to(datetime)`."""
    import time_machine

    moment = datetime(2025, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    with time_machine.travel(moment, tick=False) as traveller:
        yield traveller


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Keep `xdist_group` working on pytest 9: pytest-xdist 3.8 renames `item._nodeid` to
    "<id>@<group>", but pytest 9 reads the id from `item._id`, so groups were ignored."""
    if not getattr(config.option, "loadgroup", False):
        return
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # pytest < 9: xdist does it itself
        return
    for item in items:
        groups = sorted(
            {
                str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                for m in item.iter_markers("xdist_group")
            }
        )
        if groups and "@" not in item.nodeid:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")
