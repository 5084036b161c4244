"""Business-matching rules: profiles, requests, scheduling, meetings, follow-ups and KPIs."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import distinct, func, select

from convention.extensions import db
from convention.matching.models import (
    PUBLISHED_STATUSES,
    FollowUp,
    Meeting,
    MeetingStatus,
)

# --- KPIs (read by the KPI dashboard) ----------------------------------------------------------


def kpi_meetings_held(edition_ids: Iterable[int]) -> int:
    """KPI ②: business matchings that actually took place (held, not merely scheduled)."""
    ids = list(edition_ids)
    if not ids:
        return 0
    return db.session.scalar(
        select(func.count(Meeting.id)).where(
            Meeting.edition_id.in_(ids), Meeting.status == MeetingStatus.HELD
        )
    )


def kpi_deals(edition_ids: Iterable[int]) -> int:
    """KPI ①: held meetings with at least one follow-up marked as a deal (one per meeting)."""
    ids = list(edition_ids)
    if not ids:
        return 0
    return db.session.scalar(
        select(func.count(distinct(FollowUp.meeting_id)))
        .join(Meeting, Meeting.id == FollowUp.meeting_id)
        .where(
            Meeting.edition_id.in_(ids),
            Meeting.status == MeetingStatus.HELD,
            FollowUp.deal.is_(True),
        )
    )


def meetings_scheduled_vs_held(edition_ids: Iterable[int]) -> dict:
    """Published meetings against those held: {"scheduled", "held", "no_show", "cancelled",
    "draft"}; `scheduled` counts every published meeting (still scheduled, held or no-show)."""
    ids = list(edition_ids)
    counts = dict.fromkeys(MeetingStatus, 0)
    if ids:
        rows = db.session.execute(
            select(Meeting.status, func.count(Meeting.id))
            .where(Meeting.edition_id.in_(ids))
            .group_by(Meeting.status)
        )
        for status, number in rows:
            counts[MeetingStatus(status)] = number
    return {
        "scheduled": sum(counts[status] for status in PUBLISHED_STATUSES),
        "held": counts[MeetingStatus.HELD],
        "no_show": counts[MeetingStatus.NO_SHOW],
        "cancelled": counts[MeetingStatus.CANCELLED],
        "draft": counts[MeetingStatus.DRAFT],
    }
