"""Card payments through a provider adapter. Stripe Checkout is the reference adapter:
the buyer is sent to the provider's hosted page, and the provider tells us of the payment
through a signed webhook. The HTTP call sits behind `Transport`, so tests use a fake.

With no provider configured (STRIPE_SECRET and STRIPE_WEBHOOK_SECRET unset) card payment is
simply not offered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from flask import current_app

from convention.billing.models import BillingError, Order

SIGNATURE_TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The webhook was not signed by the provider (or is too old to trust)."""


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


@dataclass(frozen=True)
class CardEvent:
    """A provider event reduced to what billing needs."""

    id: str
    type: str
    session_id: str
    paid: bool
    amount: int  # integer yen (JPY is a zero-decimal currency at the provider too)
    currency: str
    order_id: int | None
    reference: str
    payment_id: str


class CardProvider(Protocol):
    name: str

    def create_checkout(
        self, order: Order, amount: int, success_url: str, cancel_url: str
    ) -> CheckoutSession: ...

    def parse_webhook(self, payload: bytes, signature_header: str) -> CardEvent: ...


class Transport(Protocol):
    def post_form(self, url: str, data: dict[str, str], api_key: str) -> dict: ...


class UrllibTransport:
    """The real HTTP call (form-encoded POST with a bearer key), never used in tests."""

    def post_form(self, url: str, data: dict[str, str], api_key: str) -> dict:
        request = urllib.request.Request(
            url,
            data=urllib.parse.urlencode(data).encode(),
            headers={"Authorization": f"Bearer {api_key}"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return json.loads(response.read().decode())


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header value: t=<unix time>,v1=<HMAC-SHA256 of "t.payload">."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    payload: bytes,
    header: str,
    secret: str,
    *,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """Raise SignatureError unless one v1 signature matches and the timestamp is recent."""
    if not header or not secret:
        raise SignatureError("missing signature")
    timestamp = None
    signatures = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureError("malformed signature header")
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise SignatureError("signature does not match")
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise SignatureError("timestamp outside the tolerance")


class StripeCheckoutProvider:
    """Stripe Checkout: create a session, read `checkout.session.*` webhook events."""

    name = "stripe"
    api_url = "https://api.stripe.com/v1/checkout/sessions"

    def __init__(self, secret_key: str, webhook_secret: str, transport: Transport | None = None):
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.transport = transport or UrllibTransport()

    def create_checkout(
        self, order: Order, amount: int, success_url: str, cancel_url: str
    ) -> CheckoutSession:
        description = (
            order.lines[0].description_en
            if order.language == "en"
            else order.lines[0].description_ja
        )
        data = {
            "mode": "payment",
            "success_url": success_url,
            "cancel_url": cancel_url,
            "client_reference_id": order.reference,
            "customer_email": order.buyer_email,
            "metadata[order_id]": str(order.id),
            "metadata[reference]": order.reference,
            "payment_intent_data[metadata][order_id]": str(order.id),
            "line_items[0][quantity]": "1",
            "line_items[0][price_data][currency]": "jpy",
            "line_items[0][price_data][unit_amount]": str(amount),
            "line_items[0][price_data][product_data][name]": f"{order.reference} {description}",
            "locale": "ja" if order.language == "ja" else "en",
        }
        answer = self.transport.post_form(self.api_url, data, self.secret_key)
        return CheckoutSession(id=answer["id"], url=answer["url"])

    def parse_webhook(self, payload: bytes, signature_header: str) -> CardEvent:
        verify_signature(payload, signature_header, self.webhook_secret)
        try:
            event = json.loads(payload.decode())
            if event.get("type") not in PAID_EVENTS:
                # Signed but not ours to act on: acknowledge it so the provider stops resending.
                return CardEvent(
                    str(event.get("id", "")),
                    str(event.get("type", "")),
                    "",
                    False,
                    0,
                    "",
                    None,
                    "",
                    "",
                )
            obj = event["data"]["object"]
            metadata = obj.get("metadata") or {}
            order_id = metadata.get("order_id")
            return CardEvent(
                id=str(event["id"]),
                type=str(event["type"]),
                session_id=str(obj.get("id", "")),
                paid=obj.get("payment_status") == "paid",
                amount=int(obj.get("amount_total") or 0),
                currency=str(obj.get("currency", "")).lower(),
                order_id=int(order_id) if str(order_id or "").isdigit() else None,
                reference=str(obj.get("client_reference_id") or metadata.get("reference") or ""),
                payment_id=str(obj.get("payment_intent") or obj.get("id", "")),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise BillingError(f"unreadable event: {error}") from None


def get_provider() -> CardProvider | None:
    """The configured provider, or None when card payment is not offered. Tests put a
    provider in app.extensions["billing_card_provider"]."""
    app = current_app
    if "billing_card_provider" in app.extensions:
        return app.extensions["billing_card_provider"]
    secret = app.config.get("STRIPE_SECRET")
    webhook_secret = app.config.get("STRIPE_WEBHOOK_SECRET")
    if secret and webhook_secret:
        return StripeCheckoutProvider(secret, webhook_secret)
    return None


PAID_EVENTS = {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
