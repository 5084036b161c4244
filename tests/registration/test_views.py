"""The registering flow, my registration and the seminar page, as a person sees them."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from convention.accounts.models import ParticipantCategory, User
from convention.events.models import SessionKind, Visibility
from convention.extensions import db
from convention.registration import services
from convention.registration.models import Registration, SessionSignup
from convention.registration.models import RegistrationStatus as RS
from convention.registration.models import SignupStatus as SS
from tests.conftest import login
from tests.factories import make_edition, make_session, make_user
from tests.registration.helpers import (
    make_registration,
    make_ticket_type,
    make_university,
    past,
)

HX = {"HX-Request": "true"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def edition(app):
    return make_edition(start=date.today() + timedelta(days=30), is_current=True)


@pytest.fixture
def general(edition):
    return make_ticket_type(edition, name_en="General admission", capacity=100)


def form_data(ticket_type, /, **overrides):
    data = {
        "ticket_type": str(ticket_type.id),
        "organization": "Minato Energy",
        "department": "Planning",
        "job_title": "Manager",
        "country": "JP",
        "sector": "energy",
        "university": "",
        "study_year": "",
    }
    data.update(overrides)
    return data


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_register_page_lists_tickets_live_counts_purpose_and_unticked_consent(client, general):
    make_ticket_type(general.edition, name_en="Sponsor pass", access_code="SPONSOR")
    page = client.get("/register", headers=EN)
    assert page.status_code == 200
    assert "General admission" in page.text and "Sponsor pass" not in page.text
    assert 'hx-trigger="every 10s"' in page.text
    assert "Purpose of use" in page.text
    consent = page.text.split('id="consent_share_with_sponsors"')[0].rsplit("<input", 1)[1]
    assert "checked" not in consent
    assert "Sponsor pass" in client.get("/register?code=sponsor", headers=EN).text


def test_availability_fragment_counts_and_stops_after_sales(client, edition):
    open_type = make_ticket_type(edition, name_en="Open", capacity=2)
    make_registration(open_type)
    fragment = client.get("/register/availability", headers={**HX, **EN})
    assert fragment.status_code == 200
    assert "1 place left" in fragment.text and "<html" not in fragment.text
    open_type.sales_end = past()
    db.session.commit()
    assert client.get("/register/availability", headers={**HX, **EN}).status_code == 286


def test_logged_in_user_registers(attendee_client, attendee, general, outbox):
    response = attendee_client.post("/register", data=form_data(general))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/my/registration")
    registration = db.session.scalars(sa.select(Registration)).one()
    assert registration.user_id == attendee.id and registration.status == RS.CONFIRMED
    assert registration.organization == "Minato Energy"
    assert registration.consent_share_with_sponsors is False
    assert outbox()[-1].template == "registration/confirmation"
    again = attendee_client.get("/register")
    assert again.status_code == 303  # already registered: to my registration page


def test_visitor_registers_with_a_new_account_and_must_verify(client, general, outbox):
    data = form_data(
        general,
        email="New.Person@Example.org",
        password="a long enough password",
        name="新井 花子",
        language="ja",
        consent_share_with_sponsors="y",
    )
    response = client.post("/register", data=data, headers=EN)
    assert response.status_code == 200
    assert "Check your email" in response.text
    user = db.session.scalars(sa.select(User).where(User.email == "new.person@example.org")).one()
    assert not user.email_verified
    registration = db.session.scalars(sa.select(Registration)).one()
    assert registration.user_id == user.id and registration.consent_share_with_sponsors
    templates = [m.template for m in outbox()]
    assert "accounts/verify_email" in templates and "registration/confirmation" in templates


def test_visitor_with_existing_email_gets_the_same_answer_and_no_registration(
    client, general, attendee
):
    data = form_data(
        general, email=attendee.email, password="a long enough password", name="Someone"
    )
    response = client.post("/register", data=data, headers=EN)
    assert "Check your email" in response.text
    assert count(Registration) == 0


def test_student_of_in_city_university(client, edition):
    student = make_ticket_type(edition, name_en="Student", category=ParticipantCategory.STUDENT)
    ynu = make_university("Yokohama National University", in_city=True)
    make_university("University of Tokyo", in_city=False)
    page = client.get("/register", headers=EN)
    assert "Yokohama National University (in the city)" in page.text
    assert "University of Tokyo (in the city)" not in page.text
    data = form_data(
        student,
        email="student@example.ac.jp",
        password="a long enough password",
        name="Student",
        university=str(ynu.id),
        faculty="Urban Innovation",
        study_year="M1",
    )
    assert client.post("/register", data=data).status_code == 200
    registration = db.session.scalars(sa.select(Registration)).one()
    assert registration.university.in_city and registration.category == ParticipantCategory.STUDENT


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"organization": "x" * 201}, "at most 200"),
        ({"ticket_type": "999999"}, "tickets on offer"),
        ({"ticket_type": "abc"}, "tickets on offer"),
        ({"ticket_type": ""}, "Choose a ticket"),
        ({"sector": "piracy"}, "Not a valid choice"),
    ],
)
def test_bad_input_shows_a_message_and_changes_nothing(
    attendee_client, general, overrides, message
):
    response = attendee_client.post("/register", data=form_data(general, **overrides), headers=EN)
    assert response.status_code == 422
    assert message in response.text
    assert count(Registration) == 0


def test_forged_ticket_type_of_another_edition(attendee_client, general):
    other = make_ticket_type(make_edition(start=date.today() + timedelta(days=200)))
    response = attendee_client.post("/register", data=form_data(other), headers=EN)
    assert response.status_code == 422 and "tickets on offer" in response.text
    assert count(Registration) == 0


def test_closed_sales_window(attendee_client, edition):
    closed = make_ticket_type(edition, sales_end=past())
    response = attendee_client.post("/register", data=form_data(closed), headers=EN)
    assert response.status_code == 422 and "closed on" in response.text
    assert count(Registration) == 0


def test_student_without_university_is_told_beside_the_field(attendee_client, edition):
    student = make_ticket_type(edition, category=ParticipantCategory.STUDENT)
    response = attendee_client.post("/register", data=form_data(student), headers=EN)
    assert response.status_code == 422
    field = response.text.split('id="university-field"')[1].split("</div>")[0]
    assert "Choose your university" in field
    assert count(Registration) == 0


def test_inline_validation_returns_the_field_error(client, general):
    response = client.post(
        "/register/validate",
        data=form_data(general, organization="x" * 300),
        headers={**HX, **EN, "HX-Trigger-Name": "organization"},
    )
    assert response.status_code == 200
    field = response.text.split('id="organization-field"')[1].split("</div>")[0]
    assert "at most 200" in field


def test_a_ticket_type_not_on_offer_is_refused_beside_the_field(attendee_client, general):
    """Ids beyond the 32-bit column reached the database (a 500): only offered ones count."""
    for value in ("99999999999999999999", "²", str(general.id + 1)):
        data = {**form_data(general), "ticket_type": value}
        check = attendee_client.post(
            "/register/validate", data=data, headers={**HX, **EN, "HX-Trigger-Name": "ticket_type"}
        )
        assert check.status_code == 200, value
        response = attendee_client.post("/register", data=data, headers=EN)
        assert response.status_code == 422, value
        error = response.text.split('id="ticket_type-error"')[1].split("</p>")[0]
        assert "Choose one of the tickets on offer." in error, error
    assert count(Registration) == 0


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_missing_csrf_token_is_refused_without_change(self, attendee_client, general):
        response = attendee_client.post("/register", data=form_data(general), headers=EN)
        assert response.status_code == 400
        assert "expired" in response.text
        assert count(Registration) == 0


# My registration ------------------------------------------------------------------------------


def test_my_registration_shows_status_and_a_qr_badge_with_only_the_token(
    attendee_client, attendee, general
):
    import zxingcpp
    from PIL import Image

    registration = make_registration(general, user=attendee)
    page = attendee_client.get("/my/registration", headers=EN)
    assert page.status_code == 200
    assert "Confirmed" in page.text and "<svg" in page.text
    png = attendee_client.get("/my/registration/badge.png")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert [d.text for d in decoded] == [registration.badge_token]
    pdf = attendee_client.get("/my/registration/badge.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_unregistered_user_is_invited_to_register(attendee_client, general):
    page = attendee_client.get("/my/registration", headers=EN)
    assert page.status_code == 200 and "You are not registered" in page.text


def test_my_registration_needs_login(client, general):
    assert client.get("/my/registration").status_code == 302


def test_edit_answers(attendee_client, attendee, general):
    registration = make_registration(general, user=attendee)
    response = attendee_client.post(
        "/my/registration/edit", data={"organization": "New Org", "country": "DE", "sector": ""}
    )
    assert response.status_code == 303
    assert registration.organization == "New Org" and registration.country == "DE"
    answers = attendee_client.get("/my/registration", headers=EN).text
    assert "<dd>Germany</dd>" in answers and "<dd>DE</dd>" not in answers  # named, not coded
    bad = attendee_client.post(
        "/my/registration/edit", data={"organization": "y" * 500, "country": "DE"}, headers=EN
    )
    assert bad.status_code == 422 and "at most 200" in bad.text
    db.session.refresh(registration)
    assert registration.organization == "New Org"


def test_cancel_asks_then_cancels_and_promotes(attendee_client, attendee, edition):
    one_place = make_ticket_type(edition, capacity=1)
    mine = make_registration(one_place, user=attendee)
    waiting = make_registration(one_place)
    confirm = attendee_client.get("/my/registration/cancel", headers=EN)
    assert "Do you really want to cancel" in confirm.text
    assert mine.status == RS.CONFIRMED
    assert attendee_client.post("/my/registration/cancel").status_code == 303
    assert mine.status == RS.CANCELLED and waiting.status == RS.CONFIRMED


def test_download_my_data(attendee_client, attendee, general):
    make_registration(general, user=attendee)
    response = attendee_client.get("/my/registration/data.json")
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["user"]["email"] == attendee.email
    assert data["registrations"][0]["answers"]["organization"] == "Yokohama Green Co."


def test_deletion_request_notifies_organisers(attendee_client, attendee, organiser, outbox):
    assert attendee_client.post("/my/account/deletion").status_code == 303
    assert attendee.deletion_requested_at is not None
    assert any(
        m.recipient == organiser.email and m.template == "registration/deletion_requested"
        for m in outbox()
    )


def test_private_calendar_feed_without_login(client, attendee, edition, general):
    registration = make_registration(general, user=attendee)
    session = make_session(edition, title_en="Offshore wind", title_ja="洋上風力")
    services.sign_up_for_session(registration, session)
    feed = client.get(f"/calendar/{registration.calendar_token}.ics")
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert b"BEGIN:VCALENDAR" in feed.data and b"SUMMARY:" in feed.data
    assert client.get("/calendar/not-a-token.ics").status_code == 404
    services.cancel(registration)
    assert client.get(f"/calendar/{registration.calendar_token}.ics").status_code == 404


# Seminars -----------------------------------------------------------------------------------


def test_seminar_sign_up_swaps_the_card_and_refuses_a_clash(
    attendee_client, attendee, edition, general
):
    registration = make_registration(general, user=attendee)
    first = make_session(edition, "10:00", 90, title_en="Offshore wind", title_ja="洋上風力")
    clash = make_session(edition, "11:00", 60, title_en="Net-zero buildings")
    page = attendee_client.get("/seminars", headers=EN)
    assert "Offshore wind" in page.text and "Sign up" in page.text

    card = attendee_client.post(f"/seminars/{first.id}/sign-up", headers={**HX, **EN})
    assert card.status_code == 200 and "<html" not in card.text
    assert f'id="session-{first.id}"' in card.text and "Place confirmed" in card.text
    assert "49 of 50 places left" in card.text

    refused = attendee_client.post(f"/seminars/{clash.id}/sign-up", headers={**HX, **EN})
    assert refused.status_code == 422 and "overlaps with “Offshore wind”" in refused.text
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(SessionSignup)
            .where(SessionSignup.session_id == clash.id)
        )
        == 0
    )

    cancelled = attendee_client.post(f"/seminars/{first.id}/cancel", headers={**HX, **EN})
    assert cancelled.status_code == 200
    assert "50 of 50 places left" in cancelled.text
    assert registration.signups[0].status == SS.CANCELLED


def test_full_seminar_offers_the_waiting_list(attendee_client, attendee, edition, general):
    make_registration(general, user=attendee)
    session = make_session(edition, capacity=1)
    services.sign_up_for_session(make_registration(general), session)
    page = attendee_client.get("/seminars", headers=EN)
    assert "Join the waiting list" in page.text
    card = attendee_client.post(f"/seminars/{session.id}/sign-up", headers={**HX, **EN})
    assert "On the waiting list" in card.text


def test_a_session_that_is_over_says_so_instead_of_offering_a_seat(
    attendee_client, attendee, edition, general
):
    make_registration(general, user=attendee)
    over = make_session(edition, day=-31, title_en="Yesterday's site visit")  # ended yesterday
    upcoming = make_session(edition, title_en="Offshore wind")
    page = attendee_client.get("/seminars", headers=EN)
    over_card = page.text.split(f'id="session-{over.id}"')[1].split("</article>")[0]
    upcoming_card = page.text.split(f'id="session-{upcoming.id}"')[1].split("</article>")[0]
    assert "This session is over." in over_card and "<form" not in over_card
    assert "places left" not in over_card and "places left" in upcoming_card
    assert "This session is over." not in upcoming_card and "Sign up" in upcoming_card

    refused = attendee_client.post(f"/seminars/{over.id}/sign-up", headers={**HX, **EN})
    assert refused.status_code == 422 and "This session is over." in refused.text
    assert db.session.scalars(sa.select(SessionSignup)).all() == []


def test_closed_workshop_with_code_without_js(attendee_client, attendee, edition, general):
    make_registration(general, user=attendee)
    workshop = make_session(edition, visibility=Visibility.CLOSED, invitation_code="JCM-2026")
    response = attendee_client.post(
        f"/seminars/{workshop.id}/sign-up", data={"invitation_code": "nope"}, headers=EN
    )
    # The list again, the refusal inside the workshop's own card, nothing booked
    assert response.status_code == 422 and "<html" in response.text
    card = response.text.split(f'id="session-{workshop.id}"')[1].split("</article>")[0]
    assert "invitation code is not valid" in card
    assert db.session.scalars(sa.select(SessionSignup)).all() == []
    attendee_client.post(f"/seminars/{workshop.id}/sign-up", data={"invitation_code": "jcm-2026"})
    signup = db.session.scalars(sa.select(SessionSignup)).one()
    assert signup.status == SS.CONFIRMED


def test_a_session_without_sign_up_is_refused_above_the_list_without_js(
    attendee_client, attendee, edition, general
):
    make_registration(general, user=attendee)
    matching = make_session(edition, kind=SessionKind.MATCHING, title_en="Business matching")
    page = attendee_client.post(f"/seminars/{matching.id}/sign-up", headers=EN)
    assert page.status_code == 422
    assert "This session is not open for sign-up." in page.text.split('class="session-list"')[0]
    assert db.session.scalars(sa.select(SessionSignup)).all() == []


def test_session_of_another_edition_is_404(attendee_client, attendee, general):
    make_registration(general, user=attendee)
    foreign = make_session(make_edition(start=date.today() + timedelta(days=300)))
    assert attendee_client.post(f"/seminars/{foreign.id}/sign-up").status_code == 404
    assert attendee_client.post("/seminars/999999/sign-up").status_code == 404


def test_signing_up_without_registration_is_explained(app, edition, general):
    client = login(app.test_client(), make_user())
    session = make_session(edition)
    card = client.post(f"/seminars/{session.id}/sign-up", headers={**HX, **EN})
    assert card.status_code == 422
    assert "Register for the convention first" in card.text
    page = client.post(f"/seminars/{session.id}/sign-up", headers=EN)  # without JavaScript
    assert page.status_code == 422 and "<html" in page.text
    assert "Register for the convention first" in page.text
    assert db.session.scalars(sa.select(SessionSignup)).all() == []


def test_access_code_form_reveals_the_hidden_ticket_and_registers(attendee_client, edition):
    sponsor = make_ticket_type(edition, name_en="Sponsor pass", access_code="SPONSOR")
    wrong = attendee_client.get("/register?code=guess", headers=EN)
    assert "does not open any ticket" in wrong.text and "Sponsor pass" not in wrong.text
    page = attendee_client.get("/register?code=sponsor", headers=EN)
    assert "Sponsor pass" in page.text and 'name="access_code" value="sponsor"' in page.text
    without_code = attendee_client.post("/register", data=form_data(sponsor), headers=EN)
    assert without_code.status_code == 422 and count(Registration) == 0
    assert "tickets on offer" in without_code.text
    response = attendee_client.post(
        "/register", data=form_data(sponsor, access_code="sponsor"), headers=EN
    )
    assert response.status_code == 303
    assert db.session.scalars(sa.select(Registration)).one().ticket_type_id == sponsor.id
