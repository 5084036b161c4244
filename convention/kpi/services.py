"""The four KPIs of the city's plan and their breakdowns, as plain SQL aggregates.

Definitions (binding, see DESIGN.md "The KPIs"):

- ③ participants: UNIQUE people (registration → user) with at least one successful
  (result ok, not undone) IN scan at a MAIN_DOOR check-in list of the edition(s). Visits
  (延べ人数) are the number of such scans. A registration cancelled after its check-in still
  counts: the person came.
- ④ in-city students: the same people, restricted to registrations of category "student" whose
  university is flagged in-city.
- ② matchings held and ① deals: read from the matching feature's meetings and follow-ups
  (meetings with status held; held meetings with a follow-up marked as a deal, one per meeting).

A fiscal year's figure counts unique people over all editions of that fiscal year; the cumulative
figure is the sum of the fiscal years' figures, like the plan's cumulative target is the sum of its
yearly increases.

Every function here issues a fixed number of queries, whatever the amount of data: the dashboard
calls them once each.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Integer,
    and_,
    case,
    cast,
    distinct,
    extract,
    func,
    literal,
    literal_column,
    select,
    true,
)

from convention.accounts.models import ParticipantCategory
from convention.checkin.models import CheckInList, ListKind, Scan, ScanDirection, ScanResult
from convention.countries import country_name
from convention.events.models import Edition, Session, SessionKind
from convention.extensions import db
from convention.kpi.models import KPI_CODES, KpiBaseline, KpiTarget
from convention.refusals import Refusal
from convention.registration.models import (
    Registration,
    RegistrationStatus,
    SessionSignup,
    SignupStatus,
    University,
)
from convention.timeutil import EVENT_ZONE, fiscal_year, utcnow

# --- the KPIs -----------------------------------------------------------------------------------

DEALS, MATCHINGS, PARTICIPANTS, STUDENTS = KPI_CODES

# The plan's official names are content (the city's wording), kept in both languages.
KPI_NAMES = {
    DEALS: ("事業化件数", "Business deals"),
    MATCHINGS: ("ビジネスマッチング件数", "Business matchings held"),
    PARTICIPANTS: ("脱炭素コンベンションの参加者数", "Convention participants"),
    STUDENTS: ("市内大学学生の参加者数", "Participating students of in-city universities"),
}
KPI_MARKS = {DEALS: "①", MATCHINGS: "②", PARTICIPANTS: "③", STUDENTS: "④"}
KPI_UNITS = {DEALS: _l("deals"), MATCHINGS: _l("meetings"), PARTICIPANTS: _l("people")}
KPI_UNITS[STUDENTS] = KPI_UNITS[PARTICIPANTS]

# The regional revitalisation plan: target increase per fiscal year.
PLAN_TARGETS = {
    2023: {DEALS: 3, MATCHINGS: 10, PARTICIPANTS: 50, STUDENTS: 20},
    2024: {DEALS: 4, MATCHINGS: 20, PARTICIPANTS: 100, STUDENTS: 30},
    2025: {DEALS: 5, MATCHINGS: 30, PARTICIPANTS: 150, STUDENTS: 50},
}


def kpi_name(code: int, language: str) -> str:
    name_ja, name_en = KPI_NAMES[code]
    return name_ja if language == "ja" else name_en


def kpi_label(code: int, language: str) -> str:
    """The mark and the name for a page, joined by a no-break space: in a narrow column the
    Japanese name moved to the next line as one phrase and left "②" alone on the first."""
    return f"{KPI_MARKS[code]}\u00a0{kpi_name(code, language)}"


class InvalidValue(Refusal):
    """A target or baseline that is not a non-negative whole number."""


def parse_count(raw: str | int | None) -> int:
    """A non-negative integer typed by an organiser ("1,200" and full-width digits accepted)."""
    if isinstance(raw, int):
        value = raw
    else:
        text = (raw or "").strip().replace(",", "").replace("，", "")
        text = text.translate({ord("０") + i: str(i) for i in range(10)})
        if not text or not text.isascii() or not text.isdigit():
            raise InvalidValue(_("Enter a whole number of 0 or more."))
        value = int(text)
    if value < 0:
        raise InvalidValue(_("Enter a whole number of 0 or more."))
    if value > 10_000_000:
        raise InvalidValue(_("That number is too large."))
    return value


def seed_plan_targets() -> int:
    """Insert the plan's targets and zero baselines where none exist yet; returns rows added.

    Idempotent: targets an organiser already edited are kept.
    """
    existing = {
        (row.fiscal_year, row.kpi)
        for row in db.session.execute(select(KpiTarget.fiscal_year, KpiTarget.kpi))
    }
    added = 0
    for year, targets in PLAN_TARGETS.items():
        for code, target in targets.items():
            if (year, code) not in existing:
                db.session.add(KpiTarget(fiscal_year=year, kpi=code, target=target))
                added += 1
    baselines = set(db.session.scalars(select(KpiBaseline.kpi)))
    for code in KPI_CODES:
        if code not in baselines:
            db.session.add(KpiBaseline(kpi=code, value=0))
            added += 1
    db.session.commit()
    return added


def set_target(year: int, code: int, raw) -> KpiTarget:
    if code not in KPI_CODES:
        raise InvalidValue(_("Unknown KPI."))
    if not 2000 <= year <= 2100:
        raise InvalidValue(_("Enter a fiscal year between 2000 and 2100."))
    value = parse_count(raw)
    target = db.session.scalar(
        select(KpiTarget).where(KpiTarget.fiscal_year == year, KpiTarget.kpi == code)
    )
    if target is None:
        target = KpiTarget(fiscal_year=year, kpi=code)
        db.session.add(target)
    target.target = value
    db.session.commit()
    return target


def add_fiscal_year(raw) -> int:
    """Add a fiscal year with zero targets (to be filled in); an existing one is left alone."""
    try:
        year = int(str(raw).strip())
    except (TypeError, ValueError):
        raise InvalidValue(_("Enter a fiscal year between 2000 and 2100.")) from None
    if not 2000 <= year <= 2100:
        raise InvalidValue(_("Enter a fiscal year between 2000 and 2100."))
    have = set(db.session.scalars(select(KpiTarget.kpi).where(KpiTarget.fiscal_year == year)))
    for code in KPI_CODES:
        if code not in have:
            db.session.add(KpiTarget(fiscal_year=year, kpi=code, target=0))
    db.session.commit()
    return year


def set_baseline(code: int, raw) -> KpiBaseline:
    if code not in KPI_CODES:
        raise InvalidValue(_("Unknown KPI."))
    value = parse_count(raw)
    baseline = db.session.get(KpiBaseline, code)
    if baseline is None:
        baseline = KpiBaseline(kpi=code)
        db.session.add(baseline)
    baseline.value = value
    db.session.commit()
    return baseline


def targets() -> dict[int, dict[int, int]]:
    """{fiscal year: {kpi: target}}."""
    result: dict[int, dict[int, int]] = defaultdict(dict)
    for year, code, value in db.session.execute(
        select(KpiTarget.fiscal_year, KpiTarget.kpi, KpiTarget.target)
    ):
        result[year][code] = value
    return dict(result)


def baselines() -> dict[int, int]:
    values = dict.fromkeys(KPI_CODES, 0)
    values.update(db.session.execute(select(KpiBaseline.kpi, KpiBaseline.value)).all())
    return values


# --- scopes: one edition or one fiscal year ------------------------------------------------------


def all_editions() -> list[Edition]:
    return list(db.session.scalars(select(Edition).order_by(Edition.start_date.desc())))


def today_jst() -> date:
    return utcnow().astimezone(EVENT_ZONE).date()


def is_running(edition: Edition, today: date | None = None) -> bool:
    today = today or today_jst()
    return edition.start_date <= today <= edition.end_date


@dataclass
class Scope:
    """What the dashboard shows: one edition, or every edition of one fiscal year."""

    fiscal_year: int
    editions: list[Edition]
    edition: Edition | None = None

    @property
    def edition_ids(self) -> list[int]:
        return [edition.id for edition in self.editions]

    @property
    def running(self) -> bool:
        return any(is_running(edition) for edition in self.editions)

    @property
    def query_args(self) -> dict:
        if self.edition is not None:
            return {"edition": self.edition.slug}
        return {"fy": self.fiscal_year}


def edition_scope(edition: Edition) -> Scope:
    return Scope(fiscal_year=edition.fiscal_year, editions=[edition], edition=edition)


def fiscal_year_scope(year: int, editions: list[Edition]) -> Scope:
    return Scope(
        fiscal_year=year, editions=[e for e in editions if e.fiscal_year == year], edition=None
    )


# --- the four figures ---------------------------------------------------------------------------


@dataclass
class Figures:
    deals: int = 0
    held: int = 0
    participants: int = 0
    visits: int = 0
    students: int = 0

    def kpi(self, code: int) -> int:
        return {
            DEALS: self.deals,
            MATCHINGS: self.held,
            PARTICIPANTS: self.participants,
            STUDENTS: self.students,
        }[code]

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.deals + other.deals,
            self.held + other.held,
            self.participants + other.participants,
            self.visits + other.visits,
            self.students + other.students,
        )


def _fiscal_year_of(column):
    """The Japanese fiscal year of a date column, in SQL."""
    year = cast(extract("year", column), Integer)
    month = cast(extract("month", column), Integer)
    return case((month >= 4, year), else_=year - 1)


_edition_years = select(
    Edition.id.label("edition_id"), _fiscal_year_of(Edition.start_date).label("fiscal_year")
).subquery("edition_years")


def successful_entry():
    """WHERE conditions of a scan that counts as entering the venue (KPI ③ ④)."""
    return and_(
        Scan.result == ScanResult.OK,
        Scan.direction == ScanDirection.IN,
        Scan.undone_at.is_(None),
        Scan.registration_id.is_not(None),
        CheckInList.kind == ListKind.MAIN_DOOR,
    )


def entries(edition_ids: list[int] | None = None, exclude: list[int] | None = None):
    """Subquery: (registration_id, visits) of every registration that entered the venue.

    Grouping the scans per registration first (a hash aggregate) and joining the much smaller
    result to the registrations is several times faster than DISTINCT over the joined scans."""
    query = (
        select(
            Scan.registration_id.label("registration_id"),
            func.count(Scan.id).label("visits"),
        )
        .join(CheckInList, CheckInList.id == Scan.checkin_list_id)
        .where(successful_entry())
        .group_by(Scan.registration_id)
    )
    if edition_ids is not None:
        query = query.where(Scan.edition_id.in_(edition_ids))
    if exclude:
        query = query.where(Scan.edition_id.not_in(exclude))
    return query.subquery("entries")


def _people_query(
    key,
    edition_ids: list[int] | None = None,
    join_edition: bool = False,
    exclude: list[int] | None = None,
):
    """Per key: unique people, visits, unique in-city students. People are made unique per key
    with a GROUP BY (hash aggregates) rather than COUNT(DISTINCT) (sorts)."""
    came = entries(edition_ids, exclude)
    in_city_student = and_(
        Registration.category == ParticipantCategory.STUDENT, University.in_city == true()
    )
    per_person = (
        select(
            key.label("key"),
            Registration.user_id,
            func.sum(came.c.visits).label("visits"),
            func.max(case((in_city_student, 1), else_=0)).label("student"),
        )
        .select_from(came)
        .join(Registration, Registration.id == came.c.registration_id)
        .outerjoin(University, University.id == Registration.university_id)
    )
    if join_edition:
        # The fiscal year is computed once per edition, not once per person.
        per_person = per_person.join(
            _edition_years, _edition_years.c.edition_id == Registration.edition_id
        )
    per_person = per_person.group_by(key, Registration.user_id).subquery("per_person")
    return select(
        per_person.c.key,
        func.count(),
        func.coalesce(func.sum(per_person.c.visits), 0),
        func.coalesce(func.sum(per_person.c.student), 0),
    ).group_by(per_person.c.key)


def _counts(row) -> tuple[int, int, int]:
    return (int(row[1]), int(row[2]), int(row[3]))


def people_by_edition(edition_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """{edition id: (participants, visits, in-city students)} — one query."""
    if not edition_ids:
        return {}
    query = _people_query(Registration.edition_id, edition_ids)
    return {row[0]: _counts(row) for row in db.session.execute(query)}


def people_by_fiscal_year(
    exclude_edition_ids: list[int] | None = None,
) -> dict[int, tuple[int, int, int]]:
    """{fiscal year: (participants, visits, in-city students)}, unique over the year — one query.

    `exclude_edition_ids`: editions whose figures the caller already has (the live one)."""
    query = _people_query(
        _edition_years.c.fiscal_year, join_edition=True, exclude=exclude_edition_ids
    )
    return {int(row[0]): _counts(row) for row in db.session.execute(query)}


def people_in(edition_ids: list[int]) -> tuple[int, int, int]:
    """(participants, visits, in-city students), unique over the given editions — one query."""
    if not edition_ids:
        return (0, 0, 0)
    row = db.session.execute(_people_query(literal(1), edition_ids)).first()
    return _counts(row) if row else (0, 0, 0)


def matching_by_edition() -> dict[int, tuple[int, int]]:
    """{edition id: (deals, meetings held)} — two queries, the matching feature's definitions
    (`matching.services.kpi_deals` / `kpi_meetings_held`) grouped by edition."""
    from convention.matching.models import FollowUp, Meeting, MeetingStatus

    held = dict(
        db.session.execute(
            select(Meeting.edition_id, func.count(Meeting.id))
            .where(Meeting.status == MeetingStatus.HELD)
            .group_by(Meeting.edition_id)
        ).all()
    )
    deals = dict(
        db.session.execute(
            select(Meeting.edition_id, func.count(distinct(FollowUp.meeting_id)))
            .join(Meeting, Meeting.id == FollowUp.meeting_id)
            .where(Meeting.status == MeetingStatus.HELD, FollowUp.deal.is_(True))
            .group_by(Meeting.edition_id)
        ).all()
    )
    return {key: (deals.get(key, 0), held.get(key, 0)) for key in set(held) | set(deals)}


def figures_for(
    scope: Scope,
    matching: dict[int, tuple[int, int]] | None = None,
    people: tuple[int, int, int] | None = None,
) -> Figures:
    matching = matching_by_edition() if matching is None else matching
    participants, visits, students = people_in(scope.edition_ids) if people is None else people
    figures = Figures(participants=participants, visits=visits, students=students)
    for edition_id in scope.edition_ids:
        deals, held = matching.get(edition_id, (0, 0))
        figures.deals += deals
        figures.held += held
    return figures


# --- the plan table: baseline, yearly increase, cumulative -------------------------------------


@dataclass
class PlanTable:
    years: list[int]
    baseline: dict[int, int]
    targets: dict[int, dict[int, int]]
    actuals: dict[int, Figures]
    upto: int | None = None

    def target(self, year: int, code: int) -> int | None:
        return self.targets.get(year, {}).get(code)

    def actual(self, year: int, code: int) -> int:
        return self.actuals.get(year, Figures()).kpi(code)

    def _years_until(self, year: int | None) -> list[int]:
        last = year if year is not None else (self.years[-1] if self.years else None)
        return [y for y in self.years if last is None or y <= last]

    def cumulative_target(self, code: int, year: int | None = None) -> int:
        return sum(self.target(y, code) or 0 for y in self._years_until(year))

    def cumulative_actual(self, code: int, year: int | None = None) -> int:
        return sum(self.actual(y, code) for y in self._years_until(year))

    def cumulative_visits(self, year: int | None = None) -> int:
        return sum(self.actuals.get(y, Figures()).visits for y in self._years_until(year))


def plan_table(
    editions: list[Edition] | None = None,
    upto: int | None = None,
    matching: dict[int, tuple[int, int]] | None = None,
    people: dict[int, tuple[int, int, int]] | None = None,
) -> PlanTable:
    """Every fiscal year with a target or an edition (up to `upto`): a fixed number of queries."""
    editions = all_editions() if editions is None else editions
    matching = matching_by_edition() if matching is None else matching
    people = people_by_fiscal_year() if people is None else people
    goal = targets()
    actuals: dict[int, Figures] = defaultdict(Figures)
    for year, (participants, visits, students) in people.items():
        actuals[year] += Figures(participants=participants, visits=visits, students=students)
    for edition in editions:
        deals, held = matching.get(edition.id, (0, 0))
        actuals[edition.fiscal_year] += Figures(deals=deals, held=held)
    years = sorted(set(goal) | {e.fiscal_year for e in editions} | set(people))
    if upto is not None:
        years = [y for y in years if y <= upto]
    return PlanTable(years, baselines(), goal, dict(actuals), upto)


def percent(actual: int, target: int | None) -> int | None:
    if not target:
        return None
    return round(100 * actual / target)


# --- breakdowns ---------------------------------------------------------------------------------


@dataclass
class Column:
    key: str
    label: str
    numeric: bool = True


@dataclass
class Breakdown:
    """One table of the dashboard and its exports; `series` are the columns drawn as bars."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict]
    series: tuple[str, ...] = ()
    chart: str = "bars"  # "bars" (horizontal) or "columns" (a time line)
    note: str = ""
    totals: dict = field(default_factory=dict)

    @property
    def label_key(self) -> str:
        return self.columns[0].key


