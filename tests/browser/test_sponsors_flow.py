"""A company picks a booth on the SVG floor plan (htmx holds it), applies for a tier with it,
and lands on its sponsor portal; another company sees the booth as held. Screenshots go to
test-artifacts/screens/ for a human to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, log_in
from tests.browser.test_accessibility import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SCREENS = ARTIFACTS / "screens"


@pytest.fixture
def sponsor_edition(live_server, demo_programme):
    from convention.events.services import current_edition
    from convention.extensions import db
    from convention.sponsors.models import Booth, BoothOption, SponsorTier

    with live_server.app_context():
        edition = current_edition()
        if db.session.query(SponsorTier).count():  # the module's tests share the database
            return demo_programme
        db.session.add(
            SponsorTier(
                edition_id=edition.id,
                name_ja="ゴールド",
                name_en="Gold",
                price=1_000_000,
                quantity=3,
                complimentary_passes=5,
                included_booths=1,
            )
        )
        for number in range(1, 7):
            db.session.add(
                Booth(
                    edition_id=edition.id,
                    code=f"A-{number:02d}",
                    zone="Energy",
                    x=(number - 1) * 3,
                    y=0,
                    width=3,
                    depth=3,
                    price=150_000,
                )
            )
        db.session.add(
            BoothOption(
                edition_id=edition.id,
                code="power",
                name_ja="電源",
                name_en="Electricity",
                price=20_000,
            )
        )
        db.session.commit()
    return demo_programme


def test_a_company_picks_a_booth_on_the_map_and_applies(
    page: Page, browser, new_page, make_staff, sponsor_edition, live_server
):
    email, password = make_staff(name="Hanako Sato")
    log_in(page, email, password)
    page.goto("/sponsors/apply")
    booth = page.locator('svg.floorplan [data-booth="A-03"]')
    expect(booth).to_have_attribute("data-state", "free")
    booth.click()
    held = page.locator('svg.floorplan [data-booth="A-03"]')
    expect(held).to_have_attribute("data-state", "mine")
    expect(page.get_by_label("A-03 · Energy", exact=False)).to_be_checked()
    # The options for the chosen booth appear with it.
    page.locator("#booth-options").get_by_label("Electricity", exact=False).check()
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "sponsors-apply-desktop.png"), full_page=True)
    assert_accessible(page)

    # Another company, at the same time, sees the booth held and cannot take it.
    other_email, other_password = make_staff(name="Rival")
    rival = new_page(browser)
    log_in(rival, other_email, other_password)
    rival.goto("/sponsors/apply")
    expect(rival.locator('svg.floorplan [data-booth="A-03"]')).to_have_attribute(
        "data-state", "held"
    )
    expect(rival.get_by_label("A-03 · Energy", exact=False)).to_be_disabled()

    page.get_by_label("Gold", exact=False).check()
    page.get_by_label("Company name (Japanese)").fill("株式会社グリーンテック")
    page.get_by_label("Company name (English)").fill("Green Tech KK")
    page.get_by_label("Qualified invoice registration number", exact=False).fill("T7000012050002")
    page.get_by_label("Billing address").fill("東京都港区芝1-2-3")
    page.get_by_role("button", name="Send the application").click()

    expect(page.locator("h1")).to_have_text("Green Tech KK")
    expect(page.locator("#application-status")).to_have_text("submitted, waiting for review")
    expect(page.locator("main")).to_contain_text("A-03 (Energy, 3×3 m, included, Electricity)")
    page.screenshot(path=str(SCREENS / "sponsors-portal-desktop.png"), full_page=True)
    assert_accessible(page)
    page.goto("/sponsors")
    assert_accessible(page)

    rival.reload()
    expect(rival.locator('svg.floorplan [data-booth="A-03"]')).to_have_attribute(
        "data-state", "held"
    )
    with live_server.app_context():
        from sqlalchemy import select

        from convention.extensions import db
        from convention.sponsors.models import SponsorApplication

        application = db.session.scalar(select(SponsorApplication))
        assert [item.booth.code for item in application.booths] == ["A-03"]
        assert application.booths[0].options[0]["code"] == "power"


def test_a_booth_taken_meanwhile_is_refused_in_the_picker(
    page: Page, make_staff, sponsor_edition, live_server
):
    """The picker's refusal answers 422: app.js has htmx swap it like a 200, so the message
    and the booth's new state appear in place."""
    import uuid

    from sqlalchemy import select

    from convention.extensions import db
    from convention.sponsors import services
    from convention.sponsors.models import Booth
    from tests.factories import make_user

    log_in(page, *make_staff(name="Late Company"))
    page.goto("/sponsors/apply")
    booth = page.locator('svg.floorplan [data-booth="A-06"]')
    expect(booth).to_have_attribute("data-state", "free")
    with live_server.app_context():  # meanwhile another company holds it
        taken = db.session.scalar(select(Booth).where(Booth.code == "A-06"))
        services.hold_booth(make_user(f"rival-{uuid.uuid4().hex[:8]}@example.org"), taken)
        booth_id = taken.id

    with page.expect_response(
        lambda r: r.url.endswith(f"/sponsors/apply/booths/{booth_id}")
    ) as sent:
        booth.click()
    assert sent.value.status == 422
    expect(page.locator("#booth-picker").get_by_role("alert")).to_contain_text(
        "Booth A-06 was just taken by another company"
    )
    expect(page.locator('svg.floorplan [data-booth="A-06"]')).to_have_attribute(
        "data-state", "held"
    )
    expect(page.locator("#htmx-error")).to_have_count(0)


