"""The rules and their refusals: sold-out tiers, booth holds and their expiry, decisions,
cancellation, passes within their count, leads only with consent and after check-in."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from convention.billing import services as billing
from convention.extensions import db
from convention.registration.models import Registration, RegistrationStatus
from convention.sponsors import services
from convention.sponsors.models import (
    ApplicationStatus,
    BoothClaim,
    ClaimKind,
    Lead,
    SponsorApplication,
)
from convention.sponsors.services import SponsorError
from convention.timeutil import utcnow
from tests.factories import make_issuer, make_user
from tests.sponsors.helpers import (
    apply,
    make_attendee,
    make_booth,
    make_sponsor_edition,
    make_tier,
    paid_application,
    register_with_pass,
)


def test_a_sold_out_tier_is_refused_and_a_withdrawal_frees_the_place(app):
    edition = make_sponsor_edition()
    platinum = make_tier(edition, "Platinum", quantity=1)
    first = apply(edition, platinum)
    with pytest.raises(SponsorError, match="The Platinum tier is sold out."):
        apply(edition, platinum, company="Second Co.")
    assert services.tier_places_left([platinum]) == {platinum.id: 0}
    services.withdraw(first)
    assert apply(edition, platinum, company="Second Co.").status == ApplicationStatus.SUBMITTED


def test_a_booth_is_held_for_one_company_until_the_hold_expires(app, frozen_time):
    edition = make_sponsor_edition()
    booth = make_booth(edition)
    alice, bob = make_user(), make_user()
    services.hold_booth(alice, booth)
    with pytest.raises(SponsorError, match="Booth A-01 was just taken by another company"):
        services.hold_booth(bob, booth)
    with pytest.raises(SponsorError, match="Booth A-01 was just taken"):
        apply(edition, booths=[booth], user=bob)
    assert db.session.scalar(select(func.count(SponsorApplication.id))) == 0

    frozen_time.shift(timedelta(minutes=16))  # the hold was never confirmed
    states = {s.booth.code: s.state for s in services.booth_states(edition, alice)}
    assert states == {"A-01": "free"}
    application = apply(edition, booths=[booth], user=bob)
    claim = db.session.scalar(select(BoothClaim))
    assert claim.user_id == bob.id and claim.kind == ClaimKind.RESERVED
    assert claim.application_id == application.id
    # A reservation does not expire while the organisers decide.
    frozen_time.shift(timedelta(days=3))
    with pytest.raises(SponsorError):
        services.hold_booth(alice, booth)


def test_an_own_hold_becomes_the_application(app):
    edition = make_sponsor_edition()
    booth = make_booth(edition)
    user = make_user()
    services.hold_booth(user, booth)
    assert [b.code for b in services.held_by(user, edition)] == ["A-01"]
    application = apply(edition, booths=[booth], user=user)
    assert db.session.scalar(select(BoothClaim)).application_id == application.id
    assert services.held_by(user, edition) == []


def test_rejection_needs_a_reason_frees_the_booths_and_tells_the_applicant(app, outbox):
    edition = make_sponsor_edition()
    booth = make_booth(edition)
    organiser = make_user(roles=("organiser",))
    application = apply(edition, booths=[booth])
    with pytest.raises(SponsorError, match="Give the applicant a reason."):
        services.reject(application, "  ", organiser)
    services.reject(application, "Booths in zone A are for local companies.", organiser)
    assert application.status == ApplicationStatus.REJECTED
    assert db.session.scalar(select(func.count(BoothClaim.id))) == 0
    mail = outbox()[-1]
    assert mail.subject == "Your sponsorship application"
    assert "Booths in zone A are for local companies." in mail.body_text
    with pytest.raises(SponsorError, match="cannot become approved"):
        services.approve(application, organiser)


def test_approval_without_issuer_settings_changes_nothing(app):
    edition = make_sponsor_edition()
    booth = make_booth(edition)
    application = apply(edition, booths=[booth])
    with pytest.raises(SponsorError, match="Fill in the issuer settings"):
        services.approve(application, make_user(roles=("organiser",)))
    db.session.expire_all()
    assert db.session.get(SponsorApplication, application.id).status == ApplicationStatus.SUBMITTED
    assert db.session.scalar(select(BoothClaim)).kind == ClaimKind.RESERVED
    assert services.order_of(application) is None


def test_a_cancelled_invoice_cancels_the_application_and_frees_the_booth(app, outbox):
    edition = make_sponsor_edition()
    make_issuer()
    booth = make_booth(edition)
    organiser = make_user(roles=("organiser",))
    application = apply(edition, booths=[booth])
    services.approve(application, organiser)
    with pytest.raises(SponsorError, match="cannot become approved"):
        services.approve(application, organiser)  # no second invoice
    order = services.order_of(application)
    billing.cancel_invoice(order.current_invoice, "Company withdrew")
    db.session.expire_all()
    assert db.session.get(SponsorApplication, application.id).status == ApplicationStatus.CANCELLED
    assert services.booth_states(edition)[0].state == "free"
    assert outbox()[-1].subject == "Your sponsorship was cancelled"


def test_complimentary_passes_never_exceed_the_tier_count(app):
    edition = make_sponsor_edition()
    tier = make_tier(edition, "Silver", complimentary_passes=2)
    application = paid_application(edition, tier)
    (staff_pass,) = services.ensure_passes(application)
    assert services.ensure_passes(application) == [staff_pass]  # made once
    first = register_with_pass(edition, staff_pass.code, "One")
    second = register_with_pass(edition, staff_pass.code, "Two")
    third = register_with_pass(edition, staff_pass.code, "Three")
    assert [first.status, second.status] == [RegistrationStatus.CONFIRMED] * 2
    assert third.status == RegistrationStatus.WAITLISTED  # no badge: not_yet_valid at the door
    confirmed = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.ticket_type_id == staff_pass.ticket_type_id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    )
    assert confirmed == 2
    assert first.category.value == "sponsor_staff"


def test_no_passes_before_payment(app):
    edition = make_sponsor_edition()
    application = apply(edition, make_tier(edition))
    assert services.ensure_passes(application) == []


@pytest.fixture
def booth_with_staff(app):
    edition = make_sponsor_edition()
    application = paid_application(edition, booths=[make_booth(edition)])
    (exhibitor_pass,) = services.ensure_passes(application)
    assert exhibitor_pass.category.value == "exhibitor"
    staff = register_with_pass(edition, exhibitor_pass.code, "Booth Staff")
    return edition, application, staff.user


def test_a_lead_needs_consent(booth_with_staff):
    edition, application, staff = booth_with_staff
    visitor = make_attendee(edition, consent=False)
    outcome = services.scan_lead(application, visitor.badge_token, staff)
    assert not outcome.ok and outcome.reason == "no_consent"
    assert outcome.message == (
        "This attendee did not agree to share contact details with sponsors: nothing was stored."
    )
    assert db.session.scalar(select(func.count(Lead.id))) == 0


def test_a_lead_needs_a_checked_in_attendee(booth_with_staff):
    edition, application, staff = booth_with_staff
    visitor = make_attendee(edition, consent=True, checked_in=False)
    outcome = services.scan_lead(application, visitor.badge_token, staff)
    assert not outcome.ok and outcome.reason == "not_checked_in"
    assert "has not been checked in" in outcome.message
    assert db.session.scalar(select(func.count(Lead.id))) == 0


def test_unknown_badges_and_unpaid_sponsors_store_nothing(booth_with_staff):
    edition, application, staff = booth_with_staff
    assert services.scan_lead(application, "not-a-badge", staff).reason == "invalid"
    unpaid = apply(edition, make_tier(edition, "Bronze"), company="Unpaid Co.")
    visitor = make_attendee(edition)
    assert services.scan_lead(unpaid, visitor.badge_token, staff).reason == "not_active"
    assert db.session.scalar(select(func.count(Lead.id))) == 0


def test_a_repeat_scan_with_the_same_nonce_counts_once(booth_with_staff):
    edition, application, staff = booth_with_staff
    visitor = make_attendee(edition)
    assert services.scan_lead(application, visitor.badge_token, staff, "n1").ok
    again = services.scan_lead(application, visitor.badge_token, staff, "n1")
    assert again.ok and again.updated
    lead = db.session.scalar(select(Lead))
    assert lead.scan_count == 1 and lead.last_scanned_at <= utcnow()
    with pytest.raises(SponsorError, match="Choose hot, warm or cold."):
        services.update_lead(lead, "lukewarm", "")


def test_revenue_by_tier_and_booth_against_the_budget(app):
    edition = make_sponsor_edition()
    gold = make_tier(edition, "Gold", price=1_000_000, quantity=2)
    silver = make_tier(edition, "Silver", price=500_000, quantity=4)
    a1 = make_booth(edition, "A-01", price=150_000)
    make_booth(edition, "A-02", price=150_000, x=3)
    paid_application(edition, gold, [a1])  # paid: 1,150,000
    apply(edition, silver, company="Pending Co.")  # under review: 500,000
    services.save_budget(edition, 2_300_000, 3_000_000, 600_000)
    figures = services.revenue(edition)
    rows = {row.label_en: row for row in figures["tiers"]}
    assert (rows["Gold"].sold, rows["Gold"].paid) == (1, 1_000_000)
    assert (rows["Silver"].sold, rows["Silver"].pending) == (0, 500_000)
    booths = {row.label_en: row for row in figures["booths"]}
    assert booths["A-01 (A)"].paid == 150_000 and booths["A-01 (A)"].state == "sold"
    assert booths["A-02 (A)"].state == "free"
    assert figures["committed"] == 1_150_000 and figures["coverage"] == 50
    rows = list(csv.reader(io.StringIO(services.revenue_csv(edition).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Kind", "Name", "Sold"]
    assert ["Tier", "Gold", "1", "2", "0", "1000000", "0"] in rows
    assert ["Booth", "A-01 (A)", "1", "1", "0", "150000", "0"] in rows
    assert ["What the convention costs (yen)", "2300000"] in rows
    with pytest.raises(SponsorError):
        services.save_budget(edition, -1, 0, 0)


@pytest.mark.parametrize("app_config", [{"SPONSOR_MAX_HOLDS": 2}])
def test_nobody_holds_more_booths_than_allowed(app):
    edition = make_sponsor_edition()
    booths = [make_booth(edition, f"A-0{n}", x=3 * n) for n in range(1, 4)]
    user = make_user()
    services.hold_booth(user, booths[0])
    services.hold_booth(user, booths[1])
    with pytest.raises(SponsorError, match="You can hold at most 2 booths at a time."):
        services.hold_booth(user, booths[2])
    services.release_booth(user, booths[0])
    services.hold_booth(user, booths[2])


def test_a_tier_quantity_cannot_drop_below_the_places_taken(app):
    edition = make_sponsor_edition()
    tier = make_tier(edition, "Gold", quantity=3)
    apply(edition, tier)
    apply(edition, tier, company="Second")
    values = {name: getattr(tier, name) for name in services.TIER_FIELDS}
    with pytest.raises(SponsorError, match="2 applications already hold this tier"):
        services.save_tier(edition, {**values, "quantity": 1}, tier)
    assert services.save_tier(edition, {**values, "quantity": 2}, tier).quantity == 2


def test_a_refund_closes_the_pass_codes(app, organiser_client):
    from convention.registration.services import RegistrationError

    edition = make_sponsor_edition()
    application = paid_application(edition, make_tier(edition, complimentary_passes=3))
    (staff_pass,) = services.ensure_passes(application)
    kept = register_with_pass(edition, staff_pass.code, "Registered Before")
    order = services.order_of(application)
    refunded = organiser_client.post(
        f"/admin/billing/orders/{order.id}/refund", data={"reason": "Sponsor withdrew"}
    )
    assert refunded.status_code == 303
    db.session.expire_all()
    assert db.session.get(SponsorApplication, application.id).status == (
        ApplicationStatus.CANCELLED
    )
    with pytest.raises(RegistrationError, match="Sales for this ticket closed"):
        register_with_pass(edition, staff_pass.code, "Too Late")
    assert db.session.get(Registration, kept.id).status == RegistrationStatus.CONFIRMED


def test_a_withdrawn_consent_hides_the_lead_from_the_sponsor(booth_with_staff):
    from convention.registration import services as registration

    edition, application, staff = booth_with_staff
    visitor = make_attendee(edition, name="Changed Mind")
    assert services.scan_lead(application, visitor.badge_token, staff).ok
    assert "Changed Mind" in services.leads_csv(application)
    registration.update_answers(
        visitor,
        {"country": "JP", "organization": "Visitor Co.", "consent_share_with_sponsors": False},
    )
    assert services.leads_of(application) == []
    assert "Changed Mind" not in services.leads_csv(application)


def test_a_cancellation_outside_a_request_also_closes_the_pass_codes(app):
    from convention.billing import services as billing
    from convention.registration.services import RegistrationError

    edition = make_sponsor_edition()
    application = paid_application(edition, make_tier(edition, complimentary_passes=2))
    (staff_pass,) = services.ensure_passes(application)
    billing.refund_order(services.order_of(application), "Sponsor withdrew")  # e.g. a CLI run

    with pytest.raises(RegistrationError, match="Sales for this ticket closed"):
        register_with_pass(edition, staff_pass.code, "Too Late")


def test_an_application_with_nothing_to_pay_is_settled_on_approval(app, outbox):
    edition = make_sponsor_edition()
    partner = make_tier(edition, name_en="Media partner", price=0, complimentary_passes=2)
    application = apply(edition, partner)
    services.approve(application, make_user(roles=("organiser",)))

    application = db.session.get(SponsorApplication, application.id)
    assert application.status == ApplicationStatus.PAID
    assert services.order_of(application) is None  # no invoice for nothing
    assert len(services.ensure_passes(application)) == 1  # one code, two places
    approved = [m for m in outbox() if m.template == "sponsors/approved"][-1]
    assert "There is nothing to pay" in approved.body_text
