"""Scheduling accepted meetings into the grid, publishing, moves, marks, follow-ups and KPIs."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import icalendar
import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.exc import IntegrityError

from convention.events.models import SessionKind
from convention.extensions import db
from convention.matching import services
from convention.matching.models import (
    FollowUpOutcome,
    Meeting,
    MeetingSeat,
    MeetingStatus,
    ProfileUnavailability,
)
from tests.factories import make_session
from tests.helpers import at_once


def accepted(a, b, priority=2):
    request = services.send_request(a, b, priority=priority)
    services.respond(request, b, accept=True)
    return request.meeting


@pytest.fixture
def cast(make_profile):
    """A popular overseas city and four companies that each meet it."""
    city = make_profile("Bangkok", country="TH", needs=("solar",))
    companies = [make_profile(f"Company {n}", offers=("solar",)) for n in range(4)]
    meetings = [accepted(company, city) for company in companies]
    return city, companies, meetings


def no_double_booking():
    seats = db.session.execute(
        sa.select(MeetingSeat.profile_id, MeetingSeat.slot_id, sa.func.count())
        .where(MeetingSeat.slot_id.is_not(None))
        .group_by(MeetingSeat.profile_id, MeetingSeat.slot_id)
        .having(sa.func.count() > 1)
    ).all()
    tables = db.session.execute(
        sa.select(Meeting.slot_id, Meeting.table_id, sa.func.count())
        .where(Meeting.slot_id.is_not(None))
        .group_by(Meeting.slot_id, Meeting.table_id)
        .having(sa.func.count() > 1)
    ).all()
    return not seats and not tables


def test_the_grid_cuts_the_session_into_slots_and_tables(matching_session, grid):
    slots, tables = grid
    assert [s.number for s in slots] == [0, 1, 2, 3, 4]
    assert all((s.ends_at - s.starts_at).seconds == 1200 for s in slots)
    assert [t.number for t in tables] == [1, 2, 3]
    assert [t.interpreter for t in tables] == [True, False, False]


def test_a_tables_card_on_the_board_joins_its_free_slots(matching_session, grid):
    slots, (busy, empty, _) = grid
    meeting = Meeting()
    placed = {(slots[2].id, busy.id): meeting}
    assert services.table_rows(slots, busy, placed) == [
        services.TableRow(slots[0], slots[1]),
        services.TableRow(slots[2], slots[2], meeting),
        services.TableRow(slots[3], slots[4]),
    ]
    assert services.table_rows(slots, empty, placed) == [services.TableRow(slots[0], slots[4])]


def test_bad_grids_are_refused(matching_session):
    with pytest.raises(services.MatchingError, match="between 5 and 120"):
        services.setup_grid(matching_session, slot_minutes=2)
    with pytest.raises(services.MatchingError, match="interpreter tables"):
        services.setup_grid(matching_session, tables=2, interpreter_tables=3)


def test_scheduling_places_every_meeting_without_conflicts(matching_session, grid, cast):
    city, companies, meetings = cast
    # Company 0 cannot meet in the first slot.
    db.session.add(ProfileUnavailability(profile=companies[0], slot=grid[0][0]))
    db.session.commit()
    output = services.schedule_session(matching_session, time_limit=5)
    assert output["unscheduled"] == []
    assert output["breaks"] == 0  # the city meets four companies in a row
    for meeting in meetings:
        db.session.refresh(meeting)
        assert meeting.status == MeetingStatus.DRAFT
        assert meeting.slot is not None and meeting.table is not None
        assert meeting.session_id == matching_session.id
    assert meetings[0].slot.number != 0
    assert no_double_booking()
    with pytest.raises(services.MatchingError, match="Set up the slots"):
        services.schedule_session(
            __import__("tests.factories", fromlist=["make_session"]).make_session(
                matching_session.edition, kind=matching_session.kind
            )
        )


def test_publishing_emails_each_participant_their_agenda(matching_session, grid, cast, outbox):
    city, companies, meetings = cast
    services.schedule_session(matching_session, time_limit=5)
    before = len(outbox())
    assert services.publish(matching_session) == 4
    mails = outbox()[before:]
    assert {m.recipient for m in mails} == {p.user.email for p in [city, *companies]}
    city_mail = next(m for m in mails if m.recipient == city.user.email)
    assert city_mail.body_text.count("Table") == 4
    assert all(m.status == MeetingStatus.SCHEDULED for m in services.agenda(city))
    calendar = icalendar.Calendar.from_ical(services.agenda_ics(city))
    events = calendar.walk("VEVENT")
    assert len(events) == 4
    assert "Company" in str(events[0]["SUMMARY"])


def test_published_meetings_stay_fixed_when_late_meetings_arrive(
    matching_session, grid, cast, make_profile
):
    city, companies, meetings = cast
    services.schedule_session(matching_session, time_limit=5)
    services.publish(matching_session)
    where = {m.id: (m.slot_id, m.table_id) for m in meetings}
    late = accepted(make_profile("Late KK"), city, priority=3)
    output = services.schedule_session(matching_session, time_limit=5)
    assert output["unscheduled"] == []
    for meeting in meetings:
        db.session.refresh(meeting)
        assert (meeting.slot_id, meeting.table_id) == where[meeting.id]
        assert meeting.status == MeetingStatus.SCHEDULED
    db.session.refresh(late)
    assert late.status == MeetingStatus.DRAFT and late.slot is not None
    assert no_double_booking()


def test_manual_moves_are_checked_for_conflicts(matching_session, grid, cast, outbox):
    slots, tables = grid
    city, companies, meetings = cast
    services.schedule_session(matching_session, time_limit=5)
    services.publish(matching_session)
    first, second = meetings[0], meetings[1]
    # Into the slot where the city already meets someone else.
    with pytest.raises(services.MatchingError, match="Bangkok already has meeting"):
        services.move_meeting(first.id, second.slot_id, tables[2].id)
    # Onto a table taken in that slot.
    other_table = next(t for t in tables if t.id != first.table_id)
    taken = Meeting(edition_id=first.edition_id, status=MeetingStatus.DRAFT)
    db.session.add(taken)
    db.session.flush()
    free_slot = next(s for s in slots if s.id not in {m.slot_id for m in meetings})
    taken.slot_id, taken.table_id = free_slot.id, other_table.id
    db.session.commit()
    with pytest.raises(services.MatchingError, match="is taken in this slot"):
        services.move_meeting(first.id, free_slot.id, other_table.id)
    # A free place works, and the published meeting's participants hear about it.
    db.session.delete(taken)
    db.session.commit()
    before = len(outbox())
    moved = services.move_meeting(first.id, free_slot.id, other_table.id)
    assert moved.slot_id == free_slot.id
    assert {seat.slot_id for seat in moved.seats} == {free_slot.id}
    assert len(outbox()) == before + 2
    assert no_double_booking()


def test_meetings_without_a_shared_language_wait_for_the_interpreter_table(
    matching_session, grid, make_profile
):
    slots, tables = grid  # five slots; table 1 of 3 has the interpreter
    # Six Japanese-speaking companies each meet a different Vietnamese-speaking city: one
    # meeting per slot fits at the interpreter table, so one of them waits.
    meetings = [
        accepted(
            make_profile(f"Kanagawa KK {n}", languages=("ja",)),
            make_profile(f"City {n}", country="VN", languages=("vi",)),
        )
        for n in range(6)
    ]
    assert all(m.needs_interpreter for m in meetings)
    output = services.schedule_session(matching_session, time_limit=5)
    assert len(output["unscheduled"]) == 1
    placed = [m for m in meetings if m.slot is not None]
    assert len(placed) == 5
    assert {m.table_id for m in placed} == {tables[0].id}
    assert len({m.slot_id for m in placed}) == 5
    waiting = next(m for m in meetings if m.slot is None)
    # By hand, it cannot go to a table without an interpreter either.
    with pytest.raises(services.MatchingError, match="needs an interpreter: table 2 has none"):
        services.move_meeting(waiting.id, slots[0].id, tables[1].id)
    assert no_double_booking()


def _city_slots(city) -> dict[int, Meeting]:
    """The city's placed meetings by slot number."""
    return {
        seat.meeting.slot.number: seat.meeting
        for seat in db.session.scalars(sa.select(MeetingSeat).where(MeetingSeat.profile == city))
        if seat.meeting.slot is not None
    }


