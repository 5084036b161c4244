"""The main pages fit a door volunteer's phone and an organiser's desktop.

Screenshots land in test-artifacts/screens/ (ignored by git) for a human to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, PHONE_CONTEXT, log_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SCREENS = ARTIFACTS / "screens"
TABLET = {"width": 768, "height": 1024}  # the narrowest width with the desktop layout


def fits_the_width(page: Page) -> None:
    """Nothing makes the page scroll sideways (tables scroll inside themselves)."""
    # Compared with the configured width: a mobile browser widens its layout viewport instead.
    width = page.evaluate("document.documentElement.scrollWidth")
    window = page.viewport_size["width"]
    assert width <= window, f"{page.url} is {width}px wide in a {window}px window"


def current_link_in_view(page: Page) -> None:
    """The staff navigation's link to this page is on screen: on a phone the row scrolls
    sideways, and a late link would otherwise sit beyond the edge."""
    link = page.locator('.staff-nav [aria-current="page"]')
    expect(link).to_have_count(1)
    box = link.bounding_box()
    window = page.viewport_size["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= window, f"{page.url}: {box} in {window}px"


def ends_in_the_window(page: Page, element) -> None:
    """An element's right edge is inside the window, not behind a sideways scroll."""
    box = element.bounding_box()
    window = page.viewport_size["width"]
    right = box["x"] + box["width"]
    assert right <= window, f"{page.url}: {element.text_content()!r} ends at {right}px of {window}"


def tall_enough_to_tap(page: Page, name: str) -> None:
    """On a phone, the text link used as an action (a back link, Edit, Scan) is a 44px target;
    on the desktop it may stay as tall as its line."""
    link = page.locator("main").get_by_role("link", name=name, exact=True)
    # Also waits for the page a click led to, before anything measures it.
    expect(link).to_be_visible()
    if page.viewport_size["width"] >= 768:
        return
    box = link.bounding_box()
    assert box["height"] >= 44, f"{page.url}: the link {name!r} is {box['height']}px tall"


def shoot(page: Page, name: str, size: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}-{size}.png"), full_page=True)


