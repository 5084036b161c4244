"""The scanner page, search, undo, walk-ins, badges and the back-office."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from convention.accounts.models import ParticipantCategory
from convention.checkin import badges, services
from convention.checkin.models import CheckInList, Scan, ScannerDevice
from convention.events.models import SessionKind
from convention.extensions import db
from convention.jobs.models import BackgroundJob
from convention.registration.models import Registration, RegistrationStatus
from tests.checkin.factories import make_list, make_registration, make_ticket_type
from tests.conftest import login
from tests.factories import jst, make_edition, make_session, make_user

HTMX = {"HX-Request": "true"}


@pytest.fixture
def edition(app):
    return make_edition(is_current=True)


@pytest.fixture
def door(edition):
    return make_list(edition)


PROTECTED = [
    ("get", "/checkin/scan"),
    ("get", "/checkin/scan/counters?list=main-door"),
    ("get", "/checkin/scan/recent?list=main-door"),
    ("post", "/checkin/scan/manual"),
    ("post", "/checkin/scans/1/undo"),
    ("get", "/checkin/walk-in"),
    ("get", "/checkin/badges/1.pdf"),
]
ORGANISER_ONLY = [
    ("get", "/checkin/admin"),
    ("post", "/checkin/admin/lists/generate"),
    ("get", "/checkin/admin/lists/new"),
    ("get", "/checkin/admin/devices"),
    ("post", "/checkin/admin/devices/1/revoke"),
    ("post", "/checkin/badges"),
]


def test_strangers_are_sent_to_log_in(client, door):
    for method, url in PROTECTED + ORGANISER_ONLY:
        response = getattr(client, method)(url)
        assert response.status_code in (302, 303), url
        assert "/account/login" in response.headers["Location"], url


def test_attendees_are_refused(attendee_client, door):
    for method, url in PROTECTED + ORGANISER_ONLY:
        assert getattr(attendee_client, method)(url).status_code == 403, url


def test_door_staff_cannot_use_the_back_office(door_client, door):
    for method, url in ORGANISER_ONLY:
        assert getattr(door_client, method)(url).status_code == 403, url


def test_scanner_page_lists_the_lists_then_shows_one(door_client, door):
    page = door_client.get("/checkin/scan")
    assert page.status_code == 200
    assert "Main door" in page.text and "/checkin/scan?list=main-door" in page.text
    page = door_client.get("/checkin/scan?list=main-door")
    assert 'id="wedge-input"' in page.text and 'data-list="main-door"' in page.text
    assert "checkin-scanner.js" in page.text and "<script>" not in page.text
    assert door_client.get("/checkin/scan?list=nowhere").status_code == 404


def test_counters_fragment_polls_and_stops_after_the_last_day(door_client, door, edition):
    make_registration(edition)
    services.scan(
        make_registration(edition).badge_token,
        "main-door",
        scanned_at=jst(edition.start_date, "9:00"),
    )
    response = door_client.get("/checkin/scan/counters?list=main-door", headers=HTMX)
    assert response.status_code == 200
    assert 'data-counter="checked_in">1<' in response.text
    assert 'data-counter="registered">2<' in response.text
    checkin_list = db.session.get(CheckInList, door.id)
    checkin_list.valid_until = edition.start_date  # in 2025: long over
    db.session.commit()
    assert door_client.get("/checkin/scan/counters?list=main-door", headers=HTMX).status_code == 286


def test_search_full_page_and_fragment(door_client, door, edition):
    make_registration(edition, name="Aiko Tanaka", organization="Green Port")
    make_registration(edition, name="Ben Smith", organization="Solar")
    page = door_client.get("/checkin/scan?list=main-door&q=green")
    assert page.status_code == 200 and "Aiko Tanaka" in page.text and "<html" in page.text
    fragment = door_client.get(
        "/checkin/scan?list=main-door&q=tanaka", headers={**HTMX, "HX-Target": "search-results"}
    )
    assert "Aiko Tanaka" in fragment.text and "Ben Smith" not in fragment.text
    assert "<html" not in fragment.text
    nobody = door_client.get(
        "/checkin/scan?list=main-door&q=zzz", headers={**HTMX, "HX-Target": "search-results"}
    )
    assert "Nobody found" in nobody.text


def test_manual_check_in_from_search(door_client, door, edition, door_staff):
    registration = make_registration(edition, name="Aiko Tanaka")
    form = {"list": "main-door", "registration": registration.id, "nonce": "manual-1"}
    response = door_client.post(
        "/checkin/scan/manual", data=form, headers={**HTMX, "HX-Target": "scan-result"}
    )
    assert response.status_code == 200
    assert "result-ok" in response.text and "Aiko Tanaka" in response.text
    assert "checkin:scanned" in response.headers["HX-Trigger"]
    row = db.session.scalar(select(Scan))
    assert row.manual and row.staff_user_id == door_staff.id
    again = door_client.post(
        "/checkin/scan/manual",
        data={**form, "nonce": "manual-2"},
        headers={**HTMX, "HX-Target": "scan-result"},
    )
    assert "result-warn" in again.text and "Already checked in" in again.text
    # Found again by name, someone inside keeps a plain button: green is for those still out.
    found = door_client.get(
        "/checkin/scan?list=main-door&q=tanaka", headers={**HTMX, "HX-Target": "search-results"}
    )
    assert "In since" in found.text
    assert 'class="button small">Check in<' in found.text and "primary" not in found.text
    # Without JavaScript the whole page comes back with the answer.
    page = door_client.post("/checkin/scan/manual", data={**form, "nonce": "manual-3"})
    assert page.status_code == 200 and "result-warn" in page.text and "<html" in page.text
    assert (
        door_client.post("/checkin/scan/manual", data={**form, "registration": 999}).status_code
        == 404
    )
    # Forged by hand: a NUL PostgreSQL can neither compare nor store; nothing is scanned.
    assert (
        door_client.post("/checkin/scan/manual", data={**form, "list": "\x00"}).status_code == 404
    )
    assert (
        door_client.post("/checkin/scan/manual", data={**form, "nonce": "n\x00"}).status_code == 400
    )
    assert db.session.scalar(select(func.count(Scan.id))) == 3


def test_undo_from_the_recent_list(door_client, door, edition):
    registration = make_registration(edition, name="Aiko Tanaka")
    outcome = services.scan(
        registration.badge_token, "main-door", scanned_at=jst(edition.start_date, "9:00")
    )
    recent = door_client.get("/checkin/scan/recent?list=main-door", headers=HTMX)
    assert "Aiko Tanaka" in recent.text and f"/checkin/scans/{outcome.scan_id}/undo" in recent.text
    response = door_client.post(f"/checkin/scans/{outcome.scan_id}/undo", headers=HTMX)
    assert response.status_code == 200 and "undone" in response.text
    assert services.counters(door).checked_in == 0
    twice = door_client.post(f"/checkin/scans/{outcome.scan_id}/undo", headers=HTMX)
    assert twice.status_code == 422 and "already undone" in twice.text
    assert services.counters(door).checked_in == 0
    assert door_client.post("/checkin/scans/9999/undo").status_code == 404


def test_badge_pdf_has_the_japanese_name_and_a_qr_of_the_token(door_client, edition):
    registration = make_registration(
        edition, name="山田 太郎", organization="横浜市温暖化対策統括本部"
    )
    response = door_client.get(f"/checkin/badges/{registration.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = reader.pages[0].extract_text()
    assert "山田 太郎" in text and "横浜市温暖化対策統括本部" in text and "Business" in text
    images = reader.pages[0].images
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(images[0].data)))
    assert [code.text for code in decoded] == [registration.badge_token]
    assert door_client.get("/checkin/badges/9999.pdf").status_code == 404


def test_qr_helpers_carry_only_the_token():
    token = "k1.abcdefghijklmnopqrstuvwxyz012345"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(badges.qr_png(token))))
    assert decoded[0].text == token
    svg = badges.qr_svg(token, label='Badge of "Kai" <Ito>')
    opening = svg.split(">")[0]
    assert svg.startswith("<svg") and 'class="qr"' in svg and "width=" not in opening
    # A screen reader names the image; the name cannot break out of its attribute
    assert 'role="img" aria-label="Badge of &#34;Kai&#34; &lt;Ito&gt;"' in opening


def _print_badges(client, **form) -> PdfReader:
    started = client.post("/checkin/badges", data=form)
    assert started.status_code == 303
    job_page = client.get(started.headers["Location"])
    assert "done" in job_page.text  # inline without Redis: finished when the page opens
    download = re.search(r'href="(/admin/jobs/\d+/download)"', job_page.text).group(1)
    response = client.get(download)
    assert response.mimetype == "application/pdf"
    return PdfReader(io.BytesIO(response.data))


def test_bulk_badges_put_four_on_an_a4_page(organiser_client, edition):
    for number in range(5):
        make_registration(edition, name=f"Person {number}")
    make_registration(edition, name="Cancelled Person", status=RegistrationStatus.CANCELLED)
    reader = _print_badges(organiser_client)
    assert len(reader.pages) == 2
    assert round(float(reader.pages[0].mediabox.width)) == 595  # A4 in points
    text = "".join(page.extract_text() for page in reader.pages)
    assert all(f"Person {n}" in text for n in range(5)) and "Cancelled" not in text
    assert len(_print_badges(organiser_client, category="student").pages) == 1


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_bulk_badges_of_an_unknown_category_start_no_job(organiser_client, edition, htmx):
    make_registration(edition, name="Person 1")
    page = organiser_client.get("/checkin/admin")
    assert page.status_code == 200
    assert re.search(r'<p class="error" id="badge-category-error"[^>]*hidden>\s*</p>', page.text)
    response = organiser_client.post(
        "/checkin/badges", data={"category": "alien"}, headers=HTMX if htmx else {}
    )
    assert response.status_code == 422
    assert "Check-in lists" in response.text  # the back-office page, shown again
    error = r'<p class="error" id="badge-category-error"[^>]*>([^<]*)</p>'
    beside = re.search(error, response.text)
    assert beside and beside.group(1) == "Choose a category from the list."
    assert 'class="field has-error field-selectfield" id="badge-category-field"' in response.text
    assert response.text.count("Choose a category from the list.") == 1
    assert db.session.scalar(select(func.count(BackgroundJob.id))) == 0


def test_the_bulk_print_job_reports_progress_as_it_draws(app, edition, monkeypatch):
    from convention.checkin import badges as badge_module
    from convention.jobs import services as jobs

    for number in range(9):
        make_registration(edition, name=f"Person {number}")
    reports = []
    monkeypatch.setattr(badge_module, "report_progress", lambda *args: reports.append(args))
    job = jobs.start("badges", "convention.checkin.badges:bulk_badges_job", edition.id, None)
    assert reports[-1][1:] == (95, "Drawing badges: 9 of 9")
    assert db.session.get(BackgroundJob, job.id).result_name == f"badges-{edition.slug}.pdf"

    sheets = []
    people = [badges.badge_from_registration(make_registration(edition)) for _ in range(9)]
    badges.badge_pdf(people, sheet=True, on_progress=lambda *done: sheets.append(done))
    assert sheets == [(4, 9), (8, 9), (9, 9)]


def test_walk_in_makes_a_confirmed_registration_and_a_badge(door_client, edition, door):
    make_ticket_type(edition, category=ParticipantCategory.BUSINESS, price=3000)
    make_ticket_type(edition, category=ParticipantCategory.GENERAL)
    page = door_client.get("/checkin/walk-in")
    assert page.status_code == 200 and "Purpose of use" in page.text
    response = door_client.post(
        "/checkin/walk-in",
        data={"name": "鈴木 一郎", "organization": "港湾局", "category": "business", "email": ""},
    )
    assert response.status_code == 303
    registration = db.session.scalar(select(Registration))
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.ticket_type.category == ParticipantCategory.BUSINESS
    assert registration.user.email.endswith("@walk-in.invalid")
    done = door_client.get(response.headers["Location"])
    assert "鈴木 一郎" in done.text and "<svg" in done.text
    assert f"/checkin/badges/{registration.id}.pdf" in done.text
    assert services.scan(registration.badge_token, "main-door").ok


def test_walk_in_refuses_bad_input_beside_the_field(door_client, edition):
    make_ticket_type(edition)
    taken = make_user(email="taken@example.org")
    make_registration(edition, user=taken)
    response = door_client.post(
        "/checkin/walk-in", data={"name": "", "category": "general", "email": "not-an-email"}
    )
    assert response.status_code == 422
    assert "This field is required" in response.text
    response = door_client.post(
        "/checkin/walk-in",
        data={"name": "Taken", "category": "general", "email": "Taken@example.org"},
    )
    assert response.status_code == 422 and "already registered" in response.text
    assert db.session.scalar(select(func.count(Registration.id))) == 1


def test_walk_in_without_ticket_types_explains(door_client, edition):
    response = door_client.post("/checkin/walk-in", data={"name": "X", "category": "general"})
    assert response.status_code == 422 and "no ticket types" in response.text
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_organiser_generates_and_edits_lists(organiser_client, edition):
    seminar = make_session(edition, kind=SessionKind.SEMINAR, title_en="Offshore wind")
    response = organiser_client.post("/checkin/admin/lists/generate")
    assert response.status_code == 303
    page = organiser_client.get("/checkin/admin")
    assert "Main door" in page.text and "Offshore wind" in page.text
    seminar_list = services.find_list(seminar.slug, edition)
    form = {
        "name_ja": "洋上風力",
        "name_en": "Offshore wind (room A)",
        "slug": seminar.slug,
        "kind": "session",
        "session_id": str(seminar.id),
        "admission": "signed_up",
        "valid_from": str(edition.start_date),
        "valid_until": str(edition.start_date),
        "allow_reentry": "y",
    }
    saved = organiser_client.post(f"/checkin/admin/lists/{seminar_list.id}", data=form)
    assert saved.status_code == 303
    assert db.session.get(CheckInList, seminar_list.id).name_en == "Offshore wind (room A)"
    bad = organiser_client.post(
        f"/checkin/admin/lists/{seminar_list.id}", data={**form, "slug": "main-door"}
    )
    assert bad.status_code == 422 and "already uses this slug" in bad.text
    assert db.session.get(CheckInList, seminar_list.id).slug == seminar.slug
    new = organiser_client.post(
        "/checkin/admin/lists/new",
        data={**form, "slug": "vip", "session_id": "", "admission": "everyone"},
    )
    assert new.status_code == 303 and services.find_list("vip", edition) is not None
    assert organiser_client.get("/checkin/admin/lists/9999").status_code == 404


def test_organiser_issues_a_token_once_and_revokes_it(organiser_client, app):
    page = organiser_client.post("/checkin/admin/devices", data={"name": "Door A phone"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    token = page.text.split('id="issued-token">')[1].split("<")[0]
    device = services.device_for_token(token)
    assert device.name == "Door A phone"
    again = organiser_client.get("/checkin/admin/devices")
    assert token not in again.text and "Door A phone" in again.text
    scan = app.test_client().post(
        "/api/checkin/scan",
        json={"token": "x" * 32, "list": "none", "nonce": "n"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert scan.status_code == 404  # authenticated; the list does not exist
    revoked = organiser_client.post(
        f"/checkin/admin/devices/{device.id}/revoke", headers={**HTMX, "HX-Target": "devices"}
    )
    assert revoked.status_code == 200 and "Revoked" in revoked.text and "<html" not in revoked.text
    assert db.session.get(ScannerDevice, device.id).revoked_at is not None
    scan = app.test_client().post(
        "/api/checkin/scan",
        json={"token": "x" * 32, "list": "none", "nonce": "n"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert scan.status_code == 401
    empty = organiser_client.post("/checkin/admin/devices", data={"name": ""})
    assert empty.status_code == 422 and "This field is required" in empty.text
    nul = organiser_client.post("/checkin/admin/devices", data={"name": "Door\x00B"})
    assert nul.status_code == 422 and "characters that are not allowed" in nul.text
    assert db.session.scalar(select(func.count(ScannerDevice.id))) == 1


def test_nav_links_for_door_staff(door_client, edition):
    page = door_client.get("/checkin/scan")
    assert "Scan badges" in page.text and "Walk-in" in page.text
    assert "Scanner devices" not in page.text


def test_login_helper_for_other_edition(app, edition):
    # A list of an edition that is not current is still found by the scanner of its edition.
    old = make_edition(start=edition.start_date.replace(year=edition.start_date.year - 1))
    make_list(old, slug="old-door")
    client = login(app.test_client(), make_user(roles=("door_staff",)))
    assert client.get("/checkin/scan?list=old-door").status_code == 404