def category_labels() -> dict:
    from convention.accounts.forms import CATEGORY_LABELS

    return CATEGORY_LABELS


@dataclass(frozen=True)
class Cell:
    """People of one (category, country, university) combination: registered (confirmed) and
    checked in (KPI ③'s definition). The breakdowns by category, country, organisation type
    and university are sums of these cells, so one query serves all four."""

    category: str
    country: str
    university_id: int | None
    university_ja: str | None
    university_en: str | None
    in_city: bool
    registered: int
    checked_in: int
    visits: int = 0


def people_cells(edition_ids: list[int]) -> list[Cell]:
    """One query, at most one row per distinct combination (not per person).

    Within one edition a person has one registration, so the sums are exact; in a fiscal-year
    view a person who registered differently at two editions counts under each."""
    attended = entries(edition_ids)
    checked_in = attended.c.registration_id.is_not(None)
    confirmed = Registration.status == RegistrationStatus.CONFIRMED
    # One edition has one registration per person: plain counts (hash aggregate) are exact.
    people = (lambda x: func.count(distinct(x))) if len(edition_ids) > 1 else func.count
    query = (
        select(
            Registration.category,
            Registration.country,
            Registration.university_id,
            University.name_ja,
            University.name_en,
            University.in_city,
            people(case((confirmed, Registration.user_id))),
            people(case((checked_in, Registration.user_id))),
            func.coalesce(func.sum(attended.c.visits), 0),
        )
        .select_from(Registration)
        .outerjoin(attended, attended.c.registration_id == Registration.id)
        .outerjoin(University, University.id == Registration.university_id)
        .where(Registration.edition_id.in_(edition_ids))
        .group_by(
            Registration.category,
            Registration.country,
            Registration.university_id,
            University.name_ja,
            University.name_en,
            University.in_city,
        )
    )
    return [
        Cell(str(c), country, uid, ja, en, bool(in_city), registered, came, int(visits))
        for c, country, uid, ja, en, in_city, registered, came, visits in db.session.execute(query)
        if registered or came
    ]


