"""Builders for sponsor tests: an edition with tiers and booths, applications in any state."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select

from convention.accounts.models import ParticipantCategory
from convention.billing import services as billing
from convention.checkin import services as checkin
from convention.extensions import db
from convention.registration import services as registration
from convention.registration.models import Registration, TicketType
from convention.sponsors import services
from convention.sponsors.models import Booth, BoothOption, SponsorApplication, SponsorTier
from convention.timeutil import EVENT_ZONE
from tests.factories import make_edition, make_issuer, make_user


def make_sponsor_edition(**fields):
    # The convention is on today (Japan time): the door admits badges, lead scanning is live.
    start = fields.pop("start", datetime.now(EVENT_ZONE).date())
    return make_edition(start=start, is_current=True, **fields)


def make_tier(edition, name_en="Gold", price=1_000_000, quantity=2, **fields) -> SponsorTier:
    tier = SponsorTier(
        edition_id=edition.id,
        name_ja=fields.pop("name_ja", f"{name_en}（日本語）"),
        name_en=name_en,
        price=price,
        quantity=quantity,
        complimentary_passes=fields.pop("complimentary_passes", 3),
        **fields,
    )
    db.session.add(tier)
    db.session.commit()
    return tier


def make_booth(edition, code="A-01", price=150_000, x=0, y=0, zone="A", **fields) -> Booth:
    booth = Booth(
        edition_id=edition.id,
        code=code,
        price=price,
        x=x,
        y=y,
        zone=zone,
        width=fields.pop("width", 3),
        depth=fields.pop("depth", 3),
        exhibitor_passes=fields.pop("exhibitor_passes", 2),
        **fields,
    )
    db.session.add(booth)
    db.session.commit()
    return booth


def make_option(edition, code="power", name_en="Electricity 1.5 kW", price=20_000) -> BoothOption:
    option = BoothOption(
        edition_id=edition.id, code=code, name_ja="電源 1.5kW", name_en=name_en, price=price
    )
    db.session.add(option)
    db.session.commit()
    return option


def data(tier=None, booths=(), company="Green Tech KK", **fields) -> services.ApplicationData:
    return services.ApplicationData(
        company_name_ja=fields.pop("company_name_ja", company),
        company_name_en=fields.pop("company_name_en", company),
        contact_name=fields.pop("contact_name", "Hanako Sato"),
        contact_email=fields.pop("contact_email", "hanako@greentech.example"),
        billing_address=fields.pop("billing_address", "1-2-3 Shiba, Minato-ku, Tokyo"),
        tier_id=tier.id if tier is not None else None,
        booth_ids=[b.id for b in booths],
        language=fields.pop("language", "en"),
        **fields,
    )


def apply(edition, tier=None, booths=(), user=None, **fields) -> SponsorApplication:
    user = user or make_user(name="Hanako Sato")
    return services.submit_application(user, edition, data(tier, booths, **fields))


def paid_application(edition, tier=None, booths=(), user=None, **fields) -> SponsorApplication:
    """Applied, approved by an organiser (invoice issued) and paid in full."""
    make_issuer()
    application = apply(edition, tier, booths, user, **fields)
    organiser = make_user(roles=("organiser",))
    services.approve(application, organiser)
    order = services.order_of(application)
    billing.record_payment(order, order.total)
    return db.session.get(SponsorApplication, application.id)


def register_with_pass(edition, code: str, name="Staff Member", consent=False) -> Registration:
    """Staff register through registration's own service with the pass code."""
    user = make_user(name=name)
    ticket_type = db.session.scalar(select(TicketType).where(TicketType.access_code == code))
    return registration.register(
        user,
        ticket_type,
        {"country": "JP", "organization": "Green Tech KK", "consent_share_with_sponsors": consent},
        access_code=code,
        edition=edition,
        notify=False,
    )


def make_attendee(edition, name="Visitor", consent=True, checked_in=True) -> Registration:
    """A confirmed attendee on a free public ticket, optionally scanned at the main door."""
    ticket_type = db.session.scalar(
        select(TicketType).where(
            TicketType.edition_id == edition.id, TicketType.access_code.is_(None)
        )
    )
    if ticket_type is None:
        ticket_type = TicketType(
            edition_id=edition.id,
            name_ja="一般",
            name_en="General",
            category=ParticipantCategory.BUSINESS,
            price=0,
        )
        db.session.add(ticket_type)
        db.session.commit()
    user = make_user(name=name, email=f"{secrets.token_hex(4)}@visitor.example")
    registered = registration.register(
        user,
        ticket_type,
        {
            "country": "JP",
            "organization": "Visitor Co.",
            "job_title": "Engineer",
            "consent_share_with_sponsors": consent,
        },
        notify=False,
    )
    if checked_in:
        checkin.ensure_lists(edition)
        outcome = checkin.scan(
            registered.badge_token, checkin.MAIN_DOOR_SLUG, nonce=secrets.token_hex(8)
        )
        assert outcome.ok, outcome
    return registered


__all__ = ["billing", "make_issuer"]
