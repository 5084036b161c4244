"""Presenters on the poster session's check-in list, whatever the list admits."""

from __future__ import annotations

import pytest

from convention.accounts.models import ParticipantCategory
from convention.checkin import services as checkin
from convention.checkin.models import Admission
from convention.extensions import db
from convention.posters import services
from convention.posters.models import Decision
from convention.registration.models import RegistrationStatus
from tests.checkin.factories import make_registration
from tests.factories import make_session
from tests.posters.helpers import (
    SELECTION,
    at,
    make_call,
    make_student,
    make_university,
    submitted_poster,
)

DURING_SESSION = SELECTION.replace(day=20, hour=13, minute=5)


@pytest.fixture
def released(app, clock):
    """A call with an accepted and a rejected poster, decisions released, the lists made."""
    call = make_call()
    university = make_university("港大学")
    hana, jiro = make_student("Hana Suzuki"), make_student("Jiro Sato")
    accepted = submitted_poster(call, hana, university)
    rejected = submitted_poster(call, jiro, university, title_ja="研究2")
    at(clock, SELECTION)
    services.decide(accepted, Decision.ACCEPT)
    services.decide(rejected, Decision.REJECT)
    services.release_decisions(call)
    checkin.ensure_lists(call.edition)
    poster_list = checkin.list_for_session(call.session_id)
    at(clock, DURING_SESSION)
    return call, poster_list, hana, jiro


def registration_of(call, user, **fields):
    return make_registration(
        call.edition, user=user, category=ParticipantCategory.STUDENT, **fields
    )


@pytest.mark.parametrize("admission", [Admission.EVERYONE, Admission.SIGNED_UP])
def test_accepted_presenter_is_admitted_to_the_poster_session(released, admission):
    call, poster_list, hana, _jiro = released
    poster_list.admission = admission
    db.session.commit()
    presenter = registration_of(call, hana)

    outcome = checkin.scan(presenter.badge_token, poster_list)

    assert outcome.status == "ok"
    assert checkin.counters(poster_list).checked_in == 1


def test_signed_up_only_list_admits_presenters_and_signed_up_people_only(released):
    call, poster_list, hana, jiro = released
    poster_list.admission = Admission.SIGNED_UP
    db.session.commit()
    presenter = registration_of(call, hana)
    not_accepted = registration_of(call, jiro)
    visitor = make_registration(call.edition, name="Aiko Visitor")
    signed_up = make_registration(call.edition, name="Ken Signed", sessions=(call.session,))

    assert checkin.scan(not_accepted.badge_token, poster_list).reason == "not_on_list"
    assert checkin.scan(visitor.badge_token, poster_list).reason == "not_on_list"
    assert checkin.scan(signed_up.badge_token, poster_list).status == "ok"
    assert checkin.scan(presenter.badge_token, poster_list).status == "ok"
    # "Registered" on the door's counter: the one signed up and the presenter.
    counters = checkin.counters(poster_list)
    assert (counters.registered, counters.checked_in) == (2, 2)
    # The organisers' poster-session page sees the presenter checked in.
    _list, rows = services.presenters(call)
    assert [row.checked_in_at is not None for row in rows] == [True]


def test_presenter_needs_a_valid_badge_and_only_gets_the_poster_session(released):
    call, poster_list, hana, _jiro = released
    poster_list.admission = Admission.SIGNED_UP
    seminar = make_session(call.edition, "15:00", 60)
    checkin.ensure_lists(call.edition)
    seminar_list = checkin.list_for_session(seminar.id)
    assert seminar_list.admission == Admission.SIGNED_UP
    unpaid = registration_of(call, hana, status=RegistrationStatus.AWAITING_PAYMENT)

    assert checkin.scan(unpaid.badge_token, poster_list).reason == "unpaid"
    unpaid.status = RegistrationStatus.CONFIRMED
    db.session.commit()
    assert checkin.scan(unpaid.badge_token, poster_list).status == "ok"
    # Presenting at the poster session is no ticket to a seminar one has not signed up for.
    assert checkin.scan(unpaid.badge_token, seminar_list).reason == "not_on_list"
    assert checkin.counters(seminar_list).registered == 0


def test_withdrawn_before_release_is_not_admitted(app, clock):
    call = make_call()
    university = make_university("港大学")
    hana = make_student("Hana Suzuki")
    poster = submitted_poster(call, hana, university)
    services.withdraw(poster, hana)
    checkin.ensure_lists(call.edition)
    poster_list = checkin.list_for_session(call.session_id)
    poster_list.admission = Admission.SIGNED_UP
    db.session.commit()
    at(clock, DURING_SESSION)
    registration = registration_of(call, hana)

    assert checkin.scan(registration.badge_token, poster_list).reason == "not_on_list"