def people_from_cells(cells: list[Cell]) -> tuple[int, int, int]:
    """KPI ③, visits and ④ of ONE edition from its cells (a person has one registration per
    edition, so the sums are the unique counts)."""
    students = sum(
        c.checked_in for c in cells if c.category == ParticipantCategory.STUDENT and c.in_city
    )
    return (sum(c.checked_in for c in cells), sum(c.visits for c in cells), students)


def _sum_cells(cells: list[Cell], key) -> dict:
    totals: dict = {}
    for cell in cells:
        registered, checked_in = totals.get(key(cell), (0, 0))
        totals[key(cell)] = (registered + cell.registered, checked_in + cell.checked_in)
    return totals


def _people_columns(label: str) -> list[Column]:
    return [
        Column("label", label, numeric=False),
        Column("registered", _("Registered (confirmed)")),
        Column("checked_in", _("Checked in (unique people)")),
    ]


def _by_people(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: (-row["checked_in"], -row["registered"], row["label"]))


def category_breakdown(edition_ids: list[int], cells: list[Cell] | None = None) -> Breakdown:
    cells = people_cells(edition_ids) if cells is None else cells
    labels = category_labels()
    rows = []
    for key, (registered, checked_in) in _sum_cells(cells, lambda c: c.category).items():
        category = ParticipantCategory(key)
        rows.append(
            {
                "label": str(labels.get(category, category.value)),
                "registered": registered,
                "checked_in": checked_in,
            }
        )
    return Breakdown(
        "category",
        _("Participant category"),
        _people_columns(_("Category")),
        _by_people(rows),
        series=("checked_in", "registered"),
    )


