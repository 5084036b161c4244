"""Demo posters: a call that closed ten days ago and is under review, with five tracks, fifteen
submissions in several states, four reviewers (the demo reviewer among them) with balanced
assignments and most of the reviews done (the demo reviewer still has work to do)."""

from __future__ import annotations

import io
import random
from datetime import datetime, time, timedelta

from reportlab.pdfgen import canvas
from sqlalchemy import select

from convention import storage
from convention.accounts.models import ParticipantCategory, Role, User
from convention.accounts.services import create_staff_user, find_user, hash_password
from convention.events.models import Edition, Session, SessionKind
from convention.extensions import db
from convention.posters import services
from convention.posters.models import Submission, SubmissionAuthor, SubmissionState
from convention.registration.models import Registration, University
from convention.timeutil import EVENT_ZONE, utcnow

DEMO_STUDENT = ("student@convention.example", "student-demo-pass")
DEMO_LOGINS = {"student": DEMO_STUDENT}

TRACKS = [
    ("再生可能エネルギー", "Renewable energy"),
    ("省エネルギー", "Energy efficiency"),
    ("サーキュラーエコノミー", "Circular economy"),
    ("都市政策", "Urban policy"),
    ("脱炭素ファイナンス", "Climate finance"),
]
CATEGORIES = [
    ("独創性", "Originality", 3),
    ("脱炭素への貢献", "Contribution to decarbonization", 3),
    ("方法の妥当性", "Soundness of the method", 2),
    ("ポスターの明瞭さ", "Clarity of the poster", 1),
]
# track index, title_ja, title_en, keywords
POSTERS = [
    (
        0,
        "屋上太陽光の最適配置と配電網への影響",
        "Rooftop solar placement and the grid",
        "solar, GIS",
    ),
    (
        0,
        "港湾地区における洋上風力の水素利用",
        "Offshore wind to hydrogen in the port",
        "wind, hydrogen",
    ),
    (0, "小水力発電の市内ポテンシャル評価", "Small hydropower potential in the city", "hydropower"),
    (
        1,
        "集合住宅のヒートポンプ給湯の実測",
        "Measured heat-pump water heating in flats",
        "heat pump",
    ),
    (
        1,
        "学校校舎の断熱改修による削減効果",
        "Insulating school buildings: savings",
        "insulation, schools",
    ),
    (
        1,
        "データセンター排熱の地域熱供給",
        "Data-centre waste heat for district heating",
        "waste heat",
    ),
    (
        2,
        "食品廃棄物のバイオガス化と地域循環",
        "Food waste to biogas, locally",
        "biogas, food waste",
    ),
    (
        2,
        "使用済み太陽光パネルのリサイクル",
        "Recycling end-of-life solar panels",
        "recycling, solar",
    ),
    (2, "プラスチック回収の行動経済学", "Behavioural economics of plastic collection", "plastics"),
    (3, "自転車道ネットワークとCO2削減", "Cycle lanes and CO2 reduction", "mobility, cycling"),
    (3, "コンパクトシティ政策の排出量評価", "Emissions of compact-city policy", "urban planning"),
    (3, "市民参加型の気候会議の効果", "What citizens' climate assemblies achieve", "participation"),
    (
        4,
        "グリーンボンド発行の地方自治体事例",
        "Green bonds issued by municipalities",
        "green bonds",
    ),
    (4, "中小企業の脱炭素投資と金融支援", "Financing SMEs' decarbonization", "SME, finance"),
    (
        4,
        "カーボンクレジット市場の価格形成",
        "Price formation in carbon credit markets",
        "carbon credits",
    ),
]
OTHER_REVIEWERS = [
    ("reviewer.ycu@convention.example", "市大 審査員", "Yokohama City University"),
    ("reviewer.kanagawa@convention.example", "神大 審査員", "Kanagawa University"),
    ("reviewer.city@convention.example", "市役所 審査員", None),
]
COMMENTS = [
    "図が明瞭で、結論がよく伝わります。前提条件をもう少し説明してください。",
    "The method is sound; please add the uncertainty of the estimates.",
    "地域への応用可能性が高い研究です。",
    "Interesting idea. Compare with at least one other city.",
]


def _pdf(title: str) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setFont("Helvetica", 18)
    pdf.drawString(72, 760, title[:60])
    pdf.setFont("Helvetica", 11)
    pdf.drawString(72, 730, "Demo poster (student research, decarbonization)")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _poster_session(edition: Edition) -> Session | None:
    return db.session.scalar(
        select(Session).where(Session.edition_id == edition.id, Session.kind == SessionKind.POSTER)
    )


def _students(edition: Edition) -> list[tuple[User, University]]:
    """Registered students with a university from the list (registration's demo made them)."""
    rows = db.session.execute(
        select(User, University)
        .join(Registration, Registration.user_id == User.id)
        .join(University, University.id == Registration.university_id)
        .where(
            Registration.edition_id == edition.id,
            Registration.category == ParticipantCategory.STUDENT,
        )
        .order_by(Registration.id)
    ).all()
    return [(user, university) for user, university in rows]


