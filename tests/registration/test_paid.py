"""Paid tickets go through billing: an order, an invoice, and confirmation on payment."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from convention.billing import services as billing
from convention.registration import services
from convention.registration.models import RegistrationStatus as RS
from tests.factories import make_edition, make_issuer
from tests.registration.helpers import make_registration, make_ticket_type


@pytest.fixture
def issuer(app):
    return make_issuer()


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


def test_cancelling_an_unpaid_registration_cancels_its_invoice(app, issuer, outbox):
    from convention.billing.models import OrderStatus

    edition = make_edition(start=date.today() + timedelta(days=30), is_current=True)
    dinner = make_ticket_type(edition, price=5000, capacity=5)
    registration = make_registration(dinner)
    order = billing.order_for_source("registration", registration.id)
    invoice = order.current_invoice

    services.cancel(registration)

    assert registration.status == RS.CANCELLED
    assert order.status == OrderStatus.CANCELLED
    assert invoice.cancellation is not None  # a cancellation document refers to the invoice
    assert order.outstanding == 0


def test_cancelling_a_paid_registration_leaves_the_refund_to_the_organiser(app, issuer):
    from convention.billing.models import OrderStatus

    edition = make_edition(start=date.today() + timedelta(days=30), is_current=True)
    registration = make_registration(make_ticket_type(edition, price=5000, capacity=5))
    order = billing.order_for_source("registration", registration.id)
    billing.record_payment(order, 5000)

    services.cancel(registration)

    assert registration.status == RS.CANCELLED
    assert order.status == OrderStatus.PAID
