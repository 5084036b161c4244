"""Billing test helpers: a complete issuer, orders in any state, PDF text."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from convention.billing import services
from convention.billing.models import ProductFamily
from convention.billing.services import Buyer, Line
from tests.factories import make_issuer


@pytest.fixture
def issuer(app):
    return make_issuer()


def make_order(
    *,
    prices=(100_000,),
    rate: int = 10,
    family: ProductFamily = ProductFamily.SPONSORSHIP,
    inclusive: bool = False,
    user=None,
    email: str = "keiri@example.co.jp",
    commit: bool = True,
):
    lines = [
        Line(f"項目{i}", f"Item {i}", unit_price=price, quantity=1, tax_rate=rate)
        for i, price in enumerate(prices, start=1)
    ]
    return services.create_order(
        Buyer(
            name=getattr(user, "name", None) or "経理 太郎",
            email=getattr(user, "email", None) or email,
            organisation="株式会社グリーンテック",
            address="東京都千代田区1-1",
            user_id=getattr(user, "id", None),
        ),
        family,
        lines,
        prices_include_tax=inclusive,
        commit=commit,
    )


def invoiced_order(language: str = "ja", **kwargs):
    order = make_order(**kwargs)
    services.issue_invoice(order, language=language)
    return order


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF"), data[:20]
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def make():
    """Access the helpers from tests without importing the conftest."""

    class Helpers:
        order = staticmethod(make_order)
        invoiced = staticmethod(invoiced_order)
        text = staticmethod(pdf_text)

    return Helpers
