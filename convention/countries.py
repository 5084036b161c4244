"""Countries and regions, named in the current language from CLDR data (via Babel)."""

from __future__ import annotations

from functools import cache

from babel import Locale
from flask_babel import get_locale
from wtforms import SelectChoice

from convention.forms import select_choices

# Territory codes that are not countries (continents, EU, "unknown" ...).
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB", "XK"}


@cache
def _names(language: str) -> tuple[tuple[str, str], ...]:
    territories = Locale.parse(language).territories
    pairs = [
        (code, name)
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    ]
    return tuple(sorted(pairs, key=lambda pair: pair[1]))


def country_choices() -> list[SelectChoice]:
    return select_choices(_names(str(get_locale() or "en")))


def country_name(code: str | None) -> str:
    if not code:
        return ""
    return dict(_names(str(get_locale() or "en"))).get(code, code)


def is_country(code: str) -> bool:
    return code in dict(_names("en"))
