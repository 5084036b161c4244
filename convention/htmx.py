"""The one place the app talks htmx: request inspection and response headers.

htmx-flask 0.1.0 validates HX-Reswap against a list that fuses "beforebegin" and
"afterbegin", so response headers are set here directly instead of through it.
"""

from __future__ import annotations

import json

from flask import Response, make_response, render_template, request
from htmx_flask import Htmx

htmx = Htmx()


def is_htmx() -> bool:
    """True for requests sent by htmx, boosted navigation included."""
    return bool(getattr(request, "htmx", False))


def wants_fragment(*targets: str) -> bool:
    """True when htmx asked to swap one of these element ids (not a boosted full page)."""
    if not is_htmx() or request.htmx.boosted:
        return False
    return not targets or request.htmx.target in targets


def render(page: str, fragment: str | None = None, *, targets: tuple[str, ...] = (), **context):
    """Render the full page, or only its partial when htmx targets that part."""
    if fragment and wants_fragment(*targets):
        return render_template(fragment, **context)
    return render_template(page, **context)


def redirect(url: str) -> Response:
    """After an htmx POST, navigate with HX-Redirect (htmx never sees a 302); otherwise 303."""
    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    response = make_response("", 303)
    response.headers["Location"] = url
    return response


def trigger(response: Response, event: str, detail: object = None) -> Response:
    """Add an HX-Trigger event that other parts of the page listen to (from:body)."""
    existing = json.loads(response.headers.get("HX-Trigger", "{}") or "{}")
    existing[event] = detail if detail is not None else ""
    response.headers["HX-Trigger"] = json.dumps(existing)
    return response


def reswap(response: Response, swap: str, target: str | None = None) -> Response:
    response.headers["HX-Reswap"] = swap
    if target:
        response.headers["HX-Retarget"] = target
    return response


def add_vary(response: Response) -> Response:
    response.vary.add("HX-Request")
    return response
