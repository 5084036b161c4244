"""The organisers' outbox: every message readable, filterable by status, failed ones retried."""

from __future__ import annotations

from convention.extensions import db
from convention.mail.models import OutboxStatus


def test_outbox_page_lists_messages_newest_first(organiser_client, queue_message):
    older = queue_message("older@example.org")
    newer = queue_message("newer@example.org")
    response = organiser_client.get("/admin/outbox/")
    assert response.status_code == 200
    assert "<html" in response.text
    assert "<h1>Outbox</h1>" in response.text
    assert response.text.index("newer@example.org") < response.text.index("older@example.org")
    assert f'href="/admin/outbox/{older.id}"' in response.text
    assert "Confirm your email address" in response.text
    assert "HX-Request" in response.headers["Vary"]
    assert newer.id > older.id


def test_outbox_fragment_for_htmx(organiser_client, queue_message):
    queue_message("someone@example.org")
    response = organiser_client.get(
        "/admin/outbox/", headers={"HX-Request": "true", "HX-Target": "messages"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div class="table-wrap" id="messages">')
    assert "<html" not in response.text
    assert "someone@example.org" in response.text


def test_outbox_filters_by_status(organiser_client, queue_message):
    pending = queue_message("pending@example.org")
    failed = queue_message("failed@example.org")
    failed.status = OutboxStatus.FAILED
    db.session.commit()
    response = organiser_client.get("/admin/outbox/?status=failed")
    assert "failed@example.org" in response.text
    assert "pending@example.org" not in response.text
    assert "Failed (1)" in response.text
    assert "Waiting to be sent (1)" in response.text
    # An unknown status shows everything rather than an error.
    everything = organiser_client.get("/admin/outbox/?status=bogus")
    assert everything.status_code == 200
    assert "pending@example.org" in everything.text
    assert pending.id != failed.id


def test_outbox_empty(organiser_client):
    assert "No messages." in organiser_client.get("/admin/outbox/").text


def test_message_page_shows_the_whole_text(organiser_client, queue_message):
    message = queue_message("someone@example.org", name="Aiko Tanaka")
    response = organiser_client.get(f"/admin/outbox/{message.id}")
    assert response.status_code == 200
    assert "Hello Aiko Tanaka," in response.text
    # The status in words, not the enum's value.
    assert '<span class="tag tag-pending">Waiting to be sent</span>' in response.text
    assert "https://convention.test/account/verify/abc" in response.text
    assert organiser_client.get("/admin/outbox/999999").status_code == 404
    assert organiser_client.post("/admin/outbox/999999/retry").status_code == 404


def test_retry_leaves_a_message_that_is_not_failed_alone(organiser_client, queue_message):
    message = queue_message()
    message.status = OutboxStatus.SENT
    db.session.commit()
    response = organiser_client.post(f"/admin/outbox/{message.id}/retry")
    assert response.status_code == 200
    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT
    assert message.attempts == 0


def test_outbox_is_for_organisers_only(app, attendee_client, door_client, reviewer_client):
    for client in (attendee_client, door_client, reviewer_client):
        assert client.get("/admin/outbox/").status_code == 403
        assert client.post("/admin/outbox/1/retry").status_code == 403
    anonymous = app.test_client().get("/admin/outbox/")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].endswith("/account/login?next=/admin/outbox/")


def test_outbox_link_in_the_staff_bar_for_organisers_only(organiser_client, attendee_client):
    assert 'href="/admin/outbox/"' in organiser_client.get("/").text
    assert 'href="/admin/outbox/"' not in attendee_client.get("/").text
