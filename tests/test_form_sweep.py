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

Some forms show only in a state the demo is not in, so the test makes that state first with
the features' own services (an unmatched bank line, a failed mail with a reset link in it,
applications to withdraw and to pay by card), sweeps the student's pages once more at a moment
the poster call was open, and sweeps again once the poster decisions are released. Every POST
route of the app must have been sent a form, except those listed in NOT_SWEPT.
"""

from __future__ import annotations

import re
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
    PUBLIC_PAGES,
    _log_in,
    _pages_of_demo_records,
    _parameterless_get_urls,
)

# On PostgreSQL, the deployed database and the stricter one (NUL, lengths, integer ranges): on
# both databases the sweep took 4.5 of the suite's 15 minutes. Every form's own tests run on both.
pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.postgres_only]

# The demo is built around today (what was held, who came in): a fixed morning of the
# convention makes it the same demo, and the same forms, on every run.
SWEEP_MOMENT = datetime(2026, 6, 10, 10, 30, tzinfo=EVENT_ZONE)
# The demo's poster call closed ten days before: twenty days before, the student could still
# write, submit and withdraw.
CALL_OPEN_MOMENT = SWEEP_MOMENT - timedelta(days=20)
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
# The POST routes the sweep sends nothing, on purpose. Every other POST route of the app must
# be sent a form: a route whose form no swept page shows fails the test.
NOT_SWEPT = {
    # Logging out ends the session being swept (the access sweep covers the route).
    "/account/logout",
    # JSON for scanner devices and the card provider, no form: tests/checkin/test_api.py and
    # tests/billing/test_card.py send them bad and forged requests.
    "/api/checkin/scan",
    "/api/billing/card-webhook",
}
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
            if urlsplit(url).path in NOT_SWEPT:
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
    reached: set[str] = field(default_factory=set)  # the POST routes sent a form


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


def _sweep_forms(app, client, login, specs, tally: Tally, role: str) -> None:
    for spec in specs:
        tally.forms += 1
        if spec.method == "post":
            tally.reached.add(spec.signature(app)[1])
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
    "visitor": None,  # nobody logged in: registering creates the account; a reset link
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


def _user_id(role: str) -> int:
    from convention.accounts.models import User

    return _first(User.id, User.email == ROLE_LOGINS[role][0])


def _student_pages() -> list[str]:
    from convention.posters.models import Submission

    submission = _first(Submission.id, Submission.student_id == _user_id("student"))
    return ["/my/posters", "/my/posters/new", f"/my/posters/{submission}"]


def _pages_of_other_demo_logins() -> dict[str, list[str]]:
    """Pages of the demo's reviewer, student and sponsor, whose forms no one else sees."""
    from convention.posters.models import ReviewAssignment
    from convention.sponsors.models import SponsorApplication

    assignment = _first(ReviewAssignment.id, ReviewAssignment.reviewer_id == _user_id("reviewer"))
    application = _first(SponsorApplication.id, SponsorApplication.user_id == _user_id("sponsor"))
    return {
        "reviewer": ["/review/posters", f"/review/posters/{assignment}"],
        "student": _student_pages(),
        "sponsor": [
            "/sponsors/apply",
            "/my/sponsor/",
            f"/my/sponsor/{application}",
            f"/my/sponsor/{application}/profile",
            f"/my/sponsor/{application}/leads",
        ],
    }


# --- states the demo's pages do not show by themselves -----------------------------------------


def _an_unmatched_bank_line() -> None:
    """A deposit whose payer names no order: the bank page offers to assign or ignore it."""
    from convention.billing import services as billing

    statement = "日付,摘要,振込依頼人名,出金額,入金額\n2026/06/09,振込,ｽｽﾞｷ ｲﾁﾛｳ,,5500\n"
    billing.import_bank_csv(statement.encode(), "statement.csv")


