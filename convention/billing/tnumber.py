"""Qualified-invoice registration numbers (適格請求書発行事業者登録番号): `T` + 13 digits.

The 13 digits are a corporate number (法人番号) or an assigned number, both built the same way:
the first digit checks the other twelve (National Tax Agency, 法人番号の指定等に関する省令):

    check = 9 − (Σ Pn × Qn  mod 9),  n = 1..12 counted from the rightmost digit,
    Pn the digit, Qn = 1 for odd n and 2 for even n.
"""

from __future__ import annotations

import re
import unicodedata

PATTERN = re.compile(r"^T(\d{13})$")


def check_digit(base12: str) -> int:
    if len(base12) != 12 or not base12.isdigit():
        raise ValueError("the base of a corporate number is 12 digits")
    total = 0
    for position, digit in enumerate(reversed(base12), start=1):
        total += int(digit) * (2 if position % 2 == 0 else 1)
    return 9 - total % 9


def normalize(value: str) -> str:
    """Full-width digits, spaces and hyphens are common when people type it in."""
    text = unicodedata.normalize("NFKC", value or "").upper()
    return re.sub(r"[\s\-‐－ー]", "", text)


def is_valid(value: str) -> bool:
    """`T` + 13 digits whose first digit is the check digit of the other twelve."""
    match = PATTERN.match(normalize(value))
    if not match:
        return False
    digits = match.group(1)
    return int(digits[0]) == check_digit(digits[1:])


def make(base12: str) -> str:
    """The registration number for a 12-digit base (demo data and tests)."""
    return f"T{check_digit(base12)}{base12}"
