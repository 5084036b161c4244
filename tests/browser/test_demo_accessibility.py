"""Every page of the loaded demo passes axe-core's automated WCAG 2 A/AA checks, as each demo
login sees it (in that login's own language): the pages with real data in them, where tables,
badges, charts, filters and per-row forms show, which the empty-database checks of
test_accessibility.py never see."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE_CONTEXT, log_in
from tests.browser.test_accessibility import wcag_violations
from tests.test_demo import (
    ATTENDEE_PAGES,
    ORGANISER_PAGES,
    PUBLIC_PAGES,
    _pages_of_demo_records,
    _parameterless_get_urls,
)
from tests.test_form_sweep import (
    DOWNLOADS,
    ROLE_LOGINS,
    _door_pages,
    _pages_of_other_demo_logins,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# URLs that answer with a file (besides those named like one), log out, or answer with a
# fragment that htmx loads into a page (checked there).
NOT_PAGES = (
    "/account/logout",
    "/my/registration/badge",
    "/my/registration/calendar",
    "/register/availability",
)


@pytest.fixture(scope="module")
def demo_pages(live_server) -> dict[str, list[str]]:
    """`flask demo load` into the live server's database; each login's pages."""
    result = live_server.app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    with live_server.app_context():
        pages = {
            "visitor": PUBLIC_PAGES,
            "attendee": ATTENDEE_PAGES,
            "door staff": _door_pages(),
            **_pages_of_other_demo_logins(),
            "organiser": [
                *ORGANISER_PAGES,
                *_parameterless_get_urls(live_server.app),
                *_pages_of_demo_records(),
            ],
        }
    return {
        role: [
            url
            for url in dict.fromkeys(urls)
            if not url.startswith(NOT_PAGES) and not url.endswith(DOWNLOADS)
        ]
        for role, urls in pages.items()
    }


# Every login (and a visitor, logged out) on a desktop; those who come on a phone (visitors,
# attendees, the door) also there.
SCREENS = [(role, "desktop") for role in ROLE_LOGINS] + [
    ("visitor", "phone"),
    ("attendee", "phone"),
    ("door staff", "phone"),
]


@pytest.mark.parametrize(("role", "screen"), SCREENS)
def test_every_page_of_the_demo_passes_automated_wcag_checks(
    browser, new_page, demo_pages, role, screen
):
    page = new_page(browser, **(PHONE_CONTEXT if screen == "phone" else {}))
    if ROLE_LOGINS[role]:
        log_in(page, *ROLE_LOGINS[role])
    reports = []
    for path in demo_pages[role]:
        page.goto(path)
        reports.append(wcag_violations(page))
    found = [report for report in reports if report]
    assert not found, f"{len(found)} of {len(reports)} pages:\n" + "\n".join(found)