def country_breakdown(edition_ids: list[int], cells: list[Cell] | None = None) -> Breakdown:
    cells = people_cells(edition_ids) if cells is None else cells
    rows = [
        {
            "label": country_name(code) or code or _("Not given"),
            "code": code,
            "registered": registered,
            "checked_in": checked_in,
        }
        for code, (registered, checked_in) in _sum_cells(cells, lambda c: c.country).items()
    ]
    columns = _people_columns(_("Country or region"))
    columns.insert(1, Column("code", _("Code"), numeric=False))
    return Breakdown(
        "country",
        _("Country or region"),
        columns,
        _by_people(rows),
        series=("checked_in", "registered"),
    )


# Organisation type, derived from the registration's category and country (decision recorded
# in the README): companies, sponsors and exhibitors are companies; government registrations from
# Japan are Japanese authorities, from abroad overseas cities and governments.
COMPANY_CATEGORIES = (
    ParticipantCategory.BUSINESS,
    ParticipantCategory.SPONSOR_STAFF,
    ParticipantCategory.EXHIBITOR,
)
ORGANISATION_TYPES = {
    "company_domestic": _l("Company (Japan)"),
    "company_overseas": _l("Company (overseas)"),
    "government_domestic": _l("Japanese government or municipality"),
    "government_overseas": _l("Overseas city or government"),
    "international_organisation": _l("International organisation"),
    "academia": _l("University / students"),
    "press": _l("Press and media"),
    "citizen": _l("Citizen / individual"),
}


