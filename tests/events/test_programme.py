"""The public programme: list, filters (htmx and plain links), session pages, calendar files."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from convention.events.models import SessionKind, SessionLanguage, Visibility
from tests.factories import make_edition, make_room, make_session

EN = {"Accept-Language": "en"}
JA = {"Accept-Language": "ja"}
HX_LIST = {**EN, "HX-Request": "true", "HX-Target": "session-list"}


@pytest.fixture
def edition(app):
    edition = make_edition(
        start=date(2025, 11, 20),
        is_current=True,
        venue_ja="パシフィコ横浜",
        venue_en="PACIFICO Yokohama",
        name_en="Test Convention",
    )
    hall = make_room(edition, "Main Hall", capacity=500)
    room_a = make_room(edition, "Room A", capacity=80)
    make_session(
        edition,
        "10:00",
        60,
        room=hall,
        kind=SessionKind.OPENING,
        slug="opening",
        title_ja="開会式",
        title_en="Opening ceremony",
        description_ja="市長の挨拶。",
        description_en="Welcome by the mayor.",
        speakers="Mayor Yamada, City of Yokohama",
        language=SessionLanguage.BOTH,
        capacity=500,
        stream_url="https://stream.example.org/opening",
    )
    make_session(
        edition,
        "13:00",
        90,
        room=room_a,
        slug="hydrogen",
        title_ja="水素",
        title_en="Hydrogen supply chains",
        language=SessionLanguage.EN,
        capacity=80,
    )
    make_session(
        edition,
        "11:00",
        60,
        day=1,
        room=room_a,
        kind=SessionKind.WORKSHOP,
        slug="jcm-workshop",
        title_ja="JCMワークショップ",
        title_en="JCM workshop",
        visibility=Visibility.CLOSED,
        language=SessionLanguage.JA,
        capacity=30,
    )
    return edition


def test_programme_groups_sessions_by_day_with_time_room_and_badges(client, edition):
    response = client.get("/programme", headers=EN)
    assert response.status_code == 200
    page = response.text
    assert "<html" in page and 'id="programme-filters"' in page
    assert "Test Convention" in page
    # Day headings in order, sessions in time order within the day
    assert page.index("Thursday, November 20, 2025") < page.index("Opening ceremony")
    assert page.index("Opening ceremony") < page.index("Hydrogen supply chains")
    assert page.index("Hydrogen supply chains") < page.index("Friday, November 21, 2025")
    assert page.index("Friday, November 21, 2025") < page.index("JCM workshop")
    assert "10:00</time>–<time" in page and "JST" in page
    assert "Main Hall" in page and "Capacity 500" in page
    assert "JA/EN interpreted" in page
    assert "Public seminar" in page
    # Closed sessions are listed, marked as by invitation
    assert "By invitation" in page
    assert 'href="/programme/opening"' in page


def test_programme_in_japanese_shows_japanese_titles(client, edition):
    page = client.get("/programme", headers=JA).text
    assert "開会式" in page
    assert "Opening ceremony" not in page


def test_programme_fragment_for_htmx_is_only_the_list_and_the_filters(client, edition):
    response = client.get("/programme?kind=workshop", headers=HX_LIST)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<section id="session-list"')
    assert "JCM workshop" in response.text
    assert "Opening ceremony" not in response.text
    # The filter form comes along out of band so its selects match the list
    assert 'hx-swap-oob="true"' in response.text
    assert '<option value="workshop" selected' in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_boosted_request_gets_the_full_page(client, edition):
    headers = {**HX_LIST, "HX-Boosted": "true"}
    assert "<html" in client.get("/programme", headers=headers).text


FILTER_CASES = [
    ("day=2025-11-21", ["JCM workshop"], ["Opening ceremony", "Hydrogen supply chains"]),
    ("kind=opening", ["Opening ceremony"], ["Hydrogen supply chains", "JCM workshop"]),
    # "both" (interpreted) sessions are followable in English too
    ("language=en", ["Opening ceremony", "Hydrogen supply chains"], ["JCM workshop"]),
    ("language=both", ["Opening ceremony"], ["Hydrogen supply chains", "JCM workshop"]),
    ("day=2025-11-20&language=ja", ["Opening ceremony"], ["Hydrogen supply chains"]),
    # Unknown values are ignored, not errors
    ("day=not-a-day&kind=dance&language=fr", ["Opening ceremony", "JCM workshop"], []),
    ("day=2030-01-01", ["Opening ceremony", "JCM workshop"], []),
]


def test_filters_work_as_plain_links(client, edition):
    for query, shown, hidden in FILTER_CASES:
        response = client.get(f"/programme?{query}", headers=EN)
        assert response.status_code == 200
        assert "<html" in response.text
        list_part = response.text[response.text.index('id="session-list"') :]
        for title in shown:
            assert title in list_part, query
        for title in hidden:
            assert title not in list_part, query


def test_filter_links_keep_the_other_filters_and_are_htmx_enhanced(client, edition):
    page = client.get("/programme?kind=seminar", headers=EN).text
    url = "/programme?day=2025-11-21&amp;kind=seminar"
    link = f'<a href="{url}" hx-get="{url}"'
    assert link in page
    assert 'hx-target="#session-list"' in page and 'hx-push-url="true"' in page
    assert '<form id="programme-filters"' in page and 'method="get"' in page


def test_empty_result_says_so(client, edition):
    page = client.get("/programme?day=2025-11-21&kind=opening", headers=EN).text
    assert "No session matches these filters." in page


def test_programme_without_edition(client, app):
    response = client.get("/programme", headers=EN)
    assert response.status_code == 200
    assert "The programme will be published soon." in response.text


def test_programme_is_in_the_main_navigation(client, edition):
    page = client.get("/", headers=EN).text
    assert 'href="/programme"' in page


def test_session_detail_shows_speakers_description_room_and_stream(client, edition):
    response = client.get("/programme/opening", headers=EN)
    assert response.status_code == 200
    page = response.text
    assert "Opening ceremony" in page
    assert "Mayor Yamada, City of Yokohama" in page
    assert "Welcome by the mayor." in page
    assert "Main Hall · PACIFICO Yokohama" in page  # the separator of every page, not ", "
    assert "https://stream.example.org/opening" in page
    assert 'href="/programme/opening.ics"' in page and "Add to calendar" in page
    assert "10:00</time>–<time" in page and "11:00</time>" in page

    page_ja = client.get("/programme/opening", headers=JA).text
    assert "市長の挨拶。" in page_ja and "Welcome by the mayor." not in page_ja


def test_closed_session_page_says_by_invitation(client, edition):
    page = client.get("/programme/jcm-workshop", headers=EN).text
    assert "by invitation only" in page


def test_unknown_session_is_404(client, edition):
    assert client.get("/programme/no-such-session", headers=EN).status_code == 404
    assert client.get("/programme/no-such-session.ics").status_code == 404


def _events(response) -> list[icalendar.Event]:
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.data)
    return list(calendar.walk("VEVENT"))


def test_session_ics_has_jst_times_location_and_stable_uid(client, edition):
    response = client.get("/programme/opening.ics?lang=en")
    assert "attachment" in response.headers["Content-Disposition"]
    (event,) = _events(response)
    start = event.decoded("dtstart")
    assert start == datetime(2025, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert start.utcoffset() == timedelta(hours=9)
    assert event["dtstart"].params["TZID"] == "Asia/Tokyo"
    assert event.decoded("dtend") - start == timedelta(hours=1)
    assert str(event["summary"]) == "Opening ceremony"
    assert str(event["location"]) == "Main Hall, PACIFICO Yokohama"
    assert str(event["url"]).endswith("/programme/opening")
    calendar = icalendar.Calendar.from_ical(response.data)
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "Asia/Tokyo"
    # Same UID every time: re-importing updates instead of duplicating
    (again,) = _events(client.get("/programme/opening.ics?lang=ja"))
    assert str(again["uid"]) == str(event["uid"])
    assert str(again["summary"]) == "開会式"
    assert str(again["location"]) == "Main Hall, パシフィコ横浜"


def test_ics_language_follows_the_reader_by_default(client, edition):
    (event,) = _events(client.get("/programme/opening.ics", headers=JA))
    assert str(event["summary"]) == "開会式"


def test_programme_ics_has_every_session_and_honours_filters(client, edition):
    events = _events(client.get("/programme.ics?lang=en"))
    assert [str(e["summary"]) for e in events] == [
        "Opening ceremony",
        "Hydrogen supply chains",
        "JCM workshop",
    ]
    assert len({str(e["uid"]) for e in events}) == 3
    closed = events[2]
    assert "By invitation" in str(closed["description"])
    assert events[1].decoded("dtstart") == datetime(2025, 11, 20, 13, tzinfo=ZoneInfo("Asia/Tokyo"))

    filtered = _events(client.get("/programme.ics?lang=en&day=2025-11-21"))
    assert [str(e["summary"]) for e in filtered] == ["JCM workshop"]
    ja = _events(client.get("/programme.ics?lang=ja&day=2025-11-21"))
    assert "招待" in str(ja[0]["description"]) or "By invitation" in str(ja[0]["description"])


def test_programme_ics_without_edition_is_404(client, app):
    assert client.get("/programme.ics").status_code == 404


def test_full_page_has_the_filter_form_once(client, edition):
    page = client.get("/programme", headers=EN).text
    assert page.count('id="programme-filters"') == 1
    assert "hx-swap-oob" not in page


def test_running_session_is_marked_now_on(client, app):
    from convention.timeutil import utcnow

    today = utcnow().astimezone(ZoneInfo("Asia/Tokyo"))
    edition = make_edition(start=today.date() - timedelta(days=1), days=3, is_current=True)
    make_session(
        edition, today.strftime("%H:%M"), 10, day=1, slug="running", title_en="Running now"
    )
    page = client.get("/programme", headers=EN).text
    assert "Now on" in page
    assert "Now on" in client.get("/programme/running", headers=EN).text


def test_day_headings_read_naturally_in_japanese(client, edition):
    page = client.get("/programme", headers={"Accept-Language": "ja"}).text
    assert "2025年11月20日(木)" in page and "2025年11月21日(金)" in page
