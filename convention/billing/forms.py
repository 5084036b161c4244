"""Organiser forms: issuer settings, issuing, payments, cancellations, bank import."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError

from convention.billing import tnumber
from convention.billing.models import AccountType, PaymentMethod, PaymentSource, ProductFamily
from convention.forms import FlaskForm, Form, select_choices
from convention.money import parse_yen

TAX_RATE_CHOICES = select_choices((rate, f"{rate}%") for rate in ("10", "8", "0"))
INVOICE_LANGUAGE_CHOICES = select_choices([("ja", _l("Japanese")), ("en", _l("English"))])

FAMILY_LABELS = {
    ProductFamily.SPONSORSHIP: _l("Sponsorship"),
    ProductFamily.BOOTH: _l("Booths"),
    ProductFamily.TICKET: _l("Tickets"),
}

METHOD_LABELS = {
    PaymentMethod.BANK_TRANSFER: _l("Bank transfer"),
    PaymentMethod.CARD: _l("Card"),
    PaymentMethod.CASH: _l("Cash"),
}


class YenField(IntegerField):
    """Whole yen, typed as 12345, 12,345 or ¥12,345 (full-width digits too)."""

    def process_formdata(self, valuelist):
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = parse_yen(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter a whole number of yen, e.g. 110000.")) from None


SOURCE_LABELS = {
    PaymentSource.MANUAL: _l("recorded by hand"),
    PaymentSource.CSV_IMPORT: _l("bank statement"),
    PaymentSource.CARD_WEBHOOK: _l("card provider"),
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _registration_number(form, field):
    if not tnumber.is_valid(field.data or ""):
        raise ValidationError(
            _l(
                "A registration number is T followed by 13 digits with a valid check digit "
                "(e.g. T7000012050002)."
            )
        )


class IssuerForm(FlaskForm):
    name_ja = StringField(
        _l("Issuer name (Japanese)"), [InputRequired(), Length(max=200)], filters=[_strip]
    )
    name_en = StringField(
        _l("Issuer name (English)"), [Optional(), Length(max=200)], filters=[_strip]
    )
    registration_number = StringField(
        _l("Registration number"), [InputRequired(), _registration_number], filters=[_strip]
    )
    postal_code = StringField(_l("Postal code"), [Optional(), Length(max=10)], filters=[_strip])
    address_ja = StringField(
        _l("Address (Japanese)"), [InputRequired(), Length(max=300)], filters=[_strip]
    )
    address_en = StringField(
        _l("Address (English)"), [Optional(), Length(max=300)], filters=[_strip]
    )
    phone = StringField(_l("Phone"), [Optional(), Length(max=40)], filters=[_strip])
    email = EmailField(_l("Billing email"), [Optional(), Email()], filters=[_strip])
    bank_name = StringField(_l("Bank"), [InputRequired(), Length(max=100)], filters=[_strip])
    bank_branch = StringField(_l("Branch"), [InputRequired(), Length(max=100)], filters=[_strip])
    account_type = SelectField(
        _l("Account type"),
        choices=select_choices(
            [
                (AccountType.ORDINARY, _l("Ordinary (普通)")),
                (AccountType.CURRENT, _l("Current (当座)")),
            ]
        ),
    )
    account_number = StringField(
        _l("Account number"), [InputRequired(), Length(min=4, max=20)], filters=[_strip]
    )
    account_holder_kana = StringField(
        _l("Account holder (kana)"), [InputRequired(), Length(max=100)], filters=[_strip]
    )
    payment_terms_days = IntegerField(
        _l("Payment terms (days)"), [InputRequired(), NumberRange(min=0, max=365)], default=30
    )


class IssueForm(FlaskForm):
    language = SelectField(_l("Language of the invoice"), choices=INVOICE_LANGUAGE_CHOICES)
    series = SelectField(_l("Numbering series"), choices=[], validate_choice=False)
    email = BooleanField(_l("Email the invoice to the buyer"), default=True)


class PaymentForm(FlaskForm):
    amount = YenField(
        _l("Amount (yen)"),
        [
            InputRequired(message=_l("Enter the amount in whole yen.")),
            NumberRange(min=1, message=_l("The amount must be a positive number of yen.")),
        ],
    )
    received_on = DateField(_l("Received on"), [InputRequired()])
    payer_name = StringField(_l("Payer name"), [Optional(), Length(max=200)], filters=[_strip])
    reference = StringField(_l("Reference"), [Optional(), Length(max=200)], filters=[_strip])
    method = SelectField(_l("Method"), choices=select_choices(METHOD_LABELS))


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        [InputRequired(message=_l("Give a reason for the cancellation.")), Length(max=500)],
        filters=[_strip],
    )
    reopen = BooleanField(_l("Reopen the order to correct it and issue a new invoice"))


class RefundForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        [InputRequired(message=_l("Give a reason for the refund.")), Length(max=500)],
        filters=[_strip],
    )


class BankImportForm(FlaskForm):
    file = FileField(
        _l("Bank statement (CSV)"),
        [
            FileRequired(message=_l("Choose a CSV file.")),
            FileAllowed(["csv", "txt"], _l("Upload a CSV file.")),
        ],
    )


class AssignLineForm(FlaskForm):
    reference = StringField(_l("Order reference"), [InputRequired()], filters=[_strip])


class OrderForm(FlaskForm):
    """A one-line order typed by an organiser (misc. sponsorship or booth sales)."""

    family = SelectField(
        _l("Product family"),
        choices=select_choices(FAMILY_LABELS),
    )
    buyer_organisation = StringField(
        _l("Organisation"), [Optional(), Length(max=200)], filters=[_strip]
    )
    buyer_name = StringField(
        _l("Contact name"), [InputRequired(), Length(max=200)], filters=[_strip]
    )
    buyer_email = EmailField(_l("Email"), [InputRequired(), Email()], filters=[_strip])
    buyer_address = StringField(_l("Address"), [Optional(), Length(max=400)], filters=[_strip])
    language = SelectField(_l("Language"), choices=INVOICE_LANGUAGE_CHOICES)
    description_ja = StringField(
        _l("Description (Japanese)"), [InputRequired(), Length(max=300)], filters=[_strip]
    )
    description_en = StringField(
        _l("Description (English)"), [Optional(), Length(max=300)], filters=[_strip]
    )
    quantity = IntegerField(
        _l("Quantity"), [InputRequired(), NumberRange(min=1, max=10000)], default=1
    )
    unit_price = YenField(
        _l("Unit price (yen, before tax)"),
        [
            InputRequired(message=_l("Enter the price in whole yen.")),
            NumberRange(min=0, message=_l("A price cannot be negative.")),
        ],
    )
    tax_rate = SelectField(
        _l("Tax rate"),
        choices=TAX_RATE_CHOICES,
        default="10",
    )


class LineForm(Form):
    """One row of the lines editor; a row without a description is dropped."""

    description_ja = StringField(
        _l("Description (Japanese)"), [Optional(), Length(max=300)], filters=[_strip]
    )
    description_en = StringField(
        _l("Description (English)"), [Optional(), Length(max=300)], filters=[_strip]
    )
    quantity = IntegerField(_l("Quantity"), [Optional(), NumberRange(min=1, max=10000)], default=1)
    unit_price = YenField(
        _l("Unit price (yen)"),
        [Optional(), NumberRange(min=0, message=_l("A price cannot be negative."))],
    )
    tax_rate = SelectField(
        _l("Tax rate"),
        choices=TAX_RATE_CHOICES,
        default="10",
    )

    @property
    def is_blank(self) -> bool:
        return not (self.description_ja.data or self.description_en.data)


class DraftForm(FlaskForm):
    """Correct a draft: the recipient and the lines."""

    buyer_organisation = StringField(
        _l("Organisation"), [Optional(), Length(max=200)], filters=[_strip]
    )
    buyer_name = StringField(
        _l("Contact name"), [InputRequired(), Length(max=200)], filters=[_strip]
    )
    buyer_email = EmailField(_l("Email"), [InputRequired(), Email()], filters=[_strip])
    buyer_address = StringField(_l("Address"), [Optional(), Length(max=400)], filters=[_strip])
    language = SelectField(_l("Language"), choices=INVOICE_LANGUAGE_CHOICES)
    prices_include_tax = BooleanField(_l("Unit prices include consumption tax"))
    lines = FieldList(FormField(LineForm), min_entries=1, max_entries=30)

    def validate_lines(self, field):
        for row in field:
            if row.is_blank:
                continue
            if row.unit_price.data is None:
                row.unit_price.errors = [
                    *row.unit_price.errors,
                    _l("Enter the price in whole yen."),
                ]
                raise ValidationError(_l("Every line needs a price."))
        if all(row.is_blank for row in field):
            raise ValidationError(_l("An order needs at least one line."))


class SeriesForm(FlaskForm):
    code = StringField(_l("Code"), [InputRequired(), Length(max=20)], filters=[_strip])
    prefix = StringField(_l("Number prefix"), [InputRequired(), Length(max=20)], filters=[_strip])