def test_moves_keep_to_the_break_cap(app, matching_session, grid, cast):
    slots, tables = grid
    city, companies, meetings = cast
    services.schedule_session(matching_session, time_limit=5)
    services.publish(matching_session)
    app.config["MATCHING_MAX_BREAKS"] = 0
    by_slot = _city_slots(city)
    assert len(by_slot) == 4  # four meetings in a row among five slots
    free = next(s for s in slots if s.number not in by_slot)
    inner = by_slot[sorted(by_slot)[1]]  # moving it out leaves a hole in the city's day
    with pytest.raises(services.MatchingError, match="Bangkok would have more than 0 breaks"):
        services.move_meeting(inner.id, free.id, tables[2].id)
    db.session.refresh(inner)
    assert inner.slot.number == sorted(by_slot)[1]


def test_parallel_matching_sessions_never_seat_one_person_twice(
    matching_session, grid, cast, make_profile, edition
):
    city, companies, meetings = cast
    services.schedule_session(matching_session, time_limit=5)
    services.publish(matching_session)
    busy = set(_city_slots(city))
    # A second matching session at the same time, in another room: the city meets one more
    # company there, and only its free time is left.
    parallel = make_session(edition, "10:00", 100, kind=SessionKind.MATCHING, capacity=None)
    other_slots, other_tables = services.setup_grid(parallel, slot_minutes=20, tables=2)
    late = accepted(make_profile("Parallel KK"), city)
    output = services.schedule_session(parallel, time_limit=5)
    assert output["unscheduled"] == []
    db.session.refresh(late)
    assert late.slot.session_id == parallel.id
    assert late.slot.number not in busy  # the same times in both sessions
    # Nor by hand.
    taken = other_slots[min(busy)]
    with pytest.raises(services.MatchingError, match="Bangkok already has meeting"):
        services.move_meeting(late.id, taken.id, other_tables[0].id)


