"""The organisers' sheet of accepted posters."""

from __future__ import annotations

import csv
import io

from convention.posters import services
from convention.posters.models import Decision
from tests.conftest import login
from tests.factories import make_user
from tests.posters.helpers import (
    DURING_REVIEW,
    SELECTION,
    at,
    make_call,
    make_reviewer,
    make_student,
    make_university,
    submitted_poster,
)
from tests.posters.test_flow import text


def rows_of(response) -> list[list[str]]:
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")  # Excel in Japan reads UTF-8 only with the mark
    return list(csv.reader(io.StringIO(body[1:])))


def test_accepted_posters_export_with_boards_scores_and_flags(clock, app, organiser_client):
    call = make_call()
    minato = make_university("港大学", in_city=True)
    faraway = make_university("遠方大学", in_city=False)
    best = submitted_poster(call, make_student("Hana Suzuki"), minato, consent_public=True)
    sneaky = submitted_poster(
        call,
        make_student("Jiro Sato"),
        faraway,
        title_ja="研究2",
        title_en='=HYPERLINK("http://evil.example")',
        track_id=call.tracks[1].id,
        consent_public=False,
        authors=[("+Jiro Sato", "Faraway")],
    )
    rejected = submitted_poster(call, make_student("Ken Ito"), minato, title_ja="研究3")
    reviewer = make_reviewer("Reviewer", None)
    at(clock, DURING_REVIEW)
    categories = call.categories
    for poster, (originality, clarity) in ((best, (5, 2)), (sneaky, (3, 3))):
        assignment = services.assign(poster, reviewer)
        services.save_review(
            assignment, {categories[0].id: originality, categories[1].id: clarity}, "", ""
        )
    at(clock, SELECTION)
    services.decide(best, Decision.ACCEPT)
    services.decide(sneaky, Decision.ACCEPT)
    services.decide(rejected, Decision.REJECT)
    services.release_decisions(call)
    services.assign_boards(call)

    response = organiser_client.get("/admin/posters/accepted.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    header, *rows = rows_of(response)
    assert header == [
        "Board number",
        "Slot",
        "Title (Japanese)",
        "Title (English)",
        "Track",
        "Presenter",
        "University",
        "In-city university",
        "Consent to publish",
        "Average weighted score",
    ]
    assert len(rows) == 2  # the rejected poster is not on the sheet
    first, second = rows
    # Board 1 (first track) presents in the first half of the 13:00–15:00 session.
    assert first == [
        "1",
        "13:00–14:00",
        "屋上太陽光の最適配置",
        "Optimal placement of rooftop solar",
        "再生可能エネルギー",
        "Hana Suzuki",
        "港大学",
        "yes",
        "yes",
        "4.00",  # (5×2 + 2×1) / 3
    ]
    assert second[:2] == ["2", "14:00–15:00"]
    assert second[3] == '\'=HYPERLINK("http://evil.example")'  # not a formula in Excel
    assert second[4:] == ["省エネルギー", "'+Jiro Sato", "遠方大学", "", "", "3.00"]
    # The organisers find it on the poster session page.
    assert 'href="/admin/posters/accepted.csv"' in text(
        organiser_client.get("/admin/posters/session")
    )


def test_export_before_any_acceptance_is_just_the_header(clock, organiser_client):
    make_call()
    header, *rows = rows_of(organiser_client.get("/admin/posters/accepted.csv"))
    assert header[0] == "Board number" and rows == []


def test_only_organisers_export(clock, app, client):
    make_call()
    assert client.get("/admin/posters/accepted.csv").status_code in (302, 401)
    for user in (make_student(), make_user(roles=("reviewer",), name="Reviewer")):
        assert login(app.test_client(), user).get("/admin/posters/accepted.csv").status_code == 403
