"""Demo check-ins: the lists, a scanner device, and a realistic first morning at the door."""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from convention.checkin import services
from convention.checkin.models import Admission
from convention.events.models import Edition
from convention.extensions import db
from convention.registration.models import (
    Registration,
    RegistrationStatus,
    SessionSignup,
    SignupStatus,
)
from convention.timeutil import EVENT_ZONE

SHARE_CHECKED_IN = 0.6


def _arrival(rng: random.Random, day) -> datetime:
    """Doors open at 9:00; most people arrive before the 10:00 opening, a tail until noon."""
    minutes = rng.triangular(0, 200, 40)
    start = datetime(day.year, day.month, day.day, 9, 0, tzinfo=EVENT_ZONE)
    return start + timedelta(minutes=minutes, seconds=rng.randint(0, 59))


def load(edition: Edition) -> dict:
    rng = random.Random(20251120)
    services.ensure_lists(edition)
    _, token = services.issue_device_token("Demo: main door scanner")
    door = services.find_list(services.MAIN_DOOR_SLUG, edition)

    registrations = db.session.scalars(
        select(Registration).where(Registration.edition_id == edition.id).order_by(Registration.id)
    ).all()
    confirmed = [r for r in registrations if r.status == RegistrationStatus.CONFIRMED]
    arriving = rng.sample(confirmed, round(len(confirmed) * SHARE_CHECKED_IN))
    arrivals = sorted(
        ((_arrival(rng, edition.start_date), r) for r in arriving), key=lambda x: x[0]
    )
    checked_in: dict[int, datetime] = {}
    for moment, registration in arrivals:
        outcome = services.scan(
            registration.badge_token, door, scanned_at=moment, nonce=secrets.token_hex(16)
        )
        if outcome.ok:
            checked_in[registration.id] = moment

    # Sessions: those signed up (or anyone, for open lists) come in around the start time.
    for checkin_list in services.lists_of(edition):
        if checkin_list.session is None:
            continue
        if checkin_list.session.starts_at.astimezone(EVENT_ZONE).date() != edition.start_date:
            continue  # the demo shows the first day
        starts = checkin_list.session.starts_at
        if checkin_list.admission == Admission.SIGNED_UP:
            attendee_ids = set(
                db.session.scalars(
                    select(SessionSignup.registration_id).where(
                        SessionSignup.session_id == checkin_list.session_id,
                        SessionSignup.status == SignupStatus.CONFIRMED,
                    )
                )
            )
            people = [r for r in arriving if r.id in attendee_ids and rng.random() < 0.75]
        else:
            people = [r for r in arriving if rng.random() < 0.4]
        for registration in people:
            moment = starts + timedelta(minutes=rng.uniform(-12, 6))
            services.scan(
                registration.badge_token,
                checkin_list,
                scanned_at=moment,
                nonce=secrets.token_hex(16),
            )

    # What goes wrong at a real door: photocopied or foreign QR codes, a second scan.
    day = edition.start_date
    for number in range(3):
        services.scan(
            secrets.token_urlsafe(24),
            door,
            scanned_at=_arrival(rng, day),
            nonce=f"demo-forged-{number}-{secrets.token_hex(4)}",
        )
    for registration in [r for r in arriving if r.id in checked_in][:4]:
        services.scan(
            registration.badge_token,
            door,
            scanned_at=checked_in[registration.id] + timedelta(minutes=rng.randint(1, 90)),
            nonce=secrets.token_hex(16),
        )
    for registration in [r for r in registrations if r.status == RegistrationStatus.CANCELLED][:2]:
        services.scan(
            registration.badge_token,
            door,
            scanned_at=_arrival(rng, day),
            nonce=secrets.token_hex(16),
        )
    return {"device_token": token, "checked_in": len(checked_in)}
