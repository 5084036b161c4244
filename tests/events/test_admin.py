"""The organisers' back-office for editions, rooms and sessions: pages, inline htmx rows,
and every refusal with its message beside the field."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from convention.events.models import Edition, Room, Session, SessionKind, Visibility
from convention.extensions import db
from tests.factories import make_edition, make_room, make_session, make_user

EN = {"Accept-Language": "en"}
JST = ZoneInfo("Asia/Tokyo")


def hx(target: str) -> dict:
    return {**EN, "HX-Request": "true", "HX-Target": target}


@pytest.fixture
def edition(app):
    return make_edition(start=date(2025, 11, 20), is_current=True, name_en="Test Convention")


@pytest.fixture
def room(edition):
    return make_room(edition, "Room A", capacity=100)


def session_form(room=None, **changes) -> dict:
    data = {
        "slug": "new-seminar",
        "kind": "seminar",
        "title_ja": "新しいセミナー",
        "title_en": "New seminar",
        "starts_at": "2025-11-20T14:00",
        "ends_at": "2025-11-20T15:30",
        "room_id": str(room.id) if room else "",
        "capacity": "60",
        "language": "both",
        "visibility": "public",
        "description_ja": "",
        "description_en": "About it.",
        "speakers": "Dr. Sato, Yokohama National University",
        "stream_url": "",
        "invitation_code": "",
    }
    data.update(changes)
    return data


def edition_form(**changes) -> dict:
    data = {
        "slug": "ydc-2026",
        "name_ja": "脱炭素コンベンション2026",
        "name_en": "Decarbonization Convention 2026",
        "venue_ja": "パシフィコ横浜",
        "venue_en": "PACIFICO Yokohama",
        "start_date": "2026-11-19",
        "end_date": "2026-11-20",
    }
    data.update(changes)
    return data


# --- access --------------------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(client, edition):
    response = client.get("/admin/editions/")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


NON_ORGANISER_REQUESTS = [
    ("get", "/admin/editions/"),
    ("post", "/admin/editions/"),
    ("get", "/admin/editions/{e}/"),
    ("post", "/admin/editions/{e}/edit"),
    ("post", "/admin/editions/{e}/delete"),
    ("post", "/admin/editions/{e}/rooms"),
    ("post", "/admin/editions/{e}/sessions"),
    ("get", "/admin/editions/{e}/sessions/{s}/edit"),
    ("post", "/admin/editions/{e}/sessions/{s}/delete"),
]


def test_non_organisers_get_403(door_client, edition, room):
    # One test over many URLs (each case is one request, not one app): keeps the suite fast.
    session = make_session(edition, room=room)
    for method, path in NON_ORGANISER_REQUESTS:
        url = path.format(e=edition.id, s=session.id)
        assert getattr(door_client, method)(url, headers=EN).status_code == 403, url
    assert db.session.get(Session, session.id) is not None


def test_staff_nav_shows_editions_to_organisers_only(organiser_client, attendee_client, edition):
    assert 'href="/admin/editions/"' in organiser_client.get("/", headers=EN).text
    assert 'href="/admin/editions/"' not in attendee_client.get("/", headers=EN).text


# --- editions ------------------------------------------------------------------------------


def test_editions_list_shows_dates_fiscal_year_and_current(organiser_client, edition):
    make_edition(start=date(2025, 3, 10), name_en="Spring Convention")
    page = organiser_client.get("/admin/editions/", headers=EN).text
    assert "Test Convention" in page and "Spring Convention" in page
    assert "FY2025" in page and "FY2024" in page
    assert "Current" in page
    assert "Asia/Tokyo" in page  # the fixed time zone on the create form


def test_create_edition_and_make_it_the_only_current_one(organiser_client, edition):
    response = organiser_client.post(
        "/admin/editions/", data=edition_form(is_current="y"), headers=hx("new-edition")
    )
    assert response.status_code == 200
    created = db.session.scalar(select(Edition).where(Edition.slug == "ydc-2026"))
    assert response.headers["HX-Redirect"] == f"/admin/editions/{created.id}/"
    assert created.is_current and created.timezone == "Asia/Tokyo"
    assert created.fiscal_year == 2026
    db.session.refresh(edition)
    assert not edition.is_current


def test_create_edition_without_javascript_redirects(organiser_client, app):
    response = organiser_client.post("/admin/editions/", data=edition_form(), headers=EN)
    assert response.status_code == 303


BAD_EDITIONS = [
    ({"end_date": "2026-11-18"}, "end_date", "The last day cannot be before the first day."),
    ({"start_date": "2027-03-31", "end_date": "2027-04-01"}, "end_date", "one fiscal year"),
    ({"slug": "Bad Slug!"}, "slug", "lower-case letters"),
    ({"start_date": "tomorrow"}, "start_date", "Not a valid date value."),
    ({"name_en": ""}, "name_en", "This field is required."),
]


def test_bad_edition_is_refused_beside_the_field(organiser_client, app):
    for changes, field, message in BAD_EDITIONS:
        response = organiser_client.post(
            "/admin/editions/", data=edition_form(**changes), headers=hx("new-edition")
        )
        assert response.status_code == 422
        assert "HX-Redirect" not in response.headers
        assert "<html" not in response.text
        error = response.text[response.text.index(f'id="new-edition-{field}-error"') :]
        assert message in error[:400], (changes, field)
    assert db.session.scalar(select(Edition)) is None


def test_duplicate_edition_slug_is_refused(organiser_client, edition):
    response = organiser_client.post(
        "/admin/editions/", data=edition_form(slug=edition.slug), headers=EN
    )
    assert response.status_code == 422
    assert "Another edition already uses this short name." in response.text


def test_inline_edit_edition_row_cycle(organiser_client, edition):
    target = f"edition-{edition.id}"
    form_row = organiser_client.get(f"/admin/editions/{edition.id}/edit", headers=hx(target))
    assert form_row.status_code == 200
    assert form_row.text.lstrip().startswith(f'<tr id="{target}" class="editing">')
    assert f'hx-post="/admin/editions/{edition.id}/edit"' in form_row.text
    assert 'value="Test Convention"' in form_row.text

    cancel = organiser_client.get(f"/admin/editions/{edition.id}/row", headers=hx(target))
    assert cancel.text.lstrip().startswith(f'<tr id="{target}"')
    assert "editing" not in cancel.text

    data = edition_form(slug=edition.slug, name_en="Renamed Convention", is_current="y")
    data.update(start_date="2025-11-20", end_date="2025-11-21")
    saved = organiser_client.post(
        f"/admin/editions/{edition.id}/edit", data=data, headers=hx(target)
    )
    assert saved.status_code == 200
    assert "Renamed Convention" in saved.text and "Saved" in saved.text
    assert "<form" not in saved.text
    assert "HX-Refresh" not in saved.headers  # it was already the current edition


def test_making_another_edition_current_reloads_the_list(organiser_client, edition):
    other = make_edition(start=date(2026, 6, 1), name_en="Next year")
    data = edition_form(slug=other.slug, name_en="Next year", is_current="y")
    data.update(start_date="2026-06-01", end_date="2026-06-02")
    response = organiser_client.post(
        f"/admin/editions/{other.id}/edit", data=data, headers=hx(f"edition-{other.id}")
    )
    assert response.headers["HX-Refresh"] == "true"
    db.session.refresh(edition)
    assert not edition.is_current


def test_edition_page_lists_rooms_and_sessions_in_time_order(organiser_client, edition, room):
    make_session(edition, "15:00", title_en="Afternoon talk", room=room)
    make_session(edition, "09:00", title_en="Morning talk", room=room)
    page = organiser_client.get(f"/admin/editions/{edition.id}/", headers=EN).text
    assert page.index("Morning talk") < page.index("Afternoon talk")
    assert "Room A" in page and "Add a session" in page and "Add a room" in page
    assert f'<option value="{room.id}">Room A</option>' in page
    assert "FY2025" in page


def test_edit_session_page_without_javascript(organiser_client, edition, room):
    session = make_session(edition, "10:00", 45, room=room, title_en="Plain talk")
    page = organiser_client.get(
        f"/admin/editions/{edition.id}/sessions/{session.id}/edit", headers=EN
    ).text
    assert "<html" in page and "Edit: Plain talk" in page
    assert 'value="2025-11-20T10:00"' in page and 'value="2025-11-20T10:45"' in page
    assert f'<option selected value="{room.id}">Room A</option>' in page


def test_edit_edition_error_stays_in_the_form_row(organiser_client, edition):
    target = f"edition-{edition.id}"
    data = edition_form(slug=edition.slug, end_date="2026-11-01")
    response = organiser_client.post(
        f"/admin/editions/{edition.id}/edit", data=data, headers=hx(target)
    )
    assert response.status_code == 422
    assert 'class="editing"' in response.text
    assert "The last day cannot be before the first day." in response.text
    db.session.refresh(edition)
    assert edition.start_date == date(2025, 11, 20)


def test_edition_dates_cannot_leave_its_sessions_outside(organiser_client, edition, room):
    make_session(edition, "10:00", day=1, room=room, title_en="Day two talk")
    data = edition_form(slug=edition.slug, start_date="2025-11-20", end_date="2025-11-20")
    response = organiser_client.post(f"/admin/editions/{edition.id}/edit", data=data, headers=EN)
    assert response.status_code == 422
    assert "Day two talk" in response.text and "outside these dates" in response.text


def test_edit_edition_page_without_javascript(organiser_client, edition):
    page = organiser_client.get(f"/admin/editions/{edition.id}/edit", headers=EN)
    assert page.status_code == 200 and "<html" in page.text and "Save" in page.text


def test_delete_unused_edition_removes_the_row(organiser_client, app):
    lonely = make_edition(name_en="Empty")
    response = organiser_client.post(
        f"/admin/editions/{lonely.id}/delete", headers=hx(f"edition-{lonely.id}")
    )
    assert response.status_code == 200 and response.text == ""
    assert db.session.get(Edition, lonely.id) is None


def test_delete_edition_with_rooms_is_refused(organiser_client, edition, room):
    response = organiser_client.post(
        f"/admin/editions/{edition.id}/delete", headers=hx(f"edition-{edition.id}")
    )
    assert response.status_code == 422
    assert "cannot be deleted while it has 1 room." in response.text
    assert db.session.get(Edition, edition.id) is not None


def test_delete_confirmation_page_without_javascript(organiser_client, edition):
    page = organiser_client.get(f"/admin/editions/{edition.id}/delete", headers=EN).text
    assert "Delete “Test Convention”?" in page
    row = organiser_client.get("/admin/editions/", headers=EN).text
    assert 'hx-confirm="Delete “Test Convention”? This cannot be undone."' in row


def test_unknown_edition_is_404(organiser_client, app):
    assert organiser_client.get("/admin/editions/999/", headers=EN).status_code == 404
    assert organiser_client.post("/admin/editions/999/edit", headers=EN).status_code == 404


# --- rooms ---------------------------------------------------------------------------------


def test_create_room(organiser_client, edition):
    response = organiser_client.post(
        f"/admin/editions/{edition.id}/rooms",
        data={"name_ja": "会議室B", "name_en": "Room B", "capacity": "40", "position": "2"},
        headers=hx("new-room"),
    )
    room = db.session.scalar(select(Room).where(Room.name_en == "Room B"))
    assert room.capacity == 40 and room.edition_id == edition.id
    # htmx: a fresh form, and the new row appended to the table out of band
    assert response.status_code == 200 and "HX-Redirect" not in response.headers
    assert response.text.lstrip().startswith('<form id="new-room"')
    oob = r'<template><tbody hx-swap-oob="beforeend:#room-rows">\s*<tr id="room-'
    assert re.search(oob, response.text)
    assert 'hx-swap-oob="delete:#room-rows-empty"' in response.text
    assert 'value="Room B"' not in response.text  # the form is empty again
    plain = organiser_client.post(
        f"/admin/editions/{edition.id}/rooms",
        data={"name_ja": "会議室C", "name_en": "Room C", "capacity": "", "position": "3"},
        headers=EN,
    )
    assert plain.status_code == 303
    assert plain.headers["Location"].endswith(f"/admin/editions/{edition.id}/#rooms")
    assert "Room B" in organiser_client.get(f"/admin/editions/{edition.id}/", headers=EN).text


BAD_ROOMS = [
    ({"capacity": "-5"}, "capacity", "Capacity cannot be negative."),
    ({"name_en": "Room A"}, "name_en", "already has a room with this name"),
    ({"capacity": "many"}, "capacity", "Not a valid integer value."),
    # Beyond the 32-bit column, or a NUL PostgreSQL cannot store: refused, not a 500.
    ({"capacity": "99999999999999999999"}, "capacity", "Number must be between"),
    ({"name_en": "Room\x00Z"}, "name_en", "This contains characters that are not allowed."),
]


def test_bad_room_is_refused(organiser_client, edition, room):
    for data, field, message in BAD_ROOMS:
        form = {"name_ja": "部屋", "name_en": "Room Z", "capacity": "10", "position": "0", **data}
        response = organiser_client.post(
            f"/admin/editions/{edition.id}/rooms", data=form, headers=hx("new-room")
        )
        assert response.status_code == 422 and "HX-Redirect" not in response.headers
        error = response.text[response.text.index(f'id="new-room-{field}-error"') :]
        assert message in error[:300], data
    assert len(db.session.scalars(select(Room)).all()) == 1


def test_inline_edit_room(organiser_client, edition, room):
    target = f"room-{room.id}"
    url = f"/admin/editions/{edition.id}/rooms/{room.id}/edit"
    assert 'class="editing"' in organiser_client.get(url, headers=hx(target)).text
    response = organiser_client.post(
        url,
        data={"name_ja": "大会議室", "name_en": "Big Room", "capacity": "150", "position": "1"},
        headers=hx(target),
    )
    assert response.status_code == 200
    assert "Big Room" in response.text and "150" in response.text
    db.session.refresh(room)
    assert room.name_ja == "大会議室"


def test_inline_edit_of_a_room_refuses_a_capacity_beyond_the_column(
    organiser_client, edition, room
):
    url = f"/admin/editions/{edition.id}/rooms/{room.id}/edit"
    data = {"name_ja": "部屋", "name_en": "Room A", "capacity": "99999999999999999999"}
    response = organiser_client.post(url, data=data, headers=hx(f"room-{room.id}"))
    assert response.status_code == 422
    assert "Number must be between" in response.text
    db.session.refresh(room)
    assert room.capacity == 100 and room.name_ja != "部屋"


def test_room_capacity_cannot_drop_below_a_session(organiser_client, edition, room):
    make_session(edition, room=room, capacity=90, title_en="Big talk")
    response = organiser_client.post(
        f"/admin/editions/{edition.id}/rooms/{room.id}/edit",
        data={"name_ja": "A", "name_en": "Room A", "capacity": "50", "position": "0"},
        headers=hx(f"room-{room.id}"),
    )
    assert response.status_code == 422 and 'class="editing"' in response.text
    assert "Big talk" in response.text and "90" in response.text
    db.session.refresh(room)
    assert room.capacity == 100


def test_delete_room_in_use_is_refused_then_allowed(organiser_client, edition, room):
    session = make_session(edition, room=room)
    url = f"/admin/editions/{edition.id}/rooms/{room.id}/delete"
    refused = organiser_client.post(url, headers=hx(f"room-{room.id}"))
    assert refused.status_code == 422
    assert "This room cannot be deleted while it has 1 session." in refused.text
    assert db.session.get(Room, room.id) is not None
    db.session.delete(session)
    db.session.commit()
    assert organiser_client.post(url, headers=hx(f"room-{room.id}")).text == ""
    assert db.session.get(Room, room.id) is None


def test_room_of_another_edition_is_404(organiser_client, edition):
    other = make_edition()
    foreign = make_room(other, "Elsewhere")
    base = f"/admin/editions/{edition.id}/rooms/{foreign.id}"
    assert organiser_client.get(f"{base}/edit", headers=EN).status_code == 404
    assert organiser_client.get(f"{base}/row", headers=EN).status_code == 404
    assert organiser_client.post(f"{base}/delete", headers=EN).status_code == 404
    assert db.session.get(Room, foreign.id) is not None


# --- sessions ------------------------------------------------------------------------------


def test_create_session_stores_jst_times(organiser_client, edition, room):
    response = organiser_client.post(
        f"/admin/editions/{edition.id}/sessions",
        data=session_form(room),
        headers=hx("new-session"),
    )
    created = db.session.scalar(select(Session).where(Session.slug == "new-seminar"))
    oob = rf'<template><tbody hx-swap-oob="beforeend:#session-rows">\s*<tr id="session-{created.id}'
    assert re.search(oob, response.text)
    assert "New seminar" in response.text
    assert created.starts_at == datetime(2025, 11, 20, 14, tzinfo=JST)
    assert created.ends_at == datetime(2025, 11, 20, 15, 30, tzinfo=JST)
    assert created.room_id == room.id and created.capacity == 60
    page = organiser_client.get(f"/admin/editions/{edition.id}/", headers=EN).text
    assert "Nov 20, 2025, 14:00</time>–<time" in page


def test_overlapping_session_in_one_room_is_refused_naming_the_clash(
    organiser_client, edition, room
):
    make_session(edition, "13:30", 60, room=room, title_en="Hydrogen panel")
    response = organiser_client.post(
        f"/admin/editions/{edition.id}/sessions",
        data=session_form(room),
        headers=hx("new-session"),
    )
    assert response.status_code == 422 and "HX-Redirect" not in response.headers
    error = response.text[response.text.index('id="new-session-room_id-error"') :][:400]
    assert "Room A is already used by “Hydrogen panel” (11/20 13:30–14:30 JST)." in error
    assert db.session.scalar(select(Session).where(Session.slug == "new-seminar")) is None


def test_back_to_back_sessions_and_other_rooms_are_fine(organiser_client, edition, room):
    other = make_room(edition, "Room B")
    make_session(edition, "13:00", 60, room=room)  # ends exactly at 14:00
    make_session(edition, "14:00", 60, room=other)
    response = organiser_client.post(
        f"/admin/editions/{edition.id}/sessions", data=session_form(room), headers=EN
    )
    assert response.status_code == 303


BAD_SESSIONS = [
    ({"ends_at": "2025-11-20T13:00"}, "ends_at", "The end must be after the start."),
    ({"ends_at": "2025-11-20T14:00"}, "ends_at", "The end must be after the start."),
    (
        {"starts_at": "2025-11-25T10:00", "ends_at": "2025-11-25T11:00"},
        "starts_at",
        "during the edition (2025-11-20 – 2025-11-21)",
    ),
    (
        {"starts_at": "2025-11-19T23:00", "ends_at": "2025-11-20T01:00"},
        "starts_at",
        "during the edition",
    ),
    ({"ends_at": "2025-11-22T10:00"}, "ends_at", "by the edition&#39;s last day"),
    ({"capacity": "-1"}, "capacity", "Capacity cannot be negative."),
    ({"capacity": "500"}, "capacity", "The room holds only 100 people."),
    ({"slug": "Has Spaces"}, "slug", "lower-case letters"),
    ({"starts_at": "soon"}, "starts_at", "Not a valid datetime value."),
    ({"stream_url": "not a url"}, "stream_url", "Enter a full web address"),
    ({"kind": "party"}, "kind", "Not a valid choice."),
    ({"title_en": ""}, "title_en", "This field is required."),
]


def test_bad_session_is_refused_beside_the_field(organiser_client, edition, room):
    for changes, field, message in BAD_SESSIONS:
        response = organiser_client.post(
            f"/admin/editions/{edition.id}/sessions",
            data=session_form(room, **changes),
            headers=hx("new-session"),
        )
        assert response.status_code == 422 and "HX-Redirect" not in response.headers
        error = response.text[response.text.index(f'id="new-session-{field}-error"') :][:400]
        assert message in error, changes
    assert db.session.scalars(select(Session)).all() == []


def test_bad_session_without_javascript_shows_the_page_with_errors(organiser_client, edition, room):
    response = organiser_client.post(
        f"/admin/editions/{edition.id}/sessions",
        data=session_form(room, capacity="-3"),
        headers=EN,
    )
    assert response.status_code == 422
    assert "<html" in response.text and "Capacity cannot be negative." in response.text


def test_duplicate_session_slug_is_refused(organiser_client, edition, room):
    make_session(edition, "09:00", 30, slug="new-seminar")
    response = organiser_client.post(
        f"/admin/editions/{edition.id}/sessions", data=session_form(room), headers=EN
    )
    assert "Another session of this edition already uses this short name." in response.text


def test_room_of_another_edition_cannot_be_chosen(organiser_client, edition, room):
    foreign = make_room(make_edition(), "Elsewhere")
    response = organiser_client.post(
        f"/admin/editions/{edition.id}/sessions",
        data=session_form(foreign),
        headers=hx("new-session"),
    )
    assert response.status_code == 422
    error = response.text[response.text.index('id="new-session-room_id-error"') :][:300]
    assert "Not a valid choice." in error


def test_inline_edit_session_cycle(organiser_client, edition, room):
    session = make_session(edition, "10:00", 60, room=room, slug="talk", title_en="Old title")
    target = f"session-{session.id}"
    base = f"/admin/editions/{edition.id}/sessions/{session.id}"

    form_row = organiser_client.get(f"{base}/edit", headers=hx(target)).text
    assert form_row.lstrip().startswith(f'<tr id="{target}" class="editing">')
    assert 'value="2025-11-20T10:00"' in form_row  # JST wall-clock time in datetime-local
    assert re.search(r'<input[^>]*autofocus[^>]*name="slug"', form_row)  # keyboard focus
    assert f'hx-get="{base}/row"' in form_row  # Cancel

    cancel = organiser_client.get(f"{base}/row", headers=hx(target)).text
    assert "Old title" in cancel and "editing" not in cancel

    data = session_form(
        room,
        slug="talk",
        title_en="New title",
        starts_at="2025-11-20T10:30",
        ends_at="2025-11-20T11:30",
        visibility="closed",
        invitation_code="SECRET-1",
        kind="workshop",
    )
    saved = organiser_client.post(f"{base}/edit", data=data, headers=hx(target))
    assert saved.status_code == 200
    assert "New title" in saved.text and "Saved" in saved.text and "<form" not in saved.text
    db.session.refresh(session)
    assert session.starts_at == datetime(2025, 11, 20, 10, 30, tzinfo=JST)
    assert session.visibility == Visibility.CLOSED and session.kind == SessionKind.WORKSHOP


def test_moving_a_session_onto_another_is_refused(organiser_client, edition, room):
    make_session(edition, "10:00", 60, room=room, title_en="Keynote")
    later = make_session(edition, "14:00", 60, room=room, slug="later")
    response = organiser_client.post(
        f"/admin/editions/{edition.id}/sessions/{later.id}/edit",
        data=session_form(
            room, slug="later", starts_at="2025-11-20T10:30", ends_at="2025-11-20T11:30"
        ),
        headers=hx(f"session-{later.id}"),
    )
    assert response.status_code == 422
    assert 'class="editing"' in response.text
    assert "“Keynote”" in response.text
    db.session.refresh(later)
    assert later.starts_at == datetime(2025, 11, 20, 14, tzinfo=JST)


def test_saving_a_session_unchanged_does_not_clash_with_itself(organiser_client, edition, room):
    session = make_session(edition, "14:00", 90, room=room, slug="new-seminar")
    response = organiser_client.post(
        f"/admin/editions/{edition.id}/sessions/{session.id}/edit",
        data=session_form(room),
        headers=EN,
    )
    assert response.status_code == 303


def test_session_of_another_edition_is_404(organiser_client, edition):
    foreign = make_session(make_edition())
    base = f"/admin/editions/{edition.id}/sessions/{foreign.id}"
    assert organiser_client.get(f"{base}/edit", headers=EN).status_code == 404
    assert organiser_client.post(f"{base}/edit", data=session_form(), headers=EN).status_code == 404
    assert organiser_client.get(f"{base}/row", headers=EN).status_code == 404
    assert organiser_client.post(f"{base}/delete", headers=EN).status_code == 404
    assert db.session.get(Session, foreign.id) is not None


def test_delete_session(organiser_client, edition, room):
    session = make_session(edition, room=room)
    response = organiser_client.post(
        f"/admin/editions/{edition.id}/sessions/{session.id}/delete",
        headers=hx(f"session-{session.id}"),
    )
    assert response.status_code == 200 and response.text == ""
    assert db.session.get(Session, session.id) is None


def test_delete_session_with_signups_is_refused(organiser_client, edition, room):
    from convention.accounts.models import ParticipantCategory
    from convention.registration.models import (
        Registration,
        RegistrationStatus,
        SessionSignup,
        SignupStatus,
        TicketType,
    )

    session = make_session(edition, room=room)
    ticket = TicketType(
        edition=edition, name_ja="一般", name_en="General", category=ParticipantCategory.GENERAL
    )
    registration = Registration(
        edition=edition,
        user=make_user(),
        ticket_type=ticket,
        status=RegistrationStatus.CONFIRMED,
        category=ParticipantCategory.GENERAL,
    )
    db.session.add(
        SessionSignup(registration=registration, session=session, status=SignupStatus.CONFIRMED)
    )
    db.session.commit()

    url = f"/admin/editions/{edition.id}/sessions/{session.id}/delete"
    response = organiser_client.post(url, headers=hx(f"session-{session.id}"))
    assert response.status_code == 422
    assert "This session cannot be deleted while it has 1 seminar sign-up." in response.text
    assert db.session.get(Session, session.id) is not None

    plain = organiser_client.post(url, headers=EN)
    assert plain.status_code == 303
    assert db.session.get(Session, session.id) is not None


def test_inline_check_names_the_clash_before_saving(organiser_client, edition, room):
    make_session(edition, "13:30", 60, room=room, title_en="Hydrogen panel", title_ja="水素")
    page = organiser_client.get(f"/admin/editions/{edition.id}/", headers=EN).text
    check_url = f"/admin/editions/{edition.id}/sessions/check"
    assert f'hx-post="{check_url}"' in page
    assert 'hx-select="#new-session-room_id-field"' in page

    # The slug is still empty: only the time and room matter to the room's field
    response = organiser_client.post(
        check_url, data=session_form(room, slug=""), headers=hx("new-session-room_id-field")
    )
    assert response.status_code == 200
    field = response.text[response.text.index('id="new-session-room_id-field"') :][:1500]
    assert "Room A is already used by “Hydrogen panel”" in field
    assert db.session.scalars(select(Session).where(Session.slug == "")).all() == []

    free = organiser_client.post(
        check_url,
        data=session_form(room, starts_at="2025-11-20T15:00", ends_at="2025-11-20T16:00"),
        headers=hx("new-session-room_id-field"),
    )
    field = free.text[free.text.index('id="new-session-room_id-field"') :][:1500]
    assert "already used" not in field
    assert len(db.session.scalars(select(Session)).all()) == 1  # nothing saved


def test_inline_check_of_an_edited_session_ignores_itself(organiser_client, edition, room):
    session = make_session(edition, "14:00", 90, room=room, slug="new-seminar")
    response = organiser_client.post(
        f"/admin/editions/{edition.id}/sessions/check?session={session.id}",
        data=session_form(room, ends_at="2025-11-20T13:00"),
        headers=hx(f"session-{session.id}-ends_at-field"),
    )
    assert f'id="session-{session.id}-ends_at-field"' in response.text
    assert "The end must be after the start." in response.text
    assert "already used" not in response.text
    foreign = make_session(make_edition())
    assert (
        organiser_client.post(
            f"/admin/editions/{edition.id}/sessions/check?session={foreign.id}",
            data=session_form(room),
            headers=EN,
        ).status_code
        == 404
    )
