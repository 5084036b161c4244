"""The dashboard, its live panel, targets editing, exports, reports and the public summary."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine
from openpyxl import load_workbook
from pypdf import PdfReader

from convention.extensions import db
from convention.kpi import services
from tests.factories import make_edition
from tests.helpers import sql_statements
from tests.kpi import scenario
from tests.kpi.builders import at, checkin_list, register, scan, seminar_with_sign_ups

EN = {"Accept-Language": "en"}
PANEL = {"HX-Request": "true", "HX-Target": "kpi-panel"}


@pytest.fixture
def world(app):
    with app.test_request_context():
        services.seed_plan_targets()
    return scenario.build()


def _card(html: str, code: int) -> str:
    start = html.index(f'id="kpi-{code}"')
    return html[start : html.index("</article>", start)]


def test_dashboard_shows_the_four_kpis_for_an_edition(world, organiser_client):
    response = organiser_client.get("/admin/kpi?edition=ydc-2025", headers=EN)
    assert response.status_code == 200
    html = response.text
    assert "<html" in html
    participants = _card(html, services.PARTICIPANTS)
    assert ">6 <" in participants.replace("\n", "")
    assert "Visits (every entry): 7" in participants
    # FY2025 is unique over both FY2025 editions (7 people) against the plan's 150.
    assert "7 of 150" in participants
    assert "8 of 300" in participants  # cumulative: FY2024 1 + FY2025 7, plan total 300
    students = _card(html, services.STUDENTS)
    assert ">1 <" in students.replace("\n", "")
    assert "2 of 50" in students
    assert ">2 <" in _card(html, services.MATCHINGS).replace("\n", "")
    assert ">1 <" in _card(html, services.DEALS).replace("\n", "")
    for title in (
        "Participant category",
        "Country or region",
        "Organisation type",
        "Students by university",
        "Seminar attendance",
        "Arrivals per 15 minutes at the main door",
        "Matching meetings: scheduled and held",
        "Deals and other follow-ups",
    ):
        assert title in html
    assert html.count("<svg") >= 8 and html.count("<table") >= 9
    assert 'hx-trigger="every 10s"' not in html  # the edition is over: no polling
    assert 'href="/kpi/summary/ydc-2025"' in html  # its public summary is switched on


def test_edition_that_is_its_whole_fiscal_year(world, organiser_client):
    html = organiser_client.get("/admin/kpi?edition=ydc-2024", headers=EN).text
    participants = _card(html, services.PARTICIPANTS)
    assert ">1 <" in participants.replace("\n", "")
    assert "Visits (every entry): 2" in participants
    assert "1 of 100" in participants  # FY2024 target
    assert "1 of 150" in participants  # cumulative FY2023–FY2024
    # The plan table still shows FY2025 from its own editions.
    assert "<strong>7</strong>" in html


def test_fiscal_year_scope(world, organiser_client):
    html = organiser_client.get("/admin/kpi?fy=2025", headers=EN).text
    assert "All editions of FY2025" in html
    assert "Visits (every entry): 9" in _card(html, services.PARTICIPANTS)


@pytest.mark.parametrize("query", ["?edition=nope", "?fy=abc", "?fy=1800"])
def test_unknown_scope_is_404(world, organiser_client, query):
    assert organiser_client.get(f"/admin/kpi{query}").status_code == 404


def test_panel_fragment_polls_while_running_and_286_once_over(app, organiser_client):
    # Travel forward only: a session cookie signed "in the future" would be refused.
    today = services.today_jst() + timedelta(days=1)
    edition = make_edition(today, days=2, slug="live", is_current=True)
    door = checkin_list(edition)
    scan(door, register(edition), at(today, "09:30"))
    db.session.commit()
    with time_machine.travel(at(today, "10:00"), tick=False):
        page = organiser_client.get("/admin/kpi", headers=EN)
        assert 'hx-trigger="every 10s"' in page.text
        assert "poll=1" in page.text
        fragment = organiser_client.get("/admin/kpi?edition=live&poll=1", headers={**EN, **PANEL})
        assert fragment.status_code == 200
        assert fragment.text.lstrip().startswith('<section id="kpi-panel"')
        assert "<html" not in fragment.text
        assert 'hx-trigger="every 10s"' in fragment.text
    with time_machine.travel(at(today + timedelta(days=2), "08:00"), tick=False):
        over = organiser_client.get("/admin/kpi?edition=live&poll=1", headers={**EN, **PANEL})
        assert over.status_code == 286
        assert 'hx-trigger="every 10s"' not in over.text
        assert "Not running" in over.text
        # A plain (non-polling) request for a finished edition is an ordinary page.
        assert organiser_client.get("/admin/kpi?edition=live", headers=EN).status_code == 200


def _seminar_row(html: str, title: str) -> list[str]:
    """The cells after the row header of a session in the seminar attendance table."""
    start = html.index(f'<th scope="row">{title}</th>')
    row = html[start : html.index("</tr>", start)]
    return [cell.split(">", 1)[1].strip() for cell in row.split("</td>")[:-1]]


def test_a_session_still_to_come_has_no_no_shows_on_the_page(app, organiser_client):
    # Travel forward only: a session cookie signed "in the future" would be refused.
    tomorrow = services.today_jst() + timedelta(days=1)
    edition = make_edition(tomorrow, days=1, slug="tomorrow")
    seminar_with_sign_ups(edition, "10:00", "Heat pumps", 2)
    line = "No-show rate over sessions with a check-in list"

    html = organiser_client.get("/admin/kpi?edition=tomorrow", headers=EN).text
    # Signed up 2, attended 0, walk-ins 0; no-shows and their rate not measured yet.
    assert _seminar_row(html, "Heat pumps")[1:] == ["2", "0", "0", "—", "—"]
    assert line not in html  # the total is not measured either: neither 0 % nor 100 %
    assert "No-shows count only once a session has begun." in html

    with time_machine.travel(at(tomorrow, "10:00"), tick=False):
        html = organiser_client.get("/admin/kpi?edition=tomorrow", headers=EN).text
    assert _seminar_row(html, "Heat pumps")[1:] == ["2", "0", "0", "2", "100"]
    assert f"{line}: 100%" in html


def _count_queries(client, url) -> int:
    with sql_statements() as statements:
        response = client.get(url, headers=EN)
    assert response.status_code == 200
    return len(statements)


def test_dashboard_queries_do_not_grow_with_the_data(app, organiser_client):
    with app.test_request_context():
        services.seed_plan_targets()
    world = scenario.build()
    small = _count_queries(organiser_client, "/admin/kpi?edition=ydc-2025")
    small_fy = _count_queries(organiser_client, "/admin/kpi?fy=2025")
    small_alone = _count_queries(organiser_client, "/admin/kpi?edition=ydc-2024")
    door = db.session.scalar(
        sa.select(services.CheckInList).where(
            services.CheckInList.edition_id == world.a.id,
            services.CheckInList.slug == "main-door",
        )
    )
    for index in range(40):
        person = register(world.a, country=("JP", "US", "TH", "VN")[index % 4])
        scan(door, person, at(world.a.start_date, "11:00"))
        scan(door, person, at(world.a.start_date, "14:30"))
    db.session.commit()
    assert _count_queries(organiser_client, "/admin/kpi?edition=ydc-2025") == small
    assert _count_queries(organiser_client, "/admin/kpi?fy=2025") == small_fy
    assert _count_queries(organiser_client, "/admin/kpi?edition=ydc-2024") == small_alone
    assert small < 30


def test_targets_inline_edit(world, organiser_client):
    page = organiser_client.get("/admin/kpi/targets", headers=EN)
    assert page.status_code == 200
    assert 'value="150"' in page.text
    saved = organiser_client.post(
        "/admin/kpi/targets/2025/3", data={"value": "180"}, headers={**EN, "HX-Request": "true"}
    )
    assert saved.status_code == 200
    assert "<html" not in saved.text
    assert 'value="180"' in saved.text and "Saved" in saved.text
    assert services.targets()[2025][3] == 180

    bad = organiser_client.post(
        "/admin/kpi/targets/2025/3", data={"value": "-5"}, headers={**EN, "HX-Request": "true"}
    )
    assert bad.status_code == 422
    assert "Enter a whole number of 0 or more." in bad.text
    assert 'aria-invalid="true"' in bad.text
    assert services.targets()[2025][3] == 180

    # Without JavaScript: a redirect after success, the page with the message after an error.
    plain = organiser_client.post("/admin/kpi/baseline/3", data={"value": "25"}, headers=EN)
    assert plain.status_code == 303
    assert services.baselines()[3] == 25
    plain_bad = organiser_client.post("/admin/kpi/baseline/3", data={"value": "x"}, headers=EN)
    assert plain_bad.status_code == 422
    assert "Enter a whole number of 0 or more." in plain_bad.text
    assert services.baselines()[3] == 25

    assert (
        organiser_client.post("/admin/kpi/targets/2025/9", data={"value": "1"}).status_code == 404
    )
    added = organiser_client.post("/admin/kpi/targets/year", data={"fiscal_year": "2026"})
    assert added.status_code == 303
    assert services.targets()[2026] == {1: 0, 2: 0, 3: 0, 4: 0}
    refused = organiser_client.post(
        "/admin/kpi/targets/year", data={"fiscal_year": "soon"}, headers=EN
    )
    assert refused.status_code == 422
    assert "Enter a fiscal year between 2000 and 2100." in refused.text


def test_breakdown_exports(world, organiser_client):
    response = organiser_client.get("/admin/kpi/export/category.csv?edition=ydc-2025", headers=EN)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["Category", "Registered (confirmed)", "Checked in (unique people)"]
    assert ["Student", "4", "3"] in rows

    for key in services.BREAKDOWN_KEYS:
        assert organiser_client.get(f"/admin/kpi/export/{key}.csv?fy=2025").status_code == 200, key
    xlsx = organiser_client.get("/admin/kpi/export/seminars.xlsx?edition=ydc-2025", headers=EN)
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("Session", "Starts (JST)", "Signed up")
    assert ("Offshore wind", "11/20 13:00", 2, 2, 1, 1, 50) in values

    every = organiser_client.get("/admin/kpi/export/all.xlsx?edition=ydc-2025", headers=EN)
    assert len(load_workbook(io.BytesIO(every.data)).sheetnames) == len(services.BREAKDOWN_KEYS)
    assert organiser_client.get("/admin/kpi/export/nope.csv").status_code == 404
    assert organiser_client.get("/admin/kpi/export/category.pdf").status_code == 404


def _pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_annual_report_pdf_and_xlsx(world, organiser_client):
    response = organiser_client.get("/admin/kpi/report/2025.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    text = _pdf_text(response.data)
    compact = text.replace(" ", "").replace("\n", "")
    for code in services.KPI_CODES:
        assert services.KPI_NAMES[code][0] in compact
    assert "2025" in text and "2023" in text
    assert "300" in compact and "150" in compact

    xlsx = organiser_client.get("/admin/kpi/report/2025.xlsx?lang=en")
    book = load_workbook(io.BytesIO(xlsx.data))
    sheet = book["KPI"]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row[0] == "KPI")
    assert rows[header][1] == "Before the project"
    assert rows[header][2:8:2] == ("FY2023", "FY2024", "FY2025")
    participants = rows[header + 2 + 2]
    assert participants[0].startswith("③")
    # baseline, FY2023 target/actual, FY2024, FY2025, cumulative target/actual/achievement
    assert participants[1:] == (0, 50, 0, 100, 1, 150, 7, 300, 8, 3)
    students = rows[header + 2 + 3]
    assert students[1:] == (0, 20, 0, 30, 1, 50, 2, 100, 3, 3)
    assert len(book.sheetnames) == 1 + len(services.BREAKDOWN_KEYS)
    assert organiser_client.get("/admin/kpi/report/2025.doc").status_code == 404


def test_report_command_writes_both_files(world, runner, tmp_path):
    result = runner.invoke(args=["kpi", "report", "--fiscal-year", "2025", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    pdf_file = tmp_path / "kpi-report-fy2025.pdf"
    xlsx_file = tmp_path / "kpi-report-fy2025.xlsx"
    assert str(pdf_file) in result.output and str(xlsx_file) in result.output
    assert "事業化件数" in _pdf_text(pdf_file.read_bytes())
    assert load_workbook(xlsx_file)["KPI"]["A1"].value


def test_seed_command(app, runner):
    assert "16 KPI target rows added" in runner.invoke(args=["kpi", "seed-targets"]).output
    assert "0 KPI target rows added" in runner.invoke(args=["kpi", "seed-targets"]).output


def test_public_summary(world, client):
    response = client.get("/kpi/summary/ydc-2025", headers=EN)
    assert response.status_code == 200
    html = response.text
    assert "Visits (every entry): 7" in html
    # No personal data: no names, emails or per-university rows, small countries merged.
    assert "example.org" not in html and "Test Person" not in html
    assert "Yokohama City University" not in html
    assert "Other countries and regions" in html
    assert client.get("/kpi/summary/ydc-2025-winter").status_code == 404  # not enabled
    assert client.get("/kpi/summary/nope").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/admin/kpi",
        "/admin/kpi/targets",
        "/admin/kpi/export/category.csv",
        "/admin/kpi/report/2025.pdf",
    ],
)
def test_only_organisers(app, door_client, attendee_client, client, url):
    assert door_client.get(url).status_code == 403
    assert attendee_client.get(url).status_code == 403
    assert client.get(url).status_code in (302, 303)
    assert door_client.post("/admin/kpi/targets/2025/1", data={"value": "9"}).status_code == 403
