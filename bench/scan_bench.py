"""Scan API benchmark: gunicorn (4 sync workers) on PostgreSQL with 20,000 registrations.

(a) Open loop: 50 scanners each scanning once a second for ~30 s (the busiest door imaginable).
    Latency is measured from each scan's *scheduled* time, so a slow server cannot hide its
    queueing (no coordinated omission). Targets: p95 under 30 ms.
(b) Throughput: closed loops with growing concurrency (~8 s a step, ~30 s in all); the best
    rate with no errors (no non-200, no timeouts) is the sustained maximum. Target: 500 scans/s.
Mix in both: mostly first scans of valid badges, ~8% repeats of a badge already scanned, ~4%
forged tokens, ~1% cancelled badges. Afterwards it checks in the database that every valid badge
scanned was counted exactly once per list, and that every request left exactly one row.

Loopback only; every loop is bounded in count and time.

    python -m bench.scan_bench [--database-url postgresql+psycopg://127.0.0.1:5432/test]
                               [--seconds 30] [--scanners 50]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from bench.common import (
    DEFAULT_DB,
    ROOT,
    create_database,
    drop_database,
    free_port,
    percentile,
    start_gunicorn,
    stop,
)

REGISTRATIONS = 20_000
CANCELLED_SHARE = 0.02
WORKERS = 4
TARGET_P95_MS = 30
TARGET_RATE = 500
BENCH_REDIS = "redis://127.0.0.1:6379/13"


# --- database --------------------------------------------------------------------------------


def _seed(url: str, devices: int) -> dict:
    """Schema, 20,000 registrations (2% cancelled), two lists and one device per scanner."""
    from convention import create_app
    from convention.accounts.models import User
    from convention.checkin import services
    from convention.checkin.models import CheckInList, ListKind
    from convention.events.models import Edition
    from convention.extensions import db
    from convention.registration.models import Registration, TicketType, new_badge_token
    from convention.timeutil import EVENT_ZONE, utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        today = utcnow().astimezone(EVENT_ZONE).date()
        edition = Edition(
            slug="bench",
            name_ja="ベンチマーク",
            name_en="Benchmark",
            start_date=today,
            end_date=today,
            is_current=True,
        )
        db.session.add(edition)
        db.session.flush()
        ticket = TicketType(
            edition_id=edition.id, name_ja="一般", name_en="General", category="general"
        )
        db.session.add(ticket)
        for slug, kind in (("main-door", ListKind.MAIN_DOOR), ("hall-b", ListKind.SESSION)):
            db.session.add(
                CheckInList(
                    edition_id=edition.id,
                    slug=slug,
                    name_ja=slug,
                    name_en=slug,
                    kind=kind,
                    valid_from=today,
                    valid_until=today,
                )
            )
        db.session.flush()
        now = utcnow()
        db.session.execute(
            sa.insert(User),
            [
                {
                    "email": f"bench{i}@example.org",
                    "name": f"参加者 {i}",
                    "organization": f"Company {i % 500}",
                    "created_at": now,
                }
                for i in range(REGISTRATIONS)
            ],
        )
        user_ids = db.session.scalars(sa.select(User.id).order_by(User.id)).all()
        rng = random.Random(7)
        rows = []
        for user_id in user_ids:
            cancelled = rng.random() < CANCELLED_SHARE
            rows.append(
                {
                    "edition_id": edition.id,
                    "user_id": user_id,
                    "ticket_type_id": ticket.id,
                    "status": "cancelled" if cancelled else "confirmed",
                    "category": "general",
                    "badge_token": new_badge_token(),
                    "calendar_token": new_badge_token(),
                    "organization": "",
                    "created_at": now,
                }
            )
        db.session.execute(sa.insert(Registration), rows)
        db.session.commit()
        tokens = [services.issue_device_token(f"bench scanner {n}")[1] for n in range(devices)]
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        valid = [row["badge_token"] for row in rows if row["status"] == "confirmed"]
        cancelled = [row["badge_token"] for row in rows if row["status"] == "cancelled"]
        db.engine.dispose()
    return {"valid": valid, "cancelled": cancelled, "devices": tokens}


# --- the server ------------------------------------------------------------------------------


def _empty_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


# --- CPU accounting: the machine may be shared, so wall-clock figures alone can mislead ----------


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def _cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / ticks


def _server_pids(server: subprocess.Popen, url: str) -> list[int]:
    """The gunicorn workers and the PostgreSQL backends serving the benchmark database."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        backends = (
            connection.execute(
                sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                )
            )
            .scalars()
            .all()
        )
    engine.dispose()
    return [server.pid, *_children(server.pid), *backends]


