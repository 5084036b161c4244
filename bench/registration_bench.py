"""Registration opening rush: gunicorn (4 workers) on PostgreSQL, visitors registering at once.

Each visitor opens the registration page and sends the form (an account is created on the way,
so every request hashes a password with argon2 — the real cost of the rush). Visitors arrive in
an open loop at a fixed rate for a bounded time; latency is measured from each visitor's
scheduled arrival (no coordinated omission). The ticket type has fewer places than visitors:
afterwards the database must hold exactly `capacity` confirmed registrations, the rest waitlisted.

    python -m bench.registration_bench [--rate 10] [--seconds 30] [--capacity 150]
"""

from __future__ import annotations

import argparse
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
import sqlalchemy as sa

from bench.common import (
    DEFAULT_DB,
    create_database,
    drop_database,
    free_port,
    percentile,
    start_gunicorn,
    stop,
)

WORKERS = 4
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _seed(url: str, capacity: int) -> int:
    from datetime import timedelta

    from convention import create_app
    from convention.accounts.models import ParticipantCategory
    from convention.events.models import Edition
    from convention.extensions import db
    from convention.registration.models import TicketType
    from convention.timeutil import EVENT_ZONE, utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        today = utcnow().astimezone(EVENT_ZONE).date()
        edition = Edition(
            slug="rush",
            name_ja="申込開始",
            name_en="Opening rush",
            start_date=today + timedelta(days=30),
            end_date=today + timedelta(days=31),
            is_current=True,
        )
        ticket = TicketType(
            edition=edition,
            name_ja="一般",
            name_en="General",
            category=ParticipantCategory.GENERAL,
            capacity=capacity,
        )
        db.session.add_all([edition, ticket])
        db.session.commit()
        ticket_id = ticket.id
        db.engine.dispose()
    return ticket_id


def _visitor(base: str, ticket_id: int) -> tuple[bool, str]:
    browser = requests.Session()
    page = browser.get(f"{base}/register", timeout=30)
    token = CSRF_FIELD.search(page.text).group(1)
    response = browser.post(
        f"{base}/register",
        data={
            "csrf_token": token,
            "ticket_type": str(ticket_id),
            "email": f"rush-{uuid.uuid4().hex}@example.org",
            "password": "a long enough password",
            "name": "Rush Visitor",
            "language": "en",
            "country": "JP",
        },
        timeout=60,
    )
    return response.status_code == 200, str(response.status_code)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--rate", type=float, default=10.0, help="visitors arriving per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--capacity", type=int, default=150)
    args = parser.parse_args(argv)

    url = create_database(args.database_url, "convention_registration_bench")
    process = None
    try:
        ticket_id = _seed(url, args.capacity)
        port = free_port()
        process = start_gunicorn(
            url,
            port,
            WORKERS,
            LOGIN_RATE_LIMIT="1000000 per minute",
            REGISTER_RATE_LIMIT="1000000 per minute",
        )
        base = f"http://127.0.0.1:{port}"
        visitors = int(args.rate * args.seconds)
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        started = time.perf_counter()

        def arrive(number: int) -> None:
            scheduled = started + number / args.rate
            time.sleep(max(0.0, scheduled - time.perf_counter()))
            ok, detail = _visitor(base, ticket_id)
            with lock:
                latencies.append(time.perf_counter() - scheduled)
                if not ok:
                    errors.append(detail)

        with ThreadPoolExecutor(max_workers=64) as pool:
            list(pool.map(arrive, range(visitors)))
        elapsed = time.perf_counter() - started

        engine = sa.create_engine(url)
        with engine.connect() as connection:
            counts = dict(
                connection.execute(
                    sa.text("SELECT status, count(*) FROM registration GROUP BY status")
                ).all()
            )
        engine.dispose()
        confirmed = counts.get("confirmed", 0)
        print(
            f"visitors: {visitors} at {args.rate:g}/s over {args.seconds:g} s "
            f"(finished in {elapsed:.1f} s), errors: {len(errors)}"
        )
        print(
            "page + form latency: p50 {:.0f} ms, p95 {:.0f} ms, p99 {:.0f} ms".format(
                *(percentile(latencies, q) * 1000 for q in (0.5, 0.95, 0.99))
            )
        )
        print(f"throughput: {visitors / elapsed:.1f} registrations/s")
        print(
            f"capacity {args.capacity}: confirmed {confirmed}, "
            f"waitlisted {counts.get('waitlisted', 0)} -> "
            f"{'OK' if confirmed == min(args.capacity, visitors) else 'OVERSOLD OR LOST'}"
        )
        return 0 if confirmed == min(args.capacity, visitors) and not errors else 1
    finally:
        if process is not None:
            stop(process)
        drop_database(url, args.database_url)


if __name__ == "__main__":
    raise SystemExit(main())
