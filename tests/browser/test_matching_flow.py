"""Two participants go from profile to request, acceptance, scheduling, agenda and a held
meeting with a deal; the organiser runs the scheduler and door staff mark the meeting held."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from convention.accounts.models import Role
from convention.events.models import SessionKind
from convention.extensions import db
from tests.browser.conftest import PHONE
from tests.factories import PASSWORD, make_edition, make_session, make_user, register_confirmed

TOKYO = ZoneInfo("Asia/Tokyo")


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page.locator(".site-header")).to_contain_text("Log out")


def fill_profile(page: Page, organisation: str, kind: str, country: str, ticks: list[str]):
    page.goto("/matching/profile")
    page.get_by_label("Organisation type").select_option(kind)
    page.get_by_label("Organisation", exact=True).fill(organisation)
    page.get_by_label("Country or region").select_option(country)
    for label in ticks:
        page.locator(label).check()
    page.get_by_role("button", name="Save my profile").click()
    expect(page.locator(".flashes")).to_contain_text("Your matching profile is saved.")


def test_two_participants_from_profile_to_a_held_meeting(live_server, browser, new_page):
    tag = uuid.uuid4().hex[:6]
    # The matching session began a few minutes ago: door staff mark a meeting held only once
    # its slot has begun.
    begun = datetime.now(TOKYO) - timedelta(minutes=5)
    with live_server.app_context():
        edition = make_edition(start=begun.date(), is_current=True)
        people = {
            key: make_user(f"{key}-{tag}@example.org", name=f"{key.title()} Person")
            for key in ("company", "city")
        }
        register_confirmed(edition, list(people.values()))
        people = {key: user.email for key, user in people.items()}
        session = make_session(
            edition, begun.strftime("%H:%M"), 60, kind=SessionKind.MATCHING, capacity=None
        )
        session_id = session.id
        edition_id = edition.id
        organiser = make_user(f"organiser-{tag}@example.org", roles=(Role.ORGANISER.value,))
        door = make_user(f"door-{tag}@example.org", roles=(Role.DOOR_STAFF.value,))
        db.session.commit()
        organiser_email, door_email = organiser.email, door.email

    company = new_page(browser)
    log_in(company, people["company"])
    fill_profile(
        company,
        "Hama Waste-to-Energy",
        "local_company",
        "JP",
        ["#offer_codes-5", "#languages-0", "#languages-1"],  # waste-to-energy; ja, en
    )
    city = new_page(browser)
    log_in(city, people["city"])
    fill_profile(
        city,
        "Da Nang City",
        "overseas_city",
        "VN",
        ["#need_codes-5", "#languages-1"],  # waste-to-energy; en
    )
    # The city sees the company recommended, with the reason.
    city.goto("/matching")
    expect(city.locator(".recommendations")).to_contain_text(
        "your need: Waste-to-energy — their offer"
    )

    # The company searches the directory (htmx active search) and sends a request.
    company.goto("/matching")
    company.get_by_label("Search", exact=True).fill("Da Nang")
    expect(company).to_have_url(re.compile(r"q=Da(%20|\+)Nang"))
    results = company.locator("#directory-results")
    expect(results).to_contain_text("1 participant")
    results.get_by_role("link", name="Da Nang City").click()
    company.get_by_label("Message").fill("Shall we talk about your 500 t/day plant?")
    company.get_by_label("Priority").select_option("3")
    company.get_by_role("button", name="Send the request").click()
    expect(company.locator(".flashes")).to_contain_text("Your request was sent to Da Nang City.")

    # The city accepts in place (htmx swaps the row).
    city.goto("/matching/requests")
    row = city.locator(".request").first
    expect(row).to_contain_text("Shall we talk about your 500 t/day plant?")
    row.get_by_role("button", name="Accept").click()
    expect(city.locator(".request").first).to_contain_text("Accepted")

    # The organiser sets up the grid, runs the scheduler and publishes.
    organiser = new_page(browser)
    log_in(organiser, organiser_email)
    organiser.goto(f"/matching/admin/sessions/{session_id}")
    organiser.get_by_label("Tables", exact=True).fill("2")
    organiser.get_by_role("button", name="Set up the grid").click()
    expect(organiser.locator(".flashes")).to_contain_text("The grid is ready.")
    organiser.get_by_label("Time limit (seconds)").fill("5")
    organiser.get_by_role("button", name="Run the scheduler").click()
    expect(organiser.locator(".job")).to_contain_text("1 meetings placed, 0 unscheduled")
    organiser.once("dialog", lambda dialog: dialog.accept())
    organiser.get_by_role("button", name="Publish the drafts").click()
    expect(organiser.locator(".flashes")).to_contain_text("1 meetings published")
    expect(organiser.locator("#board")).to_contain_text("Hama Waste-to-Energy")

    # Both see it in their agenda; the city got the agenda by email with a calendar file.
    city.goto("/matching/agenda")
    expect(city.locator(".agenda")).to_contain_text("Hama Waste-to-Energy")
    mail = next(m for m in live_server.outbox(people["city"]) if m.template == "matching/agenda")
    assert "Table 1" in mail.body_text

    # Door staff mark it held at the table.
    door_page = new_page(browser)
    log_in(door_page, door_email)
    door_page.goto("/matching/door")
    door_page.get_by_role("button", name="Held").click()
    expect(door_page.locator("tbody tr .tag-held")).to_have_text("Held")

    # The company records a deal, on its phone: the outcome and the note fill the card.
    company.set_viewport_size(PHONE)
    company.goto("/matching/agenda")
    card = company.locator(".agenda > li.card").first
    inner = card.evaluate(
        "e => { const s = getComputedStyle(e);"
        " return e.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight); }"
    )
    for field in ("How did it go? Outcome", "Note"):
        width = company.get_by_label(field).bounding_box()["width"]
        assert abs(width - inner) < 1, f"{field}: {width}px in a card {inner}px wide"
    company.get_by_label("How did it go? Outcome").select_option("deal")
    company.get_by_role("button", name="Save").click()
    expect(company.locator(".follow-up .follow-up-answer")).to_contain_text(
        "Deal (business agreed)"
    )
    with live_server.app_context():
        from convention.matching import services

        assert services.kpi_meetings_held([edition_id]) == 1
        assert services.kpi_deals([edition_id]) == 1
