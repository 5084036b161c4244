"""Orders, the state machine, invoices (numbering, immutability, cancellation) and payments."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from convention.billing import services
from convention.billing.models import (
    ORDER_TRANSITIONS,
    BillingError,
    DocumentKind,
    ImmutableInvoiceError,
    Invoice,
    OrderStatus,
    Payment,
    ProductFamily,
    can_transition,
)
from convention.extensions import db
from tests.billing.conftest import invoiced_order, make_order


def test_state_machine_allows_only_the_listed_transitions():
    assert can_transition(OrderStatus.DRAFT, OrderStatus.INVOICED)
    assert can_transition(OrderStatus.INVOICED, OrderStatus.PARTIALLY_PAID)
    assert can_transition(OrderStatus.PARTIALLY_PAID, OrderStatus.PAID)
    assert can_transition(OrderStatus.PAID, OrderStatus.REFUNDED)
    assert not can_transition(OrderStatus.DRAFT, OrderStatus.PAID)
    assert not can_transition(OrderStatus.PAID, OrderStatus.CANCELLED)
    assert not ORDER_TRANSITIONS[OrderStatus.CANCELLED]
    assert not ORDER_TRANSITIONS[OrderStatus.REFUNDED]


def test_refused_transition_leaves_the_order_as_it_was(app, issuer):
    order = make_order()
    with pytest.raises(BillingError, match="cannot become"):
        services.transition(order, OrderStatus.PAID)
    assert order.status == OrderStatus.DRAFT


def test_order_gets_a_reference_with_a_check_digit(app):
    order = make_order()
    assert order.reference.startswith("C")
    assert services.find_reference(f"振込 {order.reference} グリーンテック") == order.reference
    # Bank statements drop hyphens and use full-width letters.
    squashed = order.reference.replace("-", "")
    assert services.find_reference(f"Ｃ{squashed[1:]} ｸﾞﾘｰﾝﾃｯｸ") == order.reference
    wrong = order.reference[:-1] + str((int(order.reference[-1]) + 1) % 10)
    assert services.find_reference(wrong) is None


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (services.Line("x", "x", unit_price=-1), "unit_price"),
        (services.Line("x", "x", unit_price=100, quantity=0), "quantity"),
        (services.Line("x", "x", unit_price=100, tax_rate=5), "tax_rate"),
        (services.Line("x", "x", unit_price=99.5), "unit_price"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_stored(app, line, field):
    with pytest.raises(BillingError) as error:
        services.create_order(services.Buyer("A", "a@example.org"), ProductFamily.BOOTH, [line])
    assert error.value.field == field
    assert services.count_orders() == 0


def test_issuing_copies_everything_and_moves_the_order(app, issuer):
    order = make_order(prices=(333, 333, 334))
    invoice = services.issue_invoice(order, language="ja")
    assert order.status == OrderStatus.INVOICED
    assert invoice.display_number == "INV-000001"
    assert invoice.total == 1100 and invoice.tax_total == 100
    snap = invoice.snapshot
    assert snap["issuer"]["registration_number"] == "T7000012050002"
    assert snap["rates"] == [{"rate": 10, "net": 1000, "tax": 100, "gross": 1100}]
    assert snap["bank"]["account_holder_kana"].startswith("ミナト")
    assert snap["reference"] == order.reference
    assert snap["due_date"] == invoice.due_date.isoformat()
    assert (invoice.due_date - invoice.issue_date).days == 30


def test_invoice_needs_complete_issuer_settings(app):
    order = make_order()
    with pytest.raises(BillingError, match="issuer settings"):
        services.issue_invoice(order)
    assert order.status == OrderStatus.DRAFT
    assert db.session.scalar(select(Invoice.id)) is None


def test_an_order_is_invoiced_once(app, issuer):
    order = invoiced_order()
    with pytest.raises(BillingError, match="already has an invoice"):
        services.issue_invoice(order)


def test_numbers_are_sequential_and_a_failure_leaves_no_gap(app, issuer):
    first = services.issue_invoice(make_order())
    with pytest.raises(BillingError):
        services.issue_invoice(first.order)  # refused: no number consumed
    second = services.issue_invoice(make_order())
    assert (first.number, second.number) == (1, 2)


def test_bad_bad_issuer_registration_number_is_refused(app, issuer):
    with pytest.raises(BillingError) as error:
        services.update_issuer(registration_number="T1234567890123")
    assert error.value.field == "registration_number"
    db.session.expire_all()
    assert services.get_issuer().registration_number == "T7000012050002"


def test_issued_invoice_cannot_change_or_be_deleted(app, issuer):
    invoice = services.issue_invoice(make_order())
    invoice.total = 1
    with pytest.raises(ImmutableInvoiceError):
        db.session.commit()
    db.session.rollback()
    invoice.snapshot = {**invoice.snapshot, "total": 1}
    with pytest.raises(ImmutableInvoiceError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(invoice)
    with pytest.raises(ImmutableInvoiceError):
        db.session.flush()
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).total == 110_000


def test_cancellation_document_refers_to_the_original_and_keeps_it(app, issuer):
    order = invoiced_order()
    original = order.current_invoice
    cancellation = services.cancel_invoice(original, "Booth no longer available")
    assert cancellation.kind == DocumentKind.CANCELLATION
    assert cancellation.original_id == original.id
    assert cancellation.display_number == "CN-000001"
    assert cancellation.total == -original.total
    assert cancellation.snapshot["original"]["number"] == original.display_number
    assert order.status == OrderStatus.CANCELLED
    assert original.snapshot["total"] == 110_000  # unchanged
    assert order.current_invoice is None
    with pytest.raises(BillingError, match="already cancelled"):
        services.cancel_invoice(original, "again")


def test_cancellation_needs_a_reason(app, issuer):
    order = invoiced_order()
    with pytest.raises(BillingError) as error:
        services.cancel_invoice(order.current_invoice, "  ")
    assert error.value.field == "reason"
    assert order.status == OrderStatus.INVOICED


def test_correction_reopens_the_order_and_issues_a_new_number(app, issuer):
    order = invoiced_order(prices=(100_000,))
    first = order.current_invoice
    services.record_payment(order, 50_000)
    services.cancel_invoice(first, "Wrong amount", reopen=True)
    assert order.status == OrderStatus.DRAFT
    services.replace_lines(order, [services.Line("協賛", "Sponsorship", unit_price=50_000)])
    second = services.issue_invoice(order)
    assert second.number == 2 and second.total == 55_000
    # The payment kept from before counts against the corrected invoice.
    assert order.status == OrderStatus.PARTIALLY_PAID
    assert order.outstanding == 5_000
    assert {i.display_number for i in order.invoices} == {"INV-000001", "INV-000002", "CN-000001"}


def test_cancelling_a_paid_order_is_refused_refund_instead(app, issuer):
    order = invoiced_order()
    services.record_payment(order, 110_000)
    with pytest.raises(BillingError):
        services.cancel_invoice(order.current_invoice, "no")
    cancellation = services.refund_order(order, "Event cancelled")
    assert order.status == OrderStatus.REFUNDED
    assert order.amount_paid == 0
    assert cancellation.original_id == order.invoices[0].id


def test_payments_move_the_order_and_make_a_receipt(app, issuer):
    order = invoiced_order(prices=(100_000,))
    services.record_payment(order, 60_000, payer_name="ｸﾞﾘｰﾝﾃｯｸ")
    assert order.status == OrderStatus.PARTIALLY_PAID
    assert order.outstanding == 50_000
    assert order.receipt is None
    services.record_payment(order, 50_000, received_on=date(2025, 10, 1))
    assert order.status == OrderStatus.PAID
    assert order.receipt.display_number == "RC-000001"
    assert order.receipt.amount == 110_000


def test_overpayment_is_recorded_and_visible(app, issuer):
    order = invoiced_order(prices=(10_000,))
    services.record_payment(order, 12_000)
    assert order.status == OrderStatus.PAID
    assert order.overpaid == 1_000
    assert order.outstanding == -1_000


@pytest.mark.parametrize("amount", [0, -100, 10.5, True])
def test_bad_payment_amounts_are_refused(app, issuer, amount):
    order = invoiced_order()
    with pytest.raises(BillingError) as error:
        services.record_payment(order, amount)
    assert error.value.field == "amount"
    assert db.session.scalar(select(Payment.id)) is None


def test_payment_for_a_draft_is_refused(app, issuer):
    order = make_order()
    with pytest.raises(BillingError, match="invoiced order"):
        services.record_payment(order, 100)


def test_same_external_id_is_one_payment(app, issuer):
    order = invoiced_order(prices=(1000,))
    first = services.record_payment(order, 500, external_id="bank:abc")
    again = services.record_payment(order, 500, external_id="bank:abc")
    assert first.id == again.id
    assert order.amount_paid == 500


def test_paid_hook_is_called_once_inside_the_payment(app, issuer):
    seen = []

    def confirm(order):
        seen.append((order.id, order.status))

    services.on_paid("booth", confirm)
    services.on_paid("booth", confirm)  # registering twice still calls once
    order = invoiced_order(prices=(1000,), family=ProductFamily.BOOTH)
    other = invoiced_order(prices=(1000,), family=ProductFamily.SPONSORSHIP)
    services.record_payment(order, 1100)
    services.record_payment(other, 1100)
    assert seen == [(order.id, OrderStatus.PAID)]
    services._hooks.clear()


def test_order_for_a_registration(app, issuer):
    from convention.accounts.models import ParticipantCategory
    from convention.registration.models import Registration, RegistrationStatus, TicketType
    from tests.factories import make_edition, make_user

    edition = make_edition(start=services.today_local() + timedelta(days=10))
    user = make_user(name="Aiko Tanaka", language="en")
    ticket = TicketType(
        edition=edition,
        name_ja="一般",
        name_en="General",
        category=ParticipantCategory.GENERAL,
        price=3300,
    )
    registration = Registration(
        edition=edition,
        user=user,
        ticket_type=ticket,
        status=RegistrationStatus.AWAITING_PAYMENT,
        category=ParticipantCategory.GENERAL,
    )
    db.session.add_all([ticket, registration])
    db.session.commit()
    order = services.create_order_for_registration(registration)
    assert order.family == ProductFamily.TICKET
    assert order.status == OrderStatus.INVOICED
    assert (order.source, order.source_id) == ("registration", registration.id)
    assert order.total == 3300 and order.tax_total == 300  # tax included
    assert order.current_invoice.language == "en"
    # Due the day before the convention opens, not 30 days later.
    assert order.current_invoice.due_date == edition.start_date - timedelta(days=1)
    assert services.order_for_source("registration", registration.id) == order


def test_database_refuses_to_change_an_issued_invoice_behind_the_orm(app, issuer):
    import sqlalchemy as sa

    invoice = services.issue_invoice(make_order())
    with pytest.raises(sa.exc.DatabaseError):
        db.session.execute(
            sa.text("UPDATE billing_invoice SET total = 1 WHERE id = :id"), {"id": invoice.id}
        )
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).total == 110_000