def organisation_type(category: str, country: str) -> str:
    domestic = country == "JP"
    if category in COMPANY_CATEGORIES:
        return "company_domestic" if domestic else "company_overseas"
    if category == ParticipantCategory.GOVERNMENT:
        return "government_domestic" if domestic else "government_overseas"
    return {
        ParticipantCategory.INTERNATIONAL_ORGANISATION: "international_organisation",
        ParticipantCategory.STUDENT: "academia",
        ParticipantCategory.PRESS: "press",
    }.get(category, "citizen")


def organisation_type_breakdown(
    edition_ids: list[int], cells: list[Cell] | None = None
) -> Breakdown:
    cells = people_cells(edition_ids) if cells is None else cells
    found = _sum_cells(cells, lambda c: organisation_type(c.category, c.country))
    rows = [
        {"label": str(label), "registered": found[key][0], "checked_in": found[key][1]}
        for key, label in ORGANISATION_TYPES.items()
        if key in found
    ]
    return Breakdown(
        "organisation_type",
        _("Organisation type"),
        _people_columns(_("Organisation type")),
        rows,
        series=("checked_in", "registered"),
        note=_(
            "Derived from the participant category and the country of the registration: "
            "business, sponsor and exhibitor registrations are companies; government "
            "registrations from Japan are Japanese authorities, from abroad overseas cities."
        ),
    )


