"""The meeting scheduler: the B2B Meeting Scheduling Problem on the instance file contract.

Pure (no database, no Flask): `solve(instance, time_limit)` takes the contract's instance dict
and returns the contract's output dict; `validate(instance, output)` recomputes every hard rule
and the breaks independently, for tests and the benchmark.

Model (OR-Tools CP-SAT), after Bofill et al., JAIR 74 (2022); see `_Model`:
- x[m,s]: meeting m is held in slot s, only for slots in m's allowed set where every participant
  is available (a fixed meeting has the single domain {fixed} and must be held);
- busy[p,s] = sum of x[m,s] over p's meetings (a boolean, so ≤ 1 meeting per slot);
- at most `tables` meetings per slot, and at most `interpreter_tables` of those that need an
  interpreter (an optional extension of the contract: tables 0 .. interpreter_tables - 1 have
  one). Any slot assignment within those bounds seats everyone, the meetings that need an
  interpreter first: tables are numbered afterwards and are no variables of the search;
- one boolean per possible end of a break: brk[p,s] is forced by "busy in s, idle in s-1, busy
  at some earlier slot"; the breaks are the sum of brk (a MaxSAT-like objective that CP-SAT's
  core-based workers bound from below). Participants with a single meeting get none.
Implied constraints: a participant is busy in exactly as many slots as they have meetings held;
when all are held, they need at least as many breaks as their own meetings force (`_break_floor`:
can the meetings be matched to one run of slots, to two?), and a participant without a break
has one run of busy slots from some start (`zero`/`first` literals channelled to busy).

Objective, lexicographic, solved in two phases sharing the time limit: first maximise the
scheduled meetings weighted by priority (skipped when the start already holds them all); then
fix that value and minimise the total breaks. Phase 2 first asks for a schedule with everyone
at their own floor (optimal when found; when there is none, the bound passes the floors' sum):
CP-SAT and a SAT solver (`sat_search`, on a core of its own) race on that question. Then it
runs two rounds: CP-SAT's default portfolio finds schedules, then a portfolio that makes room
for its LP tree searches raises the lower bound; meanwhile the SAT solver looks for ever fewer
breaks than the best schedule so far. A greedy schedule polished by hill climbing (also the answer
when no solver time is allowed) is the solver's complete first hint. Before phase 2 and between
its two rounds, simulated annealing (`anneal`: moves, exchanges and Kempe chains of meetings,
restarted when it stalls) improves the hint. `optimal` is reported only when both phases are
proven (the breaks meet a proven lower bound); `stats["bound"]` gives that bound.
"""

from __future__ import annotations

import itertools
import math
import os
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .sat_search import SatSearch

STATUSES = ("optimal", "feasible", "infeasible", "timeout")
# Far beyond any forum, and small enough that no sum of priorities overflows the solver's
# 64-bit objective and no grid exhausts memory.
MAX_SLOTS, MAX_TABLES, MAX_PRIORITY = 1_000, 10_000, 1_000


class InstanceError(ValueError):
    """The instance file does not follow the contract; the message names the problem."""


@dataclass
class _Meeting:
    id: str
    participants: list[str]
    priority: int
    allowed: set[int] | None
    fixed: int | None
    interpreter: bool = False  # must sit at one of the interpreter tables
    domain: list[int] = field(default_factory=list)


@dataclass
class _Instance:
    slots: int
    tables: int
    unavailable: dict[str, set[int]]
    meetings: list[_Meeting]
    max_breaks: int | None
    # At most this many meetings that need an interpreter in one slot; None when that cannot
    # bind (nobody needs one, or every table has an interpreter).
    interpreter_tables: int | None = None
    # Participants whose fixed meetings alone have more breaks than `max_breaks`: those breaks
    # are their cap (published meetings are not undone because one of them was cancelled).
    raised_caps: dict[str, int] = field(default_factory=dict)

    def cap_of(self, person: str) -> int | None:
        """The most breaks `person` may have (None: no cap)."""
        if self.max_breaks is None:
            return None
        return self.raised_caps.get(person, self.max_breaks)

    def fits(self, meeting: _Meeting, load: int, interpreted: int) -> bool:
        """Is there a table for `meeting` in a slot that holds `load` meetings, `interpreted` of
        them at interpreter tables?"""
        if load >= self.tables:
            return False
        limit = self.interpreter_tables
        return not (meeting.interpreter and limit is not None and interpreted >= limit)


# --- reading and checking the instance ---------------------------------------------------------


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _slot_list(value, slots: int, where: str) -> set[int]:
    if not isinstance(value, list):
        raise InstanceError(f"{where} must be a list of slot numbers")
    for slot in value:
        if not _is_int(slot) or not 0 <= slot < slots:
            raise InstanceError(f"{where}: {slot!r} is not a slot number between 0 and {slots - 1}")
    return set(value)