def test_a_slot_with_a_published_meeting_cannot_be_marked_unavailable(matching_session, grid, cast):
    city, companies, meetings = cast
    services.schedule_session(matching_session, time_limit=5)
    services.publish(matching_session)
    slot_number, meeting = next(iter(_city_slots(city).items()))
    data = {
        "organisation_type": city.organisation_type.value,
        "organisation": "Renamed",
        "languages": ["en"],
        "unavailable": [meeting.slot_id],
    }
    with pytest.raises(services.MatchingError, match=f"You have meeting #{meeting.id} at") as e:
        services.save_profile(city.registration, data)
    assert e.value.field == "unavailable"
    db.session.refresh(city)
    assert city.organisation == "Bangkok" and city.unavailable == []
    # A published meeting that became impossible anyway (marked before this rule) is named
    # when the organiser runs the scheduler again.
    db.session.add(ProfileUnavailability(profile=city, slot=meeting.slot))
    db.session.commit()
    with pytest.raises(
        services.MatchingError,
        match=rf"Bangkok cannot meet at .+ \d\d:\d\d–\d\d:\d\d, "
        rf"where meeting #{meeting.id} is published\.",
    ):
        services.schedule_session(matching_session, time_limit=5)


def test_drafts_of_someone_who_left_matching_wait_off_the_board(matching_session, grid, cast):
    from convention.registration import services as registration_services

    city, companies, meetings = cast
    services.schedule_session(matching_session, time_limit=5)
    leaving = meetings[0]
    assert leaving.slot is not None
    registration_services.cancel(companies[0].registration)
    output = services.schedule_session(matching_session, time_limit=5)
    assert len(output["assignments"]) == 3
    db.session.refresh(leaving)
    assert leaving.status == MeetingStatus.DRAFT and leaving.slot is None
    assert leaving in services.unplaced_meetings(matching_session.edition, matching_session)
    assert no_double_booking()


def test_a_cancelled_published_meeting_never_stops_the_next_run(
    app, matching_session, grid, cast, make_profile
):
    city, companies, meetings = cast
    app.config["MATCHING_MAX_BREAKS"] = 0
    services.schedule_session(matching_session, time_limit=5)
    services.publish(matching_session)
    by_slot = _city_slots(city)
    services.cancel_meeting(by_slot[sorted(by_slot)[1]])  # a hole in the city's day
    late = accepted(make_profile("Late KK"), companies[1])
    output = services.schedule_session(matching_session, time_limit=5)
    assert output["status"] != "infeasible"
    db.session.refresh(late)
    assert late.slot is not None
    assert no_double_booking()


