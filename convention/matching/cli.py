"""`flask matching ...`: the scheduler on a file (no database) and request expiry."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Blueprint

from convention.matching.scheduler import InstanceError, solve, validate

cli = Blueprint("matching_cli", __name__, cli_group="matching")


@cli.cli.command("solve")
@click.argument("instance", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--time-limit", type=float, default=30.0, show_default=True, help="seconds")
def solve_command(instance: Path, out: Path, time_limit: float) -> None:
    """Schedule the meetings of INSTANCE.json (the file contract) into --out SCHEDULE.json.

    Works on the file alone: no database is opened.
    """
    try:
        data = json.loads(instance.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.ClickException(f"{instance}: not valid JSON ({error})") from None
    if time_limit < 0:
        raise click.BadParameter("the time limit cannot be negative", param_hint="--time-limit")
    stats: dict = {}
    try:
        result = solve(data, time_limit=time_limit, stats=stats)
    except InstanceError as error:
        raise click.ClickException(f"{instance}: {error}") from None
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    click.echo(
        f"{result['status']}: {len(result['assignments'])} meetings scheduled, "
        f"{len(result['unscheduled'])} unscheduled, {result['breaks']} breaks, "
        f"{result['seconds']:.2f} s -> {out}"
    )
    if "reason" in stats:
        click.echo(f"The fixed meetings cannot all be held: {stats['reason']}")


@cli.cli.command("check")
@click.argument("instance", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("schedule", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check_command(instance: Path, schedule: Path) -> None:
    """Check SCHEDULE.json against INSTANCE.json: every hard rule and the breaks, recomputed."""
    try:
        data = json.loads(instance.read_text(encoding="utf-8"))
        output = json.loads(schedule.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.ClickException(f"not valid JSON ({error})") from None
    try:
        report = validate(data, output)
    except (KeyError, TypeError, AttributeError) as error:
        raise click.ClickException(f"malformed file: {error!r}") from None
    for problem in report["errors"]:
        click.echo(f"- {problem}")
    click.echo(
        f"{'valid' if report['ok'] else 'INVALID'}: {report['scheduled']} meetings scheduled, "
        f"{report['breaks']} breaks"
    )
    if not report["ok"]:
        raise SystemExit(1)


@cli.cli.command("expire")
def expire_command() -> None:
    """Expire meeting requests nobody answered before the scheduling deadline."""
    from convention.matching.services import expire_requests

    count = expire_requests()
    click.echo(f"{count} unanswered meeting requests expired")


@cli.cli.command("mark-from-checkins")
def mark_from_checkins_command() -> None:
    """Mark begun meetings held (both parties checked in at the tables) or no-show (slot over)."""
    from convention.events.services import current_edition
    from convention.matching.services import mark_from_checkins

    edition = current_edition()
    if edition is None:
        raise click.ClickException("no edition")
    counts = mark_from_checkins(edition)
    click.echo(f"{counts['held']} held, {counts['no_show']} no-show")