def parse(instance) -> _Instance:
    """Check an instance against the contract; raise InstanceError naming the first problem."""
    if not isinstance(instance, dict):
        raise InstanceError("the instance must be a JSON object")
    for key in ("slots", "tables", "participants", "meetings"):
        if key not in instance:
            raise InstanceError(f"missing key {key!r}")
    slots, tables = instance["slots"], instance["tables"]
    if not _is_int(slots) or not 1 <= slots <= MAX_SLOTS:
        raise InstanceError(f"'slots' must be a whole number from 1 to {MAX_SLOTS}, not {slots!r}")
    if not _is_int(tables) or not 0 <= tables <= MAX_TABLES:
        raise InstanceError(
            f"'tables' must be a whole number from 0 to {MAX_TABLES}, not {tables!r}"
        )
    if not isinstance(instance["participants"], list):
        raise InstanceError("'participants' must be a list")
    unavailable: dict[str, set[int]] = {}
    for index, participant in enumerate(instance["participants"]):
        if not isinstance(participant, dict) or not isinstance(participant.get("id"), str):
            raise InstanceError(f"participant #{index} must be an object with a string 'id'")
        pid = participant["id"]
        if pid in unavailable:
            raise InstanceError(f"participant {pid!r} is listed twice")
        unavailable[pid] = _slot_list(
            participant.get("unavailable") or [], slots, f"participant {pid!r} 'unavailable'"
        )
    if not isinstance(instance["meetings"], list):
        raise InstanceError("'meetings' must be a list")
    meetings: list[_Meeting] = []
    seen: set[str] = set()
    for index, meeting in enumerate(instance["meetings"]):
        if not isinstance(meeting, dict) or not isinstance(meeting.get("id"), str):
            raise InstanceError(f"meeting #{index} must be an object with a string 'id'")
        mid = meeting["id"]
        if mid in seen:
            raise InstanceError(f"meeting {mid!r} is listed twice")
        seen.add(mid)
        people = meeting.get("participants")
        if not isinstance(people, list) or len(people) < 2:
            raise InstanceError(f"meeting {mid!r} needs a list of at least two participants")
        for person in people:
            if not isinstance(person, str):
                raise InstanceError(f"meeting {mid!r}: {person!r} is not a participant id")
            if person not in unavailable:
                raise InstanceError(f"meeting {mid!r} names unknown participant {person!r}")
        if len(set(people)) != len(people):
            raise InstanceError(f"meeting {mid!r} lists a participant twice")
        priority = meeting.get("priority", 1)
        if priority is None:
            priority = 1
        if not _is_int(priority) or not 1 <= priority <= MAX_PRIORITY:
            raise InstanceError(
                f"meeting {mid!r}: 'priority' must be a whole number from 1 to {MAX_PRIORITY}"
            )
        allowed = meeting.get("allowed")
        if allowed is not None:
            allowed = _slot_list(allowed, slots, f"meeting {mid!r} 'allowed'")
        fixed = meeting.get("fixed")
        if fixed is not None and (not _is_int(fixed) or not 0 <= fixed < slots):
            raise InstanceError(
                f"meeting {mid!r}: 'fixed' {fixed!r} is not a slot between 0 and {slots - 1}"
            )
        interpreter = meeting.get("interpreter")
        interpreter = False if interpreter is None else interpreter
        if not isinstance(interpreter, bool):
            raise InstanceError(f"meeting {mid!r}: 'interpreter' must be true or false")
        meetings.append(_Meeting(mid, list(people), priority, allowed, fixed, interpreter))
    cap = instance.get("max_breaks_per_participant")
    if cap is not None and (not _is_int(cap) or cap < 0):
        raise InstanceError("'max_breaks_per_participant' must be a non-negative integer or null")
    interpreter_tables = instance.get("interpreter_tables")
    interpreter_tables = 0 if interpreter_tables is None else interpreter_tables
    if not _is_int(interpreter_tables) or not 0 <= interpreter_tables <= tables:
        raise InstanceError(
            f"'interpreter_tables' must be a whole number from 0 to 'tables' ({tables}), "
            f"not {interpreter_tables!r}"
        )
    binds = interpreter_tables < tables and any(m.interpreter for m in meetings)
    parsed = _Instance(
        slots, tables, unavailable, meetings, cap, interpreter_tables if binds else None
    )
    if cap is not None:
        fixed = {m.id: m.fixed for m in meetings if m.fixed is not None}
        for person, breaks in _breaks_by_participant(meetings, fixed).items():
            if breaks > cap:
                parsed.raised_caps[person] = breaks
    for meeting in meetings:
        blocked = set().union(*(unavailable[p] for p in meeting.participants))
        candidates = range(slots) if meeting.allowed is None else sorted(meeting.allowed)
        meeting.domain = [s for s in candidates if s not in blocked]
    return parsed


# --- breaks ------------------------------------------------------------------------------------


def count_breaks(busy_slots) -> int:
    """Maximal runs of idle slots between two meetings of one participant."""
    ordered = sorted(busy_slots)
    return sum(1 for a, b in zip(ordered, ordered[1:], strict=False) if b > a + 1)


def _breaks_by_participant(meetings, placed: dict[str, int]) -> dict[str, int]:
    busy: dict[str, list[int]] = {}
    for meeting in meetings:
        if meeting.id in placed:
            for person in meeting.participants:
                busy.setdefault(person, []).append(placed[meeting.id])
    return {person: count_breaks(slots) for person, slots in busy.items()}


# --- output ------------------------------------------------------------------------------------


def _output(inst: _Instance, placed: dict[str, int], status: str, started: float) -> dict:
    """Tables are assigned after slots: the meetings of a slot take tables 0, 1, ... in order,
    those that need an interpreter first (tables 0 .. interpreter_tables - 1 have one)."""
    next_table: dict[int, int] = {}
    assignments = []
    for meeting in sorted(inst.meetings, key=lambda m: not m.interpreter):
        if meeting.id in placed:
            slot = placed[meeting.id]
            table = next_table.get(slot, 0)
            next_table[slot] = table + 1
            assignments.append({"meeting": meeting.id, "slot": slot, "table": table})
    assignments.sort(key=lambda a: (a["slot"], a["table"]))
    return {
        "assignments": assignments,
        "unscheduled": [m.id for m in inst.meetings if m.id not in placed],
        "breaks": sum(_breaks_by_participant(inst.meetings, placed).values()),
        "status": status,
        "seconds": round(time.perf_counter() - started, 3),
    }


@dataclass(frozen=True)
class FixedConflict:
    """Why the fixed meetings cannot all be held: a `kind` and the ids it concerns. Its text is
    the file contract's English; the app words it in the person's language."""

    kind: str  # "unavailable", "not_allowed", "tables" or "same_slot"
    slot: int
    meetings: tuple[str, ...]
    person: str | None = None

    def __str__(self) -> str:
        first = self.meetings[0]
        if self.kind == "unavailable":
            return f"{self.person} is unavailable in slot {self.slot}, where {first} is fixed"
        if self.kind == "not_allowed":
            return f"fixed meeting {first} is not allowed in slot {self.slot}"
        if self.kind == "tables":
            return f"more fixed meetings than (interpreter) tables in slot {self.slot}"
        return f"{self.person} has fixed meetings {first} and {self.meetings[1]} in one slot"


def _fixed_conflict(inst: _Instance) -> FixedConflict | None:
    """Fixed meetings must be held, so contradictions among them make the instance infeasible.
    (Their breaks never do: they raise their participants' caps, see `raised_caps`.)"""
    per_slot: dict[int, int] = {}
    interpreted: dict[int, int] = {}
    person_slot: dict[tuple[str, int], str] = {}
    for meeting in inst.meetings:
        if meeting.fixed is None:
            continue
        if meeting.fixed not in meeting.domain:
            away = [p for p in meeting.participants if meeting.fixed in inst.unavailable[p]]
            if away:
                return FixedConflict("unavailable", meeting.fixed, (meeting.id,), away[0])
            return FixedConflict("not_allowed", meeting.fixed, (meeting.id,))
        if not inst.fits(
            meeting, per_slot.get(meeting.fixed, 0), interpreted.get(meeting.fixed, 0)
        ):
            return FixedConflict("tables", meeting.fixed, (meeting.id,))
        per_slot[meeting.fixed] = per_slot.get(meeting.fixed, 0) + 1
        interpreted[meeting.fixed] = interpreted.get(meeting.fixed, 0) + meeting.interpreter
        for person in meeting.participants:
            other = person_slot.setdefault((person, meeting.fixed), meeting.id)
            if other != meeting.id:
                return FixedConflict("same_slot", meeting.fixed, (other, meeting.id), person)
    return None