def university_breakdown(
    edition_ids: list[int], language: str = "en", cells: list[Cell] | None = None
) -> Breakdown:
    """Checked-in students per university; the in-city ones make KPI ④."""
    cells = people_cells(edition_ids) if cells is None else cells
    students = [c for c in cells if c.category == ParticipantCategory.STUDENT and c.checked_in]
    names = {c.university_id: (c.university_ja, c.university_en, c.in_city) for c in students}
    rows = []
    for university_id, (_registered, checked_in) in _sum_cells(
        students, lambda c: c.university_id
    ).items():
        name_ja, name_en, in_city = names[university_id]
        label = (name_ja if language == "ja" else name_en) or name_en or name_ja
        rows.append(
            {
                "label": label if university_id else _("University not listed"),
                "group": _("In the city") if in_city else _("Elsewhere"),
                "in_city": in_city,
                "checked_in": checked_in,
            }
        )
    rows.sort(key=lambda row: (not row["in_city"], -row["checked_in"], row["label"]))
    totals = {
        "in_city": sum(r["checked_in"] for r in rows if r["in_city"]),
        "other": sum(r["checked_in"] for r in rows if not r["in_city"]),
    }
    return Breakdown(
        "university",
        _("Students by university"),
        [
            Column("label", _("University"), numeric=False),
            Column("group", _("Location"), numeric=False),
            Column("checked_in", _("Checked-in students")),
        ],
        rows,
        series=("checked_in",),
        totals=totals,
    )


def seminar_breakdown(
    edition_ids: list[int], language: str = "en", now: datetime | None = None
) -> Breakdown:
    """Per session: confirmed sign-ups, people who came (session check-in lists), no-shows.
    No-shows and their rate (per session and overall) only for sessions that have begun."""
    now = now or utcnow()
    entered = and_(
        Scan.result == ScanResult.OK,
        Scan.direction == ScanDirection.IN,
        Scan.undone_at.is_(None),
        Scan.registration_id.is_not(None),
    )
    # (session, registration) pairs that came in through the session's check-in list; starting
    # from the scope's few session lists lets PostgreSQL use the (list, registration) index.
    session_lists = (
        select(CheckInList.id, CheckInList.session_id)
        .where(CheckInList.session_id.is_not(None), CheckInList.edition_id.in_(edition_ids))
        .subquery("session_lists")
    )
    present = (
        select(
            session_lists.c.session_id.label("session_id"),
            Scan.registration_id.label("registration_id"),
        )
        .select_from(session_lists)
        .join(Scan, Scan.checkin_list_id == session_lists.c.id)
        .where(entered)
        .distinct()
        .subquery()
    )
    # ... and how many of them had signed up (one pass over the scans for both numbers).
    attended = (
        select(
            present.c.session_id,
            func.count().label("n"),
            func.count(SessionSignup.id).label("came"),
        )
        .select_from(present)
        .outerjoin(
            SessionSignup,
            and_(
                SessionSignup.session_id == present.c.session_id,
                SessionSignup.registration_id == present.c.registration_id,
                SessionSignup.status == SignupStatus.CONFIRMED,
            ),
        )
        .group_by(present.c.session_id)
        .subquery()
    )
    in_scope = select(Session.id).where(Session.edition_id.in_(edition_ids))
    signed_up = (
        select(SessionSignup.session_id.label("session_id"), func.count().label("n"))
        .where(
            SessionSignup.status == SignupStatus.CONFIRMED,
            SessionSignup.session_id.in_(in_scope),
        )
        .group_by(SessionSignup.session_id)
        .subquery()
    )
    lists = (
        select(CheckInList.session_id.label("session_id"), func.count().label("n"))
        .where(CheckInList.session_id.is_not(None), CheckInList.edition_id.in_(edition_ids))
        .group_by(CheckInList.session_id)
        .subquery()
    )
    title = Session.title_ja if language == "ja" else Session.title_en
    query = (
        select(
            Session.id,
            title,
            Session.starts_at,
            func.coalesce(signed_up.c.n, 0),
            func.coalesce(attended.c.n, 0),
            func.coalesce(attended.c.came, 0),
            func.coalesce(lists.c.n, 0),
        )
        .outerjoin(signed_up, signed_up.c.session_id == Session.id)
        .outerjoin(attended, attended.c.session_id == Session.id)
        .outerjoin(lists, lists.c.session_id == Session.id)
        .where(Session.edition_id.in_(edition_ids), Session.kind != SessionKind.MATCHING)
        .order_by(Session.starts_at, Session.id)
    )
    rows = []
    total_signed, total_came = 0, 0
    for _id, label, starts_at, signed, present, showed, has_list in db.session.execute(query):
        measured = bool(has_list)
        # Begun, not ended: people check in at the session's door as it starts, so once it has
        # begun, whoever signed up and has not come is a no-show; before that nobody can be.
        no_shows_measured = measured and starts_at <= now
        no_show = signed - showed if no_shows_measured else None
        rows.append(
            {
                "label": label,
                "starts_at": starts_at.astimezone(EVENT_ZONE).strftime("%m/%d %H:%M"),
                "signed_up": signed,
                "attended": present if measured else None,
                "walk_ins": present - showed if measured else None,
                "no_shows": no_show,
                "no_show_rate": percent(no_show, signed) if no_shows_measured else None,
            }
        )
        if no_shows_measured:
            total_signed += signed
            total_came += showed
    return Breakdown(
        "seminars",
        _("Seminar attendance"),
        [
            Column("label", _("Session"), numeric=False),
            Column("starts_at", _("Starts (JST)"), numeric=False),
            Column("signed_up", _("Signed up")),
            Column("attended", _("Attended")),
            Column("walk_ins", _("Came without sign-up")),
            Column("no_shows", _("No-shows")),
            Column("no_show_rate", _("No-show rate (%)")),
        ],
        rows,
        series=("signed_up", "attended"),
        note=_(
            "Attendance comes from each session's check-in list; a session without one shows "
            "no attendance. No-shows count only once a session has begun."
        ),
        totals={
            "signed_up": total_signed,
            "no_show_rate": percent(total_signed - total_came, total_signed),
        },
    )


