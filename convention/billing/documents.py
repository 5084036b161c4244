"""The printed documents: qualified invoice (適格請求書), cancellation document and receipt
(領収書), each in a Japanese or an English layout, drawn only from the document's snapshot,
so a PDF downloaded years later shows exactly what was issued.

The labels are fixed legal wording of each layout (the items that 消費税法 第57条の4 requires),
not interface text, so both layouts live here rather than in the message catalogs.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle
from sqlalchemy import select

from convention import pdf
from convention.billing.models import DocumentKind, Invoice, Receipt
from convention.billing.services import today_local
from convention.extensions import db
from convention.jobs.services import JobFile
from convention.money import yen

LABELS = {
    "ja": {
        "invoice": "適格請求書",
        "cancellation": "適格返還請求書（請求取消）",
        "receipt": "領収書",
        "number": "請求書番号",
        "cancellation_number": "文書番号",
        "receipt_number": "領収書番号",
        "issue_date": "発行日",
        "due_date": "お支払期限",
        "registration": "登録番号",
        "honorific": "御中",
        "honorific_person": "様",
        "reference": "お振込時のご依頼人名の前に記載してください",
        "reference_short": "お支払番号",
        "lead": "下記のとおりご請求申し上げます。",
        "cancel_lead": "下記の請求書を取り消します。本書は取り消された請求書を参照します。",
        "receipt_lead": "下記の金額を正に領収いたしました。",
        "total_due": "ご請求金額（税込）",
        "total_cancelled": "取消金額（税込）",
        "received": "領収金額（税込）",
        "description": "品目",
        "quantity": "数量",
        "unit_price": "単価",
        "amount": "金額",
        "rate": "税率",
        "reduced_mark": "※",
        "reduced_note": "※は軽減税率（8%）対象",
        "rate_target": "税率{rate}%対象",
        "net": "税抜金額",
        "gross": "税込金額",
        "tax": "消費税額",
        "tax_of": "内消費税",
        "total": "合計",
        "prices_inclusive": "単価・金額は税込表示です。"
        "消費税額は税率ごとに合計してから1円未満を切り捨てています。",
        "prices_exclusive": "単価・金額は税抜表示です。"
        "消費税額は税率ごとに合計してから1円未満を切り捨てています。",
        "bank": "お振込先",
        "bank_name": "金融機関",
        "bank_branch": "支店",
        "account_type": "口座種別",
        "account_number": "口座番号",
        "account_holder": "口座名義（カナ）",
        "ordinary": "普通",
        "current": "当座",
        "fee_note": "振込手数料はご負担ください。",
        "original": "取消対象の請求書",
        "original_date": "原請求書の発行日",
        "reason": "取消理由",
        "for_invoice": "対象請求書",
        "paid_on": "入金日",
        "method": "お支払方法",
        "bank_transfer": "銀行振込",
        "card": "クレジットカード",
        "cash": "現金",
        "proviso": "但し書き",
        "proviso_text": "上記品目の代金として",
        "stamp_note": "本領収書は電磁的方法により交付するため、収入印紙の貼付はありません。",
        "page_footer": "{issuer} ・ 登録番号 {number}",
    },
    "en": {
        "invoice": "Qualified Invoice",
        "cancellation": "Cancellation of Invoice (Qualified Return Invoice)",
        "receipt": "Receipt",
        "number": "Invoice number",
        "cancellation_number": "Document number",
        "receipt_number": "Receipt number",
        "issue_date": "Issue date",
        "due_date": "Payment due",
        "registration": "Registration number",
        "honorific": "",
        "honorific_person": "",
        "reference": "Put this reference before your name in the bank transfer",
        "reference_short": "Payment reference",
        "lead": "We invoice you as follows.",
        "cancel_lead": "The invoice below is cancelled. This document refers to it.",
        "receipt_lead": "We acknowledge receipt of the amount below.",
        "total_due": "Amount due (tax included)",
        "total_cancelled": "Amount cancelled (tax included)",
        "received": "Amount received (tax included)",
        "description": "Description",
        "quantity": "Qty",
        "unit_price": "Unit price",
        "amount": "Amount",
        "rate": "Tax rate",
        "reduced_mark": "*",
        "reduced_note": "* reduced rate (8%)",
        "rate_target": "Subject to {rate}% tax",
        "net": "Net",
        "gross": "Gross",
        "tax": "Consumption tax",
        "tax_of": "incl. consumption tax",
        "total": "Total",
        "prices_inclusive": "Prices include consumption tax. Tax is computed once per rate on the "
        "total of that rate, rounded down to the yen.",
        "prices_exclusive": "Prices exclude consumption tax. Tax is computed once per rate on the "
        "total of that rate, rounded down to the yen.",
        "bank": "Bank transfer details",
        "bank_name": "Bank",
        "bank_branch": "Branch",
        "account_type": "Account type",
        "account_number": "Account number",
        "account_holder": "Account holder (kana)",
        "ordinary": "Ordinary (futsū)",
        "current": "Current (tōza)",
        "fee_note": "Transfer fees are borne by the payer.",
        "original": "Invoice cancelled",
        "original_date": "Issue date of that invoice",
        "reason": "Reason",
        "for_invoice": "Invoice",
        "paid_on": "Received on",
        "method": "Paid by",
        "bank_transfer": "bank transfer",
        "card": "card",
        "cash": "cash",
        "proviso": "For",
        "proviso_text": "the items listed below",
        "stamp_note": "",
        "page_footer": "{issuer} · Registration number {number}",
    },
}


def _date(value: str | None, language: str) -> str:
    if not value:
        return ""
    day = date.fromisoformat(value)
    if language == "ja":
        return f"{day.year}年{day.month}月{day.day}日"
    return day.strftime("%-d %B %Y")


def _p(text, style) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _issuer_block(snap: dict, labels: dict, language: str, st) -> list:
    issuer = snap["issuer"]
    name = issuer["name_ja"] if language == "ja" else issuer["name_en"]
    address = issuer["address_ja"] if language == "ja" else issuer["address_en"]
    lines = [name]
    if issuer.get("postal_code"):
        lines.append(("〒" if language == "ja" else "") + issuer["postal_code"])
    lines.append(address)
    if issuer.get("phone"):
        lines.append(f"TEL {issuer['phone']}")
    if issuer.get("email"):
        lines.append(issuer["email"])
    lines.append(f"{labels['registration']}: {issuer['registration_number']}")
    return [_p("\n".join(lines), st["right"])]


def _recipient(snap: dict, labels: dict, st) -> list:
    recipient = snap["recipient"]
    parts = []
    if recipient.get("organisation"):
        parts.append(f"{recipient['organisation']} {labels['honorific']}".strip())
        parts.append(f"{recipient['name']} {labels['honorific_person']}".strip())
    else:
        parts.append(f"{recipient['name']} {labels['honorific_person']}".strip())
    if recipient.get("address"):
        parts.append(recipient["address"])
    return [_p("\n".join(parts), st["heading"])]


def _meta_table(rows: list[tuple[str, str]], st) -> Table:
    table = Table(
        [[_p(key, st["body"]), _p(value, st["body"])] for key, value in rows],
        colWidths=[45 * mm, 65 * mm],
        hAlign="RIGHT",
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), pdf.GOTHIC),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#aaaaaa")),
            ]
        )
    )
    return table


def _lines_table(snap: dict, labels: dict, language: str, st, sign: int = 1) -> Table:
    header = [
        labels["description"],
        labels["quantity"],
        labels["unit_price"],
        labels["rate"],
        labels["amount"],
    ]
    data = [[_p(h, st["body"]) for h in header]]
    has_reduced = False
    for line in snap["lines"]:
        description = line["description_ja"] if language == "ja" else line["description_en"]
        mark = ""
        if line["tax_rate"] == 8:
            mark = labels["reduced_mark"]
            has_reduced = True
        data.append(
            [
                _p(f"{description}{mark}", st["body"]),
                _p(str(line["quantity"]), st["right"]),
                _p(yen(line["unit_price"]), st["right"]),
                _p(f"{line['tax_rate']}%", st["right"]),
                _p(yen(sign * line["amount"]), st["right"]),
            ]
        )
    table = Table(data, colWidths=[76 * mm, 14 * mm, 27 * mm, 22 * mm, 30 * mm], repeatRows=1)
    table.setStyle(TableStyle(pdf.TABLE_GRID))
    flow = [table]
    if has_reduced:
        flow.append(_p(labels["reduced_note"], st["small"]))
    return flow


def _rates_table(snap: dict, labels: dict, st) -> Table:
    """Per rate: the amount subject to it, the tax (computed once), and both together."""
    inclusive = snap.get("prices_include_tax")
    header = ["", labels["net"], labels["tax_of"] if inclusive else labels["tax"], labels["gross"]]
    data = [[_p(h, st["body"]) for h in header]]
    for item in snap["rates"]:
        data.append(
            [
                _p(labels["rate_target"].format(rate=item["rate"]), st["body"]),
                _p(yen(item["net"]), st["right"]),
                _p(yen(item["tax"]), st["right"]),
                _p(yen(item["gross"]), st["right"]),
            ]
        )
    data.append(
        [
            _p(labels["total"], st["body"]),
            _p(yen(sum(item["net"] for item in snap["rates"])), st["right"]),
            _p(yen(snap["tax_total"]), st["right"]),
            _p(yen(snap["total"]), st["right"]),
        ]
    )
    table = Table(data, colWidths=[42 * mm, 36 * mm, 36 * mm, 36 * mm], hAlign="RIGHT")
    table.setStyle(TableStyle(pdf.TABLE_GRID))
    return table


def _bank_table(snap: dict, labels: dict, st) -> Table:
    bank = snap["bank"]
    rows = [
        (labels["bank_name"], bank["bank_name"]),
        (labels["bank_branch"], bank["bank_branch"]),
        (labels["account_type"], labels.get(bank["account_type"], bank["account_type"])),
        (labels["account_number"], bank["account_number"]),
        (labels["account_holder"], bank["account_holder_kana"]),
    ]
    table = Table(
        [[_p(k, st["body"]), _p(v, st["body"])] for k, v in rows],
        colWidths=[45 * mm, 90 * mm],
        hAlign="LEFT",
    )
    table.setStyle(TableStyle(pdf.TABLE_GRID[:2] + [("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return table


def _big_amount(label: str, amount: int, st) -> Table:
    table = Table(
        [[_p(label, st["heading"]), _p(yen(amount), st["title"])]],
        colWidths=[70 * mm, 60 * mm],
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 1.2, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ]
        )
    )
    return table


def _footer(snap: dict, labels: dict, language: str):
    issuer = snap["issuer"]
    text = labels["page_footer"].format(
        issuer=issuer["name_ja"] if language == "ja" else issuer["name_en"],
        number=issuer["registration_number"],
    )

    def draw(canvas, document):
        canvas.saveState()
        canvas.setFont(pdf.GOTHIC, 7.5)
        canvas.drawString(document.leftMargin, 9 * mm, f"{snap['number']} — {text}")
        canvas.drawRightString(
            document.pagesize[0] - document.rightMargin, 9 * mm, str(canvas.getPageNumber())
        )
        canvas.restoreState()

    return draw


def render(invoice: Invoice) -> bytes:
    """The PDF of an invoice or a cancellation document."""
    return render_snapshot(invoice.snapshot)


def render_snapshot(snap: dict) -> bytes:
    language = snap.get("language", "ja")
    labels = LABELS[language]
    st = pdf.styles()
    cancellation = snap["kind"] == DocumentKind.CANCELLATION.value
    title = labels["cancellation" if cancellation else "invoice"]
    meta = [
        (labels["cancellation_number" if cancellation else "number"], snap["number"]),
        (labels["issue_date"], _date(snap["issue_date"], language)),
    ]
    if not cancellation and snap.get("due_date"):
        meta.append((labels["due_date"], _date(snap["due_date"], language)))
    meta.append((labels["reference_short"], snap["reference"]))
    if cancellation:
        meta.append((labels["original"], snap["original"]["number"]))
        meta.append((labels["original_date"], _date(snap["original"]["issue_date"], language)))

    story = [
        _p(title, st["title"]),
        Table(
            [[_recipient(snap, labels, st), _issuer_block(snap, labels, language, st)]],
            colWidths=[95 * mm, 83 * mm],
            style=[("VALIGN", (0, 0), (-1, -1), "TOP")],
        ),
        Spacer(1, 3 * mm),
        _meta_table(meta, st),
        Spacer(1, 4 * mm),
        _p(labels["cancel_lead" if cancellation else "lead"], st["body"]),
        Spacer(1, 2 * mm),
        _big_amount(labels["total_cancelled" if cancellation else "total_due"], snap["total"], st),
        Spacer(1, 5 * mm),
    ]
    if cancellation and snap.get("reason"):
        story += [_p(f"{labels['reason']}: {snap['reason']}", st["body"]), Spacer(1, 3 * mm)]
    story += _lines_table(snap, labels, language, st, sign=-1 if cancellation else 1)
    story += [
        Spacer(1, 3 * mm),
        _rates_table(snap, labels, st),
        _p(
            labels["prices_inclusive" if snap.get("prices_include_tax") else "prices_exclusive"],
            st["small"],
        ),
    ]
    if not cancellation:
        story += [
            Spacer(1, 5 * mm),
            _p(labels["bank"], st["heading"]),
            _bank_table(snap, labels, st),
            _p(f"{labels['reference']}: {snap['reference']}", st["body"]),
            _p(labels["fee_note"], st["small"]),
        ]
    issuer_name = snap["issuer"]["name_ja"] if language == "ja" else snap["issuer"]["name_en"]
    return pdf.build(
        story,
        title=f"{title} {snap['number']}",
        author=issuer_name,
        on_page=_footer(snap, labels, language),
    )


def render_receipt(receipt: Receipt) -> bytes:
    snap = receipt.snapshot
    language = snap.get("language", "ja")
    labels = LABELS[language]
    st = pdf.styles()
    methods = ", ".join(labels.get(m, m) for m in snap.get("methods", []))
    meta = [
        (labels["receipt_number"], snap["number"]),
        (labels["issue_date"], _date(snap["issue_date"], language)),
        (labels["for_invoice"], snap.get("invoice_number", "")),
        (labels["reference_short"], snap["reference"]),
    ]
    if snap.get("paid_on"):
        meta.append((labels["paid_on"], _date(snap["paid_on"], language)))
    if methods:
        meta.append((labels["method"], methods))
    story = [
        _p(labels["receipt"], st["title"]),
        Table(
            [[_recipient(snap, labels, st), _issuer_block(snap, labels, language, st)]],
            colWidths=[95 * mm, 83 * mm],
            style=[("VALIGN", (0, 0), (-1, -1), "TOP")],
        ),
        Spacer(1, 3 * mm),
        _meta_table(meta, st),
        Spacer(1, 4 * mm),
        _p(labels["receipt_lead"], st["body"]),
        Spacer(1, 2 * mm),
        _big_amount(labels["received"], snap["amount"], st),
        _p(f"{labels['proviso']}: {labels['proviso_text']}", st["body"]),
        Spacer(1, 5 * mm),
    ]
    story += _lines_table(snap, labels, language, st)
    story += [Spacer(1, 3 * mm), _rates_table(snap, labels, st)]
    if labels["stamp_note"]:
        story.append(_p(labels["stamp_note"], st["small"]))
    issuer_name = snap["issuer"]["name_ja"] if language == "ja" else snap["issuer"]["name_en"]
    return pdf.build(
        story,
        title=f"{labels['receipt']} {snap['number']}",
        author=issuer_name,
        on_page=_footer(snap, labels, language),
    )


def archive_job(job_id: int) -> JobFile:
    """Every invoice and cancellation document ever issued, as PDFs in one ZIP named by number
    (for the accountant and the city's audit): a tracked job, since each PDF takes a while."""
    from convention.jobs.services import report_progress

    invoices = db.session.scalars(select(Invoice).order_by(Invoice.issued_at, Invoice.id)).all()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for done, invoice in enumerate(invoices, start=1):
            archive.writestr(f"{invoice.display_number}.pdf", render(invoice))
            if done % 20 == 0 or done == len(invoices):
                message = _("Invoice %(done)d of %(total)d", done=done, total=len(invoices))
                report_progress(job_id, done * 95 // len(invoices), message)
    return JobFile(buffer.getvalue(), f"invoices-{today_local().isoformat()}.zip")
