"""Every form of the demo, sent bad input, must never answer 500.

On the loaded demo, each role that has forms opens its pages (test_demo's lists, a few pages
of the demo's reviewer, student and sponsor, and one page of every other route they link to).
Every form is read from the HTML (`<form>` and elements with `hx-post`, with the fields a
browser would send) and sent as rendered; with every visible field set to one nasty value
after another; with its text fields alone set to a very long text or a NUL; with invalid
choices; with its hidden ids and the ids in its URL forged; and with one field left out at a
time; each once plainly and once as htmx sends it. A 500 (the test app lets the view's
exception through) is collected with the line that raised it, and all are reported at once.

Per-row forms of one route are tried on two rows, the second with the variants about its own
record only. Forms change the demo as they are accepted, the same way on every run: the clock
is fixed, the order of pages and forms is the HTML's.
"""

from __future__ import annotations

import re
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from io import BytesIO
from urllib.parse import quote, urljoin, urlsplit

import pytest
import time_machine
from sqlalchemy import select

from convention.extensions import db
from convention.timeutil import EVENT_ZONE
from tests.test_demo import (
    ATTENDEE_PAGES,
    DOOR_PAGES,
    ORGANISER_PAGES,
    _log_in,
    _pages_of_demo_records,
    _parameterless_get_urls,
)

pytestmark = pytest.mark.xdist_group("demo")

# The demo is built around today (what was held, who came in): a fixed morning of the
# convention makes it the same demo, and the same forms, on every run.
SWEEP_MOMENT = datetime(2026, 6, 10, 10, 30, tzinfo=EVENT_ZONE)
NASTY = [
    "",
    "x" * 5000,
    "-1",
    "99999999999999999999",
    "１２",
    "1e400",
    "NaN",
    "2026-02-30",
    "<script>x</script>",
    "'; DROP TABLE x;--",
    "\x00",
]
TEXT_ONLY = ["x" * 5000, "\x00"]  # in text fields alone, past the checks of the others
TEXT_KINDS = {"text", "textarea", "email", "search", "url", "tel", "password"}
INVALID_CHOICE = "no-such-choice"
FORGED_IDS = ["abc", "-1", "999999999", "99999999999999999999", "\x00"]
FORGED_URL_IDS = ["999999999", "99999999999999999999"]  # /<int:…>/ matches digits only
GARBAGE_FILE = b"%PDF-1.4\x00\xff\xfe not really a file \x00" * 64
MAX_FIELDS_FOR_OMISSION = 8
ROWS_PER_ROUTE = 2
# CSRF is off in tests: forging or leaving out its token tries nothing.
CSRF = "csrf_token"
# Logging out ends the session being swept (the access sweep covers the route).
SKIPPED_ACTIONS = {"/account/logout"}
DOWNLOADS = (".pdf", ".png", ".csv", ".ics", ".json", ".zip", ".svg")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
VOID |= {"source", "track", "wbr"}
SITE = "http://convention.test"

# --- reading the HTML -------------------------------------------------------------------------


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def matches(self, selector: str) -> bool:
        selector = selector.strip()
        if selector.startswith("#"):
            return self.attrs.get("id") == selector[1:]
        if selector.startswith("."):
            return selector[1:] in self.attrs.get("class", "").split()
        return self.tag == selector


