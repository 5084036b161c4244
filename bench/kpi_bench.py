"""KPI dashboard benchmark: 20,000 registrations and 60,000 scans on PostgreSQL.

Measures the full dashboard page and the polled htmx panel through the Flask test client
(the whole request: routing, SQL, templates, SVG charts). Target: p95 under 300 ms.

    python -m bench.kpi_bench [--requests 60] [--database-url postgresql+psycopg://127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
import uuid
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.common import drop_database

REGISTRATIONS = 20_000
SCANS = 60_000
TARGET_P95_MS = 300


def _database(base_url: str, reuse: bool) -> tuple[str, bool]:
    """(URL, whether it is already filled)."""
    name = "convention_kpi_bench" if reuse else f"convention_kpi_bench_{os.getpid()}"
    admin = sa.create_engine(make_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if not (reuse and exists):
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    return url, bool(reuse and exists)


def _fill(rng: random.Random) -> str:
    """Bulk rows straight into the tables; returns the live edition's slug."""
    from convention.accounts.models import ParticipantCategory, User
    from convention.checkin.models import CheckInList, ListKind, Scan
    from convention.events.models import Edition, Session, SessionKind
    from convention.extensions import db
    from convention.kpi.services import seed_plan_targets, today_jst
    from convention.matching.models import Meeting, MeetingStatus
    from convention.registration.models import (
        Registration,
        SessionSignup,
        TicketType,
        University,
    )
    from convention.timeutil import EVENT_ZONE

    seed_plan_targets()
    today = today_jst()
    edition = Edition(
        slug="bench-live",
        name_ja="ベンチマーク",
        name_en="Benchmark edition",
        start_date=today,
        end_date=today + timedelta(days=1),
        is_current=True,
    )
    past = Edition(
        slug="bench-past",
        name_ja="過去",
        name_en="Past edition",
        start_date=today - timedelta(days=365),
        end_date=today - timedelta(days=364),
    )
    db.session.add_all([edition, past])
    db.session.flush()
    universities = [
        University(name_ja=f"大学{i}", name_en=f"University {i}", in_city=i < 4) for i in range(12)
    ]
    db.session.add_all(universities)
    ticket = TicketType(
        edition_id=edition.id, name_ja="一般", name_en="General", category="general"
    )
    db.session.add(ticket)
    db.session.flush()
    sessions = []
    for number in range(12):
        starts = datetime.combine(today, clock(10 + number % 7), tzinfo=EVENT_ZONE)
        sessions.append(
            Session(
                edition_id=edition.id,
                slug=f"s{number}",
                kind=SessionKind.SEMINAR,
                title_ja=f"セミナー{number}",
                title_en=f"Seminar {number}",
                starts_at=starts,
                ends_at=starts + timedelta(minutes=60),
            )
        )
    db.session.add_all(sessions)
    db.session.flush()
    door = CheckInList(
        edition_id=edition.id, slug="main-door", name_ja="入口", name_en="Door", kind="main_door"
    )
    lists = [
        CheckInList(
            edition_id=edition.id,
            slug=f"s{s.slug}",
            name_ja=s.title_ja,
            name_en=s.title_en,
            kind=ListKind.SESSION,
            session_id=s.id,
        )
        for s in sessions
    ]
    db.session.add_all([door, *lists])
    db.session.commit()

    categories = [c.value for c in ParticipantCategory]
    countries = ["JP"] * 8 + ["US", "TH", "VN", "PH", "ID", "MY", "KR", "CN"]
    users = [
        {
            "email": f"bench{i}@bench.example",
            "name": f"Bench {i}",
            "category": rng.choice(categories),
            "country": rng.choice(countries),
            "language": "ja",
            "security_stamp": 0,
        }
        for i in range(REGISTRATIONS)
    ]
    db.session.execute(sa.insert(User), users)
    user_ids = list(db.session.scalars(sa.select(User.id).order_by(User.id)))
    registrations = []
    for user_id, user in zip(user_ids, users, strict=True):
        student = user["category"] == "student"
        registrations.append(
            {
                "edition_id": edition.id,
                "user_id": user_id,
                "ticket_type_id": ticket.id,
                "status": "confirmed" if rng.random() > 0.05 else "cancelled",
                "category": user["category"],
                "country": user["country"],
                "university_id": rng.choice(universities).id if student else None,
                "badge_token": uuid.uuid4().hex,
                "calendar_token": uuid.uuid4().hex,
            }
        )
    db.session.execute(sa.insert(Registration), registrations)
    registration_ids = list(db.session.scalars(sa.select(Registration.id)))
    signups = []
    for registration_id in rng.sample(registration_ids, 8000):
        signups.append(
            {
                "registration_id": registration_id,
                "session_id": rng.choice(sessions).id,
                "status": "confirmed",
            }
        )
    unique_signups = {(s["registration_id"], s["session_id"]): s for s in signups}
    db.session.execute(sa.insert(SessionSignup), list(unique_signups.values()))

    scans = []
    start = datetime.combine(today, clock(9), tzinfo=EVENT_ZONE)
    for number in range(SCANS):
        at_door = number % 6 != 5
        ok = rng.random() > 0.07
        scans.append(
            {
                "edition_id": edition.id,
                "checkin_list_id": door.id if at_door else rng.choice(lists).id,
                "registration_id": rng.choice(registration_ids),
                "nonce": uuid.uuid4().hex,
                "direction": "in" if rng.random() > 0.1 else "out",
                "result": "ok" if ok else "error",
                "reason": None if ok else "already_checked_in",
                "scanned_at": start + timedelta(seconds=rng.triangular(0, 9 * 3600, 1800)),
                "received_at": start,
                "offline": False,
                "undone_at": start if rng.random() < 0.01 else None,
            }
        )
    for chunk in range(0, len(scans), 10_000):
        db.session.execute(sa.insert(Scan), scans[chunk : chunk + 10_000])
    meetings = [
        {"edition_id": edition.id, "status": rng.choice(list(MeetingStatus)).value, "priority": 2}
        for _ in range(400)
    ]
    db.session.execute(sa.insert(Meeting), meetings)
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    return edition.slug


