from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from convention.forms import FlaskForm, select_choices
from convention.posters.models import DECISION_LABELS
from convention.posters.services import MAX_AUTHORS

LANGUAGE_LABELS = {"ja": _l("Japanese"), "en": _l("English")}
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def _int_or_none(value):
    if value in (None, "", "None"):
        return None
    return int(value)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ChoiceField(SelectField):
    """A select whose refusal of a value not in the list (or not a number) is `message`, shown
    beside the field, instead of WTForms' "Invalid Choice: could not coerce." """

    def __init__(self, label, message, **kwargs):
        kwargs.setdefault("coerce", _int_or_none)
        super().__init__(
            label, invalid_value_message=message, invalid_choice_message=message, **kwargs
        )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CallForm(FlaskForm):
    opens_at = DateTimeLocalField(
        _l("Submissions open (JST)"), format=DATETIME_FORMATS, validators=[InputRequired()]
    )
    deadline = DateTimeLocalField(
        _l("Submission deadline (JST)"), format=DATETIME_FORMATS, validators=[InputRequired()]
    )
    review_opens_at = DateTimeLocalField(
        _l("Reviewing opens (JST)"), format=DATETIME_FORMATS, validators=[InputRequired()]
    )
    review_closes_at = DateTimeLocalField(
        _l("Reviewing closes, selection starts (JST)"),
        format=DATETIME_FORMATS,
        validators=[InputRequired()],
    )
    languages = MultiCheckboxField(
        _l("Languages"),
        choices=select_choices(LANGUAGE_LABELS),
        invalid_choice_message=_l("Choose Japanese, English or both."),
    )
    title_max = IntegerField(
        _l("Title: at most characters"), default=120, validators=[NumberRange(min=10, max=300)]
    )
    abstract_max = IntegerField(
        _l("Abstract: at most characters"),
        default=2000,
        validators=[NumberRange(min=100, max=20000)],
    )
    max_file_mb = IntegerField(
        _l("PDF: at most MB"), default=10, validators=[NumberRange(min=1, max=50)]
    )
    reviews_per_poster = IntegerField(
        _l("Reviews per poster"), default=2, validators=[NumberRange(min=1, max=10)]
    )
    session_id = ChoiceField(_l("Poster session"), _l("Choose a poster session from the list."))
    tracks = TextAreaField(
        _l("Tracks, one a line: Japanese name / English name"),
        validators=[InputRequired()],
    )
    categories = TextAreaField(
        _l("Score categories, one a line: Japanese name / English name / weight"),
        validators=[InputRequired()],
    )


class AuthorForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField(_l("Name"), validators=[Length(max=200)], filters=[_strip])
    affiliation = StringField(_l("Affiliation"), validators=[Length(max=200)], filters=[_strip])


class SubmissionForm(FlaskForm):
    title_ja = StringField(_l("Title (Japanese)"), validators=[Length(max=300)], filters=[_strip])
    title_en = StringField(_l("Title (English)"), validators=[Length(max=300)], filters=[_strip])
    abstract = TextAreaField(_l("Abstract"), validators=[Length(max=20000)])
    language = ChoiceField(
        _l("Presentation language"), _l("Choose one of the call's languages."), coerce=str
    )
    track_id = ChoiceField(_l("Track"), _l("Choose a track of this call."))
    keywords = StringField(
        _l("Keywords (separated by commas)"), validators=[Length(max=300)], filters=[_strip]
    )
    university_id = ChoiceField(_l("University"), _l("Choose a university from the list."))
    supervisor = StringField(_l("Supervisor"), validators=[Length(max=200)], filters=[_strip])
    authors = FieldList(FormField(AuthorForm), min_entries=MAX_AUTHORS, max_entries=MAX_AUTHORS)
    presenter = RadioField(
        _l("Presenter"),
        choices=select_choices((str(i), str(i + 1)) for i in range(MAX_AUTHORS)),
        default="0",
        validate_choice=False,
    )
    consent_public = BooleanField(
        _l("If accepted, the poster PDF may be published on the public poster programme")
    )
    file = FileField(_l("Poster (PDF)"))


class ReviewerUniversityForm(FlaskForm):
    university_id = ChoiceField(
        _l("University"), _l("Choose a university from the list."), validate_choice=False
    )


class AssignForm(FlaskForm):
    reviewer_id = ChoiceField(_l("Reviewer"), _l("Choose a reviewer."), validate_choice=False)


class DecisionForm(FlaskForm):
    decision = ChoiceField(
        _l("Decision"),
        _l("Choose a decision from the list."),
        coerce=str,
        choices=select_choices(DECISION_LABELS, blank=_l("Undecided")),
        validators=[Optional()],
    )
