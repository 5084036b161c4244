"""Paid tickets go through billing: an order, an invoice, and confirmation on payment."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from convention.billing import services as billing
from convention.registration import services
from convention.registration.models import RegistrationStatus as RS
from tests.factories import make_edition
from tests.registration.helpers import make_registration, make_ticket_type

VALID_T = "T7000012050002"  # a real, valid check digit


@pytest.fixture
def issuer(app):
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


def test_paid_ticket_gets_an_order_and_is_confirmed_when_paid(app, issuer, outbox):
    edition = make_edition(start=date.today() + timedelta(days=30), is_current=True)
    dinner = make_ticket_type(edition, name_en="Workshop dinner", price=5000, capacity=5)
    registration = make_registration(dinner)
    assert registration.status == RS.AWAITING_PAYMENT
    assert registration.badge_refusal == "unpaid"
    order = billing.order_for_source("registration", registration.id)
    assert order is not None and order.status.value == "invoiced"
    billing.record_payment(order, order.total if hasattr(order, "total") else 5000)
    assert registration.status == RS.CONFIRMED
    assert registration.badge_valid
    assert outbox()[-1].template == "registration/confirmation" or any(
        m.template == "registration/confirmation" and "badge.png" in (m.attachments or "")
        for m in outbox()
    )


def test_paid_ticket_without_issuer_still_reserves_the_place(app):
    edition = make_edition(start=date.today() + timedelta(days=30), is_current=True)
    dinner = make_ticket_type(edition, price=5000, capacity=1)
    registration = make_registration(dinner)
    assert registration.status == RS.AWAITING_PAYMENT
    assert services.held_count(dinner) == 1
    # Cancelling the unpaid order gives the place back to the waiting list.
    waiting = make_registration(dinner)
    assert waiting.status == RS.WAITLISTED
    services.cancel(registration)
    assert waiting.status == RS.AWAITING_PAYMENT


def test_billing_cancelling_the_order_frees_the_place(app, issuer, outbox):
    from tests.conftest import login

    edition = make_edition(start=date.today() + timedelta(days=30), is_current=True)
    dinner = make_ticket_type(edition, price=5000, capacity=1)
    first = make_registration(dinner)
    waiting = make_registration(dinner)
    assert waiting.status == RS.WAITLISTED
    billing.cancel_order(billing.order_for_source("registration", first.id))
    assert first.status == RS.CANCELLED
    assert waiting.status == RS.AWAITING_PAYMENT
    # The promoted person's order is made when they open their page (callbacks cannot commit).
    client = login(app.test_client(), waiting.user)
    page = client.get("/my/registration", headers={"Accept-Language": "en"})
    assert "Pay or download the invoice" in page.text
    assert billing.order_for_source("registration", waiting.id) is not None
