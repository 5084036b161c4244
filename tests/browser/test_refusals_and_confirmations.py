"""app.js, app-wide: a form refused with 422 through htmx shows its messages in place (once)."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from convention.accounts.models import ParticipantCategory
from convention.extensions import db
from convention.matching import services
from convention.matching.models import MatchProfile
from convention.registration.models import Registration, RegistrationStatus, TicketType
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, make_edition, make_user


@pytest.fixture(scope="module")
def profiles(live_server) -> list[tuple[str, int]]:
    """Three matching participants of the current edition: (email, profile id) each."""
    with live_server.app_context():
        edition = make_edition(is_current=True)
        ticket = TicketType(
            edition=edition,
            name_ja="一般",
            name_en="General",
            category=ParticipantCategory.BUSINESS,
        )
        db.session.add(ticket)
        made = []
        for name in ("Hama Energy KK", "Da Nang City", "Johor Port"):
            user = make_user(f"{uuid.uuid4().hex[:8]}@example.org", name=f"{name} person")
            registration = Registration(
                edition=edition,
                user=user,
                ticket_type=ticket,
                status=RegistrationStatus.CONFIRMED,
                category=ticket.category,
            )
            db.session.add(registration)
            db.session.commit()
            profile = services.save_profile(
                registration,
                {
                    "organisation_type": "local_company",
                    "organisation": name,
                    "country": "JP",
                    "sectors": ["solar"],
                    "languages": ["en"],
                    "visible": True,
                },
            )
            made.append((user.email, profile.id))
        return made


def _send(live_server, requester: int, recipient: int) -> int:
    with live_server.app_context():
        found = db.session.get
        return services.send_request(
            found(MatchProfile, requester), found(MatchProfile, recipient)
        ).id


def test_a_refused_htmx_form_shows_its_message_in_place_once(live_server, page, profiles):
    (email, mine), (_, theirs), _ = profiles
    log_in(page, email, PASSWORD)
    page.goto(f"/matching/p/{theirs}")
    # Meanwhile, in another tab, the same request was sent: this form is refused with 422.
    _send(live_server, mine, theirs)
    page.get_by_role("button", name="Send the request").click()

    form = page.locator("#request-form")
    expect(form.locator(".form-errors")).to_contain_text("already an open request")
    expect(form).to_contain_text("Request pending")
    expect(page.locator("#request-form")).to_have_count(1)
    expect(page.locator("#htmx-error")).to_have_count(0)
    expect(page.get_by_text("already an open request")).to_have_count(1)
    assert page.url.endswith(f"/matching/p/{theirs}")  # swapped in place, no navigation