# --- greedy ------------------------------------------------------------------------------------


def greedy(inst: _Instance) -> dict[str, int]:
    """Fixed meetings first, then by priority and fewest possible slots; each in the slot that
    adds the fewest breaks. Assumes no fixed conflict. Fast, far from optimal on breaks."""
    placed: dict[str, int] = {}
    busy: dict[str, set[int]] = {p: set() for p in inst.unavailable}
    load = [0] * inst.slots
    interpreted = [0] * inst.slots
    order = sorted(
        inst.meetings,
        key=lambda m: (m.fixed is None, -m.priority, len(m.domain), len(m.participants) * -1),
    )
    for meeting in order:
        options = [meeting.fixed] if meeting.fixed is not None else meeting.domain
        best = None
        for slot in options:
            if meeting.fixed is None and not inst.fits(meeting, load[slot], interpreted[slot]):
                continue
            if any(slot in busy[p] for p in meeting.participants):
                continue
            added = 0
            too_many = False
            for person in meeting.participants:
                after = count_breaks(busy[person] | {slot})
                added += after - count_breaks(busy[person])
                cap = inst.cap_of(person)
                if cap is not None and after > cap:
                    too_many = True
            if too_many and meeting.fixed is None:
                continue
            # Fewest new breaks, then the emptier slot, then earlier.
            key = (added, load[slot], slot)
            if best is None or key < best[0]:
                best = (key, slot)
        if best is not None:
            slot = best[1]
            placed[meeting.id] = slot
            load[slot] += 1
            interpreted[slot] += meeting.interpreter
            for person in meeting.participants:
                busy[person].add(slot)
    return placed


def improve(inst: _Instance, start: dict[str, int], budget: float) -> dict[str, int]:
    """Hill climbing on a feasible schedule within `budget` seconds: move single meetings to
    slots that lower their participants' breaks, and insert unscheduled meetings where they now
    fit. Every step keeps the hard rules and the break cap."""
    deadline = time.perf_counter() + budget
    placed: dict[str, int] = {}
    busy: dict[str, set[int]] = {p: set() for p in inst.unavailable}
    load = [0] * inst.slots
    interpreted = [0] * inst.slots

    def put(meeting, slot: int) -> None:
        placed[meeting.id] = slot
        load[slot] += 1
        interpreted[slot] += meeting.interpreter
        for person in meeting.participants:
            busy[person].add(slot)

    def lift(meeting) -> int:
        slot = placed.pop(meeting.id)
        load[slot] -= 1
        interpreted[slot] -= meeting.interpreter
        for person in meeting.participants:
            busy[person].discard(slot)
        return slot

    for meeting in inst.meetings:
        if meeting.id in start:
            put(meeting, start[meeting.id])

    def best_slot(meeting, current):
        base = sum(count_breaks(busy[p]) for p in meeting.participants)
        best = None
        for slot in meeting.domain:
            if slot == current or not inst.fits(meeting, load[slot], interpreted[slot]):
                continue
            if any(slot in busy[p] for p in meeting.participants):
                continue
            after = [count_breaks(busy[p] | {slot}) for p in meeting.participants]
            caps = [inst.cap_of(p) for p in meeting.participants]
            if any(c is not None and a > c for a, c in zip(after, caps, strict=True)):
                continue
            key = (sum(after) - base, load[slot], slot)
            if best is None or key < best[0]:
                best = (key, slot)
        return best

    changed = True
    while changed and time.perf_counter() < deadline:
        changed = False
        for meeting in inst.meetings:
            if time.perf_counter() >= deadline:
                break
            if meeting.fixed is not None:
                continue
            if meeting.id in placed:
                before = sum(count_breaks(busy[p]) for p in meeting.participants)
                current = lift(meeting)
                found = best_slot(meeting, None)
                without = sum(count_breaks(busy[p]) for p in meeting.participants)
                if found is not None and without + found[0][0] < before:
                    current, changed = found[1], True
                put(meeting, current)
            else:
                found = best_slot(meeting, None)
                if found is not None:
                    put(meeting, found[1])
                    changed = True
    return placed


def _cost(busy: set[int]) -> int:
    """What annealing minimises for one participant: the breaks, weighted, plus the idle slots
    between their first and last meeting, which slopes the plateaus between two break counts."""
    if not busy:
        return 0
    return 4 * count_breaks(busy) + max(busy) - min(busy) + 1 - len(busy)


def anneal(
    inst: _Instance, placed: dict[str, int], budget: float, seed: int = 0, enough: int = 0
) -> dict[str, int]:
    """Simulated annealing on the breaks of a schedule, within `budget` seconds; returns the best
    schedule seen (never worse than `placed`). Stops early at `enough` breaks (a known lower
    bound). A run that stalls starts again from the best schedule with fresh random choices,
    which escapes the valleys one long run stays in."""
    deadline = time.perf_counter() + budget
    best, fewest = dict(placed), _total_breaks(inst, placed)
    fruitless = 0
    for run in itertools.count():
        left = deadline - time.perf_counter()
        if fewest <= enough or left <= 0.01 or fruitless == 3:
            break
        found = _anneal_run(inst, best, left, random.Random(seed * 1_000_003 + run), enough)
        if found is None:
            break  # nothing can move
        breaks = _total_breaks(inst, found)
        fruitless = fruitless + 1 if breaks >= fewest else 0
        if breaks <= fewest:
            best, fewest = found, breaks
    return best


