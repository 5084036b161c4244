"""Downloads: CSV and XLSX of every breakdown, and the annual evaluation report (PDF and XLSX)
laid out like the plan's KPI table: before the project, increase per fiscal year (target and
actual), cumulative (target, actual, achievement)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from convention import pdf
from convention.kpi import services
from convention.kpi.models import KPI_CODES
from convention.timeutil import EVENT_ZONE, utcnow

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"


def scope_stem(scope: services.Scope) -> str:
    if scope.edition is not None:
        return scope.edition.slug
    return f"fy{scope.fiscal_year}"


def _cell(value):
    return "" if value is None else value


def breakdown_csv(breakdown: services.Breakdown) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read Japanese names correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.label for column in breakdown.columns])
    for row in breakdown.rows:
        writer.writerow([_cell(row.get(column.key)) for column in breakdown.columns])
    return buffer.getvalue().encode("utf-8-sig")


HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E8F3EC")


def _sheet_title(title: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:28] or "Sheet"
    name, number = base, 2
    while name in taken:
        name = f"{base[:25]} {number}"
        number += 1
    taken.add(name)
    return name


def _write_breakdown(workbook: Workbook, breakdown: services.Breakdown, taken: set[str]) -> None:
    sheet = workbook.create_sheet(_sheet_title(breakdown.title, taken))
    sheet.append([column.label for column in breakdown.columns])
    for cell in sheet[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    for row in breakdown.rows:
        sheet.append([row.get(column.key) for column in breakdown.columns])
    if breakdown.note:
        sheet.append([])
        sheet.append([breakdown.note])
    for index, column in enumerate(breakdown.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = 34 if not column.numeric else 16
    sheet.freeze_panes = "A2"


def breakdowns_xlsx(breakdowns: list[services.Breakdown]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    for breakdown in breakdowns:
        _write_breakdown(workbook, breakdown, taken)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the annual evaluation report ---------------------------------------------------------------


def report_filename(year: int, fmt: str) -> str:
    return f"kpi-report-fy{year}.{fmt}"


def fiscal_year_label(year: int) -> str:
    return _("FY%(year)s", year=year)


def plan_matrix(plan: services.PlanTable, year: int, language: str) -> dict:
    """The KPI table as plain cells: two header rows and one row per KPI (+ visits)."""
    years = [y for y in plan.years if y <= year]
    header_top = [_("KPI"), _("Before the project")]
    header_sub = ["", ""]
    for y in years:
        header_top += [fiscal_year_label(y), ""]
        header_sub += [_("Target"), _("Actual")]
    header_top += [_("Cumulative (FY%(first)s–FY%(last)s)", first=years[0], last=year), "", ""]
    header_sub += [_("Target"), _("Actual"), _("Achievement (%)")]
    rows = []
    for code in KPI_CODES:
        name = f"{services.KPI_MARKS[code]} {services.kpi_name(code, language)}"
        row = [name, plan.baseline.get(code, 0)]
        for y in years:
            row += [plan.target(y, code), plan.actual(y, code)]
        target = plan.cumulative_target(code, year)
        actual = plan.cumulative_actual(code, year)
        row += [target, actual, services.percent(actual, target)]
        rows.append(row)
    visits = [_("③ visits: every entry, for reference"), None]
    for y in years:
        visits += [None, plan.actuals.get(y, services.Figures()).visits]
    visits += [None, plan.cumulative_visits(year), None]
    rows.append(visits)
    return {"years": years, "header_top": header_top, "header_sub": header_sub, "rows": rows}


def _report_data(year: int, language: str) -> dict:
    editions = services.all_editions()
    matching = services.matching_by_edition()
    plan = services.plan_table(editions, upto=year, matching=matching)
    if year not in plan.years:
        plan.years = sorted([*plan.years, year])
    scope = services.fiscal_year_scope(year, editions)
    figures = services.figures_for(scope, matching)
    return {
        "year": year,
        "plan": plan,
        "scope": scope,
        "matrix": plan_matrix(plan, year, language),
        "breakdowns": services.breakdowns(scope, figures, language),
        "generated": utcnow().astimezone(EVENT_ZONE).strftime("%Y-%m-%d %H:%M"),
        "language": language,
    }


def _title(year: int) -> str:
    return _("Decarbonization Convention: KPI evaluation report, fiscal year %(year)s", year=year)


def _definitions() -> list[str]:
    return [
        _(
            "① Deals: held business-matching meetings with a follow-up marked as a deal "
            "(one per meeting)."
        ),
        _("② Business matchings: meetings that took place (held, not merely scheduled)."),
        _(
            "③ Participants: unique people checked in at the main door at least once (a "
            "successful, not undone entry scan); visits count every such entry."
        ),
        _("④ In-city students: unique checked-in students whose university is in the city."),
        _(
            "A fiscal year's figure counts each person once over its editions; the cumulative "
            "figure is the sum of the fiscal years."
        ),
    ]


def _num(value) -> str:
    return "—" if value is None else f"{value:,}"


def report_pdf(data: dict) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    styles = pdf.styles(size=9)
    small = pdf.styles(size=7.5)
    if data["language"] != "ja":
        # CJK wrapping breaks English words anywhere; wrap those at spaces.
        for style in (*styles.values(), *small.values()):
            style.wordWrap = None
    matrix = data["matrix"]
    years = matrix["years"]
    story = [
        Paragraph(_title(data["year"]), styles["title"]),
        Paragraph(
            _(
                "Editions: %(names)s",
                names=", ".join(
                    services.localized_name(e, data["language"]) for e in data["scope"].editions
                )
                or _("none"),
            ),
            styles["body"],
        ),
        Paragraph(_("Generated %(when)s (JST)", when=data["generated"]), styles["small"]),
        Spacer(1, 4 * mm),
    ]
    header_top = [Paragraph(str(cell), small["small"]) for cell in matrix["header_top"]]
    header_sub = [Paragraph(str(cell), small["small"]) for cell in matrix["header_sub"]]
    body = []
    for row in matrix["rows"]:
        body.append([Paragraph(str(row[0]), small["body"])] + [_num(v) for v in row[1:]])
    columns = len(matrix["header_top"])
    name_width = 44 * mm
    other = (178 * mm - name_width) / (columns - 1)
    table = Table(
        [header_top, header_sub, *body],
        colWidths=[name_width] + [other] * (columns - 1),
        repeatRows=2,
    )
    style = [
        *pdf.TABLE_GRID,
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("BACKGROUND", (0, 0), (-1, 1), colors.HexColor("#e8f3ec")),
        ("ALIGN", (1, 2), (-1, -1), "RIGHT"),
        ("SPAN", (0, 0), (0, 1)),
        ("SPAN", (1, 0), (1, 1)),
    ]
    for index in range(len(years)):
        start = 2 + 2 * index
        style.append(("SPAN", (start, 0), (start + 1, 0)))
    cumulative = 2 + 2 * len(years)
    style.append(("SPAN", (cumulative, 0), (cumulative + 2, 0)))
    table.setStyle(TableStyle(style))
    story += [table, Spacer(1, 3 * mm)]
    story += [Paragraph(text, small["small"]) for text in _definitions()]
    for breakdown in data["breakdowns"]:
        story.append(Paragraph(breakdown.title, styles["heading"]))
        if not breakdown.rows:
            story.append(Paragraph(_("No data."), styles["small"]))
            continue
        rows = [[Paragraph(str(c.label), small["small"]) for c in breakdown.columns]]
        for row in breakdown.rows:
            rows.append(
                [
                    _num(row.get(c.key))
                    if c.numeric
                    else Paragraph(str(_cell(row.get(c.key))), small["body"])
                    for c in breakdown.columns
                ]
            )
        first = 70 * mm if len(breakdown.columns) > 3 else 90 * mm
        rest = (178 * mm - first) / max(len(breakdown.columns) - 1, 1)
        part = Table(rows, colWidths=[first] + [rest] * (len(breakdown.columns) - 1), repeatRows=1)
        part.setStyle(
            TableStyle(
                [
                    *pdf.TABLE_GRID,
                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                    ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ]
            )
        )
        story.append(part)
        if breakdown.note:
            story.append(Paragraph(breakdown.note, small["small"]))
    return pdf.build(story, title=_title(data["year"]), author=_("Convention organisers"))


def report_xlsx(data: dict) -> bytes:
    matrix = data["matrix"]
    years = matrix["years"]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "KPI"
    sheet.append([_title(data["year"])])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([_("Generated %(when)s (JST)", when=data["generated"])])
    sheet.append([])
    sheet.append(matrix["header_top"])
    top_row = sheet.max_row
    sheet.append(matrix["header_sub"])
    for row in matrix["rows"]:
        sheet.append(row)
    for row in sheet.iter_rows(min_row=top_row, max_row=top_row + 1):
        for cell in row:
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.merge_cells(start_row=top_row, start_column=1, end_row=top_row + 1, end_column=1)
    sheet.merge_cells(start_row=top_row, start_column=2, end_row=top_row + 1, end_column=2)
    for index in range(len(years)):
        column = 3 + 2 * index
        sheet.merge_cells(
            start_row=top_row, start_column=column, end_row=top_row, end_column=column + 1
        )
    cumulative = 3 + 2 * len(years)
    sheet.merge_cells(
        start_row=top_row, start_column=cumulative, end_row=top_row, end_column=cumulative + 2
    )
    sheet.column_dimensions["A"].width = 40
    for index in range(2, len(matrix["header_top"]) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 12
    sheet.append([])
    for text in _definitions():
        sheet.append([text])
    taken = {"KPI"}
    for breakdown in data["breakdowns"]:
        _write_breakdown(workbook, breakdown, taken)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def annual_report(year: int, fmt: str, language: str = "ja") -> bytes:
    with force_locale(language):
        data = _report_data(year, language)
        return report_pdf(data) if fmt == "pdf" else report_xlsx(data)


def write_annual_report(year: int, out: Path, language: str = "ja") -> list[Path]:
    """Both files of the report into `out` (for `flask kpi report`)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with force_locale(language):
        data = _report_data(year, language)
        for fmt, build in (("pdf", report_pdf), ("xlsx", report_xlsx)):
            path = out / report_filename(year, fmt)
            path.write_bytes(build(data))
            written.append(path)
    return written
