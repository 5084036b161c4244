"""A student of an in-city university registers, picks two seminars, is refused a clashing
third, cancels one and sees the waiting list fill the freed seat."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa

from convention.accounts.models import ParticipantCategory, User
from convention.extensions import db
from convention.registration import services
from convention.registration.models import Registration, SessionSignup, SignupStatus
from tests.factories import make_edition, make_session, make_user
from tests.registration.helpers import make_ticket_type, make_university


def test_student_registers_signs_up_is_refused_a_clash_and_frees_a_seat(live_server, page):
    with live_server.app_context():
        edition = make_edition(start=date.today() + timedelta(days=20), is_current=True)
        make_ticket_type(edition, name_en="General", name_ja="一般", capacity=100)
        student_type = make_ticket_type(
            edition, name_en="Student", name_ja="学生", category=ParticipantCategory.STUDENT
        )
        make_university("Yokohama National University", in_city=True)
        make_university("The University of Tokyo", in_city=False)
        wind = make_session(
            edition, "10:00", 90, capacity=1, title_en="Offshore wind", title_ja="Offshore wind"
        )
        finance = make_session(edition, "13:00", 60, title_en="Green finance")
        clash = make_session(edition, "11:00", 60, title_en="Net-zero buildings")
        other = services.register(
            make_user(name="Next In Line"),
            student_type,
            {"university_other": "Keio", "faculty": "Law", "study_year": "B2"},
        )
        ids = {"wind": wind.id, "finance": finance.id, "clash": clash.id, "other": other.id}
        student_type_id = student_type.id

    page.goto(live_server.url("/register"))
    page.get_by_label("Student — Free").check()
    page.get_by_label("Email", exact=True).fill("kenta@ynu.example")
    page.get_by_label("Choose a password").fill("a long enough password")
    page.get_by_label("Full name").fill("Kenta Mori")
    page.get_by_label("Preferred language").select_option("en")
    university = page.locator("#university")
    assert university.is_visible()
    university.select_option(label="Yokohama National University (in the city)")
    page.get_by_label("Faculty or department").fill("Urban Innovation")
    page.get_by_label("Year of study").select_option("M1")
    assert page.locator("#purpose-of-use").is_visible()
    assert not page.locator("#consent_share_with_sponsors").is_checked()
    page.get_by_role("button", name="Register").last.click()
    page.get_by_role("heading", name="Check your email").wait_for()

    verify = next(
        m for m in live_server.outbox("kenta@ynu.example") if m.template == "accounts/verify_email"
    )
    page.goto(re.search(r"https?://\S+/verify/\S+", verify.body_text).group(0))
    page.goto(live_server.url("/my/registration"))
    assert page.locator("#badge svg").count() == 1
    with live_server.app_context():
        registration = db.session.scalars(
            sa.select(Registration).join(User).where(User.email == "kenta@ynu.example")
        ).one()
        assert registration.ticket_type_id == student_type_id
        assert registration.university.in_city

    page.goto(live_server.url("/seminars"))
    wind_card = page.locator(f"#session-{ids['wind']}")
    wind_card.get_by_role("button", name="Sign up").click()
    wind_card.get_by_text("Place confirmed").wait_for()
    finance_card = page.locator(f"#session-{ids['finance']}")
    finance_card.get_by_role("button", name="Sign up").click()
    finance_card.get_by_text("Place confirmed").wait_for()
    clash_card = page.locator(f"#session-{ids['clash']}")
    clash_url = f"/seminars/{ids['clash']}/sign-up"
    with page.expect_response(lambda r: r.url.endswith(clash_url)) as sent:
        clash_card.get_by_role("button", name="Sign up").click()
    assert sent.value.status == 422  # refused: app.js has htmx swap the card like a 200
    clash_card.get_by_text("overlaps with “Offshore wind”").wait_for()
    assert page.locator("#htmx-error").count() == 0

    # Someone else joins the full seminar's waiting list meanwhile.
    with live_server.app_context():
        waiting = services.sign_up_for_session(
            db.session.get(Registration, ids["other"]),
            db.session.get(services.Session, ids["wind"]),
        )
        assert waiting.status == SignupStatus.WAITLISTED
        waiting_id = waiting.id

    page.reload()
    wind_card = page.locator(f"#session-{ids['wind']}")
    assert "1 waiting" in wind_card.inner_text()
    wind_card.get_by_role("button", name="Cancel my place").click()
    wind_card.get_by_role("button", name="Sign up").or_(
        wind_card.get_by_role("button", name="Join the waiting list")
    ).wait_for()
    assert "0 waiting" in wind_card.inner_text()  # the seat went to the next in line

    with live_server.app_context():
        promoted = db.session.get(SessionSignup, waiting_id)
        assert promoted.status == SignupStatus.CONFIRMED
    assert any(m.template == "registration/signup_promoted" for m in live_server.outbox())
