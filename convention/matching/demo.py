"""Demo business matching: ~40 profiles (Yokohama companies, overseas cities and companies),
requests in every state, both matching sessions scheduled and published, day 1 held with
follow-ups and a couple of deals. Deterministic (seeded). Uses the registration demo's people
when there are enough, otherwise registers its own."""

from __future__ import annotations

import random

from sqlalchemy import select

from convention.accounts.models import ParticipantCategory, User
from convention.accounts.services import hash_password
from convention.events.models import Edition
from convention.extensions import db
from convention.matching import services
from convention.matching.models import (
    FollowUpOutcome,
    MatchingSlot,
    Meeting,
    MeetingStatus,
    OrganisationType,
    ProfileUnavailability,
)
from convention.registration.models import Registration, RegistrationStatus, TicketType
from convention.timeutil import utcnow

T = OrganisationType

# organisation (en), organisation (ja), type, country, city, sectors, needs, offers, languages
LOCAL = [
    ("Minato Energy KK", "株式会社みなとエナジー", "energy_management", "waste_to_energy"),
    ("Yokohama Green Construction", "横浜グリーン建設株式会社", "buildings", "buildings"),
    ("Kanagawa Solartech", "神奈川ソーラーテック株式会社", "solar", "solar"),
    ("Carbon Data Inc.", "株式会社カーボンデータ", "smart_city", "energy_management"),
    ("Bayside Water Engineering", "ベイサイド水道エンジニアリング株式会社", "water", "water"),
    ("Kohoku Logistics", "港北ロジスティクス株式会社", "mobility", "mobility"),
    ("Honmoku Battery Systems", "本牧バッテリーシステムズ株式会社", "storage", "storage"),
    ("Tsurumi Recycling Works", "鶴見リサイクル工業株式会社", "recycling", "recycling"),
    ("Hama Waste-to-Energy", "浜環境プラント株式会社", "waste_to_energy", "waste_to_energy"),
    (
        "Mirai Environmental Consulting",
        "みらい環境コンサルティング株式会社",
        "capacity_building",
        "capacity_building",
    ),
    ("Yokohama H2 Solutions", "横浜水素ソリューションズ株式会社", "hydrogen", "hydrogen"),
    ("Negishi Heat Pump", "根岸ヒートポンプ株式会社", "buildings", "energy_management"),
    ("Kannai Smart Grid", "関内スマートグリッド株式会社", "energy_management", "storage"),
    ("Sakuragicho EV Mobility", "桜木町EVモビリティ株式会社", "mobility", "mobility"),
    ("Isogo Offshore Wind", "磯子洋上風力株式会社", "wind", "wind"),
    ("Totsuka Agri-Tech", "戸塚アグリテック株式会社", "agriculture", "agriculture"),
    ("Aoba LED Lighting", "青葉LED照明株式会社", "buildings", "buildings"),
    ("Nishi Biogas", "西バイオガス株式会社", "waste_to_energy", "waste_to_energy"),
    ("Kanazawa Membrane", "金沢メンブレン株式会社", "water", "water"),
    ("Minato Mirai Data Center", "みなとみらいデータセンター株式会社", "smart_city", "smart_city"),
    ("Seya Solar Roofing", "瀬谷ソーラールーフ株式会社", "solar", "solar"),
    ("Hodogaya Fuel Cell", "保土ケ谷燃料電池株式会社", "hydrogen", "hydrogen"),
    ("Naka Port Shore Power", "中港湾電力株式会社", "mobility", "energy_management"),
]

