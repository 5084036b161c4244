"""Meeting scheduler benchmark: realistic B2B forum instances, CP-SAT against the greedy.

Two medium forums (20 and 30 participants), then the business forums of Bofill et al. (JAIR 74,
2022): 40-80 participants, 120-300 meetings, 8-22 slots, 12-27 tables, morning/afternoon
restrictions, forbidden slots and a cap of 2 breaks per participant; plus one large instance
(300 participants, 1,500 meetings). Each line gives the proven lower bound on breaks beside the
breaks found, and the load average, since the timings depend on what else runs.
Every output is checked by the independent `validate`. Fixed seeds: the figures are repeatable
up to the solver's own multi-threaded search.

    python -m bench.matching_bench [--time-limit 60] [--only NAME] [--seeds N]
                                   [--write-instances DIR]

`--seeds N` solves N instances of each shape (the shape's seed, then the next ones) and ends
with how many were proven optimal: one instance says little about a shape.
"""

from __future__ import annotations

import argparse
import json
import os
import random
from pathlib import Path

from convention.matching.scheduler import default_workers, greedy, parse, solve, validate

# name, participants, meetings, slots, tables, seed, interpreter tables; two medium forums
# first (proven quickly), then the literature's sizes, then the literature's 60 x 150 with a
# fifth of the meetings needing one of 3 interpreter tables (parties without a common language)
SHAPES = (
    ("forum-20x50", 20, 50, 10, 8, 1, None),
    ("forum-30x90", 30, 90, 12, 10, 1, None),
    ("forum-40x120", 40, 120, 12, 12, 1, None),
    ("forum-60x150", 60, 150, 21, 14, 2, None),
    ("forum-70x220", 70, 220, 16, 18, 3, None),
    ("forum-80x300", 80, 300, 22, 27, 4, None),
    ("interp-60x150", 60, 150, 21, 14, 2, 3),
    ("large-300x1500", 300, 1500, 21, 80, 5, None),
)
INTERPRETED_SHARE = 0.2


