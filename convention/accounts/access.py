"""Who may open what: one decorator for every protected view."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, redirect, request, url_for
from flask_login import current_user

from convention.accounts.models import Role, User
from convention.extensions import db, login_manager
from convention.htmx import is_htmx
from convention.htmx import redirect as hx_redirect


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, stamp = session_id.partition(":")
    if not user_id.isdigit() or not stamp.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.security_stamp != int(stamp):
        return None
    return user


def _return_path() -> str | None:
    """Where to come back after logging in: the page the person was looking at. Not the URL
    of a POST (a GET there is a 405) nor of an htmx fragment, but the page around it."""
    if is_htmx():
        page = urlsplit(request.headers.get("HX-Current-URL", ""))
        if page.netloc != request.host or not page.path:
            return None
        return page.path + (f"?{page.query}" if page.query else "")
    if request.method in ("GET", "HEAD"):
        return request.full_path.rstrip("?")
    return None


@login_manager.unauthorized_handler
def unauthorized():
    # Scripts (the scanner's JSON calls) get a status they can act on, not a login page.
    if request.path.startswith("/api/") or request.is_json:
        abort(401)
    login_url = url_for("accounts.login", next=_return_path())
    if is_htmx():
        return hx_redirect(login_url)
    return redirect(login_url)


def roles_required(*roles: Role):
    """Logged in and holding one of `roles` (organisers pass every check); else 401/403."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        # The URL sweep test reads this to prove every protected view refuses strangers.
        wrapper.required_roles = roles
        return wrapper

    return decorator


login_required = roles_required()
organiser_required = roles_required(Role.ORGANISER)
