"""Builders for poster tests: a call around the frozen clock, universities, students, PDFs."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from reportlab.pdfgen import canvas

from convention.accounts.models import ParticipantCategory
from convention.events.models import SessionKind
from convention.extensions import db
from convention.posters import services
from convention.registration.models import University
from tests.factories import make_edition, make_session, make_user

JST = ZoneInfo("Asia/Tokyo")
# The frozen clock stands at 2025-11-20 09:00 JST (day one of the edition).
OPENS = datetime(2025, 9, 1, 10, 0, tzinfo=JST)
DEADLINE = datetime(2025, 10, 31, 23, 59, tzinfo=JST)
REVIEW_OPENS = datetime(2025, 11, 1, 9, 0, tzinfo=JST)
REVIEW_CLOSES = datetime(2025, 11, 10, 18, 0, tzinfo=JST)
DURING_CALL = datetime(2025, 10, 1, 12, 0, tzinfo=JST)
AFTER_DEADLINE = datetime(2025, 11, 1, 0, 30, tzinfo=JST)
DURING_REVIEW = datetime(2025, 11, 5, 12, 0, tzinfo=JST)
SELECTION = datetime(2025, 11, 12, 12, 0, tzinfo=JST)

TRACKS = [
    ("再生可能エネルギー", "Renewable energy"),
    ("省エネルギー", "Energy efficiency"),
    ("サーキュラーエコノミー", "Circular economy"),
]
CATEGORIES = [("独創性", "Originality", 2), ("明瞭さ", "Clarity", 1)]


def pdf_bytes(text: str = "Solar roofs in Minato", pages: int = 1) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for page in range(pages):
        pdf.drawString(72, 720, f"{text} ({page + 1})")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_university(name: str, in_city: bool = True) -> University:
    university = University(name_ja=name, name_en=name, in_city=in_city)
    db.session.add(university)
    db.session.commit()
    return university


def make_call(edition=None, **overrides):
    edition = edition or make_edition(is_current=True)
    poster_session = make_session(
        edition, "13:00", 120, kind=SessionKind.POSTER, capacity=None, title_en="Poster session"
    )
    data = services.CallData(
        opens_at=OPENS,
        deadline=DEADLINE,
        review_opens_at=REVIEW_OPENS,
        review_closes_at=REVIEW_CLOSES,
        session_id=poster_session.id,
        tracks=list(TRACKS),
        categories=list(CATEGORIES),
        **overrides,
    )
    return services.save_call(edition, data)


def make_student(name: str = "Hana Suzuki", **fields):
    return make_user(name=name, category=ParticipantCategory.STUDENT, **fields)


def poster_data(call, university, **overrides) -> services.SubmissionData:
    values = dict(
        title_ja="屋上太陽光の最適配置",
        title_en="Optimal placement of rooftop solar",
        abstract="We model rooftop solar potential across the city's districts.",
        language="ja",
        track_id=call.tracks[0].id,
        keywords="solar, GIS",
        university_id=university.id,
        supervisor="Prof. Kenji Mori",
        consent_public=True,
        authors=[("Hana Suzuki", "Minato University"), ("Taro Ito", "Minato University")],
        presenter_index=0,
    )
    values.update(overrides)
    return services.SubmissionData(**values)


def submitted_poster(call, student, university, **overrides):
    """A complete, submitted poster (the clock must be inside the call)."""
    submission = services.save_submission(
        call, student, poster_data(call, university, **overrides), file_data=pdf_bytes()
    )
    return services.submit(submission, student)


def make_reviewer(name: str, university=None, *, recorded: bool = True):
    user = make_user(roles=("reviewer",), name=name)
    if recorded:
        services.set_reviewer_university(user, university.id if university else None)
    return user


def at(frozen_time, moment: datetime) -> None:
    frozen_time.move_to(moment)
