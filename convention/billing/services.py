"""Billing rules: orders, the order state machine, gap-free invoice numbers, cancellation
documents, payments, receipts, bank-statement reconciliation, reminders and the paid hooks.

Other features call (see `__all__`): `create_order`, `create_order_for_registration`,
`issue_invoice`, `cancel_invoice`, `cancel_order`, `record_payment`, `refund_order`,
`on_paid`, `on_cancelled`, `orders_for`, `find_order_by_reference`.
"""

from __future__ import annotations

import csv
import hashlib
import importlib
import io
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import selectinload

from convention.billing import tnumber
from convention.billing.models import (
    OPEN_STATUSES,
    BankImport,
    BankLineStatus,
    BankStatementLine,
    BillingError,
    DocumentKind,
    Invoice,
    InvoiceSeries,
    IssuerSettings,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentSource,
    ProductFamily,
    Receipt,
    Reminder,
    can_transition,
)
from convention.extensions import db
from convention.i18n import localized
from convention.jobs import resolve
from convention.money import TAX_RATES
from convention.timeutil import EVENT_ZONE, utcnow

log = logging.getLogger(__name__)

DEFAULT_SERIES = {
    DocumentKind.INVOICE: ("INV", "INV-"),
    DocumentKind.CANCELLATION: ("CXL", "CN-"),
    DocumentKind.RECEIPT: ("RCP", "RC-"),
}


def today_local(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(EVENT_ZONE).date()


# --------------------------------------------------------------------------- hooks

PaidCallback = Callable[[Order], None]
_hooks: dict[tuple[str, ProductFamily], list[PaidCallback | str]] = {}


def _register(kind: str, family: ProductFamily | str, callback: PaidCallback | str) -> None:
    entries = _hooks.setdefault((kind, ProductFamily(family)), [])
    # Apps are created many times in one process (tests): register each callback once.
    if callback not in entries:
        entries.append(callback)


def on_paid(family: ProductFamily | str, callback: PaidCallback | str) -> None:
    """Call `callback(order)` when an order of `family` becomes paid, inside the transaction
    that records the payment (so a ticket is confirmed with its payment, or neither is).
    `callback` may be a function or "module:function". Use `order.source_id` to find yours."""
    _register("paid", family, callback)


def on_cancelled(family: ProductFamily | str, callback: PaidCallback | str) -> None:
    """Call `callback(order)` when an order of `family` is cancelled or refunded."""
    _register("cancelled", family, callback)


def _fire(kind: str, order: Order) -> None:
    for callback in _hooks.get((kind, order.family), []):
        (resolve(callback) if isinstance(callback, str) else callback)(order)


# ------------------------------------------------------------------------ issuer


def organiser_name() -> str:
    """Who runs the convention, as every page's footer names it: the invoices' issuer, in the
    page's language; "" until organisers fill it in, or when the database cannot answer (the
    error pages have a footer too)."""
    try:
        issuer = db.session.scalar(select(IssuerSettings).order_by(IssuerSettings.id).limit(1))
    except SQLAlchemyError:
        return ""
    return localized(issuer, "name") if issuer else ""


def get_issuer() -> IssuerSettings:
    """The issuer settings row (made empty on first use)."""
    issuer = db.session.scalar(select(IssuerSettings).order_by(IssuerSettings.id).limit(1))
    if issuer is None:
        issuer = IssuerSettings()
        db.session.add(issuer)
        db.session.flush()
    return issuer


ISSUER_FIELDS = (
    "name_ja",
    "name_en",
    "registration_number",
    "postal_code",
    "address_ja",
    "address_en",
    "phone",
    "email",
    "bank_name",
    "bank_branch",
    "account_type",
    "account_number",
    "account_holder_kana",
    "payment_terms_days",
)


def update_issuer(**fields) -> IssuerSettings:
    """Organisers edit who issues the invoices. A bad T-number is refused, nothing saved."""
    unknown = set(fields) - set(ISSUER_FIELDS)
    if unknown:
        raise TypeError(f"unknown issuer fields: {sorted(unknown)}")
    if "registration_number" in fields:
        number = tnumber.normalize(fields["registration_number"])
        if not tnumber.is_valid(number):
            raise BillingError(
                _(
                    "A registration number is T followed by 13 digits with a valid check digit "
                    "(e.g. T7000012050002)."
                ),
                field="registration_number",
            )
        fields["registration_number"] = number
    terms = fields.get("payment_terms_days")
    if terms is not None and not (0 <= int(terms) <= 365):
        raise BillingError(_("Payment terms are 0 to 365 days."), field="payment_terms_days")
    issuer = get_issuer()
    for name, value in fields.items():
        setattr(issuer, name, value)
    db.session.commit()
    return issuer


# ------------------------------------------------------------------------ orders


@dataclass(frozen=True)
class Buyer:
    name: str
    email: str
    organisation: str = ""
    address: str = ""
    user_id: int | None = None
    language: str = "ja"


@dataclass(frozen=True)
class Line:
    description_ja: str
    description_en: str
    unit_price: int  # integer yen
    quantity: int = 1
    tax_rate: int = 10  # percent: 10, 8 or 0


def _check_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BillingError(_("Amounts are whole yen."), field=name)
    return value


def _validate_lines(lines: Iterable[Line]) -> list[Line]:
    lines = list(lines)
    if not lines:
        raise BillingError(_("An order needs at least one line."), field="lines")
    for line in lines:
        _check_int(line.unit_price, "unit_price")
        _check_int(line.quantity, "quantity")
        if line.unit_price < 0:
            raise BillingError(_("A price cannot be negative."), field="unit_price")
        if line.quantity <= 0:
            raise BillingError(_("A quantity is at least 1."), field="quantity")
        if line.tax_rate not in TAX_RATES:
            raise BillingError(_("The tax rate must be 10, 8 or 0 percent."), field="tax_rate")
        if not (line.description_ja or line.description_en).strip():
            raise BillingError(_("Every line needs a description."), field="description")
    return lines


def reference_check(digits: str) -> int:
    """A weighted mod-11 check digit (weights 2..7, like a JIS bank check), folded to 0-9,
    so one mistyped or swapped digit in a transfer reference is noticed."""
    total = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(digits)))
    return (11 - total % 11) % 11 % 10