class _TreeBuilder(HTMLParser):
    """A forgiving DOM: enough to know which fields sit in which form."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {name: value or "" for name, value in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(
            Node(tag, {name: value or "" for name, value in attrs}, self.current)
        )

    def handle_endtag(self, tag):
        for node in [self.current, *self.current.ancestors()]:
            if node.tag == tag:
                self.current = node.parent or self.root
                return

    def handle_data(self, data):
        self.current.text += data


def parse_html(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # an input's type, "select", "textarea", "submit"; "unchecked-…" is not sent
    value: str

    @property
    def visible(self) -> bool:
        return self.kind != "hidden"

    @property
    def has_choices(self) -> bool:
        return any(kind in self.kind for kind in ("select", "radio"))


@dataclass
class FormSpec:
    method: str
    page: str
    url: str
    fields: list[Field]
    htmx_target: str | None
    full: bool = True  # False: another row of a form already tried in full

    def signature(self, app) -> tuple:
        rule = _rule(app, self.url, self.method) or urlsplit(self.url).path
        # Per-row forms may name fields after their row (lead8-notes): one signature for all.
        return self.method, rule, tuple(sorted({re.sub(r"\d+", "#", f.name) for f in self.fields}))


def _fields_under(container: Node) -> list[Field]:
    """The fields a browser sends from a container, submit buttons aside."""
    fields = []
    for node in container.walk():
        name = node.attrs.get("name")
        if not name or "disabled" in node.attrs:
            continue
        if node.tag == "input":
            kind = node.attrs.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                continue
            if kind in ("checkbox", "radio"):
                value = node.attrs.get("value", "on")
                checked = "checked" in node.attrs
                fields.append(Field(name, kind if checked else f"unchecked-{kind}", value))
                continue
            fields.append(Field(name, kind, node.attrs.get("value", "")))
        elif node.tag == "select":
            options = [o for o in node.walk() if o.tag == "option"]
            values = [o.attrs.get("value", o.text.strip()) for o in options]
            chosen = [v for o, v in zip(options, values, strict=True) if "selected" in o.attrs]
            if "multiple" in node.attrs:
                fields += [Field(name, "select", value) for value in chosen]
                if not chosen:
                    fields.append(Field(name, "unchecked-select", ""))
            else:
                fields.append(Field(name, "select", (chosen or [*values, ""])[0]))
        elif node.tag == "textarea":
            fields.append(Field(name, "textarea", node.text.removeprefix("\n")))
    return fields


def _submitters(form: Node) -> list[Field]:
    found = []
    for node in form.walk():
        kind = node.attrs.get("type", "submit" if node.tag == "button" else "").lower()
        if node.tag in ("button", "input") and kind == "submit" and node.attrs.get("name"):
            found.append(Field(node.attrs["name"], "submit", node.attrs.get("value", "")))
    return list(dict.fromkeys(found))


def _resolve(node: Node, selector: str, root: Node) -> Node | None:
    selector = selector.strip()
    if selector == "this":
        return node
    if selector.startswith("closest "):
        return next((a for a in node.ancestors() if a.matches(selector[8:])), None)
    if selector.startswith("find "):
        return next((d for d in node.walk() if d is not node and d.matches(selector[5:])), None)
    return next((d for d in root.walk() if d.matches(selector)), None)


def _htmx_target(node: Node, root: Node) -> str | None:
    """The id htmx sends as HX-Target: hx-target's element (inherited), else the element."""
    for holder in [node, *node.ancestors()]:
        if "hx-target" in holder.attrs:
            target = _resolve(holder, holder.attrs["hx-target"], root)
            return target.attrs.get("id") if target is not None else None
    return node.attrs.get("id")


def _site_url(page: str, action: str) -> str:
    return urljoin(SITE + page, action).removeprefix(SITE)


def forms_of(page: str, root: Node) -> list[FormSpec]:
    """Every form of a page: posting forms, elements with hx-post, and GET forms (filters)."""
    specs = []
    for node in root.walk():
        is_form = node.tag == "form"
        method = node.attrs.get("method", "get").lower() if is_form else "post"
        if not is_form and "hx-post" not in node.attrs:
            continue
        form = node if is_form else next((a for a in node.ancestors() if a.tag == "form"), None)
        fields = _fields_under(form) if form is not None else []
        if form is None and node.attrs.get("name"):
            fields += _fields_under(node) or [
                Field(node.attrs["name"], "submit", node.attrs.get("value", ""))
            ]
        for selector in filter(None, node.attrs.get("hx-include", "").split(",")):
            included = _resolve(node, selector, root)
            if included is not None:
                fields += [f for f in _fields_under(included) if f not in fields]
        # Where it goes: the htmx URL (and target) where there is one, else the action.
        targets = {}
        if is_form:
            targets[_site_url(page, node.attrs.get("action") or page)] = None
        hx_url = node.attrs.get(f"hx-{method}")
        if hx_url:
            targets[_site_url(page, hx_url)] = _htmx_target(node, root)
        for url, htmx_target in targets.items():
            if urlsplit(url).path in SKIPPED_ACTIONS:
                continue
            if method == "get":  # the form's fields replace the action's query string
                url = urlsplit(url).path
            for submitter in (_submitters(node) if is_form else []) or [None]:
                sent = [*fields, submitter] if submitter else fields
                specs.append(FormSpec(method, page, url, sent, htmx_target))
    return specs


