"""The back-office: the call's settings, the pages in both languages, who may open what."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from convention.extensions import db
from convention.posters import services
from convention.posters.models import PosterCall, PosterTrack
from tests.conftest import login
from tests.factories import make_edition, make_user
from tests.posters.helpers import (
    DURING_REVIEW,
    SELECTION,
    make_call,
    make_reviewer,
    make_student,
    make_university,
    pdf_bytes,
    submitted_poster,
)
from tests.posters.test_flow import CALL_FORM, text


def test_call_settings_refuse_bad_input_beside_the_field(clock, organiser_client):
    make_edition(is_current=True)
    cases = [
        ({"deadline": "2025-08-01T10:00"}, "The deadline must be after the opening."),
        ({"review_opens_at": "2025-10-01T10:00"}, "Reviewing can open only after"),
        ({"tracks": "only one name"}, "Japanese name / English name"),
        ({"categories": "独創性 / Originality / heavy"}, "weight (1 or more)"),
        ({"languages": []}, "Choose at least one language."),
    ]
    for change, message in cases:
        response = organiser_client.post("/admin/posters", data=dict(CALL_FORM, **change))
        assert response.status_code == 422, change
        assert message in text(response), change
    assert db.session.scalar(select(func.count()).select_from(PosterCall)) == 0


def test_editing_the_call_keeps_tracks_in_use(clock, organiser_client):
    call = make_call()
    university = make_university("Minato University")
    submitted_poster(call, make_student(), university)  # uses the first track
    form = dict(CALL_FORM, tracks="省エネルギー / Energy efficiency")
    response = organiser_client.post("/admin/posters", data=form)
    assert response.status_code == 422
    assert "has submissions: keep it" in text(response)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(PosterTrack)) == 3
    # Renaming in Japanese and adding a track is fine.
    form = dict(
        CALL_FORM,
        tracks="再エネ / Renewable energy\n省エネルギー / Energy efficiency\n"
        "サーキュラーエコノミー / Circular economy\n都市政策 / Urban policy",
    )
    assert organiser_client.post("/admin/posters", data=form).status_code == 303
    db.session.expire_all()
    names = [t.name_ja for t in services.call_of(call.edition).tracks]
    assert names == ["再エネ", "省エネルギー", "サーキュラーエコノミー", "都市政策"]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_poster_page_answers_in_both_languages(clock, app, organiser, language):
    call = make_call()
    minato = make_university("Minato University")
    harbour = make_university("Harbour Tech")
    student = make_student()
    poster = submitted_poster(call, student, minato)
    reviewer = make_reviewer("Reviewer", harbour)
    assignment = services.assign(poster, reviewer)
    for user in (organiser, student, reviewer):
        user.language = language
    db.session.commit()
    clock.move_to(SELECTION)
    pages = {
        organiser: [
            "/admin/posters",
            "/admin/posters/submissions",
            f"/admin/posters/submissions/{poster.id}",
            "/admin/posters/reviewers",
            "/admin/posters/session",
        ],
        student: ["/my/posters", f"/my/posters/{poster.id}", "/posters", "/posters/call"],
        reviewer: ["/review/posters", f"/review/posters/{assignment.id}"],
    }
    for user, urls in pages.items():
        client = login(app.test_client(), user)
        for url in urls:
            assert client.get(url).status_code == 200, url
    page = text(login(app.test_client(), organiser).get(f"/admin/posters/submissions/{poster.id}"))
    assert "Minato University" in page and "Reviewer" in page


def test_the_organiser_sees_why_a_reviewer_cannot_be_assigned(clock, organiser_client):
    call = make_call()
    minato = make_university("Minato University")
    poster = submitted_poster(call, make_student(), minato)
    make_reviewer("Same Campus", minato)
    make_reviewer("Unrecorded", recorded=False)
    page = text(organiser_client.get(f"/admin/posters/submissions/{poster.id}"))
    assert "Same Campus: Conflict of interest" in page
    assert "Unrecorded: The reviewer" in page and "not recorded yet" in page


def test_reviewer_university_is_recorded_by_organisers(clock, organiser_client):
    make_call()
    university = make_university("Minato University")
    reviewer = make_reviewer("New Reviewer", recorded=False)
    page = text(organiser_client.get("/admin/posters/reviewers"))
    assert "Not recorded" in page
    response = organiser_client.post(
        "/admin/posters/reviewers",
        data={"user_id": str(reviewer.id), "university_id": str(university.id)},
    )
    assert response.status_code == 303
    assert services.profile_of(reviewer).university_id == university.id
    response = organiser_client.post(
        "/admin/posters/reviewers", data={"user_id": str(reviewer.id), "university_id": "999"}
    )
    assert response.status_code == 422
    assert "Choose a university from the list." in text(response)
    assert services.profile_of(reviewer).university_id == university.id
    # Saving "Not recorded" for someone unrecorded records nothing (not "no university").
    newcomer = make_reviewer("Newcomer", recorded=False)
    response = organiser_client.post(
        "/admin/posters/reviewers", data={"user_id": str(newcomer.id), "university_id": ""}
    )
    assert response.status_code == 422
    assert "Choose the reviewer&#39;s university" in text(response)
    assert services.profile_of(newcomer) is None
    # Someone without the reviewer role cannot be recorded as one.
    plain = make_user(name="Not A Reviewer")
    response = organiser_client.post(
        "/admin/posters/reviewers", data={"user_id": str(plain.id), "university_id": "none"}
    )
    assert response.status_code == 422 and services.profile_of(plain) is None


def test_drafts_are_never_public_and_organisers_open_every_file(clock, app, organiser_client):
    call = make_call()
    minato = make_university("Minato University")
    student = make_student()
    draft = services.save_submission(
        call,
        student,
        services.SubmissionData(title_ja="下書き", language="ja"),
        file_data=pdf_bytes(),
    )
    assert organiser_client.get(f"/posters/{draft.id}/file").status_code == 200
    assert app.test_client().get(f"/posters/{draft.id}/file").status_code == 404
    assert login(app.test_client(), student).get(f"/posters/{draft.id}/file").status_code == 200
    assert minato  # the university list exists; a draft needs none


def test_a_decision_from_the_ranking_swaps_its_row(clock, organiser_client):
    call = make_call()
    poster = submitted_poster(call, make_student(), make_university("Minato University"))
    headers = {"HX-Request": "true", "HX-Target": f"rank-{poster.id}"}
    url = f"/admin/posters/submissions/{poster.id}/decision"
    response = organiser_client.post(
        url, data={"decision": "accept", "from": "list"}, headers=headers
    )
    assert response.status_code == 422
    assert "after the submission deadline" in text(response)  # still open: refused in the row
    assert poster.decision is None
    clock.move_to(SELECTION)
    response = organiser_client.post(
        url, data={"decision": "nonsense", "from": "list"}, headers=headers
    )
    assert response.status_code == 422 and f'<tr id="rank-{poster.id}">' in text(response)
    assert "Choose a decision from the list." in text(response)
    db.session.refresh(poster)
    assert poster.decision is None
    response = organiser_client.post(
        url, data={"decision": "accept", "from": "list"}, headers=headers
    )
    assert response.status_code == 200
    body = text(response)
    assert f'<tr id="rank-{poster.id}">' in body
    assert "<html" not in body and '<option value="accept" selected>' in body
    db.session.refresh(poster)
    assert poster.decision.value == "accept"


def test_a_decision_on_a_poster_outside_the_ranking_is_refused_without_a_row(
    clock, organiser_client
):
    call = make_call()
    draft = services.save_submission(
        call, make_student(), services.SubmissionData(title_ja="下書き", language="ja")
    )
    clock.move_to(SELECTION)
    response = organiser_client.post(
        f"/admin/posters/submissions/{draft.id}/decision",
        data={"decision": "accept", "from": "list"},
        headers={"HX-Request": "true", "HX-Target": f"rank-{draft.id}"},
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].endswith("/admin/posters/submissions")
    assert "Only submitted posters get a decision." in text(
        organiser_client.get("/admin/posters/submissions")
    )
    assert draft.decision is None


def test_the_back_office_starts_with_the_call(clock, organiser_client):
    make_edition(is_current=True)
    for url in ("/admin/posters/submissions", "/admin/posters/session"):
        response = organiser_client.get(url)
        assert response.status_code == 303 and response.headers["Location"].endswith(
            "/admin/posters"
        )
    assert "Call for posters" in text(organiser_client.get("/admin/posters"))


def test_garbage_to_the_back_office_and_review_forms_is_refused_cleanly(
    clock, app, organiser_client
):
    call = make_call()
    harbour = make_university("Harbour Tech")
    poster = submitted_poster(call, make_student(), make_university("Minato University"))
    reviewer = make_reviewer("Reviewer", harbour)
    assignment = services.assign(poster, reviewer)
    posts = [
        (f"/admin/posters/submissions/{poster.id}/assign", {"reviewer_id": "abc"}),
        (f"/admin/posters/submissions/{poster.id}/decision", {"decision": "maybe"}),
        ("/admin/posters/reviewers", {"user_id": "abc"}),
        ("/admin/posters", dict(CALL_FORM, title_max="many", session_id="x")),
    ]
    for url, data in posts:
        assert organiser_client.post(url, data=data).status_code in (303, 404, 422), url
    assert poster.decision is None and len(poster.assignments) == 1
    clock.move_to(DURING_REVIEW)
    response = login(app.test_client(), reviewer).post(
        f"/review/posters/{assignment.id}",
        data={f"score_{c.id}": "abc" for c in call.categories},
    )
    assert response.status_code == 422 and "Give a score from 1 to 5." in text(response)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"session_id": "x"}, "Choose a poster session from the list."),
        ({"session_id": "999999"}, "Choose a poster session from the list."),
        ({"languages": ["de"]}, "Choose Japanese, English or both."),
        ({"title_max": "many"}, "Not a valid integer value."),
    ],
    ids=["session-word", "session-unknown", "language", "title-max"],
)
def test_call_settings_name_a_bad_choice_in_words(clock, organiser_client, change, message):
    make_edition(is_current=True)
    response = organiser_client.post("/admin/posters", data=dict(CALL_FORM, **change))
    assert response.status_code == 422
    body = text(response)
    assert message in body
    assert "Invalid Choice" not in body and "Not a valid choice" not in body
    assert db.session.scalar(select(func.count()).select_from(PosterCall)) == 0


def test_a_bad_decision_or_reviewer_is_named_beside_the_field(clock, organiser_client):
    call = make_call()
    poster = submitted_poster(call, make_student(), make_university("Minato University"))
    clock.move_to(SELECTION)
    url = f"/admin/posters/submissions/{poster.id}"
    response = organiser_client.post(f"{url}/decision", data={"decision": "maybe"})
    assert response.status_code == 422
    assert "Choose a decision from the list." in text(response)
    response = organiser_client.post(f"{url}/assign", data={"reviewer_id": "abc"})
    assert response.status_code == 422 and "Choose a reviewer." in text(response)
    assert "Invalid Choice" not in text(response)
    reviewer = make_reviewer("Reviewer", None)
    response = organiser_client.post(
        "/admin/posters/reviewers", data={"user_id": reviewer.id, "university_id": "abc"}
    )
    assert response.status_code == 422
    assert "Choose a university from the list." in text(response)
    assert poster.decision is None and poster.assignments == []


def test_ids_beyond_an_id_column_are_refused_not_a_500(clock, organiser_client):
    """A number past the 32-bit id columns reached the database, which refused it (a 500)."""
    call = make_call()
    poster = submitted_poster(call, make_student(), make_university("Minato University"))
    harbour = make_university("Harbour Tech")
    reviewer = make_reviewer("Reviewer", harbour)
    huge = "99999999999999999999"
    url = f"/admin/posters/submissions/{poster.id}/assign"
    response = organiser_client.post(url, data={"reviewer_id": huge})
    assert response.status_code == 422 and "Choose a reviewer." in text(response)
    response = organiser_client.post(
        "/admin/posters/reviewers", data={"user_id": reviewer.id, "university_id": huge}
    )
    assert response.status_code == 422
    assert "Choose a university from the list." in text(response)
    forged = organiser_client.post(
        "/admin/posters/reviewers", data={"user_id": huge, "university_id": "none"}
    )
    assert forged.status_code == 404
    assert poster.assignments == []
    assert services.profile_of(reviewer).university_id == harbour.id


def test_my_posters_is_in_the_bar_for_students_only(clock, app):
    student_page = text(login(app.test_client(), make_student()).get("/"))
    other_page = text(login(app.test_client(), make_user(name="Company Person")).get("/"))
    assert 'href="/my/posters"' in student_page
    assert 'href="/my/posters"' not in other_page
    assert 'href="/posters"' in other_page  # the public programme is for everyone


def test_the_ranking_counts_in_city_submissions(clock, organiser_client):
    call = make_call()
    city = make_university("Minato University", in_city=True)
    away = make_university("Far Away University", in_city=False)
    for n, university in enumerate([city, city, away]):
        submitted_poster(call, make_student(f"S{n}"), university)
    page = text(organiser_client.get("/admin/posters/submissions"))
    stats = page[page.index('class="stats"') :][:1200]
    assert '<span class="stat-value">3</span><span class="stat-label">Submitted posters' in stats
    assert '<span class="stat-value">2</span><span class="stat-label">From in-city' in stats
