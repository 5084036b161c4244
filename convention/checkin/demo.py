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
    arrivals = {r.id: _arrival(rng, edition.start_date) for r in arriving}
    # What goes wrong at a real door: photocopied or foreign QR codes, a second scan, a
    # cancelled badge. Everything is scanned in time order, as at a real door, so the
    # scanner's recent list reads newest first; the foreign and cancelled badges come in the
    # last half hour of arrivals, so that list shows some.
    latest = max(arrivals.values())

    def late() -> datetime:
        return latest - timedelta(minutes=rng.uniform(0, 30))

    door_scans = [(arrivals[r.id], r.badge_token, secrets.token_hex(16)) for r in arriving]
    door_scans += [
        (late(), secrets.token_urlsafe(24), f"demo-forged-{n}-{secrets.token_hex(4)}")
        for n in range(3)
    ]
    door_scans += [
        (
            arrivals[r.id] + timedelta(minutes=rng.randint(1, 90)),
            r.badge_token,
            secrets.token_hex(16),
        )
        for r in arriving[:4]
    ]
    cancelled = [r for r in registrations if r.status == RegistrationStatus.CANCELLED]
    door_scans += [(late(), r.badge_token, secrets.token_hex(16)) for r in cancelled[:2]]
    checked_in: set[str] = set()
    for moment, badge_token, nonce in sorted(door_scans, key=lambda scan: scan[0]):
        outcome = services.scan(badge_token, door, scanned_at=moment, nonce=nonce)
        if outcome.ok:
            checked_in.add(badge_token)

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

    return {"device_token": token, "checked_in": len(checked_in)}
