"""Demo billing: the issuer (a fictional city convention committee), the ticket invoices and an
organiser's draft. Paid-ticket orders are made by registration's demo; sponsorship and booth
orders (paid, partly paid, overdue) by sponsors' demo, from its applications."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from convention.billing import services, tnumber
from convention.billing.models import Order, OrderStatus, PaymentMethod, ProductFamily
from convention.billing.services import Buyer, Line
from convention.extensions import db
from convention.registration.models import Registration, RegistrationStatus
from convention.timeutil import utcnow

# A made-up base; tnumber.make adds the National Tax Agency check digit, so it validates.
DEMO_REGISTRATION_NUMBER = tnumber.make("020005010001")


def load(edition) -> None:
    services.update_issuer(
        name_ja="みなと市脱炭素コンベンション実行委員会",
        name_en="Minato City Decarbonization Convention Executive Committee",
        registration_number=DEMO_REGISTRATION_NUMBER,
        postal_code="231-0017",
        address_ja="神奈川県みなと市中区港町1-1 みなと市役所 温暖化対策統括本部内",
        address_en="c/o Climate Action Office, Minato City Hall, 1-1 Minatocho, Naka-ku, "
        "Minato City, Kanagawa",
        phone="045-000-1234",
        email="billing@convention.example",
        bank_name="みなと中央銀行",
        bank_branch="市役所出張所",
        account_type="ordinary",
        account_number="1234567",
        account_holder_kana="ミナトシダツタンソコンベンシヨンジツコウイインカイ",
        payment_terms_days=30,
    )
    now = utcnow()

    # Registration's demo ran first, before any issuer existed: its ticket orders wait as
    # drafts. Invoice them now, as the organiser would once the settings are filled in.
    waiting = db.session.scalars(
        select(Order).where(Order.family == ProductFamily.TICKET, Order.status == OrderStatus.DRAFT)
    ).all()
    paid_next = True
    for ticket_order in waiting:
        registration = db.session.get(Registration, ticket_order.source_id or 0)
        if registration is None or registration.status != RegistrationStatus.AWAITING_PAYMENT:
            services.cancel_order(ticket_order, "Registration cancelled")
            continue
        services.issue_invoice(ticket_order, now=now - timedelta(days=3))
        if paid_next:  # every other one paid by card: registration confirms it
            services.record_payment(
                ticket_order,
                ticket_order.total,
                method=PaymentMethod.CARD,
                payer_name=ticket_order.buyer_name,
                reference=f"demo-card-{ticket_order.id}",
            )
        paid_next = not paid_next

    def order(buyer: Buyer, family: ProductFamily, lines: list[Line]):
        return services.create_order(buyer, family, lines, edition=edition)

    # A draft not yet invoiced.
    order(
        Buyer("鈴木 美咲", "suzuki@ecohouse.example", "エコハウス合同会社"),
        ProductFamily.BOOTH,
        [Line("展示ブース（小）", "Exhibition booth (small)", 80_000)],
    )