BUCKET_SECONDS = 15 * 60


def _bucket(column):
    """The quarter hour a moment falls in: seconds since 1970 // 900 on SQLite; on PostgreSQL
    date_bin (cheap timestamp arithmetic rather than numeric division per row)."""
    if db.engine.dialect.name == "sqlite":
        return cast(func.strftime("%s", column), Integer) // BUCKET_SECONDS
    return func.date_bin(
        literal_column("INTERVAL '15 minutes'"),
        column,
        literal_column("TIMESTAMPTZ '1970-01-01 00:00:00+00'"),
    )


def _bucket_number(value) -> int:
    if isinstance(value, datetime):
        return int(value.timestamp()) // BUCKET_SECONDS
    return int(value)


def arrivals_breakdown(edition_ids: list[int]) -> Breakdown:
    """Successful main-door entries per 15 minutes (JST), gaps within a day filled with 0."""
    bucket = _bucket(Scan.scanned_at)
    query = (
        select(bucket.label("bucket"), func.count(Scan.id))
        .join(CheckInList, CheckInList.id == Scan.checkin_list_id)
        .where(successful_entry(), Scan.edition_id.in_(edition_ids))
        .group_by(bucket)
    )
    found = {_bucket_number(value): count for value, count in db.session.execute(query)}
    by_day: dict[date, list[int]] = defaultdict(list)
    for number in found:
        by_day[datetime.fromtimestamp(number * BUCKET_SECONDS, EVENT_ZONE).date()].append(number)
    rows = []
    for day in sorted(by_day):
        for number in range(min(by_day[day]), max(by_day[day]) + 1):
            start = datetime.fromtimestamp(number * BUCKET_SECONDS, EVENT_ZONE)
            rows.append(
                {
                    "label": start.strftime("%m/%d %H:%M"),
                    "time": start.strftime("%H:%M"),
                    "entries": found.get(number, 0),
                }
            )
    return Breakdown(
        "arrivals",
        _("Arrivals per 15 minutes at the main door"),
        [Column("label", _("From (JST)"), numeric=False), Column("entries", _("Entries"))],
        rows,
        series=("entries",),
        chart="columns",
    )


def meetings_breakdown(edition_ids: list[int]) -> Breakdown:
    from convention.matching.services import meetings_scheduled_vs_held

    counts = meetings_scheduled_vs_held(edition_ids)
    labels = {
        "scheduled": _("Scheduled (published)"),
        "held": _("Held"),
        "no_show": _("No-show"),
        "cancelled": _("Cancelled"),
    }
    rows = [{"label": str(label), "meetings": counts[key]} for key, label in labels.items()]
    return Breakdown(
        "meetings",
        _("Matching meetings: scheduled and held"),
        [Column("label", _("Status"), numeric=False), Column("meetings", _("Meetings"))],
        rows,
        series=("meetings",),
        totals={"held_rate": percent(counts["held"], counts["scheduled"])},
    )


def deals_breakdown(edition_ids: list[int], deals: int, held: int) -> Breakdown:
    """Held meetings by the follow-ups their parties recorded; a deal counts once per meeting."""
    from convention.matching.models import FollowUp, FollowUpOutcome, Meeting, MeetingStatus

    query = (
        select(FollowUp.outcome, func.count(distinct(FollowUp.meeting_id)))
        .join(Meeting, Meeting.id == FollowUp.meeting_id)
        .where(Meeting.edition_id.in_(edition_ids), Meeting.status == MeetingStatus.HELD)
        .group_by(FollowUp.outcome)
    )
    found = {FollowUpOutcome(outcome): number for outcome, number in db.session.execute(query)}
    labels = {
        FollowUpOutcome.NOTHING_YET: _("Nothing yet"),
        FollowUpOutcome.FURTHER_MEETING: _("Further meeting"),
        FollowUpOutcome.PROPOSAL: _("Proposal"),
    }
    rows = [{"label": str(label), "meetings": found.get(key, 0)} for key, label in labels.items()]
    rows.append({"label": _("Deal (KPI ①)"), "meetings": deals})
    return Breakdown(
        "deals",
        _("Deals and other follow-ups of held meetings"),
        [Column("label", _("Follow-up"), numeric=False), Column("meetings", _("Held meetings"))],
        rows,
        series=("meetings",),
        note=_(
            "A meeting counts once per outcome even if both parties report it; %(held)s "
            "meetings were held.",
            held=held,
        ),
    )


