"""Sweeps over the templates for mistakes a page does not show by itself."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
TAG = re.compile(r"<[a-zA-Z][^<>]*?(?:\{\{.*?\}\}[^<>]*?)*>", re.DOTALL)
HTMX_REQUEST = re.compile(r"\bhx-(?:get|post|put|patch|delete)=")


def test_hx_confirm_only_where_htmx_sends_the_request():
    """hx-confirm on a plain form asks nothing: htmx only guards the requests it sends.
    Plain forms ask with data-confirm (static/js/app.js)."""
    silent = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for tag in TAG.findall(path.read_text(encoding="utf-8")):
            if "hx-confirm=" in tag and not HTMX_REQUEST.search(tag):
                silent.append(f"{path.relative_to(TEMPLATES)}: {tag[:80]}")
    assert silent == []