OVERSEAS = [
    (
        "Bangkok Metropolitan Administration",
        T.OVERSEAS_CITY,
        "TH",
        "Bangkok",
        ("waste_to_energy", "mobility", "buildings"),
        ("th", "en"),
    ),
    (
        "Da Nang City People's Committee",
        T.OVERSEAS_CITY,
        "VN",
        "Da Nang",
        ("waste_to_energy", "water", "solar"),
        ("vi", "en"),
    ),
    (
        "Cebu City Government",
        T.OVERSEAS_CITY,
        "PH",
        "Cebu",
        ("water", "recycling", "solar"),
        ("tl", "en"),
    ),
    (
        "Batam City Government",
        T.OVERSEAS_CITY,
        "ID",
        "Batam",
        ("storage", "smart_city", "water"),
        ("id", "en"),
    ),
    (
        "Iskandar Regional Development Authority",
        T.OVERSEAS_CITY,
        "MY",
        "Johor Bahru",
        ("energy_management", "mobility", "hydrogen"),
        ("ms", "en"),
    ),
    (
        "Ho Chi Minh City Department of Natural Resources",
        T.OVERSEAS_CITY,
        "VN",
        "Ho Chi Minh City",
        ("recycling", "mobility", "waste_to_energy"),
        ("vi", "en"),
    ),
    (
        "Penang Island City Council",
        T.OVERSEAS_CITY,
        "MY",
        "George Town",
        ("buildings", "solar", "capacity_building"),
        ("ms", "en"),
    ),
    (
        "Ulaanbaatar City",
        T.OVERSEAS_CITY,
        "MN",
        "Ulaanbaatar",
        ("buildings", "energy_management"),
        ("en",),
    ),
    (
        "Siam Eco Industrial Estate",
        T.OVERSEAS_COMPANY,
        "TH",
        "Rayong",
        ("solar", "storage", "hydrogen"),
        ("th", "en"),
    ),
    (
        "Cebu Aqua Utilities",
        T.OVERSEAS_COMPANY,
        "PH",
        "Cebu",
        ("water", "energy_management"),
        ("tl", "en"),
    ),
    (
        "Batam Shipyard Group",
        T.OVERSEAS_COMPANY,
        "ID",
        "Batam",
        ("wind", "hydrogen", "mobility"),
        ("id", "en"),
    ),
    (
        "Johor Palm Energy",
        T.OVERSEAS_COMPANY,
        "MY",
        "Johor Bahru",
        ("waste_to_energy", "agriculture"),
        ("ms", "en"),
    ),
    (
        "Da Nang Hi-Tech Park",
        T.OVERSEAS_COMPANY,
        "VN",
        "Da Nang",
        ("smart_city", "solar"),
        ("vi", "en"),
    ),
]

OTHERS = [
    (
        "Asian Development Finance Unit",
        T.INTERNATIONAL_ORGANISATION,
        "PH",
        "Manila",
        ("finance", "capacity_building"),
    ),
    ("Bay Bank Yokohama", T.FINANCIAL_INSTITUTION, "JP", "Yokohama", ("finance",)),
    (
        "Yokohama National University – Energy Lab",
        T.UNIVERSITY,
        "JP",
        "Yokohama",
        ("capacity_building", "energy_management"),
    ),
    (
        "City Climate Partnership Secretariat",
        T.INTERNATIONAL_ORGANISATION,
        "DE",
        "Bonn",
        ("capacity_building", "finance"),
    ),
]

OFFER_TEXT = {
    "waste_to_energy": (
        "Waste-to-energy plants for cities of 300,000 to 2 million people",
        "人口30〜200万人規模の都市向けごみ発電プラント",
    ),
    "buildings": (
        "Zero-energy buildings: design, retrofit and monitoring",
        "ZEBの設計・改修・運用モニタリング",
    ),
    "solar": (
        "Rooftop and floating solar, from survey to O&M",
        "屋根置き・水上太陽光の調査から保守まで",
    ),
    "energy_management": (
        "Energy management systems for factories and districts",
        "工場・地区向けエネルギーマネジメントシステム",
    ),
    "water": (
        "Water treatment and leak detection with low-energy membranes",
        "省エネ膜による浄水・漏水検知",
    ),
    "mobility": (
        "EV buses, charging and shore power for ports",
        "EVバス・充電設備・港湾の陸上電力",
    ),
    "storage": (
        "Battery storage for solar parks and microgrids",
        "太陽光発電所・マイクログリッド向け蓄電池",
    ),
    "recycling": (
        "Sorting and recycling lines for plastics and construction waste",
        "プラスチック・建設廃棄物の選別リサイクル設備",
    ),
    "capacity_building": (
        "Training for city officials on climate action plans",
        "自治体職員向け気候変動計画の研修",
    ),
    "hydrogen": (
        "Hydrogen production, fuel cells and refuelling",
        "水素製造・燃料電池・水素ステーション",
    ),
    "wind": ("Offshore wind O&M and port logistics", "洋上風力の保守と港湾物流"),
    "agriculture": ("Biogas from agricultural residues", "農業残渣からのバイオガス"),
    "smart_city": ("Data platforms for emissions monitoring", "排出量モニタリングのデータ基盤"),
    "finance": ("Green loans and JCM project finance", "グリーンローン・JCM案件ファイナンス"),
}

NEED_TEXT = "We are looking for partners in {topics} for projects starting next fiscal year."