def _anneal_run(
    inst: _Instance, placed: dict[str, int], budget: float, rng: random.Random, enough: int
) -> dict[str, int] | None:
    """One annealing run from `placed`: the best schedule it sees, or None when no meeting can
    move. Stops at `enough` breaks or after a quarter of the budget (at most 1 s) without a
    better schedule. Keeps the scheduled set, the hard rules and the cap. Moves: a meeting to
    another slot of its domain where everyone is free and a table is left; two meetings exchange
    their slots; or a Kempe chain swaps slots. An exchange of two meetings of one participant
    leaves that participant's slots as they are and reorders the partners' days: the move that
    packs the light participants around the popular ones' runs, which single moves cannot. It
    minimises breaks (weighted) plus the idle slots inside each day, so that moves towards fewer
    breaks are downhill before the break disappears."""
    deadline = time.perf_counter() + budget
    movable = [i for i, m in enumerate(inst.meetings) if m.fixed is None and m.id in placed]
    if not movable:
        return None
    slot_of = {i: placed[m.id] for i, m in enumerate(inst.meetings) if m.id in placed}
    at: dict[tuple[str, int], int] = {}  # (person, slot) -> meeting index
    in_slot: dict[int, list[int]] = {s: [] for s in range(inst.slots)}
    interpreted = [0] * inst.slots
    for i, slot in slot_of.items():
        in_slot[slot].append(i)
        interpreted[slot] += inst.meetings[i].interpreter
        for person in inst.meetings[i].participants:
            at[person, slot] = i
    busy: dict[str, set[int]] = {}
    for person, slot in at:
        busy.setdefault(person, set()).add(slot)
    breaks = {person: _cost(slots) for person, slots in busy.items()}
    total = sum(breaks.values())
    real = {person: count_breaks(slots) for person, slots in busy.items()}
    current = best_total = sum(real.values())
    best = dict(slot_of)
    domains = {i: sorted(_domain(inst.meetings[i])) for i in movable}
    allowed = {i: set(slots) for i, slots in domains.items()}
    meetings_of: dict[str, list[int]] = {}
    for i in movable:
        for person in inst.meetings[i].participants:
            meetings_of.setdefault(person, []).append(i)
    caps = {p: inst.cap_of(p) for p in meetings_of} if inst.max_breaks is not None else None
    interpreter_limit = inst.interpreter_tables
    temperature, steps = 2.5, 0

    def apply(changes: list[tuple[int, int]]) -> None:
        for i, _slot in changes:  # lift every moved meeting first, then put them down
            old = slot_of[i]
            in_slot[old].remove(i)
            interpreted[old] -= inst.meetings[i].interpreter
            for person in inst.meetings[i].participants:
                del at[person, old]
                busy[person].discard(old)
        for i, slot in changes:
            slot_of[i] = slot
            in_slot[slot].append(i)
            interpreted[slot] += inst.meetings[i].interpreter
            for person in inst.meetings[i].participants:
                at[person, slot] = i
                busy[person].add(slot)

    def kempe_chain(i: int, source: int, target: int) -> list[tuple[int, int]] | None:
        """The meetings of slots `source` and `target` linked to meeting i through shared
        participants: exchanging all of them between the two slots keeps everyone in one meeting
        a slot (the timetabler's Kempe chain). None when one of them cannot move or the tables
        would not suffice."""
        chain, todo = {i}, [i]
        while todo:
            k = todo.pop()
            there = target if slot_of[k] == source else source
            if k not in allowed or there not in allowed[k]:
                return None
            for person in inst.meetings[k].participants:
                other = at.get((person, there))
                if other is not None and other not in chain:
                    chain.add(other)
                    todo.append(other)
        gain = sum(1 if slot_of[k] == source else -1 for k in chain)
        if len(in_slot[target]) + gain > inst.tables or len(in_slot[source]) - gain > inst.tables:
            return None
        return [(k, target if slot_of[k] == source else source) for k in chain]

    patience = min(budget / 4, 1.0)
    last_better = time.perf_counter()
    broken_people: list[str] = []
    while best_total > enough:
        steps += 1
        if steps % 200 == 1:
            now = time.perf_counter()
            if now >= deadline or now - last_better > patience:
                break
            temperature *= 0.97
            if temperature < 0.3:  # cooled down: heat up again from where it stands
                temperature = 2.5
            broken_people = [p for p, count in real.items() if count and p in meetings_of]
        if broken_people and rng.random() < 0.9:
            # Most participants have no break: spend most moves on the days that have one.
            i = rng.choice(meetings_of[rng.choice(broken_people)])
        else:
            i = rng.choice(movable)
        meeting = inst.meetings[i]
        source = slot_of[i]
        broken = [p for p in meeting.participants if real[p]]
        if broken and rng.random() < 0.5:
            # Aim at a gap in the day of a participant with a break, or just beside the day.
            mine = busy[rng.choice(broken)]
            near = [t for t in domains[i] if min(mine) - 1 <= t <= max(mine) + 1 and t not in mine]
            target = rng.choice(near) if near else rng.choice(domains[i])
        else:
            target = rng.choice(domains[i])
        if target == source:
            continue
        blockers = {at[p, target] for p in meeting.participants if (p, target) in at}
        if not blockers and len(in_slot[target]) < inst.tables:
            changes = [(i, target)]
        elif len(blockers) <= 1 and rng.random() < 0.5:
            j = blockers.pop() if blockers else rng.choice(in_slot[target])
            if j not in domains or source not in domains[j]:
                continue
            if any((p, source) in at and at[p, source] != i for p in inst.meetings[j].participants):
                continue
            changes = [(i, target), (j, source)]
        else:
            changes = kempe_chain(i, source, target)
            if changes is None:
                continue
        undo = [(k, slot_of[k]) for k, _ in changes]
        people = {p for k, _ in changes for p in inst.meetings[k].participants}
        before = sum(breaks[p] for p in people)
        apply(changes)
        after = {p: _cost(busy[p]) for p in people}
        delta = sum(after.values()) - before
        over = caps is not None and any(
            count_breaks(busy[p]) > caps.get(p, inst.max_breaks) for p in people
        )
        # Every move changes only `source` and `target`; tables are checked before it is made.
        over = over or (
            interpreter_limit is not None
            and max(interpreted[source], interpreted[target]) > interpreter_limit
        )
        if not over and (delta <= 0 or rng.random() < math.exp(-delta / temperature)):
            breaks.update(after)
            total += delta
            for person in people:
                counted = count_breaks(busy[person])
                current += counted - real[person]
                real[person] = counted
            if current < best_total:
                best_total, best = current, dict(slot_of)
                last_better = time.perf_counter()
        else:
            apply(undo)
    return {inst.meetings[i].id: slot for i, slot in best.items()}


# --- CP-SAT ------------------------------------------------------------------------------------


def _run_lengths(free: list[int]) -> list[int]:
    lengths: list[int] = []
    previous = None
    for slot in sorted(free):
        if previous is not None and slot == previous + 1:
            lengths[-1] += 1
        else:
            lengths.append(1)
        previous = slot
    return lengths


