from convention.billing import demo, services, tnumber
from convention.billing.models import OrderStatus
from tests.factories import make_edition


def test_demo_billing_loads_orders_in_every_state(app):
    from convention.sponsors import demo as sponsors_demo

    edition = make_edition()
    demo.load(edition)
    sponsors_demo.load(edition)  # owns the sponsorship and booth orders
    issuer = services.get_issuer()
    assert issuer.complete and tnumber.is_valid(issuer.registration_number)
    statuses = {
        order.status for order in services.db.session.scalars(services.select(services.Order))
    }
    assert statuses == {
        OrderStatus.PAID,
        OrderStatus.PARTIALLY_PAID,
        OrderStatus.INVOICED,
        OrderStatus.DRAFT,
    }
    assert len(services.overdue_invoices()) == 1
    assert services.summary()["total"]["overdue"] == 550_000
