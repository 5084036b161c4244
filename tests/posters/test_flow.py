"""The whole path, from the call for posters to the audience award, through the web pages."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from convention.accounts.models import ParticipantCategory
from convention.checkin import services as checkin
from convention.events.models import SessionKind
from convention.extensions import db
from convention.posters.models import PosterCall, PosterVote, ReviewAssignment, Submission
from tests.checkin.factories import make_registration
from tests.conftest import login
from tests.factories import make_edition, make_session, make_user
from tests.posters.helpers import (
    AFTER_DEADLINE,
    DURING_REVIEW,
    SELECTION,
    at,
    make_reviewer,
    make_student,
    make_university,
    pdf_bytes,
    submitted_poster,
)

CALL_FORM = {
    "opens_at": "2025-09-01T10:00",
    "deadline": "2025-10-31T23:59",
    "review_opens_at": "2025-11-01T09:00",
    "review_closes_at": "2025-11-10T18:00",
    "languages": ["ja", "en"],
    "title_max": "120",
    "abstract_max": "1500",
    "max_file_mb": "5",
    "reviews_per_poster": "2",
    "tracks": "再生可能エネルギー / Renewable energy\n省エネルギー / Energy efficiency\n"
    "都市政策 / Urban policy",
    "categories": "独創性 / Originality / 3\n明瞭さ / Clarity / 1",
}


def poster_form(call, university, *, action="submit", pdf=None, **overrides):
    data = {
        "title_ja": "屋上太陽光の最適配置",
        "title_en": "Optimal placement of rooftop solar",
        "abstract": "We model rooftop solar potential across the districts.",
        "language": "ja",
        "track_id": str(call.tracks[0].id),
        "keywords": "solar, GIS",
        "university_id": str(university.id),
        "supervisor": "Prof. Kenji Mori",
        "authors-0-name": "Hana Suzuki",
        "authors-0-affiliation": "Minato University, Engineering",
        "authors-1-name": "Taro Ito",
        "authors-1-affiliation": "Minato University, Economics",
        "presenter": "1",
        "consent_public": "y",
        "action": action,
    }
    if pdf is not None:
        data["file"] = (io.BytesIO(pdf[1]), pdf[0])
    data.update(overrides)
    return data


def text(response) -> str:
    return response.get_data(as_text=True)


def test_call_to_award(clock, app, client, organiser_client, outbox):
    frozen_time = clock
    edition = make_edition(is_current=True)
    make_session(edition, "13:00", 120, kind=SessionKind.POSTER, title_en="Poster session")
    minato = make_university("Minato University", in_city=True)
    harbour = make_university("Harbour Institute of Technology", in_city=True)
    far = make_university("Far Away University", in_city=False)

    # 1. The organiser publishes the call; the public page shows its dates in JST.
    form = dict(CALL_FORM, session_id=str(edition.sessions[0].id))
    assert organiser_client.post("/admin/posters", data=form).status_code == 303
    call = db.session.scalar(select(PosterCall))
    page = text(client.get("/posters/call"))
    assert "Oct 31, 2025, 23:59 JST" in page
    assert "Urban policy" in page and "Open for submissions" in page

    # 2. A student saves a draft with a real PDF, then submits it: a confirmation email.
    hana = make_student("Hana Suzuki", email="hana@example.org")
    hana_client = login(app.test_client(), hana)
    response = hana_client.post(
        "/my/posters/new",
        data=poster_form(call, minato, action="save", pdf=("poster.pdf", pdf_bytes())),
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, text(response)
    poster = db.session.scalar(select(Submission))
    assert poster.state.value == "draft" and poster.file_key
    assert [a.name for a in poster.authors] == ["Hana Suzuki", "Taro Ito"]
    assert poster.presenter.name == "Taro Ito"
    response = hana_client.post(
        f"/my/posters/{poster.id}",
        data=poster_form(call, minato, action="submit"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert poster.state.value == "submitted"
    mails = [m for m in outbox() if m.recipient == "hana@example.org"]
    assert [m.subject for m in mails] == ["Your poster is submitted"]
    assert "Oct 31, 2025, 23:59 JST" in mails[0].body_text

    # Other students from other universities.
    others = []
    for index, university in enumerate([minato, harbour, harbour, far, far]):
        student = make_student(f"Student {index}", email=f"student{index}@example.org")
        others.append(
            submitted_poster(
                call,
                student,
                university,
                title_ja=f"研究{index}",
                title_en=f"Study {index}",
                track_id=call.tracks[index % 3].id,
                keywords="heat pump" if index == 1 else "recycling",
                authors=[(f"Student {index}", university.name_en)],
                consent_public=index != 1,
            )
        )

    # 3. After the deadline everything is read-only.
    at(frozen_time, AFTER_DEADLINE)
    response = hana_client.post(
        f"/my/posters/{poster.id}",
        data=poster_form(call, minato, title_ja="変更後"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "The call is closed" in text(response)
    db.session.refresh(poster)
    assert poster.title_ja == "屋上太陽光の最適配置"
    assert "Save changes" not in text(hana_client.get(f"/my/posters/{poster.id}"))

    # 4. Reviewers with their universities; automatic assignment respects conflicts.
    reviewer_minato = make_reviewer("Rev Minato", minato)
    reviewer_harbour = make_reviewer("Rev Harbour", harbour)
    reviewer_city = make_reviewer("Rev City", None)
    reviewer_far = make_reviewer("Rev Far", far)
    response = organiser_client.post("/admin/posters/assign")
    assert response.status_code == 303
    assignments = db.session.scalars(select(ReviewAssignment)).all()
    assert len(assignments) == 6 * 2
    for assignment in assignments:
        profile_university = {
            reviewer_minato.id: minato.id,
            reviewer_harbour.id: harbour.id,
            reviewer_far.id: far.id,
            reviewer_city.id: None,
        }[assignment.reviewer_id]
        assert profile_university != assignment.submission.university_id
    loads = db.session.execute(
        select(ReviewAssignment.reviewer_id, func.count()).group_by(ReviewAssignment.reviewer_id)
    ).all()
    counts = sorted(count for _, count in loads)
    assert counts[-1] - counts[0] <= 1, counts

    # 5. Blind review during the review phase.
    at(frozen_time, DURING_REVIEW)
    categories = call.categories
    for reviewer in (reviewer_minato, reviewer_harbour, reviewer_city, reviewer_far):
        reviewer_client = login(app.test_client(), reviewer)
        listing = text(reviewer_client.get("/review/posters"))
        for assignment in db.session.scalars(
            select(ReviewAssignment).where(ReviewAssignment.reviewer_id == reviewer.id)
        ):
            submission = assignment.submission
            page = text(reviewer_client.get(f"/review/posters/{assignment.id}"))
            for secret in [
                submission.student.name,
                submission.university.name_en,
                submission.supervisor,
                *(a.name for a in submission.authors),
            ]:
                assert secret not in page
                assert secret not in listing
            high = 5 if submission.id == poster.id else 2 + submission.id % 3
            response = reviewer_client.post(
                f"/review/posters/{assignment.id}",
                data={
                    f"score_{categories[0].id}": str(high),
                    f"score_{categories[1].id}": "4",
                    "comment_to_authors": f"Clear figures ({reviewer.name[-4:]})",
                    "confidential_comment": "Secret note for organisers",
                },
            )
            assert response.status_code == 303
            pdf = reviewer_client.get(f"/review/posters/{assignment.id}/file")
            assert pdf.data.startswith(b"%PDF-")
            assert f"poster-{submission.id}.pdf" in pdf.headers["Content-Disposition"]

    # 6. Selection: ranking by weighted score, decisions, nothing emailed until the release.
    at(frozen_time, SELECTION)
    ranking = text(organiser_client.get("/admin/posters/submissions"))
    assert ranking.index("Optimal placement of rooftop solar") < ranking.index("Study 0")
    assert "4.75" in ranking  # (5×3 + 4×1) / 4 for Hana's poster
    decisions = {poster.id: "accept"}
    decisions.update({others[0].id: "accept", others[1].id: "accept", others[2].id: "waitlist"})
    decisions.update({others[3].id: "reject", others[4].id: "accept"})
    before = len(outbox())
    for submission_id, decision in decisions.items():
        response = organiser_client.post(
            f"/admin/posters/submissions/{submission_id}/decision", data={"decision": decision}
        )
        assert response.status_code == 303
    assert len(outbox()) == before
    assert "Accepted" not in text(hana_client.get(f"/my/posters/{poster.id}"))
    assert organiser_client.post("/admin/posters/release").status_code == 303
    subjects = {m.recipient: m.subject for m in outbox()[before:]}
    assert subjects["hana@example.org"] == "Your poster is accepted"
    assert subjects["student2@example.org"] == "Your poster is on the waiting list"
    assert subjects["student3@example.org"] == "The decision on your poster"
    assert len(subjects) == 6
    mine = text(hana_client.get(f"/my/posters/{poster.id}"))
    assert "Your poster is accepted" in mine and "Clear figures" in mine
    assert "Secret note" not in mine and "Rev " not in mine
    # A second release is refused and sends nothing.
    response = organiser_client.post("/admin/posters/release", follow_redirects=True)
    assert "already released" in text(response)
    assert len(outbox()) == before + 6

    # 7. Board numbers and the public programme with htmx search.
    assert organiser_client.post("/admin/posters/boards").status_code == 303
    boards = sorted(
        db.session.scalars(
            select(Submission.board_number).where(Submission.board_number.isnot(None))
        )
    )
    assert boards == [1, 2, 3, 4]
    programme = text(client.get("/posters"))
    assert "Board 1" in programme and "屋上太陽光の最適配置" in programme
    assert re.search(r"\d\d:\d\d–\d\d:\d\d JST</time>", programme)  # the zone once, at the end
    assert "研究3" not in programme and "研究2" not in programme  # rejected, waitlisted
    fragment = client.get(
        f"/posters?track={call.tracks[1].code}",
        headers={"HX-Request": "true", "HX-Target": "poster-results"},
    )
    body = text(fragment)
    assert "<html" not in body and 'id="poster-results"' in body
    assert "研究1" in body and "屋上太陽光の最適配置" not in body
    by_keyword = text(client.get("/posters?q=heat+pump"))
    assert "研究1" in by_keyword and "研究0" not in by_keyword

    # 8. Files: public only when accepted with consent.
    assert client.get(f"/posters/{poster.id}/file").status_code == 200
    assert client.get(f"/posters/{others[1].id}/file").status_code == 404  # no consent
    assert client.get(f"/posters/{others[3].id}/file").status_code == 404  # rejected
    outsider = login(app.test_client(), make_student("Outsider"))
    assert outsider.get(f"/posters/{others[3].id}/file").status_code == 403
    student3 = login(app.test_client(), others[3].student)
    assert student3.get(f"/posters/{others[3].id}/file").status_code == 200

    # 9. Presenters on the poster-session check-in list.
    checkin.ensure_lists(edition)
    poster_list = checkin.list_for_session(call.session_id)
    registration = make_registration(
        edition, user=hana, category=ParticipantCategory.STUDENT, organization="Minato University"
    )
    at(frozen_time, SELECTION.replace(month=11, day=20, hour=13, minute=5))
    assert checkin.scan(registration.badge_token, poster_list).status == "ok"
    session_page = text(organiser_client.get("/admin/posters/session"))
    assert "Taro Ito" in session_page  # the marked presenter
    assert "13:05" in session_page
    assert "not registered" in session_page  # the other presenters have not registered

    # 10. Audience award: a checked-in attendee votes once.
    assert organiser_client.post("/admin/posters/voting", data={"open": "1"}).status_code == 303
    attendee = make_registration(edition, name="Aiko Voter")
    checkin.scan(attendee.badge_token, "main-door")
    voter = login(app.test_client(), attendee.user)
    response = voter.post(f"/posters/{poster.id}/vote", follow_redirects=True)
    assert "your vote for board" in text(response)
    response = voter.post(f"/posters/{others[0].id}/vote", follow_redirects=True)
    assert "You have already voted" in text(response)
    assert db.session.scalar(select(func.count()).select_from(PosterVote)) == 1
    not_checked_in = login(app.test_client(), make_registration(edition, name="Away").user)
    response = not_checked_in.post(f"/posters/{poster.id}/vote", follow_redirects=True)
    assert "Only attendees checked in" in text(response)
    award = text(organiser_client.get("/admin/posters/session"))
    assert "1 vote" in award
    assert "Audience award</h2>" not in text(client.get("/posters"))  # not while voting
    assert organiser_client.post("/admin/posters/voting", data={"open": "0"}).status_code == 303
    response = voter.post(f"/posters/{others[0].id}/vote", follow_redirects=True)
    assert "not open" in text(response)
    public = text(client.get("/posters"))
    winner = public[public.index("Audience award</h2>") :][:400]
    assert f"Board {poster.board_number}" in winner


def test_public_pages_before_release(clock, client, app):
    make_user()
    assert "not published yet" in text(client.get("/posters/call"))
    assert "published once the accepted posters" in text(client.get("/posters"))
