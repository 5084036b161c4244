"""Demo sponsors: four tiers, 30 booths in three zones, applications in every state (each with
its billing order: paid, partly paid, overdue, just invoiced), a paid Platinum sponsor whose staff
registered with its pass code and scanned leads at the booth, and a budget to compare against.

Runs after check-in's demo, so the leads come from visitors who really came through the door."""

from __future__ import annotations

import io
import secrets
from datetime import timedelta

from sqlalchemy import select

from convention.accounts.models import Role, User, UserRole
from convention.accounts.services import hash_password
from convention.billing import services as billing
from convention.billing.models import PaymentMethod
from convention.checkin.models import Presence
from convention.extensions import db
from convention.registration import services as registration
from convention.registration.models import Registration, RegistrationStatus, TicketType
from convention.sponsors import services
from convention.sponsors.models import (
    Booth,
    BoothOption,
    LogoSize,
    SponsorApplication,
    SponsorTier,
)
from convention.timeutil import utcnow

DEMO_SPONSOR = ("sponsor@convention.example", "sponsor-demo-pass")
DEMO_LOGINS = {"sponsor": DEMO_SPONSOR}  # printed by `flask demo load`

# name_ja, name_en, price, for sale, logo, passes, booths included, speaking slot, benefits
TIERS = [
    (
        "プラチナ",
        "Platinum",
        3_000_000,
        1,
        LogoSize.LARGE,
        10,
        2,
        True,
        "基調講演枠、会場内メインバナー",
        "Keynote slot, main banner in the hall",
    ),
    (
        "ゴールド",
        "Gold",
        1_000_000,
        3,
        LogoSize.MEDIUM,
        5,
        1,
        True,
        "セミナー登壇枠",
        "A seminar speaking slot",
    ),
    ("シルバー", "Silver", 500_000, 5, LogoSize.SMALL, 3, 0, False, "", ""),
    ("サポーター", "Supporter", 100_000, 10, LogoSize.NAME, 1, 0, False, "", ""),
]
OPTIONS = [
    ("power", "電源 1.5kW", "Electricity 1.5 kW", 20_000),
    ("table", "追加テーブル・椅子2脚", "Extra table and two chairs", 5_000),
]
# zone, code prefix, row (metres from the top), booth size, price; corner booths cost more.
ZONES = [
    ("エネルギー Energy", "A", 0, 3, 150_000),
    ("モビリティ Mobility", "B", 6, 3, 150_000),
    ("スタートアップ・都市 Start-ups & cities", "C", 12, 2, 80_000),
]


def _tiers(edition) -> dict[str, SponsorTier]:
    tiers = {}
    for position, row in enumerate(TIERS):
        name_ja, name_en, price, quantity, logo, passes, booths, slot, ben_ja, ben_en = row
        tiers[name_en] = services.save_tier(
            edition,
            {
                "name_ja": name_ja,
                "name_en": name_en,
                "price": price,
                "quantity": quantity,
                "logo_size": logo,
                "complimentary_passes": passes,
                "included_booths": booths,
                "speaking_slot": slot,
                "benefits_ja": ben_ja,
                "benefits_en": ben_en,
                "position": position,
            },
        )
    return tiers


def _booths(edition) -> dict[str, Booth]:
    booths = {}
    for zone, prefix, row, size, price in ZONES:
        for number in range(1, 11):
            corner = number in (1, 10) and size == 3
            booth = Booth(
                edition_id=edition.id,
                code=f"{prefix}-{number:02d}",
                zone=zone,
                x=(number - 1) * size + (2 if number > 5 else 0),  # an aisle in the middle
                y=row,
                width=size,
                depth=size,
                price=price + (30_000 if corner else 0),
                exhibitor_passes=2 if size == 3 else 1,
            )
            db.session.add(booth)
            booths[booth.code] = booth
    for code, name_ja, name_en, price in OPTIONS:
        db.session.add(
            BoothOption(
                edition_id=edition.id, code=code, name_ja=name_ja, name_en=name_en, price=price
            )
        )
    db.session.commit()
    return booths


def _user(email: str, name: str, organisation: str, language: str = "ja", password=None) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(
            email=email,
            name=name,
            organization=organisation,
            language=language,
            password_hash=hash_password(password or secrets.token_urlsafe(16)),
            email_verified_at=utcnow(),
        )
        db.session.add(user)
        db.session.commit()
    return user


