"""Submitting a poster: the PDF check, the limits, the deadline and whose poster it is."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from convention.extensions import db
from convention.posters import services
from convention.posters.models import Submission
from tests.conftest import login
from tests.factories import make_user
from tests.posters.helpers import (
    AFTER_DEADLINE,
    make_call,
    make_student,
    make_university,
    pdf_bytes,
    poster_data,
    submitted_poster,
)
from tests.posters.test_flow import poster_form, text


@pytest.fixture
def setup(clock, app):
    call = make_call()
    university = make_university("Minato University")
    student = make_student(email="hana@example.org")
    return call, university, student, login(app.test_client(), student)


def stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def count_submissions() -> int:
    return db.session.scalar(select(func.count()).select_from(Submission))


def post_new(student_client, call, university, filename, data, **overrides):
    return student_client.post(
        "/my/posters/new",
        data=poster_form(call, university, pdf=(filename, data), **overrides),
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    "content, message",
    [
        (b"PK\x03\x04 a zip archive pretending", "This file is not a PDF"),
        (b"\x89PNG\r\n\x1a\n" + b"0" * 200, "This file is not a PDF"),
        (b"%PDF-1.7\n garbage without any object\n%%EOF\n", "incomplete or damaged"),
        (pdf_bytes()[:400], "incomplete or damaged"),
    ],
    ids=["zip", "png", "header-only", "truncated"],
)
def test_a_file_named_pdf_that_is_not_one_is_refused(setup, app, content, message):
    call, university, _, student_client = setup
    response = post_new(student_client, call, university, "poster.pdf", content)
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert 'id="file-error"' in page  # beside the file field
    assert count_submissions() == 0
    assert stored_files(app) == []


def test_an_oversized_pdf_is_refused(setup, app):
    call, university, _, student_client = setup
    call.max_file_mb = 1
    db.session.commit()
    big = pdf_bytes(pages=1) + b"%" + b"x" * (1024 * 1024)
    response = post_new(student_client, call, university, "poster.pdf", big)
    assert "larger than 1 MB" in text(response)
    assert count_submissions() == 0
    assert stored_files(app) == []


def test_a_real_pdf_named_otherwise_is_accepted_and_served_as_pdf(setup):
    call, university, _, student_client = setup
    response = post_new(student_client, call, university, "poster.bin", pdf_bytes())
    assert response.status_code == 303
    submission = db.session.scalar(select(Submission))
    assert submission.state.value == "submitted"
    pdf = student_client.get(f"/posters/{submission.id}/file")
    assert pdf.mimetype == "application/pdf"
    assert pdf.headers["X-Content-Type-Options"] == "nosniff"
    assert pdf.data.startswith(b"%PDF-")


def test_replacing_the_pdf_deletes_the_old_file(setup, app):
    call, university, student, student_client = setup
    submission = submitted_poster(call, student, university)
    first = submission.file_key
    response = student_client.post(
        f"/my/posters/{submission.id}",
        data=poster_form(call, university, action="save", pdf=("v2.pdf", pdf_bytes("v2"))),
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    db.session.refresh(submission)
    assert submission.file_key != first
    assert len(stored_files(app)) == 1


def test_limits_and_required_fields_give_messages_beside_the_field(setup):
    call, university, student, student_client = setup
    response = post_new(student_client, call, university, "p.pdf", pdf_bytes(), abstract="x" * 2001)
    assert response.status_code == 422
    page = text(response)
    assert "at most 2000 are allowed" in page
    assert count_submissions() == 0
    response = post_new(student_client, call, university, "p.pdf", pdf_bytes(), supervisor="")
    assert "Name your supervisor." in text(response)
    assert count_submissions() == 0
    # The presenter must be one of the listed authors.
    response = post_new(student_client, call, university, "p.pdf", pdf_bytes(), presenter="5")
    assert "Mark the presenter among the authors." in text(response)
    assert count_submissions() == 0


def test_a_draft_may_be_partial_but_submitting_needs_the_pdf(setup, outbox):
    call, university, student, student_client = setup
    response = student_client.post(
        "/my/posters/new",
        data={"title_ja": "途中", "language": "ja", "action": "save", "presenter": "0"},
    )
    assert response.status_code == 303
    draft = db.session.scalar(select(Submission))
    assert draft.state.value == "draft"
    response = student_client.post(
        f"/my/posters/{draft.id}",
        data=poster_form(call, university, action="submit"),
        content_type="multipart/form-data",
    )
    assert "Upload the poster PDF before submitting." in text(response)
    db.session.refresh(draft)
    assert draft.state.value == "draft"
    assert outbox() == []


def test_withdraw_before_the_deadline(setup):
    call, university, student, student_client = setup
    submission = submitted_poster(call, student, university)
    response = student_client.post(f"/my/posters/{submission.id}/withdraw", follow_redirects=True)
    assert "Your poster is withdrawn." in text(response)
    assert submission.state.value == "withdrawn"
    # Withdrawn is final.
    response = student_client.post(
        f"/my/posters/{submission.id}",
        data=poster_form(call, university, title_ja="復活"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "A withdrawn poster cannot be changed." in text(response)
    with pytest.raises(services.PosterError):
        services.save_submission(
            call, student, poster_data(call, university), submission=submission
        )


def test_after_the_deadline_nothing_changes(setup, clock):
    call, university, student, student_client = setup
    submission = submitted_poster(call, student, university)
    clock.move_to(AFTER_DEADLINE)
    response = post_new(student_client, call, university, "p.pdf", pdf_bytes())
    assert response.status_code == 422
    assert "The call is closed" in text(response)
    assert count_submissions() == 1
    response = student_client.post(
        f"/my/posters/{submission.id}",
        data=poster_form(call, university, title_ja="遅すぎた", pdf=("p.pdf", pdf_bytes("late"))),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    response = student_client.post(f"/my/posters/{submission.id}/withdraw", follow_redirects=True)
    assert "The call is closed" in text(response)
    db.session.refresh(submission)
    assert submission.title_ja == "屋上太陽光の最適配置"
    assert submission.state.value == "submitted"
    page = text(student_client.get(f"/my/posters/{submission.id}"))
    assert '<form method="post" enctype' not in page


def test_another_students_poster_is_refused(setup, app):
    call, university, student, _ = setup
    submission = submitted_poster(call, student, university)
    other = login(app.test_client(), make_student("Ken Other", email="ken@example.org"))
    assert other.get(f"/my/posters/{submission.id}").status_code == 403
    response = other.post(
        f"/my/posters/{submission.id}",
        data=poster_form(call, university, title_ja="乗っ取り"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert other.post(f"/my/posters/{submission.id}/withdraw").status_code == 403
    assert other.get(f"/posters/{submission.id}/file").status_code == 403
    db.session.refresh(submission)
    assert submission.title_ja == "屋上太陽光の最適配置" and submission.state.value == "submitted"


def test_only_student_accounts_submit(setup, app):
    call, university, *_ = setup
    attendee = login(app.test_client(), make_user(name="Not A Student"))
    response = post_new(attendee, call, university, "p.pdf", pdf_bytes())
    assert response.status_code == 403
    assert "Only student accounts can submit posters." in text(response)
    assert count_submissions() == 0


def test_my_posters_needs_a_login(client, clock):
    response = client.get("/my/posters")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_pdf_check_reads_content(app):
    services.check_pdf(pdf_bytes())
    for bad in (b"", b"hello", b"%PDF-", io.BytesIO(b"x").getvalue()):
        with pytest.raises(services.PosterError):
            services.check_pdf(bad)


@pytest.mark.parametrize(
    "garbage, message",
    [
        ({"track_id": "abc"}, "Choose a track of this call."),
        ({"track_id": "999999"}, "Choose a track of this call."),
        ({"university_id": "x"}, "Choose a university from the list."),
        ({"university_id": "999999"}, "Choose a university from the list."),
        ({"language": "fr"}, "Choose one of the call"),
        ({"presenter": "abc"}, "Mark the presenter among the authors."),
        ({"authors-0-name": "x" * 500}, "at most 200 characters each"),
        ({"title_en": "x" * 121}, "At most 120 characters."),
    ],
    ids=lambda value: next(iter(value)) if isinstance(value, dict) else "",
)
def test_garbage_in_the_form_is_a_message_not_an_error(setup, garbage, message):
    call, university, _, student_client = setup
    response = post_new(student_client, call, university, "p.pdf", pdf_bytes(), **garbage)
    assert response.status_code == 422
    assert message in text(response)
    assert "Invalid Choice" not in text(response) and "Not a valid choice" not in text(response)
    assert count_submissions() == 0
