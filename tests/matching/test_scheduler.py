"""The scheduler on the file contract: hard rules, optimality on tiny instances, statuses, CLI."""

from __future__ import annotations

import itertools
import json
import queue
import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.matching_bench import generate
from convention import create_app
from convention.matching.sat_search import (
    MAX_MEETINGS,
    MIN_MEETINGS,
    SatSearch,
    descend,
    schedule_within_caps,
)
from convention.matching.scheduler import (
    InstanceError,
    _break_floor,
    _Model,
    _output,
    _sat_problem,
    _total_breaks,
    anneal,
    count_breaks,
    greedy,
    improve,
    parse,
    solve,
    validate,
)


def brute_force(instance: dict) -> tuple[int, int] | None:
    """Best (priority score, -breaks) over every assignment; None when nothing is feasible."""
    slots, tables = instance["slots"], instance["tables"]
    interpreter_tables = instance.get("interpreter_tables") or 0
    off = {p["id"]: set(p.get("unavailable") or []) for p in instance["participants"]}
    cap = instance.get("max_breaks_per_participant")
    options = []
    for meeting in instance["meetings"]:
        if meeting.get("fixed") is not None:
            options.append([meeting["fixed"]])
            continue
        allowed = meeting.get("allowed")
        possible = [
            s
            for s in range(slots)
            if (allowed is None or s in allowed)
            and not any(s in off[p] for p in meeting["participants"])
        ]
        options.append([None, *possible])
    best = None
    for choice in itertools.product(*options):
        busy: dict[str, list[int]] = {}
        per_slot: dict[int, int] = {}
        interpreted: dict[int, int] = {}
        ok = True
        for meeting, slot in zip(instance["meetings"], choice, strict=True):
            if slot is None:
                continue
            if slot in off.get(meeting["participants"][0], set()) and meeting.get("fixed"):
                ok = False
            per_slot[slot] = per_slot.get(slot, 0) + 1
            if meeting.get("interpreter"):
                interpreted[slot] = interpreted.get(slot, 0) + 1
            for person in meeting["participants"]:
                if slot in busy.setdefault(person, []) or slot in off[person]:
                    ok = False
                busy[person].append(slot)
        if not ok or any(count > tables for count in per_slot.values()):
            continue
        if any(count > interpreter_tables for count in interpreted.values()):
            continue
        breaks = {p: count_breaks(s) for p, s in busy.items()}
        if cap is not None and any(b > cap for b in breaks.values()):
            continue
        score = sum(
            (m.get("priority") or 1)
            for m, slot in zip(instance["meetings"], choice, strict=True)
            if slot is not None
        )
        key = (score, -sum(breaks.values()))
        if best is None or key > best:
            best = key
    return best


def random_tiny(seed: int) -> dict:
    rng = random.Random(seed)
    slots = rng.randint(3, 5)
    people = [f"p{i}" for i in range(rng.randint(3, 5))]
    meetings = []
    for index in range(rng.randint(2, 5)):
        size = 3 if rng.random() < 0.15 else 2
        meeting = {
            "id": f"m{index}",
            "participants": rng.sample(people, size),
            "priority": rng.choice([1, 1, 2, 3]),
        }
        if rng.random() < 0.3:
            meeting["allowed"] = sorted(rng.sample(range(slots), rng.randint(1, slots)))
        if rng.random() < 0.3:
            meeting["interpreter"] = True
        meetings.append(meeting)
    tables = rng.randint(1, 2)
    return {
        "slots": slots,
        "tables": tables,
        "interpreter_tables": rng.randint(0, tables),
        "participants": [
            {"id": p, "unavailable": sorted(rng.sample(range(slots), rng.randint(0, 1)))}
            for p in people
        ],
        "meetings": meetings,
        "max_breaks_per_participant": rng.choice([None, 0, 1]),
    }


TWO_BY_TWO = {
    "slots": 4,
    "tables": 2,
    "participants": [{"id": "a", "unavailable": [0]}, {"id": "b"}, {"id": "c"}, {"id": "d"}],
    "meetings": [
        {"id": "m1", "participants": ["a", "b"], "priority": 1},
        {"id": "m2", "participants": ["a", "c"], "priority": 1, "allowed": [2, 3]},
        {"id": "m3", "participants": ["b", "c", "d"], "priority": 2, "fixed": 1},
    ],
    "max_breaks_per_participant": 2,
}


