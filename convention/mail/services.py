"""The outbox: queue mail with the change it reports, deliver it after commit, retry failures."""

from __future__ import annotations

import base64
import contextlib
import json
import smtplib
import sys
import time
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from flask import current_app, g, has_app_context, has_request_context, render_template, url_for
from flask_babel import force_locale
from sqlalchemy import select, update

from convention.accounts.models import NO_ADDRESS_DOMAIN
from convention.extensions import db
from convention.mail.models import OutboxMessage, OutboxStatus
from convention.timeutil import utcnow

BACKOFF_SECONDS = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
STALE_CLAIM = timedelta(minutes=15)


def queue(
    recipient: str,
    template: str,
    *,
    language: str = "ja",
    attachments: list[dict] | None = None,
    **context,
) -> OutboxMessage | None:
    """Render `templates/mail/<template>.txt` in the recipient's language and add it to the
    session; it is sent once the caller commits. The template's first line is the subject.
    Nothing is queued for someone registered without an address (it could only fail)."""
    if recipient.endswith(NO_ADDRESS_DOMAIN):
        return None
    with force_locale(language):
        rendered = render_template(f"mail/{template}.txt", **context).lstrip()
    subject, _, body = rendered.partition("\n")
    message = OutboxMessage(
        recipient=recipient,
        # One line (a header cannot hold a newline) that fits the column.
        subject=" ".join(subject.removeprefix("Subject:").split())[:255],
        body_text=body.strip() + "\n",
        template=template,
        language=language,
        attachments=json.dumps(attachments) if attachments else None,
    )
    db.session.add(message)
    if has_app_context():
        g.mail_queued = True
    return message


def attachment(filename: str, mimetype: str, data: bytes) -> dict:
    return {
        "filename": filename,
        "mimetype": mimetype,
        "data_b64": base64.b64encode(data).decode(),
    }