def _links(page: str, root: Node) -> list[str]:
    """The pages of this site a page links to, downloads aside."""
    found = []
    for node in root.walk():
        href = node.attrs.get("href") if node.tag == "a" else None
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
            continue
        parts = urlsplit(urljoin(SITE + page, href))
        if parts.netloc != SITE.removeprefix("http://") or parts.path.endswith(DOWNLOADS):
            continue
        if not parts.path.startswith(("/static/", "/api/")):
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def _rule(app, url: str, method: str = "get") -> str | None:
    """The route a URL reaches (/admin/sponsors/booths/new and /<int:booth_id> are two)."""
    adapter = app.url_map.bind("convention.test")
    try:
        return adapter.match(urlsplit(url).path, method=method.upper(), return_rule=True)[0].rule
    except Exception:
        return None


# --- what each form is sent ------------------------------------------------------------------


def _payload(fields: list[Field], replace=None) -> dict:
    """Form data as a browser sends it; `replace(field)` gives a field's value, or None to
    leave the field out (an unchecked box is sent only when given a new value)."""
    data: dict[str, list] = defaultdict(list)
    for item in fields:
        value = item.value if replace is None else replace(item)
        if value is None or (item.kind.startswith("unchecked") and value == item.value):
            continue
        if item.kind == "file":
            content = GARBAGE_FILE if replace is not None else b""
            data[item.name].append((BytesIO(content), "poster.pdf" if content else ""))
        else:
            data[item.name].append(value)
    return dict(data)


def _fingerprint(data: dict) -> str:
    return repr(
        sorted((k, [v if isinstance(v, str) else "a file" for v in vs]) for k, vs in data.items())
    )


def variants(spec: FormSpec):
    """(label, url, make_data) for everything a form is sent; `make_data` builds the data
    afresh each time, since a file can be read once. Identical requests are sent once."""
    fields = spec.fields
    tries = [("as rendered", spec.url, None)]
    if spec.full:
        for nasty in TEXT_ONLY:
            if any(f.kind in TEXT_KINDS for f in fields):
                tries.append(
                    (
                        f"text fields={nasty[:20]!r}",
                        spec.url,
                        lambda f, n=nasty: n if f.kind in TEXT_KINDS else f.value,
                    )
                )
        for nasty in NASTY:
            if any(f.visible for f in fields):
                tries.append(
                    (
                        f"visible={nasty[:20]!r}",
                        spec.url,
                        lambda f, n=nasty: n if f.visible else f.value,
                    )
                )
        if any(f.has_choices for f in fields):
            tries.append(
                ("invalid choice", spec.url, lambda f: INVALID_CHOICE if f.has_choices else f.value)
            )
    if any(f.kind == "hidden" and f.name != CSRF for f in fields):
        for forged in FORGED_IDS:
            tries.append(
                (
                    f"hidden={forged!r}",
                    spec.url,
                    lambda f, n=forged: n if f.kind == "hidden" and f.name != CSRF else f.value,
                )
            )
    for forged in FORGED_URL_IDS:
        url = re.sub(r"/\d+(?=/|$|\?)", f"/{forged}", spec.url)
        if url != spec.url:
            tries.append((f"ids in the URL={forged}", url, None))
    names = list(dict.fromkeys(f.name for f in fields if f.name != CSRF))
    if spec.full and len(names) <= MAX_FIELDS_FOR_OMISSION:
        for name in names:
            tries.append(
                (f"without {name!r}", spec.url, lambda f, n=name: None if f.name == n else f.value)
            )
    sent = set()
    for label, url, replace in tries:
        key = url, _fingerprint(_payload(fields, replace))
        if key not in sent:
            sent.add(key)
            yield label, url, lambda replace=replace: _payload(fields, replace)


