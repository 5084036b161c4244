"""Demo registrations: universities, ticket types and ~300 people from Japan and abroad,
some waitlisted or cancelled, with seminar sign-ups. Deterministic (seeded)."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import select

from convention.accounts.models import ParticipantCategory, User
from convention.accounts.services import hash_password
from convention.events.models import Edition, Session, Visibility
from convention.extensions import db
from convention.registration import services
from convention.registration.models import (
    Registration,
    RegistrationStatus,
    TicketType,
    University,
)
from convention.timeutil import EVENT_ZONE, utcnow

C = ParticipantCategory

UNIVERSITIES = [
    ("横浜国立大学", "Yokohama National University", True),
    ("横浜市立大学", "Yokohama City University", True),
    ("神奈川大学", "Kanagawa University", True),
    ("関東学院大学", "Kanto Gakuin University", True),
    ("東京大学", "The University of Tokyo", False),
    ("慶應義塾大学", "Keio University", False),
]

SPONSOR_CODE = "SPONSOR-DEMO"
DEMO_ATTENDEE = ("attendee@convention.example", "attendee-demo-pass")
DEMO_LOGINS = {"attendee": DEMO_ATTENDEE}  # printed by `flask demo load`

# name_ja, name_en, category, price, capacity, approval, access code, how many register
TICKET_TYPES = [
    ("一般（無料）", "General (free)", C.GENERAL, 0, 400, False, None, 60),
    ("ビジネス", "Business", C.BUSINESS, 0, 300, False, None, 80),
    (
        "政府・海外都市",
        "Government / overseas city",
        C.GOVERNMENT,
        0,
        100,
        False,
        None,
        40,
    ),
    (
        "国際機関",
        "International organisation",
        C.INTERNATIONAL_ORGANISATION,
        0,
        50,
        False,
        None,
        12,
    ),
    ("報道関係", "Press", C.PRESS, 0, 20, True, None, 12),
    ("学生（無料）", "Student (free)", C.STUDENT, 0, 60, False, None, 70),
    ("スポンサーパス", "Sponsor pass", C.SPONSOR_STAFF, 0, 60, False, SPONSOR_CODE, 14),
    (
        "ワークショップ懇親会（夕食付き）",
        "Workshop dinner ticket",
        C.GENERAL,
        5000,
        40,
        False,
        None,
        8,
    ),
]

FAMILY_JA = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "清水",
    "森",
]
GIVEN_JA = [
    "花子",
    "太郎",
    "陽菜",
    "蓮",
    "結衣",
    "大翔",
    "美咲",
    "悠真",
    "葵",
    "湊",
    "さくら",
    "健一",
    "直美",
    "拓也",
    "由美",
    "翔太",
    "愛",
    "誠",
    "彩",
    "亮",
]
FIRST_EN = {
    "US": ["Emily", "Michael", "Sarah", "David"],
    "GB": ["Olivia", "James", "Harriet", "Tom"],
    "DE": ["Lena", "Jonas", "Anna", "Felix"],
    "VN": ["Nguyen Thi", "Tran Van", "Le Thi", "Pham Van"],
    "TH": ["Somchai", "Malee", "Niran", "Pranee"],
    "PH": ["Maria", "Jose", "Angelica", "Mark"],
    "ID": ["Putri", "Budi", "Sari", "Agus"],
    "MY": ["Aisyah", "Hafiz", "Mei Ling", "Raj"],
    "IN": ["Priya", "Arjun", "Ananya", "Rahul"],
}
LAST_EN = {
    "US": ["Johnson", "Miller", "Garcia"],
    "GB": ["Clarke", "Hughes", "Patel"],
    "DE": ["Schmidt", "Weber", "Becker"],
    "VN": ["Lan", "Minh", "Hoa"],
    "TH": ["Srisuk", "Chaiyaporn", "Boonmee"],
    "PH": ["Santos", "Reyes", "Cruz"],
    "ID": ["Santoso", "Wijaya", "Lestari"],
    "MY": ["Abdullah", "Tan", "Kumar"],
    "IN": ["Sharma", "Iyer", "Gupta"],
}
COMPANIES_JA = [
    ("株式会社みなとエナジー", "energy"),
    ("横浜グリーン建設株式会社", "construction"),
    ("港北ロジスティクス株式会社", "transport"),
    ("株式会社ベイサイド銀行", "finance"),
    ("神奈川ソーラーテック株式会社", "manufacturing"),
    ("株式会社カーボンデータ", "ict"),
    ("みらい環境コンサルティング株式会社", "consulting"),
    ("NPO法人 海と森の会", "ngo"),
]
GOVERNMENTS = [
    ("VN", "Da Nang City People's Committee", "government"),
    ("TH", "Bangkok Metropolitan Administration", "government"),
    ("PH", "Cebu City Government", "government"),
    ("ID", "Batam City Government", "government"),
    ("MY", "Penang Island City Council", "government"),
    ("JP", "横浜市 温暖化対策統括本部", "government"),
]
INTERNATIONAL = [
    ("DE", "GIZ Climate Programme", "ngo"),
    ("US", "World Bank Urban Climate Unit", "finance"),
    ("GB", "C40 Cities Secretariat", "ngo"),
    ("IN", "ICLEI South Asia", "ngo"),
]
PRESS = ["日刊環境新聞", "みなとテレビ", "Asia Climate Wire", "週刊エネルギー経済"]


def _universities() -> list[University]:
    rows = []
    for name_ja, name_en, in_city in UNIVERSITIES:
        university = db.session.scalar(select(University).where(University.name_en == name_en))
        if university is None:
            university = University(name_ja=name_ja, name_en=name_en, in_city=in_city)
            db.session.add(university)
        rows.append(university)
    db.session.commit()
    return rows


def _ticket_types(edition: Edition) -> list[tuple[TicketType, int]]:
    sales_start = utcnow() - timedelta(days=60)
    # Open until the last day is over: the demo is loaded at any hour of that day.
    sales_end = datetime.combine(
        edition.end_date + timedelta(days=1), time(0, 0), tzinfo=EVENT_ZONE
    )
    made = []
    for position, row in enumerate(TICKET_TYPES):
        name_ja, name_en, category, price, capacity, approval, code, count = row
        ticket_type = TicketType(
            edition_id=edition.id,
            name_ja=name_ja,
            name_en=name_en,
            category=category,
            price=price,
            capacity=capacity,
            sales_start=sales_start,
            sales_end=sales_end,
            requires_approval=approval,
            access_code=code,
            position=position,
        )
        db.session.add(ticket_type)
        made.append((ticket_type, count))
    db.session.commit()
    return made


def _person(rng: random.Random, number: int, foreign: str | None) -> User:
    if foreign:
        name = f"{rng.choice(FIRST_EN[foreign])} {rng.choice(LAST_EN[foreign])}"
        language = "en"
    else:
        name = f"{rng.choice(FAMILY_JA)} {rng.choice(GIVEN_JA)}"
        language = "ja"
    user = User(
        email=f"demo{number:03d}@attendee.example",
        name=name,
        country=foreign or "JP",
        language=language,
        email_verified_at=utcnow() - timedelta(days=rng.randint(1, 50)),
    )
    db.session.add(user)
    db.session.flush()
    return user


def _answers(rng, category, universities) -> tuple[dict, str | None]:
    """Answers and the person's country when not Japan."""
    foreign = None
    answers: dict = {"country": "JP"}
    if category == C.STUDENT:
        university = rng.choice(universities + universities[:4])  # mostly in-city
        answers |= {
            "university_id": university.id,
            "faculty": rng.choice(["工学部", "都市科学部", "経済学部", "理学部", "環境情報学部"]),
            "study_year": rng.choice(["B2", "B3", "B4", "M1", "M2", "D1"]),
            "sector": "academia",
        }
        if rng.random() < 0.08:
            answers |= {"university_id": None, "university_other": "Chulalongkorn University"}
    elif category == C.GOVERNMENT:
        foreign, organization, sector = rng.choice(GOVERNMENTS)
        answers |= {"organization": organization, "sector": sector, "job_title": "Officer"}
        foreign = None if foreign == "JP" else foreign
    elif category == C.INTERNATIONAL_ORGANISATION:
        foreign, organization, sector = rng.choice(INTERNATIONAL)
        answers |= {"organization": organization, "sector": sector, "job_title": "Specialist"}
    elif category == C.PRESS:
        answers |= {"organization": rng.choice(PRESS), "sector": "media", "job_title": "記者"}
    else:
        organization, sector = rng.choice(COMPANIES_JA)
        answers |= {
            "organization": organization,
            "sector": sector,
            "department": rng.choice(["経営企画部", "環境推進室", "営業部", "技術開発部"]),
            "job_title": rng.choice(["部長", "課長", "主任", "担当"]),
        }
        if rng.random() < 0.1:
            foreign = rng.choice(["US", "DE", "VN"])
    if foreign:
        answers["country"] = foreign
        answers["interpretation_headset"] = rng.random() < 0.7
    answers["dietary_needs"] = rng.choice(["", "", "", "", "ベジタリアン", "Halal", "No shellfish"])
    answers["accessibility_needs"] = "車椅子で参加します" if rng.random() < 0.03 else ""
    answers["consent_share_with_sponsors"] = rng.random() < 0.45
    return answers, foreign