def test_small_instance_is_scheduled_optimally_and_checked():
    output = solve(TWO_BY_TWO, time_limit=5)
    check = validate(TWO_BY_TWO, output)
    assert check["ok"], check["errors"]
    assert output["status"] == "optimal"
    assert output["unscheduled"] == []
    slots = {row["meeting"]: row["slot"] for row in output["assignments"]}
    assert slots["m3"] == 1  # fixed
    assert slots["m2"] in (2, 3)  # allowed
    assert slots["m1"] != 0  # a is unavailable in slot 0
    assert output["breaks"] == 1  # b or c waits one slot: m1 and m2 share a


@pytest.mark.parametrize("seed", range(40))
def test_tiny_instances_match_brute_force(seed):
    instance = random_tiny(seed)
    output = solve(instance, time_limit=5, workers=2)
    best = brute_force(instance)
    check = validate(instance, output)
    if best is None:
        assert output["status"] == "infeasible"
        return
    assert check["ok"], check["errors"]
    assert output["status"] == "optimal"
    assert (check["score"], -check["breaks"]) == best


def test_breaks_are_minimised_not_just_meetings_placed():
    # p meets q, r and s; only slots 0, 2 and 4 suit all three without a break unless moved.
    instance = {
        "slots": 6,
        "tables": 1,
        "participants": [{"id": p} for p in "pqrs"],
        "meetings": [{"id": f"m{x}", "participants": ["p", x]} for x in "qrs"],
    }
    output = solve(instance, time_limit=5)
    assert validate(instance, output)["ok"]
    assert output["breaks"] == 0
    assert output["status"] == "optimal"


def test_fixed_meetings_that_collide_are_infeasible():
    instance = {
        "slots": 3,
        "tables": 2,
        "participants": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
        "meetings": [
            {"id": "m1", "participants": ["a", "b"], "fixed": 1},
            {"id": "m2", "participants": ["a", "c"], "fixed": 1},
        ],
    }
    stats: dict = {}
    output = solve(instance, time_limit=2, stats=stats)
    assert output["status"] == "infeasible"
    assert output["assignments"] == []
    assert validate(instance, output)["ok"]
    assert stats["reason"] == "a has fixed meetings m1 and m2 in one slot"


def test_fixed_in_an_unavailable_slot_is_infeasible():
    instance = {
        "slots": 3,
        "tables": 1,
        "participants": [{"id": "a", "unavailable": [2]}, {"id": "b"}],
        "meetings": [{"id": "m1", "participants": ["a", "b"], "fixed": 2}],
    }
    stats: dict = {}
    assert solve(instance, time_limit=2, stats=stats)["status"] == "infeasible"
    assert stats["reason"] == "a is unavailable in slot 2, where m1 is fixed"


def test_no_solver_time_gives_the_greedy_schedule_with_timeout_status():
    instance = {
        "slots": 5,
        "tables": 1,
        "participants": [{"id": p} for p in "abcd"],
        "meetings": [
            {"id": "m1", "participants": ["a", "b"], "fixed": 0},
            {"id": "m2", "participants": ["a", "c"], "fixed": 4},
            {"id": "m3", "participants": ["b", "d"]},
        ],
    }
    output = solve(instance, time_limit=0)
    assert output["status"] == "timeout"
    assert validate(instance, output)["ok"]
    assert output["unscheduled"] == []


def test_the_break_cap_leaves_a_meeting_out_rather_than_break_it():
    # a's fixed meetings in slots 0 and 2; a third meeting in slot 4 only would add a break.
    instance = {
        "slots": 5,
        "tables": 1,
        "participants": [{"id": p} for p in "abcd"],
        "meetings": [
            {"id": "m1", "participants": ["a", "b"], "fixed": 0},
            {"id": "m2", "participants": ["a", "c"], "fixed": 2},
            {"id": "m3", "participants": ["a", "d"], "allowed": [4]},
        ],
        "max_breaks_per_participant": 1,
    }
    output = solve(instance, time_limit=5)
    assert validate(instance, output)["ok"]
    assert output["unscheduled"] == ["m3"]
    assert output["breaks"] == 1


def _interpreted(slots: int, tables: int, interpreter_tables: int, *pairs: str) -> dict:
    """Meetings of two people each; an upper-case pair needs an interpreter."""
    instance = _pairs(slots, *(pair.lower() for pair in pairs))
    instance.update(tables=tables, interpreter_tables=interpreter_tables)
    for meeting, pair in zip(instance["meetings"], pairs, strict=True):
        meeting["interpreter"] = pair.isupper()
    return instance


