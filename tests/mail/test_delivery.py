"""Delivery through a real SMTP server, retries without losing a message, parallel senders."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import select

from convention.extensions import db
from convention.mail import services
from convention.mail.models import OutboxMessage, OutboxStatus
from convention.timeutil import utcnow


def reload(message: OutboxMessage) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message.id)


def test_a_queued_message_is_delivered_over_smtp(smtp, queue_message):
    smtp.start()
    message = queue_message("someone@example.org", name="Aiko Tanaka")
    assert message.status is OutboxStatus.PENDING

    assert services.deliver_due() == 1

    [received] = smtp.messages
    assert received["To"] == "someone@example.org"
    assert received["From"] == "Convention <no-reply@convention.test>"
    assert received["Subject"] == message.subject == "Confirm your email address"
    assert received["Message-ID"] == message.message_id
    assert received["Date"]
    body = received.get_content()
    assert "Hello Aiko Tanaka," in body
    assert "https://convention.test/account/verify/abc" in body
    assert smtp.inbox.envelopes == [("no-reply@convention.test", ["someone@example.org"])]

    message = reload(message)
    assert message.status is OutboxStatus.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.last_error is None
    assert services.deliver_due() == 0
    assert len(smtp.messages) == 1


def test_a_long_or_odd_subject_still_fits_one_header(app, smtp, outbox):
    """Subjects may carry people's input (a session title, a company name)."""
    smtp.start()
    app.jinja_env.loader = ChoiceLoader(
        [DictLoader({"mail/test/odd.txt": "{{ subject }}\n\nBody"}), app.jinja_env.loader]
    )
    with app.test_request_context():
        services.queue("a@example.org", "test/odd", subject="Subject:  Tabs\tand   spaces\r")
        services.queue("b@example.org", "test/odd", subject="長" * 400)
    db.session.commit()
    odd, long = outbox()
    assert odd.subject == "Tabs and spaces"
    assert long.subject == "長" * 255
    assert services.deliver_due() == 2
    assert smtp.messages[1]["Subject"] == "長" * 255


def test_japanese_text_and_attachments_arrive_intact(smtp, queue_message):
    smtp.start()
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    queue_message(
        "someone@example.org",
        name="田中 愛子",
        language="ja",
        attachments=[services.attachment("badge.png", "image/png", png)],
    )
    assert services.deliver_due() == 1
    [received] = smtp.messages
    text = received.get_body(preferencelist=("plain",)).get_content()
    assert "田中 愛子" in text
    [part] = list(received.iter_attachments())
    assert part.get_filename() == "badge.png"
    assert part.get_content_type() == "image/png"
    assert part.get_content() == png


def test_an_unreachable_server_keeps_the_message_for_later(smtp, queue_message):
    """Connection refused: pending, one attempt counted, retried once the server is up."""
    message = queue_message()
    before = utcnow()
    assert services.deliver_due() == 0

    message = reload(message)
    assert message.status is OutboxStatus.PENDING
    assert message.attempts == 1
    assert message.next_attempt_at > before + timedelta(seconds=30)
    assert "ConnectionRefusedError" in message.last_error
    assert services.deliver_due() == 0  # not due yet: nothing is tried
    assert reload(message).attempts == 1

    smtp.start()
    assert services.deliver_due() == 0  # still waiting for its time
    with time_machine.travel(message.next_attempt_at + timedelta(seconds=1)):
        assert services.deliver_due() == 1
    message = reload(message)
    assert message.status is OutboxStatus.SENT
    assert message.attempts == 2
    assert message.last_error is None
    assert [m["Message-ID"] for m in smtp.messages] == [message.message_id]


def test_retries_back_off_and_then_give_up(smtp, queue_message, app, frozen_time):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    message = queue_message()
    delays = []
    for _attempt in range(2):
        tried_at = utcnow()
        services.deliver_due()
        message = reload(message)
        assert message.status is OutboxStatus.PENDING
        delays.append((message.next_attempt_at - tried_at).total_seconds())
        frozen_time.move_to(message.next_attempt_at - timedelta(seconds=1))
        assert services.deliver_due() == 0  # a second early: not tried
        assert reload(message).attempts == len(delays)
        frozen_time.shift(timedelta(seconds=1))
    assert delays == [60, 300]  # waits longer after each failure
    services.deliver_due()
    message = reload(message)
    assert message.status is OutboxStatus.FAILED
    assert message.attempts == 3
    frozen_time.shift(timedelta(days=2))
    assert services.deliver_due() == 0
    assert reload(message).status is OutboxStatus.FAILED


