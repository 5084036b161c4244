"""Gap-free numbering with many app processes: threads with their own connections issue at
the same moment on PostgreSQL; the locked counter row hands out 1..N exactly once each."""

import pytest
from sqlalchemy import select

from convention.billing import services
from convention.billing.models import DocumentKind, Invoice, InvoiceSeries, Order, ProductFamily
from convention.extensions import db
from tests.billing.conftest import make_order
from tests.helpers import at_once

WORKERS = 40


def _issue(order_id: int):
    def call() -> str:
        services.issue_invoice(db.session.get(Order, order_id))
        return "issued"

    return call


@pytest.mark.postgres_only
def test_concurrent_issuing_gives_numbers_1_to_n_without_gaps(app, issuer):
    series_id = services.get_series(DocumentKind.INVOICE).id
    db.session.commit()
    ids = [make_order(family=ProductFamily.BOOTH).id for _ in range(WORKERS)]
    db.session.remove()
    assert at_once(app, [_issue(order_id) for order_id in ids]) == ["issued"] * WORKERS
    numbers = db.session.scalars(select(Invoice.number).order_by(Invoice.number)).all()
    assert numbers == list(range(1, WORKERS + 1))
    assert db.session.get(InvoiceSeries, series_id).next_number == WORKERS + 1


@pytest.mark.postgres_only
def test_concurrent_issuing_of_one_order_issues_it_once(app, issuer):
    order_id = make_order().id
    db.session.remove()
    results = at_once(app, [_issue(order_id)] * 8)
    assert len(results) == 8 and results.count("issued") == 1, results
    assert all("already has an invoice" in r for r in results if r != "issued"), results
    assert db.session.scalars(select(Invoice.number)).all() == [1]
