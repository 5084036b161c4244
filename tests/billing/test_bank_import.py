"""Reconciling a bank statement: matched, partial, overpaid and unmatched lines."""

import pytest
from sqlalchemy import func, select

from convention.billing import services
from convention.billing.models import (
    BankLineStatus,
    BankStatementLine,
    OrderStatus,
    Payment,
    PaymentSource,
)
from convention.extensions import db
from tests.billing.conftest import invoiced_order


def statement(*rows: tuple[str, str, str, str], encoding: str = "utf-8") -> bytes:
    lines = ["日付,摘要,振込依頼人名,出金額,入金額"]
    for day, description, payer, amount in rows:
        lines.append(f'{day},{description},{payer},,"{amount}"')
    lines.append("2025/10/31,振込手数料,,440,")  # a withdrawal: skipped
    return ("\n".join(lines) + "\n").encode(encoding)


@pytest.fixture
def orders(app, issuer):
    exact = invoiced_order(prices=(100_000,))  # due 110,000
    partial = invoiced_order(prices=(200_000,))  # due 220,000
    over = invoiced_order(prices=(10_000,))  # due 11,000
    return exact, partial, over


def test_lines_are_matched_by_reference_and_amount(app, orders):
    exact, partial, over = orders
    data = statement(
        ("2025/10/20", f"振込 {exact.reference}", "ｶ)ｸﾞﾘｰﾝﾃｯｸ", "110,000"),
        ("2025/10/21", "振込", f"{partial.reference.replace('-', '')} ｶ)ｿﾗ", "100000"),
        ("2025/10/22", "", f"{over.reference} ﾔﾏﾀﾞ ﾀﾛｳ", "12000"),
        ("2025/10/23", "振込", "ｽｽﾞｷ ｲﾁﾛｳ", "5500"),
        ("2025/10/24", "C99-999999-0", "ﾅﾆｶ", "3000"),
    )
    result = services.import_bank_csv(data, "statement.csv")
    by_row = {line.row_number: line for line in result.lines}
    assert [line.status for line in result.lines] == [
        BankLineStatus.MATCHED,
        BankLineStatus.PARTIAL,
        BankLineStatus.OVERPAID,
        BankLineStatus.UNMATCHED,
        BankLineStatus.UNMATCHED,
    ]
    assert exact.status == OrderStatus.PAID and exact.receipt is not None
    assert partial.status == OrderStatus.PARTIALLY_PAID and partial.outstanding == 120_000
    assert "¥120,000" in by_row[3].message
    assert over.status == OrderStatus.PAID and over.overpaid == 1_000
    assert "¥1,000" in by_row[4].message
    assert by_row[5].order_id is None and "No order reference" in by_row[5].message
    payments = db.session.scalars(select(Payment)).all()
    assert len(payments) == 3
    assert {p.source for p in payments} == {PaymentSource.CSV_IMPORT}


def test_importing_the_same_statement_twice_counts_once(app, orders):
    exact, *_ = orders
    data = statement(("2025/10/20", exact.reference, "ｸﾞﾘｰﾝﾃｯｸ", "55000"))
    services.import_bank_csv(data)
    again = services.import_bank_csv(data)
    assert again.skipped == 1 and again.lines == []
    assert exact.amount_paid == 55_000


def test_shift_jis_statement_with_english_headers(app, orders):
    exact, *_ = orders
    data = (
        "Date,Amount,Payer,Description\n"
        f'2025-10-20,"110,000",グリーンテック,{exact.reference}\n'.replace("\n", "\r\n")
    ).encode("cp932")
    result = services.import_bank_csv(data)
    assert result.lines[0].status == BankLineStatus.MATCHED


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"foo,bar\n1,2\n", "No header row"),
        ("日付,入金額\n2025/10/20,abc\n".encode(), "Line 2: abc is not an amount"),
        ("日付,入金額\nyesterday,100\n".encode(), "Line 2: yesterday is not a date"),
        ("日付,入金額\n".encode(), "no deposits"),
    ],
)
def test_bad_files_are_refused_whole(app, orders, data, message):
    with pytest.raises(services.BankFileError, match=message):
        services.import_bank_csv(data)
    assert db.session.scalar(select(func.count()).select_from(BankStatementLine)) == 0


def test_a_bad_line_after_good_ones_stores_nothing(app, orders):
    exact, *_ = orders
    data = f"日付,入金額,摘要\n2025/10/20,110000,{exact.reference}\n2025/10/21,??,x\n".encode()
    with pytest.raises(services.BankFileError):
        services.import_bank_csv(data)
    assert exact.status == OrderStatus.INVOICED
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_review_assigns_or_ignores_unmatched_lines(app, orders):
    exact, partial, _ = orders
    result = services.import_bank_csv(
        statement(
            ("2025/10/20", "振込", "ｸﾞﾘｰﾝﾃｯｸ", "110000"),
            ("2025/10/21", "利息", "", "3"),
        )
    )
    first, second = result.lines
    assert services.suggestions_for(first) == [exact]
    with pytest.raises(services.BillingError) as error:
        services.resolve_bank_line(first, "C00-000000-0")
    assert error.value.field == "reference"
    services.resolve_bank_line(first, exact.reference)
    assert first.status == BankLineStatus.RESOLVED
    assert exact.status == OrderStatus.PAID
    services.ignore_bank_line(second)
    assert second.status == BankLineStatus.IGNORED
    assert services.unmatched_lines() == []
    with pytest.raises(services.BillingError, match="already handled"):
        services.ignore_bank_line(first)


def test_deposit_for_a_cancelled_order_stays_unmatched(app, orders):
    exact, *_ = orders
    services.cancel_invoice(exact.current_invoice, "cancelled")
    result = services.import_bank_csv(statement(("2025/10/20", exact.reference, "x", "110000")))
    line = result.lines[0]
    assert line.status == BankLineStatus.UNMATCHED
    assert "cancelled" in line.message
    assert exact.amount_paid == 0