def test_a_failed_message_can_be_retried_by_an_organiser(
    smtp, queue_message, app, organiser_client
):
    app.config["MAIL_MAX_ATTEMPTS"] = 1
    message = queue_message()
    services.deliver_due()
    assert reload(message).status is OutboxStatus.FAILED

    smtp.start()
    page = organiser_client.get("/admin/outbox/?status=failed").text
    assert f'hx-post="/admin/outbox/{message.id}/retry"' in page
    response = organiser_client.post(
        f"/admin/outbox/{message.id}/retry", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="message-{message.id}">')
    assert "sent" in response.text
    assert "/retry" not in response.text
    assert reload(message).status is OutboxStatus.SENT
    assert len(smtp.messages) == 1


def test_a_refused_recipient_does_not_hold_up_the_others(smtp, queue_message):
    smtp.start()
    smtp.inbox.refuse.add("gone@example.org")
    first = queue_message("first@example.org")
    gone = queue_message("gone@example.org")
    last = queue_message("last@example.org")
    assert services.deliver_due() == 2
    assert [m["To"] for m in smtp.messages] == ["first@example.org", "last@example.org"]
    assert reload(first).status is reload(last).status is OutboxStatus.SENT
    gone = reload(gone)
    assert gone.status is OutboxStatus.PENDING
    assert "550" in gone.last_error


def test_without_mail_url_messages_are_logged_to_the_console(app, queue_message, capsys):
    app.config["MAIL_URL"] = None
    message = queue_message("someone@example.org")
    assert services.deliver_due() == 1
    err = capsys.readouterr().err
    assert "to someone@example.org: Confirm your email address" in err
    assert "https://convention.test/account/verify/abc" in err
    assert reload(message).status is OutboxStatus.LOGGED


def stuck(message: OutboxMessage, minutes: int, attempts: int = 1) -> None:
    message = reload(message)
    message.status = OutboxStatus.SENDING
    message.attempts = attempts
    message.claimed_at = utcnow() - timedelta(minutes=minutes)
    db.session.commit()


def test_a_message_stuck_in_sending_is_sent_again_after_15_minutes(smtp, queue_message, app):
    """The sender died mid-batch: the message is not lost (it may arrive twice)."""
    smtp.start()
    abandoned = queue_message("abandoned@example.org")
    busy = queue_message("busy@example.org")
    hopeless = queue_message("hopeless@example.org")
    stuck(abandoned, minutes=16)
    stuck(busy, minutes=5)  # another sender may still be working on it
    stuck(hopeless, minutes=16, attempts=app.config["MAIL_MAX_ATTEMPTS"])

    assert services.deliver_due() == 1
    assert [m["To"] for m in smtp.messages] == ["abandoned@example.org"]
    abandoned = reload(abandoned)
    assert abandoned.status is OutboxStatus.SENT
    assert abandoned.attempts == 2
    assert reload(busy).status is OutboxStatus.SENDING
    hopeless = reload(hopeless)
    assert hopeless.status is OutboxStatus.FAILED
    assert "sender stopped" in hopeless.last_error


def test_mail_queued_in_a_request_goes_out_after_it(app, smtp):
    smtp.start()
    client = app.test_client()
    response = client.post(
        "/account/sign-up",
        data={
            "email": "new@example.org",
            "password": "a long enough secret",
            "name": "New Person",
            "country": "JP",
            "category": "general",
            "language": "en",
        },
    )
    assert response.status_code == 200
    [received] = smtp.messages
    assert received["To"] == "new@example.org"
    assert "/account/verify/" in received.get_content()


def test_requests_now_and_then_deliver_retries_that_came_due(app, smtp, queue_message):
    """No sender process: a retry still goes out, carried by an ordinary request."""
    app.config["MAIL_POLL_SECONDS"] = 60
    smtp.start()
    due = queue_message("due@example.org")
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert reload(due).status is OutboxStatus.SENT
    later = queue_message("later@example.org")
    client.get("/healthz")
    assert reload(later).status is OutboxStatus.PENDING  # one round a minute, not per request
    assert [m["To"] for m in smtp.messages] == ["due@example.org"]


def test_flask_mail_deliver(runner, smtp, queue_message):
    smtp.start()
    message = queue_message()
    result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "delivered 1"
    assert reload(message).status is OutboxStatus.SENT
    result = runner.invoke(args=["mail", "deliver"])
    assert result.output.strip() == "delivered 0"
    assert len(smtp.messages) == 1


def test_links_made_outside_a_request_use_the_public_address(app):
    app.config["PUBLIC_BASE_URL"] = "https://convention.example.org/app"
    assert services.absolute_url("accounts.login") == (
        "https://convention.example.org/app/account/login"
    )
    with app.test_request_context("/"):
        assert services.absolute_url("accounts.login") == "http://convention.test/account/login"


@pytest.mark.postgres_only
def test_parallel_senders_never_send_a_message_twice(app, smtp, queue_message):
    smtp.start()
    total = 40
    with app.test_request_context():
        for number in range(total):
            services.queue(
                f"person{number}@example.org",
                "accounts/verify_email",
                language="en",
                user=type("U", (), {"name": f"Person {number}"})(),
                verify_url="https://convention.test/v",
            )
    db.session.commit()

    start = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def sender():
        try:
            with app.app_context():
                start.wait()
                sent = 0
                while batch := services.deliver_due(limit=3):
                    sent += batch
                counts.append(sent)
                db.session.remove()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    # A sender stops when it finds nothing to claim; whatever is left is sent now.
    leftover = services.deliver_due()
    assert sum(counts) + leftover == total

    ids = [m["Message-ID"] for m in smtp.messages]
    assert len(ids) == total
    assert len(set(ids)) == total
    statuses = db.session.scalars(select(OutboxMessage.status)).all()
    assert set(statuses) == {OutboxStatus.SENT}