def make_reference(order: Order) -> str:
    year = (order.created_at or utcnow()).astimezone(EVENT_ZONE).year % 100
    digits = f"{year:02d}{order.id:06d}"
    return f"C{year:02d}-{order.id:06d}-{reference_check(digits)}"


REFERENCE_PATTERN = re.compile(r"C\s*-?\s*(\d{2})\s*-?\s*(\d{6})\s*-?\s*(\d)")


def find_reference(text: str) -> str | None:
    """The first well-formed order reference in free text (a bank line's description or
    payer name), normalised to C25-000123-7; None when none has a valid check digit."""
    normal = unicodedata.normalize("NFKC", text or "").upper()
    for match in REFERENCE_PATTERN.finditer(normal):
        year, number, check = match.groups()
        if reference_check(year + number) == int(check):
            return f"C{year}-{number}-{check}"
    return None


def find_order_by_reference(text: str) -> Order | None:
    reference = find_reference(text)
    if reference is None:
        return None
    return db.session.scalar(select(Order).where(Order.reference == reference))


def create_order(
    buyer: Buyer,
    family: ProductFamily | str,
    lines: Iterable[Line],
    *,
    edition=None,
    source: str = "",
    source_id: int | None = None,
    prices_include_tax: bool = False,
    notes: str = "",
    commit: bool = True,
) -> Order:
    """A draft order with its transfer reference. Sponsors and booths call this; tickets use
    `create_order_for_registration`. Raises BillingError on bad input, adding nothing."""
    lines = _validate_lines(lines)
    if not buyer.name.strip():
        raise BillingError(_("The buyer's name is required."), field="buyer_name")
    if "@" not in (buyer.email or ""):
        raise BillingError(_("The buyer's email address is required."), field="buyer_email")
    order = Order(
        family=ProductFamily(family),
        status=OrderStatus.DRAFT,
        buyer_name=buyer.name.strip(),
        buyer_email=buyer.email.strip(),
        buyer_organisation=buyer.organisation.strip(),
        buyer_address=buyer.address.strip(),
        user_id=buyer.user_id,
        language=buyer.language if buyer.language in ("ja", "en") else "ja",
        edition=edition,
        source=source,
        source_id=source_id,
        prices_include_tax=prices_include_tax,
        notes=notes,
        created_at=utcnow(),
    )
    for position, line in enumerate(lines):
        order.lines.append(
            OrderLine(
                position=position,
                description_ja=line.description_ja or line.description_en,
                description_en=line.description_en or line.description_ja,
                quantity=line.quantity,
                unit_price=line.unit_price,
                tax_rate=line.tax_rate,
            )
        )
    db.session.add(order)
    db.session.flush()
    order.reference = make_reference(order)
    if commit:
        db.session.commit()
    return order


def create_order_for_registration(registration, *, issue: bool = True) -> Order:
    """The order for a paid ticket: one tax-included line at `ticket_type.price`, 10%.

    With `issue` (the default) the qualified invoice is issued at once, so the attendee can
    pay by bank transfer or card from /my/orders/<id>. Commits. Registration learns of the
    payment through `on_paid("ticket", callback)` with `order.source_id == registration.id`.
    A free ticket has nothing to bill: BillingError.
    """
    ticket_type = registration.ticket_type
    price = ticket_type.price
    if not price or price <= 0:
        raise BillingError(_("A free ticket has nothing to bill."))
    user = registration.user
    edition = registration.edition
    name_ja = f"{edition.name_ja} 参加チケット（{ticket_type.name_ja}）"
    name_en = f"{edition.name_en} ticket ({ticket_type.name_en})"
    order = create_order(
        Buyer(
            name=user.name or user.email,
            email=user.email,
            organisation=registration.organization or user.organization or "",
            user_id=user.id,
            language=user.language,
        ),
        ProductFamily.TICKET,
        [Line(name_ja, name_en, unit_price=price, quantity=1, tax_rate=10)],
        edition=edition,
        source="registration",
        source_id=registration.id,
        prices_include_tax=True,
        commit=True,
    )
    if issue:
        # Payment is due before the convention opens, whatever the usual terms say.
        today = today_local()
        due = today + timedelta(days=get_issuer().payment_terms_days)
        if edition is not None and edition.start_date:
            due = max(today, min(due, edition.start_date - timedelta(days=1)))
        issue_invoice(order, language=order.language, due_date=due)
    return order


def replace_lines(order: Order, lines: Iterable[Line]) -> Order:
    """Only a draft's lines change; an invoiced order is corrected by cancelling its invoice
    for correction first (which reopens it as a draft)."""
    if order.status != OrderStatus.DRAFT:
        raise BillingError(_("Only a draft order can be changed."))
    lines = _validate_lines(lines)
    order.lines.clear()
    db.session.flush()
    for position, line in enumerate(lines):
        order.lines.append(
            OrderLine(
                position=position,
                description_ja=line.description_ja or line.description_en,
                description_en=line.description_en or line.description_ja,
                quantity=line.quantity,
                unit_price=line.unit_price,
                tax_rate=line.tax_rate,
            )
        )
    db.session.commit()
    return order


