"""QR codes and printable badges. The QR carries the opaque badge token and nothing else.

`qr_svg(token)` for pages, `qr_png(token)` for emails, `badge_pdf([...])` for printing: one A6
badge per page, or four A6 badges per A4 sheet with cut marks.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from flask_babel import gettext as _
from markupsafe import Markup, escape
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from convention.accounts.models import ParticipantCategory
from convention.events.models import Edition
from convention.extensions import db
from convention.jobs.services import JobFile, report_progress

# Built into ReportLab (Adobe's CID font names): Japanese text with no font files to ship.
FONT = "HeiseiKakuGo-W5"

# One colour band per category, so door staff see the category from across the room.
CATEGORY_COLOURS = {
    ParticipantCategory.GENERAL: "#2e7d32",
    ParticipantCategory.BUSINESS: "#1565c0",
    ParticipantCategory.GOVERNMENT: "#6a1b9a",
    ParticipantCategory.INTERNATIONAL_ORGANISATION: "#00838f",
    ParticipantCategory.PRESS: "#c62828",
    ParticipantCategory.STUDENT: "#ef6c00",
    ParticipantCategory.SPONSOR_STAFF: "#ad1457",
    ParticipantCategory.EXHIBITOR: "#4e342e",
}


def _qr(token: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    code.add_data(token)
    code.make(fit=True)
    return code


def qr_svg(token: str, *, label: str, css_class: str = "qr") -> Markup:
    """An inline SVG of the token's QR code, safe to put in a template as it is; `label` is
    what a screen reader says of the image."""
    image = _qr(token).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    # Drop the fixed size so CSS decides it; keep the viewBox for scaling.
    svg = re.sub(r'\s(width|height)="[^"]*"', "", svg, count=2)
    label = escape(label)
    svg = svg.replace("<svg ", f'<svg class="{css_class}" role="img" aria-label="{label}" ', 1)
    return Markup(svg)


def qr_png(token: str, *, box_size: int = 8) -> bytes:
    """A PNG of the token's QR code (for emails and the PDF badge)."""
    code = _qr(token)
    code.box_size = box_size
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass(frozen=True)
class Badge:
    """What a printed badge shows."""

    token: str
    name: str
    organization: str = ""
    category: ParticipantCategory = ParticipantCategory.GENERAL
    category_label: str = ""
    event_name: str = ""


def badge_from_registration(registration) -> Badge:
    from convention.accounts.forms import CATEGORY_LABELS

    user = registration.user
    category = ParticipantCategory(registration.category)
    return Badge(
        token=registration.badge_token,
        name=user.name or user.email,
        organization=registration.organization or user.organization or "",
        category=category,
        category_label=str(CATEGORY_LABELS.get(category, category.value)),
        event_name=registration.edition.name_ja
        if registration.edition.name_ja == registration.edition.name_en
        else f"{registration.edition.name_ja} / {registration.edition.name_en}",
    )


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _fit(text: str, width: float, largest: float, smallest: float) -> float:
    """The largest font size (down to `smallest`) at which `text` fits in `width`."""
    size = largest
    while size > smallest and pdfmetrics.stringWidth(text, FONT, size) > width:
        size -= 1
    return size