@pytest.mark.parametrize("time_limit", [0, 5])
def test_meetings_that_need_an_interpreter_take_turns_at_the_interpreter_tables(time_limit):
    # Four tables, one with an interpreter: the three meetings that need one go to three
    # different slots, at table 0; the others sit anywhere.
    instance = _interpreted(3, 4, 1, "AB", "CD", "EF", "gh", "ij")
    output = solve(instance, time_limit=time_limit)
    assert validate(instance, output)["ok"]
    assert output["unscheduled"] == []
    seats = {row["meeting"]: (row["slot"], row["table"]) for row in output["assignments"]}
    assert {seats[m][1] for m in ("ab", "cd", "ef")} == {0}
    assert len({seats[m][0] for m in ("ab", "cd", "ef")}) == 3


def test_too_few_interpreter_tables_leave_a_meeting_out_rather_than_seat_it_without_one():
    # a meets b and c; c meets d. Without interpreters all three fit in two slots; with one
    # interpreter table "ab" and "cd" cannot share a slot, and then a and c have none in common.
    instance = _interpreted(2, 2, 1, "AB", "CD", "ac")
    output = solve(instance, time_limit=5)
    assert validate(instance, output)["ok"]
    assert len(output["unscheduled"]) == 1 and output["status"] == "optimal"
    everyone_speaks = {**instance, "interpreter_tables": 2}
    assert solve(everyone_speaks, time_limit=5)["unscheduled"] == []
    # Without any interpreter table, a meeting that needs one is never scheduled.
    assert solve({**instance, "interpreter_tables": 0}, time_limit=5)["unscheduled"] == ["ab", "cd"]


def test_annealing_never_closes_a_break_by_taking_a_busy_interpreter_table():
    # a meets b (with an interpreter) and c (pinned to slot 2). The interpreter table of slot 1
    # is pinned to d and e, so "ab" waits in slot 0 and a has one break: moving it to slot 1
    # would close the break at the price of an interpreter.
    instance = _interpreted(3, 2, 1, "AB", "ac", "DE")
    instance["meetings"][1]["fixed"], instance["meetings"][2]["fixed"] = 2, 1
    inst = parse(instance)
    start = greedy(inst)
    assert start["ab"] == 0
    annealed = anneal(inst, start, 0.3)
    output = _output(inst, annealed, "feasible", 0.0)
    assert validate(instance, output)["ok"] and output["breaks"] == 1


def test_fixed_meetings_that_break_the_cap_raise_it_for_their_participants_only():
    # a's published meetings sit in slots 0 and 2 (one cancelled in between): with a cap of 0
    # that is one break too many, but published meetings stay, so a's cap becomes 1. b still
    # has a cap of 0: "bd" must not leave b waiting between its meetings.
    instance = _pairs(4, "ab", "ac", "bd")
    instance["meetings"][0]["fixed"], instance["meetings"][1]["fixed"] = 0, 2
    instance["max_breaks_per_participant"] = 0
    for time_limit in (0, 5):
        output = solve(instance, time_limit=time_limit)
        assert output["status"] != "infeasible"
        assert validate(instance, output)["ok"]
        seats = {row["meeting"]: row["slot"] for row in output["assignments"]}
        assert (seats["ab"], seats["ac"]) == (0, 2)
        assert seats.get("bd", 1) == 1  # beside b's meeting in slot 0, or left out
    assert solve(instance, time_limit=5)["breaks"] == 1
    # The checker applies the same rule: a's break is allowed, b's is not.
    too_many = {
        "assignments": [
            {"meeting": "ab", "slot": 0, "table": 0},
            {"meeting": "ac", "slot": 2, "table": 0},
            {"meeting": "bd", "slot": 3, "table": 0},
        ],
        "unscheduled": [],
        "breaks": 2,
        "status": "feasible",
        "seconds": 0.0,
    }
    errors = validate(instance, too_many)["errors"]
    assert errors == ["b has 1 breaks, more than the cap 0"]


