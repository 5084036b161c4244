"""No oversold ticket type or seminar with 4 app processes and 200 simultaneous requests,
and the waiting list stays first come, first served (PostgreSQL: real row locks)."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from convention.accounts.models import ParticipantCategory, User
from convention.extensions import db
from convention.registration.models import (
    Registration,
    RegistrationStatus,
    SessionSignup,
    SignupStatus,
)
from tests.factories import make_edition, make_session
from tests.registration.helpers import make_ticket_type

PROCESSES = 4
PER_PROCESS = 25  # each process: 25 registrations + 25 seminar sign-ups at once
TICKET_CAPACITY = 30
SEMINAR_CAPACITY = 20


def _worker(database_url, ready, ticket_type_id, session_id, user_ids, registration_ids):
    """One app process: threads fire `register` and `sign_up_for_session` together."""
    from convention import create_app
    from convention.events.models import Session
    from convention.registration import services
    from convention.registration.models import TicketType
    from tests.conftest import test_config

    app = create_app(
        test_config(
            database_url,
            SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 12, "max_overflow": 2, "pool_timeout": 60},
        )
    )
    errors: list[str] = []
    barrier = threading.Barrier(len(user_ids) + len(registration_ids))

    def run(action, row_id):
        with app.app_context():
            try:
                barrier.wait(timeout=120)
                if action == "register":
                    user = db.session.get(User, row_id)
                    ticket_type = db.session.get(TicketType, ticket_type_id)
                    services.register(user, ticket_type, {"country": "JP"}, notify=False)
                else:
                    registration = db.session.get(Registration, row_id)
                    session = db.session.get(Session, session_id)
                    services.sign_up_for_session(registration, session)
            except Exception as error:  # reported to the test, which fails on any
                errors.append(f"{action} {row_id}: {type(error).__name__}: {error}")
            finally:
                db.session.remove()

    jobs = [("register", uid) for uid in user_ids] + [("signup", rid) for rid in registration_ids]
    ready.wait(timeout=120)  # every process has built its app: go together
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        list(pool.map(lambda job: run(*job), jobs))
    with app.app_context():
        db.engine.dispose()
    return errors


@pytest.mark.postgres_only
def test_capacity_holds_with_four_processes_and_200_requests(app, database_url):
    edition = make_edition(start=date.today() + timedelta(days=30), is_current=True)
    ticket_type = make_ticket_type(edition, name_en="Limited", capacity=TICKET_CAPACITY)
    other = make_ticket_type(edition, name_en="Unlimited", capacity=None)
    session = make_session(edition, capacity=SEMINAR_CAPACITY)
    total = PROCESSES * PER_PROCESS
    users = [User(email=f"racer{n}@example.org", name=f"Racer {n}") for n in range(total)]
    attendees = [User(email=f"seated{n}@example.org", name=f"Seated {n}") for n in range(total)]
    db.session.add_all(users + attendees)
    db.session.flush()
    registrations = [
        Registration(
            edition_id=edition.id,
            user_id=user.id,
            ticket_type_id=other.id,
            status=RegistrationStatus.CONFIRMED,
            category=ParticipantCategory.GENERAL,
        )
        for user in attendees
    ]
    db.session.add_all(registrations)
    db.session.commit()

    context = multiprocessing.get_context("spawn")
    manager = context.Manager()
    ready = manager.Barrier(PROCESSES)
    chunks = [
        (
            database_url,
            ready,
            ticket_type.id,
            session.id,
            [u.id for u in users[i::PROCESSES]],
            [r.id for r in registrations[i::PROCESSES]],
        )
        for i in range(PROCESSES)
    ]
    with context.Pool(PROCESSES) as pool:
        results = pool.starmap(_worker, chunks)
    manager.shutdown()
    assert [error for errors in results for error in errors] == []

    db.session.expire_all()

    def statuses(query):
        return dict(db.session.execute(query).all())

    tickets = statuses(
        sa.select(Registration.status, sa.func.count())
        .where(Registration.ticket_type_id == ticket_type.id)
        .group_by(Registration.status)
    )
    assert tickets == {
        RegistrationStatus.CONFIRMED: TICKET_CAPACITY,
        RegistrationStatus.WAITLISTED: total - TICKET_CAPACITY,
    }
    seats = statuses(
        sa.select(SessionSignup.status, sa.func.count())
        .where(SessionSignup.session_id == session.id)
        .group_by(SessionSignup.status)
    )
    assert seats == {
        SignupStatus.CONFIRMED: SEMINAR_CAPACITY,
        SignupStatus.WAITLISTED: total - SEMINAR_CAPACITY,
    }

    # First come, first served: ranks are 1..n without gaps or ties, in arrival order.
    for model, column, target, waitlisted in (
        (Registration, Registration.ticket_type_id, ticket_type.id, RegistrationStatus.WAITLISTED),
        (SessionSignup, SessionSignup.session_id, session.id, SignupStatus.WAITLISTED),
    ):
        rows = db.session.execute(
            sa.select(model.waitlist_rank, model.waitlisted_at)
            .where(column == target, model.status == waitlisted)
            .order_by(model.waitlist_rank)
        ).all()
        assert [rank for rank, _ in rows] == list(range(1, len(rows) + 1))
        arrival = [moment for _, moment in rows]
        assert arrival == sorted(arrival)