def _clip(text: str, width: float, size: float) -> str:
    if pdfmetrics.stringWidth(text, FONT, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", FONT, size) > width:
        text = text[:-1]
    return text + "…"


BADGE = (95 * mm, 135 * mm)  # fits common badge holders; four fit on A4 with margins


def _draw_badge(canvas: Canvas, badge: Badge, x: float, y: float) -> None:
    """One badge with its lower-left corner at (x, y)."""
    width, height = BADGE
    margin = 7 * mm
    inner = width - 2 * margin
    band = 16 * mm
    top = y + height
    centre = x + width / 2
    colour = CATEGORY_COLOURS.get(badge.category, "#455a64")

    # Colour band across the top with the category in white.
    canvas.setFillColor(colour)
    canvas.rect(x, top - band, width, band, stroke=0, fill=1)
    canvas.setFillColor("#ffffff")
    size = _fit(badge.category_label, inner, 16, 8)
    canvas.setFont(FONT, size)
    canvas.drawCentredString(centre, top - band / 2 - size / 3, badge.category_label)

    canvas.setFillColor("#000000")
    if badge.event_name:
        canvas.setFont(FONT, 7)
        canvas.drawCentredString(centre, top - 22 * mm, _clip(badge.event_name, inner, 7))

    # The name is what people read: as large as the width allows.
    name_size = _fit(badge.name, inner, 28, 12)
    canvas.setFont(FONT, name_size)
    canvas.drawCentredString(centre, top - 38 * mm, _clip(badge.name, inner, name_size))

    if badge.organization:
        org_size = _fit(badge.organization, inner, 13, 8)
        canvas.setFont(FONT, org_size)
        canvas.drawCentredString(centre, top - 50 * mm, _clip(badge.organization, inner, org_size))

    qr_side = 56 * mm
    canvas.drawImage(
        ImageReader(io.BytesIO(qr_png(badge.token))),
        centre - qr_side / 2,
        y + 10 * mm,
        qr_side,
        qr_side,
    )
    # A thin colour strip at the bottom too, visible when the badge hangs turned.
    canvas.setFillColor(colour)
    canvas.rect(x, y, width, 5 * mm, stroke=0, fill=1)
    canvas.setFillColor("#000000")


def _cut_marks(canvas: Canvas, xs: Sequence[float], ys: Sequence[float]) -> None:
    """Marks in the page margin on every cut line, where the guillotine goes."""
    length = 5 * mm
    gap = 2 * mm
    canvas.setLineWidth(0.3)
    canvas.setStrokeColor("#000000")
    low_x, high_x, low_y, high_y = xs[0], xs[-1], ys[0], ys[-1]
    for x in xs:
        canvas.line(x, low_y - gap - length, x, low_y - gap)
        canvas.line(x, high_y + gap, x, high_y + gap + length)
    for y in ys:
        canvas.line(low_x - gap - length, y, low_x - gap, y)
        canvas.line(high_x + gap, y, high_x + gap + length, y)


def badge_pdf(
    badges: Iterable[Badge],
    *,
    sheet: bool | None = None,
    title: str = "",
    on_progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """A PDF of badges. `sheet` puts four per A4 page with cut marks (default: when there are
    several); otherwise one badge-sized page per badge. `on_progress(done, total)` is called
    after each sheet."""
    _register_font()
    badges = list(badges)
    if sheet is None:
        sheet = len(badges) > 1
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4 if sheet else BADGE)
    canvas.setTitle(title or "Badges")
    canvas.setCreator("Convention")
    if not badges:
        canvas.setFont(FONT, 12)
        canvas.drawString(20 * mm, 20 * mm, "-")
        canvas.showPage()
    elif not sheet:
        for badge in badges:
            _draw_badge(canvas, badge, 0, 0)
            canvas.showPage()
    else:
        page_w, page_h = A4
        badge_w, badge_h = BADGE
        left = (page_w - 2 * badge_w) / 2
        bottom = (page_h - 2 * badge_h) / 2
        slots = [(left, bottom + badge_h), (left + badge_w, bottom + badge_h)]
        slots += [(left, bottom), (left + badge_w, bottom)]
        for start in range(0, len(badges), 4):
            for badge, (x, y) in zip(badges[start : start + 4], slots, strict=False):
                _draw_badge(canvas, badge, x, y)
            _cut_marks(
                canvas,
                [left, left + badge_w, left + 2 * badge_w],
                [bottom, bottom + badge_h, bottom + 2 * badge_h],
            )
            canvas.showPage()
            if on_progress is not None:
                on_progress(min(start + 4, len(badges)), len(badges))
    canvas.save()
    return buffer.getvalue()


def bulk_badges_job(job_id: int, edition_id: int, category: str | None) -> JobFile:
    """The organiser's bulk print (a tracked job): every confirmed registration of the edition,
    optionally one category, ordered by name, four per A4 sheet."""
    from convention.checkin.services import badge_registrations

    edition = db.session.get(Edition, edition_id)
    registrations = badge_registrations(edition, category)
    step = max(40, len(registrations) // 20)  # about twenty progress reports, whatever the size
    reported = 0

    def progress(done: int, total: int) -> None:
        nonlocal reported
        if done - reported >= step or done == total:
            reported = done
            message = _("Drawing badges: %(done)d of %(total)d", done=done, total=total)
            report_progress(job_id, 5 + done * 90 // total, message)

    pdf = badge_pdf(
        [badge_from_registration(item) for item in registrations],
        sheet=True,
        title=_("Badges"),
        on_progress=progress,
    )
    suffix = f"-{category}" if category else ""
    return JobFile(pdf, f"badges-{edition.slug}{suffix}.pdf")