def test_publishing_and_moving_leave_out_someone_who_left_matching(
    matching_session, grid, cast, outbox
):
    from convention.registration import services as registration_services

    slots, tables = grid
    city, companies, meetings = cast
    services.schedule_session(matching_session, time_limit=5)
    registration_services.cancel(companies[0].registration)
    before = len(outbox())
    assert services.publish(matching_session) == 3
    leaving = meetings[0]
    db.session.refresh(leaving)
    assert leaving.status == MeetingStatus.DRAFT and leaving.slot is None
    assert companies[0].user.email not in {m.recipient for m in outbox()[before:]}
    free = next(s for s in slots if s.number not in _city_slots(city))
    with pytest.raises(services.MatchingError, match="Company 0 no longer has a confirmed"):
        services.move_meeting(leaving.id, free.id, tables[0].id)


def test_a_run_leaves_a_draft_waiting_if_its_person_was_placed_elsewhere_meanwhile(
    matching_session, grid, cast, make_profile, edition
):
    city, companies, meetings = cast
    # The solver starts on the free grid...
    instance, mapping = services.build_instance(matching_session)
    output = services.solve(instance, time_limit=5)
    # ...while the organiser of a parallel session seats the city at 10:00 by hand.
    parallel = make_session(edition, "10:00", 100, kind=SessionKind.MATCHING, capacity=None)
    other_slots, other_tables = services.setup_grid(parallel, slot_minutes=20, tables=1)
    elsewhere = accepted(make_profile("Parallel KK"), city)
    services.move_meeting(elsewhere.id, other_slots[0].id, other_tables[0].id)
    placed = services.apply_schedule(matching_session, output, mapping)
    db.session.commit()
    at_ten = [m for m in meetings if m.slot is not None and m.slot.number == 0]
    assert at_ten == [] and placed == 3  # the city's 10:00 meeting waits
    assert no_double_booking()


def _behind_our_back(meeting: Meeting, status: MeetingStatus) -> None:
    """Another process changes the meeting: a plain UPDATE that this session's copy misses."""
    db.session.execute(
        sa.update(Meeting.__table__)
        .where(Meeting.__table__.c.id == meeting.id)
        .values(status=status.value)
    )


def test_a_run_keeps_what_was_published_or_cancelled_while_the_solver_ran(
    matching_session, grid, cast, make_profile
):
    city, companies, meetings = cast
    services.schedule_session(matching_session, time_limit=5)  # the first run: four drafts
    late = accepted(make_profile("Late KK"), city, priority=3)
    instance, mapping = services.build_instance(matching_session)  # the second run starts
    output = services.solve(instance, time_limit=3)
    services.publish(matching_session)  # meanwhile the organiser publishes the first run
    services.apply_schedule(matching_session, output, mapping)
    db.session.commit()
    assert no_double_booking()
    db.session.refresh(late)
    assert late.status == MeetingStatus.DRAFT
    assert all(m.status == MeetingStatus.SCHEDULED and m.slot for m in meetings)
    # A draft cancelled by someone else while the solver ran stays cancelled, off the board.
    instance, mapping = services.build_instance(matching_session)
    output = services.solve(instance, time_limit=3)
    _behind_our_back(late, MeetingStatus.CANCELLED)
    services.apply_schedule(matching_session, output, mapping)
    db.session.commit()
    db.session.refresh(late)
    assert late.status == MeetingStatus.CANCELLED and late.slot_id is None


def test_a_move_reads_the_meeting_as_it_is_now(matching_session, grid, cast):
    slots, tables = grid
    city, companies, meetings = cast
    stale = db.session.get(Meeting, meetings[0].id)  # as the view loaded it
    _behind_our_back(stale, MeetingStatus.CANCELLED)
    with pytest.raises(services.MatchingError, match="Only draft or scheduled meetings"):
        services.move_meeting(stale.id, slots[4].id, tables[2].id)


def test_a_day_already_over_the_cap_may_still_be_rearranged_without_more_breaks(
    app, matching_session, grid, cast
):
    slots, tables = grid
    city, companies, meetings = cast
    services.schedule_session(matching_session, time_limit=5)
    services.publish(matching_session)
    by_slot = _city_slots(city)
    first = min(by_slot)
    services.cancel_meeting(by_slot[first + 1])  # the city now waits once: first, +2, +3
    app.config["MATCHING_MAX_BREAKS"] = 0
    # Moving the meeting at +2 into the hole keeps that one break (first, +1, +3): allowed,
    # since it adds none; the scheduler accepts the same day.
    moved = services.move_meeting(by_slot[first + 2].id, slots[first + 1].id, tables[2].id)
    assert moved.slot.number == first + 1
    assert sorted(_city_slots(city)) == [first, first + 1, first + 3]