def load(edition: Edition) -> None:
    rng = random.Random(9)
    sessions = services.matching_sessions(edition)
    if not sessions:
        return
    people = _people(edition, len(LOCAL) + len(OVERSEAS) + len(OTHERS))
    profiles = _profiles(edition, people, rng)
    for session, tables in zip(sessions, (10, 8, 8, 8), strict=False):
        services.setup_grid(session, slot_minutes=20, tables=tables, interpreter_tables=2)
    locals_, overseas, others = profiles
    _unavailability(overseas, sessions, rng)
    _requests(edition, locals_, overseas, others, rng)
    _schedule(edition, sessions, rng)


def _people(edition: Edition, wanted: int) -> list[Registration]:
    """Confirmed registrations: the demo attendee first, then business, government and
    international people; registers extra demo people when there are not enough."""
    rows = list(
        db.session.scalars(
            select(Registration)
            .join(User, User.id == Registration.user_id)
            .where(
                Registration.edition_id == edition.id,
                Registration.status == RegistrationStatus.CONFIRMED,
                Registration.category.in_(
                    (
                        ParticipantCategory.BUSINESS,
                        ParticipantCategory.GOVERNMENT,
                        ParticipantCategory.INTERNATIONAL_ORGANISATION,
                    )
                ),
            )
            .order_by((User.email == "attendee@convention.example").desc(), Registration.id)
        )
    )
    rows = rows[:wanted]
    if len(rows) < wanted:
        ticket = db.session.scalar(
            select(TicketType).where(TicketType.edition_id == edition.id).limit(1)
        )
        if ticket is None:
            ticket = TicketType(
                edition=edition,
                name_ja="ビジネスマッチング",
                name_en="Business matching",
                category=ParticipantCategory.BUSINESS,
            )
            db.session.add(ticket)
        password = hash_password("matching-demo-pass")
        for number in range(len(rows), wanted):
            user = User(
                email=f"matching{number + 1}@convention.example",
                name=f"Matching Demo {number + 1}",
                password_hash=password,
                language="en",
                email_verified_at=utcnow(),
            )
            registration = Registration(
                edition=edition,
                user=user,
                ticket_type=ticket,
                status=RegistrationStatus.CONFIRMED,
                category=ticket.category,
                confirmed_at=utcnow(),
            )
            db.session.add(registration)
            rows.append(registration)
        db.session.commit()
    return rows


def _profiles(edition, people, rng):
    people = iter(people)
    locals_, overseas, others = [], [], []
    for name_en, name_ja, sector, offer in LOCAL:
        registration = next(people)
        language = registration.user.language
        second = rng.choice([code for code in OFFER_TEXT if code != offer])
        locals_.append(
            services.save_profile(
                registration,
                {
                    "organisation_type": T.LOCAL_COMPANY,
                    "organisation": name_ja if language == "ja" else name_en,
                    "country": "JP",
                    "city": "Yokohama",
                    "summary_en": f"{name_en}: a Yokohama company in {sector.replace('_', ' ')}.",
                    "summary_ja": f"{name_ja}は横浜市内の事業者です。",
                    "sectors": [sector, offer],
                    "offer_codes": [offer],
                    "offers_en": OFFER_TEXT[offer][0],
                    "offers_ja": OFFER_TEXT[offer][1],
                    "need_codes": [second] if rng.random() < 0.3 else [],
                    "languages": ["ja", "en"] if rng.random() < 0.6 else ["ja"],
                },
            )
        )
    for name, kind, country, city, needs, languages in OVERSEAS:
        registration = next(people)
        topics = ", ".join(OFFER_TEXT[code][0].split(" ")[0].lower() for code in needs)
        data = {
            "organisation_type": kind,
            "organisation": name,
            "country": country,
            "city": city,
            "summary_en": f"{name} in {city}.",
            "sectors": list(needs),
            "need_codes": list(needs),
            "needs_en": NEED_TEXT.format(topics=topics),
            "languages": list(languages),
        }
        if kind == T.OVERSEAS_COMPANY:
            data["offer_codes"] = [needs[-1]]
            data["offers_en"] = f"Local partner for {city} projects: sites, permits, O&M."
        overseas.append(services.save_profile(registration, data))
    for name, kind, country, city, sectors in OTHERS:
        registration = next(people)
        others.append(
            services.save_profile(
                registration,
                {
                    "organisation_type": kind,
                    "organisation": name,
                    "country": country,
                    "city": city,
                    "sectors": list(sectors),
                    "offer_codes": list(sectors),
                    "offers_en": OFFER_TEXT[sectors[0]][0],
                    "offers_ja": OFFER_TEXT[sectors[0]][1],
                    "need_codes": ["waste_to_energy"] if kind == T.UNIVERSITY else [],
                    "languages": ["en", "ja"] if country == "JP" else ["en"],
                },
            )
        )
    return locals_, overseas, others


