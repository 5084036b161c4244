"""Gap-free numbering with many app processes: threads with their own connections issue at
the same moment on PostgreSQL; the locked counter row hands out 1..N exactly once each."""

import threading

import pytest
from sqlalchemy import select

from convention.billing import services
from convention.billing.models import DocumentKind, Invoice, InvoiceSeries, Order, ProductFamily
from convention.extensions import db
from tests.billing.conftest import make_order

WORKERS = 40


def _run_concurrently(app, work, ids):
    barrier = threading.Barrier(len(ids))
    errors = []

    def run(order_id):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                work(db.session.get(Order, order_id))
            except Exception as error:  # collected and asserted below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(order_id,)) for order_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.mark.postgres_only
def test_concurrent_issuing_gives_numbers_1_to_n_without_gaps(app, issuer):
    series_id = services.get_series(DocumentKind.INVOICE).id
    db.session.commit()
    ids = [make_order(family=ProductFamily.BOOTH).id for _ in range(WORKERS)]
    db.session.remove()
    errors = _run_concurrently(app, lambda order: services.issue_invoice(order), ids)
    assert errors == []
    numbers = db.session.scalars(select(Invoice.number).order_by(Invoice.number)).all()
    assert numbers == list(range(1, WORKERS + 1))
    assert db.session.get(InvoiceSeries, series_id).next_number == WORKERS + 1


@pytest.mark.postgres_only
def test_concurrent_issuing_of_one_order_issues_it_once(app, issuer):
    order_id = make_order().id
    db.session.remove()
    errors = _run_concurrently(app, lambda order: services.issue_invoice(order), [order_id] * 8)
    assert len(errors) == 7
    assert all("already has an invoice" in str(error) for error in errors), errors
    assert db.session.scalars(select(Invoice.number)).all() == [1]
