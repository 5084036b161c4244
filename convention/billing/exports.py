"""Exports for the accounting office: every issued document with its per-rate amounts,
and the payments. CSV (UTF-8 with BOM, which Excel in Japan opens correctly) and XLSX."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from convention.billing.models import Invoice, Payment
from convention.extensions import db
from convention.money import TAX_RATES

INVOICE_HEADER = [
    "document_number",
    "kind",
    "original_number",
    "issue_date",
    "due_date",
    "order_reference",
    "product_family",
    "buyer_organisation",
    "buyer_name",
    "buyer_email",
    *[f"{part}_{rate}" for rate in TAX_RATES for part in ("net", "tax")],
    "tax_total",
    "total",
    "order_status",
    "order_paid",
    "order_outstanding",
]

PAYMENT_HEADER = [
    "payment_id",
    "received_on",
    "order_reference",
    "invoice_number",
    "amount",
    "refund",
    "method",
    "source",
    "payer_name",
    "reference",
    "external_id",
]


def invoice_rows() -> list[list]:
    rows = []
    invoices = db.session.scalars(select(Invoice).order_by(Invoice.issued_at, Invoice.id))
    for invoice in invoices:
        snap = invoice.snapshot
        order = invoice.order
        by_rate = {item["rate"]: item for item in snap["rates"]}
        amounts = []
        for rate in TAX_RATES:
            item = by_rate.get(rate, {"net": 0, "tax": 0})
            amounts += [item["net"], item["tax"]]
        rows.append(
            [
                invoice.display_number,
                invoice.kind.value,
                invoice.original.display_number if invoice.original else "",
                invoice.issue_date.isoformat(),
                invoice.due_date.isoformat() if invoice.due_date else "",
                snap["reference"],
                snap["family"],
                snap["recipient"]["organisation"],
                snap["recipient"]["name"],
                snap["recipient"]["email"],
                *amounts,
                invoice.tax_total,
                invoice.total,
                order.status.value,
                order.amount_paid,
                max(order.outstanding, 0),
            ]
        )
    return rows


def payment_rows() -> list[list]:
    rows = []
    for payment in db.session.scalars(select(Payment).order_by(Payment.received_on, Payment.id)):
        invoice = payment.order.current_invoice or (
            payment.order.invoices[0] if payment.order.invoices else None
        )
        rows.append(
            [
                payment.id,
                payment.received_on.isoformat(),
                payment.order.reference,
                invoice.display_number if invoice else "",
                payment.amount,
                "yes" if payment.is_refund else "",
                payment.method.value,
                payment.source.value,
                payment.payer_name,
                payment.reference,
                payment.external_id or "",
            ]
        )
    return rows


def invoices_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(INVOICE_HEADER)
    writer.writerows(invoice_rows())
    return buffer.getvalue().encode("utf-8-sig")


def workbook() -> bytes:
    book = Workbook()
    sheets = [
        ("Invoices", INVOICE_HEADER, invoice_rows()),
        ("Payments", PAYMENT_HEADER, payment_rows()),
    ]
    for index, (title, header, rows) in enumerate(sheets):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = title
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "A2"
        for column, name in enumerate(header, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = max(12, len(name) + 2)
            if (
                name.startswith(("net_", "tax_", "total", "order_paid", "order_outstanding"))
                or name == "amount"
            ):
                for cell in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                    cell[0].number_format = "#,##0"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