def _a_reset_link_whose_mail_failed(app, monkeypatch) -> str:
    """The demo attendee asks for a new password and the mail server refuses the mail for
    good: the outbox offers to retry it, and the link in it opens the reset form."""
    from convention.accounts import services as accounts
    from convention.mail import services as mail
    from convention.mail.models import OutboxMessage, OutboxStatus

    mail.deliver_due()  # what the demo queued goes out (to the log): only the reset mail fails
    accounts.request_password_reset(ROLE_LOGINS["attendee"][0])
    with monkeypatch.context() as patch:
        patch.setitem(app.config, "MAIL_URL", "smtp://127.0.0.1:1")  # nothing listens there
        patch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 1)
        mail.deliver_due()
    message = db.session.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(1))
    assert message.status == OutboxStatus.FAILED, message.last_error
    return urlsplit(re.search(r"http\S+/account/reset/\S+", message.body_text)[0]).path


class _CheckoutTransport:
    """The card provider's API as tests/billing/test_card.py fakes it: a checkout page URL."""

    def post_form(self, url, data, api_key):
        return {"id": "cs_sweep", "url": "https://checkout.example/pay/cs_sweep"}


def _applications_to_withdraw_and_to_pay(app) -> list[str]:
    """Two more applications of the demo sponsor, each for a free booth: one waiting for
    review (the sponsor may withdraw it) and one approved, whose unpaid order offers card
    payment once a provider is configured. Their pages, with those forms."""
    from convention.accounts.models import User
    from convention.billing import card
    from convention.events.models import Edition
    from convention.sponsors import services as sponsors

    app.extensions["billing_card_provider"] = card.StripeCheckoutProvider(
        "sk_sweep", "whsec_sweep", transport=_CheckoutTransport()
    )
    edition = db.session.scalar(select(Edition).where(Edition.is_current))
    sponsor = db.session.get(User, _user_id("sponsor"))
    organiser = db.session.get(User, _user_id("organiser"))
    free = [state.booth for state in sponsors.booth_states(edition) if state.state == "free"]

    def apply_for(booth):
        return sponsors.submit_application(
            sponsor,
            edition,
            sponsors.ApplicationData(
                company_name_ja="みなと電力株式会社",
                contact_name=sponsor.name,
                contact_email=sponsor.email,
                billing_address="神奈川県みなと市中区港町3-1",
                booth_ids=[booth.id],
            ),
        )

    waiting = apply_for(free[0])
    approved = sponsors.approve(apply_for(free[1]), organiser)
    return [f"/my/sponsor/{waiting.id}", f"/my/orders/{sponsors.order_of(approved).id}"]


def _the_demo_edition_current_again() -> None:
    """The organiser's sweep creates editions and unmarks the current one: the demo's poster
    call is the current edition's again, as an organiser would set it back."""
    from convention.events import services as events
    from convention.posters.models import PosterCall

    edition = db.session.scalar(select(PosterCall).order_by(PosterCall.id).limit(1)).edition
    names = ("slug", "name_ja", "name_en", "venue_ja", "venue_en", "start_date", "end_date")
    values = {name: getattr(edition, name) for name in names}
    events.save_edition(events.EditionData(**values, is_current=True), edition)


def _posters_released() -> tuple[dict[str, list[str]], str]:
    """The decisions released with one poster on the waiting list, boards given and the
    audience vote open: the poster session's, the waitlisted poster's and the programme's
    forms appear. Their pages by role, and the address of the voter: someone the door checked
    in (the demo attendee cancels in the sweep, so no door would check them in)."""
    from convention.accounts.models import User
    from convention.checkin.models import CheckInList, ListKind, Presence
    from convention.posters import services as posters
    from convention.posters.models import Decision, PosterCall, Submission, SubmissionState
    from convention.registration.models import Registration

    call = db.session.scalar(select(PosterCall).order_by(PosterCall.id).limit(1))
    submitted = db.session.scalars(
        select(Submission)
        .where(Submission.call_id == call.id, Submission.state == SubmissionState.SUBMITTED)
        .order_by(Submission.id)
    ).all()
    waitlisted, *others = submitted
    posters.decide(waitlisted, Decision.WAITLIST)
    for submission in others:
        if submission.decision is None:  # the organiser's sweep decided some already
            posters.decide(submission, Decision.ACCEPT)
    posters.release_decisions(call)
    posters.assign_boards(call)
    posters.set_voting(call, True)
    voter = db.session.scalar(
        select(User.email)
        .join(Registration, Registration.user_id == User.id)
        .join(Presence, Presence.registration_id == Registration.id)
        .join(CheckInList, CheckInList.id == Presence.checkin_list_id)
        .where(Registration.edition_id == call.edition_id, CheckInList.kind == ListKind.MAIN_DOOR)
        .order_by(Registration.id)
        .limit(1)
    )
    pages = {
        "voter": ["/posters"],
        "organiser": ["/admin/posters/session", f"/admin/posters/submissions/{waitlisted.id}"],
    }
    return pages, voter