def update_draft(
    order: Order,
    buyer: Buyer,
    lines: Iterable[Line],
    *,
    prices_include_tax: bool | None = None,
) -> Order:
    """Correct a draft (or an order reopened after cancelling its invoice): the recipient
    and the lines. Nothing is saved when any of it is refused."""
    if order.status != OrderStatus.DRAFT:
        raise BillingError(_("Only a draft order can be changed."))
    lines = _validate_lines(lines)
    if not buyer.name.strip():
        raise BillingError(_("The buyer's name is required."), field="buyer_name")
    if "@" not in (buyer.email or ""):
        raise BillingError(_("The buyer's email address is required."), field="buyer_email")
    order.buyer_name = buyer.name.strip()
    order.buyer_email = buyer.email.strip()
    order.buyer_organisation = buyer.organisation.strip()
    order.buyer_address = buyer.address.strip()
    if buyer.language in ("ja", "en"):
        order.language = buyer.language
    if prices_include_tax is not None:
        order.prices_include_tax = prices_include_tax
    return replace_lines(order, lines)


STATUS_LABELS = {
    OrderStatus.DRAFT: _l("draft"),
    OrderStatus.INVOICED: _l("invoiced"),
    OrderStatus.PARTIALLY_PAID: _l("partially paid"),
    OrderStatus.PAID: _l("paid"),
    OrderStatus.CANCELLED: _l("cancelled"),
    OrderStatus.REFUNDED: _l("refunded"),
}


def transition(order: Order, new: OrderStatus) -> None:
    """Move an order along the state machine (models.ORDER_TRANSITIONS) or refuse."""
    new = OrderStatus(new)
    if not can_transition(order.status, new):
        raise BillingError(
            _(
                "An order that is %(current)s cannot become %(new)s.",
                current=str(STATUS_LABELS[order.status]),
                new=str(STATUS_LABELS[new]),
            )
        )
    order.status = new
    now = utcnow()
    if new == OrderStatus.INVOICED and order.invoiced_at is None:
        order.invoiced_at = now
    elif new == OrderStatus.PAID:
        order.paid_at = now
    elif new in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
        order.closed_at = now


def _lock_order(order: Order) -> Order:
    """Row lock on the order for the rest of the transaction (no-op on SQLite)."""
    return db.session.execute(
        select(Order)
        .where(Order.id == order.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


# -------------------------------------------------------------------- numbering


def get_series(kind: DocumentKind, code: str | None = None) -> InvoiceSeries:
    """The series by code (default: the standard one of `kind`), made on first use."""
    default_code, prefix = DEFAULT_SERIES[kind]
    code = code or default_code
    series = db.session.scalar(select(InvoiceSeries).where(InvoiceSeries.code == code))
    if series is None:
        dialect = db.engine.dialect.name
        if dialect in ("postgresql", "sqlite"):
            insert = importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert
            db.session.execute(
                insert(InvoiceSeries)
                .values(code=code, prefix=prefix, kind=kind, next_number=1)
                .on_conflict_do_nothing(index_elements=["code"])
            )
        else:  # pragma: no cover - other databases are not supported
            db.session.add(InvoiceSeries(code=code, prefix=prefix, kind=kind, next_number=1))
            db.session.flush()
        series = db.session.scalar(select(InvoiceSeries).where(InvoiceSeries.code == code))
    return series


def list_series(kind: DocumentKind = DocumentKind.INVOICE) -> list[InvoiceSeries]:
    get_series(kind)  # the default one always exists
    return db.session.scalars(
        select(InvoiceSeries).where(InvoiceSeries.kind == kind).order_by(InvoiceSeries.id)
    ).all()


SERIES_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,19}$")
SERIES_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_/-]{0,19}$")


def create_series(
    code: str, prefix: str, kind: DocumentKind = DocumentKind.INVOICE
) -> InvoiceSeries:
    """A new numbering sequence (e.g. one per fiscal year: code FY2025, prefix 2025-).
    Its numbers start at 1; its prefix keeps its numbers distinct from other series'."""
    code = (code or "").strip().upper()
    prefix = (prefix or "").strip()
    if not SERIES_CODE.match(code):
        raise BillingError(_("A code is 1 to 20 letters, digits, - or _."), field="code")
    if not SERIES_PREFIX.match(prefix):
        raise BillingError(_("A prefix is 1 to 20 letters, digits, -, / or _."), field="prefix")
    if db.session.scalar(select(InvoiceSeries.id).where(InvoiceSeries.code == code)):
        raise BillingError(_("This code is already used."), field="code")
    if db.session.scalar(select(InvoiceSeries.id).where(InvoiceSeries.prefix == prefix)):
        raise BillingError(_("This prefix is already used."), field="prefix")
    series = InvoiceSeries(code=code, prefix=prefix, kind=kind, next_number=1)
    db.session.add(series)
    db.session.commit()
    return series


