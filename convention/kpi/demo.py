"""Demo KPI data: the plan's targets, and three PAST editions (FY2023–FY2025) with synthetic
registrations, main-door scans and matching results, so the fiscal-year table has a history.

The past editions are clearly marked as demo history in their names; their people cannot log in
(no password) and use addresses under demo.example.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from convention.accounts.models import ParticipantCategory, User
from convention.checkin.models import (
    CheckInList,
    ListKind,
    Scan,
    ScanDirection,
    ScanReason,
    ScanResult,
)
from convention.events.models import Edition
from convention.extensions import db
from convention.kpi import services
from convention.registration.models import (
    Registration,
    RegistrationStatus,
    TicketType,
    University,
)
from convention.timeutil import EVENT_ZONE

# (start date, people, in-city students, other students, meetings held, deals)
PAST = (
    (date(2023, 11, 16), 48, 17, 6, 9, 2),
    (date(2024, 11, 21), 104, 31, 9, 21, 4),
    (date(2025, 11, 20), 141, 44, 12, 28, 5),
)

UNIVERSITIES = (
    ("横浜市立大学", "Yokohama City University", True),
    ("横浜国立大学", "Yokohama National University", True),
    ("神奈川大学", "Kanagawa University", True),
    ("東京大学", "The University of Tokyo", False),
    ("慶應義塾大学", "Keio University", False),
)

OTHER_CATEGORIES = (
    (ParticipantCategory.BUSINESS, "JP"),
    (ParticipantCategory.BUSINESS, "JP"),
    (ParticipantCategory.BUSINESS, "VN"),
    (ParticipantCategory.GOVERNMENT, "JP"),
    (ParticipantCategory.GOVERNMENT, "TH"),
    (ParticipantCategory.GOVERNMENT, "PH"),
    (ParticipantCategory.GENERAL, "JP"),
    (ParticipantCategory.GENERAL, "JP"),
    (ParticipantCategory.INTERNATIONAL_ORGANISATION, "US"),
    (ParticipantCategory.PRESS, "JP"),
    (ParticipantCategory.EXHIBITOR, "JP"),
)


def _universities() -> tuple[list[University], list[University]]:
    found = {u.name_en: u for u in db.session.scalars(select(University))}
    for name_ja, name_en, in_city in UNIVERSITIES:
        if name_en not in found:
            found[name_en] = University(name_ja=name_ja, name_en=name_en, in_city=in_city)
            db.session.add(found[name_en])
    db.session.flush()
    rows = list(found.values())
    return [u for u in rows if u.in_city], [u for u in rows if not u.in_city]


def _moment(day: date, minutes_after_nine: int) -> datetime:
    return datetime.combine(day, time(9), tzinfo=EVENT_ZONE) + timedelta(minutes=minutes_after_nine)


def _past_edition(start: date, people: int, in_city: int, other_students: int, rng) -> Edition:
    year = start.year
    edition = Edition(
        slug=f"ydc-{year}-past",
        name_ja=f"横浜脱炭素コンベンション{year}（過去の開催・デモ）",
        name_en=f"Yokohama Decarbonization Convention {year} (past edition, demo)",
        venue_ja="パシフィコ横浜",
        venue_en="PACIFICO Yokohama",
        start_date=start,
        end_date=start + timedelta(days=1),
        public_summary=True,
    )
    db.session.add(edition)
    db.session.flush()
    ticket = TicketType(
        edition_id=edition.id,
        name_ja="一般",
        name_en="General",
        category=ParticipantCategory.GENERAL,
    )
    door = CheckInList(
        edition_id=edition.id,
        slug="main-door",
        name_ja="正面入口",
        name_en="Main entrance",
        kind=ListKind.MAIN_DOOR,
    )
    db.session.add_all([ticket, door])
    db.session.flush()
    in_city_unis, other_unis = _universities()
    plan: list[tuple[ParticipantCategory, str, int | None]] = []
    for index in range(in_city):
        plan.append((ParticipantCategory.STUDENT, "JP", in_city_unis[index % len(in_city_unis)].id))
    for index in range(other_students):
        plan.append((ParticipantCategory.STUDENT, "JP", other_unis[index % len(other_unis)].id))
    for index in range(people - in_city - other_students):
        category, country = OTHER_CATEGORIES[index % len(OTHER_CATEGORIES)]
        plan.append((category, country, None))
    registrations = []
    for number, (category, country, university_id) in enumerate(plan):
        user = User(
            email=f"past-{year}-{number}@demo.example",
            name=f"Demo participant {year}-{number}",
            category=category,
            country=country,
            password_hash=None,
        )
        db.session.add(user)
        db.session.flush()
        registration = Registration(
            edition_id=edition.id,
            user_id=user.id,
            ticket_type_id=ticket.id,
            status=RegistrationStatus.CONFIRMED,
            category=category,
            country=country,
            university_id=university_id,
        )
        db.session.add(registration)
        registrations.append(registration)
    # Some registered but never came.
    for number in range(people // 8):
        user = User(
            email=f"past-{year}-absent-{number}@demo.example",
            name="Demo absentee",
            password_hash=None,
        )
        db.session.add(user)
        db.session.flush()
        db.session.add(
            Registration(
                edition_id=edition.id,
                user_id=user.id,
                ticket_type_id=ticket.id,
                status=RegistrationStatus.CONFIRMED,
                category=ParticipantCategory.GENERAL,
            )
        )
    db.session.flush()
    for registration in registrations:
        for day in range(rng.choice((1, 1, 2))):
            scanned = _moment(start + timedelta(days=day), int(rng.triangular(0, 420, 45)))
            db.session.add(_scan(edition, door, registration, scanned))
        if rng.random() < 0.1:  # a double scan at the door: refused, not counted
            scanned = _moment(start, int(rng.triangular(0, 420, 45)))
            db.session.add(
                _scan(
                    edition,
                    door,
                    registration,
                    scanned,
                    result=ScanResult.ERROR,
                    reason=ScanReason.ALREADY_CHECKED_IN,
                )
            )
    return edition


def _scan(edition, door, registration, scanned, result=ScanResult.OK, reason=None) -> Scan:
    return Scan(
        edition_id=edition.id,
        checkin_list_id=door.id,
        registration_id=registration.id,
        nonce=f"demo-{uuid.uuid4().hex}",
        direction=ScanDirection.IN,
        result=result,
        reason=reason,
        scanned_at=scanned,
        received_at=scanned,
    )


def _past_matching(edition: Edition, held: int, deals: int) -> None:
    from convention.matching.models import (
        FollowUp,
        FollowUpOutcome,
        MatchProfile,
        Meeting,
        MeetingStatus,
        OrganisationType,
    )

    registrations = list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.edition_id == edition.id,
                Registration.category.in_(
                    (ParticipantCategory.BUSINESS, ParticipantCategory.GOVERNMENT)
                ),
            )
            .limit(12)
        )
    )
    profiles = []
    for registration in registrations:
        kind = (
            OrganisationType.LOCAL_COMPANY
            if registration.category == ParticipantCategory.BUSINESS
            else OrganisationType.OVERSEAS_CITY
        )
        profile = MatchProfile(
            registration_id=registration.id, edition_id=edition.id, organisation_type=kind
        )
        db.session.add(profile)
        profiles.append(profile)
    db.session.flush()
    if len(profiles) < 2:
        return
    statuses = [MeetingStatus.HELD] * held + [MeetingStatus.NO_SHOW] * (held // 6 + 1)
    for number, status in enumerate(statuses):
        meeting = Meeting(edition_id=edition.id, status=status)
        db.session.add(meeting)
        db.session.flush()
        if status == MeetingStatus.HELD:
            outcome = (
                FollowUpOutcome.DEAL
                if number < deals
                else (FollowUpOutcome.PROPOSAL, FollowUpOutcome.FURTHER_MEETING)[number % 2]
            )
            db.session.add(
                FollowUp(
                    meeting_id=meeting.id,
                    profile_id=profiles[number % len(profiles)].id,
                    outcome=outcome,
                    deal=outcome == FollowUpOutcome.DEAL,
                )
            )


def load(edition: Edition) -> None:
    services.seed_plan_targets()
    # The plan ends with FY2025; the demo's live edition gets a target so its bars mean something.
    existing = services.targets()
    if edition.fiscal_year not in existing:
        last = services.PLAN_TARGETS[max(services.PLAN_TARGETS)]
        for code, value in last.items():
            services.set_target(edition.fiscal_year, code, value)
    rng = random.Random(2023)
    taken = set(db.session.scalars(select(Edition.slug)))
    for start, people, in_city, other, held, deals in PAST:
        if f"ydc-{start.year}-past" in taken or start >= edition.start_date:
            continue
        past = _past_edition(start, people, in_city, other, rng)
        _past_matching(past, held, deals)
    db.session.commit()
