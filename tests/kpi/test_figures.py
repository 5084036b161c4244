"""Every KPI figure against an independent count of the raw rows (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
import time_machine

from convention.extensions import db
from convention.kpi import services
from convention.kpi.models import KpiBaseline, KpiTarget
from convention.matching import services as matching
from tests.kpi import scenario
from tests.kpi.builders import at, seminar_with_sign_ups


@pytest.fixture
def world(app, request_context):
    return scenario.build()


def test_edition_figures_match_an_independent_count(world):
    a = world.a
    figures = services.figures_for(services.edition_scope(a))
    expected = scenario.expected_people({a.id})
    assert figures.participants == expected["participants"]
    assert figures.visits == expected["visits"]
    assert figures.students == expected["students"]
    # The scenario is what the definitions are about: p1 p2 p3 (cancelled later) p4 p5 p7 came;
    # p1 entered twice; only p4 is an in-city student (p6's scan was undone).
    assert (figures.participants, figures.visits, figures.students) == (6, 7, 1)
    held = scenario.expected_matching({a.id})
    assert (figures.held, figures.deals) == (held["held"], held["deals"]) == (2, 1)
    # The matching feature's own functions agree with the grouped queries used here.
    assert figures.held == matching.kpi_meetings_held([a.id])
    assert figures.deals == matching.kpi_deals([a.id])


def test_fiscal_year_counts_people_once_over_its_editions(world):
    editions = services.all_editions()
    scope = services.fiscal_year_scope(2025, editions)
    assert {e.slug for e in scope.editions} == {"ydc-2025", "ydc-2025-winter"}
    figures = services.figures_for(scope)
    expected = scenario.expected_people({world.a.id, world.b.id})
    assert figures.participants == expected["participants"] == 7  # p1 came to both: once
    assert figures.visits == expected["visits"] == 9
    assert figures.students == expected["students"] == 2

    by_year = services.people_by_fiscal_year()
    for year, counts in scenario.expected_people_by_fiscal_year().items():
        got = by_year.get(year, (0, 0, 0))
        assert got == (counts["participants"], counts["visits"], counts["students"]), year


def test_plan_table_years_targets_and_cumulative(world):
    services.seed_plan_targets()
    services.set_baseline(services.PARTICIPANTS, "40")
    plan = services.plan_table()
    assert plan.years == [2023, 2024, 2025]
    assert plan.baseline[services.PARTICIPANTS] == 40
    assert plan.target(2024, services.STUDENTS) == 30
    assert plan.cumulative_target(services.DEALS) == 12
    assert plan.cumulative_target(services.MATCHINGS) == 60
    assert plan.cumulative_target(services.PARTICIPANTS) == 300
    assert plan.cumulative_target(services.STUDENTS) == 100
    assert plan.cumulative_target(services.PARTICIPANTS, 2024) == 150
    fy24 = scenario.expected_people({world.c.id})
    fy25 = scenario.expected_people({world.a.id, world.b.id})
    assert plan.actual(2024, services.PARTICIPANTS) == fy24["participants"] == 1
    assert plan.actual(2023, services.PARTICIPANTS) == 0
    assert plan.cumulative_actual(services.PARTICIPANTS) == 1 + fy25["participants"]
    assert plan.cumulative_actual(services.STUDENTS) == 1 + fy25["students"]
    assert plan.cumulative_actual(services.MATCHINGS) == 3  # two in 2025, one in 2024
    assert plan.cumulative_actual(services.DEALS) == 2


def test_seed_is_idempotent_and_keeps_edits(app, request_context):
    assert services.seed_plan_targets() == 16
    services.set_target(2025, services.DEALS, "7")
    assert services.seed_plan_targets() == 0
    assert services.targets()[2025][services.DEALS] == 7
    assert app.extensions["sqlalchemy"].session.query(KpiTarget).count() == 12
    assert app.extensions["sqlalchemy"].session.query(KpiBaseline).count() == 4


@pytest.mark.parametrize("raw", ["-1", "abc", "", "1.5", "10000001"])
def test_targets_refuse_anything_but_non_negative_integers(app, request_context, raw):
    services.seed_plan_targets()
    with pytest.raises(services.InvalidValue):
        services.set_target(2025, services.DEALS, raw)
    with pytest.raises(services.InvalidValue):
        services.set_baseline(services.DEALS, raw)
    assert services.targets()[2025][services.DEALS] == 5
    assert services.baselines()[services.DEALS] == 0


def test_targets_accept_commas_and_full_width_digits(app, request_context):
    assert services.set_target(2026, services.PARTICIPANTS, "１,２００").target == 1200


def _rows_by_label(breakdown):
    return {row["label"]: row for row in breakdown.rows}


def test_category_country_and_organisation_breakdowns(world):
    from sqlalchemy import select

    from convention.registration.models import Registration

    ids = [world.a.id]
    people = scenario.expected_people(set(ids))["people"]
    registrations = db.session.scalars(
        select(Registration).where(Registration.edition_id == world.a.id)
    ).all()

    def independent(key):
        counts = {}
        for registration in registrations:
            group = counts.setdefault(key(registration), [set(), set()])
            if registration.status == "confirmed":
                group[0].add(registration.user_id)
            if registration.user_id in people:
                group[1].add(registration.user_id)
        return {k: (len(v[0]), len(v[1])) for k, v in counts.items() if v[0] or v[1]}

    labels = services.category_labels()
    got = {
        row["label"]: (row["registered"], row["checked_in"])
        for row in services.category_breakdown(ids).rows
    }
    expected = {str(labels[k]): v for k, v in independent(lambda r: r.category).items()}
    assert got == expected
    assert got["Student"] == (4, 3)  # p4 p5 p6 p7 registered; p6's scan was undone
    assert got["Government / overseas city"] == (1, 1)  # p10 confirmed only; p3 came

    countries = {
        row["code"]: (row["registered"], row["checked_in"])
        for row in services.country_breakdown(ids).rows
    }
    assert countries == independent(lambda r: r.country)
    assert countries["US"] == (1, 1)

    organisations = _rows_by_label(services.organisation_type_breakdown(ids))
    assert organisations["Company (overseas)"]["checked_in"] == 1
    assert organisations["Japanese government or municipality"]["checked_in"] == 1
    assert organisations["University / students"]["checked_in"] == 3
    assert organisations["International organisation"]["checked_in"] == 0
    assert sum(r["checked_in"] for r in organisations.values()) == len(people)


def test_university_breakdown(world):
    rows = _rows_by_label(services.university_breakdown([world.a.id]))
    assert rows["Yokohama City University"]["checked_in"] == 1
    assert rows["Yokohama City University"]["in_city"] is True
    assert rows["University of Tokyo"]["checked_in"] == 1
    assert rows["University not listed"]["checked_in"] == 1
    assert "Kanagawa University" not in rows  # p6's only scan was undone
    breakdown = services.university_breakdown([world.a.id])
    assert breakdown.totals == {"in_city": 1, "other": 2}
    assert breakdown.totals["in_city"] == scenario.expected_people({world.a.id})["students"]


def test_seminar_attendance_and_no_shows(world):
    rows = _rows_by_label(services.seminar_breakdown([world.a.id]))
    offshore = rows["Offshore wind"]
    # p1 and p2 signed up (p4's sign-up was cancelled); p1 came twice, p2's scan failed; p9
    # walked in without signing up.
    assert offshore["signed_up"] == 2
    assert offshore["attended"] == 2
    assert offshore["walk_ins"] == 1
    assert offshore["no_shows"] == 1
    assert offshore["no_show_rate"] == 50
    unmeasured = rows["Green finance"]
    assert unmeasured["signed_up"] == 1
    assert unmeasured["attended"] is None and unmeasured["no_show_rate"] is None


def test_no_shows_count_a_session_only_once_it_has_begun(world):
    # Day 2 at 14:00, with three sign-ups and nobody checked in yet.
    seminar_with_sign_ups(world.a, "14:00", "Hydrogen", 3, day=1)
    day2 = world.a.start_date.replace(day=21)

    with time_machine.travel(at(day2, "13:59"), tick=False):
        breakdown = services.seminar_breakdown([world.a.id])
    hydrogen = _rows_by_label(breakdown)["Hydrogen"]
    assert hydrogen["signed_up"] == 3  # the sign-ups stay visible
    assert hydrogen["no_shows"] is None and hydrogen["no_show_rate"] is None
    assert _rows_by_label(breakdown)["Offshore wind"]["no_show_rate"] == 50
    # The total is Offshore wind's alone: 1 of 2 signed up did not come.
    assert breakdown.totals == {"signed_up": 2, "no_show_rate": 50}

    with time_machine.travel(at(day2, "14:00"), tick=False):
        breakdown = services.seminar_breakdown([world.a.id])
    hydrogen = _rows_by_label(breakdown)["Hydrogen"]
    assert (hydrogen["no_shows"], hydrogen["no_show_rate"]) == (3, 100)
    assert breakdown.totals == {"signed_up": 5, "no_show_rate": 80}  # 4 of 5
    # `now=` gives the same answer without travelling.
    assert services.seminar_breakdown([world.a.id], now=at(day2, "14:00")).totals == (
        breakdown.totals
    )


def test_no_show_rate_is_not_measured_before_any_session_has_begun(world):
    day1 = world.a.start_date
    with time_machine.travel(at(day1, "12:59"), tick=False):  # Offshore wind starts at 13:00
        breakdown = services.seminar_breakdown([world.a.id])
    offshore = _rows_by_label(breakdown)["Offshore wind"]
    assert offshore["signed_up"] == 2
    assert offshore["no_shows"] is None and offshore["no_show_rate"] is None
    assert breakdown.totals["no_show_rate"] is None  # neither 0 % nor 100 %


def test_arrivals_per_quarter_hour_in_japan_time(world):
    breakdown = services.arrivals_breakdown([world.a.id])
    rows = {row["label"]: row["entries"] for row in breakdown.rows}
    assert rows["11/20 09:00"] == 3  # p1 09:05, p2 09:10, p3 09:14 (the failures do not count)
    assert rows["11/20 09:15"] == 0  # a gap inside the day is shown as zero
    assert rows["11/20 09:30"] == 1
    assert rows["11/20 10:00"] == 1  # p5; p6's undone scan does not count
    assert rows["11/21 09:15"] == 1
    assert rows["11/21 10:30"] == 1
    assert "11/20 16:00" not in rows  # an exit is not an arrival
    assert sum(rows.values()) == scenario.expected_people({world.a.id})["visits"]
    assert list(rows)[0] == "11/20 09:00"
    assert "11/20 23:45" not in rows  # no padding across the night


def test_meetings_and_deals_breakdowns(world):
    meetings = {
        row["label"]: row["meetings"] for row in services.meetings_breakdown([world.a.id]).rows
    }
    assert meetings == {
        "Scheduled (published)": 5,
        "Held": 2,
        "No-show": 1,
        "Cancelled": 1,
    }
    deals = {
        row["label"]: row["meetings"] for row in services.deals_breakdown([world.a.id], 1, 2).rows
    }
    assert deals["Deal (KPI ①)"] == 1
    assert deals["Proposal"] == 1
