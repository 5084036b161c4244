"""The organisers' registrant list, exports, waiting lists, messages and ticket types."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from convention.accounts.models import ParticipantCategory
from convention.events.models import Session
from convention.extensions import db
from convention.registration import services
from convention.registration.models import RegistrationStatus as RS
from convention.registration.models import SessionSignup, TicketType
from tests.factories import make_edition, make_session, make_user
from tests.helpers import sql_statements
from tests.registration.helpers import make_registration, make_ticket_type, make_university

HX = {"HX-Request": "true"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def edition(app):
    return make_edition(start=date.today() + timedelta(days=30), is_current=True)


@pytest.fixture
def general(edition):
    return make_ticket_type(edition, name_en="General admission", capacity=1000)


def test_list_search_is_a_fragment_for_htmx_and_a_page_otherwise(organiser_client, general):
    make_registration(general, user=make_user(name="Hanako Sato"), organization="Port Authority")
    make_registration(general, user=make_user(name="John Smith"), organization="Smith & Co")
    page = organiser_client.get("/admin/registrations?q=port", headers=EN)
    assert page.status_code == 200 and "<html" in page.text
    assert "Hanako Sato" in page.text and "John Smith" not in page.text
    fragment = organiser_client.get(
        "/admin/registrations?q=smith",
        headers={**HX, **EN, "HX-Target": "registration-results"},
    )
    assert "<html" not in fragment.text and 'id="registration-results"' in fragment.text
    assert "John Smith" in fragment.text and "Hanako Sato" not in fragment.text
    # LIKE wildcards typed by the organiser are taken literally.
    assert (
        "No registration matches"
        in organiser_client.get("/admin/registrations?q=%25", headers=EN).text
    )


def test_filters_and_sort(organiser_client, edition, general):
    student = make_ticket_type(edition, name_en="Student", category=ParticipantCategory.STUDENT)
    ynu = make_university()
    make_registration(
        student,
        user=make_user(name="Student A"),
        university_id=ynu.id,
        faculty="Eng",
        study_year="B3",
    )
    make_registration(general, user=make_user(name="Overseas B"), country="VN")
    text = organiser_client.get("/admin/registrations?category=student", headers=EN).text
    assert "Student A" in text and "Overseas B" not in text
    text = organiser_client.get("/admin/registrations?country=vn", headers=EN).text
    assert "Overseas B" in text and "Student A" not in text
    text = organiser_client.get(f"/admin/registrations?university={ynu.id}", headers=EN).text
    assert "Student A" in text and "Overseas B" not in text
    # The student's university stands in the affiliation column, marked as in the city.
    assert '<span class="university">Yokohama National University ★</span>' in text
    text = organiser_client.get("/admin/registrations?university=in_city", headers=EN).text
    assert "Student A" in text and "Overseas B" not in text
    text = organiser_client.get(f"/admin/registrations?ticket_type={general.id}", headers=EN).text
    assert "Overseas B" in text and "Student A" not in text
    text = organiser_client.get("/admin/registrations?sort=name", headers=EN).text
    assert text.index("Overseas B") < text.index("Student A")
    text = organiser_client.get("/admin/registrations?status=cancelled", headers=EN).text
    assert "No registration matches" in text
    # Nonsense filters are ignored, never a 500.
    odd = organiser_client.get("/admin/registrations?page=-3&sort=drop&status=x&ticket_type=y")
    assert odd.status_code == 200
    # Ids no row can have (beyond the 32-bit column, superscript digits) filter nothing.
    for query in ("ticket_type=999999999999", "university=999999999999", "ticket_type=%C2%B2"):
        text = organiser_client.get(f"/admin/registrations?{query}", headers=EN).text
        assert "Student A" in text and "Overseas B" in text, query


def _count_queries(app, action) -> int:
    with sql_statements() as statements:
        action()
    return len(statements)


def test_list_page_query_count_does_not_grow_with_rows(app, organiser_client, edition, general):
    universities = [make_university(f"University {n}") for n in range(3)]
    student = make_ticket_type(edition, category=ParticipantCategory.STUDENT)

    def add(n):
        for i in range(n):
            make_registration(
                student,
                university_id=universities[i % 3].id,
                faculty="Eng",
                study_year="B1",
            )

    add(2)
    organiser_client.get("/admin/registrations")  # first request of the app: warm-up work
    db.session.expire_all()
    few = _count_queries(app, lambda: organiser_client.get("/admin/registrations"))
    add(30)
    db.session.expire_all()
    many = _count_queries(app, lambda: organiser_client.get("/admin/registrations"))
    assert many == few
    assert many <= 9  # user, roles, edition, ticket types, universities, the page, the footer


def test_pagination(organiser_client, general, monkeypatch):
    monkeypatch.setattr(services, "PAGE_SIZE", 2)
    for n in range(5):
        make_registration(general, user=make_user(name=f"Person {n}"))
    first = organiser_client.get("/admin/registrations?sort=oldest", headers=EN).text
    assert "Page 1 of 3" in first and "Person 0" in first and "Person 2" not in first
    third = organiser_client.get("/admin/registrations?sort=oldest&page=3", headers=EN).text
    assert "Person 4" in third and "Person 0" not in third


def test_csv_and_xlsx_exports_follow_the_filters(organiser_client, general):
    make_registration(general, user=make_user(name="山田 太郎"), organization="=HYPERLINK()")
    make_registration(general, user=make_user(name="Jane Doe"), country="GB")
    response = organiser_client.get("/admin/registrations/export.csv?country=JP", headers=EN)
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["No.", "Name", "Email"]
    assert [row[1] for row in rows[1:]] == ["山田 太郎"]
    assert rows[1][3] == "'=HYPERLINK()"  # never a live formula
    xlsx = organiser_client.get("/admin/registrations/export.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["Jane Doe", "山田 太郎"]
    assert organiser_client.get("/admin/registrations/export.pdf").status_code == 404


def test_a_walk_in_without_an_address_shows_none_and_gets_no_mail(
    organiser_client, edition, general, outbox
):
    """The door registers someone who gave no email: the placeholder that fills the column
    is never shown, exported or written to."""
    from convention.checkin.services import register_walk_in

    walk_in = register_walk_in(
        edition, name="Walk In", organization="Port", email="", category=ParticipantCategory.GENERAL
    )
    with_address = make_registration(general, user=make_user(name="Has Address"))
    listing = organiser_client.get("/admin/registrations", headers=EN).text
    detail = organiser_client.get(f"/admin/registrations/{walk_in.id}", headers=EN).text
    export = organiser_client.get("/admin/registrations/export.csv?sort=oldest", headers=EN)
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert "walk-in.invalid" not in listing + detail + export.data.decode("utf-8-sig")
    assert "no email address" in detail
    assert {row[1]: row[2] for row in rows[1:]} == {
        "Has Address": with_address.user.email,
        "Walk In": "",
    }

    organiser_client.post(
        "/admin/registrations/message",
        data={"segment": "confirmed", "subject": "Doors open", "body": "See you."},
    )
    sent = [m for m in outbox() if m.template == "registration/segment"]
    assert [m.recipient for m in sent] == [with_address.user.email]


def test_approve_and_reject_from_the_detail_page(organiser_client, organiser, edition, outbox):
    vip = make_ticket_type(edition, requires_approval=True)
    one, two = make_registration(vip), make_registration(vip)
    detail = organiser_client.get(f"/admin/registrations/{one.id}", headers=EN)
    assert "Approve" in detail.text
    # In Japanese the organiser's refusal is お断りする (辞退する is a participant withdrawing).
    language, organiser.language = organiser.language, "ja"
    db.session.commit()
    for url in (f"/admin/registrations/{one.id}", "/admin/waitlists"):
        page = organiser_client.get(url).text
        assert "お断りする" in page and "辞退する" not in page
    organiser.language = language
    db.session.commit()
    organiser_client.post(f"/admin/registrations/{one.id}/approve")
    organiser_client.post(f"/admin/registrations/{two.id}/reject")
    assert one.status == RS.CONFIRMED and two.status == RS.REJECTED
    # A second approval is refused with a message, nothing changes.
    organiser_client.post(f"/admin/registrations/{one.id}/approve")
    assert one.status == RS.CONFIRMED
    assert organiser_client.post(f"/admin/registrations/{one.id}/explode").status_code == 404
    assert organiser_client.get("/admin/registrations/999999").status_code == 404


def test_waitlist_reorder_and_promote(organiser_client, edition):
    small = make_ticket_type(edition, capacity=1)
    make_registration(small)
    a = make_registration(small, user=make_user(name="Waiting First"))
    b = make_registration(small, user=make_user(name="Waiting Second"))
    page = organiser_client.get("/admin/waitlists", headers=EN)
    assert page.text.index("Waiting First") < page.text.index("Waiting Second")
    organiser_client.post(f"/admin/waitlists/registration/{b.id}/up")
    assert [r.id for r in services.waitlist(small)] == [b.id, a.id]
    organiser_client.post(f"/admin/waitlists/registration/{b.id}/promote")
    assert b.status == RS.WAITLISTED  # full: refused
    session = make_session(edition, capacity=1)
    holder = make_registration(make_ticket_type(edition))
    services.sign_up_for_session(holder, session)
    waiting = services.sign_up_for_session(make_registration(make_ticket_type(edition)), session)
    session.capacity = 2
    db.session.commit()
    organiser_client.post(f"/admin/waitlists/signup/{waiting.id}/promote")
    assert waiting.status.value == "confirmed"


def test_ticket_type_admin_create_and_capacity_raise_promotes(organiser_client, edition, outbox):
    response = organiser_client.post(
        "/admin/ticket-types/new",
        data={
            "name_ja": "一般",
            "name_en": "General",
            "category": "general",
            "price": "0",
            "capacity": "1",
            "position": "0",
        },
    )
    assert response.status_code == 303
    ticket_type = db.session.scalars(sa.select(TicketType)).one()
    make_registration(ticket_type)
    waiting = make_registration(ticket_type)
    edit = organiser_client.get(f"/admin/ticket-types/{ticket_type.id}/edit")
    assert edit.status_code == 200
    organiser_client.post(
        f"/admin/ticket-types/{ticket_type.id}/edit",
        data={
            "name_ja": "一般",
            "name_en": "General",
            "category": "general",
            "price": "0",
            "capacity": "2",
            "position": "0",
        },
    )
    db.session.refresh(waiting)
    assert waiting.status == RS.CONFIRMED
    bad = organiser_client.post(
        f"/admin/ticket-types/{ticket_type.id}/edit",
        data={"name_ja": "一般", "name_en": "General", "category": "general", "price": "-5"},
        headers=EN,
    )
    assert bad.status_code == 422 and "Number must be between 0 and 10000000." in bad.text
    nul = organiser_client.post(
        f"/admin/ticket-types/{ticket_type.id}/edit",
        data={"name_ja": "一般", "name_en": "Gen\x00eral", "category": "general", "price": "0"},
        headers=EN,
    )
    assert nul.status_code == 422 and "characters that are not allowed" in nul.text
    db.session.refresh(ticket_type)
    assert (ticket_type.price, ticket_type.capacity) == (0, 2)
    assert ticket_type.name_en == "General"


def test_message_a_seminar_segment(organiser_client, edition, general, outbox):
    session = make_session(edition, title_en="Offshore wind")
    inside = make_registration(general)
    outside = make_registration(general)
    services.sign_up_for_session(inside, session)
    response = organiser_client.post(
        "/admin/registrations/message",
        data={"segment": f"session:{session.id}", "subject": "Room change", "body": "Room B now."},
    )
    assert response.status_code == 303
    sent = [m for m in outbox() if m.template == "registration/segment"]
    assert [m.recipient for m in sent] == [inside.user.email]
    assert sent[0].subject == "Room change" and "Room B now." in sent[0].body_text
    assert outside.user.email not in [m.recipient for m in sent]
    bad = organiser_client.post(
        "/admin/registrations/message",
        data={"segment": "everyone-ever", "subject": "x", "body": "y"},
        headers=EN,
    )
    assert bad.status_code == 422 and "Not a valid choice" in bad.text
    nul = organiser_client.post(
        "/admin/registrations/message",
        data={"segment": f"session:{session.id}", "subject": "x", "body": "Room\x00B"},
        headers=EN,
    )
    assert nul.status_code == 422 and "characters that are not allowed" in nul.text
    assert len([m for m in outbox() if m.template == "registration/segment"]) == 1


@pytest.mark.parametrize(
    "url",
    [
        "/admin/registrations",
        "/admin/registrations/export.csv",
        "/admin/waitlists",
        "/admin/ticket-types",
        "/admin/registrations/message",
    ],
)
def test_attendees_cannot_open_organiser_pages(attendee_client, edition, url):
    assert attendee_client.get(url).status_code == 403


def _error_beside(html: str, element_id: str) -> str:
    found = re.search(rf'<p class="error" id="{element_id}-error"[^>]*>([^<]*)</p>', html)
    assert found, f"no error paragraph for {element_id}"
    return found.group(1)


def test_raising_a_seminar_capacity_from_the_waiting_list_page(organiser_client, edition, general):
    session = make_session(edition, capacity=1)
    services.sign_up_for_session(make_registration(general), session)
    waiting = services.sign_up_for_session(make_registration(general), session)
    page = organiser_client.get("/admin/waitlists", headers=EN)
    assert page.status_code == 200
    assert f"/admin/waitlists/session/{session.id}/capacity" in page.text
    assert _error_beside(page.text, f"session-{session.id}-capacity") == ""
    saved = organiser_client.post(
        f"/admin/waitlists/session/{session.id}/capacity", data={"capacity": "2"}, headers=EN
    )
    assert saved.status_code == 303
    db.session.refresh(waiting)
    assert waiting.status.value == "confirmed"
    assert "Capacity saved; 1 person got a seat." in organiser_client.get("/admin/waitlists").text


@pytest.mark.parametrize(
    ("capacity", "message"),
    [
        ("x", "Enter the capacity as a whole number (empty = no limit)."),
        ("-1", "Enter the capacity as a whole number (empty = no limit)."),
        ("1.5", "Enter the capacity as a whole number (empty = no limit)."),
        ("1000001", "Enter the capacity as a whole number (empty = no limit)."),
        ("0", "More people already have a seat: the capacity cannot be lower."),
    ],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_refused_seminar_capacity_is_shown_beside_its_field(
    organiser_client, edition, general, capacity, message, htmx
):
    session = make_session(edition, capacity=1)
    other = make_session(edition, capacity=1)
    for seminar in (session, other):
        services.sign_up_for_session(make_registration(general), seminar)
        services.sign_up_for_session(make_registration(general), seminar)
    before = db.session.execute(
        sa.select(SessionSignup.id, SessionSignup.status).order_by(SessionSignup.id)
    ).all()
    response = organiser_client.post(
        f"/admin/waitlists/session/{session.id}/capacity",
        data={"capacity": capacity},
        headers={**EN, **(HX if htmx else {})},
    )
    assert response.status_code == 422
    assert "Waiting lists and approvals" in response.text  # the page, shown again
    assert _error_beside(response.text, f"session-{session.id}-capacity") == message
    assert _error_beside(response.text, f"session-{other.id}-capacity") == ""
    assert response.text.count(message) == 1
    field = response.text[response.text.index(f'id="session-{session.id}-capacity-field"') :]
    assert f'value="{capacity}"' in field[: field.index("</div>")]  # what was typed comes back
    db.session.expire_all()
    assert db.session.get(Session, session.id).capacity == 1
    assert (
        db.session.execute(
            sa.select(SessionSignup.id, SessionSignup.status).order_by(SessionSignup.id)
        ).all()
        == before
    )


def test_a_refused_capacity_of_a_seminar_nobody_waits_for_still_shows_its_message(
    organiser_client, edition, general
):
    session = make_session(edition, capacity=1)
    services.sign_up_for_session(make_registration(general), session)
    assert f"session-{session.id}-capacity" not in organiser_client.get("/admin/waitlists").text
    response = organiser_client.post(
        f"/admin/waitlists/session/{session.id}/capacity", data={"capacity": "0"}, headers=EN
    )
    assert response.status_code == 422
    assert _error_beside(response.text, f"session-{session.id}-capacity") == (
        "More people already have a seat: the capacity cannot be lower."
    )
    db.session.expire_all()
    assert db.session.get(Session, session.id).capacity == 1
