"""An organiser edits the programme in a real browser: inline rows swapped by htmx, the room
clash refused beside the field, cancel and delete with confirmation; and a visitor filters
the programme with the form's selects."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PASSWORD = "organiser browser password"


@pytest.fixture
def organiser_page(page: Page, live_server) -> Page:
    from convention.accounts.models import Role
    from convention.accounts.services import create_staff_user

    email = f"events-organiser-{uuid.uuid4().hex[:8]}@example.org"
    with live_server.app_context():
        user = create_staff_user(email, PASSWORD, "Events Organiser", Role.ORGANISER)
        user.language = "en"
        from convention.extensions import db

        db.session.commit()
    page.goto("/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page.locator(".site-header")).to_contain_text("Log out")
    return page


def test_organiser_edits_a_session_inline_and_is_told_about_a_clash(
    organiser_page: Page, live_server, demo_programme
):
    from sqlalchemy import select

    from convention.events.models import Edition, Session
    from convention.extensions import db

    with live_server.app_context():
        edition = db.session.scalar(select(Edition).where(Edition.slug == demo_programme))
        hydrogen = db.session.scalar(select(Session).where(Session.slug == "hydrogen"))
        edition_id, session_id = edition.id, hydrogen.id
        first_day = edition.start_date

    page = organiser_page
    page.goto(f"/admin/editions/{edition_id}/")
    row = page.locator(f"#session-{session_id}")
    expect(row).to_contain_text("Building a hydrogen supply chain")

    # Edit swaps the row for a form in place (no page load: the URL stays)
    url_before = page.url
    row.get_by_role("link", name="Edit").click()
    form_row = page.locator(f"#session-{session_id}.editing")
    expect(form_row).to_be_visible()
    assert page.url == url_before

    # Move it onto the opening keynote in the Main Hall: the room field says so at once
    # (inline check), and saving is refused with the same message
    form_row.get_by_label("Starts (JST)").fill(f"{first_day.isoformat()}T10:30")
    form_row.get_by_label("Ends (JST)").fill(f"{first_day.isoformat()}T11:30")
    form_row.get_by_label("Capacity").fill("100")
    form_row.get_by_label("Room").select_option(label="Main Hall")
    error = page.locator(f"#session-{session_id}-room_id-error")
    expect(error).to_contain_text("Main Hall is already used by “Opening and keynote")
    expect(page.locator(f"#session-{session_id}.editing")).to_be_visible()  # nothing saved
    # (the message is already there: wait for the save's own answer)
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(f"/sessions/{session_id}/edit")
    ) as refused:
        form_row.get_by_role("button", name="Save").click()
    assert refused.value.status == 422  # refused like a form: app.js has htmx swap it in place
    expect(error).to_contain_text("Main Hall is already used by “Opening and keynote")
    expect(page.locator("#htmx-error")).to_have_count(0)

    # Cancel brings the unchanged row back
    form_row.get_by_role("link", name="Cancel").click()
    expect(page.locator(f"#session-{session_id}.editing")).to_have_count(0)
    expect(page.locator(f"#session-{session_id}")).to_contain_text("Room A")

    # A valid change is saved and the row shows it
    page.locator(f"#session-{session_id}").get_by_role("link", name="Edit").click()
    form_row = page.locator(f"#session-{session_id}.editing")
    form_row.get_by_label("Title (English)").fill("Hydrogen supply chains in practice")
    form_row.get_by_role("button", name="Save").click()
    saved = page.locator(f"#session-{session_id}")
    expect(saved).to_contain_text("Hydrogen supply chains in practice")
    expect(saved).to_contain_text("Saved")
    expect(page.locator(f"#session-{session_id}.editing")).to_have_count(0)


def test_organiser_adds_and_deletes_a_room_with_confirmation(
    organiser_page: Page, live_server, demo_programme
):
    from sqlalchemy import select

    from convention.events.models import Edition
    from convention.extensions import db

    with live_server.app_context():
        edition_id = db.session.scalar(select(Edition.id).where(Edition.slug == demo_programme))

    page = organiser_page
    page.goto(f"/admin/editions/{edition_id}/")
    page.get_by_text("Add a room").click()
    create = page.locator("#new-room")
    create.get_by_label("Name (Japanese)").fill("会議室C")
    create.get_by_label("Name (English)").fill("Room C")
    create.get_by_label("Capacity").fill("-4")
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(f"/{edition_id}/rooms")
    ) as refused:
        create.get_by_role("button", name="Add room").click()
    assert refused.value.status == 422
    expect(page.locator("#new-room-capacity-error")).to_have_text("Capacity cannot be negative.")
    page.locator("#new-room").get_by_label("Capacity").fill("40")
    page.locator("#new-room").get_by_role("button", name="Add room").click()
    new_row = page.locator("#room-rows tr", has_text="Room C")
    expect(new_row).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    new_row.get_by_role("link", name="Delete").click()
    expect(page.locator("#room-rows tr", has_text="Room C")).to_have_count(0)

    # A room with sessions is kept, and the row says why
    hall = page.locator("#room-rows tr", has_text="Main Hall")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_response(lambda r: r.url.endswith("/delete")) as refused:
        hall.get_by_role("link", name="Delete").click()
    assert refused.value.status == 422
    expect(page.locator("#room-rows tr", has_text="Main Hall")).to_contain_text("cannot be deleted")
    expect(page.locator("#htmx-error")).to_have_count(0)


def test_visitor_filters_with_the_form_and_the_address_follows(page: Page, demo_programme):
    page.goto("/programme")
    sessions = page.locator("#session-list .session-item")
    expect(sessions.first).to_be_visible()
    page.locator("#filter-language").select_option("en")
    expect(page).to_have_url(re.compile(r"/programme\?.*language=en"))
    for item in sessions.all():
        expect(item.locator(".tag-language")).not_to_have_text("JA")
    # A day tab keeps the language and the form's selects follow the list
    page.locator("#session-list .day-tabs a").nth(2).click()
    expect(page).to_have_url(re.compile(r"day=.*language=en|language=en.*day="))
    expect(page.locator("#filter-day")).not_to_have_value("")
    expect(page.locator("#filter-language")).to_have_value("en")