def test_the_database_refuses_double_booking(matching_session, grid, cast):
    slots, tables = grid
    city, companies, meetings = cast
    a, b = meetings[0], meetings[1]
    services._place(a, slots[0], tables[0])
    db.session.commit()
    services._place(b, slots[0], tables[1])  # the city twice in slot 0
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    b = db.session.get(Meeting, b.id)
    b.slot_id, b.table_id = slots[0].id, tables[0].id  # a table twice in one slot
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_held_no_show_follow_up_and_kpis(matching_session, grid, cast, door_staff, edition):
    city, companies, meetings = cast
    services.schedule_session(matching_session, time_limit=5)
    with pytest.raises(services.MatchingError, match="published meeting"):
        services.mark(meetings[0], MeetingStatus.HELD, door_staff)
    services.publish(matching_session)
    services.mark(meetings[0], MeetingStatus.HELD, door_staff)
    services.mark(meetings[1], MeetingStatus.HELD, door_staff)
    services.mark(meetings[2], MeetingStatus.NO_SHOW, door_staff)
    services.mark(meetings[2], MeetingStatus.HELD, door_staff)  # corrected: they came late
    services.mark(meetings[2], MeetingStatus.NO_SHOW, door_staff)
    with pytest.raises(services.MatchingError, match="meetings that took place"):
        services.record_follow_up(meetings[2], city, FollowUpOutcome.DEAL)
    services.record_follow_up(meetings[0], city, FollowUpOutcome.DEAL, "PPA signed")
    services.record_follow_up(meetings[0], companies[0], FollowUpOutcome.DEAL)
    services.record_follow_up(meetings[1], city, FollowUpOutcome.PROPOSAL)
    with pytest.raises(services.MatchingError, match="participants"):
        services.record_follow_up(meetings[1], companies[3], FollowUpOutcome.DEAL)
    assert services.kpi_meetings_held([edition.id]) == 2
    assert services.kpi_deals([edition.id]) == 1  # one meeting, two parties saying "deal"
    assert services.meetings_scheduled_vs_held([edition.id]) == {
        "scheduled": 4,
        "held": 2,
        "no_show": 1,
        "cancelled": 0,
        "draft": 0,
    }
    assert services.kpi_meetings_held([]) == 0


def test_a_meeting_to_come_is_neither_held_nor_no_show(matching_session, grid, cast, door_staff):
    """Marked held the day before, a meeting would count for KPI ② and its "deal" for KPI ①."""
    city, companies, meetings = cast
    services.schedule_session(matching_session, time_limit=5)
    services.publish(matching_session)
    meeting = meetings[0]
    starts = meeting.slot.starts_at
    for moment in (starts - timedelta(days=1), starts - timedelta(seconds=1)):
        with time_machine.travel(moment, tick=False):
            for status in (MeetingStatus.HELD, MeetingStatus.NO_SHOW):
                with pytest.raises(services.MatchingError, match="marked held or no-show from"):
                    services.mark(meeting, status, door_staff)
    assert meeting.status == MeetingStatus.SCHEDULED
    with time_machine.travel(starts, tick=False):
        services.mark(meeting, MeetingStatus.HELD, door_staff)
    with time_machine.travel(starts + timedelta(days=1), tick=False):  # corrected the next day
        services.mark(meeting, MeetingStatus.NO_SHOW, door_staff)
        services.mark(meeting, MeetingStatus.HELD, door_staff)
        services.record_follow_up(meeting, city, FollowUpOutcome.DEAL)
    assert services.kpi_deals([meeting.edition_id]) == 1
    # A meeting marked held ahead of its time (before marks waited for the slot) gets no
    # follow-up, so no deal, until it has begun.
    later = meetings[1]
    later.status = MeetingStatus.HELD
    db.session.commit()
    with (
        time_machine.travel(later.slot.starts_at - timedelta(hours=1), tick=False),
        pytest.raises(services.MatchingError, match="meetings that took place"),
    ):
        services.record_follow_up(later, city, FollowUpOutcome.DEAL)
    assert services.kpi_deals([meeting.edition_id]) == 1


