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
from sqlalchemy import Integer, and_, case, cast, distinct, extract, func, literal, select, true

from convention.accounts.models import ParticipantCategory
from convention.checkin.models import CheckInList, ListKind, Scan, ScanDirection, ScanResult
from convention.countries import country_name
from convention.events.models import Edition, Session, SessionKind
from convention.extensions import db
from convention.kpi.models import KPI_CODES, KpiBaseline, KpiTarget
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


class InvalidValue(ValueError):
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


def successful_entry():
    """WHERE conditions of a scan that counts as entering the venue (KPI ③ ④)."""
    return and_(
        Scan.result == ScanResult.OK,
        Scan.direction == ScanDirection.IN,
        Scan.undone_at.is_(None),
        Scan.registration_id.is_not(None),
        CheckInList.kind == ListKind.MAIN_DOOR,
    )


def _people_query(key):
    in_city_student = and_(
        Registration.category == ParticipantCategory.STUDENT, University.in_city == true()
    )
    return (
        select(
            key.label("key"),
            func.count(distinct(Registration.user_id)),
            func.count(Scan.id),
            func.count(distinct(case((in_city_student, Registration.user_id)))),
        )
        .select_from(Scan)
        .join(CheckInList, CheckInList.id == Scan.checkin_list_id)
        .join(Registration, Registration.id == Scan.registration_id)
        .outerjoin(University, University.id == Registration.university_id)
        .where(successful_entry())
        .group_by(key)
    )


def people_by_edition(edition_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """{edition id: (participants, visits, in-city students)} — one query."""
    if not edition_ids:
        return {}
    query = _people_query(Scan.edition_id).where(Scan.edition_id.in_(edition_ids))
    return {row[0]: tuple(row[1:]) for row in db.session.execute(query)}


def people_by_fiscal_year() -> dict[int, tuple[int, int, int]]:
    """{fiscal year: (participants, visits, in-city students)}, unique over the year — one query."""
    fy = _fiscal_year_of(Edition.start_date)
    query = _people_query(fy).join(Edition, Edition.id == Scan.edition_id)
    return {int(row[0]): tuple(row[1:]) for row in db.session.execute(query)}


def people_in(edition_ids: list[int]) -> tuple[int, int, int]:
    """(participants, visits, in-city students), unique over the given editions — one query."""
    if not edition_ids:
        return (0, 0, 0)
    query = _people_query(literal(1)).where(Scan.edition_id.in_(edition_ids))
    row = db.session.execute(query).first()
    return tuple(row[1:]) if row else (0, 0, 0)


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


def figures_for(scope: Scope, matching: dict[int, tuple[int, int]] | None = None) -> Figures:
    matching = matching_by_edition() if matching is None else matching
    participants, visits, students = people_in(scope.edition_ids)
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
) -> PlanTable:
    """Every fiscal year with a target or an edition (up to `upto`): a fixed number of queries."""
    editions = all_editions() if editions is None else editions
    matching = matching_by_edition() if matching is None else matching
    goal = targets()
    people = people_by_fiscal_year()
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


def _attended_registrations(edition_ids: list[int]):
    """Registration ids with a successful main-door entry in the editions (a subquery)."""
    return (
        select(Scan.registration_id.label("registration_id"))
        .join(CheckInList, CheckInList.id == Scan.checkin_list_id)
        .where(successful_entry(), Scan.edition_id.in_(edition_ids))
        .distinct()
        .subquery()
    )


def _registered_and_attended(edition_ids: list[int], key):
    """Rows (key, registered people, checked-in people) grouped by an expression over
    Registration: registered = confirmed registrations; checked in = KPI ③'s people."""
    attended = _attended_registrations(edition_ids)
    checked_in = attended.c.registration_id.is_not(None)
    query = (
        select(
            key.label("key"),
            func.count(
                distinct(
                    case(
                        (Registration.status == RegistrationStatus.CONFIRMED, Registration.user_id)
                    )
                )
            ),
            func.count(distinct(case((checked_in, Registration.user_id)))),
        )
        .select_from(Registration)
        .outerjoin(attended, attended.c.registration_id == Registration.id)
        .where(Registration.edition_id.in_(edition_ids))
        .group_by(key)
    )
    return [row for row in db.session.execute(query) if row[1] or row[2]]


def _people_columns(label: str) -> list[Column]:
    return [
        Column("label", label, numeric=False),
        Column("registered", _("Registered (confirmed)")),
        Column("checked_in", _("Checked in (unique people)")),
    ]


