"""The main pages pass axe-core's automated WCAG 2 A/AA checks (contrast, labels, landmarks,
names of links and buttons, language of the page ...) in both languages.

Automated checks find about a third of accessibility problems; the keyboard and focus tests in
test_screens.py cover a little more. The bundled axe-core runs inside the page: no network.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright")

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def wcag_violations(page: Page) -> str | None:
    """axe-core's report of the page's violations, or None when it found none."""
    results = axe_playwright.Axe().run(page, options=WCAG_AA)
    return f"{page.url}\n{results.generate_report()}" if results.violations_count else None


def assert_accessible(page: Page) -> None:
    report = wcag_violations(page)
    assert report is None, report


@pytest.mark.parametrize("locale", ["en-GB", "ja-JP"])
def test_public_pages_pass_automated_wcag_checks(browser, new_page, demo_programme, locale):
    page = new_page(browser, locale=locale)
    for path in (
        "/",
        "/programme",
        "/programme/opening",
        "/register",
        "/account/login",
        "/no-such-page",
    ):
        page.goto(path)
        assert_accessible(page)

    page.goto("/account/sign-up")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".field.has-error").first).to_be_visible()
    assert_accessible(page)


def test_back_office_pages_pass_automated_wcag_checks(page: Page, make_staff, demo_programme):
    log_in(page, *make_staff("organiser"))
    for path in ("/admin/outbox/", "/admin/editions/"):
        page.goto(path)
        assert_accessible(page)
