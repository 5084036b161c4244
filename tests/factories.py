"""Small data builders for tests: defaults that make sense, overridable per call."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from convention.accounts.models import ParticipantCategory, Role, User
from convention.accounts.services import create_staff_user, hash_password
from convention.billing import services as billing
from convention.events.models import Edition, Room, Session, SessionKind, SessionLanguage
from convention.extensions import db
from convention.timeutil import EVENT_ZONE, utcnow

PASSWORD = "correct horse battery"
_counter = iter(range(1, 10**9))


def make_user(
    email: str | None = None,
    *,
    roles: tuple[str, ...] = (),
    name: str = "Test Person",
    verified: bool = True,
    category: ParticipantCategory = ParticipantCategory.GENERAL,
    language: str = "en",
    **fields,
) -> User:
    email = email or f"person{next(_counter)}@example.org"
    if roles:
        user = create_staff_user(email, PASSWORD, name, *(Role(r) for r in roles))
        user.language = language
        db.session.commit()
        return user
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(PASSWORD),
        category=category,
        language=language,
        email_verified_at=utcnow() if verified else None,
        **fields,
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_edition(start: date | None = None, days: int = 2, **fields) -> Edition:
    start = start or date(2025, 11, 20)
    number = next(_counter)
    edition = Edition(
        slug=fields.pop("slug", f"edition-{number}"),
        name_ja=fields.pop("name_ja", f"脱炭素コンベンション{number}"),
        name_en=fields.pop("name_en", f"Decarbonization Convention {number}"),
        start_date=start,
        end_date=start + timedelta(days=days - 1),
        **fields,
    )
    db.session.add(edition)
    db.session.commit()
    return edition


def register_confirmed(edition: Edition, users: list[User]) -> list:
    """A business ticket type of the edition and a confirmed registration on it for each user
    (committed): people who may take part in everything, matching included."""
    from convention.registration.models import Registration, RegistrationStatus, TicketType

    ticket = TicketType(
        edition=edition,
        name_ja="ビジネス",
        name_en="Business",
        category=ParticipantCategory.BUSINESS,
    )
    registrations = [
        Registration(
            edition=edition,
            user=user,
            ticket_type=ticket,
            status=RegistrationStatus.CONFIRMED,
            category=ticket.category,
        )
        for user in users
    ]
    db.session.add_all([ticket, *registrations])
    db.session.commit()
    return registrations


def make_room(edition: Edition, name: str = "Room A", capacity: int | None = 100) -> Room:
    room = Room(edition=edition, name_ja=name, name_en=name, capacity=capacity)
    db.session.add(room)
    db.session.commit()
    return room


def jst(day: date, hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=EVENT_ZONE)


def make_session(
    edition: Edition,
    start: str = "10:00",
    minutes: int = 60,
    *,
    day: int = 0,
    room: Room | None = None,
    kind: SessionKind = SessionKind.SEMINAR,
    capacity: int | None = 50,
    **fields,
) -> Session:
    number = next(_counter)
    starts_at = jst(edition.start_date + timedelta(days=day), start)
    session = Session(
        edition=edition,
        room=room,
        slug=fields.pop("slug", f"session-{number}"),
        kind=kind,
        title_ja=fields.pop("title_ja", f"セミナー{number}"),
        title_en=fields.pop("title_en", f"Seminar {number}"),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        capacity=capacity,
        language=fields.pop("language", SessionLanguage.JA),
        **fields,
    )
    db.session.add(session)
    db.session.commit()
    return session


VALID_T = "T7000012050002"  # the National Tax Agency's own corporate number: a valid check digit


def make_issuer():
    """Complete issuer settings, so invoices can be issued."""
    return billing.update_issuer(
        name_ja="みなと市脱炭素コンベンション実行委員会",
        name_en="Minato City Decarbonization Convention Committee",
        registration_number=VALID_T,
        postal_code="231-0005",
        address_ja="神奈川県みなと市中区本町1-1",
        address_en="1-1 Honcho, Naka-ku, Minato City, Kanagawa",
        phone="045-000-0000",
        email="billing@convention.example",
        bank_name="みなと銀行",
        bank_branch="市役所前支店",
        account_type="ordinary",
        account_number="1234567",
        account_holder_kana="ミナトシダツタンソコンベンシヨンジツコウイインカイ",
        payment_terms_days=30,
    )