def _logo(text: str, colour: tuple[int, int, int]):
    """A stand-in logo: a coloured square and the name, smaller for a long name so that it is
    not cut off at the right edge ("Minato Electric Pov")."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 160), "white")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((8, 8, 152, 152), radius=24, fill=colour)
    size = 36
    while size > 12 and draw.textlength(text, font_size=size) > image.width - 180 - 16:
        size -= 2
    draw.text((180, 80), text, fill=colour, font_size=size, anchor="lm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


def _apply(
    edition,
    user,
    company_ja,
    company_en,
    contact,
    email,
    address,
    *,
    tier=None,
    booths=(),
    options=None,
    language="ja",
    number="",
    days_ago=10,
):
    application = services.submit_application(
        user,
        edition,
        services.ApplicationData(
            company_name_ja=company_ja,
            company_name_en=company_en,
            registration_number=number,
            billing_address=address,
            contact_name=contact,
            contact_email=email,
            tier_id=tier.id if tier else None,
            booth_ids=[b.id for b in booths],
            options=options or {},
            language=language,
        ),
    )
    application.submitted_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return application


def _profile(application, website: str, about_ja: str, about_en: str, colour) -> None:
    services.save_profile(
        application,
        company_name_ja=application.company_name_ja,
        company_name_en=application.company_name_en,
        website=website,
        description_ja=about_ja,
        description_en=about_en,
        logo_stream=_logo(application.company_name_en, colour),
    )


def load(edition) -> None:
    now = utcnow()
    tiers = _tiers(edition)
    booths = _booths(edition)
    power = db.session.scalar(
        select(BoothOption).where(BoothOption.edition_id == edition.id, BoothOption.code == "power")
    )
    organiser = db.session.scalar(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ORGANISER)
        .order_by(User.id)
    ) or _user("sponsor-desk@convention.example", "Sponsor desk", "")
    services.save_budget(edition, 12_000_000, 6_000_000, 3_000_000)

    # Paid Platinum sponsor: the demo sponsor login. Two booths included, with electricity.
    email, password = DEMO_SPONSOR
    sponsor = _user(email, "みなと電力 広報部 山田 太郎", "みなと電力株式会社", password=password)
    platinum = _apply(
        edition,
        sponsor,
        "みなと電力株式会社",
        "Minato Electric Power",
        "広報部 山田 太郎",
        email,
        "神奈川県みなと市中区港町3-1",
        tier=tiers["Platinum"],
        booths=[booths["A-05"], booths["A-06"]],
        options={booths["A-05"].id: [power.id]},
        number="T7000012050002",
        days_ago=60,
    )
    services.approve(platinum, organiser, now=now - timedelta(days=50))
    order = services.order_of(platinum)
    billing.record_payment(
        order,
        order.total,
        received_on=(now - timedelta(days=30)).date(),
        payer_name="ﾐﾅﾄﾃﾞﾝﾘﾖｸ(ｶ",
        reference=order.reference,
    )
    _profile(
        platinum,
        "https://minato-power.example",
        "地域の再エネ100%電力を供給します。",
        "Supplying the city with 100% renewable electricity.",
        (21, 92, 67),
    )

    # Paid booth (was billing's demo order for Green Tech).
    greentech = _apply(
        edition,
        _user("keiri@greentech.example", "経理部 佐藤 花子", "株式会社グリーンテック"),
        "株式会社グリーンテック",
        "Green Tech KK",
        "経理部 佐藤 花子",
        "keiri@greentech.example",
        "東京都港区芝1-2-3",
        booths=[booths["A-03"]],
        days_ago=30,
    )
    services.approve(greentech, organiser, now=now - timedelta(days=20))
    order = services.order_of(greentech)
    billing.record_payment(
        order,
        order.total,
        received_on=(now - timedelta(days=5)).date(),
        payer_name="ｶ)ｸﾞﾘｰﾝﾃｯｸ",
        reference=order.reference,
        method=PaymentMethod.BANK_TRANSFER,
    )
    _profile(greentech, "https://greentech.example", "", "", (31, 90, 166))

    # Partly paid: a corner booth with electricity; the transfer was short.
    nordic = _apply(
        edition,
        _user("lars@nordicwind.example", "Lars Nielsen", "Nordic Wind A/S", "en"),
        "ノルディック・ウィンド",
        "Nordic Wind A/S",
        "Lars Nielsen",
        "lars@nordicwind.example",
        "Copenhagen, Denmark",
        booths=[booths["B-01"]],
        options={booths["B-01"].id: [power.id]},
        language="en",
        days_ago=25,
    )
    services.approve(nordic, organiser, now=now - timedelta(days=15))
    billing.record_payment(
        services.order_of(nordic),
        198_000,
        payer_name="NORDIC WIND A/S",
        method=PaymentMethod.BANK_TRANSFER,
    )

    # Overdue Silver sponsorship (was billing's demo order for Minato Gas).
    gas = _apply(
        edition,
        _user("soumu@minato-gas.example", "総務課 田中 一郎", "みなとガス株式会社"),
        "みなとガス株式会社",
        "Minato Gas",
        "総務課 田中 一郎",
        "soumu@minato-gas.example",
        "みなと市西区2-3",
        tier=tiers["Silver"],
        days_ago=50,
    )
    services.approve(
        gas, organiser, now=now - timedelta(days=45), due_date=(now - timedelta(days=15)).date()
    )

    # Approved Gold with its included booth, invoiced this week.
    hydrogen = _apply(
        edition,
        _user("info@yokohama-h2.example", "Aya Mori", "Yokohama Hydrogen", "en"),
        "横浜水素株式会社",
        "Yokohama Hydrogen",
        "Aya Mori",
        "info@yokohama-h2.example",
        "横浜市西区みなとみらい2-2-1",
        tier=tiers["Gold"],
        booths=[booths["B-05"]],
        language="en",
        days_ago=9,
    )
    services.approve(hydrogen, organiser, now=now - timedelta(days=3))
    _profile(
        hydrogen,
        "https://yokohama-h2.example",
        "水素で港を脱炭素化。",
        "Decarbonising the port with hydrogen.",
        (166, 60, 31),
    )

    # A paid Supporter (name only on the page).
    coop = _apply(
        edition,
        _user("hello@solar-coop.example", "市民 太陽", "みなと市民共同発電"),
        "みなと市民共同発電",
        "Minato Citizens' Solar Co-op",
        "市民 太陽",
        "hello@solar-coop.example",
        "みなと市南区1-1",
        tier=tiers["Supporter"],
        days_ago=20,
    )
    services.approve(coop, organiser, now=now - timedelta(days=18))
    order = services.order_of(coop)
    billing.record_payment(order, order.total, payer_name="ｼﾐﾝｷﾖｳﾄﾞｳﾊﾂﾃﾞﾝ")

    # Waiting for review: a Gold sponsor and a start-up booth.
    _apply(
        edition,
        _user("contact@bluecarbon.example", "Ken Ito", "Blue Carbon Lab", "en"),
        "ブルーカーボン研究所",
        "Blue Carbon Lab",
        "Ken Ito",
        "contact@bluecarbon.example",
        "みなと市金沢区5-5",
        tier=tiers["Gold"],
        booths=[booths["B-08"]],
        language="en",
        days_ago=2,
    )
    _apply(
        edition,
        _user("info@solarshare.example", "高橋 陽", "横浜ソーラーシェア"),
        "横浜ソーラーシェア株式会社",
        "Yokohama Solar Share",
        "高橋 陽",
        "info@solarshare.example",
        "横浜市港北区1-2",
        booths=[booths["C-02"]],
        days_ago=1,
    )

    # Rejected and withdrawn.
    fossil = _apply(
        edition,
        _user("pr@fossil.example", "PR Desk", "Fossil Holdings", "en"),
        "フォッシル・ホールディングス",
        "Fossil Holdings",
        "PR Desk",
        "pr@fossil.example",
        "Tokyo",
        tier=tiers["Silver"],
        language="en",
        days_ago=12,
    )
    services.reject(
        fossil,
        "The convention's sponsors publish a decarbonisation plan. Please send yours and "
        "apply again.",
        organiser,
    )
    cafe = _apply(
        edition,
        _user("cafe@green.example", "緑 花子", "グリーンカフェ"),
        "グリーンカフェ",
        "Green Café",
        "緑 花子",
        "cafe@green.example",
        "みなと市中区3-3",
        tier=tiers["Supporter"],
        days_ago=6,
    )
    services.withdraw(cafe)

    # Somebody is picking a booth on the map right now.
    services.hold_booth(
        _user("browsing@ecofurniture.example", "木村 緑", "エコ家具工房"), booths["C-07"]
    )

    _staff_and_leads(edition, db.session.get(SponsorApplication, platinum.id))


def _staff_and_leads(edition, platinum: SponsorApplication) -> None:
    """Three of Minato Electric Power's staff register with its pass code and scan visitors."""
    passes = {p.category.value: p for p in services.ensure_passes(platinum)}
    staff_pass = passes.get("sponsor_staff")
    if staff_pass is None:
        return
    ticket_type = db.session.get(TicketType, staff_pass.ticket_type_id)
    staff = []
    for number, name in enumerate(("展示 一郎", "展示 二郎", "Emma Booth"), start=1):
        user = _user(f"staff{number}@minato-power.example", name, "みなと電力株式会社")
        registration.register(
            user,
            ticket_type,
            {"organization": "みなと電力株式会社", "country": "JP"},
            access_code=staff_pass.code,
            edition=edition,
            notify=False,
        )
        staff.append(user)
    visitors = db.session.scalars(
        select(Registration)
        .join(Presence, Presence.registration_id == Registration.id)
        .where(
            Registration.edition_id == edition.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.consent_share_with_sponsors.is_(True),
        )
        .order_by(Registration.id)
        .distinct()
        .limit(8)
    ).all()
    notes = [
        ("hot", "工場の屋根置き太陽光を検討中。見積もり希望。"),
        ("warm", "Interested in green electricity for their offices from April."),
        ("cold", ""),
        ("hot", "Wants a PPA proposal before the end of the fiscal year."),
        ("warm", "資料送付"),
    ]
    for index, visitor in enumerate(visitors):
        outcome = services.scan_lead(
            platinum, visitor.badge_token, staff[index % len(staff)], secrets.token_hex(8)
        )
        if outcome.ok and index < len(notes):
            services.update_lead(outcome.lead, *notes[index])
