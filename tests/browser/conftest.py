"""Browser tests: the real app served on loopback, driven by Debian's chromium through Playwright.

- `live_server`: the app (SQLite file in a temp dir, CSRF on, rate limits off, MAIL_URL unset so
  emails stay readable in the outbox table) served by werkzeug in a thread. Use
  `live_server.url("/path")`, `live_server.outbox()` and `with live_server.app_context(): ...`
  to create data. Each test module starts with empty tables; `demo_programme` loads the demo
  edition's programme (and returns its slug).
- `page`: a fresh browser context (no cookies) and page per test, 1280x900.
- `phone_page`: the same at 390x844 with touch, like a door volunteer's phone.
- `launch_browser(*extra_args)`: a separate chromium with more command-line switches, for example
  a fake camera::

      browser = launch_browser(*fake_camera_args("/tmp/badge.y4m"))
      page = new_page(browser)

  Pages made with `new_page` get a screenshot and their HTML saved to `test-artifacts/` when the
  test fails.
- `make_staff("organiser", language="en")` -> (email, password); `log_in(page, email, password)`
  works in either language (staff accounts default to Japanese, so assertions on English text
  need language="en").

Browser tests never use the `backend` parametrisation: they run once, on SQLite, on one xdist
worker (group "browser"). Without /usr/bin/chromium they skip loudly locally and fail in CI.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from convention import create_app
from convention.extensions import db
from tests.conftest import _empty_tables, missing_service

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PHONE_CONTEXT = {"viewport": PHONE, "is_mobile": True, "has_touch": True}  # a phone's browser
BROWSER_DIR = Path(__file__).resolve().parent


def fake_camera_args(video_file: str | os.PathLike) -> tuple[str, ...]:
    """Switches that make chromium play a .y4m file as its camera and allow it without asking."""
    return (
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video_file}",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # tryfirst: the marks must exist before xdist's loadgroup reads them.
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    def __init__(self, app, base_url: str):
        self.app = app
        self.base_url = base_url

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    @contextmanager
    def app_context(self):
        with self.app.app_context():
            try:
                yield
            finally:
                db.session.remove()

    def outbox(self, recipient: str | None = None) -> list:
        """Queued emails (oldest first), detached from the session so tests can read them."""
        from convention.mail.models import OutboxMessage

        with self.app_context():
            query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
            if recipient:
                query = query.where(OutboxMessage.recipient == recipient)
            messages = db.session.scalars(query).all()
            db.session.expunge_all()
            return messages


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    database = tmp_path_factory.mktemp("browser-db") / "browser.sqlite3"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-test-secret-key",
            "BABEL_DEFAULT_LOCALE": "en",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAIL_URL": None,
            "REDIS_URL": None,
            "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
        }
    )
    with app.app_context():
        db.create_all()
    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(app, f"http://127.0.0.1:{port}")
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module", autouse=True)
def _fresh_database(live_server):
    """Each test module starts with empty tables: modules do not see each other's editions.
    (Tests inside one module share the database, so module-scoped data fixtures work.)"""
    with live_server.app_context():
        _empty_tables()
    yield


@pytest.fixture
def demo_programme(live_server):
    """The demo edition's programme (two days, rooms, sessions), loaded once per module;
    returns the edition's slug."""
    from convention.events import demo as events_demo
    from convention.events.services import current_edition

    with live_server.app_context():
        edition = current_edition() or events_demo.load()
        db.session.commit()
        slug = edition.slug
    return slug


def log_in(page, email: str, password: str) -> None:
    """Log in through the form, whatever the page's language."""
    page.goto("/account/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    page.locator(".site-header form[action$='/account/logout']").wait_for()


@pytest.fixture
def make_staff(live_server) -> Callable:
    """make_staff(*roles, language="en") -> (email, password) of a new verified account.
    Staff accounts default to Japanese; tests that read English text pass language="en"."""
    from convention.accounts.models import Role
    from convention.accounts.services import create_staff_user

    def make(*roles: str, language: str = "en", name: str = "Browser Staff"):
        email = f"staff-{uuid.uuid4().hex[:8]}@example.org"
        password = f"password {uuid.uuid4().hex}"
        with live_server.app_context():
            user = create_staff_user(email, password, name, *(Role(role) for role in roles))
            user.language = language
            db.session.commit()
        return email, password

    return make


@pytest.fixture(scope="session")
def _playwright():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        missing_service(
            f"chromium not found at {CHROMIUM}: install Debian's package "
            "(apt-get install -y chromium); never `playwright install`"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:  # pragma: no cover - depends on the environment
        missing_service(f"the playwright Python package is not installed: {error}")
    with sync_playwright() as playwright:
        yield playwright


def _launch(playwright, *extra_args: str):
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *extra_args]
    )


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _launch(_playwright)
    yield browser
    browser.close()


class _Opened:
    """What one test opened: browser contexts, and browsers launched with extra switches."""

    def __init__(self):
        self.contexts: list = []
        self.browsers: list = []


@pytest.fixture
def _opened(request) -> Iterator[_Opened]:
    # One fixture closes everything, in order: save the failing pages, close the contexts, then
    # the browsers launched for this test (a closed browser cannot take a screenshot).
    opened = _Opened()
    for stale in ARTIFACTS.glob(f"{_artifact_stem(request.node.nodeid)}*"):
        stale.unlink()  # a pass must not leave an earlier failure's pictures behind
    yield opened
    report = getattr(request.node, "report_call", None)
    failed = report is not None and report.failed
    if failed:
        _save_artifacts(request.node.nodeid, [p for c in opened.contexts for p in c.pages])
    for context in opened.contexts:
        context.close()
    for browser in opened.browsers:
        browser.close()


def _artifact_stem(nodeid: str) -> str:
    nodeid = nodeid.split("@", 1)[0]  # xdist's "@group" suffix
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")


def _save_artifacts(nodeid: str, pages) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    stem = _artifact_stem(nodeid)
    for number, page in enumerate(pages):
        name = f"{stem}-{number}" if number else stem
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            (ARTIFACTS / f"{name}.html").write_text(page.content(), encoding="utf-8")
        except Exception as error:  # the page may have crashed: keep the other artefacts
            (ARTIFACTS / f"{name}.error.txt").write_text(repr(error), encoding="utf-8")


@pytest.fixture
def new_page(_opened, live_server) -> Callable:
    """new_page(browser, viewport=DESKTOP, **context_options) -> a page in a fresh context."""

    def make(browser, viewport: dict = DESKTOP, **options):
        context = browser.new_context(
            viewport=viewport, base_url=live_server.base_url, **{"locale": "en-GB", **options}
        )
        context.set_default_timeout(10_000)
        _opened.contexts.append(context)
        return context.new_page()

    return make


@pytest.fixture
def page(browser, new_page):
    return new_page(browser)


@pytest.fixture
def phone_page(browser, new_page):
    return new_page(browser, **PHONE_CONTEXT)


@pytest.fixture
def launch_browser(_playwright, _opened) -> Callable:
    """launch_browser(*extra_args) -> a new chromium (closed after the test)."""

    def launch(*extra_args: str):
        browser = _launch(_playwright, *extra_args)
        _opened.browsers.append(browser)
        return browser

    return launch