CPU = {"app": [], "db": []}


def _backend_cpu_ms(url: str) -> float | None:
    """CPU time used so far by the PostgreSQL backends serving the database (same machine only):
    unlike wall time, it does not grow when other processes compete for the CPUs."""
    admin = sa.create_engine(make_url(url))
    try:
        with admin.connect() as connection:
            pids = connection.scalars(
                sa.text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).all()
    finally:
        admin.dispose()
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        ticks += int(fields[11]) + int(fields[12])
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


def _measure(client, url: str, headers: dict, count: int, database: str = "") -> list[float]:
    timings = []
    db_before = _backend_cpu_ms(database) if database else None  # database: its URL
    for _ in range(count):
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url, headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
        CPU["app"].append((time.process_time() - cpu) * 1000)
        assert response.status_code == 200, response.status_code
    if db_before is not None:
        db_after = _backend_cpu_ms(database)
        if db_after is not None:
            CPU["db"].append((db_after - db_before) / count)
    return timings


def _report(label: str, timings: list[float]) -> float:
    ordered = sorted(timings)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(
        f"{label:<28} n={len(ordered):3d}  p50={statistics.median(ordered):6.1f} ms  "
        f"p95={p95:6.1f} ms  max={ordered[-1]:6.1f} ms",
        flush=True,
    )
    return p95


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the filled database (convention_kpi_bench) for the next run",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://127.0.0.1:5432/test"),
    )
    args = parser.parse_args(argv)

    from convention import create_app
    from convention.accounts.models import Role
    from convention.accounts.services import create_staff_user
    from convention.extensions import db
    from convention.kpi.services import fiscal_year_today

    url, filled = _database(args.database_url, args.reuse)
    try:
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "bench",
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
                "RATELIMIT_STORAGE_URI": "memory://",
                "REDIS_URL": None,
                "MAIL_URL": None,
            }
        )
        with app.app_context():
            if filled:
                from convention.accounts.models import User

                slug = "bench-live"
                organiser = db.session.scalar(
                    sa.select(User).where(User.email == "bench@bench.example")
                )
                print("reusing the filled benchmark database", flush=True)
            else:
                db.create_all()
                started = time.perf_counter()
                slug = _fill(random.Random(7))
                print(
                    f"filled {REGISTRATIONS:,} registrations and {SCANS:,} scans "
                    f"in {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
                organiser = create_staff_user(
                    "bench@bench.example", "bench-password-1", "B", Role.ORGANISER
                )
                db.session.commit()
            session_id = organiser.get_id()
            db.session.remove()

        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
        page = f"/admin/kpi?edition={slug}"
        panel = f"/admin/kpi?edition={slug}&poll=1"
        fragment = {"HX-Request": "true", "HX-Target": "kpi-panel", "Accept-Language": "en"}
        _measure(client, page, {"Accept-Language": "en"}, 3)  # warm-up
        p95_page = _report("dashboard (full page)", _measure(client, page, {}, args.requests, url))
        p95_panel = _report(
            "live panel (htmx poll)", _measure(client, panel, fragment, args.requests)
        )
        with app.app_context():
            year = fiscal_year_today()
        p95_fy = _report("fiscal-year scope", _measure(client, f"/admin/kpi?fy={year}", {}, 20))
        # The same aggregates without HTTP and templates: how much of it is SQL.
        with app.app_context(), app.test_request_context():
            from convention.kpi import services

            editions = services.all_editions()
            scope = services.edition_scope(next(e for e in editions if e.slug == slug))
            sql = []
            for _ in range(20):
                started = time.perf_counter()
                services.dashboard(scope, editions)
                sql.append((time.perf_counter() - started) * 1000)
            _report("aggregates only (no HTTP)", sql)
            db.session.remove()
        app_cpu = sorted(CPU["app"])
        print(
            f"CPU per request: app p50={statistics.median(app_cpu):.1f} ms "
            f"p95={app_cpu[round(0.95 * len(app_cpu)) - 1]:.1f} ms; database (mean, "
            f"full page)={CPU['db'][0] if CPU['db'] else float('nan'):.1f} ms",
            flush=True,
        )
        load = os.getloadavg()
        print(
            f"load average during the run: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
            f"on {os.cpu_count()} CPUs",
            flush=True,
        )
        worst = max(p95_page, p95_panel, p95_fy)
        verdict = "OK" if worst < TARGET_P95_MS else "OVER TARGET"
        print(f"target p95 < {TARGET_P95_MS} ms: {verdict}", flush=True)
        with app.app_context():
            db.engine.dispose()
    finally:
        if not args.reuse:
            drop_database(url, args.database_url)


if __name__ == "__main__":
    main()
