"""Meeting requests: the state machine, refusals, the cap, expiry and coordinators."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
import sqlalchemy as sa

from convention.extensions import db
from convention.matching import services
from convention.matching.models import (
    OPEN_REQUEST_STATES,
    IllegalTransition,
    MatchProfile,
    Meeting,
    MeetingRequest,
    MeetingStatus,
    RequestState,
)
from convention.registration import services as registration_services
from convention.timeutil import utcnow
from tests.helpers import at_once


def open_requests() -> list[MeetingRequest]:
    return list(
        db.session.scalars(
            sa.select(MeetingRequest).where(MeetingRequest.state.in_(OPEN_REQUEST_STATES))
        )
    )


def test_accepting_a_request_makes_a_draft_meeting_for_both(pair, outbox):
    a, b = pair
    request = services.send_request(a, b, "Let us talk about your plant", priority=3)
    assert request.state == RequestState.REQUESTED
    assert outbox()[-1].recipient == b.user.email
    services.respond(request, b, accept=True)
    assert request.state == RequestState.ACCEPTED
    meeting = request.meeting
    assert meeting.status == MeetingStatus.DRAFT
    assert meeting.priority == 3
    assert {seat.profile_id for seat in meeting.seats} == {a.id, b.id}
    assert outbox()[-1].recipient == a.user.email


def test_only_the_recipient_answers_and_only_once(pair):
    a, b = pair
    request = services.send_request(a, b)
    with pytest.raises(services.MatchingError, match="Only the invited participant"):
        services.respond(request, a, accept=True)
    services.respond(request, b, accept=False)
    assert request.state == RequestState.DECLINED
    with pytest.raises(services.MatchingError, match="no longer open"):
        services.respond(request, b, accept=True)


def test_the_state_machine_refuses_illegal_transitions(pair):
    a, b = pair
    request = services.send_request(a, b)
    request.transition(RequestState.EXPIRED)
    for state in RequestState:
        assert not request.can_become(state)
    with pytest.raises(IllegalTransition):
        request.transition(RequestState.ACCEPTED)


def test_no_request_to_oneself_nor_twice_between_two(pair):
    a, b = pair
    with pytest.raises(services.MatchingError, match="yourself"):
        services.send_request(a, a)
    services.send_request(a, b)
    with pytest.raises(services.MatchingError, match="already an open request"):
        services.send_request(a, b)
    with pytest.raises(services.MatchingError, match="already an open request"):
        services.send_request(b, a)  # the other way round too


def test_after_a_decline_a_new_request_is_possible(pair):
    a, b = pair
    services.respond(services.send_request(a, b), b, accept=False)
    assert services.send_request(b, a).state == RequestState.REQUESTED


def test_the_cap_counts_open_requests(app, make_profile, pair):
    app.config["MATCHING_REQUEST_CAP"] = 2
    a, b = pair
    c = make_profile("Cebu City")
    d = make_profile("Batam Authority")
    services.send_request(a, b)
    second = services.send_request(a, c)
    with pytest.raises(services.MatchingError, match="limit of 2 open requests"):
        services.send_request(a, d)
    services.cancel_request(second, a)
    assert services.send_request(a, d).state == RequestState.REQUESTED


def test_cancelling_an_accepted_request_cancels_its_meeting(pair):
    a, b = pair
    request = services.send_request(a, b)
    services.respond(request, b, accept=True)
    services.cancel_request(request, b)
    assert request.state == RequestState.CANCELLED
    assert request.meeting.status == MeetingStatus.CANCELLED


def test_a_stranger_cannot_cancel(pair, make_profile):
    a, b = pair
    request = services.send_request(a, b)
    with pytest.raises(services.MatchingError, match="not your request"):
        services.cancel_request(request, make_profile("Johor Corp"))


def test_unanswered_requests_expire_before_scheduling(pair, make_profile, edition, outbox):
    a, b = pair
    c = make_profile("Bangkok Metropolitan Administration")
    old = services.send_request(a, b)
    old.created_at = utcnow() - timedelta(days=10)
    db.session.commit()
    fresh = services.send_request(a, c)
    answered = services.send_request(c, b)
    services.respond(answered, b, accept=True)
    assert services.expire_requests(edition, older_than=timedelta(days=7)) == 1
    assert old.state == RequestState.EXPIRED
    assert fresh.state == RequestState.REQUESTED
    assert "expired" in outbox()[-1].subject
    assert services.expire_requests(edition) == 1
    assert fresh.state == RequestState.EXPIRED
    assert answered.state == RequestState.ACCEPTED


def test_flask_matching_expire(runner, pair):
    a, b = pair
    services.send_request(a, b)
    result = runner.invoke(args=["matching", "expire"])
    assert result.exit_code == 0, result.output
    assert "1 unanswered meeting requests expired" in result.output
    assert db.session.scalar(db.select(MeetingRequest)).state == RequestState.EXPIRED


def test_a_coordinator_matches_two_parties(organiser, pair, outbox):
    a, b = pair
    request = services.coordinate(organiser, a, b, "You should meet", priority=3)
    assert request.state == RequestState.ACCEPTED
    assert request.coordinator_id == organiser.id
    assert request.meeting.status == MeetingStatus.DRAFT
    assert {m.recipient for m in outbox()[-2:]} == {a.user.email, b.user.email}
    with pytest.raises(services.MatchingError, match="already an open request"):
        services.coordinate(organiser, b, a)
    with pytest.raises(services.MatchingError, match="two different"):
        services.coordinate(organiser, a, a)


def test_recommendations_pair_needs_with_offers_and_say_why(pair, make_profile):
    a, b = pair
    make_profile("Unrelated", offers=("hydrogen",))
    (rec,) = services.recommendations(b, "en")
    assert rec.profile.id == a.id
    (reason,) = rec.reasons
    assert reason.direction == "need"
    assert reason.label == "Waste-to-energy"
    assert reason.their_text == "Waste-to-energy plants for mid-size cities"
    # Once a request is open, the pair is not recommended again.
    services.send_request(b, a)
    assert services.recommendations(b, "en") == []


def test_a_request_racing_past_the_check_is_refused_by_the_database(pair, monkeypatch, outbox):
    """Two requests checked at the same moment both see no open request; only one is stored
    and the other person gets the same message as the check gives."""
    a, b = pair
    first = services.send_request(a, b)
    mails = len(outbox())
    monkeypatch.setattr(services, "open_request_between", lambda one, other: None)
    with pytest.raises(services.MatchingError, match="already an open request between you and"):
        services.send_request(b, a)  # the other way round is the same pair
    with pytest.raises(services.MatchingError, match="already an open request between you and"):
        services.send_request(a, b)
    services.respond(first, b, accept=True)
    with pytest.raises(
        services.MatchingError, match="already an open request between Da Nang City and"
    ):
        services.coordinate(make_organiser(), b, a)
    assert [r.id for r in open_requests()] == [first.id]
    assert len(db.session.scalars(sa.select(Meeting)).all()) == 1
    assert len(outbox()) == mails + 1  # only the answer to the first request


def make_organiser():
    from tests.factories import make_user

    return make_user(roles=("organiser",), email="coordinator@example.org")


@pytest.mark.parametrize("close", ["decline", "cancel", "expire"])
def test_a_closed_pair_can_ask_again_either_way(pair, edition, close):
    a, b = pair
    request = services.send_request(a, b)
    if close == "decline":
        services.respond(request, b, accept=False)
    elif close == "cancel":
        services.cancel_request(request, a)
    else:
        services.expire_requests(edition)
    again = services.send_request(b, a)
    services.cancel_request(again, b)
    assert services.send_request(a, b).state == RequestState.REQUESTED
    assert len(open_requests()) == 1


@pytest.mark.postgres_only
def test_simultaneous_requests_between_two_leave_one(app, database_url, pair):
    """Three people press "send" at once: A->B twice and B->A (several app processes)."""
    from convention import create_app
    from tests.conftest import test_config

    other_app = create_app(test_config(database_url))
    a_id, b_id = (profile.id for profile in pair)  # plain ints: ORM objects stay in this thread

    def send(requester_id, recipient_id):
        requester = db.session.get(MatchProfile, requester_id)
        services.send_request(requester, db.session.get(MatchProfile, recipient_id))
        return "sent"

    for _ in range(2):
        results = at_once(
            other_app,
            [partial(send, a_id, b_id), partial(send, a_id, b_id), partial(send, b_id, a_id)],
        )
        assert results.count("sent") == 1, results
        assert all("already an open request" in r for r in results if r != "sent"), results
        db.session.expire_all()
        (survivor,) = open_requests()
        services.cancel_request(survivor, survivor.requester)  # the pair may ask again
    with other_app.app_context():
        db.engine.dispose()


@pytest.fixture
def cancelled(pair):
    """Da Nang City's registration is cancelled (the registration feature's own way)."""
    a, b = pair
    registration_services.cancel(b.registration)
    return b


def test_a_cancelled_registration_leaves_the_directory_and_recommendations(
    pair, cancelled, edition
):
    a, b = pair
    assert [p.id for p in services.search_profiles(edition, services.DirectoryFilters())] == [a.id]
    assert services.directory_countries(edition) == ["JP"]
    assert services.recommendations(a, "en") == []  # Da Nang needed what Hama offers
    assert services.recommendations(b, "en") == []
    assert not services.listed(b)


def test_no_requests_to_or_from_a_cancelled_registration(pair, cancelled, make_profile):
    a, b = pair
    with pytest.raises(services.MatchingError, match="not taking requests"):
        services.send_request(a, b)
    with pytest.raises(services.MatchingError, match="Only confirmed registrations"):
        services.send_request(b, make_profile("Cebu City"))
    with pytest.raises(services.MatchingError, match="Da Nang City no longer has a confirmed"):
        services.coordinate(make_organiser(), a, b)
    assert open_requests() == []


def test_a_request_from_someone_who_cancelled_cannot_be_accepted(pair):
    a, b = pair
    request = services.send_request(b, a)
    registration_services.cancel(b.registration)
    with pytest.raises(services.MatchingError, match="Da Nang City no longer has a confirmed"):
        services.respond(request, a, accept=True)
    db.session.rollback()
    services.respond(request, a, accept=False)  # declining is still possible
    assert request.state == RequestState.DECLINED
