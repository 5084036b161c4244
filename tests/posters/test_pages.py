"""What the poster pages show a reader: titles in their language, the work still to do first,
links only where they lead somewhere for this reader."""

from __future__ import annotations

from convention.extensions import db
from convention.posters import services
from convention.posters.models import Decision
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


def test_reviewer_list_puts_the_reviews_to_do_first_in_the_readers_language(clock, app):
    call = make_call()
    minato = make_university("Minato University")
    reviewer = make_reviewer("Reviewer", make_university("Harbour Tech"))
    reviewer.language = "en"
    db.session.commit()
    first = submitted_poster(call, make_student("A"), minato, title_ja="研究A", title_en="Study A")
    second = submitted_poster(call, make_student("B"), minato, title_ja="研究B", title_en="Study B")
    done = services.assign(first, reviewer)
    services.assign(second, reviewer)
    clock.move_to(DURING_REVIEW)
    services.save_review(done, {c.id: 4 for c in call.categories}, "", "")

    page = text(login(app.test_client(), reviewer).get("/review/posters"))

    assert page.index("Study B") < page.index("Study A")  # to do, then done
    assert "研究A" not in page and "研究B" not in page  # English titles for an English reader
    assert page.index("To do") < page.index("Study B")  # the state comes first in its row


def test_back_office_shows_titles_in_the_organisers_language(clock, app, organiser):
    call = make_call()
    poster = submitted_poster(
        call, make_student(), make_university("Minato University"), title_en="Solar roofs"
    )
    clock.move_to(SELECTION)
    services.decide(poster, Decision.ACCEPT)
    services.release_decisions(call)
    services.assign_boards(call)
    for language, title, other in (
        ("en", "Solar roofs", "屋上太陽光の最適配置"),
        ("ja", "屋上太陽光の最適配置", "Solar roofs"),
    ):
        organiser.language = language
        db.session.commit()
        client = login(app.test_client(), organiser)
        for url in ("/admin/posters/submissions", "/admin/posters/session"):
            page = text(client.get(url))
            assert title in page and other not in page, (language, url)


def test_programme_links_my_posters_only_for_students_and_explains_the_star(clock, app):
    call = make_call()
    student = make_student("Hana Suzuki")
    poster = submitted_poster(call, student, make_university("Minato University"))
    clock.move_to(SELECTION)
    services.decide(poster, Decision.ACCEPT)
    services.release_decisions(call)
    attendee = make_registration(call.edition, name="Aiko Visitor").user

    student_page = text(login(app.test_client(), student).get("/posters"))
    attendee_page = text(login(app.test_client(), attendee).get("/posters"))
    anonymous_page = text(app.test_client().get("/posters"))

    assert 'href="/my/posters"' in student_page
    assert 'href="/my/posters"' not in attendee_page
    assert 'href="/my/posters"' not in anonymous_page
    assert "Hana Suzuki<span" in anonymous_page and "* the presenter" in anonymous_page


def test_the_organisers_poster_page_shows_both_titles(clock, app, organiser):
    call = make_call()
    poster = submitted_poster(
        call, make_student(), make_university("Minato University"), title_en="Solar roofs"
    )
    for language in ("en", "ja"):
        organiser.language = language
        db.session.commit()
        page = text(
            login(app.test_client(), organiser).get(f"/admin/posters/submissions/{poster.id}")
        )
        assert "屋上太陽光の最適配置" in page and "Solar roofs" in page, language


def test_an_accepted_student_sees_board_time_and_room(clock, app):
    from tests.factories import make_room

    call = make_call()
    call.session.room = make_room(call.edition, "Exhibition Hall")
    db.session.commit()
    student = make_student("Hana Suzuki")
    poster = submitted_poster(call, student, make_university("Minato University"))
    clock.move_to(SELECTION)
    services.decide(poster, Decision.ACCEPT)
    services.release_decisions(call)
    services.assign_boards(call)

    page = text(login(app.test_client(), student).get(f"/my/posters/{poster.id}"))

    assert "Board 1" in page and "Please stand by your poster from" in page
    assert "Poster session · Room: Exhibition Hall" in page


def test_after_saving_a_review_the_reviewer_is_pointed_to_the_next_one(clock, app):
    call = make_call()
    minato = make_university("Minato University")
    reviewer = make_reviewer("Reviewer", make_university("Harbour Tech"))
    reviewer.language = "en"
    db.session.commit()
    first = submitted_poster(call, make_student("A"), minato)
    second = submitted_poster(call, make_student("B"), minato)
    assignments = [services.assign(first, reviewer), services.assign(second, reviewer)]
    clock.move_to(DURING_REVIEW)
    client = login(app.test_client(), reviewer)
    scores = {f"score_{c.id}": "4" for c in call.categories}

    page = text(
        client.post(f"/review/posters/{assignments[0].id}", data=scores, follow_redirects=True)
    )
    assert "Your review is saved." in page
    assert f'href="/review/posters/{assignments[1].id}"' in page
    assert f"Next poster to review: poster {second.id}" in page

    page = text(
        client.post(f"/review/posters/{assignments[1].id}", data=scores, follow_redirects=True)
    )
    assert "All your reviews are done" in page and "Next poster to review" not in page


def test_poster_session_actions_wait_for_the_release(clock, organiser_client):
    call = make_call()
    poster = submitted_poster(call, make_student(), make_university("Minato University"))
    clock.move_to(SELECTION)

    page = text(organiser_client.get("/admin/posters/session"))
    assert "come once the decisions are released" in page
    assert 'action="/admin/posters/boards"' not in page and "accepted.csv" not in page
    assert 'action="/admin/posters/voting"' not in page

    services.decide(poster, Decision.ACCEPT)
    services.release_decisions(call)
    page = text(organiser_client.get("/admin/posters/session"))
    assert "come once the decisions are released" not in page
    assert 'action="/admin/posters/boards"' in page and 'href="/admin/posters/accepted.csv"' in page
    assert "Open the audience vote" in page


def test_call_settings_name_the_poster_session_in_the_organisers_language(clock, app, organiser):
    call = make_call()
    call.session.title_ja = "学生ポスターセッション"
    organiser.language = "ja"
    db.session.commit()
    page = text(login(app.test_client(), organiser).get("/admin/posters"))
    assert "学生ポスターセッション (" in page and "Poster session (" not in page
