"""The whole path a sponsor walks: apply (booth held on the map) → organiser approves → the
invoice is issued through billing → payment → complimentary passes → staff scan a lead."""

from __future__ import annotations

import csv
import io

from pypdf import PdfReader
from sqlalchemy import func, select

from convention.billing import services as billing
from convention.billing.models import Order, OrderStatus, ProductFamily
from convention.extensions import db
from convention.registration.models import RegistrationStatus
from convention.sponsors.models import (
    ApplicationStatus,
    Booth,
    BoothClaim,
    ClaimKind,
    Lead,
    SponsorApplication,
)
from tests.conftest import login
from tests.factories import make_issuer, make_user
from tests.sponsors.helpers import (
    make_attendee,
    make_booth,
    make_option,
    make_sponsor_edition,
    make_tier,
    register_with_pass,
)

HX = {"HX-Request": "true", "HX-Target": "booth-picker"}


def test_application_to_approval_invoice_payment_passes_and_lead(app, organiser_client, outbox):
    edition = make_sponsor_edition()
    make_issuer()
    gold = make_tier(edition, "Gold", price=1_000_000, quantity=2, complimentary_passes=2)
    booth = make_booth(edition, "A-01", price=150_000)
    make_booth(edition, "A-02", x=3)
    power = make_option(edition)
    applicant = make_user(name="Hanako Sato", email="hanako@greentech.example")
    client = login(app.test_client(), applicant)

    # The form shows the tier and the booths on the floor plan.
    page = client.get("/sponsors/apply")
    assert page.status_code == 200
    assert "Gold" in page.text and 'data-booth="A-01"' in page.text

    # Picking A-01 on the map holds it for the applicant (htmx swaps the picker).
    picked = client.post(f"/sponsors/apply/booths/{booth.id}", headers=HX)
    assert picked.status_code == 200
    assert 'data-booth="A-01" data-state="mine"' in picked.text
    assert 'id="booth-picker"' in picked.text and "<html" not in picked.text

    sent = client.post(
        "/sponsors/apply",
        data={
            "tier": str(gold.id),
            "booths": [str(booth.id)],
            f"options_{booth.id}": [str(power.id)],
            "company_name_ja": "株式会社グリーンテック",
            "company_name_en": "Green Tech KK",
            "registration_number": "T7000012050002",
            "postal_code": "105-0014",
            "billing_address": "東京都港区芝1-2-3",
            "contact_name": "Hanako Sato",
            "contact_email": "hanako@greentech.example",
            "language": "en",
        },
    )
    assert sent.status_code == 303, sent.text
    application = db.session.scalar(select(SponsorApplication))
    assert sent.headers["Location"].endswith(f"/my/sponsor/{application.id}")
    assert application.status == ApplicationStatus.SUBMITTED
    claim = db.session.scalar(select(BoothClaim).where(BoothClaim.booth_id == booth.id))
    assert claim.kind == ClaimKind.RESERVED and claim.application_id == application.id
    portal = client.get(f"/my/sponsor/{application.id}")
    assert "submitted, waiting for review" in portal.text
    subjects = [(m.recipient, m.subject) for m in outbox()]
    assert ("hanako@greentech.example", "We received your sponsorship application") in subjects
    assert ("organiser@example.org", "New sponsor application: 株式会社グリーンテック") in subjects

    # The organiser sees it in the queue and approves: the invoice is issued through billing.
    queue = organiser_client.get("/admin/sponsors/")
    assert "Green Tech KK" in queue.text and "submitted, waiting for review" in queue.text
    approved = organiser_client.post(f"/admin/sponsors/applications/{application.id}/approve")
    assert approved.status_code == 303
    db.session.expire_all()
    application = db.session.get(SponsorApplication, application.id)
    assert application.status == ApplicationStatus.APPROVED
    order = db.session.get(Order, application.order_id)
    assert order.family == ProductFamily.SPONSORSHIP and order.status == OrderStatus.INVOICED
    assert order.source == "sponsor_application" and order.source_id == application.id
    assert order.user_id == applicant.id
    # Gold 1,000,000 + booth 150,000 + electricity 20,000, plus 10% tax.
    assert order.total == 1_287_000
    claim = db.session.scalar(select(BoothClaim).where(BoothClaim.booth_id == booth.id))
    assert claim.kind == ClaimKind.SOLD
    mails = outbox()
    invoice_mail = [m for m in mails if m.subject.startswith("Invoice ")]
    assert invoice_mail and invoice_mail[0].recipient == "hanako@greentech.example"
    assert any(m.subject == "Your sponsorship application was approved" for m in mails)

    portal = client.get(f"/my/sponsor/{application.id}")
    assert "approved, invoice issued" in portal.text
    invoice = order.current_invoice
    pdf = client.get(f"/my/orders/{order.id}/invoices/{invoice.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Gold sponsorship" in text
    assert "Exhibition booth A-01" in text and "Electricity 1.5 kW (booth A-01)" in text
    assert "1,287,000" in text
    assert "Passes are issued once the invoice is paid." in portal.text

    # The bank transfer arrives: billing records it and tells us.
    billing.record_payment(order, order.total, payer_name="ｸﾞﾘｰﾝﾃｯｸ")
    db.session.expire_all()
    application = db.session.get(SponsorApplication, application.id)
    assert application.status == ApplicationStatus.PAID
    assert any(m.subject == "Payment received: your sponsor passes are ready" for m in outbox())

    # Passes: 2 sponsor-staff passes with the tier, 2 exhibitor passes with the booth.
    portal = client.get(f"/my/sponsor/{application.id}")
    assert "Receipt RC-" in portal.text
    db.session.expire_all()
    application = db.session.get(SponsorApplication, application.id)
    passes = {p.category.value: p for p in application.passes}
    assert {k: p.quantity for k, p in passes.items()} == {"sponsor_staff": 2, "exhibitor": 2}
    staff_code = passes["sponsor_staff"].code
    assert staff_code in portal.text and "0 of 2 used" in portal.text

    # The hidden ticket opens with the code on registration's own page.
    assert "Green Tech KK sponsor staff pass" not in client.get("/register").text
    assert "Green Tech KK sponsor staff pass" in client.get(f"/register?code={staff_code}").text
    staff = register_with_pass(edition, staff_code, name="Kenji Staff")
    assert staff.status == RegistrationStatus.CONFIRMED
    assert staff.category.value == "sponsor_staff"
    assert "1 of 2 used" in client.get(f"/my/sponsor/{application.id}").text

    # The staff member scans a consenting, checked-in visitor at the booth.
    visitor = make_attendee(edition, name="Yuki Visitor", consent=True)
    staff_client = login(app.test_client(), staff.user)
    scan_url = f"/my/sponsor/{application.id}/leads/scan"
    first = staff_client.post(scan_url, json={"token": visitor.badge_token, "nonce": "n-1"})
    assert first.json["status"] == "ok" and first.json["message"] == "Lead saved"
    assert first.json["attendee"]["name"] == "Yuki Visitor"
    again = staff_client.post(scan_url, json={"token": visitor.badge_token, "nonce": "n-2"})
    assert again.json["status"] == "ok" and again.json["message"] == "Lead updated"
    lead = db.session.scalar(select(Lead))
    assert db.session.scalar(select(func.count(Lead.id))) == 1 and lead.scan_count == 2

    saved = staff_client.post(
        f"/my/sponsor/{application.id}/leads/{lead.id}",
        data={f"lead{lead.id}-rating": "hot", f"lead{lead.id}-notes": "=wants a demo"},
        headers={"HX-Request": "true", "HX-Target": f"lead-{lead.id}"},
    )
    assert saved.status_code == 200 and "Saved" in saved.text and "hot" in saved.text
    # Too long: 422 (htmx swaps it, static/js/app.js) with the row and its message.
    refused = staff_client.post(
        f"/my/sponsor/{application.id}/leads/{lead.id}",
        data={f"lead{lead.id}-rating": "hot", f"lead{lead.id}-notes": "x" * 4001},
        headers={"HX-Request": "true", "HX-Target": f"lead-{lead.id}"},
    )
    assert refused.status_code == 422 and "<html" not in refused.text
    assert f'id="lead-{lead.id}"' in refused.text and 'class="error"' in refused.text
    # A NUL (PostgreSQL cannot store one): refused beside the notes, the saved ones kept.
    nul = staff_client.post(
        f"/my/sponsor/{application.id}/leads/{lead.id}",
        data={f"lead{lead.id}-rating": "cold", f"lead{lead.id}-notes": "demo\x00"},
        headers={"HX-Request": "true", "HX-Target": f"lead-{lead.id}"},
    )
    assert nul.status_code == 422 and "characters that are not allowed" in nul.text
    db.session.refresh(lead)
    assert (lead.rating, lead.notes) == ("hot", "=wants a demo")
    page = staff_client.get(f"/my/sponsor/{application.id}/leads")
    assert "Yuki Visitor" in page.text and 'data-scan-url="' in page.text

    exported = client.get(f"/my/sponsor/{application.id}/leads.csv")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Name", "Email", "Organisation"]
    assert rows[1][0] == "Yuki Visitor" and rows[1][6] == "hot"
    assert rows[1][7] == "'=wants a demo"  # a spreadsheet will not run it

    # The public page lists the sponsor under its tier.
    public = app.test_client().get("/sponsors")
    assert "Gold" in public.text and "Green Tech KK" in public.text
    ja = app.test_client().get("/sponsors", headers={"Accept-Language": "ja"})
    assert "Gold（日本語）" in ja.text and "株式会社グリーンテック" in ja.text


def test_booth_only_application_is_billed_as_a_booth(app, organiser):
    from convention.sponsors import services
    from tests.sponsors.helpers import apply

    edition = make_sponsor_edition()
    make_issuer()
    booth = make_booth(edition, "B-01", price=80_000)
    application = apply(edition, booths=[booth])
    services.approve(application, organiser)
    order = services.order_of(application)
    assert order.family == ProductFamily.BOOTH and order.total == 88_000
    assert [line.description_en for line in order.lines] == ["Exhibition booth B-01 (3 m × 3 m)"]
    assert db.session.get(Booth, booth.id).claim.kind == ClaimKind.SOLD
