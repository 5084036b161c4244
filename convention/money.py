"""Money is integer yen. Consumption tax is computed once per rate per document (the
qualified-invoice rule): sum the lines of one rate, then round the tax of that sum down."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class TaxRate(enum.IntEnum):
    STANDARD = 10
    REDUCED = 8  # food and newspapers; rare at a convention, but the law has it
    EXEMPT = 0


TAX_RATES = tuple(rate.value for rate in TaxRate)


def yen(amount: int | None) -> str:
    """`¥1,234`; negative amounts as `-¥1,234`."""
    if amount is None:
        return ""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"yen amounts are integers, not {type(amount).__name__}")
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,}"


def parse_yen(text: str) -> int:
    """`"¥12,345"`, `"１２，３４５円"` or `"12345"` → 12345. Raises ValueError otherwise."""
    import unicodedata

    cleaned = unicodedata.normalize("NFKC", str(text)).strip()
    for token in ("¥", "\\", "円", ",", " ", "JPY"):
        cleaned = cleaned.replace(token, "")
    negative = cleaned.startswith("-") or cleaned.startswith("△") or cleaned.startswith("▲")
    cleaned = cleaned.lstrip("-△▲+")
    if not cleaned.isdigit():
        raise ValueError(f"not an amount in yen: {text!r}")
    return -int(cleaned) if negative else int(cleaned)


def tax_on(amount: int, rate: int, *, inclusive: bool = False) -> int:
    """Tax on one per-rate sum, rounded down (切り捨て) once.

    Exclusive prices: floor(amount × rate / 100). Inclusive prices: the tax inside the
    amount, floor(amount × rate / (100 + rate)). Integer arithmetic only.
    """
    if rate not in TAX_RATES:
        raise ValueError(f"unknown tax rate {rate}%")
    if inclusive:
        return amount * rate // (100 + rate)
    return amount * rate // 100


@dataclass(frozen=True)
class RateTotal:
    """One line of the per-rate summary of an invoice."""

    rate: int
    net: int  # tax excluded
    tax: int
    gross: int  # tax included

    def as_dict(self) -> dict:
        return {"rate": self.rate, "net": self.net, "tax": self.tax, "gross": self.gross}


def rate_totals(amounts: Iterable[tuple[int, int]], *, inclusive: bool = False) -> list[RateTotal]:
    """`(amount, rate)` pairs → one RateTotal per rate, highest rate first.

    Tax is computed on the sum of each rate, never line by line, so 333 + 333 + 334 at 10%
    gives ¥100 of tax, not ¥99.
    """
    sums: dict[int, int] = {}
    for amount, rate in amounts:
        if rate not in TAX_RATES:
            raise ValueError(f"unknown tax rate {rate}%")
        sums[rate] = sums.get(rate, 0) + amount
    result = []
    for rate in sorted(sums, reverse=True):
        total = sums[rate]
        tax = tax_on(total, rate, inclusive=inclusive)
        if inclusive:
            result.append(RateTotal(rate, total - tax, tax, total))
        else:
            result.append(RateTotal(rate, total, tax, total + tax))
    return result


def grand_total(totals: Iterable[RateTotal]) -> int:
    return sum(item.gross for item in totals)


def tax_total(totals: Iterable[RateTotal]) -> int:
    return sum(item.tax for item in totals)
