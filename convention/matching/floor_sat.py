"""Everyone at their own break floor, asked of a SAT solver (CaDiCaL through python-sat).

With every meeting held, each participant needs at least their own floor of breaks, so a
schedule in which nobody exceeds it is optimal. Finding one is pure feasibility, where a CDCL SAT
solver is much quicker than CP-SAT's portfolio when the schedule exists (seconds against tens of
seconds on the 80-participant forums); CP-SAT is the quicker to show that none does. The scheduler
runs both at once and takes whichever answers first.

The SAT search runs in a child process (this file run as a script: the problem as JSON on stdin,
the answer on stdout), for two reasons: python-sat keeps the GIL while CaDiCaL searches, which
would stall the scheduler's own Python (annealing, building models), and CaDiCaL cannot be
interrupted, while a process can be killed. The child also limits its own CPU time, so it never
outlives a scheduler that died.

Clauses: x[m,s] for s in m's domain, exactly one per meeting; busy[p,s] is the "or" of p's
x[.,s], of which at most one holds; at most `tables` x per slot. pre[p,s]: p is busy at some slot
before s. A break of p ends at s when busy[p,s], not busy[p,s-1] and pre[p,s]; a participant whose
cap is 0 may not have that, the others count those ends under their cap. Implied, and worth ten
times the speed: p is busy in exactly as many slots as they have meetings.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable

# Below this many meetings CP-SAT answers before the child process has started; above the
# other, the clauses take longer to build than the search can gain (and the big forums never
# reach their floors anyway).
MIN_MEETINGS = 50
MAX_MEETINGS = 600


class FloorSearch:
    """Looks, in a child process, for a schedule holding every meeting with nobody above their
    cap. `problem` is what `schedule_at_floors` takes.

    `outcome` is then a dict meeting id -> slot (found), False (there is none) or None (not
    known yet, or stopped before it knew). `done(outcome)` is called, from a thread of this
    process, when it knows."""

    def __init__(self, problem: dict, meeting_ids: list[str]):
        self.problem, self.meeting_ids = problem, meeting_ids
        self.outcome: dict[str, int] | bool | None = None
        self._process: subprocess.Popen | None = None
        self._reader: threading.Thread | None = None

    def start(self, done: Callable[[dict[str, int] | bool], None]) -> None:
        self._process = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, args=(done,), daemon=True)
        self._reader.start()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()

    def wait(self, timeout: float | None = None) -> None:
        """Until the child has answered or ended, and its answer is read."""
        if self._reader is not None:
            self._reader.join(timeout)

    def _read(self, done: Callable[[dict[str, int] | bool], None]) -> None:
        try:
            answer, _ = self._process.communicate(json.dumps(self.problem))
            slots = json.loads(answer)["slots"]
        except (OSError, ValueError, KeyError):
            return  # killed, or it ran out of time: nothing known
        if slots is None:
            self.outcome = False
        else:
            self.outcome = dict(zip(self.meeting_ids, slots, strict=True))
        done(self.outcome)


def schedule_at_floors(problem: dict) -> list[int] | None:
    """The slot of every meeting in a schedule that keeps everyone within their cap, or None
    when there is none. `problem`: {"slots", "tables", "meetings": [{"participants", "domain"}],
    "caps": {person: most breaks}} (a participant without a cap may have no break)."""
    from pysat.formula import IDPool
    from pysat.solvers import Solver

    pool = IDPool()
    clauses, x = _clauses(problem, pool)
    with Solver(name="cadical195", bootstrap_with=clauses) as solver:
        if not solver.solve():
            return None
        true = {lit for lit in solver.get_model() if lit > 0}
    chosen = {i: s for (i, s), var in x.items() if var in true}
    return [chosen[i] for i in range(len(problem["meetings"]))]


def _clauses(problem: dict, pool) -> tuple[list[list[int]], dict[tuple[int, int], int]]:
    from pysat.card import CardEnc, EncType

    clauses: list[list[int]] = []

    def at_most(literals: list[int], bound: int) -> None:
        if len(literals) > bound:
            encoded = CardEnc.atmost(literals, bound, vpool=pool, encoding=EncType.totalizer)
            clauses.extend(encoded.clauses)

    slots, caps = problem["slots"], problem["caps"]
    x: dict[tuple[int, int], int] = {}
    by_slot: dict[int, list[int]] = {}
    by_person: dict[str, list[int]] = {}
    for i, meeting in enumerate(problem["meetings"]):
        literals = [pool.id(("x", i, s)) for s in meeting["domain"]]
        clauses.append(literals)  # exactly one slot: at least one, no two
        clauses.extend([-a, -b] for n, a in enumerate(literals) for b in literals[n + 1 :])
        for s, var in zip(meeting["domain"], literals, strict=True):
            x[i, s] = var
            by_slot.setdefault(s, []).append(var)
        for person in meeting["participants"]:
            by_person.setdefault(person, []).append(i)
    for literals in by_slot.values():
        at_most(literals, problem["tables"])
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
    return clauses, x


def main() -> None:
    """The child process: the problem on stdin, {"slots": [...] or null} on stdout."""
    import resource

    problem = json.load(sys.stdin)
    seconds = max(1, int(problem["seconds"]) + 1)
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))  # then the kernel ends it
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # without a core file
    json.dump({"slots": schedule_at_floors(problem)}, sys.stdout)


if __name__ == "__main__":
    main()