def test_a_mark_is_cleared_and_the_check_ins_decide_again(
    matching_session, grid, cast, door_staff, edition
):
    """A mark on the wrong row is undone, not only swapped: back to scheduled, out of KPI ②."""
    city, companies, meetings = cast
    services.schedule_session(matching_session, time_limit=5)
    meeting = meetings[0]
    with pytest.raises(services.MatchingError, match="has a mark to clear"):
        services.mark(meeting, MeetingStatus.SCHEDULED, door_staff)  # never publishes a draft
    assert meeting.status == MeetingStatus.DRAFT
    services.publish(matching_session)
    services.mark(meeting, MeetingStatus.HELD, door_staff)
    assert services.kpi_meetings_held([edition.id]) == 1
    services.mark(meeting, MeetingStatus.SCHEDULED, door_staff)
    assert meeting.status == MeetingStatus.SCHEDULED
    assert meeting.marked_at is None and meeting.marked_by_id is None
    assert services.kpi_meetings_held([edition.id]) == 0
    # Its slot is over and nobody was checked in at the tables: the next pass says no-show.
    services.mark_from_checkins(edition)
    assert meeting.status == MeetingStatus.NO_SHOW
    # A mark made ahead of the slot (before marks waited for it) can be cleared before it.
    later = meetings[1]
    later.status = MeetingStatus.HELD
    db.session.commit()
    with time_machine.travel(later.slot.starts_at - timedelta(hours=1), tick=False):
        services.mark(later, MeetingStatus.SCHEDULED, door_staff)
    assert later.status == MeetingStatus.SCHEDULED


def test_cancelling_a_published_meeting_frees_its_place(matching_session, grid, cast, outbox):
    city, companies, meetings = cast
    services.schedule_session(matching_session, time_limit=5)
    services.publish(matching_session)
    meeting = meetings[0]
    services.cancel_meeting(meeting)
    assert meeting.status == MeetingStatus.CANCELLED
    assert meeting.slot_id is None and all(seat.slot_id is None for seat in meeting.seats)
    assert meeting.request.state.value == "cancelled"
    assert "cancelled" in outbox()[-1].subject


@pytest.mark.postgres_only
def test_concurrent_moves_never_double_book(app, database_url, matching_session, grid, cast):
    """Two organisers move two of the city's meetings into one free slot at the same time."""
    from convention import create_app
    from tests.conftest import test_config

    other_app = create_app(test_config(database_url))
    slots, tables = grid
    city, companies, meetings = cast
    services.schedule_session(matching_session, time_limit=5)
    services.publish(matching_session)
    used = {m.slot_id for m in meetings}
    target = next(s for s in slots if s.id not in used)
    target_id = target.id  # plain ints only: ORM objects belong to the main thread's session
    ids = [meetings[0].id, meetings[1].id]
    table_ids = [tables[1].id, tables[2].id]

    def move(meeting_id, table_id):
        services.move_meeting(meeting_id, target_id, table_id)
        return "moved"

    for _ in range(3):
        results = at_once(
            other_app, [partial(move, *pair) for pair in zip(ids, table_ids, strict=True)]
        )
        assert results.count("moved") == 1, results
        assert not any(r.startswith("unexpected") for r in results), results
        db.session.expire_all()
        assert no_double_booking()
        # Put them back for the next round.
        for meeting_id in ids:
            meeting = db.session.get(Meeting, meeting_id)
            if meeting.slot_id == target_id:
                free = next(
                    s
                    for s in slots
                    if s.id
                    not in {
                        m.slot_id
                        for m in db.session.scalars(
                            sa.select(Meeting).where(Meeting.id.in_([m.id for m in meetings]))
                        )
                    }
                )
                services.move_meeting(meeting_id, free.id, tables[0].id)
    with other_app.app_context():
        db.engine.dispose()


@pytest.fixture
def tables_list(edition):
    """The matching tables' check-in list (one for every matching session of the edition)."""
    from convention.checkin.models import CheckInList, ListKind

    checkin_list = CheckInList(
        edition=edition,
        slug="matching",
        name_ja="商談",
        name_en="Matching",
        kind=ListKind.MATCHING,
        track_exits=True,
    )
    db.session.add(checkin_list)
    db.session.commit()
    return checkin_list