def _min_runs(count: int, free: list[int]) -> int:
    """Fewest runs of consecutive free slots that hold `count` meetings (implied constraint)."""
    if count <= 0:
        return 0
    covered = 0
    lengths = sorted(_run_lengths(free), reverse=True)
    for runs, length in enumerate(lengths, start=1):
        covered += length
        if covered >= count:
            return runs
    return max(1, len(lengths))


def _matches_all(domains: list[list[int]], busy: set[int]) -> bool:
    """Can each meeting take its own slot of `busy` within its domain (bipartite matching)?"""
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for slot in domains[i]:
            if slot in busy and slot not in seen:
                seen.add(slot)
                if slot not in owner or augment(owner[slot], seen):
                    owner[slot] = i
                    return True
        return False

    return all(augment(i, set()) for i in range(len(domains)))


def _break_floor(domains: list[list[int]], slots: int) -> int:
    """Fewest breaks one participant can have with all of `domains` (their meetings) held, on
    their own: 0 when some run of consecutive slots admits a matching of meetings to slots, 1
    when two runs do, else at least what `_min_runs` gives (and 2). Exact up to 1: stronger
    than `_min_runs`, which only looks at the union of the domains (implied constraint)."""
    count = len(domains)
    free = sorted({s for d in domains for s in d})
    floor = _min_runs(count, free) - 1
    if count < 2 or floor > 1:
        return max(floor, 0)
    usable = set(free)
    for start in range(slots - count + 1):
        run = set(range(start, start + count))
        if run <= usable and _matches_all(domains, run):
            return 0
    for first in range(slots):
        for length in range(1, count):
            head = set(range(first, first + length))
            if not head <= usable:
                break
            for second in range(first + length + 1, slots - (count - length) + 1):
                busy = head | set(range(second, second + count - length))
                if busy <= usable and _matches_all(domains, busy):
                    return 1
    return 2


def default_workers() -> int:
    """CP-SAT's portfolio needs about 8 workers to run both its bound-proving (core, LP) and its
    schedule-improving (LNS) searches; on fewer cores they share them, which works better than
    fewer workers. MATCHING_SOLVER_WORKERS overrides it."""
    configured = int(os.environ.get("MATCHING_SOLVER_WORKERS", 0))
    return max(1, min(16, configured or 8))


def solve(
    instance, time_limit: float = 30.0, workers: int | None = None, stats: dict | None = None
) -> dict:
    """Schedule an instance within `time_limit` seconds; return the contract's output dict.

    `stats`, when given, receives what the output cannot say: `bound`, a proven lower bound on
    the breaks at the scheduled score (None when unknown), the greedy start's figures, and for
    an instance whose fixed meetings contradict each other, `conflict` (a FixedConflict) and
    `reason`, its text."""
    started = time.perf_counter()
    stats = stats if stats is not None else {}
    stats.update(bound=None)
    inst = parse(instance)
    if conflict := _fixed_conflict(inst):
        stats.update(conflict=conflict, reason=str(conflict))
        return {
            "assignments": [],
            "unscheduled": [m.id for m in inst.meetings],
            "breaks": 0,
            "status": "infeasible",
            "seconds": round(time.perf_counter() - started, 3),
        }
    budget = 0.2 if not time_limit or time_limit <= 0 else min(2.0, 0.05 * time_limit)
    start_placed = improve(inst, greedy(inst), budget)
    stats.update(
        greedy_scheduled=len(start_placed), greedy_breaks=_total_breaks(inst, start_placed)
    )
    everything = all(m.id in start_placed for m in inst.meetings)
    if everything and stats["greedy_breaks"] == 0:
        stats["bound"] = 0
        return _output(inst, start_placed, "optimal", started)  # nothing left to improve
    if time_limit is None or time_limit <= 0:
        return _output(inst, start_placed, "timeout", started)
    return _solve_cp(
        inst, start_placed, float(time_limit), workers or default_workers(), started, stats
    )


