"""The PDFs are opened and their text read: every required item of a qualified invoice."""

import io
import re
import zipfile

from convention.billing import documents, services
from tests.billing.conftest import invoiced_order, make_order, pdf_text


def test_japanese_qualified_invoice_has_every_required_item(app, issuer):
    order = make_order(prices=(333, 333, 334))
    invoice = services.issue_invoice(order, language="ja")
    text = pdf_text(documents.render(invoice))
    for expected in [
        "適格請求書",
        "みなと市脱炭素コンベンション実行委員会",  # issuer
        "T7000012050002",  # registration number
        "INV-000001",
        "発行日",
        f"{invoice.issue_date.year}年{invoice.issue_date.month}月{invoice.issue_date.day}日",
        "株式会社グリーンテック",  # recipient
        "項目1",
        "税率10%対象",
        "¥1,000",  # total of the 10% rate, before tax
        "¥100",  # tax of that rate, computed once
        "¥1,100",  # total
        "お支払期限",
        "みなと銀行",
        "市役所前支店",
        "普通",
        "1234567",
        "ミナトシダツタンソ",
        order.reference,
    ]:
        assert expected in text, expected


def test_english_layout_and_mixed_rates(app, issuer):
    order = services.create_order(
        services.Buyer("Jane Doe", "jane@example.org", organisation="Greentech GmbH"),
        "booth",
        [
            services.Line("ブース", "Booth A-3", unit_price=200_000),
            services.Line("弁当", "Lunch boxes", unit_price=1_080, quantity=5, tax_rate=8),
        ],
    )
    invoice = services.issue_invoice(order, language="en")
    text = pdf_text(documents.render(invoice))
    for expected in [
        "Qualified Invoice",
        "Registration number",
        "T7000012050002",
        "Minato City Decarbonization Convention Committee",
        "Greentech GmbH",
        "Booth A-3",
        "Subject to 10% tax",
        "Subject to 8% tax",
        "¥20,000",  # 10% of 200,000
        "¥432",  # 8% of 5,400
        "¥225,832",
        "Payment due",
        "Account holder (kana)",
        "reduced rate",
    ]:
        assert expected in text, expected


def test_cancellation_document_names_the_original(app, issuer):
    order = invoiced_order(prices=(50_000,))
    original = order.current_invoice
    cancellation = services.cancel_invoice(original, "申込取消のため")
    text = pdf_text(documents.render(cancellation))
    assert "CN-000001" in text
    assert original.display_number in text
    assert "申込取消のため" in text
    assert "-¥55,000" in text
    assert "T7000012050002" in text
    # The original still renders exactly as issued.
    assert "-¥" not in pdf_text(documents.render(original))


def test_receipt_once_paid(app, issuer):
    order = invoiced_order(prices=(3_000, 7_000), language="ja")
    services.record_payment(order, 11_000)
    text = pdf_text(documents.render_receipt(order.receipt))
    for expected in ["領収書", "RC-000001", "¥11,000", "T7000012050002", "INV-000001", "銀行振込"]:
        assert expected in text, expected


def test_tax_included_ticket_invoice_shows_the_tax_inside(app, issuer):
    order = make_order(prices=(3_300,), inclusive=True, family="ticket")
    invoice = services.issue_invoice(order, language="ja")
    text = pdf_text(documents.render(invoice))
    assert "内消費税" in text and "¥300" in text and "¥3,300" in text


def test_the_archive_job_zips_every_issued_document_by_number(app, issuer, organiser_client):
    kept = invoiced_order(prices=(10_000,))
    cancelled = invoiced_order(prices=(50_000,))
    services.cancel_invoice(cancelled.current_invoice, "申込取消のため")

    started = organiser_client.post("/admin/billing/invoices/archive")
    job_page = organiser_client.get(started.headers["Location"])
    assert "All invoices as PDFs" in job_page.text and "Invoice 3 of 3" in job_page.text
    download = re.search(r'href="(/admin/jobs/\d+/download)"', job_page.text).group(1)
    archive = zipfile.ZipFile(io.BytesIO(organiser_client.get(download).data))

    assert sorted(archive.namelist()) == ["CN-000001.pdf", "INV-000001.pdf", "INV-000002.pdf"]
    assert kept.current_invoice.display_number == "INV-000001"
    assert "¥11,000" in pdf_text(archive.read("INV-000001.pdf"))
    assert "申込取消のため" in pdf_text(archive.read("CN-000001.pdf"))
