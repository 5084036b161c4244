"""The matching demo on its own (no registration demo): it registers the people it needs."""

from __future__ import annotations

from convention.events import demo as events_demo
from convention.extensions import db
from convention.matching import demo, services
from convention.matching.models import MatchProfile, Meeting, MeetingSeat


def test_demo_profiles_meetings_and_deals(app):
    edition = events_demo.load()
    demo.load(edition)
    profiles = db.session.scalars(db.select(MatchProfile)).all()
    assert len(profiles) == 40
    assert {"Bangkok", "Da Nang", "Cebu", "Batam", "Johor Bahru"} <= {p.city for p in profiles}
    counts = services.meetings_scheduled_vs_held([edition.id])
    assert counts["scheduled"] >= 25 and counts["draft"] == 0
    assert counts["held"] > 0
    assert services.kpi_deals([edition.id]) == 2
    placed = db.session.scalars(db.select(Meeting).where(Meeting.slot_id.is_not(None))).all()
    assert all(m.table_id for m in placed)
    seats = db.session.scalars(db.select(MeetingSeat).where(MeetingSeat.slot_id.is_not(None)))
    keys = [(s.profile_id, s.slot_id) for s in seats]
    assert len(keys) == len(set(keys))


def test_demo_loaded_during_day_1_matching_marks_only_the_meetings_that_began(app):
    """After 16:00 JST the demo's first day is today, its matching still under way."""
    from datetime import datetime

    import time_machine

    from convention.matching.models import MatchingSlot, MeetingStatus
    from convention.timeutil import EVENT_ZONE, utcnow

    with time_machine.travel(datetime(2026, 6, 10, 16, 5, tzinfo=EVENT_ZONE), tick=False):
        edition = events_demo.load()
        demo.load(edition)
        marked = db.session.scalars(
            db.select(MatchingSlot.starts_at)
            .join(Meeting, Meeting.slot_id == MatchingSlot.id)
            .where(Meeting.status.in_((MeetingStatus.HELD, MeetingStatus.NO_SHOW)))
        ).all()
        assert marked and max(marked) <= utcnow()
        assert services.kpi_deals([edition.id]) == 2
