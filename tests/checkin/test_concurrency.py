"""The invariants under real concurrency: several connections to PostgreSQL at once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from convention.checkin import services
from convention.checkin.models import Presence, Scan
from convention.extensions import db
from tests.checkin.factories import make_list, make_registration
from tests.factories import jst, make_edition

pytestmark = pytest.mark.postgres_only


def _race(app, calls) -> list:
    """Run each call in its own thread and app context (own connection), all at once."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list = []

    def run(index, call):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results[index] = call()
            except Exception as error:  # reported below, with the thread's traceback lost
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


@pytest.fixture
def setup(app):
    edition = make_edition(is_current=True)
    make_list(edition)
    registrations = [make_registration(edition) for _ in range(8)]
    return edition, [registration.badge_token for registration in registrations]


def test_same_badge_at_two_doors_at_once_one_ok_one_already(app, setup):
    edition, tokens = setup
    moment = jst(edition.start_date, "09:00")
    for number, token in enumerate(tokens):
        outcomes = _race(
            app,
            [
                lambda token=token, n=number: (
                    services.scan(token, "main-door", nonce=f"door-a-{n}", scanned_at=moment).reason
                ),
                lambda token=token, n=number: (
                    services.scan(token, "main-door", nonce=f"door-b-{n}", scanned_at=moment).reason
                ),
            ],
        )
        assert Counter(outcomes) == Counter({None: 1, "already_checked_in": 1}), outcomes
    assert db.session.scalar(select(func.count(Presence.id))) == len(tokens)
    assert db.session.scalar(select(func.count(Scan.id))) == 2 * len(tokens)


def test_same_nonce_at_once_is_one_row_and_one_answer(app, setup):
    edition, tokens = setup
    moment = jst(edition.start_date, "09:00")
    for number, token in enumerate(tokens):
        outcomes = _race(
            app,
            [
                lambda token=token, n=number: services.scan(
                    token, "main-door", nonce=f"retry-{n}", scanned_at=moment
                ).to_json()
                for _ in range(3)
            ],
        )
        assert all(outcome["status"] == "ok" for outcome in outcomes), outcomes
        assert len({outcome["scan_id"] for outcome in outcomes}) == 1
    assert db.session.scalar(select(func.count(Scan.id))) == len(tokens)


def test_many_doors_many_badges_each_counted_once(app, setup):
    edition, tokens = setup
    moment = jst(edition.start_date, "09:00")
    calls = [
        (
            lambda token=token, door=door: (
                services.scan(token, "main-door", nonce=f"{door}-{token}", scanned_at=moment).reason
            )
        )
        for token in tokens
        for door in range(3)
    ]
    outcomes = _race(app, calls)
    assert outcomes.count(None) == len(tokens)
    assert outcomes.count("already_checked_in") == 2 * len(tokens)
    assert services.counters(services.find_list("main-door")).checked_in == len(tokens)
