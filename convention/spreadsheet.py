"""Exports that open safely in a spreadsheet: text that Excel would run as a formula is
neutralised, and CSV is UTF-8 with a byte-order mark (Excel in Japan needs it to read UTF-8)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable


def safe_cell(value):
    """Text a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_text(rows: Iterable[Iterable]) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue()