def _unavailability(overseas, sessions, rng) -> None:
    """Some delegations arrive late on day 1 (their flight) or leave early on day 2."""
    slots = [services.slots_of(session) for session in sessions]
    for profile in overseas:
        if rng.random() < 0.3 and slots[0]:
            for slot in slots[0][:2]:
                db.session.add(ProfileUnavailability(profile=profile, slot=slot))
        if rng.random() < 0.2 and len(slots) > 1 and slots[1]:
            for slot in slots[1][-2:]:
                db.session.add(ProfileUnavailability(profile=profile, slot=slot))
    db.session.commit()


def _requests(edition, locals_, overseas, others, rng) -> None:
    # Local companies ask the overseas party whose needs meet their offers; overseas parties
    # ask some companies themselves.
    pairs = []
    for company in locals_:
        fits = [o for o in overseas if set(o.need_codes) & set(company.offer_codes)]
        for target in rng.sample(fits, min(len(fits), rng.randint(1, 3))):
            pairs.append((company, target))
    for city in overseas:
        fits = [c for c in locals_ + others if set(c.offer_codes) & set(city.need_codes)]
        for target in rng.sample(fits, min(len(fits), 2)):
            pairs.append((city, target))
    seen = set()
    for requester, recipient in pairs:
        key = frozenset((requester.id, recipient.id))
        if key in seen:
            continue
        seen.add(key)
        message = "We would like to present our solution and learn about your plans."
        try:
            request = services.send_request(
                requester, recipient, message, priority=rng.choice([1, 2, 2, 3])
            )
        except services.MatchingError:
            db.session.rollback()
            continue
        roll = rng.random()
        if roll < 0.72:
            services.respond(request, recipient, accept=True)
        elif roll < 0.82:
            services.respond(request, recipient, accept=False, note="Not this year, thank you.")
        elif roll < 0.87:
            services.cancel_request(request, requester)
        # the rest stay unanswered
    organiser = db.session.scalar(select(User).where(User.email == "organiser@convention.example"))
    if organiser is not None:
        for a, b in ((others[0], overseas[0]), (others[1], overseas[1])):
            try:
                services.coordinate(organiser, a, b, "Finance for the project pipeline", 3)
            except services.MatchingError:
                db.session.rollback()


def _schedule(edition, sessions, rng) -> None:
    # Half of the accepted meetings go to day 2 (when there is one); schedule and publish both.
    drafts = services.unplaced_meetings(edition)
    if len(sessions) > 1:
        for meeting in drafts[1::2]:
            meeting.session_id = sessions[1].id
        db.session.commit()
    for session in sessions[:2]:
        services.schedule_session(session, time_limit=3)
        services.publish(session, notify=False)
    # Day 1 took place: most meetings held, a few no-shows; follow-ups and two deals. Loaded
    # while day 1's matching is still under way, only the meetings that began are marked.
    door = db.session.scalar(select(User).where(User.email == "door@convention.example"))
    day1 = list(
        db.session.scalars(
            select(Meeting)
            .join(MatchingSlot, MatchingSlot.id == Meeting.slot_id)
            .where(
                MatchingSlot.session_id == sessions[0].id,
                MatchingSlot.starts_at <= utcnow(),
                Meeting.status == MeetingStatus.SCHEDULED,
            )
            .order_by(Meeting.id)
        )
    )
    held = []
    for meeting in day1:
        if rng.random() < 0.85:
            services.mark(meeting, MeetingStatus.HELD, door)
            held.append(meeting)
        else:
            services.mark(meeting, MeetingStatus.NO_SHOW, door)
    outcomes = [FollowUpOutcome.DEAL, FollowUpOutcome.DEAL] + [
        rng.choice(
            [
                FollowUpOutcome.NOTHING_YET,
                FollowUpOutcome.FURTHER_MEETING,
                FollowUpOutcome.PROPOSAL,
            ]
        )
        for _ in held[2:]
    ]
    for meeting, outcome in zip(held, outcomes, strict=False):
        for seat in meeting.seats:
            services.record_follow_up(meeting, seat.profile, outcome, "")
            if outcome != FollowUpOutcome.DEAL:
                break  # one party answered so far
