"""Charts drawn on the server as inline SVG: no JavaScript, legible on a phone.

The drawing is 360 units wide, about a phone's CSS width, so text stays readable at 1:1 and
grows on a desktop. Every chart sits beside a <table> with the same numbers; the SVG is only a
picture of them (role="img" with a label).
"""

from __future__ import annotations

from unicodedata import east_asian_width

from markupsafe import Markup, escape

from convention.kpi.services import Breakdown

WIDTH = 360
LABEL_WIDTH = 140
VALUE_WIDTH = 40
BAR_HEIGHT = 14
GAP = 9
FONT = 13
MAX_ROWS = 12
COLOURS = ("#1b6b3a", "#8cc9a0")


def _text_width(text: str) -> float:
    """Rough width in drawing units: a Japanese character is a full em, a Latin one about half."""
    return sum(
        FONT if east_asian_width(char) in "WF" else FONT * (0.68 if char.isupper() else 0.58)
        for char in text
    )


def _short(text: str, limit: float = LABEL_WIDTH - 10) -> str:
    """Cut a row label to fit left of the bars (it is right-aligned, so an overlong one ran off
    the left edge). Counting characters let Japanese labels run twice as wide as Latin ones."""
    text = str(text)
    if _text_width(text) <= limit:
        return text
    while text and _text_width(text + "…") > limit:
        text = text[:-1]
    return text + "…"


def _svg(height: float, label: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="kpi-chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-label="{escape(label)}" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="{FONT}">' + "".join(body) + "</svg>"
    )


def bar_chart(breakdown: Breakdown, legend: dict[str, str] | None = None) -> Markup:
    """Horizontal bars, one group per row, one bar per series."""
    series = breakdown.series
    rows = breakdown.rows[:MAX_ROWS]
    body: list[str] = []
    top = 4.0
    if len(series) > 1 and legend:
        # One legend line per series: long labels (and Japanese ones) never run off the edge.
        for index, key in enumerate(series):
            body.append(
                f'<rect x="0" y="{top}" width="12" height="12" fill="{COLOURS[index]}"/>'
                f'<text x="18" y="{top + 11}">{escape(legend.get(key, key))}</text>'
            )
            top += 19
        top += 6
    largest = max([row.get(key) or 0 for row in rows for key in series] + [1])
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    group = BAR_HEIGHT * len(series) + GAP
    for number, row in enumerate(rows):
        y = top + number * group
        label = str(row[breakdown.label_key])
        body.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT * len(series) / 2 + 4:.1f}" '
            f'text-anchor="end"><title>{escape(label)}</title>{escape(_short(label))}</text>'
        )
        for index, key in enumerate(series):
            value = row.get(key) or 0
            width = span * value / largest
            bar_y = y + index * BAR_HEIGHT
            body.append(
                f'<rect x="{LABEL_WIDTH}" y="{bar_y:.1f}" width="{width:.1f}" '
                f'height="{BAR_HEIGHT - 2}" fill="{COLOURS[index % len(COLOURS)]}"/>'
                f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{bar_y + BAR_HEIGHT - 3:.1f}" '
                f'font-size="{FONT - 1}">{value}</text>'
            )
    height = top + max(len(rows), 1) * group + 2
    return _svg(height, breakdown.title, body)


def column_chart(breakdown: Breakdown) -> Markup:
    """Vertical columns over time (arrivals per 15 minutes), hours marked below."""
    key = breakdown.series[0]
    rows = breakdown.rows
    height, bottom, left = 170.0, 24.0, 30.0
    plot_height = height - bottom - 8
    largest = max([row.get(key) or 0 for row in rows] + [1])
    slot = (WIDTH - left - 4) / max(len(rows), 1)
    body = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{WIDTH}" y2="{height - bottom}" '
        'stroke="#777" stroke-width="1"/>',
        f'<text x="{left - 4}" y="14" text-anchor="end" font-size="{FONT - 1}">{largest}</text>',
        f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end" '
        f'font-size="{FONT - 1}">0</text>',
    ]
    label_every = max(1, round(len(rows) / 6))
    for number, row in enumerate(rows):
        value = row.get(key) or 0
        bar = plot_height * value / largest
        x = left + number * slot
        body.append(
            f'<rect x="{x + 0.5:.1f}" y="{height - bottom - bar:.1f}" '
            f'width="{max(slot - 1, 0.5):.1f}" height="{bar:.1f}" fill="{COLOURS[0]}">'
            f"<title>{escape(row['label'])}: {value}</title></rect>"
        )
        if number % label_every == 0 and x + 36 <= WIDTH:
            body.append(
                f'<text x="{x:.1f}" y="{height - 8}" font-size="{FONT - 1}">'
                f"{escape(row.get('time', row['label']))}</text>"
            )
    return _svg(height, breakdown.title, body)


def chart(breakdown: Breakdown) -> Markup:
    legend = {column.key: str(column.label) for column in breakdown.columns}
    if not breakdown.rows:
        return Markup("")
    if breakdown.chart == "columns":
        return column_chart(breakdown)
    return bar_chart(breakdown, legend)