class _Model:
    """The CP-SAT model of an instance.

    x[m,s] for s in m's domain; busy[p,s] = sum of p's x[.,s] (a boolean: one meeting a slot);
    tables bound the meetings of a slot (tables are identical, so they are assigned afterwards).
    Breaks: brk[p,s] >= busy[p,s] and not busy[p,s-1] and before[p,s], where before[p,s] >= any
    busy[p,k] with k < s: p resumes after an idle run, the end of one break. Only the ">="
    directions are needed because breaks are minimised or capped, never maximised.
    Implied: a participant is busy in exactly as many slots as they have meetings held; when
    every meeting is held, their breaks are at least what their own domains force."""

    def __init__(self, inst: _Instance, all_held: bool):
        from ortools.sat.python import cp_model

        self.inst = inst
        self.model = model = cp_model.CpModel()
        self.floors: dict[str, int] = {}  # each participant's own floor, all held
        self.x: dict[tuple[int, int], object] = {}
        self.held: list = []
        by_person_slot: dict[tuple[str, int], list] = {}
        by_slot: dict[int, list] = {}
        interpreted: dict[int, list] = {}  # by slot
        per_person: dict[str, list[int]] = {}
        for i, meeting in enumerate(inst.meetings):
            literals = []
            for slot in _domain(meeting):
                var = model.NewBoolVar(f"x{i}_{slot}")
                self.x[i, slot] = var
                literals.append(var)
                by_slot.setdefault(slot, []).append(var)
                if meeting.interpreter:
                    interpreted.setdefault(slot, []).append(var)
                for person in meeting.participants:
                    by_person_slot.setdefault((person, slot), []).append(var)
            for person in meeting.participants:
                per_person.setdefault(person, []).append(i)
            if all_held or meeting.fixed is not None:
                model.AddExactlyOne(literals)
                self.held.append(1)
            else:
                h = model.NewBoolVar(f"held{i}")
                model.Add(sum(literals) == h)
                self.held.append(h)
        for vars_ in by_slot.values():
            if len(vars_) > inst.tables:
                model.Add(sum(vars_) <= inst.tables)
        limit = inst.interpreter_tables
        for vars_ in interpreted.values():
            if limit is not None and len(vars_) > limit:
                model.Add(sum(vars_) <= limit)
        self.busy: dict[tuple[str, int], object] = {}
        self.own_busy: dict[tuple[str, int], object] = {}  # not a meeting's own x literal
        self.brk: dict[tuple[str, int], object] = {}
        self.before: dict[tuple[str, int], object] = {}
        self.breaks_of: dict[str, list] = {}
        self.zero: dict[str, object] = {}
        self.first: dict[str, dict[int, object]] = {}
        for person, indexes in per_person.items():
            for slot in range(inst.slots):
                vars_ = by_person_slot.get((person, slot))
                if not vars_:
                    continue
                if len(vars_) == 1:
                    self.busy[person, slot] = vars_[0]
                else:
                    b = model.NewBoolVar(f"b_{person}_{slot}")
                    model.Add(sum(vars_) == b)
                    self.busy[person, slot] = self.own_busy[person, slot] = b
            busy = [self.busy.get((person, slot)) for slot in range(inst.slots)]
            held = sum(self.held[i] for i in indexes)
            model.Add(sum(b for b in busy if b is not None) == held)
            if len(indexes) < 2:
                continue  # one meeting never makes a break
            breaks = []
            previous_before = None
            for slot in range(1, inst.slots):
                if busy[slot - 1] is None and previous_before is None:
                    continue  # nothing can happen before this slot
                before = model.NewBoolVar(f"pre_{person}_{slot}")
                self.before[person, slot] = before
                if busy[slot - 1] is not None:
                    model.AddImplication(busy[slot - 1], before)
                if previous_before is not None:
                    model.AddImplication(previous_before, before)
                previous_before = before
                if busy[slot] is None:
                    continue
                k = model.NewBoolVar(f"brk_{person}_{slot}")
                clause = [busy[slot].Not(), before.Not(), k]
                if busy[slot - 1] is not None:
                    clause.append(busy[slot - 1])
                model.AddBoolOr(clause)
                self.brk[person, slot] = k
                breaks.append(k)
            self.breaks_of[person] = breaks
            cap = inst.cap_of(person)
            if cap is not None and len(breaks) > cap:
                model.Add(sum(breaks) <= cap)
            if all_held and breaks:
                floor = _break_floor([_domain(inst.meetings[i]) for i in indexes], inst.slots)
                self.floors[person] = floor
                if floor > 0:
                    model.Add(sum(breaks) >= floor)
                self._add_block(person, len(indexes), busy, breaks)
        self.breaks = [k for ks in self.breaks_of.values() for k in ks]
        self.score = sum(m.priority * h for m, h in zip(inst.meetings, self.held, strict=True))

    def hold_everyone_at_their_floor(self) -> None:
        """Nobody has more breaks than their own floor. Since every floor is a lower bound,
        a schedule of this model is optimal, and when there is none the optimum is above the
        floors' sum. Much tighter than a bound on the sum: a participant without a break must be
        in one run of slots, which the solver propagates at once."""
        for person, breaks in self.breaks_of.items():
            if person in self.floors:
                self.model.Add(sum(breaks) <= self.floors[person])

    def _add_block(self, person: str, count: int, busy: list, breaks: list) -> None:
        """Implied, with every meeting held: `zero[person]` holds when they have no break, and
        then their busy slots are exactly one run of `count` slots from some start. The starts
        channel the busy literals much more tightly than the break literals alone."""
        model = self.model
        starts = [
            a
            for a in range(self.inst.slots - count + 1)
            if all(busy[s] is not None for s in range(a, a + count))
        ]
        if not starts:
            return  # no run of that length: the floor already forces a break
        zero = model.NewBoolVar(f"zero_{person}")
        self.zero[person] = zero
        first = {a: model.NewBoolVar(f"start_{person}_{a}") for a in starts}
        self.first[person] = first
        model.Add(sum(first.values()) == zero)
        model.Add(sum(breaks) == 0).OnlyEnforceIf(zero)
        model.AddBoolOr(breaks + [zero])  # no break: a single run
        for slot, b in enumerate(busy):
            if b is None:
                continue
            cover = [first[a] for a in starts if a <= slot < a + count]
            if cover:
                model.Add(b >= sum(cover))
            model.Add(b <= sum(cover) + 1 - zero)

    def hint(self, placed: dict[str, int]) -> None:
        """A complete hint (every variable) lets the solver start right from a schedule."""
        model = self.model
        model.ClearHints()
        busy_now = _busy_from(self.inst, placed)
        for (i, slot), var in self.x.items():
            model.AddHint(var, int(placed.get(self.inst.meetings[i].id) == slot))
        for i, meeting in enumerate(self.inst.meetings):
            if not isinstance(self.held[i], int):
                model.AddHint(self.held[i], int(meeting.id in placed))
        for (person, slot), var in self.own_busy.items():
            model.AddHint(var, int(slot in busy_now.get(person, ())))
        for (person, slot), var in self.before.items():
            model.AddHint(var, int(any(s < slot for s in busy_now.get(person, ()))))
        for (person, slot), var in self.brk.items():
            mine = busy_now.get(person, set())
            model.AddHint(
                var, int(slot in mine and slot - 1 not in mine and any(s < slot for s in mine))
            )
        for person, zero in self.zero.items():
            mine = busy_now.get(person, set())
            single = bool(mine) and max(mine) - min(mine) + 1 == len(mine)
            model.AddHint(zero, int(single))
            for start, var in self.first[person].items():
                model.AddHint(var, int(single and start == min(mine)))

    def placed(self, solver) -> dict[str, int]:
        return {
            self.inst.meetings[i].id: slot
            for (i, slot), var in self.x.items()
            if solver.BooleanValue(var)
        }


