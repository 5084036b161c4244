"""What participants and organisers see on the matching pages: follow-up messages in place,
cancel offered only where it can work, one time format, no empty or doubled headings."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from convention.extensions import db
from convention.matching import services
from convention.matching.models import FollowUp, FollowUpOutcome, MeetingStatus
from tests.conftest import login
from tests.helpers import sql_statements

HX = {"HX-Request": "true"}


@pytest.fixture
def held(published):
    published.status = MeetingStatus.HELD
    db.session.commit()
    return published


@pytest.fixture
def city_client(app, pair):
    return login(app.test_client(), pair[1].user)


def _error_beside(html: str, element_id: str) -> str:
    found = re.search(rf'<p class="error" id="{element_id}-error"[^>]*>([^<]*)</p>', html)
    assert found, f"no error paragraph for {element_id}"
    return found.group(1)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_long_follow_up_note_is_refused_beside_the_note(city_client, held, htmx):
    headers = {**HX, "HX-Target": f"follow-up-{held.id}"} if htmx else {}
    response = city_client.post(
        f"/matching/meetings/{held.id}/follow-up",
        data={"outcome": "deal", "note": "x" * 2500},
        headers=headers,
    )
    assert response.status_code == 422
    assert ("<html" in response.text) is not htmx  # the agenda page without JavaScript
    assert "My matching agenda" in response.text or htmx
    note = f"follow-up-{held.id}-note"
    assert _error_beside(response.text, note) == "Use at most 2000 characters."
    assert _error_beside(response.text, f"follow-up-{held.id}-outcome") == ""
    assert "Choose an outcome." not in response.text
    assert services.kpi_deals([held.edition_id]) == 0
    # What was typed comes back, so nothing is lost.
    assert '<option value="deal" selected>' in response.text


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_follow_up_without_an_outcome_says_so_once(city_client, held, htmx):
    headers = {**HX, "HX-Target": f"follow-up-{held.id}"} if htmx else {}
    response = city_client.post(
        f"/matching/meetings/{held.id}/follow-up", data={"note": "MoU"}, headers=headers
    )
    assert response.status_code == 422
    assert _error_beside(response.text, f"follow-up-{held.id}-outcome") == "Choose an outcome."
    assert "Not a valid choice" not in response.text
    assert 'value="MoU"' in response.text


def test_a_recorded_follow_up_shows_on_the_agenda(city_client, held):
    response = city_client.post(
        f"/matching/meetings/{held.id}/follow-up", data={"outcome": "deal", "note": "MoU"}
    )
    assert response.status_code == 303
    page = city_client.get("/matching/agenda").text
    assert "Your follow-up:" in page and 'value="MoU"' in page
    assert '<p class="error" id="follow-up-' in page and "Use at most" not in page


def test_cancel_is_offered_only_while_the_meeting_can_be_cancelled(city_client, held):
    held.status = MeetingStatus.SCHEDULED
    db.session.commit()
    assert "Cancel the meeting" in city_client.get("/matching/requests").text
    for status in (MeetingStatus.HELD, MeetingStatus.NO_SHOW):
        held.status = status
        db.session.commit()
        page = city_client.get("/matching/requests").text
        assert "Cancel the meeting" not in page
        assert "/cancel" not in page


def test_slot_labels_use_the_24_hour_times_of_the_board(
    organiser_client, app, matching_session, grid, pair
):
    services.respond(services.send_request(*pair), pair[1], accept=True)  # one to move
    board = organiser_client.get(f"/matching/admin/sessions/{matching_session.id}").text
    # 10:00 JST, five 20-minute slots; the same day and clock as the board's rows.
    assert re.search(r'<option value="\d+">[^<]*\b10:00–10:20</option>', board)
    assert not re.search(r"\d\s?(AM|PM)", board)
    profile_form = login(app.test_client(), pair[0].user).get("/matching/profile").text
    assert "10:40–11:00" in profile_form and not re.search(r"\d\s?(AM|PM)", profile_form)


def test_the_profile_form_names_sectors_once(city_client):
    page = city_client.get("/matching/profile").text
    assert page.count("Sectors and technologies") == 1


def test_a_profile_without_offers_has_no_offers_heading(city_client, pair):
    hama, danang = pair  # Hama offers and needs nothing; Da Nang needs and offers nothing
    hama_page = city_client.get(f"/matching/p/{hama.id}").text
    assert "<dt>Offers</dt>" in hama_page and "<dt>Needs</dt>" not in hama_page
    danang_page = city_client.get(f"/matching/p/{danang.id}").text
    assert "<dt>Needs</dt>" in danang_page and "<dt>Offers</dt>" not in danang_page


@pytest.mark.parametrize(
    ("status", "japanese"),
    [
        ("optimal", "最適なスケジュール"),
        ("feasible", "実用的なスケジュール（最適かは未確認）"),
        ("infeasible", "組めるスケジュールがありません"),
        ("timeout", "制限時間に達しました"),
    ],
)
def test_the_scheduler_status_is_translated(app, status, japanese):
    output = {"status": status, "assignments": [1, 2], "unscheduled": [], "breaks": 3, "seconds": 1}
    with force_locale("ja"):
        summary = services.schedule_summary(output)
    assert summary.startswith(f"{japanese}：配置2件")
    assert status not in summary


def test_the_requests_page_runs_as_many_queries_for_8_requests_as_for_2(app, pair, make_profile):
    app.config["MATCHING_REQUEST_CAP"] = 20
    me = pair[0]
    client = login(app.test_client(), me.user)
    partners = []

    def add_requests(count: int) -> None:
        """Half received, half sent; every received one accepted (it has a meeting)."""
        for _ in range(count // 2):
            partners.append(make_profile(f"Partner {len(partners) + 1} KK"))
            services.respond(services.send_request(partners[-1], me), me, accept=True)
            partners.append(make_profile(f"Partner {len(partners) + 1} KK"))
            services.send_request(me, partners[-1])

    def page_statements() -> int:
        db.session.expire_all()  # nothing loaded by the set-up may spare the page a query
        with sql_statements() as statements:
            page = client.get("/matching/requests", headers={"Accept-Language": "en"})
        assert page.status_code == 200
        assert all(partner.organisation in page.text for partner in partners)
        return len(statements)

    add_requests(2)
    two = page_statements()
    add_requests(6)
    assert page_statements() == two


def _follow_ups() -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(
        sa.select(FollowUp.meeting_id, FollowUp.profile_id, FollowUp.outcome, FollowUp.note)
    ).all()


@pytest.mark.parametrize(
    ("data", "cleared", "field", "message"),
    [
        ({"outcome": "deal", "note": "x" * 2500}, False, "note", "Use at most 2000 characters."),
        ({"note": "MoU"}, False, "outcome", "Choose an outcome."),
        (
            {"outcome": "deal", "note": "MoU"},
            True,
            "outcome",
            "Follow-ups are recorded for meetings that took place.",
        ),
    ],
    ids=["long-note", "no-outcome", "mark-cleared"],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_an_organisers_refused_follow_up_is_shown_beside_its_field(
    organiser_client, held, pair, data, cleared, field, message, htmx
):
    a, b = pair
    services.record_follow_up(held, b, FollowUpOutcome.PROPOSAL, "Their answer")
    if cleared:  # by another organiser, after this one opened the page
        held.status = MeetingStatus.SCHEDULED
        db.session.commit()
    before = _follow_ups()
    response = organiser_client.post(
        f"/matching/admin/meetings/{held.id}/follow-up/{a.id}",
        data=data,
        headers=HX if htmx else {},
    )
    assert response.status_code == 422
    assert "Meetings and follow-ups" in response.text  # the back-office page, shown again
    mine, other = f"follow-up-{held.id}-{a.id}", f"follow-up-{held.id}-{b.id}"
    assert _error_beside(response.text, f"{mine}-{field}") == message
    unrefused = "note" if field == "outcome" else "outcome"
    assert _error_beside(response.text, f"{mine}-{unrefused}") == ""
    assert response.text.count(message) == 1
    if not cleared:  # the other seat's form is there, without a message
        assert _error_beside(response.text, f"{other}-{field}") == ""
    assert f'id="{mine}-note" value="{data["note"]}"' in response.text  # what was typed
    assert _follow_ups() == before
    assert services.kpi_deals([held.edition_id]) == 0


def test_an_organisers_follow_up_is_recorded_and_shown(organiser_client, held, pair):
    a, b = pair
    response = organiser_client.post(
        f"/matching/admin/meetings/{held.id}/follow-up/{a.id}",
        data={"outcome": "deal", "note": "MoU"},
    )
    assert response.status_code == 303
    assert _follow_ups() == [(held.id, a.id, FollowUpOutcome.DEAL, "MoU")]
    page = organiser_client.get(response.headers["Location"]).text
    assert "Follow-up recorded." in page
    assert f'id="follow-up-{held.id}-{a.id}-note" value="MoU"' in page
    # The other party's note is still empty: its hidden label shows inside the box.
    assert (
        f'id="follow-up-{held.id}-{b.id}-note" value="" maxlength="2000" placeholder="Note"' in page
    )


def test_an_organisers_follow_up_for_someone_not_at_the_meeting_is_404(
    organiser_client, held, make_profile
):
    stranger = make_profile("Stranger KK")
    response = organiser_client.post(
        f"/matching/admin/meetings/{held.id}/follow-up/{stranger.id}", data={"outcome": "deal"}
    )
    assert response.status_code == 404
    assert _follow_ups() == []