def absolute_url(endpoint: str, **values) -> str:
    """A full URL for an email. Inside a request it points at the host the person used;
    outside one (CLI, worker) it is built on PUBLIC_BASE_URL, since there is no host to copy."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def _release_stale_claims() -> int:
    """Give back messages whose sender died (or hung) while they were SENDING.

    Trade-off: we cannot know whether the SMTP server accepted such a message before its
    sender stopped. Putting it back in the queue means it is never lost, at the price of a
    possible duplicate (at-least-once delivery); its Message-ID stays the same, so mail
    servers and clients can drop the copy. 15 minutes is far longer than a batch takes
    (a broken connection ends the batch after one 20-second timeout), so a live sender is
    not overtaken. The abandoned claim counts as an attempt, so a message that kills its
    sender every time still ends up FAILED instead of looping.
    """
    now = utcnow()
    stale = (
        OutboxMessage.status == OutboxStatus.SENDING,
        OutboxMessage.claimed_at < now - STALE_CLAIM,
    )
    note = "The sender stopped before it finished; queued again."
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    # Guarded UPDATEs, not read-then-write: a parallel sender may claim the row in between.
    db.session.execute(
        update(OutboxMessage)
        .where(*stale, OutboxMessage.attempts >= max_attempts)
        .values(status=OutboxStatus.FAILED, last_error=note)
    )
    released = db.session.execute(
        update(OutboxMessage)
        .where(*stale, OutboxMessage.attempts < max_attempts)
        .values(status=OutboxStatus.PENDING, next_attempt_at=now, last_error=note)
    ).rowcount
    db.session.commit()
    return released


def _claim_due(limit: int) -> list[OutboxMessage]:
    """Mark up to `limit` due messages as SENDING in one transaction and return them.

    On PostgreSQL rows locked by another sender are skipped, so parallel workers never
    pick the same message.
    """
    now = utcnow()
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    messages = list(db.session.scalars(query))
    claimed = []
    for message in messages:
        # The status guard makes the claim safe on SQLite too (no row locks there).
        result = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id, OutboxMessage.status == OutboxStatus.PENDING)
            .values(
                status=OutboxStatus.SENDING,
                attempts=OutboxMessage.attempts + 1,
                claimed_at=now,
            )
        )
        if result.rowcount == 1:
            claimed.append(message)
    db.session.commit()
    return claimed


def _as_email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message.message_id
    email.set_content(message.body_text)
    for item in json.loads(message.attachments or "[]"):
        maintype, _, subtype = item["mimetype"].partition("/")
        email.add_attachment(
            base64.b64decode(item["data_b64"]),
            maintype=maintype,
            subtype=subtype,
            filename=item["filename"],
        )
    return email


def _smtp(url: str) -> smtplib.SMTP:
    """Open a connection from MAIL_URL: smtp://user:pass@host:port or smtps://... ;
    ?starttls=1 upgrades a plain connection."""
    parts = urlsplit(url)
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    if parts.scheme == "smtps":
        connection: smtplib.SMTP = smtplib.SMTP_SSL(parts.hostname, port, timeout=20)
    else:
        connection = smtplib.SMTP(parts.hostname, port, timeout=20)
        if "starttls=1" in (parts.query or ""):
            connection.starttls()
    if parts.username:
        connection.login(unquote(parts.username), unquote(parts.password or ""))
    return connection


def deliver_due(limit: int = 100) -> int:
    """Send what is due; returns how many were delivered (or logged, without SMTP).

    Safe to run in several processes at once: each message is claimed by one sender.
    """
    _release_stale_claims()
    messages = _claim_due(limit)
    if not messages:
        return 0
    url = current_app.config.get("MAIL_URL")
    if not url:
        for message in messages:
            _log_to_console(message)
            _mark_done(message, OutboxStatus.LOGGED)
        db.session.commit()
        return len(messages)
    try:
        connection = _smtp(url)
    except Exception as error:  # unreachable, refused the log-in, or a malformed MAIL_URL
        current_app.logger.warning("cannot connect to the mail server: %s", error)
        # Every message of the batch waits for its next attempt.
        for message in messages:
            _schedule_retry(message, error)
        db.session.commit()
        return 0
    delivered = 0
    try:
        for index, message in enumerate(messages):
            broken: Exception | None = None
            try:
                connection.send_message(_as_email(message))
            except smtplib.SMTPServerDisconnected as error:
                broken = error
            except smtplib.SMTPException as error:
                # Refused by the server (SMTPException is an OSError, so it comes first).
                current_app.logger.warning("mail %s not sent: %s", message.id, error)
                _schedule_retry(message, error)
            except OSError as error:  # timeout, reset connection
                broken = error
            except Exception as error:  # a broken attachment: this message only
                current_app.logger.exception("mail %s could not be built", message.id)
                _schedule_retry(message, error)
            else:
                _mark_done(message, OutboxStatus.SENT)
                delivered += 1
            if broken is not None:
                # The connection broke: this message and the rest of the batch retry later.
                for rest in messages[index:]:
                    _schedule_retry(rest, broken)
                db.session.commit()
                break
            db.session.commit()
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.quit()
    return delivered


def _mark_done(message: OutboxMessage, status: OutboxStatus) -> None:
    message.status = status
    message.sent_at = utcnow()
    message.last_error = None


def _log_to_console(message: OutboxMessage) -> None:
    """Development without MAIL_URL: the message is printed (and readable in the outbox)."""
    print(
        f"----- mail {message.id} to {message.recipient}: {message.subject}\n"
        f"{message.body_text}----- end of mail {message.id}",
        file=sys.stderr,
        flush=True,
    )


def _schedule_retry(message: OutboxMessage, error: Exception) -> None:
    message.last_error = f"{type(error).__name__}: {error}"[:2000]
    if message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        message.status = OutboxStatus.FAILED
        return
    delay = BACKOFF_SECONDS[min(message.attempts - 1, len(BACKOFF_SECONDS) - 1)]
    message.status = OutboxStatus.PENDING
    message.next_attempt_at = utcnow() + timedelta(seconds=delay)


def retry(message: OutboxMessage) -> None:
    """An organiser puts a failed message back in the queue."""
    if message.status == OutboxStatus.FAILED:
        message.status = OutboxStatus.PENDING
        message.attempts = 0
        message.next_attempt_at = utcnow()
        db.session.commit()


def _retry_round_due() -> bool:
    """True at most once every MAIL_POLL_SECONDS in this process.

    Without a separate sender (`flask mail deliver --loop`), a message waiting for its retry
    would otherwise wait until somebody else's email is queued. So now and then an ordinary
    request also delivers whatever has come due; when nothing has, that costs one query.
    """
    every = current_app.config.get("MAIL_POLL_SECONDS") or 0
    if every <= 0:
        return False
    state = current_app.extensions.setdefault("convention_mail", {})
    now = time.monotonic()
    if now - state.get("last_round", float("-inf")) < every:
        return False
    state["last_round"] = now
    return True


def deliver_after_request(response):
    """Mail queued during a request goes out once the request is done (or via the worker)."""
    if g.pop("mail_queued", False) or _retry_round_due():
        from convention import jobs

        # Views commit what they mean to keep; never let delivery commit a half-done change.
        db.session.rollback()
        jobs.run_or_enqueue("convention.mail.services:deliver_due")
    return response