def _solve_cp(inst: _Instance, hint: dict[str, int], limit: float, workers: int, started, stats):
    from ortools.sat.python import cp_model

    # CP-SAT stops a little after its limit and the output takes a moment: keep a margin.
    deadline = started + limit - min(1.0, 0.02 * limit)
    upper = sum(m.priority for m in inst.meetings)
    hint_score = sum(m.priority for m in inst.meetings if m.id in hint)

    def solver_for(seconds: float, proving: bool = False):
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = workers
        solver.parameters.max_time_in_seconds = max(0.05, seconds)
        if proving:
            # The breaks' lower bound comes from the LP-based tree searches (lb_tree_search,
            # pseudo costs), which the default portfolio of 8 leaves out: make room for them.
            solver.parameters.ignore_subsolvers.extend(["core", "no_lp", "quick_restart"])
        return solver

    # Phase 1: the most (priority-weighted) meetings, unless the start already holds them all.
    if hint_score == upper:
        best_score, phase1_optimal = upper, True
    else:
        first = _Model(inst, all_held=False)
        first.hint(hint)
        first.model.Maximize(first.score)
        solver = solver_for(min(limit / 2, deadline - time.perf_counter()))
        result = solver.Solve(first.model)
        if result == cp_model.INFEASIBLE:
            return _output(inst, {}, "infeasible", started)
        if result not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return _output(inst, hint, "timeout", started)
        best_score = int(round(solver.ObjectiveValue()))
        stats["phase1_seconds"] = round(time.perf_counter() - started, 2)
        phase1_optimal = result == cp_model.OPTIMAL or best_score == upper
        if best_score < hint_score:  # never worse than the greedy start
            best_score = hint_score
        else:
            # Polish the solver's schedule (never unschedules) before phase 2 starts from it.
            found = improve(inst, first.placed(solver), min(1.0, 0.05 * limit))
            if best_score > hint_score or _total_breaks(inst, found) < _total_breaks(inst, hint):
                hint = found

    # Phase 2: keep that score, fewest breaks. The solver's LNS rarely finds the exchanges
    # that pack the partners' days around a popular participant, so annealing works on the
    # start and between rounds: two solver rounds, the second from the annealed best of the
    # first. The first round runs the default portfolio, which finds schedules; the second
    # the bound-proving one, and starts from the bound the first proved (same model). The best
    # schedule is optimal as soon as it meets the highest bound, the participants' floors first.
    floors = _floor_total(inst) if best_score == upper else 0
    bound = floors
    best_breaks = _total_breaks(inst, hint)
    sat: SatSearch | None = None
    running: list = []  # CP-SAT solves; the SAT search stops the last one when it settles it
    cores = _cores()

    def sat_reported() -> None:  # called from the SAT search's thread
        search = sat
        if search is None or not running:
            return
        found = _total_breaks(inst, search.schedule) if search.schedule else best_breaks
        settled = min(best_breaks, found) <= max(bound, search.none_below or 0)
        if settled or (search.none_at_caps and len(running) == 1):  # CP-SAT asks the same
            running[-1].StopSearch()

    def take_sat_news() -> None:
        nonlocal hint, bound, best_breaks
        if sat is None:
            return
        if sat.none_at_caps:
            bound = max(bound, floors + 1)
        bound = max(bound, sat.none_below or 0)
        if sat.schedule and (found := _total_breaks(inst, sat.schedule)) < best_breaks:
            hint, best_breaks = sat.schedule, found

    try:
        if best_score == upper and best_breaks > floors:
            # Everyone at their own floor: often feasible and then optimal; when not, CP-SAT's
            # presolve usually says so within seconds. A SAT solver is much the quicker to
            # find the schedule: it races CP-SAT here on a core of its own (and has a while
            # longer). No hint: the schedule so far leads them astray.
            at_floors = _Model(inst, all_held=True)
            at_floors.hold_everyone_at_their_floor()
            solver = solver_for(min(0.3 * limit, deadline - time.perf_counter()))
            running.append(solver)
            sat = _start_sat_search(
                inst, at_floors.floors, 0.4 * limit, deadline, sat_reported, cores[-1]
            )
            if sat:
                solver.parameters.num_workers = max(1, min(workers, len(cores) - 1))
                _pin(cores[:-1])  # CP-SAT's threads start from this one and keep to these
            result = solver.Solve(at_floors.model)
            if result in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                hint, best_breaks = at_floors.placed(solver), floors
            elif result == cp_model.INFEASIBLE:
                bound = floors + 1
                if sat:
                    sat.skip_caps()  # CP-SAT answered first
            take_sat_news()
        if best_breaks > bound:
            hint = anneal(inst, hint, min(10.0, 0.1 * limit), enough=bound)
            best_breaks = _total_breaks(inst, hint)
        take_sat_news()
        stats["annealed_breaks"] = best_breaks
        if best_breaks <= bound:
            stats["bound"] = bound
            return _output(inst, hint, "optimal", started)
        if sat:
            # Unless it finds everyone at their floor, the SAT search goes on to look for ever
            # fewer breaks than the annealed schedule while CP-SAT works on the bound.
            sat.descend_from(best_breaks)
        if best_score == upper:
            second = _Model(inst, all_held=True)
            second.model.Add(sum(second.breaks) >= bound)
        else:
            second = _Model(inst, all_held=False)
            second.model.Add(second.score >= best_score)
        second.model.Minimize(sum(second.breaks))
        for rounds_left in (2, 1):
            second.hint(hint)
            left = deadline - time.perf_counter()
            seconds = left / rounds_left if rounds_left > 1 else left
            solver = solver_for(seconds, proving=rounds_left == 1)
            running.append(solver)
            result = solver.Solve(second.model)
            if result in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                bound = max(bound, int(round(solver.BestObjectiveBound())))
                found = second.placed(solver)
                if (found_breaks := _total_breaks(inst, found)) < best_breaks:
                    hint, best_breaks = found, found_breaks
            take_sat_news()
            if result == cp_model.OPTIMAL or best_breaks <= bound:
                break
            if rounds_left > 1:
                polish = min(5.0, 0.05 * limit, max(0.0, deadline - time.perf_counter()) / 4)
                hint = anneal(inst, hint, polish, seed=rounds_left, enough=bound)
                best_breaks = _total_breaks(inst, hint)
                take_sat_news()
                if sat:
                    sat.descend_from(best_breaks)  # starts again if it still aims higher
                # The next round starts its proof afresh: hand it the bound this one proved.
                second.model.Add(sum(second.breaks) >= bound)
    finally:
        if sat:
            sat.stop()
        _pin(cores)
    if phase1_optimal:
        stats["bound"] = bound
    # The best schedule is never worse than the one phase 2 started from.
    status = "optimal" if phase1_optimal and best_breaks <= bound else "feasible"
    return _output(inst, hint, status if hint else "timeout", started)


def _cores() -> list[int]:
    """The cores this thread may run on (all of them where the system cannot say)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def _pin(cores: list[int]) -> None:
    """Keep this thread, and the threads it starts from now on, to `cores` (Linux only)."""
    if cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cores)


def _start_sat_search(
    inst: _Instance,
    floors: dict[str, int],
    caps_seconds: float,
    deadline: float,
    report,
    core: int,
):
    """Start the SAT search (see `sat_search`) on `core`, kept for it: everyone at their
    `floors` for `caps_seconds` at most, then ever fewer breaks. None when the forum is too small
    or too big for it to help."""
    from .sat_search import MAX_MEETINGS, MIN_MEETINGS, SatSearch

    if not MIN_MEETINGS <= len(inst.meetings) <= MAX_MEETINGS:
        return None
    problem = _sat_problem(inst, floors, deadline - time.perf_counter(), core)
    search = SatSearch(problem, [m.id for m in inst.meetings], caps_seconds)
    search.start(report)
    return search


def _sat_problem(
    inst: _Instance, floors: dict[str, int], seconds: float, core: int | None = None
) -> dict:
    """The SAT search's problem, every meeting held and everyone within the fairness cap."""
    caps = {person: inst.cap_of(person) for person in inst.unavailable}  # everyone
    caps = {person: inst.slots if cap is None else cap for person, cap in caps.items()}
    return {
        "slots": inst.slots,
        "tables": inst.tables,
        "meetings": [
            {"participants": m.participants, "domain": _domain(m), "interpreter": m.interpreter}
            for m in inst.meetings
        ],
        "interpreter_tables": inst.interpreter_tables,
        "caps": {person: min(floor, caps[person]) for person, floor in floors.items()},
        "cap": caps,
        "seconds": seconds,
        "core": core,
    }


