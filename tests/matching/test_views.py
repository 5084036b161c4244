"""Matching pages: directory (full page and fragment), profile, requests, agenda, back-office."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import select

from convention.extensions import db
from convention.matching import services
from convention.matching.models import MatchProfile, Meeting, MeetingStatus, RequestState
from convention.registration.models import RegistrationStatus
from tests.conftest import login
from tests.factories import make_user
from tests.matching.conftest import register

HX = {"HX-Request": "true"}


def hx(target: str) -> dict:
    return {**HX, "HX-Target": target}


@pytest.fixture
def me_client(app, pair):
    """Logged in as the overseas city of `pair`."""
    return login(app.test_client(), pair[1].user)


def test_directory_full_page_and_fragment(me_client, pair, make_profile):
    make_profile("Cebu Water", country="PH", sectors=("water",), languages=("en", "tl"))
    page = me_client.get("/matching")
    assert page.status_code == 200
    assert "<html" in page.text and 'id="directory-filters"' in page.text
    assert "Hama Energy KK" in page.text and "Cebu Water" in page.text
    # Recommendations say why.
    assert "your need: Waste-to-energy — their offer: Waste-to-energy plants" in page.text
    fragment = me_client.get("/matching?q=water", headers=hx("directory-results"))
    assert "<html" not in fragment.text
    assert 'id="directory-results"' in fragment.text
    assert "Cebu Water" in fragment.text and "Hama Energy KK" not in fragment.text
    assert fragment.headers["Vary"].count("HX-Request")


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("country=PH", "Cebu Water", "Hama Energy KK"),
        ("type=overseas_city", "Da Nang City", "Cebu Water"),
        ("sector=waste_to_energy", "Hama Energy KK", "Cebu Water"),
        ("language=tl", "Cebu Water", "Da Nang City"),
        ("type=nonsense", "Cebu Water", "nothing hidden"),
    ],
)
def test_directory_filters_work_as_plain_links(me_client, pair, make_profile, query, shown, hidden):
    make_profile("Cebu Water", country="PH", sectors=("water",), languages=("en", "tl"))
    page = me_client.get(f"/matching?{query}")
    results = page.text.split('id="directory-results"')[1]
    assert shown in results
    assert hidden not in results


def test_the_directory_needs_a_login(client, edition):
    response = client.get("/matching")
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]


def test_creating_a_profile_from_a_registration(app, edition, ticket_type, grid):
    user = make_user(name="Somchai", organization="Bangkok Energy")
    register(user, edition, ticket_type, organization="Bangkok Energy", country="TH")
    client = login(app.test_client(), user)
    form = client.get("/matching/profile")
    assert 'value="Bangkok Energy"' in form.text
    slot = grid[0][0]
    response = client.post(
        "/matching/profile",
        data={
            "organisation_type": "overseas_company",
            "organisation": "Bangkok Energy",
            "country": "TH",
            "city": "Bangkok",
            "sectors": ["solar", "storage"],
            "need_codes": ["storage"],
            "needs_en": "Batteries for a solar park",
            "languages": ["en", "th"],
            "unavailable": [str(slot.id)],
            "visible": "y",
        },
    )
    assert response.status_code == 303, response.text
    profile = db.session.scalar(db.select(MatchProfile))
    assert profile.sectors == ["solar", "storage"]
    assert profile.languages == ["en", "th"]
    assert [row.slot_id for row in profile.unavailable] == [slot.id]


def test_profile_errors_show_beside_the_field(app, edition, ticket_type):
    user = make_user()
    register(user, edition, ticket_type)
    client = login(app.test_client(), user)
    response = client.post("/matching/profile", data={"organisation_type": "local_company"})
    assert response.status_code == 422
    assert "Enter your organisation" in response.text
    assert "Choose at least one language." in response.text
    assert db.session.scalar(db.select(MatchProfile)) is None


def test_without_a_registration_there_is_no_profile(
    app, attendee_client, attendee, edition, ticket_type
):
    directory = attendee_client.get("/matching")
    assert (
        "How to take part" in directory.text and "Create my matching profile" not in directory.text
    )
    response = attendee_client.get("/matching/profile")
    assert response.status_code == 403
    assert "Register first" in response.text
    # A way on, not a dead end: the registration form, or one's own pending registration.
    assert 'href="/register">Register for the convention<' in response.text
    register(attendee, edition, ticket_type, status=RegistrationStatus.AWAITING_PAYMENT)
    response = attendee_client.get("/matching/profile")
    assert response.status_code == 403
    assert 'href="/my/registration">See my registration<' in response.text


def test_requesting_and_accepting_through_the_pages(app, pair):
    a, b = pair
    requester = login(app.test_client(), a.user)
    response = requester.post(
        f"/matching/p/{b.id}/request", data={"message": "Plant visit?", "priority": "3"}
    )
    assert response.status_code == 303
    again = requester.post(
        f"/matching/p/{b.id}/request", data={"priority": "2"}, headers=hx("request-form")
    )
    assert again.status_code == 422  # app.js has htmx swap a 422 into the form
    assert "<html" not in again.text
    assert "already an open request" in again.text
    request_row = db.session.scalar(db.select(services.MeetingRequest))
    recipient = login(app.test_client(), b.user)
    page = recipient.get("/matching/requests")
    assert "Plant visit?" in page.text and "Accept" in page.text
    fragment = recipient.post(
        f"/matching/requests/{request_row.id}/accept", headers=hx(f"request-{request_row.id}")
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "Accepted" in fragment.text
    db.session.refresh(request_row)
    assert request_row.state == RequestState.ACCEPTED
    # The requester cannot accept on the recipient's behalf; strangers get 404.
    assert requester.post(f"/matching/requests/{request_row.id}/decline").status_code == 303
    db.session.refresh(request_row)
    assert request_row.state == RequestState.ACCEPTED
    stranger = login(app.test_client(), make_user())
    assert stranger.post(f"/matching/requests/{request_row.id}/cancel").status_code == 404
    # The allowance counts what one sent, accepted ones included, and says so.
    allowance = "Requests you sent that are waiting or accepted: {} of at most 10."
    assert allowance.format(1) in requester.get("/matching/requests").text
    assert allowance.format(0) in recipient.get("/matching/requests").text


def test_request_to_oneself_is_refused_with_a_message(app, pair):
    a, _ = pair
    client = login(app.test_client(), a.user)
    response = client.post(f"/matching/p/{a.id}/request", data={"priority": "2"})
    assert response.status_code == 422
    assert "cannot request a meeting with yourself" in response.text


def test_unknown_profiles_are_404(me_client, pair):
    assert me_client.get("/matching/p/99999").status_code == 404
    assert me_client.post("/matching/p/99999/request").status_code == 404
    assert me_client.post("/matching/requests/99999/accept").status_code == 404


def test_agenda_page_ics_and_feed(app, me_client, pair, published):
    a, b = pair
    page = me_client.get("/matching/agenda")
    assert "Hama Energy KK" in page.text
    assert f"Table {published.table.number}" in page.text
    ics = me_client.get("/matching/agenda.ics")
    assert ics.headers["Content-Type"].startswith("text/calendar")
    (event,) = icalendar.Calendar.from_ical(ics.data).walk("VEVENT")
    assert "Hama Energy KK" in str(event["SUMMARY"])
    feed = app.test_client().get(f"/matching/feed/{b.registration.calendar_token}.ics")
    assert feed.status_code == 200 and b"BEGIN:VEVENT" in feed.data
    assert app.test_client().get("/matching/feed/not-a-token.ics").status_code == 404


def _record_deal(me_client, meeting, note: str):
    return me_client.post(
        f"/matching/meetings/{meeting.id}/follow-up",
        data={"outcome": "deal", "note": note},
        headers=hx(f"follow-up-{meeting.id}"),
    )


def test_door_marks_held_and_participants_record_a_deal(app, door_client, me_client, published):
    fragment = door_client.post(
        f"/matching/meetings/{published.id}/mark/held", headers=hx(f"meeting-{published.id}")
    )
    assert fragment.status_code == 200 and "Held" in fragment.text and "<html" not in fragment.text
    # The slot's link on the page above counts the mark too, swapped out of band.
    assert 'hx-swap-oob="true">1/1 marked</span>' in fragment.text
    db.session.refresh(published)
    assert published.status == MeetingStatus.HELD
    response = _record_deal(me_client, published, "MoU")
    assert response.status_code == 200
    assert "Deal" in response.text
    assert services.kpi_deals([published.edition_id]) == 1


def test_a_follow_up_note_with_a_nul_is_refused_beside_it(app, door_client, me_client, published):
    door_client.post(f"/matching/meetings/{published.id}/mark/held")
    response = _record_deal(me_client, published, "MoU\x00")
    assert response.status_code == 422
    assert "This contains characters that are not allowed." in response.text
    assert services.kpi_deals([published.edition_id]) == 0


def test_the_door_clears_a_mark_made_by_mistake(door_client, attendee_client, published):
    door_client.post(f"/matching/meetings/{published.id}/mark/held")
    clear = f"/matching/meetings/{published.id}/mark/scheduled"
    assert attendee_client.post(clear).status_code == 403
    fragment = door_client.post(clear, headers=hx(f"meeting-{published.id}"))
    assert fragment.status_code == 200 and "<html" not in fragment.text
    # The row of a scheduled meeting again: both marks offered, nothing to clear.
    assert "Scheduled" in fragment.text and "No-show" in fragment.text
    assert "Clear mark" not in fragment.text
    db.session.refresh(published)
    assert published.status == MeetingStatus.SCHEDULED
    door_client.post(f"/matching/meetings/{published.id}/mark/no_show")
    page = door_client.post(clear, follow_redirects=True)
    assert "Mark cleared." in page.text


@pytest.fixture
def three_slots(matching_session, grid, pair, make_profile):
    """Hama Energy KK meets three cities: three published meetings, one per slot, in order."""
    host = pair[0]
    for guest in (pair[1], make_profile("Cebu City"), make_profile("Penang City")):
        services.respond(services.send_request(host, guest), guest, accept=True)
    services.schedule_session(matching_session, time_limit=5)
    services.publish(matching_session)
    return sorted(
        db.session.scalars(select(Meeting).where(Meeting.edition_id == host.edition_id)),
        key=lambda meeting: meeting.slot.starts_at,
    )


def test_the_door_sees_the_slot_in_progress_first(app, door_staff, three_slots):
    import time_machine

    first, second, third = three_slots
    with time_machine.travel(second.slot.starts_at + timedelta(minutes=5), tick=False):
        client = login(app.test_client(), door_staff)
        page = client.get("/matching/door")
        everything = client.get("/matching/door?slot=all")
        chosen = client.get(f"/matching/door?slot={services.door_slots(second.edition)[0].key}")
        stale = client.get("/matching/door?slot=2020-01-01T09:00")
    assert page.status_code == 200 and "In progress" in page.text
    shown = [meeting for meeting in three_slots if f'id="meeting-{meeting.id}"' in page.text]
    assert shown == [second]
    # Every slot is a link, with how many of its meetings are marked; the chosen one is current.
    assert page.text.count("0/1 marked") == 3
    assert all(f'id="meeting-{m.id}"' in everything.text for m in three_slots)
    assert (
        f'id="meeting-{first.id}"' in chosen.text and f'id="meeting-{second.id}"' not in chosen.text
    )
    # A link to a slot that is no longer there shows the current one.
    assert stale.status_code == 200 and f'id="meeting-{second.id}"' in stale.text


def test_the_door_sees_the_next_slot_before_and_the_last_after(app, door_staff, three_slots):
    import time_machine

    first, _, third = three_slots
    slots = services.door_slots(first.edition)
    assert [entry.meetings for entry in slots] == [[meeting] for meeting in three_slots]
    before, after = (
        first.slot.starts_at - timedelta(hours=1),
        third.slot.ends_at + timedelta(hours=1),
    )
    assert services.slot_at(slots, before).meetings == [first]
    assert services.slot_at(slots, after).meetings == [third]
    assert services.slot_at([], before) is None
    with time_machine.travel(before, tick=False):
        page = login(app.test_client(), door_staff).get("/matching/door")
    assert f'id="meeting-{first.id}"' in page.text and '<span class="tag">Next</span>' in page.text
    assert "In progress" not in page.text
    with time_machine.travel(after, tick=False):
        services.mark(third, MeetingStatus.HELD, door_staff)  # the last slot, now marked
        page = login(app.test_client(), door_staff).get("/matching/door")
    assert f'id="meeting-{third.id}"' in page.text and "1/1 marked" in page.text


def test_the_door_cannot_mark_a_meeting_before_its_slot(app, door_staff, published):
    import time_machine

    with time_machine.travel(published.slot.starts_at - timedelta(days=1), tick=False):
        # Logged in the day before too: a session cookie from the future is no session.
        fragment = login(app.test_client(), door_staff).post(
            f"/matching/meetings/{published.id}/mark/held", headers=hx(f"meeting-{published.id}")
        )
    assert fragment.status_code == 422 and "<html" not in fragment.text
    assert "This meeting starts at Nov 20, 2025 10:00" in fragment.text
    assert "it can be marked held or no-show from then on." in fragment.text
    db.session.refresh(published)
    assert published.status == MeetingStatus.SCHEDULED


@pytest.mark.parametrize(
    ("referrer", "location"),
    [
        (
            "http://convention.test/matching/admin/meetings?page=2",
            "/matching/admin/meetings?page=2",
        ),
        ("https://evil.example/x", "/matching/door"),
        ("http://convention.test.evil.example/matching/door", "/matching/door"),
        ("http://convention.test//evil.example/x", "/matching/door"),
        ("http://convention.test/\\evil.example/x", "/matching/door"),  # read as //evil.example
        ("http://convention.test/\t/evil.example/x", "/matching/door"),
        ("http://convention.test/%5Cevil.example/x", "/%5Cevil.example/x"),  # a path of this site
        ("javascript:alert(1)", "/matching/door"),
        (None, "/matching/door"),
    ],
)
def test_marking_goes_back_to_the_page_only_on_this_site(
    door_client, published, referrer, location
):
    headers = {"Referer": referrer} if referrer else {}
    response = door_client.post(f"/matching/meetings/{published.id}/mark/held", headers=headers)
    assert response.status_code == 303
    assert response.headers["Location"] == location


def test_attendees_cannot_mark_meetings(attendee_client, published):
    assert attendee_client.post(f"/matching/meetings/{published.id}/mark/held").status_code == 403
    assert attendee_client.get("/matching/admin").status_code == 403


def test_organiser_sets_up_runs_publishes_and_moves(
    organiser_client, matching_session, pair, make_profile, outbox
):
    a, b = pair
    c = make_profile("Johor Port")
    services.respond(services.send_request(a, b), b, accept=True)
    services.respond(services.send_request(c, b), b, accept=True)
    base = f"/matching/admin/sessions/{matching_session.id}"
    bad = organiser_client.post(
        f"{base}/grid",
        data={"slot_minutes": "1", "tables": "2", "gap_minutes": "0", "interpreter_tables": "0"},
    )
    assert bad.status_code == 422 and "Between 5 and 120 minutes." in bad.text
    ok = organiser_client.post(
        f"{base}/grid",
        data={"slot_minutes": "20", "tables": "2", "gap_minutes": "0", "interpreter_tables": "1"},
    )
    assert ok.status_code == 303
    run = organiser_client.post(f"{base}/schedule", data={"time_limit": "5"})
    assert run.status_code == 303
    assert "job=" in run.headers["Location"]
    page = organiser_client.get(run.headers["Location"])
    assert "2 meetings placed, 0 unscheduled" in page.text
    meetings = db.session.scalars(db.select(Meeting)).all()
    assert all(m.status == MeetingStatus.DRAFT and m.slot_id for m in meetings)
    board = organiser_client.get(base, headers=hx("board"))
    assert "<html" not in board.text and 'id="board"' in board.text
    published = organiser_client.post(f"{base}/publish")
    assert published.status_code == 303
    assert all(m.status == MeetingStatus.SCHEDULED for m in meetings)
    # Moving one of the city's meetings onto the other's slot is refused with the reason.
    first, second = meetings
    refused = organiser_client.post(
        f"{base}/move",
        data={"meeting": first.id, "slot": second.slot_id, "table": first.table_id},
        headers=hx("board"),
    )
    assert refused.status_code == 422
    assert "Da Nang City already has meeting" in refused.text
    db.session.refresh(first)
    assert first.slot_id != second.slot_id
    assert 'id="move-form"' in refused.text
    # Ids past the 32-bit columns reached the database (a 500): a slot is refused in words,
    # a meeting no row can be is 404; the meeting stays where it was.
    huge = "99999999999999999999"
    slot = organiser_client.post(
        f"{base}/move",
        data={"meeting": first.id, "slot": huge, "table": first.table_id},
        headers=hx("board"),
    )
    assert slot.status_code == 422 and "Choose a slot and a table of this edition." in slot.text
    forged = organiser_client.post(
        f"{base}/move", data={"meeting": huge, "slot": second.slot_id, "table": first.table_id}
    )
    assert forged.status_code == 404
    db.session.refresh(first)
    assert first.slot_id != second.slot_id
    # Once every meeting took place, the move form is no empty list but a sentence.
    for meeting in meetings:
        meeting.status = MeetingStatus.HELD
    db.session.commit()
    done = organiser_client.get(base).text
    assert 'id="move-form"' not in done
    assert "No meeting can be moved: only draft or scheduled meetings can." in done


def test_the_board_shows_which_meetings_need_an_interpreter(
    organiser_client, matching_session, make_profile
):
    services.setup_grid(matching_session, slot_minutes=20, tables=2, interpreter_tables=1)
    company = make_profile("Kanagawa KK", languages=("ja",))
    city = make_profile("Hue City", country="VN", languages=("vi",))
    services.respond(services.send_request(company, city), city, accept=True)
    services.schedule_session(matching_session, time_limit=5)
    board = organiser_client.get(
        f"/matching/admin/sessions/{matching_session.id}", headers=hx("board")
    ).text
    assert "Kanagawa KK" in board and "needs an interpreter" in board
    assert "none at this table" not in board  # it sits at the interpreter table
    # A session without interpreters asks for none: the need shows, no warning.
    services.unschedule_drafts(matching_session)
    services.setup_grid(matching_session, slot_minutes=20, tables=2, interpreter_tables=0)
    services.schedule_session(matching_session, time_limit=5)
    board = organiser_client.get(
        f"/matching/admin/sessions/{matching_session.id}", headers=hx("board")
    ).text
    assert "needs an interpreter" in board and "none at this table" not in board


def test_the_organisers_pages_leave_out_cancelled_participants_and_ask_before_clearing(
    organiser_client, matching_session, pair, make_profile
):
    from convention.registration import services as registration_services

    gone = make_profile("Gone KK")
    registration_services.cancel(gone.registration)
    page = organiser_client.get("/matching/admin/coordinate").text
    assert "Hama Energy KK" in page and "Gone KK" not in page
    session_page = organiser_client.get(f"/matching/admin/sessions/{matching_session.id}").text
    assert 'data-confirm="Take every draft meeting off the board?"' in session_page


def test_organiser_coordinates_and_expires(organiser_client, pair, make_profile):
    a, b = pair
    c = make_profile("Batam Free Zone")
    services.send_request(c, b)
    response = organiser_client.post(
        "/matching/admin/coordinate",
        data={"requester": a.id, "recipient": b.id, "priority": "2", "message": ""},
    )
    assert response.status_code == 303
    same = organiser_client.post(
        "/matching/admin/coordinate",
        data={"requester": a.id, "recipient": a.id, "priority": "2"},
    )
    assert same.status_code == 422 and "Choose two different participants." in same.text
    assert organiser_client.post("/matching/admin/expire").status_code == 303
    states = sorted(r.state.value for r in db.session.scalars(db.select(services.MeetingRequest)))
    assert states == ["accepted", "expired"]
    page = organiser_client.get("/matching/admin")
    assert "Matching sessions" in page.text


def test_the_registration_calendar_feed_carries_my_meetings(app, pair, published):
    _, b = pair
    feed = app.test_client().get(f"/calendar/{b.registration.calendar_token}.ics")
    assert feed.status_code == 200
    calendar = icalendar.Calendar.from_ical(feed.data)
    summaries = [str(event["SUMMARY"]) for event in calendar.walk("VEVENT")]
    assert any("Hama Energy KK" in summary for summary in summaries)
    assert calendar.walk("VTIMEZONE")


def test_search_takes_percent_and_underscore_literally(me_client, pair, make_profile):
    make_profile("Cebu Water", summary_en="Cuts losses by 40% with smart_meters")
    for query, shown in (("%", ["Cebu Water"]), ("_", ["Cebu Water"]), ("40%", ["Cebu Water"])):
        fragment = me_client.get(
            "/matching", query_string={"q": query}, headers=hx("directory-results")
        )
        names = [n for n in ("Cebu Water", "Hama Energy KK", "Da Nang City") if n in fragment.text]
        assert names == shown, query
    nothing = me_client.get("/matching?q=4_%25", headers=hx("directory-results"))
    assert "Cebu Water" not in nothing.text


def test_a_cancelled_registration_disappears_for_others(app, me_client, pair, make_profile):
    from convention.registration import services as registration_services

    a, b = pair
    requester = login(app.test_client(), a.user)
    assert "Da Nang City" in requester.get("/matching").text
    registration_services.cancel(b.registration)
    directory = requester.get("/matching").text.split('id="directory-results"')[1]
    assert "Da Nang City" not in directory
    assert requester.get(f"/matching/p/{b.id}").status_code == 404
    refused = requester.post(
        f"/matching/p/{b.id}/request", data={"priority": "2"}, headers=hx("request-form")
    )
    assert refused.status_code == 422
    assert "This participant is not taking requests." in refused.text
    # Its holder sees their own card, but cannot ask anyone any more.
    assert me_client.get(f"/matching/p/{b.id}").status_code == 200
    page = me_client.get(f"/matching/p/{a.id}").text
    assert "Only confirmed registrations can take part in matching." in page
    assert "Send the request" not in page
    assert db.session.scalars(db.select(services.MeetingRequest)).all() == []


def test_at_the_cap_the_profile_page_says_so_instead_of_the_form(app, pair, make_profile):
    app.config["MATCHING_REQUEST_CAP"] = 1
    a, b = pair
    c = make_profile("Cebu City")
    client = login(app.test_client(), a.user)
    assert "Send the request" in client.get(f"/matching/p/{c.id}").text
    services.send_request(a, b)
    page = client.get(f"/matching/p/{c.id}").text
    assert "Send the request" not in page
    assert "You have reached the limit of 1 open requests." in page
    # A direct POST is still refused, with the sentence once; htmx gets the same 422.
    refused = client.post(f"/matching/p/{c.id}/request", data={"priority": "2"})
    assert refused.status_code == 422
    assert refused.text.count("You have reached the limit of 1 open requests.") == 1
    fragment = client.post(
        f"/matching/p/{c.id}/request", data={"priority": "2"}, headers=hx("request-form")
    )
    assert fragment.status_code == 422 and "<html" not in fragment.text
    assert fragment.text.count("You have reached the limit of 1 open requests.") == 1
    assert len(db.session.scalars(db.select(services.MeetingRequest)).all()) == 1


def test_a_refused_answer_shows_in_the_row(app, pair):
    from convention.registration import services as registration_services

    a, b = pair
    request_row = services.send_request(b, a)
    registration_services.cancel(b.registration)
    client = login(app.test_client(), a.user)
    fragment = client.post(
        f"/matching/requests/{request_row.id}/accept", headers=hx(f"request-{request_row.id}")
    )
    assert fragment.status_code == 422  # app.js has htmx swap a 422 into the row
    assert "<html" not in fragment.text
    assert "Da Nang City no longer has a confirmed registration" in fragment.text
    db.session.refresh(request_row)
    assert request_row.state == RequestState.REQUESTED


def test_meetings_of_another_edition_are_404_and_stay_as_they_were(
    app, door_client, organiser_client, pair, published
):
    """Last year's meetings, requests and follow-ups (its KPIs ① and ②) are out of reach."""
    from datetime import date

    from convention.matching.models import FollowUp, FollowUpOutcome
    from tests.factories import make_edition

    a, b = pair
    services.mark(published, MeetingStatus.HELD, None)
    services.record_follow_up(published, a, FollowUpOutcome.PROPOSAL)
    old = published.edition
    session_id = published.slot.session_id
    request_id = published.request_id
    old.is_current = False
    db.session.commit()
    make_edition(date(2026, 11, 19), is_current=True)
    door = f"/matching/meetings/{published.id}"
    admin = f"/matching/admin/meetings/{published.id}"
    refused = [
        door_client.post(f"{door}/mark/no_show"),
        door_client.post(f"{door}/mark/no_show", headers=hx(f"meeting-{published.id}")),
        organiser_client.post(f"{door}/mark/no_show"),
        organiser_client.post(f"{admin}/cancel"),
        organiser_client.post(f"{admin}/follow-up/{a.id}", data={"outcome": "deal"}),
        organiser_client.get(f"/matching/admin/sessions/{session_id}"),
        organiser_client.post(f"/matching/admin/sessions/{session_id}/unschedule"),
        login(app.test_client(), a.user).post(f"{door}/follow-up", data={"outcome": "deal"}),
        login(app.test_client(), b.user).post(f"/matching/requests/{request_id}/cancel"),
    ]
    assert [response.status_code for response in refused] == [404] * len(refused)
    db.session.expire_all()
    assert published.status == MeetingStatus.HELD
    assert published.request.state == RequestState.ACCEPTED
    assert [row.outcome for row in db.session.scalars(db.select(FollowUp))] == [
        FollowUpOutcome.PROPOSAL
    ]
    assert services.kpi_deals([old.id]) == 0


def test_a_list_reads_with_the_languages_own_separator(me_client, pair, make_profile):
    """English joins a profile's languages with ", ", Japanese with "、"."""
    profile = make_profile("Cebu Water", country="PH", languages=("en", "tl"))
    reader = pair[1].user
    shown = {}
    for language in ("en", "ja"):
        reader.language = language
        db.session.commit()
        page = me_client.get(f"/matching/p/{profile.id}")
        assert page.status_code == 200
        shown[language] = page.text
    assert "English, Filipino" in shown["en"]
    assert "英語、フィリピン語" in shown["ja"]
