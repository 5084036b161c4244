"""A real SMTP server inside the test process (aiosmtpd), on a free loopback port."""

from __future__ import annotations

import email
import socket
from email import policy
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller

from convention.extensions import db
from convention.mail import services


class Inbox:
    """aiosmtpd handler: keeps what it receives; refuses the addresses in `refuse`."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


class SmtpServer:
    """Not listening until start(): a test can first see the connection refused."""

    def __init__(self, port: int):
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self):
        return self.inbox.messages

    def start(self) -> SmtpServer:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    server = SmtpServer(free_port())
    yield server
    server.stop()


@pytest.fixture
def app_config(smtp):
    return {"MAIL_URL": smtp.url, "MAIL_SENDER": "Convention <no-reply@convention.test>"}


@pytest.fixture
def queue_message(app):
    """Queue a rendered message (the verification template) and commit it."""

    def make(recipient="someone@example.org", name="Someone", language="en", **extra):
        with app.test_request_context():
            message = services.queue(
                recipient,
                "accounts/verify_email",
                language=language,
                user=SimpleNamespace(name=name),
                verify_url="https://convention.test/account/verify/abc",
                **extra,
            )
        db.session.commit()
        return message

    return make
