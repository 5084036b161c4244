from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, EmailField, SelectField, StringField
from wtforms.validators import AnyOf, Email, InputRequired, Length, Optional

from convention.accounts.forms import CATEGORY_LABELS
from convention.checkin.models import Admission, ListKind
from convention.forms import FlaskForm, select_choices

KIND_LABELS = {
    ListKind.MAIN_DOOR: _l("Main door (counts participants)"),
    ListKind.SESSION: _l("Seminar or session"),
    ListKind.POSTER: _l("Poster session"),
    ListKind.MATCHING: _l("Matching tables"),
}

ADMISSION_LABELS = {
    Admission.EVERYONE: _l("Everyone registered"),
    Admission.SIGNED_UP: _l("Only those signed up for the session"),
}


class ListForm(FlaskForm):
    name_ja = StringField(_l("Name (Japanese)"), validators=[InputRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[InputRequired(), Length(max=200)])
    slug = StringField(
        _l("Short name in scanner links"), validators=[InputRequired(), Length(max=80)]
    )
    kind = SelectField(_l("Kind"), choices=select_choices(KIND_LABELS))
    session_id = SelectField(_l("Session"), choices=[], validate_choice=False)
    admission = SelectField(
        _l("Who may enter"),
        choices=select_choices(ADMISSION_LABELS),
    )
    valid_from = DateField(_l("First day"), validators=[Optional()])
    valid_until = DateField(_l("Last day"), validators=[Optional()])
    allow_reentry = BooleanField(_l("Re-entry allowed after an exit scan"), default=True)
    track_exits = BooleanField(_l("Scan exits too"))


class DeviceForm(FlaskForm):
    name = StringField(
        _l("Device name"),
        validators=[InputRequired(), Length(max=120)],
        description=_l("For example: Door A, phone 2"),
    )


class WalkInForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[InputRequired(), Length(max=120)])
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Email(), Length(max=254)])
    organization = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])
    category = SelectField(
        _l("Category"),
        choices=select_choices(CATEGORY_LABELS),
    )


class BadgesForm(FlaskForm):
    """Print every confirmed badge, or one category's."""

    category = SelectField(
        _l("Category"),
        choices=select_choices(CATEGORY_LABELS, blank=_l("All categories")),
        default="",
        # In place of SelectField's own check ("Not a valid choice."): say what to do.
        validate_choice=False,
        validators=[
            AnyOf(
                ["", *(category.value for category in CATEGORY_LABELS)],
                message=_l("Choose a category from the list."),
            )
        ],
    )
