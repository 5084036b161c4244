"""Money and registration numbers: pure functions, no database."""

import pytest

from convention.billing import tnumber
from convention.money import parse_yen, rate_totals, tax_on, yen


def test_yen_formats_integers_with_separators():
    assert yen(1234) == "¥1,234"
    assert yen(0) == "¥0"
    assert yen(-5000) == "-¥5,000"
    with pytest.raises(TypeError):
        yen(12.5)


def test_parse_yen_accepts_bank_formats():
    assert parse_yen("¥12,345") == 12345
    assert parse_yen("１２，３４５円") == 12345
    assert parse_yen(" 300 ") == 300
    with pytest.raises(ValueError):
        parse_yen("12.5")


def test_tax_is_computed_once_on_the_sum_of_a_rate():
    # Line by line 33.3 + 33.3 + 33.4 would round down to 33 + 33 + 33 = 99.
    totals = rate_totals([(333, 10), (333, 10), (334, 10)])
    assert [(t.rate, t.net, t.tax, t.gross) for t in totals] == [(10, 1000, 100, 1100)]


def test_awkward_amounts_round_down_once_per_rate():
    totals = rate_totals([(999, 10), (1, 10), (199, 8), (150, 8), (500, 0)])
    by_rate = {t.rate: t for t in totals}
    assert by_rate[10].tax == 100  # 1000 × 10%
    assert by_rate[8].tax == 27  # 349 × 8% = 27.92 → 27
    assert by_rate[0].tax == 0
    assert [t.rate for t in totals] == [10, 8, 0]
    assert sum(t.gross for t in totals) == 999 + 1 + 199 + 150 + 500 + 100 + 27


def test_tax_included_prices_extract_the_tax_once():
    # Three ¥3,333 tickets, tax included: 9999 × 10/110 = 909.0 → 909.
    totals = rate_totals([(3333, 10)] * 3, inclusive=True)
    assert (totals[0].gross, totals[0].tax, totals[0].net) == (9999, 909, 9090)
    assert tax_on(1001, 10, inclusive=True) == 91  # 91.0
    assert tax_on(1000, 10, inclusive=True) == 90  # 90.9 → 90


def test_unknown_rate_is_refused():
    with pytest.raises(ValueError):
        rate_totals([(100, 5)])


@pytest.mark.parametrize(
    "number",
    [
        "T7000012050002",  # National Tax Agency
        "T1180301018771",  # Toyota Motor Corporation
        "T4000012090001",  # Ministry of Economy, Trade and Industry
        "T 7000-0120-50002",  # typed with spaces and hyphens
        "Ｔ７０００Ｏ１２０５０００２".replace("Ｏ", "０"),  # full-width
    ],
)
def test_valid_registration_numbers(number):
    assert tnumber.is_valid(number)


@pytest.mark.parametrize(
    "number",
    [
        "T8000012050002",  # wrong check digit
        "7000012050002",  # no T
        "T700001205000",  # 12 digits
        "T70000120500021",  # 14 digits
        "TX000012050002",
        "",
    ],
)
def test_invalid_registration_numbers(number):
    assert not tnumber.is_valid(number)


def test_make_builds_a_valid_number():
    assert tnumber.make("000012050002") == "T7000012050002"
    assert tnumber.is_valid(tnumber.make("123456789012"))