def _allocate(series: InvoiceSeries) -> tuple[InvoiceSeries, int]:
    """Take the next number under a row lock held until the issuing transaction commits:
    a rollback gives the number back, so numbers have no gaps and are never reused."""
    locked = db.session.execute(
        select(InvoiceSeries)
        .where(InvoiceSeries.id == series.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    number = locked.next_number
    locked.next_number = number + 1
    return locked, number


def _issuer_snapshot(issuer: IssuerSettings) -> dict:
    return {
        "name_ja": issuer.name_ja,
        "name_en": issuer.name_en or issuer.name_ja,
        "registration_number": issuer.registration_number,
        "postal_code": issuer.postal_code,
        "address_ja": issuer.address_ja,
        "address_en": issuer.address_en or issuer.address_ja,
        "phone": issuer.phone,
        "email": issuer.email,
    }


def _bank_snapshot(issuer: IssuerSettings) -> dict:
    return {
        "bank_name": issuer.bank_name,
        "bank_branch": issuer.bank_branch,
        "account_type": issuer.account_type.value,
        "account_number": issuer.account_number,
        "account_holder_kana": issuer.account_holder_kana,
    }


def _order_snapshot(order: Order) -> dict:
    totals = order.rate_totals()
    return {
        "recipient": {
            "name": order.buyer_name,
            "organisation": order.buyer_organisation,
            "address": order.buyer_address,
            "email": order.buyer_email,
        },
        "reference": order.reference,
        "family": order.family.value,
        "edition": (
            {"name_ja": order.edition.name_ja, "name_en": order.edition.name_en}
            if order.edition
            else None
        ),
        "prices_include_tax": order.prices_include_tax,
        "lines": [
            {
                "description_ja": line.description_ja,
                "description_en": line.description_en,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "amount": line.amount,
                "tax_rate": line.tax_rate,
            }
            for line in order.lines
        ],
        "rates": [item.as_dict() for item in totals],
        "total": sum(item.gross for item in totals),
        "tax_total": sum(item.tax for item in totals),
    }


def _require_issuer() -> IssuerSettings:
    issuer = get_issuer()
    if not issuer.complete:
        raise BillingError(
            _(
                "Fill in the issuer settings (name, registration number, address and bank "
                "account) before issuing documents."
            )
        )
    if not tnumber.is_valid(issuer.registration_number):
        raise BillingError(_("The issuer's registration number is not valid."))
    return issuer


def issue_invoice(
    order: Order,
    series: InvoiceSeries | None = None,
    language: str | None = None,
    *,
    issued_by=None,
    due_date: date | None = None,
    now: datetime | None = None,
) -> Invoice:
    """Issue the qualified invoice of a draft order: take the next number of `series` under a
    row lock, copy everything printed on it into the invoice, mark the order invoiced, commit.

    Raises BillingError (nothing changed) when the order is not a draft, is empty or the
    issuer settings are incomplete.
    """
    language = language or order.language
    if language not in ("ja", "en"):
        raise BillingError(_("Choose Japanese or English."), field="language")
    issuer = _require_issuer()
    try:
        order = _lock_order(order)
        if order.status != OrderStatus.DRAFT:
            raise BillingError(_("This order already has an invoice."))
        if not order.lines or order.total <= 0:
            raise BillingError(_("There is nothing to invoice on this order."))
        series = series or get_series(DocumentKind.INVOICE)
        if series.kind != DocumentKind.INVOICE:
            raise BillingError(_("This series does not number invoices."), field="series")
        series, number = _allocate(series)
        moment = now or utcnow()
        issue_date = today_local(moment)
        due = due_date or issue_date + timedelta(days=issuer.payment_terms_days)
        display = series.format(number)
        snapshot = {
            "kind": DocumentKind.INVOICE.value,
            "number": display,
            "language": language,
            "issue_date": issue_date.isoformat(),
            "due_date": due.isoformat(),
            "issuer": _issuer_snapshot(issuer),
            "bank": _bank_snapshot(issuer),
            **_order_snapshot(order),
        }
        invoice = Invoice(
            series=series,
            number=number,
            display_number=display,
            kind=DocumentKind.INVOICE,
            order=order,
            language=language,
            issued_at=moment,
            issue_date=issue_date,
            due_date=due,
            total=snapshot["total"],
            tax_total=snapshot["tax_total"],
            snapshot=snapshot,
            issued_by_id=getattr(issued_by, "id", None),
        )
        db.session.add(invoice)
        transition(order, OrderStatus.INVOICED)
        db.session.flush()
        # Payments kept from before a correction count against the new invoice.
        _settle(order)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return invoice


def cancel_invoice(
    invoice: Invoice,
    reason: str,
    *,
    reopen: bool = False,
    issued_by=None,
    now: datetime | None = None,
) -> Invoice:
    """Cancel an issued invoice with a new numbered document that refers to it (the original
    stays as it was). With `reopen` the order goes back to draft to be corrected and
    invoiced again; otherwise the order is cancelled (refused while money was received:
    use `refund_order`). Returns the cancellation document."""
    reason = (reason or "").strip()
    if not reason:
        raise BillingError(_("Give a reason for the cancellation."), field="reason")
    if "\x00" in reason:  # no form sends one; PostgreSQL cannot store it
        raise BillingError(_("This contains characters that are not allowed."), field="reason")
    if invoice.kind != DocumentKind.INVOICE:
        raise BillingError(_("Only an invoice can be cancelled."))
    try:
        order = _lock_order(invoice.order)
        already = db.session.scalar(select(Invoice.id).where(Invoice.original_id == invoice.id))
        if already is not None:
            raise BillingError(_("This invoice is already cancelled."))
        if reopen:
            transition(order, OrderStatus.DRAFT)
        else:
            if order.amount_paid > 0:
                raise BillingError(
                    _("Money was received for this order: refund it instead of cancelling.")
                )
            transition(order, OrderStatus.CANCELLED)
        cancellation = _cancellation_document(invoice, reason, issued_by, now)
        db.session.flush()
        if order.status == OrderStatus.CANCELLED:
            _fire("cancelled", order)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return cancellation


def _cancellation_document(invoice: Invoice, reason: str, issued_by, now) -> Invoice:
    series, number = _allocate(get_series(DocumentKind.CANCELLATION))
    moment = now or utcnow()
    issue_date = today_local(moment)
    original = invoice.snapshot
    display = series.format(number)
    negated = [
        {key: -value if key in ("net", "tax", "gross") else value for key, value in item.items()}
        for item in original["rates"]
    ]
    snapshot = {
        **original,
        "kind": DocumentKind.CANCELLATION.value,
        "number": display,
        "issue_date": issue_date.isoformat(),
        "due_date": None,
        "issuer": _issuer_snapshot(get_issuer()),
        "original": {
            "number": invoice.display_number,
            "issue_date": invoice.issue_date.isoformat(),
            "total": invoice.total,
        },
        "reason": reason,
        "rates": negated,
        "total": -original["total"],
        "tax_total": -original["tax_total"],
    }
    cancellation = Invoice(
        series=series,
        number=number,
        display_number=display,
        kind=DocumentKind.CANCELLATION,
        order=invoice.order,
        original=invoice,
        language=invoice.language,
        issued_at=moment,
        issue_date=issue_date,
        due_date=None,
        total=snapshot["total"],
        tax_total=snapshot["tax_total"],
        reason=reason,
        snapshot=snapshot,
        issued_by_id=getattr(issued_by, "id", None),
    )
    db.session.add(cancellation)
    return cancellation


def cancel_order(order: Order, reason: str = "", *, issued_by=None) -> Order:
    """Cancel an order with no money received: a draft simply closes; an invoiced order gets
    a cancellation document for its invoice."""
    invoice = order.current_invoice
    if invoice is not None:
        cancel_invoice(invoice, reason or _("Order cancelled"), issued_by=issued_by)
        return order
    try:
        order = _lock_order(order)
        transition(order, OrderStatus.CANCELLED)
        _fire("cancelled", order)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return order


# ---------------------------------------------------------------------- payments


def record_payment(
    order: Order,
    amount: int,
    *,
    received_on: date | None = None,
    payer_name: str = "",
    reference: str = "",
    method: PaymentMethod | str = PaymentMethod.BANK_TRANSFER,
    source: PaymentSource | str = PaymentSource.MANUAL,
    external_id: str | None = None,
    recorded_by=None,
    note: str = "",
    commit: bool = True,
) -> Payment:
    """Record money received for an invoiced order; the order becomes partially paid or paid
    (with its receipt and the family's on_paid callbacks). The same `external_id` twice
    returns the first payment and records nothing. An overpayment is recorded and shown."""
    amount = _check_int(amount, "amount")
    if amount <= 0:
        raise BillingError(_("The amount must be a positive number of yen."), field="amount")
    if external_id:
        existing = db.session.scalar(select(Payment).where(Payment.external_id == external_id))
        if existing is not None:
            return existing
    try:
        order = _lock_order(order)
        if order.status not in (*OPEN_STATUSES, OrderStatus.PAID):
            raise BillingError(
                _(
                    "Payments are recorded against an invoiced order; this one is %(status)s.",
                    status=str(STATUS_LABELS[order.status]),
                )
            )
        payment = Payment(
            order=order,
            amount=amount,
            received_on=received_on or today_local(),
            payer_name=(payer_name or "").strip()[:200],
            reference=(reference or "").strip()[:200],
            method=PaymentMethod(method),
            source=PaymentSource(source),
            external_id=external_id,
            note=note,
            recorded_by_id=getattr(recorded_by, "id", None),
        )
        db.session.add(payment)
        db.session.flush()
        _settle(order)
        if commit:
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return payment


def _settle(order: Order) -> None:
    """Bring the order's state in line with the money received for its current invoice."""
    if order.status not in OPEN_STATUSES:
        return
    paid = order.amount_paid
    if paid >= order.amount_due:
        transition(order, OrderStatus.PAID)
        receipt = _issue_receipt(order)
        db.session.flush()
        _mail_receipt(order, receipt)
        _fire("paid", order)
    elif paid > 0 and order.status == OrderStatus.INVOICED:
        transition(order, OrderStatus.PARTIALLY_PAID)


def order_url(order: Order) -> str:
    """The buyer's page of an order, as a full URL for emails (also outside requests)."""
    from flask import has_request_context, url_for

    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for("billing_public.order", order_id=order.id, _external=True)
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    return f"{base}/my/orders/{order.id}"


def send_invoice(invoice: Invoice) -> None:
    """Email the invoice PDF to the buyer (queued in the caller's transaction; commits)."""
    from convention.billing import documents
    from convention.mail import services as mail

    order = invoice.order
    mail.queue(
        order.buyer_email,
        "billing/invoice",
        language=invoice.language,
        order=order,
        invoice=invoice,
        pay_url=order_url(order),
        attachments=[
            mail.attachment(
                f"{invoice.display_number}.pdf", "application/pdf", documents.render(invoice)
            )
        ],
    )
    db.session.commit()


def _mail_receipt(order: Order, receipt: Receipt) -> None:
    from convention.billing import documents
    from convention.mail import services as mail

    mail.queue(
        order.buyer_email,
        "billing/receipt",
        language=receipt.snapshot.get("language", order.language),
        order=order,
        receipt=receipt,
        attachments=[
            mail.attachment(
                f"{receipt.display_number}.pdf",
                "application/pdf",
                documents.render_receipt(receipt),
            )
        ],
    )


def _issue_receipt(order: Order) -> Receipt:
    if order.receipt is not None:
        return order.receipt
    invoice = order.current_invoice
    series, number = _allocate(get_series(DocumentKind.RECEIPT))
    moment = utcnow()
    payments = [p for p in order.payments if not p.is_refund]
    methods = sorted({p.method.value for p in payments})
    snapshot = {
        "kind": DocumentKind.RECEIPT.value,
        "number": series.format(number),
        "language": invoice.language if invoice else order.language,
        "issue_date": today_local(moment).isoformat(),
        "issuer": _issuer_snapshot(get_issuer()),
        "invoice_number": invoice.display_number if invoice else "",
        "amount": order.amount_due,
        "received": order.amount_paid,
        "paid_on": max(p.received_on for p in payments).isoformat() if payments else None,
        "methods": methods,
        **_order_snapshot(order),
    }
    if invoice:  # the receipt repeats what was invoiced, even if issuer data changed since
        snapshot["rates"] = invoice.snapshot["rates"]
        snapshot["total"] = invoice.total
        snapshot["tax_total"] = invoice.tax_total
        snapshot["lines"] = invoice.snapshot["lines"]
    receipt = Receipt(
        order=order,
        series_id=series.id,
        number=number,
        display_number=series.format(number),
        issued_at=moment,
        amount=snapshot["amount"],
        snapshot=snapshot,
    )
    db.session.add(receipt)
    return receipt


def refund_order(
    order: Order,
    reason: str,
    *,
    amount: int | None = None,
    method: PaymentMethod | str = PaymentMethod.BANK_TRANSFER,
    issued_by=None,
) -> Invoice:
    """Return the money and cancel: records the refund, issues the cancellation (返還)
    document referring to the invoice, and marks the order refunded."""
    reason = (reason or "").strip()
    if not reason:
        raise BillingError(_("Give a reason for the refund."), field="reason")
    invoice = order.current_invoice
    if invoice is None:
        raise BillingError(_("This order has no invoice to refund."))
    try:
        order = _lock_order(order)
        if not can_transition(order.status, OrderStatus.REFUNDED):
            transition(order, OrderStatus.REFUNDED)  # raises the clear message
        refund = order.amount_paid if amount is None else _check_int(amount, "amount")
        if refund <= 0 or refund > order.amount_paid:
            raise BillingError(_("A refund is between ¥1 and the amount received."), field="amount")
        db.session.add(
            Payment(
                order=order,
                amount=refund,
                is_refund=True,
                received_on=today_local(),
                method=PaymentMethod(method),
                source=PaymentSource.MANUAL,
                note=reason,
                recorded_by_id=getattr(issued_by, "id", None),
            )
        )
        transition(order, OrderStatus.REFUNDED)
        cancellation = _cancellation_document(invoice, reason, issued_by, None)
        db.session.flush()
        _fire("cancelled", order)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return cancellation


# ------------------------------------------------------------------ bank import


class BankFileError(BillingError):
    """The bank statement could not be read; nothing was imported."""


COLUMN_ALIASES = {
    "date": ("日付", "取引日", "入金日", "年月日", "勘定日", "date", "value date", "booking date"),
    "amount": (
        "入金額",
        "入金",
        "預入金額",
        "お預り金額",
        "お預入金額",
        "金額",
        "amount",
        "deposit",
        "credit",
    ),
    "withdrawal": ("出金額", "出金", "支払金額", "お引出金額", "お支払金額", "withdrawal", "debit"),
    "payer": ("振込依頼人名", "振込依頼人", "依頼人名", "名義", "payer", "name", "remitter"),
    "description": ("摘要", "内容", "備考", "メモ", "description", "memo", "reference", "details"),
}


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BankFileError(_("The file is neither UTF-8 nor Shift_JIS text."), field="file")


def _header_map(row: list[str]) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for index, cell in enumerate(row):
        name = unicodedata.normalize("NFKC", cell).strip().lower()
        for key, aliases in COLUMN_ALIASES.items():
            if key not in found and name in aliases:
                found[key] = index
    return found if {"date", "amount"} <= found.keys() else None


def _parse_date(text: str) -> date:
    cleaned = unicodedata.normalize("NFKC", text).strip()
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(cleaned, pattern).date()
        except ValueError:
            continue
    raise ValueError(cleaned)


@dataclass(frozen=True)
class BankRow:
    row_number: int
    value_date: date
    amount: int
    payer_name: str
    description: str


def parse_bank_csv(data: bytes) -> list[BankRow]:
    """Deposits of a bank-statement CSV (UTF-8 or Shift_JIS, Japanese or English headers).
    Withdrawals and empty lines are skipped; an unreadable line refuses the whole file."""
    from convention.money import parse_yen

    text = _decode(data)
    rows = list(csv.reader(io.StringIO(text)))
    header = None
    start = 0
    for index, row in enumerate(rows[:10]):
        header = _header_map(row)
        if header:
            start = index + 1
            break
    if not header:
        raise BankFileError(
            _(
                "No header row with a date and an amount column was found "
                "(e.g. 日付, 入金額, 振込依頼人名, 摘要)."
            ),
            field="file",
        )
    result = []
    for number, row in enumerate(rows[start:], start=start + 1):
        if not any(cell.strip() for cell in row):
            continue

        def cell(key: str, row=row) -> str:
            index = header.get(key)
            return row[index].strip() if index is not None and index < len(row) else ""

        raw_amount = cell("amount")
        if not raw_amount:
            continue  # a withdrawal line
        try:
            amount = parse_yen(raw_amount)
        except ValueError:
            raise BankFileError(
                _("Line %(line)s: %(value)s is not an amount.", line=number, value=raw_amount),
                field="file",
            ) from None
        if amount <= 0:
            continue
        try:
            value_date = _parse_date(cell("date"))
        except ValueError:
            raise BankFileError(
                _("Line %(line)s: %(value)s is not a date.", line=number, value=cell("date")),
                field="file",
            ) from None
        result.append(
            BankRow(number, value_date, amount, cell("payer")[:200], cell("description")[:400])
        )
    if not result:
        raise BankFileError(_("The file has no deposits."), field="file")
    return result


def _fingerprint(row: BankRow, occurrence: int) -> str:
    key = f"{row.value_date}|{row.amount}|{row.payer_name}|{row.description}|{occurrence}"
    return hashlib.sha256(key.encode()).hexdigest()


def import_bank_csv(file, filename: str = "", *, imported_by=None) -> BankImport:
    """Read a bank statement and match each deposit to an order by the transfer reference in
    the payer name or description, comparing the amount with what is due: MATCHED (exact),
    PARTIAL, OVERPAID or UNMATCHED (for the review screen). Deposits seen in an earlier
    import are skipped. All or nothing: a bad file raises BankFileError and stores nothing."""
    data = file.read() if hasattr(file, "read") else file
    if isinstance(data, str):
        data = data.encode()
    rows = parse_bank_csv(data)
    try:
        bank_import = BankImport(
            filename=filename[:255], imported_by_id=getattr(imported_by, "id", None)
        )
        db.session.add(bank_import)
        seen: dict[tuple, int] = {}
        for row in rows:
            key = (row.value_date, row.amount, row.payer_name, row.description)
            seen[key] = seen.get(key, 0) + 1
            fingerprint = _fingerprint(row, seen[key])
            if db.session.scalar(
                select(BankStatementLine.id).where(BankStatementLine.fingerprint == fingerprint)
            ):
                bank_import.skipped += 1
                continue
            line = BankStatementLine(
                bank_import=bank_import,
                row_number=row.row_number,
                fingerprint=fingerprint,
                value_date=row.value_date,
                amount=row.amount,
                payer_name=row.payer_name,
                description=row.description,
                status=BankLineStatus.UNMATCHED,
            )
            db.session.add(line)
            _match_line(line)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return bank_import


def _match_line(line: BankStatementLine) -> None:
    reference = find_reference(f"{line.payer_name} {line.description}")
    if reference is None:
        line.message = _("No order reference found.")
        return
    line.reference_found = reference
    order = db.session.scalar(select(Order).where(Order.reference == reference))
    if order is None:
        line.message = _("Reference %(reference)s is not an order.", reference=reference)
        return
    _apply_line(line, order)


def _apply_line(line: BankStatementLine, order: Order, *, resolved: bool = False) -> None:
    if order.status not in (*OPEN_STATUSES, OrderStatus.PAID):
        line.order = order
        line.message = _(
            "Order %(reference)s is %(status)s.",
            reference=order.reference,
            status=str(STATUS_LABELS[order.status]),
        )
        return
    due_before = order.outstanding
    payment = record_payment(
        order,
        line.amount,
        received_on=line.value_date,
        payer_name=line.payer_name,
        reference=line.description or line.reference_found,
        method=PaymentMethod.BANK_TRANSFER,
        source=PaymentSource.CSV_IMPORT,
        external_id=f"bank:{line.fingerprint}",
        commit=False,
    )
    line.order = order
    line.payment = payment
    if line.amount == due_before:
        line.status = BankLineStatus.MATCHED
        line.message = ""
    elif line.amount < due_before:
        line.status = BankLineStatus.PARTIAL
        line.message = _(
            "Partial payment: %(rest)s still due.", rest=f"¥{due_before - line.amount:,}"
        )
    else:
        line.status = BankLineStatus.OVERPAID
        line.message = _("Overpaid by %(extra)s.", extra=f"¥{line.amount - max(due_before, 0):,}")
    if resolved:
        line.status = BankLineStatus.RESOLVED


def resolve_bank_line(line: BankStatementLine, reference: str) -> BankStatementLine:
    """An organiser assigns an unmatched deposit to an order by its reference."""
    if line.status != BankLineStatus.UNMATCHED:
        raise BillingError(_("This line is already handled."))
    order = find_order_by_reference(reference)
    if order is None:
        raise BillingError(_("No order has this reference."), field="reference")
    if order.status not in (*OPEN_STATUSES, OrderStatus.PAID):
        raise BillingError(
            _(
                "Order %(reference)s is %(status)s.",
                reference=order.reference,
                status=str(STATUS_LABELS[order.status]),
            ),
            field="reference",
        )
    try:
        line.reference_found = order.reference
        _apply_line(line, order, resolved=True)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return line


def ignore_bank_line(line: BankStatementLine) -> BankStatementLine:
    if line.status != BankLineStatus.UNMATCHED:
        raise BillingError(_("This line is already handled."))
    line.status = BankLineStatus.IGNORED
    db.session.commit()
    return line


def suggestions_for(line: BankStatementLine, limit: int = 5) -> list[Order]:
    """Open orders whose outstanding amount equals the deposit: hints for the review."""
    candidates = db.session.scalars(
        select(Order).where(Order.status.in_(OPEN_STATUSES)).order_by(Order.id)
    ).all()
    return [order for order in candidates if order.outstanding == line.amount][:limit]


def unmatched_lines() -> list[BankStatementLine]:
    return db.session.scalars(
        select(BankStatementLine)
        .where(BankStatementLine.status == BankLineStatus.UNMATCHED)
        .order_by(BankStatementLine.value_date, BankStatementLine.id)
    ).all()


# ------------------------------------------------------------------------- card


def card_available(order: Order | None = None) -> bool:
    """Card payment is offered when a provider is configured and something is owed."""
    from convention.billing.card import get_provider

    if get_provider() is None:
        return False
    return order is None or (order.status in OPEN_STATUSES and order.outstanding > 0)


def start_card_checkout(order: Order, success_url: str, cancel_url: str) -> str:
    """Open a checkout session at the provider for what is still owed; returns its URL."""
    from convention.billing.card import get_provider

    provider = get_provider()
    if provider is None:
        raise BillingError(_("Card payment is not available."))
    if order.status not in OPEN_STATUSES or order.outstanding <= 0:
        raise BillingError(_("Nothing is owed on this order."))
    return provider.create_checkout(order, order.outstanding, success_url, cancel_url).url


def handle_card_event(event) -> str:
    """Record the payment a verified provider event reports, once: the session id is the
    payment's external id, so a replayed or repeated event changes nothing.
    Returns "recorded", "duplicate" or "ignored"; BillingError for an unknown order."""
    from convention.billing.card import PAID_EVENTS

    if event.type not in PAID_EVENTS or not event.paid:
        return "ignored"
    if event.currency != "jpy" or event.amount <= 0:
        raise BillingError(_("Card payments are in yen."))
    external_id = f"card:{event.session_id}"
    if db.session.scalar(select(Payment.id).where(Payment.external_id == external_id)):
        return "duplicate"
    order = db.session.get(Order, event.order_id) if event.order_id else None
    if order is None and event.reference:
        order = db.session.scalar(select(Order).where(Order.reference == event.reference))
    if order is None or (event.reference and order.reference != event.reference):
        raise BillingError(_("No order matches this payment."))
    try:
        record_payment(
            order,
            event.amount,
            method=PaymentMethod.CARD,
            source=PaymentSource.CARD_WEBHOOK,
            external_id=external_id,
            reference=event.payment_id,
            payer_name=order.buyer_name,
        )
    except IntegrityError:  # the same event handled at the same moment by another worker
        db.session.rollback()
        return "duplicate"
    return "recorded"


# -------------------------------------------------------------------- reminders


def overdue_invoices(today: date | None = None) -> list[Invoice]:
    """Invoices in force, past their due date, on orders not yet fully paid."""
    today = today or today_local()
    invoices = db.session.scalars(
        select(Invoice)
        .join(Order, Invoice.order_id == Order.id)
        .where(
            Invoice.kind == DocumentKind.INVOICE,
            Invoice.due_date < today,
            Order.status.in_(OPEN_STATUSES),
        )
        .order_by(Invoice.due_date, Invoice.id)
    ).all()
    return [inv for inv in invoices if inv.cancellation is None and inv.order.outstanding > 0]


def send_reminders(
    now: datetime | None = None, on_progress: Callable[[int, int], None] | None = None
) -> int:
    """Email a reminder for each overdue invoice whose last reminder (or due date) is at
    least BILLING_REMINDER_INTERVAL_DAYS old, up to BILLING_MAX_REMINDERS. The unique
    (invoice, sequence) row makes a second send impossible, even from two processes.
    `on_progress(looked_at, overdue)` follows the run, invoice by invoice."""
    from convention.billing import documents
    from convention.mail import services as mail

    now = now or utcnow()
    interval = timedelta(days=int(current_app.config.get("BILLING_REMINDER_INTERVAL_DAYS", 7)))
    limit = int(current_app.config.get("BILLING_MAX_REMINDERS", 3))
    sent = 0
    overdue = overdue_invoices(today_local(now))
    for looked_at, invoice in enumerate(overdue, start=1):
        if on_progress is not None:
            on_progress(looked_at, len(overdue))
        reminders = invoice.reminders
        if len(reminders) >= limit:
            continue
        if reminders and now - reminders[-1].sent_at < interval:
            continue
        order = invoice.order
        reminder = Reminder(
            invoice=invoice, sequence=len(reminders) + 1, sent_at=now, recipient=order.buyer_email
        )
        db.session.add(reminder)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()  # another process sent this reminder first
            continue
        mail.queue(
            order.buyer_email,
            "billing/reminder",
            language=invoice.language,
            order=order,
            invoice=invoice,
            reminder=reminder,
            outstanding=order.outstanding,
            pay_url=order_url(order),
            attachments=[
                mail.attachment(
                    f"{invoice.display_number}.pdf",
                    "application/pdf",
                    documents.render(invoice),
                )
            ],
        )
        db.session.commit()
        sent += 1
    return sent


def send_reminders_job(job_id: int) -> None:
    """`send_reminders` as the organiser's tracked job (each reminder renders a PDF)."""
    from convention.jobs.services import report_progress

    def progress(looked_at: int, overdue: int) -> None:
        message = _("Overdue invoice %(done)d of %(total)d", done=looked_at, total=overdue)
        report_progress(job_id, looked_at * 95 // overdue, message)

    sent = send_reminders(on_progress=progress)
    report_progress(job_id, 100, _("%(count)s reminders sent.", count=sent))


# -------------------------------------------------------------------- reporting


# What the lists and sums read of each order, loaded in a few queries instead of one per row.
ORDER_LOADING = (
    selectinload(Order.lines),
    selectinload(Order.payments),
    selectinload(Order.invoices).selectinload(Invoice.cancellation),
)


def summary(edition_id: int | None = None, today: date | None = None) -> dict:
    """Invoiced / paid / outstanding / overdue in yen per product family, plus a total row.
    Cancelled and refunded orders count nowhere; overdue is the outstanding past due."""
    today = today or today_local()
    query = (
        select(Order)
        .where(Order.status.in_((*OPEN_STATUSES, OrderStatus.PAID)))
        .options(*ORDER_LOADING)
    )
    if edition_id:
        query = query.where(Order.edition_id == edition_id)
    rows = {
        family: {"invoiced": 0, "paid": 0, "outstanding": 0, "overdue": 0, "orders": 0}
        for family in ProductFamily
    }
    for order in db.session.scalars(query):
        row = rows[order.family]
        row["orders"] += 1
        row["invoiced"] += order.amount_due
        row["paid"] += order.amount_paid
        outstanding = max(order.outstanding, 0)
        row["outstanding"] += outstanding
        if order.due_date and order.due_date < today:
            row["overdue"] += outstanding
    total = {key: sum(row[key] for row in rows.values()) for key in next(iter(rows.values()))}
    return {"families": rows, "total": total}


def orders_for(user) -> list[Order]:
    """A buyer's orders, newest first (what /my/orders shows)."""
    return db.session.scalars(
        select(Order)
        .where(Order.user_id == user.id, Order.status != OrderStatus.DRAFT)
        .order_by(Order.id.desc())
    ).all()


def order_for_source(source: str, source_id: int) -> Order | None:
    """The newest order a feature made for one of its objects."""
    return db.session.scalar(
        select(Order)
        .where(Order.source == source, Order.source_id == source_id)
        .order_by(Order.id.desc())
        .limit(1)
    )


def count_orders(status: OrderStatus | None = None) -> int:
    query = select(func.count()).select_from(Order)
    if status:
        query = query.where(Order.status == status)
    return db.session.scalar(query) or 0


__all__ = [
    "BankFileError",
    "BillingError",
    "Buyer",
    "Line",
    "cancel_invoice",
    "card_available",
    "handle_card_event",
    "start_card_checkout",
    "cancel_order",
    "create_order",
    "create_order_for_registration",
    "create_series",
    "list_series",
    "find_order_by_reference",
    "get_issuer",
    "ignore_bank_line",
    "import_bank_csv",
    "issue_invoice",
    "on_cancelled",
    "on_paid",
    "order_for_source",
    "orders_for",
    "overdue_invoices",
    "record_payment",
    "refund_order",
    "replace_lines",
    "resolve_bank_line",
    "send_invoice",
    "send_reminders",
    "summary",
    "transition",
    "update_draft",
    "update_issuer",
]
