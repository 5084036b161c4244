"""Bilingual content: organisers write title_ja / title_en; show the one for the reader."""

from __future__ import annotations

from flask_babel import get_locale


def localized(obj, field: str) -> str:
    """`obj.<field>_<lang>`, falling back to the other language when that one is empty."""
    lang = str(get_locale() or "ja")
    other = "en" if lang == "ja" else "ja"
    return getattr(obj, f"{field}_{lang}", "") or getattr(obj, f"{field}_{other}", "") or ""
