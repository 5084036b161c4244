"""KPI targets per fiscal year and the value before the project, both editable by organisers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from convention.extensions import db
from convention.timeutil import UTCDateTime, utcnow

KPI_CODES = (1, 2, 3, 4)


class KpiTarget(db.Model):
    """The plan's target increase of one KPI in one fiscal year (1 April – 31 March)."""

    __tablename__ = "kpi_target"
    __table_args__ = (
        UniqueConstraint("fiscal_year", "kpi"),
        CheckConstraint("kpi BETWEEN 1 AND 4", name="kpi_code"),
        CheckConstraint("target >= 0", name="target_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column()
    kpi: Mapped[int] = mapped_column()
    target: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class KpiBaseline(db.Model):
    """The KPI's value before the project (the plan table's first column)."""

    __tablename__ = "kpi_baseline"
    __table_args__ = (
        CheckConstraint("kpi BETWEEN 1 AND 4", name="kpi_code"),
        CheckConstraint("value >= 0", name="value_not_negative"),
    )

    kpi: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