def test_fixed_meetings_beyond_the_interpreter_tables_are_infeasible():
    instance = _interpreted(2, 2, 1, "AB", "CD")
    instance["meetings"][0]["fixed"] = instance["meetings"][1]["fixed"] = 0
    output = solve(instance, time_limit=5)
    assert output["status"] == "infeasible"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda i: i.pop("slots"), "missing key 'slots'"),
        (lambda i: i.update(tables="x"), "'tables' must be"),
        (lambda i: i["meetings"][0].update(participants=["a", "zz"]), "unknown participant 'zz'"),
        (lambda i: i["meetings"][0].update(allowed=[9]), "9 is not a slot"),
        (lambda i: i["meetings"][0].update(fixed=-1), "'fixed' -1"),
        (lambda i: i["meetings"].append(dict(i["meetings"][0])), "listed twice"),
        (lambda i: i.update(max_breaks_per_participant=-2), "max_breaks_per_participant"),
        (lambda i: i["participants"][0].update(unavailable="0"), "must be a list"),
        (lambda i: i.update(interpreter_tables=3), "'interpreter_tables' must be"),
        (lambda i: i.update(interpreter_tables="1"), "'interpreter_tables' must be"),
        (lambda i: i["meetings"][0].update(interpreter="yes"), "'interpreter' must be true"),
        (
            lambda i: i["meetings"][0].update(participants=[["a"], "b"]),
            "['a'] is not a participant",
        ),
        (lambda i: i["meetings"][0].update(priority=10**20), "from 1 to 1000"),
        (lambda i: i.update(slots=10**9), "'slots' must be a whole number from 1 to 1000"),
        (lambda i: i.update(tables=-1), "'tables' must be a whole number from 0"),
    ],
)
def test_malformed_instances_name_the_problem(change, message):
    instance = json.loads(json.dumps(TWO_BY_TWO))
    change(instance)
    with pytest.raises(InstanceError, match=re.escape(message)):
        parse(instance)


def test_validate_catches_every_broken_rule():
    instance = json.loads(json.dumps(TWO_BY_TWO))
    instance["interpreter_tables"] = 1
    instance["meetings"][2]["interpreter"] = True
    bad = {
        "assignments": [
            {"meeting": "m1", "slot": 0, "table": 0},  # a unavailable in 0
            {"meeting": "m2", "slot": 0, "table": 0},  # not allowed; same table; a twice
            {"meeting": "m3", "slot": 2, "table": 5},  # fixed moved; table out of range
        ],
        "unscheduled": [],
        "breaks": 0,
        "status": "optimal",
        "seconds": 0.1,
    }
    errors = " | ".join(validate(instance, bad)["errors"])
    for expected in (
        "a is unavailable in slot 0",
        "not among its allowed slots",
        "share table 0 in slot",
        "a is in meetings m1 and m2",
        "fixed meeting m3 moved",
        "table 5 outside",
        "m3 needs an interpreter but sits at table 5",
    ):
        assert expected in errors


# --- the CLI works on files, with no database --------------------------------------------------


@pytest.fixture
def no_db_app():
    # A database URL that cannot be reached: any query would fail loudly.
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        }
    )


def test_cli_round_trip_without_a_database(no_db_app, tmp_path):
    source = tmp_path / "instance.json"
    source.write_text(json.dumps(TWO_BY_TWO))
    target = tmp_path / "schedule.json"
    result = no_db_app.test_cli_runner().invoke(
        args=["matching", "solve", str(source), "--out", str(target), "--time-limit", "5"]
    )
    assert result.exit_code == 0, result.output
    assert "optimal: 3 meetings scheduled" in result.output
    output = json.loads(target.read_text())
    assert set(output) == {"assignments", "unscheduled", "breaks", "status", "seconds"}
    assert validate(TWO_BY_TWO, output)["ok"]
    checked = no_db_app.test_cli_runner().invoke(
        args=["matching", "check", str(source), str(target)]
    )
    assert checked.exit_code == 0 and "valid: 3 meetings scheduled, 1 breaks" in checked.output
    output["assignments"][0]["slot"] = output["assignments"][1]["slot"]
    target.write_text(json.dumps(output))
    checked = no_db_app.test_cli_runner().invoke(
        args=["matching", "check", str(source), str(target)]
    )
    assert checked.exit_code == 1 and "INVALID" in checked.output


