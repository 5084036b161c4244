"""The server-drawn bar chart keeps every row label inside the drawing, Japanese ones too."""

from __future__ import annotations

import re

from convention.kpi.charts import LABEL_WIDTH, bar_chart
from convention.kpi.services import Breakdown, Column

LONG_JA = "開会式・基調講演：ゼロカーボン都市への道"


def _labels(svg: str) -> list[str]:
    # Row labels are the right-aligned texts with a <title> holding the full label.
    return re.findall(r'text-anchor="end"><title>[^<]*</title>([^<]*)</text>', svg)


def test_a_long_japanese_label_is_cut_to_the_label_column_with_the_full_text_as_title():
    rows = [{"name": LONG_JA, "n": 66}, {"name": "日本", "n": 5}, {"name": "Government", "n": 3}]
    svg = str(
        bar_chart(
            Breakdown("k", "t", [Column("name", "Name", False), Column("n", "N")], rows, ("n",))
        )
    )
    shown = _labels(svg)
    assert shown[1:] == ["日本", "Government"]  # short labels untouched
    cut = shown[0]
    assert cut.endswith("…") and LONG_JA.startswith(cut[:-1])
    # 13 units a Japanese character (the font size): the cut label fits left of the bars.
    assert len(cut) * 13 <= LABEL_WIDTH - 6
    assert f"<title>{LONG_JA}</title>" in svg
