"""Overdue invoices get one reminder per interval, never two, up to the maximum."""

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from convention.billing import services
from convention.billing.models import Reminder
from convention.extensions import db
from convention.timeutil import EVENT_ZONE
from tests.billing.conftest import make_order, pdf_text

ISSUED = datetime(2025, 9, 1, 10, 0, tzinfo=EVENT_ZONE)


def overdue_order(**kwargs):
    order = make_order(**kwargs)
    services.issue_invoice(order, now=ISSUED, due_date=date(2025, 9, 30))
    return order


def reminder_mails(outbox):
    return [m for m in outbox() if m.template == "billing/reminder"]


def test_overdue_list(app, issuer):
    late = overdue_order()
    paid = overdue_order(prices=(1_000,))
    services.record_payment(paid, 1_100)
    on_time = make_order()
    services.issue_invoice(on_time, now=ISSUED, due_date=date(2025, 12, 31))
    assert services.overdue_invoices(date(2025, 10, 1)) == [late.current_invoice]
    assert services.overdue_invoices(date(2025, 9, 30)) == []


def test_reminders_once_per_interval_never_twice(app, issuer, outbox):
    order = overdue_order()
    day = datetime(2025, 10, 1, 9, 0, tzinfo=EVENT_ZONE)
    assert services.send_reminders(day) == 1
    assert services.send_reminders(day) == 0  # same run again
    assert services.send_reminders(day + timedelta(days=6)) == 0  # within the interval
    assert services.send_reminders(day + timedelta(days=7)) == 1
    assert services.send_reminders(day + timedelta(days=14)) == 1
    assert services.send_reminders(day + timedelta(days=21)) == 0  # three is the maximum
    mails = reminder_mails(outbox)
    assert len(mails) == 3
    assert mails[0].recipient == order.buyer_email
    assert order.current_invoice.display_number in mails[0].subject
    assert order.reference in mails[0].body_text
    sequences = db.session.scalars(select(Reminder.sequence).order_by(Reminder.sequence)).all()
    assert sequences == [1, 2, 3]


def test_reminder_row_is_unique_per_invoice_and_sequence(app, issuer):
    import pytest
    from sqlalchemy.exc import IntegrityError

    order = overdue_order()
    invoice = order.current_invoice
    db.session.add(Reminder(invoice=invoice, sequence=1, recipient="a@example.org"))
    db.session.commit()
    db.session.add(Reminder(invoice=invoice, sequence=1, recipient="a@example.org"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 1


def test_paid_and_cancelled_invoices_get_no_reminder(app, issuer, outbox):
    paid = overdue_order(prices=(1_000,))
    services.record_payment(paid, 1_100)
    cancelled = overdue_order()
    services.cancel_invoice(cancelled.current_invoice, "withdrawn")
    assert services.send_reminders(datetime(2025, 10, 5, tzinfo=EVENT_ZONE)) == 0
    assert reminder_mails(outbox) == []


def test_reminder_carries_the_invoice_pdf(app, issuer, outbox):
    import base64
    import json

    overdue_order()
    services.send_reminders(datetime(2025, 10, 1, tzinfo=EVENT_ZONE))
    attachment = json.loads(reminder_mails(outbox)[0].attachments)[0]
    assert attachment["filename"] == "INV-000001.pdf"
    assert "T7000012050002" in pdf_text(base64.b64decode(attachment["data_b64"]))


def test_cli_remind(app, runner, issuer, outbox):
    overdue_order()
    result = runner.invoke(args=["billing", "remind"])
    assert result.exit_code == 0, result.output
    assert "reminders sent: 1" in result.output
    again = runner.invoke(args=["billing", "remind"])
    assert "reminders sent: 0" in again.output
    listing = runner.invoke(args=["billing", "overdue"])
    assert "INV-000001" in listing.output and "reminders=1" in listing.output


def test_organisers_send_due_reminders_as_a_tracked_job(app, issuer, outbox, organiser_client):
    overdue_order()
    response = organiser_client.post("/admin/billing/reminders")
    assert response.status_code == 303
    job_page = organiser_client.get(response.headers["Location"])
    assert "Payment reminders" in job_page.text
    assert "1 reminders sent." in job_page.text
    assert len(reminder_mails(outbox)) == 1
    organiser_client.post("/admin/billing/reminders")  # again at once: nothing more to send
    assert len(reminder_mails(outbox)) == 1
