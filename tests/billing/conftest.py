"""Billing test helpers: a complete issuer, orders in any state, PDF text."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from convention.billing import services
from convention.billing.models import ProductFamily
from convention.billing.services import Buyer, Line

VALID_T = "T7000012050002"


@pytest.fixture
def app_config() -> dict:
    """Messages raised outside a request use the default language: English here, so the
    tests can read them (the Japanese catalog is the lead's)."""
    return {
        "BABEL_DEFAULT_LOCALE": "en"
    }  # 国税庁's own corporate number: a real, valid check digit


@pytest.fixture
def issuer(app):
    return services.update_issuer(
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
