"""`flask kpi seed-targets` and `flask kpi report --fiscal-year 2025 [--out DIR]`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Blueprint, current_app

from convention.kpi import exports, services

cli = Blueprint("kpi_cli", __name__, cli_group="kpi")


@cli.cli.command("seed-targets")
def seed_targets() -> None:
    """Add the plan's KPI targets (FY2023–FY2025) where none exist yet."""
    added = services.seed_plan_targets()
    click.echo(f"{added} KPI target rows added.")


@cli.cli.command("report")
@click.option("--fiscal-year", "year", type=click.IntRange(2000, 2100), required=True)
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("."))
@click.option("--language", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
def report(year: int, out: Path, language: str) -> None:
    """Write the annual evaluation report as PDF and XLSX."""
    with current_app.test_request_context():
        for path in exports.write_annual_report(year, out, language):
            click.echo(str(path))
