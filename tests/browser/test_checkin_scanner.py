"""A door volunteer scans badges on a phone: through the camera (chromium's fake camera plays
a video of the badge's QR code, decoded by the vendored jsQR), with a keyboard-wedge scanner,
and with the network gone and back."""

from __future__ import annotations

import io
import uuid

import pytest
import qrcode
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, PHONE_CONTEXT, fake_camera_args

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PASSWORD = "door staff browser password"


def badge_video(token: str, path) -> str:
    """A two-frame YUV4MPEG2 file of the badge's QR code on white (chromium loops it)."""
    width, height = 320, 240
    code = qrcode.QRCode(border=4, box_size=5)
    code.add_data(token)
    code.make(fit=True)
    qr = code.make_image(fill_color="black", back_color="white").get_image().convert("L")
    frame = Image.new("L", (width, height), 255)
    frame.paste(qr, ((width - qr.width) // 2, (height - qr.height) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * (width // 2 * height // 2)
    buffer = io.BytesIO()
    buffer.write(f"YUV4MPEG2 W{width} H{height} F5:1 Ip A1:1 C420jpeg\n".encode())
    for _ in range(2):
        buffer.write(b"FRAME\n" + luma + chroma + chroma)
    path.write_bytes(buffer.getvalue())
    return str(path)


@pytest.fixture
def door(live_server, demo_programme):
    """A list of the current edition, a door volunteer and three badges."""
    from sqlalchemy import select

    from convention.accounts.models import Role
    from convention.accounts.services import create_staff_user
    from convention.checkin.models import CheckInList, ListKind
    from convention.events.models import Edition
    from convention.extensions import db
    from tests.checkin.factories import make_registration

    suffix = uuid.uuid4().hex[:8]
    with live_server.app_context():
        edition = db.session.scalar(select(Edition).where(Edition.slug == demo_programme))
        checkin_list = CheckInList(
            edition_id=edition.id,
            slug=f"door-{suffix}",
            name_ja="テスト入口",
            name_en=f"Test door {suffix}",
            kind=ListKind.MAIN_DOOR,
        )
        db.session.add(checkin_list)
        email = f"door-{suffix}@example.org"
        user = create_staff_user(email, PASSWORD, "Door Volunteer", Role.DOOR_STAFF)
        user.language = "en"
        db.session.commit()
        tokens = {
            name: make_registration(edition, name=name, organization="Port of Yokohama").badge_token
            for name in (f"Aiko {suffix}", f"Ben {suffix}", f"Chie {suffix}")
        }
    return {"slug": f"door-{suffix}", "email": email, "tokens": tokens}


def log_in(page: Page, email: str) -> None:
    page.goto("/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page.locator(".site-header")).to_contain_text("Log out")


def stored_scans(live_server, slug: str) -> list:
    from sqlalchemy import select

    from convention.checkin.models import CheckInList, Scan
    from convention.extensions import db

    with live_server.app_context():
        rows = db.session.execute(
            select(Scan.result, Scan.reason, Scan.offline, Scan.nonce)
            .join(CheckInList, CheckInList.id == Scan.checkin_list_id)
            .where(CheckInList.slug == slug)
            .order_by(Scan.id)
        ).all()
    return [tuple(row) for row in rows]


def test_camera_scan_checks_the_badge_in(door, live_server, launch_browser, new_page, tmp_path):
    name, token = next(iter(door["tokens"].items()))
    browser = launch_browser(*fake_camera_args(badge_video(token, tmp_path / "badge.y4m")))
    page = new_page(browser, **PHONE_CONTEXT)
    log_in(page, door["email"])
    page.goto(f"/checkin/scan?list={door['slug']}")
    page.get_by_role("button", name="Start camera").click()
    answer = page.locator("#scan-result .scan-answer").first
    expect(answer).to_have_attribute("data-status", "ok", timeout=15_000)
    expect(answer).to_contain_text(name)
    expect(answer).to_contain_text("Checked in")
    # Headless chromium has no BarcodeDetector: the vendored decoder read the frame.
    assert page.locator("#scanner").get_attribute("data-camera") == "jsqr"
    page.get_by_role("button", name="Stop camera").click()
    expect(page.locator("#counters [data-counter='checked_in']")).to_have_text("1")
    assert stored_scans(live_server, door["slug"])[0][:2] == ("ok", None)


def test_keyboard_wedge_scans_and_the_three_answers(door, live_server, browser, new_page):
    page = new_page(browser, **PHONE_CONTEXT)
    log_in(page, door["email"])
    page.goto(f"/checkin/scan?list={door['slug']}")
    name, token = list(door["tokens"].items())[1]
    wedge = page.locator("#wedge-input")
    expect(wedge).to_be_focused()
    # A USB scanner types fast and presses Enter.
    wedge.press_sequentially(token, delay=2)
    wedge.press("Enter")
    answer = page.locator("#scan-result .scan-answer")
    expect(answer).to_have_class(lambda_class("result-ok"))
    expect(answer).to_contain_text(name)
    expect(wedge).to_have_value("")
    expect(wedge).to_be_focused()

    wedge.fill(token)
    wedge.press("Enter")
    expect(answer).to_have_class(lambda_class("result-warn"))
    expect(answer).to_contain_text("Already checked in at")

    wedge.fill(token[:-4] + "zzzz")
    wedge.press("Enter")
    expect(answer).to_have_class(lambda_class("result-error"))
    expect(answer).to_contain_text("Not a badge of this convention")

    # The last scans and the counters follow (htmx, on the scanned event).
    expect(page.locator("#recent")).to_contain_text(name)
    expect(page.locator("#counters [data-counter='checked_in']")).to_have_text("1")
    # Undo the mistaken check-in from the last scans.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#recent").get_by_role("button", name="Undo").first.click()
    expect(page.locator("#recent")).to_contain_text("undone")
    expect(page.locator("#counters [data-counter='checked_in']")).to_have_text("0")


def test_offline_scans_queue_and_sync_when_the_network_returns(
    door, live_server, browser, new_page
):
    page = new_page(browser, **PHONE_CONTEXT)
    log_in(page, door["email"])
    page.goto(f"/checkin/scan?list={door['slug']}")
    tokens = list(door["tokens"].values())
    page.context.set_offline(True)
    wedge = page.locator("#wedge-input")
    for token in tokens[:2]:
        wedge.fill(token)
        wedge.press("Enter")
        expect(page.locator("#scan-result")).to_contain_text("Queued (offline)")
    expect(page.locator("#queue-status")).to_contain_text("2 scans waiting")
    assert stored_scans(live_server, door["slug"]) == []

    page.context.set_offline(False)
    expect(page.locator("#queue-status")).to_contain_text("All offline scans were sent")
    rows = stored_scans(live_server, door["slug"])
    assert [(result, offline) for result, _, offline, _ in rows] == [("ok", True), ("ok", True)]
    # The queue is empty: a reload sends nothing twice.
    page.reload()
    assert page.evaluate("localStorage.getItem('checkin-offline-queue')") == "[]"
    assert len(stored_scans(live_server, door["slug"])) == 2


def lambda_class(name: str):
    import re

    return re.compile(rf"(^|\s){name}(\s|$)")


def test_the_scanner_fits_a_phone_with_buttons_big_enough_to_tap(
    door, live_server, browser, new_page, demo_programme
):
    """At 390px nothing scrolls sideways, the name search keeps its button beside the field,
    every button (Open, Check in, Undo, the language switch) is at least 44px tall, and a
    cancelled registration found by name says so in words."""
    from sqlalchemy import select

    from convention.events.models import Edition
    from convention.extensions import db
    from convention.registration.models import RegistrationStatus
    from tests.checkin.factories import make_registration

    suffix = door["slug"].removeprefix("door-")
    with live_server.app_context():
        edition = db.session.scalar(select(Edition).where(Edition.slug == demo_programme))
        make_registration(
            edition,
            name=f"Dai {suffix}",
            organization="Port of Yokohama",
            status=RegistrationStatus.CANCELLED,
        )
        db.session.commit()

    page = new_page(browser, **PHONE_CONTEXT)
    log_in(page, door["email"])
    page.goto(f"/checkin/scan?list={door['slug']}&q={suffix}")
    results = page.locator(".search-result")
    expect(results).to_have_count(4)
    expect(results.filter(has_text=f"Dai {suffix}").locator(".tag")).to_have_text("Cancelled")
    # The volunteer has scrolled down the list: the answer comes into view all the same.
    aiko = results.filter(has_text=f"Aiko {suffix}")
    aiko.evaluate("row => row.scrollIntoView({block: 'start'})")
    expect(page.locator("#scan-result")).not_to_be_in_viewport()
    aiko.get_by_role("button", name="Check in").click()
    expect(page.locator("#scan-result")).to_contain_text(f"Aiko {suffix}")
    expect(page.locator("#scan-result")).to_be_in_viewport()
    expect(page.locator("#recent")).to_contain_text(f"Aiko {suffix}")
    expect(page.locator("#recent").get_by_role("button", name="Undo")).to_be_visible()

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the scanner is {width}px wide on a phone"
    field = page.locator("#search-q").bounding_box()
    search = page.locator(".scanner-search").get_by_role("button", name="Search").bounding_box()
    assert search["x"] >= field["x"] + field["width"], "the Search button wrapped under its field"
    assert abs(search["y"] - field["y"]) < 8
    buttons = page.locator("button:visible")
    small = [
        f"{buttons.nth(i).inner_text()!r} {box['height']:.0f}px"
        for i in range(buttons.count())
        if (box := buttons.nth(i).bounding_box())["height"] < 44
    ]
    assert not small, f"buttons too small to tap on a phone: {small}"
    # Each counter's label fits its third of the screen without splitting a word ("Registere/d").
    lines = "e => e.offsetHeight / parseFloat(getComputedStyle(e).lineHeight)"
    for label in page.locator(".scanner-counters .stat-label").all():
        assert label.evaluate(lines) < 1.5, f"{label.inner_text()!r} wrapped"

    # The walk-in link is a 44px target, and the badge page's buttons span the phone's width
    # like the other door buttons.
    walk_in = page.locator("main").get_by_role("link", name="Walk-in registration")
    assert walk_in.bounding_box()["height"] >= 44
    walk_in.click()
    page.get_by_label("Name").fill(f"Emi {suffix}")
    page.get_by_role("button", name="Register and print the badge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Emi {suffix}")
    row = page.locator("main .actions").bounding_box()
    for button in page.locator("main .actions .button").all():
        box = button.bounding_box()
        assert (box["x"], box["width"]) == (row["x"], row["width"]), button.inner_text()
