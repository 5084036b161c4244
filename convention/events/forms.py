"""Back-office forms for editions, rooms and sessions. Field names match the services' data
classes, so a refused rule's message lands beside its field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, InputRequired, Length, NumberRange, Optional

from convention.events.models import SessionKind, SessionLanguage, Visibility
from convention.events.services import KIND_LABELS, LANGUAGE_LABELS, VISIBILITY_LABELS
from convention.forms import FlaskForm, select_choices

SLUG_HINT = _l("Used in web addresses: lower-case letters, digits and hyphens.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class EditionForm(FlaskForm):
    slug = StringField(
        _l("Short name"),
        validators=[InputRequired(), Length(max=60)],
        filters=[_strip],
        description=SLUG_HINT,
    )
    name_ja = StringField(
        _l("Name (Japanese)"), validators=[InputRequired(), Length(max=200)], filters=[_strip]
    )
    name_en = StringField(
        _l("Name (English)"), validators=[InputRequired(), Length(max=200)], filters=[_strip]
    )
    venue_ja = StringField(_l("Venue (Japanese)"), validators=[Length(max=200)], filters=[_strip])
    venue_en = StringField(_l("Venue (English)"), validators=[Length(max=200)], filters=[_strip])
    start_date = DateField(
        _l("First day"),
        validators=[InputRequired(message=_l("Enter the first day."))],
    )
    end_date = DateField(
        _l("Last day"),
        validators=[InputRequired(message=_l("Enter the last day."))],
    )
    is_current = BooleanField(_l("Current edition (shown on the public pages)"))


class RoomForm(FlaskForm):
    name_ja = StringField(
        _l("Name (Japanese)"), validators=[InputRequired(), Length(max=120)], filters=[_strip]
    )
    name_en = StringField(
        _l("Name (English)"), validators=[InputRequired(), Length(max=120)], filters=[_strip]
    )
    capacity = IntegerField(
        _l("Capacity"),
        validators=[
            Optional(),
            NumberRange(min=0, message=_l("Capacity cannot be negative.")),
        ],
        description=_l("Seats; leave empty for no limit."),
    )
    position = IntegerField(_l("Order"), default=0, validators=[Optional()])


def _int_or_none(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class SessionForm(FlaskForm):
    slug = StringField(
        _l("Short name"),
        validators=[InputRequired(), Length(max=80)],
        filters=[_strip],
        description=SLUG_HINT,
    )
    kind = SelectField(
        _l("Kind"),
        choices=select_choices(KIND_LABELS),
        default=SessionKind.SEMINAR.value,
    )
    title_ja = StringField(
        _l("Title (Japanese)"), validators=[InputRequired(), Length(max=200)], filters=[_strip]
    )
    title_en = StringField(
        _l("Title (English)"), validators=[InputRequired(), Length(max=200)], filters=[_strip]
    )
    starts_at = DateTimeLocalField(
        _l("Starts (JST)"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[InputRequired(message=_l("Enter the start date and time."))],
    )
    ends_at = DateTimeLocalField(
        _l("Ends (JST)"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[InputRequired(message=_l("Enter the end date and time."))],
    )
    room_id = SelectField(_l("Room"), coerce=_int_or_none, validate_choice=True)
    capacity = IntegerField(
        _l("Capacity"),
        validators=[
            Optional(),
            NumberRange(min=0, message=_l("Capacity cannot be negative.")),
        ],
        description=_l("Seats; leave empty for no limit."),
    )
    language = SelectField(
        _l("Language"),
        choices=select_choices(LANGUAGE_LABELS),
        default=SessionLanguage.JA.value,
    )
    visibility = SelectField(
        _l("Visibility"),
        choices=select_choices(VISIBILITY_LABELS),
        default=Visibility.PUBLIC.value,
    )
    description_ja = TextAreaField(_l("Description (Japanese)"), filters=[_strip])
    description_en = TextAreaField(_l("Description (English)"), filters=[_strip])
    speakers = TextAreaField(
        _l("Speakers"),
        filters=[_strip],
        description=_l("One per line: name, affiliation."),
    )
    stream_url = URLField(
        _l("Online stream URL"),
        validators=[
            Optional(),
            URL(require_tld=False, message=_l("Enter a full web address (https://…).")),
            Length(max=500),
        ],
        filters=[_strip],
    )
    invitation_code = StringField(
        _l("Invitation code"),
        validators=[Optional(), Length(max=40)],
        filters=[_strip],
        description=_l("Closed sessions: people who know it may sign up without approval."),
    )

    def set_rooms(self, rooms, label) -> None:
        self.room_id.choices = select_choices(
            ((str(room.id), label(room)) for room in rooms), blank=_l("No room (off-site)")
        )


def focus_first(form: FlaskForm) -> FlaskForm:
    """An inline edit row takes the keyboard focus on its first field when it appears."""
    first = next(item for item in form if item.type not in ("CSRFTokenField", "HiddenField"))
    first.render_kw = {**(first.render_kw or {}), "autofocus": True}
    return form
