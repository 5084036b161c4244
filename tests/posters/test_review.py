"""Review: conflict of interest, blind pages, who may open what, scores and decisions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from convention.accounts.models import ParticipantCategory
from convention.checkin import services as checkin
from convention.extensions import db
from convention.posters import services
from convention.posters.models import Decision, PosterVote, Review, ReviewAssignment
from tests.checkin.factories import make_registration
from tests.conftest import login
from tests.posters.helpers import (
    DURING_REVIEW,
    SELECTION,
    make_call,
    make_reviewer,
    make_student,
    make_university,
    submitted_poster,
)
from tests.posters.test_flow import text


@pytest.fixture
def world(clock, app):
    call = make_call(reviews_per_poster=2)
    minato = make_university("Minato University")
    harbour = make_university("Harbour Institute of Technology")
    hana = make_student("Hana Suzuki", email="hana@example.org")
    poster = submitted_poster(call, hana, minato, supervisor="Prof. Kenji Mori")
    return call, minato, harbour, hana, poster


def assignment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ReviewAssignment))


def test_automatic_assignment_never_gives_a_reviewer_their_own_university(world):
    call, minato, harbour, hana, poster = world
    same = make_reviewer("Same University", minato)
    other = make_reviewer("Other University", harbour)
    unrecorded = make_reviewer("Unrecorded", recorded=False)
    report = services.auto_assign(call)
    reviewers = {a.reviewer_id for a in poster.assignments}
    assert reviewers == {other.id}
    assert same.id not in reviewers and unrecorded.id not in reviewers
    # Only one eligible reviewer for two reviews: the poster is reported short.
    assert [s.id for s in report.short] == [poster.id]
    # Running again adds nothing and keeps what exists.
    services.auto_assign(call)
    assert assignment_count() == 1


def test_a_reviewer_never_gets_their_own_poster(world, app):
    call, minato, harbour, *_ = world
    # A student who is also a reviewer (from another university than recorded).
    student_reviewer = make_reviewer("Student Reviewer", harbour)
    student_reviewer.category = ParticipantCategory.STUDENT
    db.session.commit()
    own = submitted_poster(call, student_reviewer, minato)
    assert services.conflict(student_reviewer, own) is not None
    services.auto_assign(call)
    assert all(a.reviewer_id != student_reviewer.id for a in own.assignments)


def test_manual_assignment_with_a_conflict_is_refused(world, organiser_client):
    call, minato, harbour, hana, poster = world
    same = make_reviewer("Same University", minato)
    response = organiser_client.post(
        f"/admin/posters/submissions/{poster.id}/assign", data={"reviewer_id": str(same.id)}
    )
    assert response.status_code == 422
    assert "Conflict of interest" in text(response)
    assert assignment_count() == 0
    other = make_reviewer("Other", harbour)
    response = organiser_client.post(
        f"/admin/posters/submissions/{poster.id}/assign", data={"reviewer_id": str(other.id)}
    )
    assert response.status_code == 303
    assert assignment_count() == 1
    # Twice the same reviewer: refused, still one.
    response = organiser_client.post(
        f"/admin/posters/submissions/{poster.id}/assign", data={"reviewer_id": str(other.id)}
    )
    assert response.status_code == 422 and assignment_count() == 1
    # The organiser takes it back.
    assignment = db.session.scalar(select(ReviewAssignment))
    response = organiser_client.post(f"/admin/posters/assignments/{assignment.id}/delete")
    assert response.status_code == 303 and assignment_count() == 0


def test_reviewer_pages_are_blind(world, app, clock):
    call, minato, harbour, hana, poster = world
    reviewer = make_reviewer("Blind Reviewer", harbour)
    client = login(app.test_client(), reviewer)
    assignment = services.assign(poster, reviewer)
    clock.move_to(DURING_REVIEW)
    secrets = ["Hana Suzuki", "Taro Ito", "Minato University", "Prof. Kenji Mori", hana.email]
    for url in ("/review/posters", f"/review/posters/{assignment.id}"):
        page = text(client.get(url))
        assert "Optimal placement of rooftop solar" in page  # the title, in English
        for secret in secrets:
            assert secret not in page, (url, secret)
    pdf = client.get(f"/review/posters/{assignment.id}/file")
    disposition = pdf.headers["Content-Disposition"]
    assert disposition.endswith(f"poster-{poster.id}.pdf") and "solar" not in disposition


def test_reviewer_cannot_open_unassigned_or_conflicting_posters(world, app, clock):
    call, minato, harbour, hana, poster = world
    clock.move_to(DURING_REVIEW)
    outsider = make_reviewer("Not Assigned", harbour)
    assigned = make_reviewer("Assigned", harbour)
    assignment = services.assign(poster, assigned)
    outsider_client = login(app.test_client(), outsider)
    assert outsider_client.get(f"/review/posters/{assignment.id}").status_code == 403
    assert outsider_client.get(f"/review/posters/{assignment.id}/file").status_code == 403
    assert outsider_client.get(f"/posters/{poster.id}/file").status_code == 403
    response = outsider_client.post(
        f"/review/posters/{assignment.id}",
        data={f"score_{c.id}": "5" for c in call.categories},
    )
    assert response.status_code == 403
    # The assigned reviewer's university turns out to be the poster's: no access any more.
    services.set_reviewer_university(assigned, minato.id)
    assigned_client = login(app.test_client(), assigned)
    assert assigned_client.get(f"/review/posters/{assignment.id}").status_code == 403
    assert assigned_client.get(f"/posters/{poster.id}/file").status_code == 403
    assert "屋上太陽光" not in text(assigned_client.get("/review/posters"))
    assert db.session.scalar(select(func.count()).select_from(Review)) == 0
    # Attendees without the role never see review pages.
    attendee = login(app.test_client(), make_student("Plain Student"))
    assert attendee.get(f"/review/posters/{assignment.id}").status_code == 403


def test_scores_are_complete_and_only_during_reviewing(world, app, clock):
    call, minato, harbour, hana, poster = world
    reviewer = make_reviewer("Reviewer", harbour)
    assignment = services.assign(poster, reviewer)
    client = login(app.test_client(), reviewer)
    originality, clarity = call.categories
    # Before reviewing opens: read-only page, a post is refused.
    response = client.post(
        f"/review/posters/{assignment.id}",
        data={f"score_{originality.id}": "4", f"score_{clarity.id}": "4"},
    )
    assert response.status_code == 422 and "Reviewing is not open" in text(response)
    clock.move_to(DURING_REVIEW)
    response = client.post(
        f"/review/posters/{assignment.id}",
        data={f"score_{originality.id}": "4", "comment_to_authors": "Good"},
    )
    assert response.status_code == 422
    assert "Give a score from 1 to 5." in text(response)
    response = client.post(
        f"/review/posters/{assignment.id}",
        data={f"score_{originality.id}": "9", f"score_{clarity.id}": "1"},
    )
    assert response.status_code == 422
    # A NUL (PostgreSQL cannot store one) is refused beside the comment it is in.
    scores = {f"score_{originality.id}": "5", f"score_{clarity.id}": "2"}
    for name in ("comment_to_authors", "confidential_comment"):
        response = client.post(f"/review/posters/{assignment.id}", data={**scores, name: "a\x00"})
        assert response.status_code == 422
        error = text(response).split(f'id="{name}-error"')[1].split("</p>")[0]
        assert "This contains characters that are not allowed." in error
    assert db.session.scalar(select(func.count()).select_from(Review)) == 0
    response = client.post(
        f"/review/posters/{assignment.id}",
        data={f"score_{originality.id}": "5", f"score_{clarity.id}": "2"},
    )
    assert response.status_code == 303
    review = db.session.scalar(select(Review))
    assert services.weighted_score(review) == pytest.approx((5 * 2 + 2 * 1) / 3)
    # Saving again replaces the scores.
    client.post(
        f"/review/posters/{assignment.id}",
        data={f"score_{originality.id}": "3", f"score_{clarity.id}": "3"},
    )
    db.session.refresh(review)
    assert services.weighted_score(review) == 3
    clock.move_to(SELECTION)
    response = client.post(
        f"/review/posters/{assignment.id}",
        data={f"score_{originality.id}": "1", f"score_{clarity.id}": "1"},
    )
    assert response.status_code == 422
    db.session.refresh(review)
    assert services.weighted_score(review) == 3


def test_ranking_shows_the_spread(world, clock):
    call, minato, harbour, hana, poster = world
    first = make_reviewer("First", harbour)
    second = make_reviewer("Second", None)
    a1, a2 = services.assign(poster, first), services.assign(poster, second)
    clock.move_to(DURING_REVIEW)
    ids = [c.id for c in call.categories]
    services.save_review(a1, {ids[0]: 5, ids[1]: 5}, "", "")
    services.save_review(a2, {ids[0]: 2, ids[1]: 2}, "", "")
    (row,) = services.ranking(call)
    assert row.mean == pytest.approx(3.5)
    assert row.spread == pytest.approx(3)


def test_decisions_wait_for_the_deadline_and_the_release(world, organiser_client, clock, outbox):
    call, minato, harbour, hana, poster = world
    response = organiser_client.post(
        f"/admin/posters/submissions/{poster.id}/decision", data={"decision": "accept"}
    )
    assert response.status_code == 422 and "after the submission deadline" in text(response)
    clock.move_to(SELECTION)
    before = len(outbox())
    services.decide(poster, Decision.ACCEPT)
    assert poster.state.value == "submitted"  # nobody is told yet
    assert len(outbox()) == before


def test_release_is_refused_while_a_poster_is_undecided(clock, app, organiser_client, outbox):
    call = make_call()
    university = make_university("Minato University")
    decided = submitted_poster(call, make_student("A", email="a@example.org"), university)
    undecided = submitted_poster(call, make_student("B", email="b@example.org"), university)
    clock.move_to(SELECTION)
    services.decide(decided, Decision.REJECT)
    before = len(outbox())
    response = organiser_client.post("/admin/posters/release", follow_redirects=True)
    assert "1 submitted poster has no decision yet." in text(response)
    assert len(outbox()) == before
    assert decided.state.value == "submitted" and call.decisions_released_at is None
    services.decide(undecided, Decision.WAITLIST)
    assert services.release_decisions(call) == 2
    services.assign_boards(call)  # nothing accepted: no boards
    services.promote(undecided)
    assert undecided.state.value == "accepted"
    assert outbox()[-1].subject == "Your poster is accepted"
    services.assign_boards(call)
    assert undecided.board_number == 1 and undecided.slot == 1


@pytest.fixture
def session_day(world, clock):
    call, minato, harbour, hana, poster = world
    clock.move_to(SELECTION)
    services.decide(poster, Decision.ACCEPT)
    services.release_decisions(call)
    services.assign_boards(call)
    services.set_voting(call, True)
    checkin.ensure_lists(call.edition)
    clock.move_to(SELECTION.replace(day=20, hour=13))
    return call, poster


def test_one_vote_per_checked_in_attendee(session_day, app):
    call, poster = session_day
    registration = make_registration(call.edition, name="Aiko Voter")
    poster_list = checkin.list_for_session(call.session_id)
    assert checkin.scan(registration.badge_token, poster_list).status == "ok"
    voter = registration.user
    services.vote(call, voter, poster)
    with pytest.raises(services.PosterError, match="already voted"):
        services.vote(call, voter, poster)
    assert db.session.scalar(select(func.count()).select_from(PosterVote)) == 1
    # The database refuses a second row even when the service's check is bypassed (a race).
    db.session.add(PosterVote(call_id=call.id, voter_id=voter.id, submission_id=poster.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(PosterVote)) == 1


def test_votes_need_a_check_in_and_an_open_vote(session_day, app):
    call, poster = session_day
    registration = make_registration(call.edition, name="Not Checked In")
    with pytest.raises(services.PosterError, match="Only attendees checked in"):
        services.vote(call, registration.user, poster)
    checkin.scan(registration.badge_token, "main-door")
    services.set_voting(call, False)
    with pytest.raises(services.PosterError, match="not open"):
        services.vote(call, registration.user, poster)
    assert db.session.scalar(select(func.count()).select_from(PosterVote)) == 0
    anonymous = app.test_client()
    response = anonymous.post(f"/posters/{poster.id}/vote")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_an_assignment_that_became_a_conflict_does_not_count(world):
    call, minato, harbour, hana, poster = world
    call.reviews_per_poster = 1
    db.session.commit()
    first = make_reviewer("First", harbour)
    services.assign(poster, first)
    # The student corrects the university to the reviewer's before the deadline.
    poster.university_id = harbour.id
    db.session.commit()
    second = make_reviewer("Second", minato)
    assert services.auto_assign(call).created == 1
    assert {a.reviewer_id for a in poster.assignments} == {first.id, second.id}
    assert [a.submission_id for a in services.assignments_of(first)] == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_automatic_assignment_invariants_on_random_calls(clock, app, seed):
    import random

    rng = random.Random(seed)
    call = make_call(reviews_per_poster=rng.choice([2, 3]))
    universities = [make_university(f"U{seed}-{n}") for n in range(rng.randint(2, 4))]
    posters = [
        submitted_poster(call, make_student(f"S{n}"), rng.choice(universities))
        for n in range(rng.randint(4, 9))
    ]
    people = [
        make_reviewer(f"R{n}", rng.choice([*universities, None])) for n in range(rng.randint(3, 6))
    ]
    report = services.auto_assign(call)
    loads = {user.id: 0 for user in people}
    for poster in posters:
        reviewer_ids = [a.reviewer_id for a in poster.assignments]
        assert len(reviewer_ids) == len(set(reviewer_ids))
        eligible = [u for u in people if services.conflict(u, poster) is None]
        assert len(reviewer_ids) == min(call.reviews_per_poster, len(eligible))
        assert (poster in report.short) == (len(eligible) < call.reviews_per_poster)
        for reviewer_id in reviewer_ids:
            reviewer = next(u for u in people if u.id == reviewer_id)
            assert services.conflict(reviewer, poster) is None
            loads[reviewer_id] += 1
    assert sum(loads.values()) == report.created
