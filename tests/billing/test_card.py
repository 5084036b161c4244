"""Card payments: a fake transport stands in for the provider's API; webhooks are signed
like the provider signs them (t=..., v1=HMAC-SHA256 of "t.payload")."""

import json
import time

import pytest
from sqlalchemy import func, select

from convention.billing import card, services
from convention.billing.models import OrderStatus, Payment, PaymentSource
from convention.extensions import db
from tests.billing.conftest import invoiced_order
from tests.conftest import login
from tests.factories import make_user

SECRET = "whsec_test_secret"
WEBHOOK = "/api/billing/card-webhook"


class FakeTransport:
    def __init__(self):
        self.calls = []

    def post_form(self, url, data, api_key):
        self.calls.append((url, data, api_key))
        return {"id": "cs_test_1", "url": "https://checkout.example/pay/cs_test_1"}


@pytest.fixture
def transport(app):
    fake = FakeTransport()
    app.extensions["billing_card_provider"] = card.StripeCheckoutProvider(
        "sk_test", SECRET, transport=fake
    )
    return fake


def event_for(order, amount=None, *, event_id="evt_1", session_id="cs_test_1", kind=None):
    return json.dumps(
        {
            "id": event_id,
            "type": kind or "checkout.session.completed",
            "data": {
                "object": {
                    "id": session_id,
                    "payment_status": "paid",
                    "amount_total": order.outstanding if amount is None else amount,
                    "currency": "jpy",
                    "client_reference_id": order.reference,
                    "metadata": {"order_id": str(order.id), "reference": order.reference},
                    "payment_intent": "pi_123",
                }
            },
        }
    ).encode()


def post(client, payload: bytes, signature: str | None = None):
    return client.post(
        WEBHOOK,
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": signature or card.sign(payload, SECRET)},
    )


def payments() -> int:
    return db.session.scalar(select(func.count()).select_from(Payment))


def test_signature_verification():
    payload = b'{"id": "evt"}'
    now = 1_700_000_000
    header = card.sign(payload, SECRET, timestamp=now)
    card.verify_signature(payload, header, SECRET, now=now + 10)
    with pytest.raises(card.SignatureError):
        card.verify_signature(payload + b" ", header, SECRET, now=now)
    with pytest.raises(card.SignatureError):
        card.verify_signature(payload, header, "whsec_other", now=now)
    with pytest.raises(card.SignatureError, match="tolerance"):
        card.verify_signature(payload, header, SECRET, now=now + 301)
    with pytest.raises(card.SignatureError):
        card.verify_signature(payload, "garbage", SECRET, now=now)
    # Several v1 signatures (secret rotation): one match is enough.
    rotated = card.sign(payload, "whsec_old", timestamp=now) + "," + header.split(",")[1]
    card.verify_signature(payload, rotated, SECRET, now=now)


def test_no_provider_no_card_option(app, issuer):
    owner = make_user()
    order = invoiced_order(user=owner)
    client = login(app.test_client(), owner)
    assert "by card" not in client.get(f"/my/orders/{order.id}").text
    refused = client.post(f"/my/orders/{order.id}/pay")
    assert refused.status_code == 303
    assert client.post(WEBHOOK, data=b"{}").status_code == 404


def test_configured_secrets_offer_the_card(app, issuer):
    app.config.update(STRIPE_SECRET="sk_test", STRIPE_WEBHOOK_SECRET=SECRET)
    assert isinstance(card.get_provider(), card.StripeCheckoutProvider)
    assert services.card_available()


def test_checkout_goes_to_the_provider_for_what_is_owed(app, issuer, transport):
    owner = make_user()
    order = invoiced_order(user=owner, prices=(10_000,))
    services.record_payment(order, 1_000)
    client = login(app.test_client(), owner)
    assert "Pay ¥10,000 by card" in client.get(f"/my/orders/{order.id}").text
    answer = client.post(f"/my/orders/{order.id}/pay")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "https://checkout.example/pay/cs_test_1"
    _, data, key = transport.calls[0]
    assert key == "sk_test"
    assert data["line_items[0][price_data][unit_amount]"] == "10000"
    assert data["line_items[0][price_data][currency]"] == "jpy"
    assert data["client_reference_id"] == order.reference
    htmx = client.post(f"/my/orders/{order.id}/pay", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"] == "https://checkout.example/pay/cs_test_1"


def test_valid_webhook_records_one_payment_even_when_replayed(app, client, issuer, transport):
    order = invoiced_order(prices=(3_000,))
    payload = event_for(order)
    first = post(client, payload)
    assert first.status_code == 200 and first.json["result"] == "recorded"
    db.session.expire_all()
    assert order.status == OrderStatus.PAID
    payment = db.session.scalars(select(Payment)).one()
    assert payment.source == PaymentSource.CARD_WEBHOOK and payment.amount == 3_300
    again = post(client, payload)
    assert again.status_code == 200 and again.json["result"] == "duplicate"
    # The provider may also send a second event type for the same session.
    other = event_for(
        order, 3_300, event_id="evt_2", kind="checkout.session.async_payment_succeeded"
    )
    assert post(client, other).json["result"] == "duplicate"
    assert payments() == 1


def test_tampered_or_unsigned_webhook_is_refused_and_nothing_stored(app, client, issuer, transport):
    order = invoiced_order(prices=(3_000,))
    payload = event_for(order)
    signature = card.sign(payload, SECRET)
    tampered = payload.replace(b"3300", b"9999")
    assert post(client, tampered, signature).status_code == 400
    assert post(client, payload, card.sign(payload, "whsec_wrong")).status_code == 400
    stale = card.sign(payload, SECRET, timestamp=int(time.time()) - 3600)
    assert post(client, payload, stale).status_code == 400
    no_header = client.post(WEBHOOK, data=payload, content_type="application/json")
    assert no_header.status_code == 400
    assert no_header.json["status"] == "error"
    assert payments() == 0
    db.session.expire_all()
    assert order.status == OrderStatus.INVOICED


def test_webhook_for_an_unknown_order_is_refused(app, client, issuer, transport):
    order = invoiced_order(prices=(3_000,))
    payload = json.loads(event_for(order))
    payload["data"]["object"]["metadata"] = {"order_id": "999"}
    payload["data"]["object"]["client_reference_id"] = "C99-999999-9"
    body = json.dumps(payload).encode()
    answer = post(client, body)
    assert answer.status_code == 400 and "No order" in answer.json["error"]
    assert payments() == 0


def test_unpaid_session_events_are_ignored(app, client, issuer, transport):
    order = invoiced_order(prices=(3_000,))
    payload = json.loads(event_for(order))
    payload["data"]["object"]["payment_status"] = "unpaid"
    answer = post(client, json.dumps(payload).encode())
    assert answer.json["result"] == "ignored"
    assert payments() == 0


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_webhook_needs_no_csrf_token(app, client, issuer, transport):
    order = invoiced_order(prices=(3_000,))
    assert post(client, event_for(order)).status_code == 200
    assert payments() == 1


def test_other_signed_events_are_acknowledged(app, client, issuer, transport):
    payload = json.dumps({"id": "evt_9", "type": "customer.created", "data": {}}).encode()
    answer = post(client, payload)
    assert answer.status_code == 200 and answer.json["result"] == "ignored"
    garbled = b'{"id": "evt_10", "type": "checkout.session.completed", "data": 5}'
    assert post(client, garbled).status_code == 400
    assert payments() == 0