# --- sending ---------------------------------------------------------------------------------


def _where(error: BaseException) -> str:
    """The exception and the last line of the app's own code it passed through."""
    frames = traceback.extract_tb(error.__traceback__)
    own = [frame for frame in frames if "/convention/" in frame.filename]
    frame = (own or frames)[-1]
    place = "convention/" + frame.filename.rsplit("/convention/", 1)[-1] if own else frame.filename
    message = str(error).splitlines()[0][:160] if str(error) else ""
    return f"{type(error).__name__}: {message} at {place}:{frame.lineno} ({frame.name})"


def _send(client, spec: FormSpec, url: str, data: dict, headers: dict) -> tuple[int, str]:
    """The status, and where the view raised when it did (a 500)."""
    try:
        if spec.method == "get":
            response = client.get(url, query_string=data, headers=headers)
        else:  # as a browser encodes it: multipart only with a file
            has_file = any(f.kind == "file" for f in spec.fields)
            encoding = "multipart/form-data" if has_file else "application/x-www-form-urlencoded"
            response = client.post(url, data=data, headers=headers, content_type=encoding)
    except Exception as error:  # as the test app lets it through: a 500 in production
        db.session.rollback()
        return 500, _where(error)
    finally:
        db.session.remove()  # each request starts afresh, as in production
    return response.status_code, ""


@dataclass
class Tally:
    forms: int = 0
    requests: int = 0
    broken: list[str] = field(default_factory=list)


def _collect_forms(app, client, pages, taken: dict) -> list[FormSpec]:
    """The forms of `pages` and of one page of each route they link to; forms already
    `taken` (same method, route and field names, `ROWS_PER_ROUTE` rows of them) left out."""
    specs = []
    pages = list(dict.fromkeys(pages))
    seen_rules = {_rule(app, page) for page in pages}
    queue = [(page, True) for page in pages]
    while queue:
        page, follow = queue.pop(0)
        response = client.get(page)
        db.session.remove()
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        root = parse_html(response.get_data(as_text=True))
        for spec in forms_of(page, root):
            same = taken.setdefault(spec.signature(app), [])
            if len(same) < ROWS_PER_ROUTE and spec.url not in same:
                spec.full = not same
                same.append(spec.url)
                specs.append(spec)
        for link in _links(page, root) if follow else []:
            rule = _rule(app, link)
            if rule is not None and rule not in seen_rules:
                seen_rules.add(rule)
                queue.append((link, False))
    return specs


def _sweep_forms(client, login, specs, tally: Tally, role: str) -> None:
    for spec in specs:
        tally.forms += 1
        for label, url, make_data in variants(spec):
            for htmx in (False, True):
                headers = {}
                if htmx:
                    headers = {"HX-Request": "true", "HX-Current-URL": SITE + spec.page}
                    if spec.htmx_target:
                        headers["HX-Target"] = spec.htmx_target
                login(client)
                status, where = _send(client, spec, url, make_data(), headers)
                tally.requests += 1
                if status >= 500:
                    tally.broken.append(
                        f"{role}: {spec.method.upper()} {url} [{label}{', htmx' if htmx else ''}]"
                        f" from {spec.page} -> {status} {where}"
                    )


# --- who sweeps what -------------------------------------------------------------------------

ROLE_LOGINS = {
    "attendee": ("attendee@convention.example", "attendee-demo-pass"),
    "door staff": ("door@convention.example", "door-demo-pass"),
    "reviewer": ("reviewer@convention.example", "reviewer-demo-pass"),
    "student": ("student@convention.example", "student-demo-pass"),
    "sponsor": ("sponsor@convention.example", "sponsor-demo-pass"),
    "organiser": ("organiser@convention.example", "organiser-demo-pass"),
}


