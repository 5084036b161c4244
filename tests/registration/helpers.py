"""Builders for registration tests."""

from __future__ import annotations

from datetime import timedelta

from convention.accounts.models import ParticipantCategory
from convention.extensions import db
from convention.registration import services
from convention.registration.models import TicketType, University
from convention.timeutil import utcnow
from tests.factories import make_user

ANSWERS = {"organization": "Yokohama Green Co.", "country": "JP", "sector": "energy"}
STUDENT_ANSWERS = {
    "organization": "",
    "country": "JP",
    "faculty": "Engineering",
    "study_year": "M1",
}


def make_ticket_type(edition, **fields) -> TicketType:
    ticket_type = TicketType(
        edition_id=edition.id,
        name_ja=fields.pop("name_ja", "一般"),
        name_en=fields.pop("name_en", "General"),
        category=fields.pop("category", ParticipantCategory.GENERAL),
        **fields,
    )
    db.session.add(ticket_type)
    db.session.commit()
    return ticket_type


def make_university(name_en="Yokohama National University", in_city=True) -> University:
    university = University(name_ja=name_en, name_en=name_en, in_city=in_city)
    db.session.add(university)
    db.session.commit()
    return university


def make_registration(ticket_type, user=None, notify=False, **answers):
    """A registration made through the service; no confirmation email unless `notify`
    (rendering the badge PNG for every row would slow the suite down)."""
    user = user or make_user()
    return services.register(user, ticket_type, {**ANSWERS, **answers}, notify=notify)


def past(hours=1):
    return utcnow() - timedelta(hours=hours)


def future(hours=1):
    return utcnow() + timedelta(hours=hours)
