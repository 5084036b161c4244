"""Billing: orders and their lines, numbered qualified invoices (immutable once issued),
cancellation documents, payments, receipts, bank-statement imports and reminders."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    DDL,
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.accounts.models import User, enum_column
from convention.events.models import Edition
from convention.extensions import db
from convention.money import TAX_RATES, RateTotal, rate_totals
from convention.refusals import Refusal
from convention.timeutil import UTCDateTime, utcnow


class BillingError(Refusal):
    """A billing rule refused the change; the message is shown to the user."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class ProductFamily(enum.StrEnum):
    SPONSORSHIP = "sponsorship"
    BOOTH = "booth"
    TICKET = "ticket"


class OrderStatus(enum.StrEnum):
    DRAFT = "draft"
    INVOICED = "invoiced"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


# The one place that says how an order may move. Back to DRAFT means its invoice was
# cancelled for a correction: the lines may change and a new invoice is issued.
ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.DRAFT: frozenset({OrderStatus.INVOICED, OrderStatus.CANCELLED}),
    OrderStatus.INVOICED: frozenset(
        {
            OrderStatus.PARTIALLY_PAID,
            OrderStatus.PAID,
            OrderStatus.CANCELLED,
            OrderStatus.DRAFT,
        }
    ),
    OrderStatus.PARTIALLY_PAID: frozenset(
        {OrderStatus.PAID, OrderStatus.REFUNDED, OrderStatus.DRAFT}
    ),
    OrderStatus.PAID: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}

OPEN_STATUSES = (OrderStatus.INVOICED, OrderStatus.PARTIALLY_PAID)


def can_transition(current: OrderStatus, new: OrderStatus) -> bool:
    return new in ORDER_TRANSITIONS[current]


class AccountType(enum.StrEnum):
    ORDINARY = "ordinary"  # 普通
    CURRENT = "current"  # 当座


class IssuerSettings(db.Model):
    """Who issues the invoices: edited by organisers, copied into each invoice when issued."""

    __tablename__ = "billing_issuer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_ja: Mapped[str] = mapped_column(String(200), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    registration_number: Mapped[str] = mapped_column(String(14), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    address_ja: Mapped[str] = mapped_column(String(300), default="")
    address_en: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    bank_name: Mapped[str] = mapped_column(String(100), default="")
    bank_branch: Mapped[str] = mapped_column(String(100), default="")
    account_type: Mapped[AccountType] = mapped_column(
        enum_column(AccountType, name="bank_account_type"), default=AccountType.ORDINARY
    )
    account_number: Mapped[str] = mapped_column(String(20), default="")
    account_holder_kana: Mapped[str] = mapped_column(String(100), default="")
    payment_terms_days: Mapped[int] = mapped_column(default=30)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def complete(self) -> bool:
        """An invoice may be issued only with every required item present."""
        return bool(
            self.name_ja
            and self.registration_number
            and self.address_ja
            and self.bank_name
            and self.bank_branch
            and self.account_number
            and self.account_holder_kana
        )


