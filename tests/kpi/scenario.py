"""One convention's worth of raw rows with every case the KPI definitions care about, and an
independent count of each figure computed in Python from the rows themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from convention.accounts.models import ParticipantCategory
from convention.checkin.models import CheckInList, ListKind, Scan, ScanDirection, ScanReason
from convention.checkin.models import ScanResult as R
from convention.events.models import Edition
from convention.extensions import db
from convention.matching.models import (
    FollowUp,
    FollowUpOutcome,
    MatchProfile,
    Meeting,
    MeetingStatus,
    OrganisationType,
)
from convention.registration.models import (
    Registration,
    RegistrationStatus,
    SessionSignup,
    SignupStatus,
    University,
)
from convention.timeutil import fiscal_year
from tests.factories import make_edition, make_session
from tests.kpi.builders import at, checkin_list, register, scan, university

S = ParticipantCategory


@dataclass
class World:
    a: Edition  # FY2025, the main edition
    b: Edition  # FY2025 as well (a second edition in the same fiscal year)
    c: Edition  # FY2024
    seminar: object
    unmeasured: object


def _meeting(edition, profiles, status, outcomes=()):
    meeting = Meeting(edition_id=edition.id, status=status)
    db.session.add(meeting)
    db.session.flush()
    for profile, outcome in zip(profiles, outcomes, strict=False):
        db.session.add(
            FollowUp(
                meeting_id=meeting.id,
                profile_id=profile.id,
                outcome=outcome,
                deal=outcome == FollowUpOutcome.DEAL,
            )
        )
    return meeting


def _profile(registration, kind=OrganisationType.LOCAL_COMPANY):
    profile = MatchProfile(
        registration_id=registration.id,
        edition_id=registration.edition_id,
        organisation_type=kind,
    )
    db.session.add(profile)
    db.session.flush()
    return profile


def build(extra_people: int = 0) -> World:
    a = make_edition(date(2025, 11, 20), days=2, slug="ydc-2025", public_summary=True)
    b = make_edition(date(2026, 2, 10), days=1, slug="ydc-2025-winter")
    c = make_edition(date(2024, 11, 21), days=1, slug="ydc-2024")
    day1, day2 = a.start_date, a.start_date.replace(day=21)
    in_city_1 = university("Yokohama City University", True)
    in_city_2 = university("Kanagawa University", True)
    elsewhere = university("University of Tokyo", False)

    door = checkin_list(a, ListKind.MAIN_DOOR, slug="main-door")
    seminar = make_session(a, "13:00", 60, title_en="Offshore wind", title_ja="洋上風力")
    unmeasured = make_session(a, "15:00", 60, title_en="Green finance", title_ja="金融")
    seminar_list = checkin_list(a, ListKind.SESSION, slug="offshore", session=seminar)

    p1 = register(a)
    scan(door, p1, at(day1, "09:05"))
    scan(door, p1, at(day1, "12:00"), direction=ScanDirection.OUT)
    scan(door, p1, at(day2, "09:20"))  # re-entry on day 2: a second visit
    p2 = register(a, category=S.BUSINESS, country="US")
    scan(door, p2, at(day1, "09:10"))
    scan(door, p2, at(day1, "09:11"), result=R.ERROR, reason=ScanReason.ALREADY_CHECKED_IN)
    p3 = register(a, category=S.GOVERNMENT, status=RegistrationStatus.CANCELLED)
    scan(door, p3, at(day1, "09:14"))  # came, cancelled afterwards: still a participant
    p4 = register(a, category=S.STUDENT, university_id=in_city_1.id)
    scan(door, p4, at(day1, "09:31"))
    p5 = register(a, category=S.STUDENT, university_id=elsewhere.id)
    scan(door, p5, at(day1, "10:02"))
    p6 = register(a, category=S.STUDENT, university_id=in_city_2.id)
    scan(door, p6, at(day1, "10:05"), undone=True)  # scanned by mistake and undone
    p7 = register(a, category=S.STUDENT)  # university not listed
    scan(door, p7, at(day2, "10:40"))
    p8 = register(a, status=RegistrationStatus.AWAITING_PAYMENT)
    scan(door, p8, at(day1, "09:40"), result=R.ERROR, reason=ScanReason.UNPAID)
    p9 = register(a, category=S.PRESS)
    scan(seminar_list, p9, at(day1, "13:01"))  # only at the seminar door
    p10 = register(a, category=S.GOVERNMENT)
    scan(door, p10, at(day1, "16:00"), direction=ScanDirection.OUT)
    scan(door, None, at(day1, "09:00"), result=R.ERROR, reason=ScanReason.INVALID)
    register(a, category=S.INTERNATIONAL_ORGANISATION, country="TH")  # never came

    for index in range(extra_people):
        person = register(a, category=S.STUDENT if index % 3 else S.BUSINESS)
        scan(door, person, at(day1, "11:00"))
        scan(door, person, at(day2, "11:00"))

    # Seminar: p1 and p2 signed up; p1 came, p2 did not; p4's sign-up was cancelled; p9 walked in.
    for registration, status in ((p1, "confirmed"), (p2, "confirmed"), (p4, "cancelled")):
        db.session.add(
            SessionSignup(
                registration_id=registration.id,
                session_id=seminar.id,
                status=SignupStatus(status),
            )
        )
    db.session.add(
        SessionSignup(
            registration_id=p5.id, session_id=unmeasured.id, status=SignupStatus.CONFIRMED
        )
    )
    scan(seminar_list, p1, at(day1, "12:58"))
    scan(seminar_list, p1, at(day1, "13:20"))
    scan(seminar_list, p2, at(day1, "12:59"), result=R.ERROR, reason=ScanReason.NOT_ON_LIST)

    # Edition b (same fiscal year): p1's user comes again, plus someone new.
    door_b = checkin_list(b, ListKind.MAIN_DOOR, slug="main-door")
    again = register(b, p1.user)
    scan(door_b, again, at(b.start_date, "10:00"))
    new_b = register(b, category=S.STUDENT, university_id=in_city_2.id)
    scan(door_b, new_b, at(b.start_date, "10:30"))

    # Edition c (FY2024): one in-city student.
    door_c = checkin_list(c, ListKind.MAIN_DOOR, slug="main-door")
    old = register(c, category=S.STUDENT, university_id=in_city_1.id)
    scan(door_c, old, at(c.start_date, "10:00"))
    scan(door_c, old, at(c.start_date, "14:00"))

    # Matching: two held meetings in a (one deal reported by both sides), a no-show, a scheduled,
    # a cancelled one; a held meeting with a deal in c.
    x, y, z = _profile(p1), _profile(p2, OrganisationType.OVERSEAS_COMPANY), _profile(p10)
    deal = FollowUpOutcome.DEAL
    _meeting(a, (x, y), MeetingStatus.HELD, (deal, deal))
    _meeting(a, (x, z), MeetingStatus.HELD, (FollowUpOutcome.PROPOSAL,))
    _meeting(a, (y, z), MeetingStatus.NO_SHOW)
    _meeting(a, (x, z), MeetingStatus.SCHEDULED)
    _meeting(a, (y, z), MeetingStatus.CANCELLED)
    _meeting(a, (x, y), MeetingStatus.SCHEDULED, (deal,))  # not held: its "deal" does not count
    _meeting(c, (_profile(old),), MeetingStatus.HELD, (deal,))
    db.session.commit()
    return World(a, b, c, seminar, unmeasured)


# --- the independent count: plain Python over the rows -----------------------------------------


def _rows():
    registrations = {r.id: r for r in db.session.scalars(select(Registration))}
    lists = {row.id: row for row in db.session.scalars(select(CheckInList))}
    universities = {u.id: u for u in db.session.scalars(select(University))}
    scans = list(db.session.scalars(select(Scan)))
    editions = {e.id: e for e in db.session.scalars(select(Edition))}
    return registrations, lists, universities, scans, editions


def expected_people(edition_ids) -> dict:
    registrations, lists, universities, scans, _ = _rows()
    people, students, visits = set(), set(), 0
    for row in scans:
        if row.edition_id not in edition_ids or row.registration_id is None:
            continue
        if lists[row.checkin_list_id].kind != ListKind.MAIN_DOOR:
            continue
        if row.result != "ok" or row.direction != "in" or row.undone_at is not None:
            continue
        registration = registrations[row.registration_id]
        visits += 1
        people.add(registration.user_id)
        uni = universities.get(registration.university_id)
        if registration.category == "student" and uni is not None and uni.in_city:
            students.add(registration.user_id)
    return {
        "participants": len(people),
        "visits": visits,
        "students": len(students),
        "people": people,
    }


def expected_people_by_fiscal_year() -> dict[int, dict]:
    editions = {e.id: e for e in db.session.scalars(select(Edition))}
    years: dict[int, list[int]] = {}
    for edition in editions.values():
        years.setdefault(fiscal_year(edition.start_date), []).append(edition.id)
    return {year: expected_people(ids) for year, ids in years.items()}


def expected_matching(edition_ids) -> dict:
    meetings = list(db.session.scalars(select(Meeting)))
    follow_ups = list(db.session.scalars(select(FollowUp)))
    held = {m.id for m in meetings if m.edition_id in edition_ids and m.status == "held"}
    deals = {f.meeting_id for f in follow_ups if f.deal and f.meeting_id in held}
    return {"held": len(held), "deals": len(deals)}
