"""A visitor's first path through the app in a real browser."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from convention import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PASSWORD = "a long enough password"
JA_CATALOG = ROOT / "convention" / "translations" / "ja" / "LC_MESSAGES" / "messages.mo"


def header_login_link(page: Page):
    return page.locator(".site-header .account-nav a[href$='/account/login']")


def test_visitor_browses_programme_switches_language_signs_up_verifies_and_logs_in(
    page: Page, live_server, demo_programme
):
    email = f"visitor-{uuid.uuid4().hex[:8]}@example.org"

    # A visitor whose browser asks for English gets the English site.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(header_login_link(page)).to_have_text("Log in")

    # The programme lists the sessions; a filter narrows the list in place (htmx) and the
    # address follows, so the filtered view can be shared or bookmarked.
    page.locator(".main-nav").get_by_role("link", name="Programme").click()
    expect(page.get_by_role("heading", level=1, name="Programme")).to_be_visible()
    sessions = page.locator("#session-list .session-item")
    expect(sessions.first).to_be_visible()
    everything = sessions.count()
    page.locator("#session-list").get_by_role("link", name="Site visit", exact=True).click()
    expect(page).to_have_url(re.compile(r"/programme\?.*kind=site_visit"))
    expect(sessions).not_to_have_count(everything)
    expect(sessions.first).to_contain_text("Site visit")
    for item in sessions.all():
        expect(item.locator(".tag-kind")).to_have_text("Site visit")

    # ... switches to Japanese on that page, and the whole page follows, filter kept: the
    # sessions' own titles (written in both languages by the organisers) and the interface.
    english_title = sessions.first.locator(".session-title").inner_text()
    page.get_by_role("button", name="日本語").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page).to_have_url(re.compile(r"/programme\?.*kind=site_visit"))
    expect(sessions.first.locator(".session-title")).not_to_have_text(english_title)
    expect(page.get_by_role("button", name="English")).to_be_visible()
    expect(page.get_by_role("button", name="日本語")).to_have_count(0)
    if JA_CATALOG.exists():
        expect(header_login_link(page)).not_to_have_text("Log in")
        expect(page.get_by_role("heading", level=1)).not_to_have_text("Programme")

    # ... and back to English.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(header_login_link(page)).to_have_text("Log in")

    # Signing up with a too-short password shows the problem beside the field.
    page.locator(".site-header").get_by_role("link", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/account/sign-up$"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("short")
    page.get_by_label("Full name").fill("Hana Suzuki")
    page.get_by_label("Organisation").fill("Green Port Logistics")
    page.get_by_label("Participant category").select_option("business")
    page.get_by_label("Preferred language").select_option("en")
    page.locator("main").get_by_role("button", name="Sign up").click()
    password = page.get_by_label("Password")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#password-error")).to_be_visible()
    expect(page.locator("#password-error")).to_contain_text("10")
    # A screen reader announces the hint and the error with the field.
    expect(password).to_have_accessible_description(re.compile(r"At least 10 characters.*10"))
    expect(page.get_by_label("Full name")).to_have_value("Hana Suzuki")

    password.fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.locator("main")).to_contain_text(email)
    expect(header_login_link(page)).to_be_visible()  # not logged in yet

    # The verification link arrives by email (the outbox, as no SMTP server is configured).
    messages = live_server.outbox(recipient=email)
    assert len(messages) == 1
    link = re.search(r"https?://\S+/account/verify/\S+", messages[0].body_text)
    assert link, messages[0].body_text
    page.goto(link.group(0))
    expect(page.locator(".flash-success")).to_contain_text("confirmed")
    account = page.locator(".site-header .account-nav")
    expect(account.get_by_role("link", name="Hana Suzuki")).to_be_visible()

    # Log out ...
    account.get_by_role("button", name="Log out").click()
    expect(header_login_link(page)).to_be_visible()
    expect(page.locator(".site-header")).not_to_contain_text("Hana Suzuki")

    # ... a wrong password is refused without saying whether the account exists ...
    header_login_link(page).click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the password")
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page.locator(".form-errors")).to_contain_text("Email or password is not correct")

    # ... and the right one logs the person in again.
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(account.get_by_role("link", name="Hana Suzuki")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
