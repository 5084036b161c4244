"""What every feature's forms share."""

from __future__ import annotations


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
