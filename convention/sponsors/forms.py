from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from convention.forms import LANGUAGE_CHOICES, FlaskForm, select_choices
from convention.sponsors.models import LeadRating, LogoSize

# The columns are 32-bit integers: a larger number is refused beside its field, not a 500.
_MAX = 1_000_000_000


def _whole_number(label, minimum: int = 0, *, required: bool = True, default=None):
    """A whole number from `minimum` up to what the column holds. Two ranges, not one, so that
    the message names the limit that was crossed."""
    validators = [NumberRange(min=minimum), NumberRange(max=_MAX)]
    return IntegerField(
        label, validators=([InputRequired()] if required else []) + validators, default=default
    )


class ApplicationForm(FlaskForm):
    tier = RadioField(_l("Sponsorship tier"), choices=[], validators=[Optional()], default="")
    booths = SelectMultipleField(_l("Booths"), choices=[], validators=[Optional()], coerce=str)
    company_name_ja = StringField(
        _l("Company name (Japanese)"),
        validators=[Length(max=200)],
        render_kw={"autocomplete": "organization"},
    )
    company_name_en = StringField(_l("Company name (English)"), validators=[Length(max=200)])
    registration_number = StringField(
        _l("Qualified invoice registration number (T-number)"),
        validators=[Length(max=30)],
        render_kw={"placeholder": "T1234567890123", "spellcheck": "false"},
    )
    postal_code = StringField(
        _l("Postal code"), validators=[Length(max=10)], render_kw={"autocomplete": "postal-code"}
    )
    billing_address = TextAreaField(
        _l("Billing address"),
        validators=[InputRequired(_l("Enter the billing address.")), Length(max=400)],
        render_kw={"rows": 2, "autocomplete": "street-address"},
    )
    contact_name = StringField(
        _l("Contact person"),
        validators=[InputRequired(_l("Enter the contact person's name.")), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    contact_email = EmailField(
        _l("Contact email"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            InputRequired(_l("Enter the contact's email address.")),
            Email(message=_l("Enter a valid email address.")),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email"},
    )
    contact_phone = StringField(
        _l("Phone"), validators=[Length(max=40)], render_kw={"autocomplete": "tel"}
    )
    language = SelectField(
        _l("Language of invoices and emails"),
        choices=LANGUAGE_CHOICES,
        default="ja",
    )


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (sent to the applicant)"),
        validators=[InputRequired(_l("Give the applicant a reason.")), Length(max=2000)],
        render_kw={"rows": 3},
    )


class ProfileForm(FlaskForm):
    company_name_ja = StringField(_l("Company name (Japanese)"), validators=[Length(max=200)])
    company_name_en = StringField(_l("Company name (English)"), validators=[Length(max=200)])
    website = StringField(_l("Website"), validators=[Length(max=300)])
    description_ja = TextAreaField(
        _l("About the company (Japanese)"), validators=[Length(max=2000)], render_kw={"rows": 3}
    )
    description_en = TextAreaField(
        _l("About the company (English)"), validators=[Length(max=2000)], render_kw={"rows": 3}
    )
    logo = FileField(
        _l("Logo (PNG or JPEG, at most 2 MB)"),
        render_kw={"accept": "image/png,image/jpeg"},
    )


RATING_CHOICES = select_choices(
    [
        (LeadRating.HOT.value, _l("hot")),
        (LeadRating.WARM.value, _l("warm")),
        (LeadRating.COLD.value, _l("cold")),
    ],
    blank=_l("not rated"),
)


class LeadForm(FlaskForm):
    rating = SelectField(_l("Rating"), choices=RATING_CHOICES, validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=4000)], render_kw={"rows": 2})


LOGO_SIZE_LABELS = {
    LogoSize.LARGE: _l("large logo, top of the page"),
    LogoSize.MEDIUM: _l("medium logo"),
    LogoSize.SMALL: _l("small logo"),
    LogoSize.NAME: _l("name only"),
}


class TierForm(FlaskForm):
    name_ja = StringField(_l("Name (Japanese)"), validators=[InputRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[InputRequired(), Length(max=120)])
    price = _whole_number(_l("Price (yen, tax excluded)"), required=False)
    quantity = _whole_number(_l("How many are for sale"), required=False)
    logo_size = SelectField(
        _l("Logo on the sponsors page"),
        choices=select_choices(LOGO_SIZE_LABELS),
    )
    complimentary_passes = _whole_number(_l("Complimentary passes"), required=False, default=0)
    included_booths = _whole_number(_l("Booths included"), required=False, default=0)
    speaking_slot = BooleanField(_l("Speaking slot"))
    benefits_ja = TextAreaField(_l("Benefits (Japanese)"), render_kw={"rows": 2})
    benefits_en = TextAreaField(_l("Benefits (English)"), render_kw={"rows": 2})
    position = IntegerField(
        _l("Order on the page"),
        validators=[Optional(), NumberRange(min=-_MAX, max=_MAX)],
        default=0,
    )


class BudgetForm(FlaskForm):
    convention_cost = _whole_number(_l("What the convention costs (yen)"))
    sponsorship_target = _whole_number(_l("Sponsorship target (yen, tax excluded)"))
    exhibition_target = _whole_number(_l("Exhibition target (yen, tax excluded)"))


class BoothForm(FlaskForm):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=20)])
    zone = StringField(_l("Zone"), validators=[Length(max=40)])
    x = _whole_number(_l("From the left (m)"))
    y = _whole_number(_l("From the top (m)"))
    width = _whole_number(_l("Width (m)"), 1, default=3)
    depth = _whole_number(_l("Depth (m)"), 1, default=3)
    price = _whole_number(_l("Price (yen, tax excluded)"))
    exhibitor_passes = _whole_number(_l("Exhibitor passes"), default=2)


class OptionForm(FlaskForm):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=40)])
    name_ja = StringField(_l("Name (Japanese)"), validators=[Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[Length(max=120)])
    price = _whole_number(_l("Price (yen, tax excluded)"))
