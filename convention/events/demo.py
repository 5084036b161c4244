"""Demo programme: a two-day edition that began yesterday (JST), so the demo is always 'live':
day 1 has fully happened (check-ins, meetings held), day 2 is today."""

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

# slug: (speakers, description_ja, description_en); sessions not listed get a short default.
DETAILS = {
    "opening": (
        "横浜市長 (Mayor of Yokohama)\nAyumi Mori, Asia-Pacific Cities Climate Network",
        "開会挨拶に続き、2050年ゼロカーボンに向けた都市の道筋を基調講演で示します。"
        "\n\n同時通訳（日英）があります。",
        "Welcome from the mayor, then a keynote on the city's path to zero carbon by 2050."
        "\n\nSimultaneous interpretation (Japanese/English) is provided.",
    ),
    "offshore-wind": (
        "Lars Nielsen, North Sea Ports Alliance\n佐藤 健, 横浜港湾局",
        "洋上風力の導入とカーボンニュートラルポート（CNP）の形成について、欧州と横浜の実例から学びます。",
        "How offshore wind and carbon-neutral ports work together: "
        "lessons from Europe and Yokohama.",
    ),
    "zeb-buildings": (
        "山田 花子, 建築環境・省エネルギー機構",
        "新築ZEB・ZEHの設計と、既存ビルの省エネ改修の費用対効果を具体例で紹介します。",
        "Designing net-zero buildings and the costs and returns of retrofitting existing ones.",
    ),
    "city-to-city": (
        "Nguyen Van An, Da Nang City\nMaria Santos, Cebu City\n田中 一郎, 国際協力機構",
        "横浜市とアジアの都市が進める都市間連携事業の成果と、次の案件形成について議論します。",
        "Results of Yokohama's city-to-city projects with Asian cities, and the next projects.",
    ),
    "jcm-workshop": (
        "環境省 地球環境局\nJCM事業者",
        "二国間クレジット制度（JCM）を活用した案件形成の実務ワークショップ。招待者のみ。",
        "A hands-on workshop on forming Joint Crediting Mechanism projects. By invitation.",
    ),
    "matching-day1": (
        "",
        "市内企業と海外都市・企業の1対1商談。事前予約制です。",
        "One-to-one meetings between local companies and overseas cities and companies. "
        "Booked in advance.",
    ),
    "green-finance": (
        "鈴木 誠, 横浜銀行\nEmma Clarke, Climate Bonds Initiative",
        "地域金融機関によるサステナブルファイナンスと、中小企業の脱炭素投資を支える仕組み。",
        "Sustainable finance from regional banks and how it funds small firms' decarbonisation.",
    ),
    "site-visit-plant": (
        "資源循環局",
        "ごみ焼却工場の発電設備と熱利用を見学します。集合は会議室B前、バスで移動します。",
        "Visit the waste-to-energy plant's generators and heat network. Meet outside Room B; "
        "we travel by bus.",
    ),
    "hydrogen": (
        "高橋 直樹, 水素バリューチェーン推進協議会\nDr. Kim Soo-jin, Incheon Hydrogen Hub",
        "港湾を拠点とした水素・アンモニアの輸入、貯蔵、利用のサプライチェーン構築。",
        "Building hydrogen and ammonia import, storage and use around the port.",
    ),
    "poster-session": (
        "市内大学の学生研究者",
        "市内大学の学生による脱炭素研究のポスター発表。優秀発表は閉会セッションで表彰します。",
        "Students of the city's universities present decarbonisation research; "
        "the best posters are awarded at the closing.",
    ),
    "matching-day2": (
        "",
        "1日目に続く1対1商談。フォローアップ商談もこちらで行えます。",
        "More one-to-one meetings, including follow-ups from day 1.",
    ),
    "circular-economy": (
        "伊藤 美咲, サーキュラーエコノミー推進機構",
        "資源循環を事業戦略に組み込む企業の事例と、自治体との連携。",
        "Companies that build resource circulation into their strategy, and working with cities.",
    ),
    "closing": (
        "横浜市 温暖化対策統括本部",
        "2日間の成果、ビジネスマッチングの結果、ポスター賞の発表と次年度に向けた一歩。",
        "What the two days achieved: matching results, poster awards and next year's steps.",
    ),
}

LAST_SESSION_STARTS = max(time.fromisoformat(row[1]) for row in SESSIONS if row[0] == 1)

STREAMED = {"opening", "city-to-city", "closing"}


def load() -> Edition:
    # In progress whenever it is loaded: yesterday and today, or, once today's last session
    # has begun, today and tomorrow (so seminars are still open for sign-up).
    now = utcnow().astimezone(EVENT_ZONE)
    first_day = now.date() - timedelta(days=1 if now.time() < LAST_SESSION_STARTS else 0)
    edition = Edition(
        slug=f"ydc-{first_day.year}",
        name_ja=f"横浜脱炭素コンベンション{first_day.year}",
        name_en=f"Yokohama Decarbonization Convention {first_day.year}",
        venue_ja="パシフィコ横浜 ノース",
        venue_en="PACIFICO Yokohama North",
        start_date=first_day,
        end_date=first_day + timedelta(days=1),
        is_current=True,
    )
    rooms = [
        Room(name_ja=ja, name_en=en, capacity=capacity, position=index)
        for index, (ja, en, capacity) in enumerate(ROOMS)
    ]
    edition.rooms = rooms
    for day, start, minutes, room, kind, slug, title_ja, title_en, lang, cap, vis in SESSIONS:
        starts_at = datetime.combine(
            first_day + timedelta(days=day), time.fromisoformat(start), tzinfo=EVENT_ZONE
        )
        edition.sessions.append(
            Session(
                slug=slug,
                kind=kind,
                title_ja=title_ja,
                title_en=title_en,
                speakers=DETAILS.get(slug, ("",))[0],
                description_ja=DETAILS[slug][1]
                if slug in DETAILS
                else f"{title_ja}について、自治体・企業・研究者が議論します。",
                description_en=DETAILS[slug][2]
                if slug in DETAILS
                else f"Cities, companies and researchers discuss: {title_en.lower()}.",
                stream_url=f"https://stream.convention.example/{slug}"
                if slug in STREAMED
                else None,
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