def _first(column, *where):
    return db.session.scalar(select(column).where(*where).order_by(column).limit(1))


def _door_pages() -> list[str]:
    """The scanner, and its search with results: their check-in buttons are forms too."""
    from convention.accounts.models import User
    from convention.checkin.models import CheckInList, ListKind

    name = _first(User.name, User.email.like("demo%"))
    door = _first(CheckInList.slug, CheckInList.kind == ListKind.MAIN_DOOR)
    return [*DOOR_PAGES, f"/checkin/scan?list={door}&q={quote(name.split()[0])}"]


def _orders_in_each_state() -> list[str]:
    """An order of each status: each has other forms (issue, cancel, pay, refund)."""
    from convention.billing.models import Order, OrderStatus

    found = (_first(Order.id, Order.status == status) for status in OrderStatus)
    return [f"/admin/billing/orders/{order_id}" for order_id in found if order_id]


def _pages_of_other_demo_logins() -> dict[str, list[str]]:
    """Pages of the demo's reviewer, student and sponsor, whose forms no one else sees."""
    from convention.accounts.models import User
    from convention.posters.models import ReviewAssignment, Submission
    from convention.sponsors.models import SponsorApplication

    def user_id(role):
        return _first(User.id, User.email == ROLE_LOGINS[role][0])

    assignment = _first(ReviewAssignment.id, ReviewAssignment.reviewer_id == user_id("reviewer"))
    submission = _first(Submission.id, Submission.student_id == user_id("student"))
    application = _first(SponsorApplication.id, SponsorApplication.user_id == user_id("sponsor"))
    return {
        "reviewer": ["/review/posters", f"/review/posters/{assignment}"],
        "student": ["/my/posters", "/my/posters/new", f"/my/posters/{submission}"],
        "sponsor": [
            "/sponsors/apply",
            "/my/sponsor/",
            f"/my/sponsor/{application}",
            f"/my/sponsor/{application}/profile",
            f"/my/sponsor/{application}/leads",
        ],
    }


@pytest.fixture
def no_tracked_jobs(monkeypatch):
    """Tracked jobs (badge PDFs, the scheduler, reminders, the invoice archive) run inline in
    tests, seconds each; inline, a failing one is logged, never a 500. Their forms are still
    sent; the jobs themselves are not run."""
    from convention.jobs import services as jobs

    monkeypatch.setattr(jobs, "_run_tracked", lambda job_id, path, *args, **kwargs: None)


def test_every_form_answers_bad_input_without_a_500(app, runner, no_tracked_jobs):
    with time_machine.travel(SWEEP_MOMENT, tick=True):
        result = runner.invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output + repr(result.exception)
        db.session.remove()
        started = time.monotonic()
        pages = {
            "attendee": ATTENDEE_PAGES,
            "door staff": _door_pages(),
            **_pages_of_other_demo_logins(),
            "organiser": [
                *ORGANISER_PAGES,
                *_parameterless_get_urls(app),
                *_pages_of_demo_records(),
                *_orders_in_each_state(),
            ],
        }
        tally = Tally()
        taken: dict = {}  # forms already tried by a role before: the next role skips them
        for role, (email, password) in ROLE_LOGINS.items():

            def login(client, email=email, password=password):
                _log_in(client, email, password)  # again before each request: a form may
                db.session.remove()  # have changed the session (a password, a deletion)

            client = app.test_client()
            login(client)
            specs = _collect_forms(app, client, pages[role], taken)
            _sweep_forms(client, login, specs, tally, role)

    elapsed = time.monotonic() - started
    print(f"form sweep: {tally.forms} forms, {tally.requests} requests, {elapsed:.0f} s")
    assert tally.forms >= 100, f"only {tally.forms} forms found: did the pages change?"
    assert not tally.broken, f"{len(tally.broken)} answers of 500:\n" + "\n".join(tally.broken)