@pytest.fixture
def organiser(live_server, make_staff) -> tuple[str, str]:
    """An organiser who reads English, and two emails in the outbox."""
    from convention.extensions import db
    from convention.mail.models import OutboxMessage, OutboxStatus

    account = make_staff("organiser", name="Organiser Screens")
    with live_server.app_context():
        for number, status in enumerate((OutboxStatus.SENT, OutboxStatus.FAILED), start=1):
            db.session.add(
                OutboxMessage(
                    recipient=f"attendee{number}@example.org",
                    subject="Your badge for the convention",
                    body_text="Hello,\n\nyour badge is attached.",
                    template="registration/badge",
                    status=status,
                    attempts=number,
                    last_error=None if status == OutboxStatus.SENT else "SMTP 451: try later",
                )
            )
        db.session.commit()
    return account


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_main_pages_fit_phone_and_desktop(
    browser, new_page, live_server, organiser, demo_programme, size
):
    if size == "phone":
        page = new_page(browser, **PHONE_CONTEXT)
    else:
        page = new_page(browser, viewport=DESKTOP)

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    fits_the_width(page)
    shoot(page, "home", size)

    page.goto("/programme")
    expect(page.locator(".session-item").first).to_be_visible()
    if size == "phone":  # the filter links alone: the selects doing the same are hidden
        expect(page.locator("#programme-filters")).to_be_hidden()
        expect(page.locator("#session-list .day-tabs")).to_be_visible()
    else:
        expect(page.locator("#programme-filters")).to_be_visible()
    fits_the_width(page)
    shoot(page, "programme", size)

    page.locator(".session-title a").first.click()
    expect(page.locator(".session-detail h1")).to_be_visible()
    fits_the_width(page)
    shoot(page, "session", size)

    page.goto("/register")
    expect(page.locator("#registration-form")).to_be_visible()
    fits_the_width(page)
    shoot(page, "register", size)

    page.goto("/account/sign-up")
    page.get_by_label("Email").fill("not-an-address")
    page.get_by_label("Password").fill("short")
    page.locator("main").get_by_role("button", name="Sign up").click()
    expect(page.locator(".field.has-error").first).to_be_visible()
    fits_the_width(page)
    shoot(page, "sign-up-errors", size)

    page.goto("/account/login")
    expect(page.get_by_label("Password")).to_be_visible()
    fits_the_width(page)
    shoot(page, "login", size)

    page.goto("/no-such-page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    fits_the_width(page)
    shoot(page, "404", size)

    log_in(page, *organiser)
    expect(page.locator(".site-header")).to_contain_text("Log out")
    page.goto("/admin/editions")
    expect(page.locator("#editions")).to_be_visible()
    fits_the_width(page)
    shoot(page, "editions", size)

    page.locator("#editions tbody").get_by_role("link").first.click()
    tall_enough_to_tap(page, "← Editions")
    fits_the_width(page)
    shoot(page, "edition", size)

    page.goto("/admin/registrations")
    tall_enough_to_tap(page, "Message a group")
    search = page.get_by_placeholder("Name, email or organisation")
    # Room for its placeholder: the box took what its row left over and showed "…or organis".
    assert search.bounding_box()["width"] >= min(288, page.viewport_size["width"] - 80)
    fits_the_width(page)
    shoot(page, "registrations", size)

    page.goto("/admin/outbox/")
    expect(page.locator("#messages")).to_be_visible()
    fits_the_width(page)
    shoot(page, "outbox", size)

    page.locator("#messages").get_by_role("link").first.click()
    tall_enough_to_tap(page, "← Outbox")
    fits_the_width(page)
    shoot(page, "outbox-message", size)

    page.goto("/matching/door")  # the last link of the staff navigation
    fits_the_width(page)
    current_link_in_view(page)
    # The update button stands in the page header, apart from the meetings below it.
    button = page.get_by_role("button", name="Update from the check-ins at the tables")
    below = page.locator("main header + p").bounding_box()
    assert below["y"] - (button.bounding_box()["y"] + button.bounding_box()["height"]) >= 16
    shoot(page, "matching-door", size)


def test_the_footer_link_stays_whole_on_a_japanese_phone(browser, new_page, live_server):
    page = new_page(browser, **PHONE_CONTEXT, locale="ja-JP")
    page.goto("/")
    link = page.locator(".site-footer a")
    expect(link).to_have_text("プライバシーと個人情報の取扱い")
    assert link.evaluate("e => e.getClientRects().length") == 1, "the link broke over two lines"
    fits_the_width(page)


# A living sample of the utility classes documented at the top of app.css.
UTILITIES = Path(__file__).with_name("utilities.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_utility_classes_render(browser, new_page, live_server, size):
    viewport = PHONE if size == "phone" else DESKTOP
    page = new_page(browser, viewport=viewport, is_mobile=size == "phone")
    page.route(
        live_server.url("/utilities"),
        lambda route: route.fulfill(body=UTILITIES, content_type="text/html"),
    )
    page.goto("/utilities")
    error_banner = page.locator(".result-error")
    expect(error_banner).to_have_css("background-color", "rgb(179, 38, 30)")
    expect(page.locator(".result-ok")).to_have_css("color", "rgb(255, 255, 255)")
    assert page.locator(".sr-only").bounding_box()["width"] <= 1
    fits_the_width(page)
    shoot(page, "utilities", size)


def test_keyboard_user_gets_skip_link_and_visible_focus(page: Page, live_server):
    page.goto("/account/login")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.bounding_box()["y"] < 0  # out of sight until needed
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.locator("main")).to_be_focused()

    page.get_by_label("Email").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    expect(page.get_by_label("Password")).not_to_have_css("outline-style", "none")
    page.keyboard.press("Tab")
    button = page.locator("main").get_by_role("button", name="Log in")
    expect(button).to_be_focused()
    expect(button).to_have_css("outline-width", "3px")
    shoot(page, "focus", "desktop")


def test_spinner_stops_for_people_who_ask_for_less_motion(browser, new_page, live_server):
    spin = "getComputedStyle(document.querySelector('.htmx-indicator'), '::before').animationName"
    for motion, expected in (("no-preference", "spin"), ("reduce", "none")):
        page = new_page(browser, reduced_motion=motion)
        page.route(
            live_server.url("/utilities"),
            lambda route: route.fulfill(body=UTILITIES, content_type="text/html"),
        )
        page.goto("/utilities")
        assert page.evaluate(spin) == expected, motion


# --- the loaded demo: pages whose defects show only with real data in them ---------------------


@pytest.fixture(scope="module")
def demo(live_server) -> dict[str, str]:
    """`flask demo load` on emptied tables (the tests above left staff and a programme); the
    URLs of the demo sponsor's portal and of the matching session with the most meetings."""
    import sqlalchemy as sa

    from convention.accounts.models import User
    from convention.extensions import db
    from convention.matching.models import MatchingSlot, Meeting
    from convention.sponsors.models import SponsorApplication
    from tests.conftest import _empty_tables

    with live_server.app_context():
        _empty_tables()
        result = live_server.app.test_cli_runner().invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output + repr(result.exception)
        application = db.session.scalar(
            sa.select(SponsorApplication.id)
            .join(User, User.id == SponsorApplication.user_id)
            .where(User.email == DEMO_LOGINS["sponsor"][0])
        )
        busiest = db.session.scalar(
            sa.select(MatchingSlot.session_id)
            .join(Meeting, Meeting.slot_id == MatchingSlot.id)
            .group_by(MatchingSlot.session_id)
            .order_by(sa.func.count().desc())
            .limit(1)
        )
    return {"sponsor": f"/my/sponsor/{application}", "board": f"/matching/admin/sessions/{busiest}"}


DEMO_LOGINS = {
    role: (f"{role}@convention.example", f"{role}-demo-pass")
    for role in ("attendee", "door", "sponsor", "organiser")
}


def demo_page(browser, new_page, size: str, role: str, language: str) -> Page:
    """A demo login on a phone or a desktop, in the language it asks for (saved on the account,
    as the header's switch does)."""
    page = new_page(browser, **(PHONE_CONTEXT if size == "phone" else {"viewport": DESKTOP}))
    log_in(page, *DEMO_LOGINS[role])
    if page.locator("html").get_attribute("lang") != language:
        page.locator(f".language-switcher button[value={language}]").click()
        expect(page.locator("html")).to_have_attribute("lang", language)
    return page


def below(upper, lower) -> float:
    """The room between the bottom of one element and the top of the next."""
    top = upper.bounding_box()
    return lower.bounding_box()["y"] - (top["y"] + top["height"])


# The width the selected option's text needs inside its select, measured in the select's font.
SELECT_TEXT_ROOM = """select => {
  const style = getComputedStyle(select);
  const probe = document.createElement("span");
  probe.style.cssText = "position: absolute; white-space: pre";
  probe.style.font = style.font;
  probe.textContent = select.selectedOptions[0].text.replace(/\\s+/g, " ").trim();
  document.body.append(probe);
  const needed = probe.getBoundingClientRect().width;
  probe.remove();
  const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  return select.clientWidth - padding - needed;
}"""

# How many lines an element's text takes.
LINES = """element => {
  const range = document.createRange();
  range.selectNodeContents(element);
  return new Set([...range.getClientRects()].map(rect => Math.round(rect.top))).size;
}"""

# The links whose text has a word broken over two lines.
WORDS_SPLIT = """links => links.filter(link => {
  const text = link.firstChild;
  let start = 0;
  return text.data.split(" ").some(word => {
    const range = document.createRange();
    range.setStart(text, start);
    range.setEnd(text, start + word.length);
    start += word.length + 1;
    return new Set([...range.getClientRects()].map(rect => Math.round(rect.top))).size > 1;
  });
}).map(link => link.textContent)"""

# Whether an element's last character sits alone on its line ("みなとガス株式会/社").
LAST_CHARACTER_ALONE = """element => {
  const text = element.firstChild, end = text.data.length;
  const top = (start) => {
    const range = document.createRange();
    range.setStart(text, start); range.setEnd(text, start + 1);
    return Math.round(range.getBoundingClientRect().top);
  };
  return end > 1 && top(end - 1) !== top(end - 2);
}"""

# The tops of a KPI row heading's circled number and of the first character of its name.
MARK_AND_NAME_TOPS = """th => {
  const text = th.firstChild, mark = document.createRange(), name = document.createRange();
  mark.setStart(text, 0); mark.setEnd(text, 1);
  name.setStart(text, 2); name.setEnd(text, 3);
  return [mark.getBoundingClientRect().top, name.getBoundingClientRect().top];
}"""


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_demo_pages_keep_their_parts_in_reach(browser, new_page, live_server, demo, size):
    attendee = demo_page(browser, new_page, size, "attendee", "en")
    attendee.goto("/matching")
    tags = attendee.locator(".profile-card a.tag")
    expect(tags.first).to_be_visible()
    if size == "phone":  # the sector links are tap targets, like back links and action rows
        for tag in tags.all()[:6]:
            assert tag.bounding_box()["height"] >= 44, f"{tag.text_content()} is too short"
        # So are the language links at the foot of a card.
        for link in attendee.locator(".profile-card > p:last-child > a").all()[:6]:
            assert link.bounding_box()["height"] >= 44, f"{link.text_content()} is too short"
    fits_the_width(attendee)
    shoot(attendee, "demo-directory", size)
    # The way back beside a destructive button is a button too, not a 19px link against it.
    for path, back in (
        ("/my/registration/cancel", "No, keep it"),
        ("/my/account/deletion", "Back"),
    ):
        attendee.goto(path)
        tall_enough_to_tap(attendee, back)

    door = demo_page(browser, new_page, size, "door", "en")
    door.goto("/checkin/scan")
    picker, opener = door.locator("#list-picker"), door.get_by_role("button", name="Open")
    # "Open" stays beside the select, as the name search's button does, not alone below it.
    assert opener.bounding_box()["y"] < picker.bounding_box()["y"] + picker.bounding_box()["height"]
    fits_the_width(door)
    shoot(door, "demo-scanner", size)

    sponsor = demo_page(browser, new_page, size, "sponsor", "en")
    sponsor.goto(demo["sponsor"])
    leads = sponsor.locator("#leads")
    count = leads.get_by_text(re.compile(r"leads? so far"))
    scan = leads.get_by_role("link", name="Scan badges at the booth")
    export = leads.get_by_role("link", name="Export CSV")
    assert below(count, scan) >= 16, "the Leads buttons stick to the sentence above them"
    if size == "phone":  # stacked: apart from each other too
        assert below(scan, export) >= 8
    # In a third of the desktop page, values go under their labels: beside them, the
    # registration number broke over two lines ("T70000120500 / 02").
    number = sponsor.locator(".sponsor-details dt:text-is('Registration number') + dd")
    assert number.evaluate(LINES) == 1, number.text_content()
    fits_the_width(sponsor)
    shoot(sponsor, "demo-sponsor-portal", size)

    # The sponsor's orders: on a phone each row is a card, with its amounts and the order's
    # total in view (they sat off to the right in the table's sideways scroll).
    sponsor.goto("/my/orders")
    mine = sponsor.locator("main tbody tr").first
    for cell in mine.locator("td").all()[3:]:  # Total, Outstanding
        ends_in_the_window(sponsor, cell)
    fits_the_width(sponsor)
    shoot(sponsor, "demo-my-orders", size)
    mine.get_by_role("link").first.click()
    lines = sponsor.locator("#lines")
    expect(lines).to_be_visible()
    for amount in lines.locator("tbody td:last-child").all():
        ends_in_the_window(sponsor, amount)
    ends_in_the_window(sponsor, lines.locator("tfoot tr:last-child td"))
    fits_the_width(sponsor)
    shoot(sponsor, "demo-my-order", size)

    for language in ("en", "ja"):
        organiser = demo_page(browser, new_page, size, "organiser", language)
        for path in ("/admin/kpi", "/admin/kpi/targets"):
            organiser.goto(path)
            # The circled number and the KPI's name begin on the same line.
            for heading in organiser.locator(":is(.kpi-plan, .kpi-targets) tbody th").all()[:4]:
                mark, name = heading.evaluate(MARK_AND_NAME_TOPS)
                assert abs(mark - name) < 2, f"{path}: {heading.text_content()!r} split"
            fits_the_width(organiser)
        organiser.goto("/admin/kpi")
        if size == "desktop":
            room = organiser.locator("#scope-edition").evaluate(SELECT_TEXT_ROOM)
            assert room >= 0, f"the edition's name is cut by {-room}px"
        shoot(organiser, f"demo-kpi-{language}", size)

        organiser.goto("/admin/registrations")
        results = organiser.locator("#registration-results")
        status = results.locator(".pagination span")
        # Plain text between the buttons, not a button itself.
        expect(status).to_have_css("border-top-style", "none")
        expect(status).to_have_css("background-color", "rgba(0, 0, 0, 0)")
        # A moment stays on one line ("2026/12/04 | 04:09" broke in its narrow column).
        registered_on = results.locator("tbody tr").first.locator("td").last
        assert registered_on.evaluate(LINES) == 1, registered_on.text_content()
        # A name breaks between family and given name, if at all ("デモ 参加/者" broke).
        names = results.locator("tbody tr > td:first-child > a")
        assert names.evaluate_all(WORDS_SPLIT) == []
        # A status stays whole ("入金/待ち" broke), and so does a Japanese category
        # ("協賛企/業スタ/ッフ"): the university went under the organisation to make room.
        for row in results.locator("tbody tr").all()[:20]:
            assert row.locator(".status").evaluate(LINES) == 1, row.text_content()
            if language == "ja":
                assert row.locator("td.category").evaluate(LINES) == 1, row.text_content()
        if size == "desktop":  # every column in view, none past the page's column
            column = results.bounding_box()
            last = results.locator("thead th").last.bounding_box()
            assert last["x"] + last["width"] <= column["x"] + column["width"]
            assert results.locator("table").bounding_box()["width"] <= column["width"]
        else:  # the table scrolls sideways: an address stays on one line
            assert results.locator("td.email").first.evaluate(LINES) == 1
        fits_the_width(organiser)
        shoot(organiser, f"demo-registrations-{language}", size)
        if language == "ja":
            # Short Japanese words stay whole: the check-in lists' yes/no ("いい/え") and, on a
            # phone, the sponsors' names in their small cards.
            organiser.goto("/checkin/admin")
            for cell in organiser.locator("td.yes-no").all():
                assert cell.evaluate(LINES) == 1, cell.text_content()
            if size == "phone":
                organiser.goto("/sponsors")
                names = organiser.locator(".sponsor-name:not(.sr-only)")
                expect(names).not_to_have_count(0)
                alone = [n.text_content() for n in names.all() if n.evaluate(LAST_CHARACTER_ALONE)]
                assert alone == [], alone
        if size == "desktop":  # a tablet: the widest tables scroll in their box, not the page
            organiser.set_viewport_size(TABLET)
            fits_the_width(organiser)
            organiser.goto("/admin/outbox/")
            fits_the_width(organiser)
            organiser.set_viewport_size(DESKTOP)

        organiser.goto("/admin/billing/orders")
        # An order's number, its invoice's number and due date stay on one line: they are read
        # aloud and searched ("C26-/000015-2" broke at its hyphen, a date took three lines).
        rows = organiser.locator("#orders tbody tr")
        expect(rows).not_to_have_count(0)
        for row in rows.all():
            cells = row.locator("td")
            assert cells.nth(0).evaluate(LINES) == 1, cells.nth(0).text_content()
            for cell in (cells.nth(4), cells.nth(5)):  # Invoice, Due (empty for a draft)
                if cell.text_content().strip():
                    assert cell.evaluate(LINES) == 1, cell.text_content()
        fits_the_width(organiser)
        shoot(organiser, f"demo-orders-{language}", size)

        if size == "desktop":  # an edition's sessions, on a tablet and a small laptop
            organiser.goto("/admin/editions")
            organiser.locator("#editions tbody").get_by_role("link").first.click()
            sessions = organiser.locator("#session-rows")
            expect(sessions).to_be_visible()
            organiser.set_viewport_size(TABLET)
            fits_the_width(organiser)  # narrower than the sessions: they scroll in their box
            organiser.set_viewport_size({"width": 1024, "height": 768})
            # The page scrolled sideways (1059px) and Delete went past its edge.
            fits_the_width(organiser)
            for delete in sessions.locator("td.actions a.danger").all():
                ends_in_the_window(organiser, delete)
            if language == "ja":  # a room and a kind stay whole ("公開セミナ/ー", "展示ホ/ール")
                for row in sessions.locator("tr").all():
                    for cell in (row.locator("td").nth(2), row.locator("td").nth(3)):
                        assert cell.evaluate(LINES) == 1, cell.text_content()
            shoot(organiser, f"demo-edition-{language}", "1024")
            organiser.set_viewport_size(DESKTOP)

        organiser.goto(demo["board"])
        board = organiser.locator("#board").bounding_box()
        tables = (
            organiser.locator("#board").locator("h3, thead th").filter(has_text=re.compile(r"\d"))
        )
        expect(tables).not_to_have_count(0)
        for table in tables.all():  # every table in view, none behind a sideways scroll
            box = table.bounding_box()
            assert box["x"] + box["width"] <= board["x"] + board["width"], table.text_content()
        # A busy table is wide enough to read (it was squeezed to ~120px, a word a line).
        for cell in organiser.locator("#board td:has(.tag)").all():
            assert cell.bounding_box()["width"] >= 160, cell.text_content()
        if language == "ja":  # the label stays whole ("通訳が/必要" split)
            needs = organiser.locator("#board td small").filter(has_text=re.compile("^通訳が必要$"))
            expect(needs).not_to_have_count(0)
            for label in needs.all():
                assert label.evaluate(LINES) == 1, label.text_content()
        fits_the_width(organiser)
        shoot(organiser, f"demo-board-{language}", size)


WIDE_TABLES = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/css/app.css">
<script src="/static/js/app.js" defer></script></head>
<body><main class="container">
<table class="table" id="bare"><caption>Scans by hour</caption>
<tr>{cells}</tr></table>
<div class="table-wrap" id="wrapped"><table class="table"><caption>Visits by day</caption>
<tr>{cells}</tr></table></div>
<table class="table" id="narrow"><caption>Totals</caption><tr><td>1</td></tr></table>
</main></body></html>""".replace("{cells}", "<td>Kanagawa Prefecture</td>" * 12)


def test_a_table_that_scrolls_is_reached_by_keyboard_and_stays_a_table(
    browser, new_page, live_server
):
    """On a phone a wide table scrolls inside itself or its wrapper: the box that scrolls takes
    focus (arrow keys scroll it); a wrapper is a region named after its caption, a table keeps
    its own role; a table that fits is no extra tab stop."""
    page = new_page(browser, **PHONE_CONTEXT)
    page.route(
        live_server.url("/wide-tables"),
        lambda route: route.fulfill(body=WIDE_TABLES, content_type="text/html"),
    )
    page.goto("/wide-tables")
    bare, wrapped = page.locator("#bare"), page.locator("#wrapped")
    expect(bare).to_have_attribute("tabindex", "0")
    assert bare.get_attribute("role") is None
    expect(page.get_by_role("table", name="Scans by hour")).to_be_visible()
    expect(wrapped).to_have_attribute("tabindex", "0")
    expect(page.get_by_role("region", name="Visits by day")).to_be_visible()
    assert page.locator("#narrow").get_attribute("tabindex") is None