def _floor_total(inst: _Instance) -> int:
    """The sum of every participant's own break floor: a lower bound with every meeting held."""
    domains: dict[str, list[list[int]]] = {}
    for meeting in inst.meetings:
        for person in meeting.participants:
            domains.setdefault(person, []).append(_domain(meeting))
    return sum(_break_floor(d, inst.slots) for d in domains.values() if len(d) > 1)


def _total_breaks(inst: _Instance, placed: dict[str, int]) -> int:
    return sum(_breaks_by_participant(inst.meetings, placed).values())


def _domain(meeting: _Meeting) -> list[int]:
    return [meeting.fixed] if meeting.fixed is not None else meeting.domain


def _busy_from(inst: _Instance, placed: dict[str, int]) -> dict[str, set[int]]:
    busy: dict[str, set[int]] = {}
    for meeting in inst.meetings:
        if meeting.id in placed:
            for person in meeting.participants:
                busy.setdefault(person, set()).add(placed[meeting.id])
    return busy


# --- the independent checker -------------------------------------------------------------------


def validate(instance, output) -> dict:
    """Recompute every hard rule of the contract and the breaks from `output` alone.

    Returns {"ok", "errors", "scheduled", "score", "breaks"}; `errors` lists every broken rule.
    Written without the solver's data structures so that it checks them rather than echoes them.
    """
    errors: list[str] = []
    slots, tables = instance["slots"], instance["tables"]
    interpreter_tables = instance.get("interpreter_tables") or 0
    unavailable = {p["id"]: set(p.get("unavailable") or []) for p in instance["participants"]}
    meetings = {m["id"]: m for m in instance["meetings"]}
    status = output.get("status")
    if status not in STATUSES:
        errors.append(f"unknown status {status!r}")
    for key in ("assignments", "unscheduled", "breaks", "status", "seconds"):
        if key not in output:
            errors.append(f"output lacks {key!r}")
    assigned: dict[str, tuple[int, int]] = {}
    for row in output.get("assignments", []):
        mid, slot, table = row.get("meeting"), row.get("slot"), row.get("table")
        if mid not in meetings:
            errors.append(f"unknown meeting {mid!r} assigned")
            continue
        if mid in assigned:
            errors.append(f"meeting {mid} assigned twice")
        if not isinstance(slot, int) or not 0 <= slot < slots:
            errors.append(f"meeting {mid} in slot {slot!r} outside 0..{slots - 1}")
        if not isinstance(table, int) or not 0 <= table < tables:
            errors.append(f"meeting {mid} at table {table!r} outside 0..{tables - 1}")
        assigned[mid] = (slot, table)
    unscheduled = output.get("unscheduled", [])
    if len(set(unscheduled)) != len(unscheduled):
        errors.append("a meeting is listed twice as unscheduled")
    if set(unscheduled) & set(assigned):
        errors.append("a meeting is both assigned and unscheduled")
    if status != "infeasible" and set(unscheduled) | set(assigned) != set(meetings):
        errors.append("assigned + unscheduled is not the set of meetings")
    seat: dict[tuple[str, int], str] = {}
    table_used: dict[tuple[int, int], str] = {}
    per_slot: dict[int, int] = {}
    busy: dict[str, list[int]] = {}
    for mid, (slot, table) in assigned.items():
        meeting = meetings[mid]
        allowed = meeting.get("allowed")
        if allowed is not None and slot not in allowed:
            errors.append(f"meeting {mid} in slot {slot}, not among its allowed slots")
        if meeting.get("fixed") is not None and meeting["fixed"] != slot:
            errors.append(f"fixed meeting {mid} moved from slot {meeting['fixed']} to {slot}")
        other = table_used.setdefault((slot, table), mid)
        if other != mid:
            errors.append(f"meetings {other} and {mid} share table {table} in slot {slot}")
        interpreted = isinstance(table, int) and table < interpreter_tables
        if meeting.get("interpreter") and not interpreted:
            errors.append(f"meeting {mid} needs an interpreter but sits at table {table!r}")
        per_slot[slot] = per_slot.get(slot, 0) + 1
        for person in meeting["participants"]:
            if slot in unavailable.get(person, set()):
                errors.append(f"{person} is unavailable in slot {slot} (meeting {mid})")
            other = seat.setdefault((person, slot), mid)
            if other != mid:
                errors.append(f"{person} is in meetings {other} and {mid} in slot {slot}")
            busy.setdefault(person, []).append(slot)
    for slot, count in per_slot.items():
        if count > tables:
            errors.append(f"{count} meetings in slot {slot} but only {tables} tables")
    if status != "infeasible":
        for mid, meeting in meetings.items():
            if meeting.get("fixed") is not None and mid not in assigned:
                errors.append(f"fixed meeting {mid} is not scheduled")
    breaks_by_person = {person: count_breaks(s) for person, s in busy.items()}
    breaks = sum(breaks_by_person.values())
    if output.get("breaks") != breaks:
        errors.append(f"reported breaks {output.get('breaks')!r} but the schedule has {breaks}")
    cap = instance.get("max_breaks_per_participant")
    if cap is not None:
        # Fixed meetings are held whatever they cost: their own breaks raise a person's cap.
        fixed: dict[str, list[int]] = {}
        for meeting in meetings.values():
            if meeting.get("fixed") is not None:
                for person in meeting["participants"]:
                    fixed.setdefault(person, []).append(meeting["fixed"])
        for person, count in breaks_by_person.items():
            allowed = max(cap, count_breaks(fixed.get(person, [])))
            if count > allowed:
                errors.append(f"{person} has {count} breaks, more than the cap {allowed}")
    score = sum(meetings[mid].get("priority") or 1 for mid in assigned)
    return {
        "ok": not errors,
        "errors": errors,
        "scheduled": len(assigned),
        "score": score,
        "breaks": breaks,
    }
