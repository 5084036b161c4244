"""Door staff at the matching tables: the slot in progress first, the others one tap away."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from convention.accounts.models import Role
from convention.events.models import SessionKind
from convention.extensions import db
from tests.browser.test_matching_flow import log_in
from tests.factories import make_edition, make_session, make_user, register_confirmed

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

TOKYO = ZoneInfo("Asia/Tokyo")


def test_the_door_goes_from_slot_to_slot_and_marks_in_place(live_server, browser, new_page):
    from convention.matching import services

    begun = datetime.now(TOKYO) - timedelta(minutes=5)  # the first of three slots is under way
    with live_server.app_context():
        edition = make_edition(start=begun.date(), is_current=True)
        people = [make_user(f"{name}@example.org", name=name) for name in ("host", "a", "b", "c")]
        registrations = register_confirmed(edition, people)
        profiles = [
            services.save_profile(
                registration,
                {
                    "organisation_type": "local_company",
                    "organisation": f"Company {registration.user.name.upper()}",
                    "country": "JP",
                    "languages": ["en"],
                    "visible": True,
                },
            )
            for registration in registrations
        ]
        session = make_session(
            edition, begun.strftime("%H:%M"), 60, kind=SessionKind.MATCHING, capacity=None
        )
        services.setup_grid(session, slot_minutes=20, tables=2)
        for guest in profiles[1:]:  # the host meets each guest: one meeting in each slot
            services.respond(services.send_request(profiles[0], guest), guest, accept=True)
        services.schedule_session(session, time_limit=5)
        services.publish(session)
        door = make_user("door@example.org", roles=(Role.DOOR_STAFF.value,))
        db.session.commit()
        door_email = door.email

    page = new_page(browser)
    log_in(page, door_email)
    page.goto("/matching/door")
    slots = page.get_by_role("navigation", name="Slots")
    current = slots.locator('[aria-current="true"]')
    expect(current).to_contain_text("now")
    expect(page.locator("main h2")).to_contain_text("In progress")
    rows = page.locator("#door-slots tbody tr")
    expect(rows).to_have_count(1)

    # Marked in place: the row's own form swaps the row, nothing else.
    rows.get_by_role("button", name="Held").click()
    expect(rows.locator(".tag-held")).to_have_text("Held")
    expect(rows).to_have_count(1)
    expect(current).to_contain_text("1/1 marked")  # the slot's link counts it at once

    # The next slot is one tap away; the address follows, so a reload stays there.
    slots.get_by_role("link").nth(1).click()
    expect(page).to_have_url(re.compile(r"slot=\d{4}-\d\d-\d\dT"))
    expect(slots.locator('[aria-current="true"]')).to_contain_text("0/1 marked")
    expect(page.locator("main h2")).not_to_contain_text("In progress")
    expect(rows.get_by_role("button", name="Held")).to_be_visible()
    page.reload()
    expect(slots.locator('[aria-current="true"]')).to_contain_text("0/1 marked")

    # Back to the first: still counted as marked.
    slots.get_by_role("link").first.click()
    expect(slots.locator('[aria-current="true"]')).to_contain_text("1/1 marked")
    slots.get_by_role("link", name="Every slot").click()
    expect(rows).to_have_count(3)