def test_booth_staff_scan_leads_with_the_door_scanner(
    page: Page, make_staff, sponsor_edition, live_server
):
    """The door's scanner component, pointed at the lead API: a USB scanner types the badge."""
    from sqlalchemy import select

    from convention.events.services import current_edition
    from convention.extensions import db
    from convention.sponsors import services
    from convention.sponsors.models import Booth
    from tests.factories import PASSWORD
    from tests.sponsors.helpers import make_attendee, paid_application, register_with_pass

    with live_server.app_context():
        edition = current_edition()
        booth = db.session.scalar(select(Booth).where(Booth.code == "A-05"))
        application = paid_application(edition, booths=[booth], company="Blue Sky Power")
        (exhibitor_pass,) = services.ensure_passes(application)
        staff = register_with_pass(edition, exhibitor_pass.code, name="Booth Staff")
        staff.user.language = "en"
        db.session.commit()
        staff_email = staff.user.email
        willing = make_attendee(edition, name="Willing Visitor", consent=True).badge_token
        private = make_attendee(edition, name="Private Visitor", consent=False).badge_token
        application_id = application.id

    log_in(page, staff_email, PASSWORD)
    page.goto("/my/sponsor/")
    page.get_by_role("link", name="Scan leads for Blue Sky Power").click()
    expect(page).to_have_url(f"{live_server.base_url}/my/sponsor/{application_id}/leads")
    wedge = page.locator("#wedge-input")
    expect(wedge).to_be_focused()  # the scanner script has started and listens for Enter
    wedge.fill(willing)
    wedge.press("Enter")
    expect(page.locator("#scan-result .scan-answer")).to_contain_text("Lead saved")
    expect(page.locator("#scan-result")).to_contain_text("Willing Visitor")
    expect(page.locator("#leads")).to_contain_text("Willing Visitor")  # refreshed by the event

    wedge.fill(private)
    wedge.press("Enter")
    expect(page.locator("#scan-result .scan-answer")).to_contain_text(
        "did not agree to share contact details with sponsors: nothing was stored"
    )
    expect(page.locator("#leads")).not_to_contain_text("Private Visitor")

    lead = page.locator(".lead-item", has_text="Willing Visitor")
    lead.get_by_label("Rating").select_option("hot")
    lead.get_by_label("Notes").fill("Wants a quote for rooftop solar")
    lead.get_by_role("button", name="Save").click()
    expect(page.locator(".lead-item", has_text="Willing Visitor")).to_contain_text("Saved")
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "sponsors-leads-desktop.png"), full_page=True)
    assert_accessible(page)


def test_the_organisers_sponsor_pages_pass_automated_wcag_checks(
    page: Page, make_staff, sponsor_edition
):
    log_in(page, *make_staff("organiser"))
    for path in (
        "/admin/sponsors/?status=all",
        "/admin/sponsors/booths",
        "/admin/sponsors/revenue",
        "/admin/sponsors/tiers",
    ):
        page.goto(path)
        assert_accessible(page)
    page.goto("/admin/sponsors/booths")
    expect(page.locator('svg.floorplan [data-booth="A-01"]')).to_have_attribute(
        "data-state", "free"
    )