def test_cli_refuses_a_malformed_file_with_a_clear_message(no_db_app, tmp_path):
    source = tmp_path / "bad.json"
    source.write_text('{"slots": 3, "tables": 1, "participants": []}')
    result = no_db_app.test_cli_runner().invoke(
        args=["matching", "solve", str(source), "--out", str(tmp_path / "o.json")]
    )
    assert result.exit_code != 0
    assert "missing key 'meetings'" in result.output
    source.write_text("{not json")
    result = no_db_app.test_cli_runner().invoke(
        args=["matching", "solve", str(source), "--out", str(tmp_path / "o.json")]
    )
    assert "not valid JSON" in result.output
    # Well formed, but its fixed meetings cannot be held: the status comes with the reason.
    clash = json.loads(json.dumps(TWO_BY_TWO))
    clash["meetings"][0]["fixed"] = 0  # a is unavailable in slot 0
    source.write_text(json.dumps(clash))
    result = no_db_app.test_cli_runner().invoke(
        args=["matching", "solve", str(source), "--out", str(tmp_path / "o.json")]
    )
    assert "infeasible: 0 meetings scheduled" in result.output
    assert "cannot all be held: a is unavailable in slot 0, where m1 is fixed" in result.output


# --- properties on random instances ------------------------------------------------------------


