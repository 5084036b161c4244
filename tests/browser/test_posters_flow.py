"""A student submits a poster with a PDF in chromium; a reviewer scores it, blind."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from convention.accounts.models import ParticipantCategory, User
from convention.events.services import current_edition
from convention.extensions import db
from convention.posters import services
from convention.posters.models import Decision, Review, Submission
from convention.registration.models import University
from convention.timeutil import utcnow
from tests.browser.conftest import ARTIFACTS, log_in
from tests.browser.test_accessibility import assert_accessible
from tests.factories import PASSWORD, make_user
from tests.posters.helpers import CATEGORIES, TRACKS, pdf_bytes


def test_student_submits_a_poster_and_a_reviewer_scores_it(
    live_server, demo_programme, browser, new_page, make_staff, tmp_path
):
    now = utcnow()
    with live_server.app_context():
        edition = current_edition()
        services.save_call(
            edition,
            services.CallData(
                opens_at=now - timedelta(days=5),
                deadline=now + timedelta(days=5),
                review_opens_at=now + timedelta(days=6),
                review_closes_at=now + timedelta(days=10),
                tracks=TRACKS,
                categories=CATEGORIES,
            ),
        )
        minato = University(name_ja="みなと大学", name_en="Minato University", in_city=True)
        harbour = University(name_ja="港工科大学", name_en="Harbour Tech", in_city=True)
        db.session.add_all([minato, harbour])
        db.session.commit()
        make_user(
            "hana.browser@example.org",
            name="Hana Suzuki",
            category=ParticipantCategory.STUDENT,
        )
    pdf = tmp_path / "my-poster.pdf"
    pdf.write_bytes(pdf_bytes("Rooftop solar in Minato"))
    fake = tmp_path / "not-a-poster.pdf"
    fake.write_bytes(b"PK\x03\x04 this is a zip archive")

    # The student fills in the form; a fake PDF is refused beside the file field.
    student = new_page(browser)
    log_in(student, "hana.browser@example.org", PASSWORD)
    student.goto("/my/posters")
    student.get_by_role("link", name="Submit a poster").click()
    student.get_by_label("Title (Japanese)").fill("屋上太陽光の最適配置")
    student.get_by_label("Title (English)").fill("Optimal placement of rooftop solar")
    student.get_by_label("Abstract").fill("We model rooftop solar potential in every district.")
    student.get_by_label("Track").select_option(label="Renewable energy")
    student.get_by_label("Keywords (separated by commas)").fill("solar, GIS")
    student.get_by_label("Name of author 1").fill("Hana Suzuki")
    student.get_by_label("Affiliation of author 1").fill("Minato University")
    student.get_by_label("Name of author 2").fill("Taro Ito")
    student.get_by_label("Affiliation of author 2").fill("Minato University")
    student.get_by_label("Author 2 presents").check()
    student.get_by_label("University").select_option(label="Minato University")
    student.get_by_label("Supervisor").fill("Prof. Kenji Mori")
    student.get_by_label("Poster (PDF)").set_input_files(str(fake))
    student.get_by_role("button", name="Submit", exact=True).click()
    student.locator("#file-error").get_by_text("This file is not a PDF").wait_for()
    assert student.get_by_label("Supervisor").input_value() == "Prof. Kenji Mori"
    assert_accessible(student)
    student.get_by_label("Poster (PDF)").set_input_files(str(pdf))
    student.get_by_role("button", name="Submit", exact=True).click()
    student.get_by_text("Your poster is submitted.").wait_for()
    student.screenshot(path=str(ARTIFACTS / "posters-student-submitted.png"), full_page=True)
    assert [m.subject for m in live_server.outbox("hana.browser@example.org")] == [
        "Your poster is submitted"
    ]

    # Reviewing opens; a reviewer from another university is assigned.
    email, password = make_staff("reviewer", name="Rita Reviewer")
    with live_server.app_context():
        call = services.call_of(current_edition())
        call.deadline = now - timedelta(minutes=10)
        call.review_opens_at = now - timedelta(minutes=5)
        db.session.commit()
        submission = db.session.scalar(select(Submission))
        assert submission.state.value == "submitted" and submission.presenter.name == "Taro Ito"
        reviewer = db.session.scalar(select(User).where(User.email == email))
        harbour_id = db.session.scalar(
            select(University.id).where(University.name_en == "Harbour Tech")
        )
        services.set_reviewer_university(reviewer, harbour_id)
        assert services.auto_assign(call).created == 1

    page = new_page(browser)
    log_in(page, email, password)
    page.goto("/review/posters")
    page.get_by_role("link", name="Optimal placement of rooftop solar").click()
    body = page.locator("main").inner_text()
    for secret in ("Hana Suzuki", "Taro Ito", "Minato University", "Prof. Kenji Mori"):
        assert secret not in body
    page.get_by_role("group", name="Originality").get_by_label("5").check()
    page.get_by_role("group", name="Clarity").get_by_label("4").check()
    page.get_by_label("Comment to the authors").fill("Clear maps; add the grid limits.")
    page.get_by_label("Confidential comment to the organisers").fill("Award candidate")
    page.screenshot(path=str(ARTIFACTS / "posters-review-form.png"), full_page=True)
    assert_accessible(page)
    page.get_by_role("button", name="Save the review").click()
    page.get_by_text("Your review is saved.").wait_for()
    with live_server.app_context():
        review = db.session.scalar(select(Review))
        assert round(services.weighted_score(review), 2) == round((5 * 2 + 4) / 3, 2)
        assert review.confidential_comment == "Award candidate"

    # Selection: accepted, released, placed; the public programme searches as one types.
    with live_server.app_context():
        call = services.call_of(current_edition())
        call.review_closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        services.decide(db.session.scalar(select(Submission)), Decision.ACCEPT)
        services.release_decisions(call)
        services.assign_boards(call)
    visitor = new_page(browser)
    visitor.goto("/posters")
    card = visitor.locator(".poster-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Board 1")
    expect(card).to_contain_text("Taro Ito")
    visitor.get_by_label("Track").select_option(label="Energy efficiency")
    expect(visitor.get_by_text("No poster matches.")).to_be_visible()
    expect(visitor).to_have_url(re.compile(r"track=energy-efficiency"))
    visitor.get_by_role("link", name="Clear the filters").click()
    # Type only once the cleared page is there: typing into the page being left is lost.
    expect(visitor).not_to_have_url(re.compile(r"track="))
    visitor.wait_for_load_state()
    visitor.get_by_label("Keyword").fill("GIS")
    expect(visitor).to_have_url(re.compile(r"q=GIS"))
    expect(card).to_have_count(1)
    visitor.get_by_label("Keyword").fill("hydrogen")
    expect(visitor.get_by_text("No poster matches.")).to_be_visible()
    assert_accessible(visitor)
    student.goto("/my/posters")
    expect(student.get_by_text("Accepted")).to_be_visible()
