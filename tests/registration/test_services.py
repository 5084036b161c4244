"""The registration rules, called directly."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from convention.accounts.models import ParticipantCategory
from convention.events.models import Visibility
from convention.extensions import db
from convention.registration import services
from convention.registration.models import RegistrationStatus as RS
from convention.registration.models import SignupStatus as SS
from convention.registration.services import RegistrationError
from tests.factories import make_edition, make_session, make_user
from tests.registration.helpers import (
    ANSWERS,
    STUDENT_ANSWERS,
    future,
    make_registration,
    make_ticket_type,
    make_university,
    past,
)


@pytest.fixture
def edition(app):
    return make_edition(start=date.today() + timedelta(days=30), is_current=True)


def test_free_ticket_confirms_and_mails_badge_and_calendar(edition, outbox):
    ticket_type = make_ticket_type(edition, capacity=10)
    registration = make_registration(ticket_type, notify=True)
    assert registration.status == RS.CONFIRMED
    assert registration.badge_valid
    assert len(registration.badge_token) >= 32
    message = outbox()[-1]
    assert message.template == "registration/confirmation"
    assert '"badge.png"' in message.attachments and '"convention.ics"' in message.attachments


def test_full_ticket_type_waitlists_in_arrival_order_and_cancel_promotes_first(edition, outbox):
    ticket_type = make_ticket_type(edition, capacity=1)
    first = make_registration(ticket_type)
    waiting = [make_registration(ticket_type) for _ in range(3)]
    assert first.status == RS.CONFIRMED
    assert [r.status for r in waiting] == [RS.WAITLISTED] * 3
    assert [r.id for r in services.waitlist(ticket_type)] == [r.id for r in waiting]

    services.cancel(first)
    assert first.status == RS.CANCELLED
    assert not first.badge_valid and first.badge_refusal == "revoked"
    db.session.refresh(waiting[0])
    assert waiting[0].status == RS.CONFIRMED
    promoted = [m for m in outbox() if m.template == "registration/promoted"]
    assert [m.recipient for m in promoted] == [waiting[0].user.email]
    assert "badge.png" in promoted[0].attachments
    assert [r.id for r in services.waitlist(ticket_type)] == [r.id for r in waiting[1:]]


def test_capacity_raise_promotes_the_waiting_list(edition):
    ticket_type = make_ticket_type(edition, capacity=1)
    make_registration(ticket_type)
    waiting = make_registration(ticket_type)
    data = services.TicketTypeData(
        name_ja="一般", name_en="General", category=ParticipantCategory.GENERAL, capacity=2
    )
    services.save_ticket_type(edition, data, ticket_type)
    assert waiting.status == RS.CONFIRMED


def test_capacity_cannot_drop_below_places_held(edition):
    ticket_type = make_ticket_type(edition, capacity=5)
    make_registration(ticket_type)
    make_registration(ticket_type)
    data = services.TicketTypeData(
        name_ja="一般", name_en="General", category=ParticipantCategory.GENERAL, capacity=1
    )
    with pytest.raises(RegistrationError) as error:
        services.save_ticket_type(edition, data, ticket_type)
    assert error.value.field == "capacity"
    db.session.refresh(ticket_type)
    assert ticket_type.capacity == 5


def test_paid_ticket_awaits_payment_and_badge_is_unpaid(edition):
    ticket_type = make_ticket_type(edition, price=5000, capacity=2)
    registration = make_registration(ticket_type)
    assert registration.status == RS.AWAITING_PAYMENT
    assert registration.badge_refusal == "unpaid"
    services.mark_paid(registration)
    assert registration.status == RS.CONFIRMED and registration.badge_valid


def test_approval_type_waits_then_approve_or_reject(edition, outbox):
    ticket_type = make_ticket_type(edition, requires_approval=True, capacity=1)
    one, two, three = (make_registration(ticket_type) for _ in range(3))
    assert {one.status, two.status, three.status} == {RS.PENDING_APPROVAL}
    services.approve(one)
    services.approve(two)
    assert one.status == RS.CONFIRMED
    assert two.status == RS.WAITLISTED
    services.reject(three)
    assert three.status == RS.REJECTED
    assert outbox()[-1].template == "registration/rejected"
    with pytest.raises(RegistrationError):
        make_registration(ticket_type, user=three.user)


def test_one_registration_per_person_per_edition(edition):
    ticket_type = make_ticket_type(edition)
    registration = make_registration(ticket_type)
    with pytest.raises(RegistrationError, match="already registered"):
        make_registration(ticket_type, user=registration.user)
    assert db.session.query(services.Registration).count() == 1


def test_register_again_after_cancelling_gets_a_new_badge(edition):
    ticket_type = make_ticket_type(edition)
    registration = make_registration(ticket_type)
    old_token = registration.badge_token
    services.cancel(registration)
    again = make_registration(ticket_type, user=registration.user)
    assert again.id == registration.id
    assert again.status == RS.CONFIRMED
    assert again.badge_token != old_token


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"sales_end": past()}, "closed on"),
        ({"sales_start": future()}, "open on"),
        ({"access_code": "SECRET"}, "tickets on offer"),
    ],
)
def test_ticket_not_on_sale_is_refused(edition, fields, message):
    ticket_type = make_ticket_type(edition, **fields)
    with pytest.raises(RegistrationError, match=message) as error:
        make_registration(ticket_type)
    assert error.value.field == "ticket_type"
    assert db.session.query(services.Registration).count() == 0


def test_hidden_type_with_its_access_code(edition):
    ticket_type = make_ticket_type(edition, access_code="Sponsor-2026")
    user = make_user()
    registration = services.register(user, ticket_type, ANSWERS, access_code=" sponsor-2026 ")
    assert registration.status == RS.CONFIRMED
    assert services.ticket_types_on_offer(edition) == []
    assert services.ticket_types_on_offer(edition, "SPONSOR-2026") == [ticket_type]


def test_ticket_type_of_another_edition_is_refused(edition):
    other = make_ticket_type(make_edition(start=date.today() + timedelta(days=60)))
    with pytest.raises(RegistrationError, match="tickets on offer"):
        services.register(make_user(), other, ANSWERS, edition=edition)


@pytest.mark.parametrize(
    "answers, field",
    [
        ({"organization": "x" * 201}, "organization"),
        ({"country": "XX"}, "country"),
        ({"sector": "piracy"}, "sector"),
        ({"dietary_needs": "bad\x00byte"}, "dietary_needs"),
    ],
)
def test_malformed_answers_are_refused(edition, answers, field):
    ticket_type = make_ticket_type(edition)
    with pytest.raises(RegistrationError) as error:
        make_registration(ticket_type, **answers)
    assert error.value.field == field
    assert db.session.query(services.Registration).count() == 0


def test_student_needs_university_faculty_and_year(edition):
    ticket_type = make_ticket_type(edition, category=ParticipantCategory.STUDENT)
    university = make_university()
    with pytest.raises(RegistrationError) as error:
        services.register(make_user(), ticket_type, {"country": "JP"})
    assert error.value.field == "university"
    registration = services.register(
        make_user(), ticket_type, {**STUDENT_ANSWERS, "university_id": str(university.id)}
    )
    assert registration.university.in_city
    other = services.register(
        make_user(), ticket_type, {**STUDENT_ANSWERS, "university_other": "MIT"}
    )
    assert other.university is None and other.university_other == "MIT"


def test_consent_is_off_unless_given(edition):
    ticket_type = make_ticket_type(edition)
    registration = make_registration(ticket_type)
    assert registration.consent_share_with_sponsors is False
    services.update_answers(registration, {**ANSWERS, "consent_share_with_sponsors": True})
    assert registration.consent_share_with_sponsors and registration.consent_changed_at


# Seminar sign-up ----------------------------------------------------------------------------


def test_session_capacity_waitlist_and_promotion(edition, outbox):
    ticket_type = make_ticket_type(edition)
    session = make_session(edition, "10:00", capacity=1)
    one, two, three = (make_registration(ticket_type) for _ in range(3))
    first = services.sign_up_for_session(one, session)
    second = services.sign_up_for_session(two, session)
    third = services.sign_up_for_session(three, session)
    assert (first.status, second.status, third.status) == (
        SS.CONFIRMED,
        SS.WAITLISTED,
        SS.WAITLISTED,
    )
    services.cancel_signup(first)
    assert second.status == SS.CONFIRMED and third.status == SS.WAITLISTED
    assert outbox()[-1].template == "registration/signup_promoted"
    assert outbox()[-1].recipient == two.user.email


def test_clash_names_the_other_session(edition):
    registration = make_registration(make_ticket_type(edition))
    first = make_session(edition, "10:00", 90, title_ja="Offshore wind", title_en="Offshore wind")
    clashing = make_session(edition, "11:00", 60)
    later = make_session(edition, "11:30", 60)
    services.sign_up_for_session(registration, first)
    with pytest.raises(RegistrationError, match="Offshore wind"):
        services.sign_up_for_session(registration, clashing)
    assert services.sign_up_for_session(registration, later).status == SS.CONFIRMED


def test_cancelled_registration_frees_its_seminar_seats(edition):
    ticket_type = make_ticket_type(edition)
    session = make_session(edition, capacity=1)
    holder, waiting = make_registration(ticket_type), make_registration(ticket_type)
    services.sign_up_for_session(holder, session)
    signup = services.sign_up_for_session(waiting, session)
    services.cancel(holder)
    assert signup.status == SS.CONFIRMED


def test_closed_workshop_needs_code_or_approval(edition):
    ticket_type = make_ticket_type(edition)
    workshop = make_session(edition, visibility=Visibility.CLOSED, invitation_code="JCM")
    invited, asking = make_registration(ticket_type), make_registration(ticket_type)
    with pytest.raises(RegistrationError) as error:
        services.sign_up_for_session(invited, workshop, invitation_code="wrong")
    assert error.value.field == "invitation_code"
    assert services.sign_up_for_session(invited, workshop, "jcm").status == SS.CONFIRMED
    request = services.sign_up_for_session(asking, workshop)
    assert request.status == SS.PENDING_APPROVAL
    services.approve_signup(request)
    assert request.status == SS.CONFIRMED


def test_double_signup_and_other_edition_session_refused(edition):
    registration = make_registration(make_ticket_type(edition))
    session = make_session(edition)
    services.sign_up_for_session(registration, session)
    with pytest.raises(RegistrationError, match="already signed up"):
        services.sign_up_for_session(registration, session)
    foreign = make_session(make_edition(start=date.today() + timedelta(days=90)))
    with pytest.raises(RegistrationError):
        services.sign_up_for_session(registration, foreign)


def test_waitlisted_registration_cannot_choose_seminars(edition):
    ticket_type = make_ticket_type(edition, capacity=0)
    registration = make_registration(ticket_type)
    with pytest.raises(RegistrationError, match="once your registration"):
        services.sign_up_for_session(registration, make_session(edition))


def test_organiser_reorders_and_promotes_within_capacity(edition):
    ticket_type = make_ticket_type(edition, capacity=1)
    make_registration(ticket_type)
    a, b, c = (make_registration(ticket_type) for _ in range(3))
    services.move_in_waitlist(c, -2)
    assert [r.id for r in services.waitlist(ticket_type)] == [c.id, a.id, b.id]
    with pytest.raises(RegistrationError, match="no free place"):
        services.promote(b)
    ticket_type.capacity = 2
    db.session.commit()
    services.promote(b)
    assert b.status == RS.CONFIRMED
    assert services.held_count(ticket_type) == 2


def test_state_machine_refuses_illegal_moves(edition):
    registration = make_registration(make_ticket_type(edition))
    services.cancel(registration)
    with pytest.raises(RegistrationError):
        services.cancel(registration)
    with pytest.raises(RegistrationError):
        services.approve(registration)


def test_data_export_and_deletion_request(edition, organiser, outbox):
    registration = make_registration(make_ticket_type(edition))
    services.sign_up_for_session(registration, make_session(edition, title_en="Green finance"))
    data = services.export_my_data(registration.user)
    assert data["registrations"][0]["session_signups"][0]["session"] == "Green finance"
    assert data["registrations"][0]["answers"]["organization"] == "Yokohama Green Co."
    services.request_account_deletion(registration.user)
    assert registration.user.deletion_requested_at is not None
    assert organiser.email in [m.recipient for m in outbox()]


def test_calendar_has_the_convention_and_my_sessions(edition):
    from icalendar import Calendar

    registration = make_registration(make_ticket_type(edition))
    services.sign_up_for_session(registration, make_session(edition, title_en="Green finance"))
    calendar = Calendar.from_ical(services.calendar_ics(registration, "en"))
    summaries = [str(event["summary"]) for event in calendar.walk("VEVENT")]
    assert "Green finance" in summaries and edition.name_en in summaries


def test_session_capacity_raise_promotes_and_cannot_drop_below_seats(edition):
    ticket_type = make_ticket_type(edition)
    session = make_session(edition, capacity=1)
    holder, waiting = make_registration(ticket_type), make_registration(ticket_type)
    services.sign_up_for_session(holder, session)
    signup = services.sign_up_for_session(waiting, session)
    with pytest.raises(RegistrationError) as error:
        services.update_session_capacity(session, 0)
    assert error.value.field == "capacity"
    promoted = services.update_session_capacity(session, 2)
    assert promoted == [signup] and signup.status == SS.CONFIRMED