# --- the sweep -------------------------------------------------------------------------------


@pytest.fixture
def no_tracked_jobs(monkeypatch):
    """Tracked jobs (badge PDFs, the scheduler, reminders, the invoice archive) run inline in
    tests, seconds each; inline, a failing one is logged, never a 500. Their forms are still
    sent; the jobs themselves are not run."""
    from convention.jobs import services as jobs

    monkeypatch.setattr(jobs, "_run_tracked", lambda job_id, path, *args, **kwargs: None)


def _sweep_as_each_role(app, pages, tally: Tally, taken: dict, logins=ROLE_LOGINS) -> None:
    for role, credentials in logins.items():
        if role not in pages:
            continue

        def login(client, credentials=credentials):
            # Again before each request: a form may have changed the session (a password, a
            # deletion, a reset that logs the visitor in).
            if credentials is None:
                with client.session_transaction() as session:
                    session.clear()
            else:
                _log_in(client, *credentials)
            db.session.remove()

        client = app.test_client()
        login(client)
        specs = _collect_forms(app, client, pages[role], taken)
        _sweep_forms(app, client, login, specs, tally, role)


def test_every_form_answers_bad_input_without_a_500(app, runner, no_tracked_jobs, monkeypatch):
    with time_machine.travel(SWEEP_MOMENT, tick=True):
        result = runner.invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output + repr(result.exception)
        db.session.remove()
        started = time.monotonic()
        _an_unmatched_bank_line()
        reset_link = _a_reset_link_whose_mail_failed(app, monkeypatch)
        other_pages = _pages_of_other_demo_logins()
        other_pages["sponsor"] += _applications_to_withdraw_and_to_pay(app)
        tally = Tally()
        taken: dict = {}  # forms already tried by a role before: the next role skips them
        pages = {
            "visitor": [*PUBLIC_PAGES, reset_link],
            "attendee": ATTENDEE_PAGES,
            "door staff": _door_pages(),
            **other_pages,
            "organiser": [
                *ORGANISER_PAGES,
                "/admin/outbox/?status=failed",
                *_parameterless_get_urls(app),
                *_pages_of_demo_records(),
                *_orders_in_each_state(),
            ],
        }
        _sweep_as_each_role(app, pages, tally, taken)
        _the_demo_edition_current_again()
        with time_machine.travel(CALL_OPEN_MOMENT, tick=True):
            _sweep_as_each_role(app, {"student": _student_pages()}, tally, taken)
        released_pages, voter = _posters_released()
        # The voter first: the organiser's sweep closes the vote.
        logins = {"voter": (voter, ""), **ROLE_LOGINS}
        _sweep_as_each_role(app, released_pages, tally, taken, logins)

    elapsed = time.monotonic() - started
    print(f"form sweep: {tally.forms} forms, {tally.requests} requests, {elapsed:.0f} s")
    assert tally.forms >= 100, f"only {tally.forms} forms found: did the pages change?"
    posts = {rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    problems = [f"listed in NOT_SWEPT but no POST route: {route}" for route in NOT_SWEPT - posts]
    if unreached := sorted(posts - NOT_SWEPT - tally.reached):
        problems.append(
            f"{len(unreached)} POST routes were sent no form (show their forms on a swept page,"
            " or list them in NOT_SWEPT with the reason):\n" + "\n".join(unreached)
        )
    if tally.broken:
        problems.append(f"{len(tally.broken)} answers of 500:\n" + "\n".join(tally.broken))
    assert not problems, "\n\n".join(problems)
