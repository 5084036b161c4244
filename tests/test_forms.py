"""What every form of the app refuses, whichever feature it belongs to: a NUL character in
any field (PostgreSQL cannot store one), an integer beyond what a column holds. Each is
refused beside its field, so the form answers 422 instead of the database a 500."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
import wtforms
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

import convention
from convention.forms import FlaskForm, Form, select_choices


class Example(FlaskForm):
    name = StringField("Name", validators=[InputRequired()])
    notes = TextAreaField("Notes")
    count = IntegerField("Count", validators=[Optional(), NumberRange(min=0, max=100)])
    total = IntegerField("Total", validators=[Optional()])
    choice = SelectField("Choice", choices=[], validate_choice=False)


def _validate(app, data: dict, language: str = "en") -> Example:
    with app.test_request_context(
        "/", method="POST", data=data, headers={"Accept-Language": language}
    ):
        form = Example()
        form.validate()
        return form


def test_every_form_of_the_app_has_the_shared_checks():
    forms = []
    for module_info in pkgutil.walk_packages(convention.__path__, "convention."):
        if not module_info.name.endswith(".forms"):
            continue
        module = importlib.import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, wtforms.Form) and cls.__module__ == module.__name__:
                forms.append(cls)
    assert len(forms) >= 40
    others = [cls.__qualname__ for cls in forms if not issubclass(cls, (FlaskForm, Form))]
    assert not others, f"derive from convention.forms.FlaskForm (or Form for rows): {others}"


@pytest.mark.parametrize("field", ["name", "notes", "choice"])
def test_a_nul_is_refused_beside_its_field(app, field):
    form = _validate(app, {"name": "Aiko", "notes": "", "choice": "a", field: "a\x00b"})
    assert form.errors == {field: ["This contains characters that are not allowed."]}


def test_a_number_beyond_a_column_is_refused_beside_its_field(app):
    for value in ("99999999999999999999", "-2147483648"):
        form = _validate(app, {"name": "Aiko", "total": value})
        assert form.errors == {"total": ["Number must be between -2147483647 and 2147483647."]}
    assert _validate(app, {"name": "Aiko", "total": "2147483647"}).errors == {}
    assert _validate(app, {"name": "Aiko", "total": ""}).errors == {}
    # A field with a range of its own says so in its own words, and only once.
    assert _validate(app, {"name": "Aiko", "count": "99999999999999999999"}).errors == {
        "count": ["Number must be between 0 and 100."]
    }


def test_the_shared_messages_are_japanese_for_japanese_readers(app):
    form = _validate(app, {"name": "a\x00", "total": "99999999999999999999"}, "ja")
    assert form.errors["name"] == ["使用できない文字が含まれています。"]
    assert "-2147483647" in form.errors["total"][0] and "Number" not in form.errors["total"][0]


def test_select_choices_puts_the_blank_choice_first():
    blank = _l("Choose")
    choices = select_choices({"b": "Bee", "a": "Ay"}, blank=blank)
    assert choices == [SelectChoice("", blank), SelectChoice("b", "Bee"), SelectChoice("a", "Ay")]
    assert choices[0].label is blank  # kept as given: a lazy label stays lazy
    assert select_choices([("b", "Bee"), ("a", "Ay")]) == [
        SelectChoice("b", "Bee"),
        SelectChoice("a", "Ay"),
    ]
