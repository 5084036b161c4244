"""Every protected URL refuses strangers (flaskr's test_login_required, for the whole app).

The sweep reads `app.url_map`: every view marked by `roles_required` (it sets
`required_roles`) is requested with dummy arguments for each of its methods, anonymously and
as a logged-in user who lacks the roles. Routes added later are picked up automatically.
Access is decided before the view touches the database, so one SQLite database serves all.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pytest
from werkzeug.routing import AnyConverter, FloatConverter, IntegerConverter, UUIDConverter

from convention import create_app
from convention.accounts.models import Role
from convention.extensions import db
from tests.conftest import test_config

# About what existed when the sweep was last tuned (138 URL-method pairs); far fewer means
# the sweep lost its way, or a feature lost its decorators.
MIN_PROTECTED_RULES = 100
KNOWN_PROTECTED = {
    "accounts.profile",
    "accounts.change_password",
    "mail.outbox",
    "mail.message",
    "mail.retry",
}
# Blueprints with a back-office or personal area: each must still have protected views.
PROTECTED_BLUEPRINTS = {
    "accounts",
    "mail",
    "events_admin",
    "registration",
    "registration_admin",
    "billing",
    "checkin",
    "kpi",
    "matching",
    "posters",
    "posters_admin",
    "sponsors",
    "sponsors_admin",
}
# Everything under these paths is for logged-in people only: a new route there that forgot
# its decorator fails below, before anyone can open it.
PRIVATE_PREFIXES = ("/admin/", "/my/", "/checkin/")
STAFF_ROLES = (Role.DOOR_STAFF, Role.REVIEWER)  # organisers pass every check


def dummy(converter) -> object:
    if isinstance(converter, IntegerConverter):
        return 999999
    if isinstance(converter, FloatConverter):
        return 999999.0
    if isinstance(converter, UUIDConverter):
        return uuid.UUID(int=999999)
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return "x"


def protected_rules(app):
    rules = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if not hasattr(view, "required_roles"):
            continue
        values = {name: dummy(conv) for name, conv in rule._converters.items()}
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            rules.append((rule.endpoint, method, path, tuple(view.required_roles)))
    return sorted(rules)


PROTECTED = protected_rules(create_app(test_config("sqlite://")))


def test_the_sweep_finds_the_protected_routes():
    assert len({(path, method) for _, method, path, _ in PROTECTED}) >= MIN_PROTECTED_RULES
    endpoints = {endpoint for endpoint, *_ in PROTECTED}
    assert endpoints >= KNOWN_PROTECTED
    blueprints = {endpoint.split(".", 1)[0] for endpoint in endpoints}
    assert blueprints >= PROTECTED_BLUEPRINTS, PROTECTED_BLUEPRINTS - blueprints


def test_private_areas_have_no_unprotected_route():
    app = create_app(test_config("sqlite://"))
    open_doors = [
        f"{rule.rule} ({rule.endpoint})"
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(PRIVATE_PREFIXES)
        and not hasattr(app.view_functions[rule.endpoint], "required_roles")
    ]
    assert not open_doors, "add roles_required / login_required to: " + ", ".join(open_doors)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """An app of its own, with users made once: (app, session id of a user per role set)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('sweep') / 'sweep.sqlite3'}"
    app = create_app(test_config(url))
    users = {}
    with app.app_context():
        db.create_all()
        from tests.factories import make_user

        for held in [(), *((role,) for role in STAFF_ROLES), STAFF_ROLES]:
            user = make_user(roles=tuple(role.value for role in held))
            users[frozenset(held)] = user.get_id()
    yield app, users
    with app.app_context():
        db.engine.dispose()


def is_login_redirect(response) -> bool:
    if response.status_code not in (301, 302, 303):
        return False
    return urlsplit(response.headers["Location"]).path == "/account/login"


@pytest.mark.parametrize(
    ("endpoint", "method", "path", "roles"),
    PROTECTED,
    ids=[f"{method} {path}" for _, method, path, _ in PROTECTED],
)
def test_protected_url_refuses_strangers(sweep, endpoint, method, path, roles):
    app, users = sweep
    anonymous = app.test_client().open(path, method=method)
    if path.startswith("/api/"):
        assert anonymous.status_code == 401, f"{endpoint}: anonymous got {anonymous.status_code}"
        assert anonymous.is_json
    else:
        assert is_login_redirect(anonymous), (
            f"{endpoint}: anonymous got {anonymous.status_code} {anonymous.headers.get('Location')}"
        )
        htmx = app.test_client().open(path, method=method, headers={"HX-Request": "true"})
        assert urlsplit(htmx.headers.get("HX-Redirect", "")).path == "/account/login"

    if not roles:
        return  # any logged-in person may open it
    lacking = frozenset(role for role in STAFF_ROLES if role not in roles)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = users[lacking]
        session["_fresh"] = True
    response = client.open(path, method=method)
    assert response.status_code == 403, (
        f"{endpoint} needs {[r.value for r in roles]}; a user holding "
        f"{sorted(r.value for r in lacking) or 'no role'} got {response.status_code}"
    )


def test_the_sweep_would_notice_an_open_door(sweep):
    """The sweep's own check: its way of logging in (the session keys the suite's login()
    helper writes) really logs in, so a 403 above is a refusal, not a stranger."""
    app, users = sweep
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = users[frozenset()]
    assert client.get("/account/profile").status_code == 200
