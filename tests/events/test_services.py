"""Rules of the events services, called directly: room clashes, the current edition, calendar
files, and the demo programme."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa

from convention.events import services
from convention.events.models import Edition, Room, Session, SessionKind, Visibility
from convention.extensions import db
from tests.factories import jst, make_edition, make_room, make_session

JST = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def edition(app):
    return make_edition(start=date(2025, 11, 20), venue_en="Hall", venue_ja="ホール")


def data(room, start="10:00", minutes=60, **changes) -> services.SessionData:
    starts_at = jst(date(2025, 11, 20), start)
    values = {
        "slug": "talk",
        "kind": SessionKind.SEMINAR,
        "title_ja": "講演",
        "title_en": "Talk",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=minutes),
        "room": room,
    }
    values.update(changes)
    return services.SessionData(**values)


def test_check_room_free_names_the_clashing_session(edition):
    room = make_room(edition, "Room A")
    make_session(edition, "10:00", 60, room=room, title_en="Keynote", title_ja="Keynote")
    with pytest.raises(services.EventError) as refused:
        services.check_room_free(
            room, jst(edition.start_date, "10:59"), jst(edition.start_date, "12:00")
        )
    assert "Keynote" in str(refused.value) and refused.value.errors.keys() == {"room_id"}
    # touching intervals and rooms-less sessions are free
    services.check_room_free(
        room, jst(edition.start_date, "11:00"), jst(edition.start_date, "12:00")
    )
    services.check_room_free(
        None, jst(edition.start_date, "10:00"), jst(edition.start_date, "11:00")
    )


def test_one_session_containing_another_clashes(edition):
    room = make_room(edition, "Room A")
    make_session(edition, "10:00", 30, room=room, title_en="Short", title_ja="Short")
    with pytest.raises(services.EventError, match="Short"):
        services.save_session(edition, data(room, "09:00", 180))


def test_only_one_current_edition(edition):
    first = services.save_edition(
        services.EditionData("a-2025", "A", "A", "", "", date(2025, 6, 1), date(2025, 6, 2), True)
    )
    second = services.save_edition(
        services.EditionData("b-2025", "B", "B", "", "", date(2025, 7, 1), date(2025, 7, 1), True)
    )
    assert db.session.scalars(sa.select(Edition.slug).where(Edition.is_current)).all() == ["b-2025"]
    assert services.current_edition() == second
    # the database refuses a second current edition written behind the service's back
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(Edition).where(Edition.id == first.id).values(is_current=True))
    db.session.rollback()


def test_calendar_for_is_reusable_for_any_sessions(edition):
    room = make_room(edition, "Room A")
    first = make_session(edition, "09:30", 45, room=room, title_en="First", title_ja="一番")
    second = make_session(
        edition, "18:00", 60, day=1, title_en="Reception", visibility=Visibility.CLOSED
    )
    body = services.calendar_for(
        [first, second], "en", name="My agenda", link=lambda s: f"https://x.test/{s.slug}"
    )
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["x-wr-calname"]) == "My agenda"
    one, two = calendar.walk("VEVENT")
    assert one.decoded("dtstart") == datetime(2025, 11, 20, 9, 30, tzinfo=JST)
    # 09:30 JST is 00:30 UTC: calendar apps must not shift it by the reader's zone
    assert one.decoded("dtstart").astimezone(ZoneInfo("UTC")).hour == 0
    assert str(one["location"]) == "Room A, Hall"
    assert str(two["location"]) == "Hall"  # no room: the venue alone
    assert str(two["class"]) == "PRIVATE"
    assert str(one["url"]) == f"https://x.test/{first.slug}"
    assert str(one["uid"]) == f"session-{first.id}@{services.calendar_uid_domain()}"
    assert b"BEGIN:VTIMEZONE" in body and b"TZID:Asia/Tokyo" in body
    assert (
        str(
            icalendar.Calendar.from_ical(services.calendar_for([first], "ja")).walk("VEVENT")[0][
                "summary"
            ]
        )
        == "一番"
    )


def test_demo_programme_loads_without_clashes(app):
    from convention.events import demo

    edition = demo.load()
    assert edition.is_current and len(edition.sessions) == 13 and len(edition.rooms) == 4
    assert (edition.end_date - edition.start_date).days == 1
    for session in edition.sessions:
        if session.room is not None:
            assert (
                services.find_clash(
                    session.room, session.starts_at, session.ends_at, ignore=session
                )
                is None
            )
        assert edition.start_date <= session.starts_at.astimezone(JST).date() <= edition.end_date
        if session.capacity is not None and session.room and session.room.capacity is not None:
            assert session.capacity <= session.room.capacity
    assert any(session.speakers for session in edition.sessions)


@pytest.mark.postgres_only
def test_two_organisers_booking_one_room_at_once_get_one_session(app, edition):
    room = make_room(edition, "Room A")
    edition_id, room_id = edition.id, room.id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def book(slug: str) -> None:
        with app.app_context():
            mine = db.session.get(Edition, edition_id)
            my_room = db.session.get(Room, room_id)
            barrier.wait()
            try:
                services.save_session(mine, data(my_room, slug=slug))
                outcomes.append("saved")
            except services.EventError:
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=book, args=(slug,)) for slug in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused", "saved"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Session)) == 1


def test_uid_domain_comes_from_the_public_address(app):
    app.config["PUBLIC_BASE_URL"] = "https://convention.city.example.jp"
    assert services.calendar_uid_domain() == "convention.city.example.jp"
    app.config["PUBLIC_BASE_URL"] = ""
    assert services.calendar_uid_domain() == "convention.example"


def test_checkin_list_without_scans_does_not_block_deleting_a_session(edition):
    from convention.checkin.models import CheckInList, ListKind

    session = make_session(edition)
    db.session.add(
        CheckInList(
            edition=edition,
            session=session,
            slug="talk-list",
            name_ja="講演",
            name_en="Talk",
            kind=ListKind.SESSION,
        )
    )
    db.session.commit()
    services.delete_session(session)
    assert db.session.get(Session, session.id) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckInList)) == 0


def test_a_capacity_change_gives_the_waiting_list_its_seats_or_is_refused_below_the_seats(
    edition, outbox, frozen_time
):
    frozen_time.move_to(datetime(2025, 11, 1, 9, 0, tzinfo=JST))  # sign-up is open
    from convention.registration import services as registration
    from convention.registration.models import SignupStatus
    from tests.registration.helpers import make_registration, make_ticket_type

    room = make_room(edition, "Room A", capacity=100)
    session = services.save_session(edition, data(room, capacity=1))
    ticket_type = make_ticket_type(edition)
    holder, waiting = make_registration(ticket_type), make_registration(ticket_type)
    registration.sign_up_for_session(holder, session)
    queued = registration.sign_up_for_session(waiting, session)
    assert queued.status == SignupStatus.WAITLISTED

    with pytest.raises(services.EventError) as refused:
        services.save_session(edition, data(room, capacity=0, title_en="Renamed"), session)
    assert "capacity" in refused.value.errors
    db.session.refresh(session)
    assert (session.capacity, session.title_en) == (1, "Talk")  # nothing changed

    services.save_session(edition, data(room, capacity=2, title_en="Renamed"), session)
    db.session.refresh(queued)
    assert queued.status == SignupStatus.CONFIRMED
    assert (session.capacity, session.title_en) == (2, "Renamed")
