"""The KPI dashboard during a simulated live event: legible on a phone and a desktop, and the
panel picks up new check-ins by itself (htmx polling).

Screenshots land in test-artifacts/screens/kpi-dashboard-{phone,desktop}.png.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE_CONTEXT

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PASSWORD = "organiser kpi password"
SCREENS = ARTIFACTS / "screens"


def _log_in(page: Page, email: str) -> None:
    page.goto("/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page.locator(".site-header")).to_contain_text("Log out")


@pytest.fixture(scope="module")
def live_event(live_server):
    """An edition running today with a morning of check-ins, seminars and matching, plus the
    demo's past editions for the fiscal-year table."""
    from convention.accounts.models import ParticipantCategory as C
    from convention.accounts.models import Role
    from convention.accounts.services import create_staff_user
    from convention.checkin.models import ListKind
    from convention.extensions import db
    from convention.kpi import demo, services
    from convention.matching.models import Meeting, MeetingStatus
    from convention.registration.models import SessionSignup, SignupStatus
    from convention.timeutil import utcnow
    from tests.factories import make_edition, make_session
    from tests.kpi.builders import checkin_list, register, scan, university

    email = f"kpi-{uuid.uuid4().hex[:8]}@example.org"
    slug = f"live-{uuid.uuid4().hex[:6]}"
    rng = random.Random(5)
    with live_server.app_context(), live_server.app.test_request_context():
        organiser = create_staff_user(email, PASSWORD, "KPI Organiser", Role.ORGANISER)
        organiser.language = "en"  # the assertions below read the English texts
        db.session.commit()
        edition = make_edition(
            services.today_jst(),
            days=2,
            slug=slug,
            name_en="Yokohama Decarbonization Convention (live)",
            name_ja="横浜脱炭素コンベンション（開催中）",
        )
        demo.load(edition)
        door = checkin_list(edition, ListKind.MAIN_DOOR, slug=f"{slug}-door")
        seminars = [
            make_session(edition, "10:00", 60, title_en=title, title_ja=title)
            for title in ("Offshore wind and ports", "Net-zero buildings", "Green finance")
        ]
        lists = [checkin_list(edition, ListKind.SESSION, session=s) for s in seminars]
        in_city = university(f"Yokohama City University {slug}", True)
        elsewhere = university(f"Tokyo Institute {slug}", False)
        kinds = [
            (C.BUSINESS, "JP", None),
            (C.BUSINESS, "VN", None),
            (C.GOVERNMENT, "TH", None),
            (C.GOVERNMENT, "JP", None),
            (C.GENERAL, "JP", None),
            (C.STUDENT, "JP", in_city.id),
            (C.STUDENT, "JP", elsewhere.id),
            (C.INTERNATIONAL_ORGANISATION, "US", None),
        ]
        now = utcnow()
        for number in range(90):
            category, country, uni = kinds[number % len(kinds)]
            person = register(edition, category=category, country=country, university_id=uni)
            if number % 9 == 8:
                continue  # registered, not here yet
            scan(door, person, now - timedelta(minutes=rng.triangular(1, 200, 150)))
            index = number % 3
            if number % 2:
                db.session.add(
                    SessionSignup(
                        registration_id=person.id,
                        session_id=seminars[index].id,
                        status=SignupStatus.CONFIRMED,
                    )
                )
                if number % 5:
                    scan(lists[index], person, now - timedelta(minutes=30))
        for status in [MeetingStatus.HELD] * 6 + [MeetingStatus.SCHEDULED] * 5:
            db.session.add(Meeting(edition_id=edition.id, status=status))
        db.session.commit()
        late = register(edition, category=C.PRESS)
        db.session.commit()
        ids = {"door_id": door.id, "late_id": late.id}
    return {"email": email, "slug": slug, **ids}


def _open(page: Page, event) -> None:
    _log_in(page, event["email"])
    page.goto(f"/admin/kpi?edition={event['slug']}")
    expect(page.get_by_role("heading", name="KPI dashboard")).to_be_visible()
    expect(page.locator("#kpi-panel .tag-ok")).to_have_text("Live")


def _fits_the_width(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width}px wide"


def _shoot(page: Page, size: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"kpi-dashboard-{size}.png"), full_page=True)


def test_dashboard_on_a_phone(browser, new_page, live_server, live_event):
    page = new_page(browser, **PHONE_CONTEXT)
    _open(page, live_event)
    participants = page.locator("#kpi-3")
    expect(participants).to_contain_text("80")
    expect(participants).to_contain_text("Visits (every entry): 80")
    _fits_the_width(page)
    _shoot(page, "phone")


def test_dashboard_on_a_desktop_refreshes_itself(browser, new_page, live_server, live_event):
    page = new_page(browser, viewport=DESKTOP)
    _open(page, live_event)
    participants = page.locator("#kpi-3 .stat-value")
    expect(participants).to_contain_text("80")
    _fits_the_width(page)
    _shoot(page, "desktop")

    # Someone arrives at the door: the panel shows it within one polling interval.
    from convention.checkin.models import CheckInList
    from convention.extensions import db
    from convention.registration.models import Registration
    from convention.timeutil import utcnow
    from tests.kpi.builders import scan

    with live_server.app_context():
        door = db.session.get(CheckInList, live_event["door_id"])
        scan(door, db.session.get(Registration, live_event["late_id"]), utcnow())
        db.session.commit()
    expect(participants).to_contain_text("81", timeout=15_000)


def test_targets_are_edited_in_place(browser, new_page, live_server, live_event):
    page = new_page(browser, viewport=DESKTOP)
    _log_in(page, live_event["email"])
    page.goto("/admin/kpi")
    page.get_by_role("link", name="Targets and baseline").click()
    field = page.locator("#target-2025-3")
    expect(field).to_have_value("150")
    cell = page.locator("form.kpi-cell").filter(has=field)

    field.fill("-3")
    with page.expect_response(lambda r: r.url.endswith("/admin/kpi/targets/2025/3")) as refused:
        cell.get_by_role("button", name="Save").click()
    assert refused.value.status == 422  # refused like a form; app.js has htmx swap it in place
    expect(page.locator("#target-2025-3-error")).to_have_text("Enter a whole number of 0 or more.")
    expect(page.locator("#target-2025-3")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#htmx-error")).to_have_count(0)

    page.locator("#target-2025-3").fill("160")
    page.locator("form.kpi-cell").filter(has=page.locator("#target-2025-3")).get_by_role(
        "button", name="Save"
    ).click()
    expect(
        page.locator("form.kpi-cell").filter(has=page.locator("#target-2025-3"))
    ).to_contain_text("Saved")
    page.reload()
    expect(page.locator("#target-2025-3")).to_have_value("160")
    page.goto("/admin/kpi?fy=2025")
    expect(page.locator("#kpi-3")).to_contain_text("of 160")
