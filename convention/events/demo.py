"""Demo programme: a two-day edition starting today (JST), so the demo is always 'live'."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from convention.events.models import (
    Edition,
    Room,
    Session,
    SessionKind,
    SessionLanguage,
    Visibility,
)
from convention.extensions import db
from convention.timeutil import EVENT_ZONE, utcnow

ROOMS = [
    ("メインホール", "Main Hall", 500),
    ("会議室A", "Room A", 120),
    ("会議室B", "Room B", 80),
    ("展示ホール", "Exhibition Hall", 300),
]

# (day, start, minutes, room, kind, slug, title_ja, title_en, language, capacity, visibility)
SESSIONS = [
    (
        0,
        "10:00",
        60,
        0,
        SessionKind.OPENING,
        "opening",
        "開会式・基調講演：ゼロカーボン都市への道",
        "Opening and keynote: the road to a zero-carbon city",
        SessionLanguage.BOTH,
        500,
        "public",
    ),
    (
        0,
        "11:15",
        75,
        1,
        SessionKind.SEMINAR,
        "offshore-wind",
        "洋上風力と港湾の脱炭素化",
        "Offshore wind and decarbonising ports",
        SessionLanguage.BOTH,
        120,
        "public",
    ),
    (
        0,
        "11:15",
        75,
        2,
        SessionKind.SEMINAR,
        "zeb-buildings",
        "ZEB・ZEHの実装と省エネ改修",
        "Net-zero buildings and energy retrofits",
        SessionLanguage.JA,
        80,
        "public",
    ),
    (
        0,
        "13:30",
        90,
        1,
        SessionKind.SEMINAR,
        "city-to-city",
        "都市間連携による脱炭素化支援",
        "City-to-city collaboration for decarbonisation",
        SessionLanguage.EN,
        120,
        "public",
    ),
    (
        0,
        "13:30",
        90,
        2,
        SessionKind.WORKSHOP,
        "jcm-workshop",
        "JCMプロジェクト形成ワークショップ",
        "JCM project formation workshop",
        SessionLanguage.BOTH,
        30,
        "closed",
    ),
    (
        0,
        "13:30",
        240,
        3,
        SessionKind.MATCHING,
        "matching-day1",
        "ビジネスマッチング（1日目）",
        "Business matching (day 1)",
        SessionLanguage.BOTH,
        None,
        "closed",
    ),
    (
        0,
        "15:30",
        75,
        1,
        SessionKind.SEMINAR,
        "green-finance",
        "グリーンファイナンスと地域金融",
        "Green finance and regional banks",
        SessionLanguage.JA,
        120,
        "public",
    ),
    (
        1,
        "09:30",
        60,
        2,
        SessionKind.SITE_VISIT,
        "site-visit-plant",
        "視察：資源循環局 焼却工場",
        "Site visit: waste-to-energy plant",
        SessionLanguage.JA,
        25,
        "public",
    ),
    (
        1,
        "10:00",
        90,
        1,
        SessionKind.SEMINAR,
        "hydrogen",
        "水素サプライチェーンの社会実装",
        "Building a hydrogen supply chain",
        SessionLanguage.BOTH,
        120,
        "public",
    ),
    (
        1,
        "10:00",
        120,
        3,
        SessionKind.POSTER,
        "poster-session",
        "学生研究ポスターセッション",
        "Student research poster session",
        SessionLanguage.BOTH,
        300,
        "public",
    ),
    (
        1,
        "13:00",
        180,
        3,
        SessionKind.MATCHING,
        "matching-day2",
        "ビジネスマッチング（2日目）",
        "Business matching (day 2)",
        SessionLanguage.BOTH,
        None,
        "closed",
    ),
    (
        1,
        "13:30",
        90,
        2,
        SessionKind.SEMINAR,
        "circular-economy",
        "サーキュラーエコノミーと企業戦略",
        "Circular economy and corporate strategy",
        SessionLanguage.JA,
        80,
        "public",
    ),
    (
        1,
        "16:00",
        60,
        0,
        SessionKind.OPENING,
        "closing",
        "閉会セッション：成果と次の一歩",
        "Closing: results and next steps",
        SessionLanguage.BOTH,
        500,
        "public",
    ),
]


def load() -> Edition:
    today = utcnow().astimezone(EVENT_ZONE).date()
    edition = Edition(
        slug=f"ydc-{today.year}",
        name_ja=f"横浜脱炭素コンベンション{today.year}",
        name_en=f"Yokohama Decarbonization Convention {today.year}",
        venue_ja="パシフィコ横浜 ノース",
        venue_en="PACIFICO Yokohama North",
        start_date=today,
        end_date=today + timedelta(days=1),
        is_current=True,
    )
    rooms = [
        Room(name_ja=ja, name_en=en, capacity=capacity, position=index)
        for index, (ja, en, capacity) in enumerate(ROOMS)
    ]
    edition.rooms = rooms
    for day, start, minutes, room, kind, slug, title_ja, title_en, lang, cap, vis in SESSIONS:
        starts_at = datetime.combine(
            today + timedelta(days=day), time.fromisoformat(start), tzinfo=EVENT_ZONE
        )
        edition.sessions.append(
            Session(
                slug=slug,
                kind=kind,
                title_ja=title_ja,
                title_en=title_en,
                description_ja=f"{title_ja}について、自治体・企業・研究者が議論します。",
                description_en=f"Cities, companies and researchers discuss: {title_en.lower()}.",
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=minutes),
                room=rooms[room],
                language=lang,
                capacity=cap,
                visibility=Visibility(vis),
                invitation_code="JCM-2025"
                if vis == "closed" and kind == SessionKind.WORKSHOP
                else None,
            )
        )
    db.session.add(edition)
    db.session.commit()
    return edition