def load(edition: Edition) -> None:
    # The services commit after every booking; on SQLite each commit waits for the disk.
    # Demo data is reloadable, so skip that wait for this one connection while loading.
    if db.engine.dialect.name == "sqlite":
        db.session.connection().exec_driver_sql("PRAGMA synchronous=OFF")
    try:
        _load(edition)
    finally:
        if db.engine.dialect.name == "sqlite":
            db.session.connection().exec_driver_sql("PRAGMA synchronous=FULL")
            db.session.commit()


def _fresh(edition: Edition) -> None:
    """Forget loaded objects (keeping the caller's edition attached): every commit expires
    and reloads all objects still held, which made loading quadratic."""
    db.session.expunge_all()
    db.session.add(edition)


def _load(edition: Edition) -> None:
    rng = random.Random(2026)
    universities = _universities()
    types = _ticket_types(edition)
    registrations = []
    number = 0
    university_ids = [u.id for u in universities]
    type_ids = [(t.id, count) for t, count in types]
    for type_id, count in type_ids:
        for _ in range(count):
            number += 1
            _fresh(edition)
            ticket_type = db.session.get(TicketType, type_id)
            universities = [db.session.get(University, i) for i in university_ids]
            answers, foreign = _answers(rng, ticket_type.category, universities)
            user = _person(rng, number, foreign)
            registration = services.register(
                user, ticket_type, answers, access_code=ticket_type.access_code, notify=False
            )
            registrations.append(registration.id)
    _fresh(edition)
    types = [(db.session.get(TicketType, i), count) for i, count in type_ids]

    # The demo attendee can log in and see a badge, an agenda and the seminar page.
    email, password = DEMO_ATTENDEE
    attendee = User(
        email=email,
        name="デモ 参加者",
        password_hash=hash_password(password),
        language="ja",
        email_verified_at=utcnow(),
    )
    db.session.add(attendee)
    db.session.commit()
    business = next(t for t, _ in types if t.category == C.BUSINESS)
    mine = services.register(
        attendee,
        business,
        {"organization": "株式会社みなとエナジー", "country": "JP", "sector": "energy"},
        notify=False,
    )
    registrations.append(mine.id)

    def get(registration_id):
        _fresh(edition)
        return db.session.get(Registration, registration_id)

    # Organisers approve most of the press; a few people cancel (their places go on).
    for registration_id in registrations:
        registration = get(registration_id)
        if registration.status == RegistrationStatus.PENDING_APPROVAL and rng.random() < 0.75:
            services.approve(registration)
    for registration_id in rng.sample(registrations[:-1], 12):
        registration = get(registration_id)
        if registration.status != RegistrationStatus.CANCELLED:
            services.cancel(registration)

    session_ids = [s.id for s in services.sessions_open_for_signup(edition) if s.ends_at > utcnow()]
    for registration_id in registrations:
        registration = get(registration_id)
        if registration.status not in services.MAY_CHOOSE_SESSIONS:
            continue
        chosen = rng.sample(session_ids, min(len(session_ids), rng.randint(1, 4)))
        for session_id in chosen:
            registration = get(registration_id)
            session = db.session.get(Session, session_id)
            code = session.invitation_code if rng.random() < 0.5 else None
            if session.visibility == Visibility.CLOSED and code is None and rng.random() < 0.6:
                continue
            try:
                services.sign_up_for_session(registration, session, invitation_code=code)
            except services.RegistrationError:
                db.session.rollback()  # a clash or a full workshop: people move on
    db.session.commit()