def scan_at(checkin_list, profile, moment, direction="in"):
    from convention.checkin.models import Scan, ScanResult

    db.session.add(
        Scan(
            edition_id=checkin_list.edition_id,
            checkin_list=checkin_list,
            registration_id=profile.registration_id,
            nonce=f"{profile.id}-{direction}-{moment.isoformat()}",
            direction=direction,
            result=ScanResult.OK,
            scanned_at=moment,
        )
    )
    db.session.commit()


def test_held_from_check_ins_at_the_tables(
    matching_session, grid, cast, edition, tables_list, door_client
):
    city, companies, meetings = cast
    services.schedule_session(matching_session, time_limit=5)
    services.publish(matching_session)
    first = meetings[0]
    for profile in (city, companies[0]):
        scan_at(tables_list, profile, first.slot.starts_at + timedelta(minutes=1))
    # Company 1 came, but a day early: that does not count.
    scan_at(tables_list, companies[1], first.slot.starts_at - timedelta(days=1))
    during = first.slot.starts_at + timedelta(minutes=5)
    assert services.mark_from_checkins(edition, now=during) == {"held": 1, "no_show": 0}
    assert first.status == MeetingStatus.HELD
    # Door staff update after the session (the test edition is in the past): the rest no-show.
    response = door_client.post("/matching/door/from-checkins")
    assert response.status_code == 303
    db.session.expire_all()
    assert first.status == MeetingStatus.HELD
    assert {m.status for m in meetings[1:]} == {MeetingStatus.NO_SHOW}


def test_a_check_out_at_the_tables_is_no_check_in(matching_session, grid, cast, tables_list):
    city, companies, meetings = cast
    services.schedule_session(matching_session, time_limit=5)
    services.publish(matching_session)
    first = min(meetings, key=lambda meeting: meeting.slot.starts_at)
    company = next(seat.profile for seat in first.seats if seat.profile_id != city.id)
    scan_at(tables_list, city, first.slot.starts_at - timedelta(minutes=5))
    # The company only ever passed the exit of the tables: it was not at its meeting.
    scan_at(tables_list, company, first.slot.starts_at + timedelta(minutes=2), "out")
    during = first.slot.starts_at + timedelta(minutes=5)
    assert services.mark_from_checkins(tables_list.edition, now=during) == {
        "held": 0,
        "no_show": 0,
    }
    services.mark_from_checkins(tables_list.edition, now=first.slot.ends_at)
    assert first.status == MeetingStatus.NO_SHOW


def _after_the_session(matching_session, grid, cast, tables_list, *city_scans):
    """The cast's meetings, published, each company there just before its own meeting and
    the city checked in once, 10 minutes before the session's first slot (then `city_scans`);
    marked from the check-ins once the session is over. Their statuses in slot order."""
    city, companies, meetings = cast
    services.schedule_session(matching_session, time_limit=5)
    services.publish(matching_session)
    ordered = sorted(meetings, key=lambda meeting: meeting.slot.starts_at)
    for meeting in ordered:
        company = next(seat.profile for seat in meeting.seats if seat.profile_id != city.id)
        scan_at(tables_list, company, meeting.slot.starts_at - timedelta(minutes=2))
    slots = grid[0]
    scan_at(tables_list, city, slots[0].starts_at - timedelta(minutes=10))
    for scan in city_scans:
        scan_at(tables_list, city, *scan(ordered))
    services.mark_from_checkins(tables_list.edition, now=slots[-1].ends_at)
    return [meeting.status for meeting in ordered]


HELD, NO_SHOW = MeetingStatus.HELD, MeetingStatus.NO_SHOW


def test_one_check_in_covers_back_to_back_meetings(matching_session, grid, cast, tables_list):
    assert _after_the_session(matching_session, grid, cast, tables_list) == [HELD] * 4


def test_a_check_out_before_the_slot_makes_a_no_show_until_checked_in_again(
    matching_session, grid, cast, tables_list
):
    statuses = _after_the_session(
        matching_session,
        grid,
        cast,
        tables_list,
        # The city leaves near the end of its second meeting (it was there for it), misses its
        # third and comes back three minutes late for its fourth.
        lambda ordered: (ordered[1].slot.ends_at - timedelta(minutes=1), "out"),
        lambda ordered: (ordered[3].slot.starts_at + timedelta(minutes=3),),
    )
    assert statuses == [HELD, HELD, NO_SHOW, HELD]
