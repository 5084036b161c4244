"""PDFs with ReportLab. Japanese text uses the CID fonts built into ReportLab
(HeiseiKakuGo-W5 gothic, HeiseiMin-W3 mincho): no font files to ship.

    from convention import pdf
    styles = pdf.styles()
    data = pdf.build([Paragraph("請求書", styles["title"]), ...], title="請求書")
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from functools import cache

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import SimpleDocTemplate

GOTHIC = "HeiseiKakuGo-W5"
MINCHO = "HeiseiMin-W3"


@cache
def register_fonts() -> None:
    """Register the two CID fonts once per process."""
    pdfmetrics.registerFont(UnicodeCIDFont(GOTHIC))
    pdfmetrics.registerFont(UnicodeCIDFont(MINCHO))


def styles(font: str = GOTHIC, size: float = 9.5) -> dict[str, ParagraphStyle]:
    """Paragraph styles that wrap Japanese text (CJK word wrap) in the given font."""
    register_fonts()
    base = ParagraphStyle("body", fontName=font, fontSize=size, leading=size * 1.45)
    base.wordWrap = "CJK"
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=size - 1.5, leading=size * 1.25),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
        "title": ParagraphStyle(
            "title", parent=base, fontSize=size + 8, leading=(size + 8) * 1.3, spaceAfter=4 * mm
        ),
        "heading": ParagraphStyle(
            "heading", parent=base, fontSize=size + 2, leading=(size + 2) * 1.4, spaceBefore=3 * mm
        ),
    }


TABLE_GRID = [
    ("FONTNAME", (0, 0), (-1, -1), GOTHIC),
    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#888888")),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
]


def build(
    flowables: Sequence,
    *,
    title: str = "",
    author: str = "",
    subject: str = "",
    on_page: Callable | None = None,
    margins_mm: float = 16,
) -> bytes:
    """Lay the flowables out on A4 pages and return the PDF bytes."""
    register_fonts()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=margins_mm * mm,
        rightMargin=margins_mm * mm,
        topMargin=margins_mm * mm,
        bottomMargin=margins_mm * mm,
        title=title,
        author=author,
        subject=subject,
    )
    if on_page:
        document.build(list(flowables), onFirstPage=on_page, onLaterPages=on_page)
    else:
        document.build(list(flowables))
    return buffer.getvalue()


def response(data: bytes, filename: str):
    """A PDF shown in the browser, never kept by a shared cache: badges and invoices carry
    personal data."""
    from flask import make_response

    reply = make_response(data)
    reply.headers["Content-Type"] = "application/pdf"
    reply.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    reply.headers["Cache-Control"] = "private, no-store"
    return reply
