"""Schedules asked of a SAT solver (CaDiCaL through python-sat), in a child process.

Both questions are pure feasibility, where a CDCL SAT solver finds schedules much sooner than
CP-SAT's portfolio (seconds against tens of seconds on the 80-participant forums, and fewer
breaks in a minute on the dense ones); CP-SAT is the quicker to prove bounds. The scheduler runs
both at once and takes whatever either knows first.

1. Everyone at their own break floor (`caps`): with every meeting held, each participant needs
   at least their floor, so such a schedule is optimal.
2. Then fewer breaks in total than `below`, everyone within the fairness cap (`cap`). Each
   schedule found sets the target one below its own breaks, as one more unit clause on a
   totalizer, so the solver keeps what it has learnt; when no schedule is left, the last one is
   optimal.

The search runs in a child process (this file run as a script: the problem as JSON on stdin,
one JSON line per piece of news on stdout), for two reasons: python-sat keeps the GIL while
CaDiCaL searches, which would stall the scheduler's own Python (annealing, building models), and
CaDiCaL cannot be interrupted, while a process can be killed. The child also limits its own CPU
time, so it never outlives a scheduler that died.

Clauses: x[m,s] for s in m's domain, exactly one per meeting; busy[p,s] is the "or" of p's
x[.,s], of which at most one holds; at most `tables` x per slot, and at most
`interpreter_tables` of those of meetings that need an interpreter. pre[p,s]: p is busy at some slot
before s. A break of p ends at s when busy[p,s], not busy[p,s-1] and pre[p,s]; a participant whose
cap is 0 may not have that, the others count those ends under their cap. Implied, and worth ten
times the speed: p is busy in exactly as many slots as they have meetings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator

# Below this many meetings CP-SAT answers before the child process has started; above the
# other, the clauses take longer to build than the search can gain.
MIN_MEETINGS = 50
MAX_MEETINGS = 600


class SatSearch:
    """Runs the search in child processes and keeps its news:

    - `schedule`: the latest (so the best) schedule found, meeting id -> slot, or None;
    - `none_at_caps`: no schedule keeps everyone within `caps`;
    - `none_below`: no schedule has fewer breaks than this (None while unknown).

    With `caps` in the problem, the first child asks question 1 only, for at most
    `caps_seconds`; `skip_caps()` ends it sooner (another solver answered). Unless it found the
    schedule, question 2 then starts as soon as `descend_from(below)` has said from where.
    `report()` is called, from a thread of this process, after each piece of news."""

    def __init__(self, problem: dict, meeting_ids: list[str], caps_seconds: float | None = None):
        self.problem, self.meeting_ids, self.caps_seconds = problem, meeting_ids, caps_seconds
        self.schedule: dict[str, int] | None = None
        self.none_at_caps = False
        self.none_below: int | None = None
        self._below: int | None = None  # what descend_from said
        self._below_known = threading.Event()
        self._lock = threading.Lock()  # between starting a child and stopping the search
        self._stopped = False
        self._process: subprocess.Popen | None = None
        self._on_caps = False  # the child at work asks question 1
        self._again = False  # the descent was stopped to start again from a better schedule
        self._thread: threading.Thread | None = None

    def start(self, report: Callable[[], None]) -> None:
        self._thread = threading.Thread(target=self._run, args=(report,), daemon=True)
        self._thread.start()

    def descend_from(self, below: int) -> None:
        """Look for fewer breaks than `below`. Said again with less while the descent still
        aims higher (another solver found a better schedule), it starts again from there."""
        with self._lock:
            aim = self._aim()
            self._below = below if aim is None else min(aim, below)
            if aim is not None and below < aim and self._process and not self._on_caps:
                self._again = True
                self._process.kill()
        self._below_known.set()

    def _aim(self) -> int | None:
        """Fewer breaks than this is what the descent looks for (None before it has started)."""
        if self._below is None or self.schedule is None:
            return self._below
        slots = [self.schedule[m] for m in self.meeting_ids]
        return min(self._below, _breaks(self.problem, slots))

    def skip_caps(self) -> None:
        with self._lock:
            if self._process is not None and self._on_caps:
                self._process.kill()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._process is not None:
                self._process.kill()
        self._below_known.set()

    def wait(self, timeout: float | None = None) -> None:
        """Until the search has ended (done, out of time or stopped) and its news are read."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, report: Callable[[], None]) -> None:
        question = {k: v for k, v in self.problem.items() if k not in ("below", "cap")}
        if "caps" in question:
            self._ask(question, report, self.caps_seconds)
            if self.schedule is not None:
                return  # everyone at their floor: nothing better to look for
        question = {k: v for k, v in self.problem.items() if k != "caps"}
        while True:
            self._below_known.wait()
            self._again = False
            self._ask({**question, "below": self._below}, report)
            if self._stopped or not self._again:
                return

    def _ask(self, question: dict, report: Callable[[], None], seconds: float | None = None):
        with self._lock:
            if self._stopped:  # also how the descent ends unless descend_from was said
                return
            process = self._process = subprocess.Popen(
                [sys.executable, __file__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            self._on_caps = "caps" in question
        timer = threading.Timer(seconds, process.kill) if seconds else None
        if timer:
            timer.start()
        try:
            process.stdin.write(json.dumps(question))
            process.stdin.close()
            for line in process.stdout:
                news = json.loads(line)
                if "slots" in news:
                    self.schedule = dict(zip(self.meeting_ids, news["slots"], strict=True))
                self.none_at_caps = self.none_at_caps or news.get("none_at_caps", False)
                self.none_below = news.get("none_below", self.none_below)
                report()
        except (OSError, ValueError):
            pass  # killed, or out of time: what it said so far stands
        finally:
            if timer:
                timer.cancel()
            process.stdout.close()
            process.wait()


def search(problem: dict) -> Iterator[dict]:
    """The child's news, in order: {"slots": [...]} for a schedule (the slot of each meeting),
    {"none_at_caps": true}, {"none_below": n}. `problem`: {"slots", "tables",
    "meetings": [{"participants", "domain", "interpreter"}], "interpreter_tables" (the most
    meetings needing an interpreter in a slot, or None)}, then for question 1 "caps": {person:
    most breaks} (a participant without one may have no break), for question 2 "cap" (each
    participant's fairness cap, the same shape) and "below"."""
    if "caps" in problem:
        slots = schedule_within_caps(problem)
        if slots is not None:
            yield {"slots": slots}
            return
        yield {"none_at_caps": True}
    if "below" in problem:
        yield from descend(problem)


def schedule_within_caps(problem: dict) -> list[int] | None:
    """The slot of every meeting in a schedule that keeps everyone within their cap, or None
    when there is none."""
    from pysat.formula import IDPool
    from pysat.solvers import Solver

    clauses, x, _ = _clauses(problem, problem["caps"], IDPool())
    with Solver(name="cadical195", bootstrap_with=clauses) as solver:
        return _slots(solver.get_model(), x) if solver.solve() else None


def descend(problem: dict) -> Iterator[dict]:
    """Schedules with ever fewer breaks than `problem["below"]`, everyone within
    `problem["cap"]`, then {"none_below": n} once no schedule has fewer than n."""
    from pysat.card import ITotalizer
    from pysat.formula import IDPool
    from pysat.solvers import Solver

    pool = IDPool()
    clauses, x, ends = _clauses(problem, problem["cap"], pool)
    target = problem["below"] - 1  # the most breaks still worth finding
    if target < 0:
        return
    total = ITotalizer(lits=ends, ubound=target, top_id=pool.top)
    with Solver(name="cadical195", bootstrap_with=clauses + total.cnf.clauses) as solver:
        while True:
            if target < len(total.rhs):
                solver.add_clause([-total.rhs[target]])  # rhs[k]: more than k breaks
            if not solver.solve():
                yield {"none_below": target + 1}
                return
            slots = _slots(solver.get_model(), x)
            yield {"slots": slots}
            target = _breaks(problem, slots) - 1
            if target < 0:
                return


def _slots(model: list[int], x: dict[tuple[int, int], int]) -> list[int]:
    true = {literal for literal in model if literal > 0}
    chosen = {i: s for (i, s), var in x.items() if var in true}
    return [chosen[i] for i in range(len(chosen))]


def _breaks(problem: dict, slots: list[int]) -> int:
    """Breaks of a schedule: each participant's runs of busy slots, less one."""
    busy: dict[str, set[int]] = {}
    for meeting, slot in zip(problem["meetings"], slots, strict=True):
        for person in meeting["participants"]:
            busy.setdefault(person, set()).add(slot)
    return sum(sum(1 for s in mine if s - 1 not in mine) - 1 for mine in busy.values())


def _clauses(problem: dict, caps: dict[str, int], pool):
    """The clauses, the x literal of each (meeting, slot) and every break's end literal."""
    from pysat.card import CardEnc, EncType

    clauses: list[list[int]] = []

    def at_most(literals: list[int], bound: int) -> None:
        if len(literals) > bound:
            encoded = CardEnc.atmost(literals, bound, vpool=pool, encoding=EncType.totalizer)
            clauses.extend(encoded.clauses)

    slots = problem["slots"]
    x: dict[tuple[int, int], int] = {}
    by_slot: dict[int, list[int]] = {}
    interpreted: dict[int, list[int]] = {}  # by slot
    by_person: dict[str, list[int]] = {}
    for i, meeting in enumerate(problem["meetings"]):
        literals = [pool.id(("x", i, s)) for s in meeting["domain"]]
        clauses.append(literals)  # exactly one slot: at least one, no two
        clauses.extend([-a, -b] for n, a in enumerate(literals) for b in literals[n + 1 :])
        for s, var in zip(meeting["domain"], literals, strict=True):
            x[i, s] = var
            by_slot.setdefault(s, []).append(var)
            if meeting.get("interpreter"):
                interpreted.setdefault(s, []).append(var)
        for person in meeting["participants"]:
            by_person.setdefault(person, []).append(i)
    for literals in by_slot.values():
        at_most(literals, problem["tables"])
    if problem.get("interpreter_tables") is not None:
        for literals in interpreted.values():
            at_most(literals, problem["interpreter_tables"])
    all_ends: list[int] = []
    for person, indexes in by_person.items():
        if len(indexes) < 2:
            continue  # a single meeting: no clash, no break
        busy: dict[int, int] = {}
        for s in range(slots):
            literals = [x[i, s] for i in indexes if (i, s) in x]
            if not literals:
                continue
            busy[s] = b = pool.id(("busy", person, s))
            clauses.extend([-var, b] for var in literals)
            clauses.append([-b, *literals])
            at_most(literals, 1)
        encoded = CardEnc.equals(
            list(busy.values()), len(indexes), vpool=pool, encoding=EncType.totalizer
        )
        clauses.extend(encoded.clauses)
        cap = caps.get(person, 0)
        ends: list[int] = []
        previous = None  # pre[p, s-1]
        for s in range(1, slots):
            if s - 1 not in busy and previous is None:
                continue  # nothing can happen before s
            before = pool.id(("pre", person, s))
            if s - 1 in busy:
                clauses.append([-busy[s - 1], before])
            if previous is not None:
                clauses.append([-previous, before])
            previous = before
            if s not in busy:
                continue
            clause = [-busy[s], -before]
            if s - 1 in busy:
                clause.append(busy[s - 1])
            if cap:
                ends.append(end := pool.id(("end", person, s)))
                clause.append(end)
            clauses.append(clause)
        at_most(ends, cap)
        all_ends.extend(ends)
    return clauses, x, all_ends


def main() -> None:
    """The child process: the problem on stdin, one JSON line per piece of news on stdout."""
    import resource

    problem = json.load(sys.stdin)
    seconds = max(1, int(problem["seconds"]) + 1)
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))  # then the kernel ends it
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # without a core file
    if problem.get("core") is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, [problem["core"]])  # the core CP-SAT leaves to this search
    for news in search(problem):
        print(json.dumps(news), flush=True)


if __name__ == "__main__":
    main()
