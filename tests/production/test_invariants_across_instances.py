"""Requests racing through two gunicorn instances on one PostgreSQL keep every invariant:
no oversold ticket, no badge counted twice."""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
import requests
from sqlalchemy import func, select

from convention import create_app
from convention.accounts.models import ParticipantCategory
from convention.checkin import services as checkin
from convention.checkin.models import Scan
from convention.extensions import db
from convention.registration.models import Registration, RegistrationStatus, TicketType
from tests.conftest import test_config
from tests.factories import make_edition, make_user

# These start servers and share PostgreSQL and Redis: one worker runs them in turn.
pytestmark = pytest.mark.xdist_group("production")

INSTANCE_ENV = {
    "REGISTER_RATE_LIMIT": "100000 per minute",
    "LOGIN_RATE_LIMIT": "100000 per minute",
    "CHECKIN_SCAN_RATE_LIMIT": "100000 per minute",
}
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _app(database_url):
    return create_app(test_config(database_url, SERVER_NAME=None))


def test_a_registration_rush_on_both_instances_never_oversells(two_instances, production_database):
    app = _app(production_database)
    with app.app_context():
        db.session.execute(db.update(TicketType).values(capacity=0))  # only ours is on sale
        edition = make_edition(start=date.today(), is_current=True, slug="rush")
        db.session.execute(
            db.update(type(edition)).where(type(edition).id != edition.id).values(is_current=False)
        )
        ticket = TicketType(
            edition=edition,
            name_ja="一般",
            name_en="General",
            category=ParticipantCategory.GENERAL,
            capacity=15,
        )
        db.session.add(ticket)
        db.session.commit()
        ticket_id = ticket.id

    def register(number: int) -> int:
        instance = two_instances[number % 2]
        browser = requests.Session()
        page = browser.get(f"{instance.url}/register", timeout=30)
        token = CSRF_FIELD.search(page.text).group(1)
        response = browser.post(
            f"{instance.url}/register",
            data={
                "csrf_token": token,
                "ticket_type": str(ticket_id),
                "email": f"rush{number}-{uuid.uuid4().hex[:6]}@example.org",
                "password": "a long enough password",
                "name": f"Rush {number}",
                "language": "en",
                "country": "JP",
            },
            timeout=60,
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(register, range(40)))
    assert statuses == [200] * 40

    with app.app_context():
        counts = dict(
            db.session.execute(
                select(Registration.status, func.count())
                .where(Registration.ticket_type_id == ticket_id)
                .group_by(Registration.status)
            ).all()
        )
    assert counts[RegistrationStatus.CONFIRMED] == 15
    assert counts[RegistrationStatus.WAITLISTED] == 25


def test_one_badge_at_two_doors_on_two_instances_counts_once(two_instances, production_database):
    app = _app(production_database)
    with app.app_context():
        edition = make_edition(start=date.today(), slug=f"doors-{uuid.uuid4().hex[:6]}")
        ticket = TicketType(
            edition=edition, name_ja="一般", name_en="General", category=ParticipantCategory.GENERAL
        )
        db.session.add(ticket)
        badges = []
        for _ in range(30):
            registration = Registration(
                edition=edition,
                user=make_user(),
                ticket_type=ticket,
                status=RegistrationStatus.CONFIRMED,
                category=ParticipantCategory.GENERAL,
            )
            db.session.add(registration)
            db.session.flush()
            badges.append(registration.badge_token)
        db.session.commit()
        main_door = next(lst for lst in checkin.ensure_lists(edition) if lst.kind == "main_door")
        _, device_token = checkin.issue_device_token("two doors")
        db.session.commit()
        list_slug, edition_id = main_door.slug, edition.id

    def scan(job: tuple[int, str]) -> str:
        door, badge = job
        response = requests.post(
            f"{two_instances[door].url}/api/checkin/scan",
            json={"token": badge, "list": list_slug, "direction": "in", "nonce": str(uuid.uuid4())},
            headers={"Authorization": f"Bearer {device_token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return "ok" if body["status"] == "ok" else body["reason"]

    jobs = [(door, badge) for badge in badges for door in (0, 1)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(scan, jobs))
    for index in range(0, len(answers), 2):
        assert sorted(answers[index : index + 2]) == ["already_checked_in", "ok"]

    with app.app_context():
        ok_scans = db.session.scalar(
            select(func.count())
            .select_from(Scan)
            .where(Scan.edition_id == edition_id, Scan.result == "ok")
        )
    assert ok_scans == 30
