"""What every feature's forms share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum

import flask_wtf
import wtforms
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectChoice
from wtforms.validators import NumberRange, StopValidation

from convention.extensions import MAX_ID

_NOT_ALLOWED = _l("This contains characters that are not allowed.")
_COLUMN_RANGE = NumberRange(min=-MAX_ID, max=MAX_ID)  # its message is in WTForms' catalog


def _no_nul(form, field):
    """No browser sends a NUL character and PostgreSQL cannot store one in text."""
    if any(isinstance(value, str) and "\x00" in value for value in field.raw_data or ()):
        raise StopValidation(str(_NOT_ALLOWED))


def _fits_a_column(form, field):
    """Integer columns hold 32 bits: a larger number is refused beside its field (unless the
    field's own range, checked before, already refused it in its words)."""
    if not field.errors and isinstance(field.data, int):
        _COLUMN_RANGE(form, field)


class _SharedChecks:
    """What no field of this app may accept: a NUL character in any field (checked first,
    the only message then), an integer beyond what a column holds (checked last, after the
    field's own range)."""

    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        last = [_fits_a_column] if isinstance(field, IntegerField) else []
        field.validators = [_no_nul, *field.validators, *last]
        return field


class FlaskForm(flask_wtf.FlaskForm):
    """Flask-WTF's form (CSRF), with the shared checks: every form of the app derives from it."""

    class Meta(_SharedChecks):
        pass


class Form(wtforms.Form):
    """A form for the rows of a FieldList (no CSRF of its own), with the shared checks."""

    class Meta(_SharedChecks):
        pass


def select_choices(
    options: Mapping | Iterable[tuple], *, blank: str | None = None
) -> list[SelectChoice]:
    """The options of a select, radio or checkbox group, in their order, from a {value: label}
    mapping or (value, label) pairs (WTForms 3.3 deprecates choices given as tuples, 3.4 refuses
    them). An Enum member stands for its value, what the browser sends; a label is kept as it
    is given, so a lazy one (`_l`) is still translated in each request's language. `blank`, when
    given, is the label of a first, empty choice (value "") before the options."""
    pairs = options.items() if isinstance(options, Mapping) else options
    first = [SelectChoice("", blank)] if blank is not None else []
    return first + [
        SelectChoice(value.value if isinstance(value, Enum) else value, label)
        for value, label in pairs
    ]


# Each language in its own name, so that a reader of either finds theirs.
LANGUAGE_CHOICES = select_choices([("ja", "日本語"), ("en", "English")])


def attach_error(form, error, field: str | None = None, aliases: dict[str, str] | None = None):
    """Show a service's refusal beside the form field it names (`field`, else the error's own
    `field` attribute, renamed by `aliases` where the service and the form differ), or above
    the form when it names none."""
    name = field or getattr(error, "field", None) or ""
    target = getattr(form, (aliases or {}).get(name, name), None)
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, str(error)]
    else:
        form.form_errors.append(str(error))


def distinct_ids(form, prefix: str):
    """Several forms of one kind on a page (inline edit rows, one per seminar or seat): give
    their fields distinct ids (the submitted names stay the same)."""
    for item in form:
        item.id = f"{prefix}-{item.name}"
        item.label.field_id = item.id
    return form