@st.composite
def instances(draw):
    slots = draw(st.integers(2, 6))
    people = [f"p{i}" for i in range(draw(st.integers(2, 6)))]
    participants = [
        {"id": p, "unavailable": draw(st.lists(st.integers(0, slots - 1), max_size=2, unique=True))}
        for p in people
    ]
    meetings = []
    for index in range(draw(st.integers(0, 7))):
        group = draw(st.lists(st.sampled_from(people), min_size=2, max_size=3, unique=True))
        meeting = {"id": f"m{index}", "participants": group, "priority": draw(st.integers(1, 3))}
        if draw(st.booleans()):
            meeting["allowed"] = draw(
                st.lists(st.integers(0, slots - 1), min_size=1, max_size=slots, unique=True)
            )
        meeting["interpreter"] = draw(st.sampled_from([None, False, True]))
        meetings.append(meeting)
    tables = draw(st.integers(1, 3))
    return {
        "slots": slots,
        "tables": tables,
        "interpreter_tables": draw(st.one_of(st.none(), st.integers(0, tables))),
        "participants": participants,
        "meetings": meetings,
        "max_breaks_per_participant": draw(st.sampled_from([None, 0, 1, 2])),
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from([0, 3]))
def test_every_output_keeps_every_hard_rule(instance, time_limit):
    output = solve(instance, time_limit=time_limit, workers=1)
    check = validate(instance, output)
    assert check["ok"], check["errors"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_nothing_is_left_unscheduled_when_a_full_schedule_exists(instance):
    if len(instance["meetings"]) > 5:
        instance["meetings"] = instance["meetings"][:5]
    best = brute_force(instance)
    full = sum(m["priority"] for m in instance["meetings"])
    output = solve(instance, time_limit=5, workers=2)
    if best is not None and best[0] == full:
        assert output["unscheduled"] == []
        assert output["breaks"] == -best[1]


@settings(max_examples=150, deadline=None)
@given(
    st.integers(3, 8).flatmap(
        lambda slots: st.tuples(
            st.just(slots),
            st.lists(
                st.lists(st.integers(0, slots - 1), min_size=1, max_size=slots, unique=True),
                min_size=1,
                max_size=min(slots, 5),
            ),
        )
    )
)
def test_the_break_floor_of_one_participant_matches_brute_force(case):
    # The implied constraint must never cut a schedule: it is at most the fewest breaks one
    # participant can have with their meetings in distinct slots of their domains, and exact
    # up to 1 (0 and 1 are decided by matching meetings to one or two runs of slots).
    slots, domains = case
    fewest = min(
        (
            count_breaks(choice)
            for choice in itertools.product(*domains)
            if len(set(choice)) == len(choice)
        ),
        default=None,
    )
    floor = _break_floor(domains, slots)
    if fewest is not None:
        assert floor <= fewest
        assert min(floor, 2) == min(fewest, 2)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_annealing_keeps_every_rule_and_never_worsens_the_breaks(instance):
    inst = parse(instance)
    start = greedy(inst)
    annealed = anneal(inst, start, 0.05)
    assert set(annealed) == set(start)
    fixed = {m.id: m.fixed for m in inst.meetings if m.fixed is not None}
    assert all(annealed[mid] == slot for mid, slot in fixed.items() if mid in start)
    output = _output(inst, annealed, "feasible", 0.0)
    check = validate(instance, output)
    assert check["ok"], check["errors"]
    assert output["breaks"] <= _output(inst, start, "feasible", 0.0)["breaks"]


def test_annealing_closes_most_of_the_greedy_breaks_on_a_forum():
    # 30 participants, 90 meetings, 12 slots, 10 tables: the greedy start leaves about 25
    # breaks; a few seconds of exchanges bring them down to a handful (the optimum is 2).
    instance = generate(30, 90, 12, 10, seed=1)
    inst = parse(instance)
    start = improve(inst, greedy(inst), 0.5)
    before = _output(inst, start, "feasible", 0.0)["breaks"]
    output = _output(inst, anneal(inst, start, 3.0), "feasible", 0.0)
    assert validate(instance, output)["ok"]
    assert len(output["assignments"]) == len(start)
    assert output["breaks"] <= before // 2


def _pairs(slots: int, *pairs: str) -> dict:
    people = sorted({p for pair in pairs for p in pair})
    return {
        "slots": slots,
        "tables": 1,
        "participants": [{"id": p} for p in people],
        "meetings": [{"id": pair, "participants": list(pair)} for pair in pairs],
    }


def _cp_sat_at_floors(instance: dict) -> dict[str, int] | None:
    from ortools.sat.python import cp_model

    model = _Model(parse(instance), all_held=True)
    model.hold_everyone_at_their_floor()
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    status = solver.Solve(model.model)
    assert status in (cp_model.OPTIMAL, cp_model.INFEASIBLE)
    return model.placed(solver) if status == cp_model.OPTIMAL else None


def _sat_at_floors(instance: dict) -> dict[str, int] | None:
    inst = parse(instance)
    floors = _Model(inst, all_held=True).floors
    slots = schedule_within_caps(_sat_problem(inst, floors, seconds=5))
    return None if slots is None else {m.id: s for m, s in zip(inst.meetings, slots, strict=True)}


AT_FLOORS = pytest.mark.parametrize("at_floors", [_cp_sat_at_floors, _sat_at_floors])


@AT_FLOORS
def test_everyone_at_their_floor_gives_a_schedule_without_breaks_when_one_exists(at_floors):
    path = _pairs(3, "ab", "bc", "cd")  # a chain: b and c meet twice in a row
    placed = at_floors(path)
    assert placed is not None
    output = _output(parse(path), placed, "optimal", 0.0)
    assert validate(path, output)["ok"] and output["breaks"] == 0
    assert solve(path, time_limit=5)["breaks"] == 0


@AT_FLOORS
def test_everyone_at_their_floor_is_refused_when_the_meetings_force_a_break(at_floors):
    # Three people who all meet each other in three slots: whoever meets in the first and the
    # last slot waits in between, though nobody's own meetings force a break.
    triangle = _pairs(3, "ab", "bc", "ac")
    assert at_floors(triangle) is None
    stats: dict = {}
    output = solve(triangle, time_limit=5, stats=stats)
    assert (output["status"], output["breaks"], stats["bound"]) == ("optimal", 1, 1)


@AT_FLOORS
def test_everyone_at_their_floor_keeps_to_the_tables_and_to_each_participants_floor(at_floors):
    # Two meetings of different people, one table: not in the same slot.
    two = _pairs(2, "ab", "cd")
    placed = at_floors(two)
    assert placed is not None and placed["ab"] != placed["cd"]
    assert at_floors({**two, "slots": 1}) is None
    # a's meetings may only be in slots 0 and 2: a's floor is one break, which is allowed.
    apart = _pairs(3, "ab", "ac")
    apart["meetings"][0]["allowed"], apart["meetings"][1]["allowed"] = [0], [2]
    assert at_floors(apart) == {"ab": 0, "ac": 2}
    # With everyone capped at no break, a's floor cannot be met.
    apart["max_breaks_per_participant"] = 0
    assert at_floors(apart) is None


@AT_FLOORS
def test_everyone_at_their_floor_keeps_to_the_interpreter_tables(at_floors):
    both = _interpreted(2, 2, 1, "AB", "CD")
    placed = at_floors(both)
    assert placed is not None and placed["ab"] != placed["cd"]
    assert at_floors({**both, "slots": 1}) is None
    assert at_floors({**both, "slots": 1, "interpreter_tables": 2}) is not None


def _sat_problem_of(instance: dict, below: int | None = None) -> dict:
    inst = parse(instance)
    problem = _sat_problem(inst, _Model(inst, all_held=True).floors, seconds=5)
    return problem if below is None else {**problem, "below": below}


def test_the_sat_search_descends_to_the_fewest_breaks_and_says_when_none_are_fewer():
    # The triangle forces one break though nobody's floor is above zero.
    triangle = _pairs(3, "ab", "bc", "ac")
    news = list(descend(_sat_problem_of(triangle, below=3)))
    assert news[-1] == {"none_below": 1}
    schedules = [n["slots"] for n in news[:-1]]
    assert schedules  # at least the one-break schedule on the way down
    inst = parse(triangle)
    last = dict(zip([m.id for m in inst.meetings], schedules[-1], strict=True))
    output = _output(inst, last, "optimal", 0.0)
    assert validate(triangle, output)["ok"] and output["breaks"] == 1
    # Already at the fewest: nothing better, and it says so.
    assert list(descend(_sat_problem_of(triangle, below=1))) == [{"none_below": 1}]


def test_the_sat_search_keeps_everyone_within_the_fairness_cap():
    # a's meetings may only be two slots apart: with nobody allowed a break there is no schedule.
    apart = _pairs(3, "ab", "ac")
    apart["meetings"][0]["allowed"], apart["meetings"][1]["allowed"] = [0], [2]
    apart["max_breaks_per_participant"] = 0
    assert list(descend(_sat_problem_of(apart, below=4))) == [{"none_below": 4}]


def _triangle_search(caps_seconds: float | None = None) -> tuple[SatSearch, list]:
    triangle = _pairs(3, "ab", "bc", "ac")
    inst = parse(triangle)
    reports: list = []
    search = SatSearch(_sat_problem_of(triangle), [m.id for m in inst.meetings], caps_seconds)
    search.start(lambda: reports.append(search.none_below))
    return search, reports


def test_the_sat_search_reports_from_its_own_process_and_descends_when_told_from_where():
    search, reports = _triangle_search()
    search.descend_from(3)
    search.wait(timeout=10)
    # Nobody at their floor; then down to one break, which is proven the fewest.
    assert search.none_at_caps and search.none_below == 1
    assert len(reports) >= 3 and reports[-1] == 1
    triangle = _pairs(3, "ab", "bc", "ac")
    output = _output(parse(triangle), search.schedule, "optimal", 0.0)
    assert validate(triangle, output)["ok"] and output["breaks"] == 1


def test_the_sat_search_gives_up_the_floors_after_its_time_and_still_descends():
    search, _ = _triangle_search(caps_seconds=0.001)  # killed before it reads the question
    search.descend_from(3)
    search.wait(timeout=10)
    assert not search.none_at_caps  # never answered
    assert search.none_below == 1 and search.schedule is not None


def test_the_sat_search_starts_again_when_told_of_a_better_schedule():
    instance = generate(40, 120, 12, 12, seed=1)  # a dense forum: the descent takes a while
    inst = parse(instance)
    news: queue.Queue = queue.Queue()
    search = SatSearch(_sat_problem_of(instance), [m.id for m in inst.meetings], 0.001)
    search.start(lambda: news.put((search._process, _total_breaks(inst, search.schedule))))
    search.descend_from(60)
    first_child, first_breaks = news.get(timeout=30)
    assert first_breaks < 60
    search.descend_from(first_breaks // 2)  # another solver did much better
    child, breaks = news.get(timeout=30)
    while child is first_child:  # what the first child said before it was stopped
        child, breaks = news.get(timeout=30)
    search.stop()
    search.wait(timeout=10)
    assert first_child.returncode != 0  # stopped, to start again
    assert breaks < first_breaks // 2  # the new child's first schedule beats the better one


def test_a_stopped_sat_search_ends_without_news():
    search, reports = _triangle_search()
    search.stop()
    search.wait(timeout=10)
    assert not search._thread.is_alive()
    assert search.schedule is None and reports == []
    assert search._process is None or search._process.returncode != 0  # never began, or killed


def test_a_forum_within_reach_of_the_sat_search_is_still_solved_optimally():
    instance = generate(20, 60, 10, 8, seed=3)
    assert MIN_MEETINGS <= len(instance["meetings"]) <= MAX_MEETINGS
    stats: dict = {}
    output = solve(instance, time_limit=20, stats=stats)
    assert validate(instance, output)["ok"]
    assert output["status"] == "optimal" and output["breaks"] == stats["bound"]
