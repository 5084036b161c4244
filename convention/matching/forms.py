from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from convention.countries import country_choices
from convention.forms import FlaskForm, select_choices
from convention.matching.vocabulary import (
    LANGUAGES,
    ORGANISATION_TYPES,
    OUTCOMES,
    PRIORITIES,
    TOPICS,
)


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes (works without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _at_least_one(form, field):
    # Not InputRequired: its `required` attribute on every checkbox would demand them all.
    if not field.data:
        raise ValidationError(_l("Choose at least one language."))


def _topics():
    return select_choices(TOPICS)


def _long_text(label):
    return TextAreaField(
        label, validators=[Length(max=2000, message=_l("Use at most %(max)d characters."))]
    )


class ProfileForm(FlaskForm):
    organisation_type = SelectField(
        _l("Organisation type"),
        choices=lambda: select_choices(ORGANISATION_TYPES),
        validators=[InputRequired(message=_l("Choose the type of your organisation."))],
    )
    organisation = StringField(
        _l("Organisation"),
        validators=[
            InputRequired(message=_l("Enter your organisation's name.")),
            Length(max=200, message=_l("Use at most %(max)d characters.")),
        ],
    )
    country = SelectField(_l("Country or region"), choices=country_choices, default="JP")
    city = StringField(_l("City"), validators=[Length(max=120)])
    summary_en = _long_text(_l("About us (English)"))
    summary_ja = _long_text(_l("About us (Japanese)"))
    sectors = MultiCheckboxField(_l("Sectors and technologies"), choices=_topics)
    need_codes = MultiCheckboxField(_l("We are looking for"), choices=_topics)
    needs_en = _long_text(_l("Our needs (English)"))
    needs_ja = _long_text(_l("Our needs (Japanese)"))
    offer_codes = MultiCheckboxField(_l("We offer"), choices=_topics)
    offers_en = _long_text(_l("Our offers (English)"))
    offers_ja = _long_text(_l("Our offers (Japanese)"))
    languages = MultiCheckboxField(
        _l("Meeting languages"),
        choices=lambda: select_choices(LANGUAGES),
        validators=[_at_least_one],
    )
    unavailable = MultiCheckboxField(_l("Slots I cannot meet in"), coerce=int, choices=[])
    visible = BooleanField(_l("Show my profile in the directory"), default=True)


class RequestForm(FlaskForm):
    message = TextAreaField(
        _l("Message"),
        validators=[Length(max=2000, message=_l("Use at most %(max)d characters."))],
    )
    priority = SelectField(
        _l("Priority"), coerce=int, default=2, choices=lambda: select_choices(PRIORITIES)
    )


class CoordinateForm(RequestForm):
    requester = SelectField(_l("First participant"), coerce=int, choices=[])
    recipient = SelectField(_l("Second participant"), coerce=int, choices=[])


class GridForm(FlaskForm):
    slot_minutes = IntegerField(
        _l("Minutes per meeting"),
        default=20,
        validators=[InputRequired(), NumberRange(5, 120, _l("Between 5 and 120 minutes."))],
    )
    gap_minutes = IntegerField(
        _l("Pause between meetings (minutes)"),
        default=0,
        validators=[InputRequired(), NumberRange(0, 60, _l("Between 0 and 60 minutes."))],
    )
    tables = IntegerField(
        _l("Tables"),
        default=10,
        validators=[InputRequired(), NumberRange(1, 200, _l("Between 1 and 200 tables."))],
    )
    interpreter_tables = IntegerField(
        _l("Tables with an interpreter"),
        default=0,
        validators=[InputRequired(), NumberRange(0, 200, _l("Between 0 and 200."))],
    )


class ScheduleForm(FlaskForm):
    time_limit = FloatField(
        _l("Time limit (seconds)"),
        default=20,
        validators=[InputRequired(), NumberRange(0, 300, _l("Between 0 and 300 seconds."))],
    )


class MoveForm(FlaskForm):
    slot = SelectField(_l("Slot"), coerce=int, choices=[])
    table = SelectField(_l("Table"), coerce=int, choices=[])


def _an_outcome(form, field):
    # In place of SelectField's own check, which adds "Not a valid choice." to this message.
    if field.data not in {outcome.value for outcome in OUTCOMES}:
        raise ValidationError(_l("Choose an outcome."))


class FollowUpForm(FlaskForm):
    outcome = SelectField(
        _l("Outcome"),
        choices=lambda: select_choices(OUTCOMES),
        validate_choice=False,
        validators=[_an_outcome],
    )
    note = TextAreaField(
        _l("Note"), validators=[Length(max=2000, message=_l("Use at most %(max)d characters."))]
    )
