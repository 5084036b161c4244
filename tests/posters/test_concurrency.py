"""Batch actions and votes raced on PostgreSQL: each happens once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from convention.checkin import services as checkin
from convention.extensions import db
from convention.posters import services
from convention.posters.models import Decision, PosterCall, PosterVote, ReviewAssignment
from tests.checkin.factories import make_registration
from tests.checkin.test_concurrency import _race
from tests.posters.helpers import (
    AFTER_DEADLINE,
    SELECTION,
    make_call,
    make_reviewer,
    make_student,
    make_university,
    submitted_poster,
)

pytestmark = pytest.mark.postgres_only


def _outcome(action):
    def run():
        try:
            return action()
        except services.PosterError as error:
            db.session.rollback()
            return str(error)

    return run


@pytest.fixture
def posters(app, clock):
    call = make_call()
    universities = [make_university(f"University {n}") for n in range(3)]
    made = [submitted_poster(call, make_student(f"S{n}"), universities[n % 3]) for n in range(6)]
    for n, university in enumerate(universities):
        make_reviewer(f"R{n}", university)
    return call.id, [p.id for p in made]


def _call(call_id: int) -> PosterCall:
    return db.session.get(PosterCall, call_id)


def test_two_automatic_assignments_at_once_assign_once(app, posters, clock):
    call_id, _ = posters
    clock.move_to(AFTER_DEADLINE)
    reports = _race(app, [lambda: services.auto_assign(_call(call_id)).created] * 2)
    assert sorted(reports) == [0, 12]
    assert db.session.scalar(select(func.count()).select_from(ReviewAssignment)) == 12


def test_two_releases_at_once_email_each_student_once(app, posters, clock, outbox):
    call_id, ids = posters
    clock.move_to(SELECTION)
    for row in services.ranking(_call(call_id)):
        services.decide(row.submission, Decision.ACCEPT)
    before = len(outbox())
    results = _race(app, [_outcome(lambda: services.release_decisions(_call(call_id)))] * 2)
    assert sorted(map(str, results)) == ["6", "The decisions are already released."]
    assert len(outbox()) == before + 6
    numbered = _race(app, [_outcome(lambda: services.assign_boards(_call(call_id)))] * 2)
    assert sorted(numbered) == [0, 6]


def test_one_attendee_voting_twice_at_once_counts_once(app, posters, clock):
    call_id, ids = posters
    clock.move_to(SELECTION)
    call = _call(call_id)
    for row in services.ranking(call):
        services.decide(row.submission, Decision.ACCEPT)
    services.release_decisions(call)
    services.set_voting(call, True)
    checkin.ensure_lists(call.edition)
    registration = make_registration(call.edition)
    clock.move_to(SELECTION.replace(day=20, hour=13))
    assert checkin.scan(registration.badge_token, "main-door").status == "ok"
    user_id = registration.user_id

    def vote(submission_id):
        from convention.accounts.models import User
        from convention.posters.models import Submission

        return _outcome(
            lambda: (
                services.vote(
                    _call(call_id),
                    db.session.get(User, user_id),
                    db.session.get(Submission, submission_id),
                ).id
            )
        )

    results = _race(app, [vote(ids[0]), vote(ids[1])])
    assert sum(isinstance(r, int) for r in results) == 1, results
    assert "You have already voted. Each attendee votes once." in results
    assert db.session.scalar(select(func.count()).select_from(PosterVote)) == 1
