"""Billing in a real browser: an organiser issues an invoice, reconciles a bank statement (one
line matched by its reference, one assigned by hand on the review screen through htmx), and
the buyer downloads the receipt from their order page."""

from __future__ import annotations

import io
import uuid

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PASSWORD = "billing browser password"


def _log_in(page: Page, email: str) -> None:
    page.goto("/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page.locator(".site-header")).to_contain_text("Log out")


def test_invoice_bank_reconciliation_and_receipt(
    page: Page, new_page, browser, live_server, tmp_path
):
    from convention.accounts.models import Role
    from convention.accounts.services import create_staff_user, hash_password
    from convention.billing import services
    from convention.extensions import db
    from tests.factories import make_user

    suffix = uuid.uuid4().hex[:8]
    organiser_email = f"billing-organiser-{suffix}@example.org"
    buyer_email = f"buyer-{suffix}@example.org"
    with live_server.app_context():
        organiser = create_staff_user(
            organiser_email, PASSWORD, "Billing Organiser", Role.ORGANISER
        )
        organiser.language = "en"
        buyer = make_user(email=buyer_email, name="Kenji Mori")
        buyer.password_hash = hash_password(PASSWORD)
        db.session.commit()
        services.update_issuer(
            name_ja="みなと市脱炭素コンベンション実行委員会",
            name_en="Minato City Convention Committee",
            registration_number="T7000012050002",
            address_ja="みなと市中区1-1",
            bank_name="みなと銀行",
            bank_branch="本店",
            account_number="1234567",
            account_holder_kana="ミナトシ",
        )
        booth = services.create_order(
            services.Buyer(
                "Kenji Mori", buyer_email, "Mori Solar", user_id=buyer.id, language="en"
            ),
            "booth",
            [services.Line("展示ブース", "Exhibition booth", 100_000)],
        )
        other = services.create_order(
            services.Buyer("Aya Ito", "aya@example.org", "Ito Wind"),
            "sponsorship",
            [services.Line("協賛", "Sponsorship", 50_000)],
        )
        services.issue_invoice(other)
        booth_id, booth_ref, other_ref = booth.id, booth.reference, other.reference

    _log_in(page, organiser_email)
    page.goto(f"/admin/billing/orders/{booth_id}")
    page.get_by_label("Language of the invoice").select_option("en")
    page.get_by_role("button", name="Issue invoice").click()
    expect(page.locator(".flashes")).to_contain_text("INV-000002 issued")
    expect(page.locator("#order-status")).to_have_text("invoiced")

    statement = tmp_path / "statement.csv"
    statement.write_text(
        "日付,入金額,振込依頼人名,摘要\n"
        f"2025/10/01,110000,ﾓﾘｿｰﾗｰ,{booth_ref}\n"
        "2025/10/02,55000,ｲﾄｳｳｲﾝﾄﾞ,ｷﾖｳｻﾝ\n",
        encoding="utf-8",
    )
    page.goto("/admin/billing/bank")
    page.get_by_label("Bank statement (CSV)").set_input_files(str(statement))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#bank-lines")).to_contain_text("matched")
    unmatched = page.locator("#bank-lines tr", has_text="ｲﾄｳｳｲﾝﾄﾞ")
    expect(unmatched).to_contain_text("to review")

    # A wrong reference is refused beside the field, in place.
    url = page.url
    unmatched.get_by_label("Order reference").fill("C00-000000-0")
    with page.expect_response(lambda r: r.url.endswith("/assign")) as refused:
        unmatched.get_by_role("button", name="Assign").click()
    assert refused.value.status == 422  # refused like a form: app.js has htmx swap it in place
    expect(unmatched).to_contain_text("No order has this reference")
    expect(page.locator("#htmx-error")).to_have_count(0)
    unmatched.get_by_label("Order reference").fill(other_ref)
    unmatched.get_by_role("button", name="Assign").click()
    expect(unmatched).to_contain_text("assigned")
    assert page.url == url  # swapped by htmx, no page load

    page.goto("/admin/billing/")
    expect(page.locator("#summary tfoot")).to_contain_text("¥165,000")

    buyer_page = new_page(browser)
    _log_in(buyer_page, buyer_email)
    buyer_page.goto(f"/my/orders/{booth_id}")
    expect(buyer_page.locator("#payment-status")).to_contain_text("payment is confirmed")
    link = buyer_page.get_by_role("link", name="Receipt RC-")
    response = buyer_page.context.request.get(link.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    assert "Receipt" in text and "¥110,000" in text and "T7000012050002" in text