def category_breakdown(edition_ids: list[int]) -> Breakdown:
    labels = category_labels()
    rows = []
    for key, registered, checked_in in _registered_and_attended(edition_ids, Registration.category):
        category = ParticipantCategory(key)
        rows.append(
            {
                "label": str(labels.get(category, category.value)),
                "registered": registered,
                "checked_in": checked_in,
            }
        )
    rows.sort(key=lambda row: (-row["checked_in"], -row["registered"], row["label"]))
    return Breakdown(
        "category",
        _("Participant category"),
        _people_columns(_("Category")),
        rows,
        series=("checked_in", "registered"),
    )


def country_breakdown(edition_ids: list[int]) -> Breakdown:
    rows = [
        {
            "label": country_name(code) or code or _("Not given"),
            "code": code,
            "registered": registered,
            "checked_in": checked_in,
        }
        for code, registered, checked_in in _registered_and_attended(
            edition_ids, Registration.country
        )
    ]
    rows.sort(key=lambda row: (-row["checked_in"], -row["registered"], row["label"]))
    columns = _people_columns(_("Country or region"))
    columns.insert(1, Column("code", _("Code"), numeric=False))
    return Breakdown(
        "country", _("Country or region"), columns, rows, series=("checked_in", "registered")
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


def _organisation_type_expr():
    domestic = Registration.country == "JP"
    return case(
        (and_(Registration.category.in_(COMPANY_CATEGORIES), domestic), "company_domestic"),
        (Registration.category.in_(COMPANY_CATEGORIES), "company_overseas"),
        (
            and_(Registration.category == ParticipantCategory.GOVERNMENT, domestic),
            "government_domestic",
        ),
        (Registration.category == ParticipantCategory.GOVERNMENT, "government_overseas"),
        (
            Registration.category == ParticipantCategory.INTERNATIONAL_ORGANISATION,
            "international_organisation",
        ),
        (Registration.category == ParticipantCategory.STUDENT, "academia"),
        (Registration.category == ParticipantCategory.PRESS, "press"),
        else_="citizen",
    )


def organisation_type_breakdown(edition_ids: list[int]) -> Breakdown:
    found = {
        key: (registered, checked_in)
        for key, registered, checked_in in _registered_and_attended(
            edition_ids, _organisation_type_expr()
        )
    }
    rows = [
        {
            "label": str(label),
            "registered": found[key][0],
            "checked_in": found[key][1],
        }
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


def university_breakdown(edition_ids: list[int], language: str = "en") -> Breakdown:
    """Checked-in students per university; the in-city ones make KPI ④."""
    name = University.name_ja if language == "ja" else University.name_en
    query = (
        select(
            University.id,
            name,
            University.in_city,
            func.count(distinct(Registration.user_id)),
        )
        .select_from(Scan)
        .join(CheckInList, CheckInList.id == Scan.checkin_list_id)
        .join(Registration, Registration.id == Scan.registration_id)
        .outerjoin(University, University.id == Registration.university_id)
        .where(
            successful_entry(),
            Scan.edition_id.in_(edition_ids),
            Registration.category == ParticipantCategory.STUDENT,
        )
        .group_by(University.id, name, University.in_city)
    )
    rows = []
    for university_id, label, in_city, people in db.session.execute(query):
        rows.append(
            {
                "label": label if university_id else _("University not listed"),
                "group": _("In the city") if in_city else _("Elsewhere"),
                "in_city": bool(in_city),
                "checked_in": people,
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


def seminar_breakdown(edition_ids: list[int], language: str = "en") -> Breakdown:
    """Per session: confirmed sign-ups, people who came (session check-in lists), no-shows."""
    entered = and_(
        Scan.result == ScanResult.OK,
        Scan.direction == ScanDirection.IN,
        Scan.undone_at.is_(None),
        Scan.registration_id.is_not(None),
    )
    attended = (
        select(
            CheckInList.session_id.label("session_id"),
            func.count(distinct(Scan.registration_id)).label("n"),
        )
        .join(Scan, Scan.checkin_list_id == CheckInList.id)
        .where(entered, CheckInList.session_id.is_not(None), Scan.edition_id.in_(edition_ids))
        .group_by(CheckInList.session_id)
        .subquery()
    )
    signed_up = (
        select(SessionSignup.session_id.label("session_id"), func.count().label("n"))
        .where(SessionSignup.status == SignupStatus.CONFIRMED)
        .group_by(SessionSignup.session_id)
        .subquery()
    )
    came = (
        select(
            SessionSignup.session_id.label("session_id"),
            func.count(distinct(SessionSignup.registration_id)).label("n"),
        )
        .join(Scan, Scan.registration_id == SessionSignup.registration_id)
        .join(
            CheckInList,
            and_(
                CheckInList.id == Scan.checkin_list_id,
                CheckInList.session_id == SessionSignup.session_id,
            ),
        )
        .where(entered, SessionSignup.status == SignupStatus.CONFIRMED)
        .group_by(SessionSignup.session_id)
        .subquery()
    )
    lists = (
        select(CheckInList.session_id.label("session_id"), func.count().label("n"))
        .where(CheckInList.session_id.is_not(None))
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
            func.coalesce(came.c.n, 0),
            func.coalesce(lists.c.n, 0),
        )
        .outerjoin(signed_up, signed_up.c.session_id == Session.id)
        .outerjoin(attended, attended.c.session_id == Session.id)
        .outerjoin(came, came.c.session_id == Session.id)
        .outerjoin(lists, lists.c.session_id == Session.id)
        .where(Session.edition_id.in_(edition_ids), Session.kind != SessionKind.MATCHING)
        .order_by(Session.starts_at, Session.id)
    )
    rows = []
    total_signed, total_came = 0, 0
    for _id, label, starts_at, signed, present, showed, has_list in db.session.execute(query):
        measured = bool(has_list)
        no_show = signed - showed if measured else None
        rows.append(
            {
                "label": label,
                "starts_at": starts_at.astimezone(EVENT_ZONE).strftime("%m/%d %H:%M"),
                "signed_up": signed,
                "attended": present if measured else None,
                "walk_ins": present - showed if measured else None,
                "no_shows": no_show,
                "no_show_rate": percent(no_show, signed) if measured else None,
            }
        )
        if measured:
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
            "no attendance."
        ),
        totals={
            "signed_up": total_signed,
            "no_show_rate": percent(total_signed - total_came, total_signed),
        },
    )


BUCKET_SECONDS = 15 * 60


def _epoch_bucket(column):
    if db.engine.dialect.name == "sqlite":
        return cast(func.strftime("%s", column), Integer) // BUCKET_SECONDS
    return cast(func.floor(extract("epoch", column) / BUCKET_SECONDS), Integer)


def arrivals_breakdown(edition_ids: list[int]) -> Breakdown:
    """Successful main-door entries per 15 minutes (JST), gaps within a day filled with 0."""
    bucket = _epoch_bucket(Scan.scanned_at)
    query = (
        select(
            bucket.label("bucket"), func.count(Scan.id), func.count(distinct(Scan.registration_id))
        )
        .join(CheckInList, CheckInList.id == Scan.checkin_list_id)
        .where(successful_entry(), Scan.edition_id.in_(edition_ids))
        .group_by(bucket)
        .order_by(bucket)
    )
    found = {int(b): (entries, people) for b, entries, people in db.session.execute(query)}
    rows = []
    by_day: dict[date, list[int]] = defaultdict(list)
    for number in found:
        start = datetime.fromtimestamp(number * BUCKET_SECONDS, EVENT_ZONE)
        by_day[start.date()].append(number)
    for day in sorted(by_day):
        numbers = by_day[day]
        for number in range(min(numbers), max(numbers) + 1):
            start = datetime.fromtimestamp(number * BUCKET_SECONDS, EVENT_ZONE)
            entries, people = found.get(number, (0, 0))
            rows.append(
                {
                    "label": start.strftime("%m/%d %H:%M"),
                    "time": start.strftime("%H:%M"),
                    "entries": entries,
                    "people": people,
                }
            )
    return Breakdown(
        "arrivals",
        _("Arrivals per 15 minutes at the main door"),
        [
            Column("label", _("From (JST)"), numeric=False),
            Column("entries", _("Entries")),
            Column("people", _("People")),
        ],
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


def breakdowns(scope: Scope, figures: Figures, language: str = "en") -> list[Breakdown]:
    ids = scope.edition_ids or [-1]
    return [
        category_breakdown(ids),
        country_breakdown(ids),
        organisation_type_breakdown(ids),
        university_breakdown(ids, language),
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
    matching = matching_by_edition()
    figures = figures_for(scope, matching)
    plan = plan_table(editions, matching=matching)
    return Dashboard(scope, figures, plan, breakdowns(scope, figures, language), editions)


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