# --- the scans -------------------------------------------------------------------------------


class Mix:
    """Mostly first scans of valid badges, some repeats, forgeries and cancelled badges."""

    def __init__(self, valid: list[str], cancelled: list[str], seed: int):
        self.rng = random.Random(seed)
        self.fresh = list(valid)
        self.rng.shuffle(self.fresh)
        self.cancelled = cancelled
        self.seen: list[str] = []

    def next(self) -> str:
        roll = self.rng.random()
        if roll < 0.04:
            return secrets.token_urlsafe(24)  # forged
        if roll < 0.05 and self.cancelled:
            return self.rng.choice(self.cancelled)
        if (roll < 0.13 and self.seen) or not self.fresh:
            return self.rng.choice(self.seen)
        token = self.fresh.pop()
        self.seen.append(token)
        return token


def _post(port: int, device: str, token: str, list_slug: str, timeout: float = 10.0):
    body = json.dumps(
        {"token": token, "list": list_slug, "direction": "in", "nonce": uuid.uuid4().hex}
    )
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(
            "POST",
            "/api/checkin/scan",
            body=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {device}"},
        )
        response = connection.getresponse()
        data = response.read()
        return response.status, data
    finally:
        connection.close()


def open_loop(port, devices, tokens_per_scanner, seconds, list_slug) -> dict:
    """Each scanner thread scans at fixed times (once a second, phases spread)."""
    scanners = len(devices)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.5

    def scanner(index: int) -> None:
        tokens = tokens_per_scanner[index]
        for tick in range(seconds):
            scheduled = start + tick + index / scanners
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                status, _ = _post(port, devices[index], tokens[tick], list_slug)
            except OSError as error:
                status = repr(error)
            finished = time.perf_counter()
            with lock:
                latencies.append((finished - scheduled) * 1000)
                if status != 200:
                    errors.append(str(status))

    threads = [threading.Thread(target=scanner, args=(i,)) for i in range(scanners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "p50": percentile(latencies, 0.50),
        "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies),
        "mean": statistics.fmean(latencies),
    }


def _closed_loop_worker(args) -> tuple[int, int, list[float], list[str]]:
    """One client process: `threads` loops sending back to back until the deadline."""
    port, devices, tokens, list_slug, threads, deadline = args
    done = 0
    errors: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()
    queue = list(tokens)
    queue.reverse()

    def loop(index: int) -> None:
        nonlocal done
        device = devices[index % len(devices)]
        while time.time() < deadline:
            with lock:
                if not queue:
                    return
                token = queue.pop()
            started = time.perf_counter()
            try:
                status, _ = _post(port, device, token, list_slug, timeout=5)
            except OSError as error:
                status = repr(error)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                done += 1
                latencies.append(elapsed)
                if status != 200:
                    errors.append(str(status))

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return done, len(errors), latencies, errors[:5]


def closed_loop(port, devices, mix: Mix, concurrency: int, seconds: float, list_slug, processes=2):
    per_process = max(1, concurrency // processes)
    budget = int(seconds * 2000) + 100  # more tokens than any run can use
    chunks = [[mix.next() for _ in range(budget // processes)] for _ in range(processes)]
    started = time.time()
    deadline = started + seconds
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        results = pool.map(
            _closed_loop_worker,
            [(port, devices, chunk, list_slug, per_process, deadline) for chunk in chunks],
        )
    elapsed = time.time() - started
    done = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    latencies = [value for r in results for value in r[2]]
    return {
        "concurrency": per_process * processes,
        "requests": done,
        "errors": errors,
        "rate": done / elapsed,
        "latency": {
            name: percentile(latencies, share) if latencies else 0
            for name, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
        },
        "samples": [e for r in results for e in r[3]][:5],
    }


def closed_loop_wrk(port, devices, mix: Mix, concurrency: int, seconds: float, list_slug):
    """The same closed loop driven by wrk (C, epoll): on a 2-core machine the Python client
    would otherwise take the CPU the server needs. Each request is one scan of `mix`."""
    threads = min(2, concurrency)
    folder = Path(tempfile.mkdtemp(prefix="scan-wrk-"))
    (folder / "tokens").write_text("\n".join(mix.next() for _ in range(int(seconds * 3000))))
    (folder / "devices").write_text("\n".join(devices))
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{concurrency}",
        f"-d{int(seconds)}s",
        "--timeout",
        "5s",
        "--latency",
        "-s",
        str(ROOT / "bench" / "scan_wrk.lua"),
        f"http://127.0.0.1:{port}",
        "--",
        str(folder / "tokens"),
        str(folder / "devices"),
        str(threads),
        list_slug,
    ]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    shutil.rmtree(folder)

    def number(pattern: str) -> float:
        found = re.search(pattern, output)
        return float(found.group(1)) if found else 0.0

    def latency_ms(share: str) -> float:
        found = re.search(rf"^\s+{share}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        if not found:
            return 0.0
        return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]

    socket_errors = sum(
        int(value) for value in re.findall(r"(?:connect|read|write|timeout) (\d+)", output)
    )
    return {
        "concurrency": concurrency,
        "requests": int(number(r"(\d+) requests in")),
        "errors": int(number(r"Non-2xx or 3xx responses: (\d+)")) + socket_errors,
        "rate": number(r"Requests/sec:\s+([\d.]+)"),
        "latency": {"p50": latency_ms("50"), "p90": latency_ms("90"), "p99": latency_ms("99")},
        "samples": [output.strip().splitlines()[-1]] if socket_errors else [],
    }


# --- the check ---------------------------------------------------------------------------------


def verify(url: str) -> dict:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        double = connection.execute(
            sa.text(
                """SELECT count(*) FROM (
                     SELECT checkin_list_id, registration_id FROM scan
                     WHERE result = 'ok' AND direction = 'in' AND undone_at IS NULL
                     GROUP BY checkin_list_id, registration_id HAVING count(*) > 1) AS d"""
            )
        ).scalar()
        per_list = dict(
            connection.execute(
                sa.text(
                    """SELECT l.slug, count(DISTINCT s.registration_id) FROM scan s
                       JOIN checkin_list l ON l.id = s.checkin_list_id
                       JOIN registration r ON r.id = s.registration_id
                       WHERE r.status = 'confirmed' GROUP BY l.slug"""
                )
            ).all()
        )
        ok_per_list = dict(
            connection.execute(
                sa.text(
                    """SELECT l.slug, count(*) FROM scan s
                       JOIN checkin_list l ON l.id = s.checkin_list_id
                       WHERE s.result = 'ok' GROUP BY l.slug"""
                )
            ).all()
        )
        presence = dict(
            connection.execute(
                sa.text(
                    """SELECT l.slug, count(*) FROM checkin_presence p
                       JOIN checkin_list l ON l.id = p.checkin_list_id GROUP BY l.slug"""
                )
            ).all()
        )
        wrong = connection.execute(
            sa.text(
                """SELECT count(*) FROM scan s LEFT JOIN registration r ON r.id = s.registration_id
                   WHERE s.result = 'ok' AND (r.id IS NULL OR r.status <> 'confirmed')"""
            )
        ).scalar()
        rows = connection.execute(sa.text("SELECT count(*) FROM scan")).scalar()
    engine.dispose()
    return {
        "double_counted": double,
        "valid_badges_scanned": per_list,
        "ok_rows": ok_per_list,
        "presence_rows": presence,
        "ok_for_invalid_badges": wrong,
        "scan_rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--scanners", type=int, default=50)
    parser.add_argument("--redis-url", default=BENCH_REDIS, help="a Redis database it may empty")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    options = parser.parse_args(argv if argv is not None else [])

    print(f"Seeding {REGISTRATIONS:,} registrations on PostgreSQL …", flush=True)
    url = create_database(options.database_url, "convention_scan_bench")
    server = None
    try:
        data = _seed(url, options.scanners)
        port = free_port()
        _empty_redis(options.redis_url)
        # As deployed: rate limits in Redis (the in-memory store would start a timer thread per
        # device and count per process).
        server = start_gunicorn(
            url,
            port,
            WORKERS,
            REDIS_URL=options.redis_url,
            CHECKIN_SCAN_RATE_LIMIT="100000 per minute",
        )

        print(
            f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} before the "
            "run (anything above ~1 means other work shares the cores)",
            flush=True,
        )

        # (a) open loop at the main door.
        mix_a = Mix(data["valid"], data["cancelled"], seed=1)
        plan = [[mix_a.next() for _ in range(options.seconds)] for _ in range(options.scanners)]
        print(
            f"(a) open loop: {options.scanners} scanners × 1 scan/s for {options.seconds} s",
            flush=True,
        )
        a = open_loop(port, data["devices"], plan, options.seconds, "main-door")
        print(
            f"    {a['requests']} scans, {a['errors']} errors; latency p50 {a['p50']:.1f} ms, "
            f"p95 {a['p95']:.1f} ms, p99 {a['p99']:.1f} ms, max {a['max']:.1f} ms "
            f"(target p95 < {TARGET_P95_MS} ms: {'met' if a['p95'] < TARGET_P95_MS else 'MISSED'})",
            flush=True,
        )

        pids = _server_pids(server, url)
        cpu_before = _cpu_seconds(pids)

        # (b) throughput at a second list (fresh badges again), growing concurrency.
        mix_b = Mix(data["valid"], data["cancelled"], seed=2)
        print("(b) closed loop, growing concurrency (~8 s per step):", flush=True)
        best = None
        step_seconds = max(4, options.seconds // 4)
        total_b = 0
        loop = closed_loop_wrk if shutil.which("wrk") else closed_loop
        print(f"    load generator: {'wrk' if loop is closed_loop_wrk else 'Python threads'}")
        for concurrency in (4, 8, 16, 32):
            b = loop(port, data["devices"], mix_b, concurrency, step_seconds, "hall-b")
            total_b += b["requests"]
            print(
                f"    concurrency {b['concurrency']:>3}: {b['rate']:7.0f} scans/s, "
                f"{b['requests']} scans, {b['errors']} errors, "
                + ", ".join(f"{name} {value:.1f} ms" for name, value in b["latency"].items())
                + (f"  e.g. {b['samples']}" if b["errors"] else ""),
                flush=True,
            )
            if b["errors"] == 0 and (best is None or b["rate"] > best["rate"]):
                best = b
        cpu_per_scan = (_cpu_seconds(pids) - cpu_before) / max(1, total_b) * 1000
        print(
            f"    server CPU (gunicorn workers + PostgreSQL backends) per scan: "
            f"{cpu_per_scan:.2f} ms → on {os.cpu_count()} idle cores at most "
            f"~{os.cpu_count() * 1000 / cpu_per_scan:.0f} scans/s (load average now "
            f"{os.getloadavg()[0]:.1f})",
            flush=True,
        )
        if best:
            print(
                f"    max sustained without errors: {best['rate']:.0f} scans/s at concurrency "
                f"{best['concurrency']} (target ≥ {TARGET_RATE}: "
                f"{'met' if best['rate'] >= TARGET_RATE else 'MISSED'})",
                flush=True,
            )

        # gunicorn finishes the requests still in flight (wrk stops without waiting) first.
        stop(server)
        server = None
        check = verify(url)
        exact = check["double_counted"] == 0 and check["ok_for_invalid_badges"] == 0
        exact = exact and all(
            check["presence_rows"].get(slug, 0)
            == check["valid_badges_scanned"].get(slug, 0)
            == check["ok_rows"].get(slug, 0)
            for slug in ("main-door", "hall-b")
        )
        print(
            "check: every valid badge counted exactly once: "
            + ("YES" if exact else "NO")
            + f" — valid badges scanned {check['valid_badges_scanned']}, ok rows "
            f"{check['ok_rows']}, presence rows {check['presence_rows']}, double counted "
            f"{check['double_counted']}, ok for invalid badges {check['ok_for_invalid_badges']}, "
            f"scan rows {check['scan_rows']}",
            flush=True,
        )
        return 0 if exact else 1
    finally:
        if server is not None:
            stop(server)
        if not options.keep:
            drop_database(url, options.database_url)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
