"""`flask demo load` on an empty database, as a newcomer runs it through `make run`: it must
finish, show a convention in progress, and every page must then answer without a 500."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from convention.extensions import db
from convention.timeutil import EVENT_ZONE

pytestmark = pytest.mark.xdist_group("demo")


def count(statement) -> int:
    return db.session.scalar(select(func.count()).select_from(statement.subquery()))


def _assert_convention_in_progress() -> None:
    from convention.billing.models import Invoice, Order
    from convention.checkin.models import CheckInList, ListKind, Scan, ScanResult
    from convention.events.models import Edition
    from convention.kpi.models import KpiTarget
    from convention.matching.models import FollowUp, Meeting, MeetingStatus
    from convention.registration.models import Registration, RegistrationStatus, SessionSignup

    today = datetime.now(EVENT_ZONE).date()
    edition = db.session.scalar(select(Edition).where(Edition.is_current))
    assert edition is not None
    assert edition.start_date <= today <= edition.end_date

    def registrations(status):
        return count(select(Registration.id).where(Registration.status == status))

    assert registrations(RegistrationStatus.CONFIRMED) >= 100
    assert registrations(RegistrationStatus.WAITLISTED) >= 1
    assert registrations(RegistrationStatus.CANCELLED) >= 1
    assert count(select(SessionSignup.id)) >= 50
    assert count(select(Order.id)) >= 1
    assert count(select(Invoice.id)) >= 1

    door_scans = count(
        select(Scan.id)
        .join(CheckInList, Scan.checkin_list_id == CheckInList.id)
        .where(CheckInList.kind == ListKind.MAIN_DOOR, Scan.result == ScanResult.OK)
    )
    assert door_scans >= 10
    assert count(select(Meeting.id).where(Meeting.published_at.is_not(None))) >= 5
    assert count(select(Meeting.id).where(Meeting.status == MeetingStatus.HELD)) >= 1
    assert count(select(FollowUp.id).where(FollowUp.deal)) >= 1
    assert count(select(KpiTarget.id).where(KpiTarget.target > 0)) >= 1


# Pages a newcomer opens after `make run`, by who opens them. None may answer 500.
PUBLIC_PAGES = ["/", "/programme", "/register", "/seminars", "/matching", "/privacy"]
ATTENDEE_PAGES = ["/my/registration", "/seminars", "/matching", "/programme"]
DOOR_PAGES = ["/checkin/scan"]
ORGANISER_PAGES = [
    "/admin/registrations",
    "/admin/billing/",
    "/admin/kpi",
    "/admin/editions/",
    "/admin/outbox/",
    "/matching/admin",
]


def _parameterless_get_urls(app) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint == "static":
            continue
        if rule.rule.startswith(("/api/", "/language", "/readyz", "/healthz")):
            continue  # the API and probes answer machines (readyz: 503 until migrated)
        urls.append(rule.rule)
    return sorted(urls)


def _pages_of_demo_records() -> list[str]:
    """One page of each kind of record the demo made."""
    from convention.billing.models import Order
    from convention.events.models import Edition, Session
    from convention.mail.models import OutboxMessage
    from convention.matching.models import MatchProfile, Meeting, MeetingStatus
    from convention.registration.models import Registration

    def first(column, *where):
        return db.session.scalar(select(column).where(*where).order_by(column).limit(1))

    edition = db.session.scalar(select(Edition).where(Edition.is_current))
    upcoming = MeetingStatus.SCHEDULED
    return [
        f"/programme/{first(Session.slug)}",
        f"/kpi/summary/{edition.slug}",
        f"/admin/editions/{edition.id}/",
        f"/admin/registrations/{first(Registration.id)}",
        f"/admin/billing/orders/{first(Order.id)}",
        f"/admin/outbox/{first(OutboxMessage.id)}",
        f"/matching/p/{first(MatchProfile.id)}",
        # A board with meetings still to come, so its move form is there: day 1's are all marked.
        # (The form sweep used to find it only after clearing a mark on the door page's full list.)
        f"/matching/admin/sessions/{first(Meeting.session_id, Meeting.status == upcoming)}",
    ]


def _log_in(client, email: str, password: str) -> None:
    from convention.accounts.models import User

    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def _sweep(app, client, urls) -> list[str]:
    broken = []
    for url in urls:
        for language in ("en", "ja"):
            response = client.get(url, headers={"Accept-Language": language})
            if response.status_code >= 500:
                broken.append(f"{url} ({language}): {response.status_code}")
    return broken


def test_demo_load_shows_a_convention_in_progress_and_every_page_answers(app, runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "organiser@convention.example" in result.output
    assert "organiser-demo-pass" in result.output
    assert "door@convention.example" in result.output
    assert "attendee@convention.example" in result.output
    assert "attendee-demo-pass" in result.output
    db.session.remove()

    _assert_convention_in_progress()

    broken = _sweep(app, app.test_client(), PUBLIC_PAGES)
    attendee = app.test_client()
    _log_in(attendee, "attendee@convention.example", "attendee-demo-pass")
    broken += _sweep(app, attendee, ATTENDEE_PAGES)
    door = app.test_client()
    _log_in(door, "door@convention.example", "door-demo-pass")
    broken += _sweep(app, door, DOOR_PAGES)
    organiser = app.test_client()
    _log_in(organiser, "organiser@convention.example", "organiser-demo-pass")
    pages = ORGANISER_PAGES + _parameterless_get_urls(app) + _pages_of_demo_records()
    broken += _sweep(app, organiser, pages)
    assert not broken, broken

    # `make run` loads the demo only into an empty database.
    again = runner.invoke(args=["demo", "load", "--if-empty"])
    assert again.exit_code == 0, again.output
    assert "nothing to do" in again.output


def test_a_demo_logo_shows_the_whole_company_name():
    from PIL import Image

    from convention.sponsors.demo import _logo

    logo = Image.open(_logo("Yokohama Hydrogen Solutions KK", (166, 60, 35))).convert("L")
    right_edge = logo.crop((logo.width - 12, 0, logo.width, logo.height))
    assert right_edge.getextrema() == (255, 255), "the name runs off the logo"