class Order(db.Model):
    __tablename__ = "billing_order"
    __table_args__ = (
        Index("ix_billing_order_family_status", "family", "status"),
        Index("ix_billing_order_source", "source", "source_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int | None] = mapped_column(ForeignKey("edition.id", ondelete="SET NULL"))
    family: Mapped[ProductFamily] = mapped_column(enum_column(ProductFamily, name="product_family"))
    status: Mapped[OrderStatus] = mapped_column(
        enum_column(OrderStatus, name="order_status"), default=OrderStatus.DRAFT
    )
    # Printed on the invoice and typed by the payer in the bank transfer: C25-000123-7.
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    buyer_name: Mapped[str] = mapped_column(String(200))
    buyer_organisation: Mapped[str] = mapped_column(String(200), default="")
    buyer_address: Mapped[str] = mapped_column(String(400), default="")
    buyer_email: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(5), default="ja")
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    # Which feature's object this order pays for: ("registration", 12), ("sponsors", 3).
    source: Mapped[str] = mapped_column(String(40), default="")
    source_id: Mapped[int | None] = mapped_column()
    # Ticket prices are tax-included; sponsorship and booth prices are quoted before tax.
    prices_include_tax: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    invoiced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    edition: Mapped[Edition | None] = relationship()
    user: Mapped[User | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.position"
    )
    invoices: Mapped[list[Invoice]] = relationship(
        back_populates="order", order_by="Invoice.id", foreign_keys="Invoice.order_id"
    )
    payments: Mapped[list[Payment]] = relationship(back_populates="order", order_by="Payment.id")
    receipt: Mapped[Receipt | None] = relationship(back_populates="order", uselist=False)

    def rate_totals(self) -> list[RateTotal]:
        return rate_totals(
            ((line.amount, line.tax_rate) for line in self.lines),
            inclusive=self.prices_include_tax,
        )

    @property
    def total(self) -> int:
        return sum(item.gross for item in self.rate_totals())

    @property
    def tax_total(self) -> int:
        return sum(item.tax for item in self.rate_totals())

    @property
    def amount_paid(self) -> int:
        return sum(p.signed_amount for p in self.payments)

    @property
    def amount_due(self) -> int:
        """What the current invoice asks for: its total, else the order's total."""
        invoice = self.current_invoice
        return invoice.total if invoice else self.total

    @property
    def outstanding(self) -> int:
        """Positive: still owed; negative: overpaid."""
        if self.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED, OrderStatus.DRAFT):
            return 0
        return self.amount_due - self.amount_paid

    @property
    def overpaid(self) -> int:
        return max(0, self.amount_paid - self.amount_due) if self.current_invoice else 0

    @property
    def current_invoice(self) -> Invoice | None:
        """The invoice in force: the newest one that no cancellation document refers to."""
        for invoice in reversed(self.invoices):
            if invoice.kind == DocumentKind.INVOICE and invoice.cancellation is None:
                return invoice
        return None

    @property
    def due_date(self) -> date | None:
        invoice = self.current_invoice
        return invoice.due_date if invoice else None

    @property
    def buyer_display(self) -> str:
        if self.buyer_organisation:
            return f"{self.buyer_organisation} {self.buyer_name}".strip()
        return self.buyer_name

    def __repr__(self) -> str:
        return f"<Order {self.id} {self.reference} {self.status}>"


