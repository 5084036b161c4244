"""The outbox: queue mail with the change it reports, deliver it after commit, retry failures."""

from __future__ import annotations

import base64
import contextlib
import json
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from flask import current_app, g, has_app_context, render_template
from flask_babel import force_locale
from sqlalchemy import select, update

from convention.extensions import db
from convention.mail.models import OutboxMessage, OutboxStatus
from convention.timeutil import utcnow

BACKOFF_SECONDS = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600)


def queue(
    recipient: str,
    template: str,
    *,
    language: str = "ja",
    attachments: list[dict] | None = None,
    **context,
) -> OutboxMessage:
    """Render `templates/mail/<template>.txt` in the recipient's language and add it to the
    session; it is sent once the caller commits. The template's first line is the subject."""
    with force_locale(language):
        rendered = render_template(f"mail/{template}.txt", **context).lstrip()
    subject, _, body = rendered.partition("\n")
    message = OutboxMessage(
        recipient=recipient,
        subject=subject.removeprefix("Subject:").strip(),
        body_text=body.strip() + "\n",
        template=template,
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
            .values(status=OutboxStatus.SENDING, attempts=OutboxMessage.attempts + 1)
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
    """Send what is due; returns how many were delivered (or logged, without SMTP)."""
    messages = _claim_due(limit)
    if not messages:
        return 0
    url = current_app.config.get("MAIL_URL")
    delivered = 0
    connection = None
    for message in messages:
        try:
            if url:
                connection = connection or _smtp(url)
                connection.send_message(_as_email(message))
                message.status = OutboxStatus.SENT
            else:
                current_app.logger.info(
                    "mail to %s: %s\n%s", message.recipient, message.subject, message.body_text
                )
                message.status = OutboxStatus.LOGGED
            message.sent_at = utcnow()
            message.last_error = None
            delivered += 1
        except (OSError, smtplib.SMTPException) as error:
            _schedule_retry(message, error)
            connection = None
        db.session.commit()
    if connection is not None:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.quit()
    return delivered


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


def deliver_after_request(response):
    """Mail queued during a request goes out once the request is done (or via the worker)."""
    if g.pop("mail_queued", False):
        from convention import jobs

        # Views commit what they mean to keep; never let delivery commit a half-done change.
        db.session.rollback()
        jobs.run_or_enqueue("convention.mail.services:deliver_due")
    return response
