"""Matching test data: an edition with a matching session, registered participants, profiles."""

from __future__ import annotations

import pytest

from convention.accounts.models import ParticipantCategory
from convention.events.models import SessionKind
from convention.extensions import db
from convention.matching import services
from convention.matching.models import OrganisationType
from convention.registration.models import Registration, RegistrationStatus, TicketType
from tests.factories import make_edition, make_session, make_user


@pytest.fixture(autouse=True)
def english(request):
    """Service messages are asserted in English (outside a request the default is Japanese)."""
    if "app" not in request.fixturenames:
        yield
        return
    from flask_babel import force_locale

    request.getfixturevalue("app")
    with force_locale("en"):
        yield


@pytest.fixture
def edition(app):
    return make_edition(is_current=True)


@pytest.fixture
def ticket_type(edition):
    ticket = TicketType(
        edition=edition, name_ja="一般", name_en="General", category=ParticipantCategory.BUSINESS
    )
    db.session.add(ticket)
    db.session.commit()
    return ticket


@pytest.fixture
def matching_session(edition):
    # 10:00-11:40 JST: five 20-minute slots.
    return make_session(edition, "10:00", 100, kind=SessionKind.MATCHING, capacity=None)


@pytest.fixture
def grid(matching_session):
    return services.setup_grid(matching_session, slot_minutes=20, tables=3, interpreter_tables=1)


def register(user, edition, ticket_type, status=RegistrationStatus.CONFIRMED, **fields):
    registration = Registration(
        edition=edition,
        user=user,
        ticket_type=ticket_type,
        status=status,
        category=ticket_type.category,
        **fields,
    )
    db.session.add(registration)
    db.session.commit()
    return registration


@pytest.fixture
def make_profile(edition, ticket_type):
    def make(
        organisation: str = "Example KK",
        *,
        user=None,
        kind: OrganisationType = OrganisationType.LOCAL_COMPANY,
        country: str = "JP",
        city: str = "Yokohama",
        sectors=("solar",),
        needs=(),
        offers=(),
        languages=("en",),
        **text,
    ):
        user = user or make_user(name=f"{organisation} person", organization=organisation)
        registration = register(user, edition, ticket_type, organization=organisation)
        data = {
            "organisation_type": kind.value,
            "organisation": organisation,
            "country": country,
            "city": city,
            "sectors": list(sectors),
            "need_codes": list(needs),
            "offer_codes": list(offers),
            "languages": list(languages),
            "visible": True,
            **text,
        }
        return services.save_profile(registration, data)

    return make


@pytest.fixture
def pair(make_profile):
    a = make_profile(
        "Hama Energy KK",
        offers=("waste_to_energy",),
        offers_en="Waste-to-energy plants for mid-size cities",
    )
    b = make_profile(
        "Da Nang City",
        kind=OrganisationType.OVERSEAS_CITY,
        country="VN",
        city="Da Nang",
        needs=("waste_to_energy",),
        needs_en="A waste-to-energy plant for 500 t/day",
    )
    return a, b


@pytest.fixture
def published(matching_session, grid, pair):
    """The pair's meeting, requested, accepted, scheduled and published."""
    a, b = pair
    request = services.send_request(a, b)
    services.respond(request, b, accept=True)
    services.schedule_session(matching_session, time_limit=5)
    services.publish(matching_session)
    return request.meeting