BREAKDOWN_KEYS = (
    "category",
    "country",
    "organisation_type",
    "university",
    "seminars",
    "arrivals",
    "meetings",
    "deals",
)


def breakdowns(
    scope: Scope, figures: Figures, language: str = "en", cells: list[Cell] | None = None
) -> list[Breakdown]:
    ids = scope.edition_ids or [-1]
    cells = people_cells(ids) if cells is None else cells
    return [
        category_breakdown(ids, cells),
        country_breakdown(ids, cells),
        organisation_type_breakdown(ids, cells),
        university_breakdown(ids, language, cells),
        seminar_breakdown(ids, language),
        arrivals_breakdown(ids),
        meetings_breakdown(scope.edition_ids),
        deals_breakdown(ids, figures.deals, figures.held),
    ]


def breakdown(key: str, scope: Scope, language: str = "en") -> Breakdown:
    ids = scope.edition_ids or [-1]
    if key == "deals":
        figures = figures_for(scope)
        return deals_breakdown(ids, figures.deals, figures.held)
    builders = {
        "category": lambda: category_breakdown(ids),
        "country": lambda: country_breakdown(ids),
        "organisation_type": lambda: organisation_type_breakdown(ids),
        "university": lambda: university_breakdown(ids, language),
        "seminars": lambda: seminar_breakdown(ids, language),
        "arrivals": lambda: arrivals_breakdown(ids),
        "meetings": lambda: meetings_breakdown(scope.edition_ids),
    }
    return builders[key]()


# --- the dashboard in one call ------------------------------------------------------------------


@dataclass
class Dashboard:
    scope: Scope
    figures: Figures
    plan: PlanTable
    breakdowns: list[Breakdown]
    editions: list[Edition]

    @property
    def fiscal_year_figures(self) -> Figures:
        return self.plan.actuals.get(self.scope.fiscal_year, Figures())


def dashboard(scope: Scope, editions: list[Edition], language: str = "en") -> Dashboard:
    """Everything the dashboard shows, in a fixed number of queries (three passes over the
    scans: per fiscal year, per person of the scope, and per quarter hour; one over the
    session lists' scans)."""
    matching = matching_by_edition()
    ids = scope.edition_ids or [-1]
    cells = people_cells(ids)
    whole_year = {e.id for e in editions if e.fiscal_year == scope.fiscal_year}
    if len(scope.edition_ids) == 1 and whole_year == set(scope.edition_ids):
        # The usual live case: the fiscal year is this one edition, whose people the cells
        # already counted; the fiscal-year query only reads the other (past) editions.
        people = people_from_cells(cells)
        by_year = people_by_fiscal_year(exclude_edition_ids=scope.edition_ids)
        by_year[scope.fiscal_year] = people
    else:
        by_year = people_by_fiscal_year()
        if whole_year == set(scope.edition_ids):
            people = by_year.get(scope.fiscal_year, (0, 0, 0))
        elif len(scope.edition_ids) == 1:
            people = people_from_cells(cells)
        else:
            people = None
    figures = figures_for(scope, matching, people)
    plan = plan_table(editions, matching=matching, people=by_year)
    return Dashboard(scope, figures, plan, breakdowns(scope, figures, language, cells), editions)


def fiscal_year_today() -> int:
    return fiscal_year(today_jst())


SMALL_GROUP = 3


def public_countries(edition_ids: list[int]) -> Breakdown:
    """Checked-in people per country for the public page: countries with fewer than
    SMALL_GROUP people are merged, so that nobody can be singled out."""
    full = country_breakdown(edition_ids)
    rows, merged = [], 0
    for row in full.rows:
        if row["checked_in"] >= SMALL_GROUP:
            rows.append({"label": row["label"], "checked_in": row["checked_in"]})
        else:
            merged += row["checked_in"]
    if merged:
        rows.append({"label": _("Other countries and regions"), "checked_in": merged})
    return Breakdown(
        "country",
        _("Country or region"),
        [
            Column("label", _("Country or region"), numeric=False),
            Column("checked_in", _("Participants")),
        ],
        rows,
        series=("checked_in",),
    )


def localized_name(edition: Edition, language: str) -> str:
    return (edition.name_ja if language == "ja" else edition.name_en) or edition.name_en
