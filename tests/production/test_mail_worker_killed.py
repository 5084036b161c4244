"""Killing the mail sender in the middle of a delivery loses no message and sends none twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from email import message_from_bytes

import pytest
import time_machine
from aiosmtpd.controller import Controller

from convention import create_app
from convention.extensions import db
from convention.mail import services as mail
from convention.mail.models import OutboxMessage, OutboxStatus
from convention.timeutil import utcnow
from tests.conftest import test_config
from tests.production.conftest import ROOT, free_port

# These start servers and share PostgreSQL and Redis: one worker runs them in turn.
pytestmark = pytest.mark.xdist_group("production")


class SlowOnceServer:
    """Accepts mail, but holds its answer to the third message the first time it arrives,
    so the sender can be killed before the server has accepted that message."""

    def __init__(self):
        self.accepted: list[str] = []
        self.holding = threading.Event()
        self.held_once = False

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        message_id = message_from_bytes(envelope.content)["Message-ID"]
        if len(self.accepted) == 2 and not self.held_once:
            self.held_once = True
            self.holding.set()
            await asyncio.sleep(5)
            if session.transport is None or session.transport.is_closing():
                return "451 connection lost before acceptance"
        self.accepted.append(message_id)
        return "250 OK"


def test_killed_sender_loses_nothing_and_duplicates_nothing(tmp_path):
    handler = SlowOnceServer()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    database_url = f"sqlite:///{tmp_path / 'mail.sqlite3'}"
    mail_url = f"smtp://127.0.0.1:{port}"
    app = create_app(test_config(database_url, MAIL_URL=mail_url, SERVER_NAME=None))
    try:
        with app.app_context(), app.test_request_context():
            db.create_all()
            for number in range(5):
                mail.queue(
                    f"person{number}@example.org",
                    "accounts/verify_email",
                    language="en",
                    user=type("U", (), {"name": f"P{number}"})(),
                    verify_url=f"http://x/verify/{number}",
                )
            db.session.commit()

        sender = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "mail", "deliver"],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": database_url,
                "MAIL_URL": mail_url,
                "SECRET_KEY": "test",
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert handler.holding.wait(60), "the sender never reached the third message"
        sender.send_signal(signal.SIGKILL)
        sender.wait(10)
        time.sleep(5.5)  # the server gives up on the held message

        assert len(handler.accepted) == 2
        with app.app_context():
            states = [m.status for m in db.session.scalars(db.select(OutboxMessage))]
            assert states.count(OutboxStatus.SENT) == 2
            assert states.count(OutboxStatus.SENDING) == 3  # claimed by the dead sender

            # Once the claim is stale, the next run sends the rest, each exactly once.
            with time_machine.travel(utcnow() + timedelta(minutes=20), tick=False):
                mail.deliver_due()
            states = [m.status for m in db.session.scalars(db.select(OutboxMessage))]
            assert states == [OutboxStatus.SENT] * 5
        assert len(handler.accepted) == 5
        assert len(set(handler.accepted)) == 5
    finally:
        controller.stop()