def generate(
    participants: int = 60,
    meetings: int = 150,
    slots: int = 21,
    tables: int = 14,
    seed: int = 1,
    *,
    delegations: int = 4,
    fixed: int = 5,
    max_breaks: int | None = 2,
    interpreter_tables: int | None = None,
) -> dict:
    """A forum-like instance: popular participants, half-day sessions, a few forbidden slots;
    with `interpreter_tables`, a share of the meetings needs one of them."""
    rng = random.Random(seed)
    ids = [f"p{i + 1}" for i in range(participants)]
    morning = list(range(slots // 2))
    afternoon = list(range(slots // 2, slots))
    # Unavailability: a third of the participants miss a block (arrive late, leave early, lunch).
    unavailable: dict[str, list[int]] = {}
    for pid in ids:
        roll = rng.random()
        if roll < 0.12:
            unavailable[pid] = list(range(0, rng.randint(1, 3)))  # arrives late
        elif roll < 0.24:
            unavailable[pid] = list(range(slots - rng.randint(1, 3), slots))  # leaves early
        elif roll < 0.34:
            start = rng.randrange(slots - 2)
            unavailable[pid] = [start, start + 1]
        else:
            unavailable[pid] = []
    # Popularity is skewed (a few overseas cities are in demand); cap each person's meetings
    # at what fits in their available slots, minus a little slack.
    weights = [rng.paretovariate(1.6) for _ in ids]
    capacity = {pid: max(1, slots - len(unavailable[pid]) - 2) for pid in ids}
    count = dict.fromkeys(ids, 0)
    pairs: set[frozenset[str]] = set()
    rows = []
    attempts = 0
    while len(rows) < meetings and attempts < meetings * 200:
        attempts += 1
        size = 3 if len(rows) < delegations else 2
        people = set()
        while len(people) < size:
            people.add(rng.choices(ids, weights)[0])
        key = frozenset(people)
        if key in pairs or any(count[p] >= capacity[p] for p in people):
            continue
        pairs.add(key)
        for p in people:
            count[p] += 1
        row = {
            "id": f"m{len(rows) + 1}",
            "participants": sorted(people, key=lambda p: int(p[1:])),
            "priority": rng.choices([1, 2, 3], [0.6, 0.3, 0.1])[0],
            "allowed": None,
            "fixed": None,
        }
        roll = rng.random()
        if roll < 0.15:
            row["allowed"] = morning
        elif roll < 0.30:
            row["allowed"] = afternoon
        rows.append(row)
    instance = {
        "slots": slots,
        "tables": tables,
        "participants": [{"id": pid, "unavailable": unavailable[pid]} for pid in ids],
        "meetings": rows,
        "max_breaks_per_participant": max_breaks,
    }
    if interpreter_tables is not None:
        # Drawn from a generator of their own, so the rest of the instance matches the shape's.
        speakers = random.Random(seed * 7919)
        instance["interpreter_tables"] = interpreter_tables
        for row in rows:
            row["interpreter"] = speakers.random() < INTERPRETED_SHARE
    # Pin a few meetings where a greedy schedule puts them: consistent fixed meetings, like
    # published meetings kept when the organiser re-runs the scheduler.
    placed = greedy(parse(instance))
    for row in rng.sample([r for r in rows if r["id"] in placed], min(fixed, len(placed))):
        row["fixed"] = placed[row["id"]]
    return instance


def load_average() -> str:
    """Other processes share the cores: the 1-minute load average goes beside every figure."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:  # not Linux
        return "?"


def run_one(name: str, instance: dict, time_limit: float) -> tuple[list[str], str]:
    """One line per solver: scheduled, breaks, the proven lower bound on breaks, status, time;
    and the solver's status."""
    lines = []
    for label, limit in (("greedy", 0), ("cp-sat", time_limit)):
        stats: dict = {}
        output = solve(instance, time_limit=limit, stats=stats)
        check = validate(instance, output)
        bound = "-" if stats.get("bound") is None else str(stats["bound"])
        lines.append(
            f"{name:16} {label:7} scheduled {check['scheduled']:4}/{len(instance['meetings']):<4} "
            f"breaks {output['breaks']:4}  bound {bound:>4}  status {output['status']:9} "
            f"{output['seconds']:6.2f} s  load {load_average():>5}  "
            f"{'valid' if check['ok'] else 'INVALID'}"
        )
        if not check["ok"]:
            lines.extend(f"    {error}" for error in check["errors"][:5])
    return lines, output["status"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_limit = float(os.environ.get("MATCHING_BENCH_TIME_LIMIT", 60))
    parser.add_argument("--time-limit", type=float, default=default_limit)
    parser.add_argument("--only", action="append", help="run only this shape (repeatable)")
    parser.add_argument("--seeds", type=int, default=1, help="instances of each shape")
    parser.add_argument("--write-instances", type=Path, help="save the instances as JSON here")
    args = parser.parse_args(argv if argv is not None else [])
    print(
        f"time limit {args.time_limit:.0f} s per solve, {default_workers()} solver workers "
        f"on {os.cpu_count()} cores; 'bound' is the proven lower bound on breaks",
        flush=True,
    )
    proven: dict[str, list[str]] = {}
    for name, participants, meetings, slots, tables, first_seed, interpreters in SHAPES:
        if args.only and name not in args.only:
            continue
        for seed in range(first_seed, first_seed + args.seeds):
            label = name if seed == first_seed else f"{name}#{seed}"
            instance = generate(
                participants, meetings, slots, tables, seed, interpreter_tables=interpreters
            )
            if args.write_instances:
                args.write_instances.mkdir(parents=True, exist_ok=True)
                (args.write_instances / f"{label}.json").write_text(json.dumps(instance))
            lines, status = run_one(label, instance, args.time_limit)
            for line in lines:
                print(line, flush=True)
            proven.setdefault(name, []).append(status)
    if args.seeds > 1:
        for name, statuses in proven.items():
            print(f"{name:16} proven optimal in {statuses.count('optimal')} of {len(statuses)}")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
