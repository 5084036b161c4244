"""app.js, app-wide: a form refused with 422 through htmx shows its messages in place (once), and
a plain form with data-confirm asks first: "no" sends nothing, "yes" goes ahead."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from convention.extensions import db
from convention.matching import services
from convention.matching.models import MatchProfile, MeetingRequest, RequestState
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, make_edition, make_user, register_confirmed


@pytest.fixture(scope="module")
def profiles(live_server) -> list[tuple[str, int]]:
    """Three matching participants of the current edition: (email, profile id) each."""
    with live_server.app_context():
        edition = make_edition(is_current=True)
        names = ("Hama Energy KK", "Da Nang City", "Johor Port")
        users = [
            make_user(f"{uuid.uuid4().hex[:8]}@example.org", name=f"{name} person")
            for name in names
        ]
        made = []
        for name, user, registration in zip(
            names, users, register_confirmed(edition, users), strict=True
        ):
            profile = services.save_profile(
                registration,
                {
                    "organisation_type": "local_company",
                    "organisation": name,
                    "country": "JP",
                    "sectors": ["solar"],
                    "languages": ["en"],
                    "visible": True,
                },
            )
            made.append((user.email, profile.id))
        return made


def _send(live_server, requester: int, recipient: int) -> int:
    with live_server.app_context():
        found = db.session.get
        return services.send_request(
            found(MatchProfile, requester), found(MatchProfile, recipient)
        ).id


def _state(live_server, request_id: int) -> RequestState:
    with live_server.app_context():
        return db.session.get(MeetingRequest, request_id).state


def test_a_refused_htmx_form_shows_its_message_in_place_once(live_server, page, profiles):
    (email, mine), (_, theirs), _ = profiles
    log_in(page, email, PASSWORD)
    page.goto(f"/matching/p/{theirs}")
    # Meanwhile, in another tab, the same request was sent: this form is refused with 422.
    _send(live_server, mine, theirs)
    with page.expect_response(lambda r: r.url.endswith(f"/matching/p/{theirs}/request")) as sent:
        page.get_by_role("button", name="Send the request").click()
    assert sent.value.status == 422  # the status app.js has htmx swap; a 200 would not test it

    form = page.locator("#request-form")
    expect(form.locator(".form-errors")).to_contain_text("already an open request")
    expect(form).to_contain_text("Request pending")
    expect(page.locator("#request-form")).to_have_count(1)
    expect(page.locator("#htmx-error")).to_have_count(0)
    expect(page.get_by_text("already an open request")).to_have_count(1)
    assert page.url.endswith(f"/matching/p/{theirs}")  # swapped in place, no navigation


def test_a_plain_form_asks_before_it_posts(live_server, page, make_staff, profiles):
    _, (_, theirs), (_, third) = profiles
    request_id = _send(live_server, third, theirs)
    log_in(page, *make_staff("organiser"))
    page.goto("/matching/admin")
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    button = page.get_by_role("button", name="Expire unanswered requests")

    questions = []

    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    button.click()
    page.wait_for_timeout(300)
    assert questions == ["Expire every unanswered request?"]
    assert posts == []
    assert _state(live_server, request_id) == RequestState.REQUESTED

    page.once("dialog", lambda dialog: dialog.accept())
    button.click()
    expect(page.locator(".flashes")).to_contain_text("unanswered requests expired.")
    assert len(posts) == 1 and posts[0].endswith("/matching/admin/expire")
    assert _state(live_server, request_id) == RequestState.EXPIRED
