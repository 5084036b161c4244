from __future__ import annotations

from contextlib import suppress

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from convention.accounts.forms import CATEGORY_LABELS, email_field, new_password_field
from convention.countries import country_choices
from convention.forms import LANGUAGE_CHOICES, FlaskForm, select_choices
from convention.registration.services import SECTORS, STUDY_YEARS, TEXT_LIMITS

STUDY_YEAR_LABELS = {
    "B1": _l("Undergraduate, year 1"),
    "B2": _l("Undergraduate, year 2"),
    "B3": _l("Undergraduate, year 3"),
    "B4": _l("Undergraduate, year 4"),
    "B5": _l("Undergraduate, year 5"),
    "B6": _l("Undergraduate, year 6"),
    "M1": _l("Master's, year 1"),
    "M2": _l("Master's, year 2"),
    "D1": _l("Doctoral, year 1"),
    "D2": _l("Doctoral, year 2"),
    "D3": _l("Doctoral, year 3"),
    "other": _l("Other"),
}


def _text(label, name, area=False, **kwargs):
    field = TextAreaField if area else StringField
    return field(
        label,
        validators=[
            Length(
                max=TEXT_LIMITS[name],
                message=_l("Use at most %(max)d characters.", max=TEXT_LIMITS[name]),
            )
        ],
        **kwargs,
    )


class AnswerFields:
    """The registration questions; the university choices are set by the view."""

    organization = _text(
        _l("Organisation"), "organization", render_kw={"autocomplete": "organization"}
    )
    department = _text(_l("Department"), "department")
    job_title = _text(
        _l("Job title"), "job_title", render_kw={"autocomplete": "organization-title"}
    )
    country = SelectField(_l("Country or region"), choices=country_choices, default="JP")
    sector = SelectField(
        _l("Sector"),
        choices=select_choices(SECTORS, blank=_l("— Choose —")),
        default="",
    )
    dietary_needs = _text(_l("Dietary requirements"), "dietary_needs", area=True)
    accessibility_needs = _text(_l("Accessibility needs"), "accessibility_needs", area=True)
    interpretation_headset = BooleanField(
        _l("I need a headset for simultaneous interpretation (Japanese ⇄ English)")
    )
    university = SelectField(_l("University"), choices=[], validate_choice=False, default="")
    university_other = _text(_l("Name of your university"), "university_other")
    faculty = _text(_l("Faculty or department"), "faculty")
    study_year = SelectField(
        _l("Year of study"),
        choices=select_choices(STUDY_YEAR_LABELS, blank=_l("— Choose —")),
        default="",
    )
    consent_share_with_sponsors = BooleanField(
        _l(
            "Optional: share my name, organisation and email address with the convention's "
            "sponsors and exhibitors"
        ),
        default=False,
    )

    def answers(self) -> dict:
        return {
            "organization": self.organization.data,
            "department": self.department.data,
            "job_title": self.job_title.data,
            "country": self.country.data,
            "sector": self.sector.data,
            "dietary_needs": self.dietary_needs.data,
            "accessibility_needs": self.accessibility_needs.data,
            "interpretation_headset": self.interpretation_headset.data,
            "university_id": self.university.data,
            "university_other": self.university_other.data,
            "faculty": self.faculty.data,
            "study_year": self.study_year.data,
            "consent_share_with_sponsors": self.consent_share_with_sponsors.data,
        }


assert set(STUDY_YEAR_LABELS) == set(STUDY_YEARS)


class RegistrationForm(AnswerFields, FlaskForm):
    ticket_type = RadioField(
        _l("Ticket"),
        choices=[],
        validate_choice=False,  # the service refuses unknown or foreign ticket types
        validators=[InputRequired(message=_l("Choose a ticket."))],
    )
    access_code = StringField(
        _l("Access code"),
        validators=[Length(max=40, message=_l("Use at most %(max)d characters.", max=40))],
    )


class VisitorRegistrationForm(RegistrationForm):
    """For visitors: the account is created on the way."""

    email = email_field()
    password = new_password_field(_l("Choose a password"))
    name = StringField(
        _l("Full name"),
        validators=[InputRequired(), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    language = SelectField(
        _l("Preferred language"),
        choices=LANGUAGE_CHOICES,
        default="ja",
    )


class AnswersForm(AnswerFields, FlaskForm):
    pass


class InvitationForm(FlaskForm):
    invitation_code = StringField(_l("Invitation code"), validators=[Length(max=40)])


class _WholeNumberField(IntegerField):
    """An IntegerField whose range check alone speaks: text that is no number is no value, so
    the one message says what is expected instead of two."""

    def process_formdata(self, valuelist):
        with suppress(ValueError):
            super().process_formdata(valuelist)


class SessionCapacityForm(FlaskForm):
    """A seminar's capacity on the waiting-list page (empty = no limit)."""

    capacity = _WholeNumberField(
        _l("Capacity"),
        validators=[
            Optional(),
            NumberRange(
                min=0,
                max=1_000_000,
                message=_l("Enter the capacity as a whole number (empty = no limit)."),
            ),
        ],
        render_kw={"min": 0},
    )


class TicketTypeForm(FlaskForm):
    name_ja = StringField(_l("Name (Japanese)"), validators=[InputRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[InputRequired(), Length(max=120)])
    description_ja = TextAreaField(_l("Description (Japanese)"), validators=[Length(max=5000)])
    description_en = TextAreaField(_l("Description (English)"), validators=[Length(max=5000)])
    category = SelectField(
        _l("Participant category"),
        choices=select_choices(CATEGORY_LABELS),
    )
    price = IntegerField(
        _l("Price in yen (tax included, 0 = free)"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=10_000_000)],
    )
    capacity = IntegerField(
        _l("Capacity (empty = no limit)"),
        validators=[Optional(), NumberRange(min=0, max=1_000_000)],
    )
    sales_start = DateTimeLocalField(
        _l("Sales start (Japan time)"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    sales_end = DateTimeLocalField(
        _l("Sales end (Japan time)"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    requires_approval = BooleanField(_l("Organisers approve each registration"))
    access_code = StringField(
        _l("Access code (hidden ticket: only people with this code see it)"),
        validators=[Length(max=40)],
    )
    position = IntegerField(_l("Position in the list"), default=0, validators=[Optional()])


SEGMENTS_HELP = _l("Only people who have a place (confirmed) receive the message.")


class MessageForm(FlaskForm):
    segment = SelectField(_l("Recipients"), choices=[], validate_choice=True)
    subject = StringField(_l("Subject"), validators=[InputRequired(), Length(max=200)])
    body = TextAreaField(_l("Message"), validators=[InputRequired(), Length(max=10_000)])