def _university(name_en: str) -> University | None:
    return db.session.scalar(select(University).where(University.name_en == name_en))


def load(edition: Edition) -> None:
    rng = random.Random(8)
    today = utcnow().astimezone(EVENT_ZONE).date()

    def jst(days: int, hour: int) -> datetime:
        return datetime.combine(today + timedelta(days=days), time(hour), tzinfo=EVENT_ZONE)

    session = _poster_session(edition)
    call = services.save_call(
        edition,
        services.CallData(
            opens_at=jst(-60, 10),
            deadline=jst(-10, 17),
            review_opens_at=jst(-9, 9),
            review_closes_at=jst(3, 18),
            title_max=120,
            abstract_max=1500,
            max_file_mb=10,
            reviews_per_poster=2,
            session_id=session.id if session else None,
            tracks=TRACKS,
            categories=CATEGORIES,
        ),
    )

    students = _students(edition)
    universities = {u.id: u for _, u in students}
    if not students:  # the registration demo did not run: one university is enough
        university = _university("Yokohama National University") or University(
            name_ja="横浜国立大学", name_en="Yokohama National University", in_city=True
        )
        db.session.add(university)
        db.session.commit()
        universities = {university.id: university}
    demo_student = find_user(DEMO_STUDENT[0]) or User(email=DEMO_STUDENT[0])
    demo_student.name = "佐藤 美咲"
    demo_student.category = ParticipantCategory.STUDENT
    demo_student.password_hash = hash_password(DEMO_STUDENT[1])
    demo_student.email_verified_at = demo_student.email_verified_at or utcnow()
    db.session.add(demo_student)
    db.session.commit()
    authors = [(demo_student, next(iter(universities.values())))] + students

    states = [SubmissionState.SUBMITTED] * 13 + [SubmissionState.DRAFT, SubmissionState.WITHDRAWN]
    for index, (track, title_ja, title_en, keywords) in enumerate(POSTERS):
        student, university = authors[index % len(authors)]
        co_author = rng.choice(["田中 健", "Li Wei", "山本 葵", "Nguyen Anh"])
        created = jst(-40 + index, 11)
        data = _pdf(title_en)
        submission = Submission(
            call_id=call.id,
            student_id=student.id,
            state=states[index],
            title_ja=title_ja,
            title_en=title_en,
            abstract=(
                f"{title_ja}について、市内のデータを用いて分析した。"
                f" We studied {title_en.lower()} with the city's open data and report the"
                " expected CO2 reduction, costs and the conditions for wider use."
            ),
            language="ja" if index % 3 else "en",
            track_id=call.tracks[track].id,
            keywords=keywords,
            university_id=university.id,
            supervisor=rng.choice(["山田 教授", "Prof. Sato", "鈴木 准教授"]),
            consent_public=index % 4 != 0,
            file_key=storage.save("posters", data, "pdf"),
            file_size=len(data),
            created_at=created,
            updated_at=created,
            submitted_at=created if states[index] != SubmissionState.DRAFT else None,
        )
        submission.authors = [
            SubmissionAuthor(
                position=0, name=student.name, affiliation=university.name_ja, is_presenter=True
            ),
            SubmissionAuthor(position=1, name=co_author, affiliation=university.name_ja),
        ]
        db.session.add(submission)
    db.session.commit()

    demo_reviewer = find_user("reviewer@convention.example") or create_staff_user(
        "reviewer@convention.example", "reviewer-demo-pass", "田中 誠", Role.REVIEWER
    )
    services.set_reviewer_university(
        demo_reviewer, _id(_university("Yokohama National University"))
    )
    for email, name, university_name in OTHER_REVIEWERS:
        user = create_staff_user(email, "reviewer-demo-pass", name, Role.REVIEWER)
        services.set_reviewer_university(user, _id(_university(university_name)))
    services.auto_assign(call)

    # About half of the reviews are in; the demo reviewer still has some to do.
    assignments = sorted(
        (a for s in services.ranking(call) for a in s.submission.assignments),
        key=lambda a: a.id,
    )
    done: dict[int, int] = {}
    for assignment in assignments:
        # The demo reviewer has done three; each other reviewer has one left to do.
        mine = assignment.reviewer_id == demo_reviewer.id
        left = sum(1 for a in assignments if a.reviewer_id == assignment.reviewer_id)
        if done.get(assignment.reviewer_id, 0) >= (3 if mine else left - 1):
            continue
        done[assignment.reviewer_id] = done.get(assignment.reviewer_id, 0) + 1
        scores = {category.id: rng.randint(2, 5) for category in call.categories}
        services.save_review(
            assignment,
            scores,
            rng.choice(COMMENTS),
            "受賞候補" if scores[call.categories[0].id] == 5 else "",
        )


def _id(row) -> int | None:
    return row.id if row is not None else None