class OrderLine(db.Model):
    __tablename__ = "billing_order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        CheckConstraint(
            "tax_rate IN ({})".format(", ".join(str(r) for r in TAX_RATES)), name="known_tax_rate"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("billing_order.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    description_ja: Mapped[str] = mapped_column(String(300))
    description_en: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(default=1)
    unit_price: Mapped[int] = mapped_column()  # integer yen
    tax_rate: Mapped[int] = mapped_column(default=10)  # percent: 10, 8 or 0

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price


class DocumentKind(enum.StrEnum):
    INVOICE = "invoice"  # 適格請求書
    CANCELLATION = "cancellation"  # 適格返還請求書 / 取消: refers to the invoice it cancels
    RECEIPT = "receipt"  # 領収書


class InvoiceSeries(db.Model):
    """A numbering sequence. `next_number` is the counter row locked while issuing."""

    __tablename__ = "billing_invoice_series"
    __table_args__ = (CheckConstraint("next_number >= 1", name="next_number_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    prefix: Mapped[str] = mapped_column(String(20))
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind, name="document_kind"))
    next_number: Mapped[int] = mapped_column(default=1)

    def format(self, number: int) -> str:
        return f"{self.prefix}{number:06d}"


class Invoice(db.Model):
    """An issued document. Everything printed on it is in `snapshot`; nothing here changes
    after issue (see the guard below) — a correction is a new cancellation document."""

    __tablename__ = "billing_invoice"
    __table_args__ = (
        UniqueConstraint("series_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("billing_invoice_series.id"))
    number: Mapped[int] = mapped_column()
    display_number: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind, name="document_kind"))
    order_id: Mapped[int] = mapped_column(ForeignKey("billing_order.id"), index=True)
    # A cancellation document names the invoice it cancels; one per invoice.
    original_id: Mapped[int | None] = mapped_column(ForeignKey("billing_invoice.id"), unique=True)
    language: Mapped[str] = mapped_column(String(5), default="ja")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    total: Mapped[int] = mapped_column()
    tax_total: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(Text, default="")
    snapshot: Mapped[dict] = mapped_column(JSON)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    series: Mapped[InvoiceSeries] = relationship()
    order: Mapped[Order] = relationship(back_populates="invoices", foreign_keys=[order_id])
    original: Mapped[Invoice | None] = relationship(
        remote_side=[id], foreign_keys=[original_id], back_populates="cancellation"
    )
    cancellation: Mapped[Invoice | None] = relationship(
        back_populates="original", foreign_keys=[original_id], uselist=False
    )
    reminders: Mapped[list[Reminder]] = relationship(
        back_populates="invoice", order_by="Reminder.sequence"
    )

    @property
    def is_cancelled(self) -> bool:
        return self.cancellation is not None


class ImmutableInvoiceError(RuntimeError):
    """An issued invoice was about to change."""


@event.listens_for(Invoice, "before_update")
def _refuse_invoice_update(mapper, connection, target):
    # Called for every "dirty" instance, even when only a relationship collection changed
    # (a reminder or cancellation added): refuse only real column changes.
    state = inspect(target)
    if not any(state.attrs[column.key].history.has_changes() for column in mapper.column_attrs):
        return
    raise ImmutableInvoiceError(
        f"invoice {target.display_number} is issued and cannot change; cancel it instead"
    )


@event.listens_for(Invoice, "before_delete")
def _refuse_invoice_delete(mapper, connection, target):
    raise ImmutableInvoiceError(f"invoice {target.display_number} is issued and cannot be deleted")


# The same rule in the database, for writes that bypass the ORM (raw SQL, another app).
# `issued_by_id` may still become NULL when that user is deleted (personal data requests).
_FROZEN_COLUMNS = (
    "series_id, number, display_number, kind, order_id, original_id, language, issued_at, "
    "issue_date, due_date, total, tax_total, reason, snapshot"
)
INVOICE_GUARD_SQL = {
    "postgresql": """
CREATE OR REPLACE FUNCTION billing_invoice_immutable() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'issued invoice % cannot be deleted', OLD.display_number;
  END IF;
  IF ROW(OLD.series_id, OLD.number, OLD.display_number, OLD.kind, OLD.order_id,
         OLD.original_id, OLD.language, OLD.issued_at, OLD.issue_date, OLD.due_date,
         OLD.total, OLD.tax_total, OLD.reason, OLD.snapshot::text)
     IS DISTINCT FROM
     ROW(NEW.series_id, NEW.number, NEW.display_number, NEW.kind, NEW.order_id,
         NEW.original_id, NEW.language, NEW.issued_at, NEW.issue_date, NEW.due_date,
         NEW.total, NEW.tax_total, NEW.reason, NEW.snapshot::text) THEN
    RAISE EXCEPTION 'issued invoice % cannot change', OLD.display_number;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER billing_invoice_immutable BEFORE UPDATE OR DELETE ON billing_invoice
  FOR EACH ROW EXECUTE FUNCTION billing_invoice_immutable();
""",
    # SQLite: updates only (the test suite empties tables with DELETE).
    "sqlite": f"""
CREATE TRIGGER billing_invoice_immutable BEFORE UPDATE OF {_FROZEN_COLUMNS} ON billing_invoice
BEGIN SELECT RAISE(ABORT, 'issued invoices cannot change'); END;
""",
}
# create_all() adds them here; the Alembic revision runs the same INVOICE_GUARD_SQL[dialect]
# with op.execute() after creating billing_invoice (autogenerate does not see triggers).
for _dialect, _sql in INVOICE_GUARD_SQL.items():
    event.listen(
        Invoice.__table__,
        "after_create",
        DDL(_sql.replace("%", "%%")).execute_if(dialect=_dialect),
    )


class PaymentMethod(enum.StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    CASH = "cash"


class PaymentSource(enum.StrEnum):
    MANUAL = "manual"
    CSV_IMPORT = "csv_import"
    CARD_WEBHOOK = "card_webhook"


class Payment(db.Model):
    __tablename__ = "billing_payment"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("billing_order.id"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column()  # always positive; refunds have is_refund
    is_refund: Mapped[bool] = mapped_column(default=False)
    payer_name: Mapped[str] = mapped_column(String(200), default="")
    reference: Mapped[str] = mapped_column(String(200), default="")
    method: Mapped[PaymentMethod] = mapped_column(enum_column(PaymentMethod, name="payment_method"))
    source: Mapped[PaymentSource] = mapped_column(enum_column(PaymentSource, name="payment_source"))
    # The provider's or the bank line's identity: the same one twice is one payment.
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    order: Mapped[Order] = relationship(back_populates="payments")

    @property
    def signed_amount(self) -> int:
        return -self.amount if self.is_refund else self.amount


class Receipt(db.Model):
    """領収書: issued once an order is paid, numbered in its own gap-free series."""

    __tablename__ = "billing_receipt"
    __table_args__ = (UniqueConstraint("series_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("billing_order.id"), unique=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("billing_invoice_series.id"))
    number: Mapped[int] = mapped_column()
    display_number: Mapped[str] = mapped_column(String(40), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    amount: Mapped[int] = mapped_column()
    snapshot: Mapped[dict] = mapped_column(JSON)

    order: Mapped[Order] = relationship(back_populates="receipt")


class Reminder(db.Model):
    """One reminder email for one overdue invoice; the unique pair makes a second send of the
    same reminder impossible, even from two processes."""

    __tablename__ = "billing_reminder"
    __table_args__ = (UniqueConstraint("invoice_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("billing_invoice.id"), index=True)
    sequence: Mapped[int] = mapped_column()
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recipient: Mapped[str] = mapped_column(String(254))

    invoice: Mapped[Invoice] = relationship(back_populates="reminders")


class BankLineStatus(enum.StrEnum):
    MATCHED = "matched"  # the exact amount due
    PARTIAL = "partial"  # less than due
    OVERPAID = "overpaid"  # more than due
    UNMATCHED = "unmatched"  # needs an organiser
    RESOLVED = "resolved"  # an organiser assigned it to an order
    IGNORED = "ignored"  # an organiser said it is not a payment for us


class BankImport(db.Model):
    __tablename__ = "billing_bank_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    skipped: Mapped[int] = mapped_column(default=0)  # lines already imported before

    lines: Mapped[list[BankStatementLine]] = relationship(
        back_populates="bank_import", order_by="BankStatementLine.row_number"
    )

    def count(self, *statuses: BankLineStatus) -> int:
        return sum(1 for line in self.lines if line.status in statuses)


class BankStatementLine(db.Model):
    __tablename__ = "billing_bank_line"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(
        ForeignKey("billing_bank_import.id", ondelete="CASCADE"), index=True
    )
    row_number: Mapped[int] = mapped_column()
    # The same deposit in a second upload of an overlapping statement is recognised by this.
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    value_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column()
    payer_name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(String(400), default="")
    reference_found: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[BankLineStatus] = mapped_column(
        enum_column(BankLineStatus, name="bank_line_status")
    )
    message: Mapped[str] = mapped_column(String(400), default="")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("billing_order.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("billing_payment.id"))

    bank_import: Mapped[BankImport] = relationship(back_populates="lines")
    order: Mapped[Order | None] = relationship()
    payment: Mapped[Payment | None] = relationship()


__all__ = [
    "INVOICE_GUARD_SQL",
    "ORDER_TRANSITIONS",
    "AccountType",
    "BankImport",
    "BankLineStatus",
    "BankStatementLine",
    "BillingError",
    "DocumentKind",
    "ImmutableInvoiceError",
    "Invoice",
    "InvoiceSeries",
    "IssuerSettings",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Payment",
    "PaymentMethod",
    "PaymentSource",
    "ProductFamily",
    "Receipt",
    "Reminder",
    "can_transition",
]
