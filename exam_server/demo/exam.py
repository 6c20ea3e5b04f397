"""The demo exam: a 10-point grade 12 math exam assembled from the demo bank, with an essay question
(teachers mark it blind after the exam), one room with proctor1, three candidates (student1 is the
first), published with its window open now.

Loaded idempotently (found again by its title). Needs the demo items approved (load_demo does it).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from exam_server.accounts.models import User
from exam_server.core.db import session
from exam_server.exams import services as exams
from exam_server.exams.models import Candidate, Exam, ExamStatus

DEMO_EXAM_TITLE = "Đề thi thử tốt nghiệp THPT môn Toán (demo)"
DEMO_ROOM = "Phòng 01"
_TOPIC_DERIVATIVE = "Ứng dụng đạo hàm để khảo sát hàm số"
_TOPIC_INTEGRAL = "Nguyên hàm và tích phân"
_TOPIC_PROBABILITY = "Xác suất có điều kiện"
# One cell per demo math item: 4 single choice + 3 true/false clusters + 2 numeric answers + 1 essay
# (tự luận, marked by a teacher against its rubric), 1 point each = 10 points.
DEMO_BLUEPRINT = {"total_points": 10, "rows": [
    {"topic": _TOPIC_DERIVATIVE, "cognitive_level": "biet", "item_type": "single_choice", "count": 1, "points_each": 1},
    {"topic": _TOPIC_DERIVATIVE, "cognitive_level": "hieu", "item_type": "single_choice", "count": 1, "points_each": 1},
    {"topic": _TOPIC_INTEGRAL, "cognitive_level": "biet", "item_type": "single_choice", "count": 1, "points_each": 1},
    {"topic": _TOPIC_INTEGRAL, "cognitive_level": "van_dung", "item_type": "single_choice", "count": 1, "points_each": 1},
    {"topic": _TOPIC_DERIVATIVE, "cognitive_level": "van_dung", "item_type": "true_false_cluster", "count": 1,
     "points_each": 1},
    {"topic": _TOPIC_INTEGRAL, "cognitive_level": "van_dung", "item_type": "true_false_cluster", "count": 1,
     "points_each": 1},
    {"topic": _TOPIC_PROBABILITY, "cognitive_level": "hieu", "item_type": "true_false_cluster", "count": 1,
     "points_each": 1},
    {"topic": _TOPIC_INTEGRAL, "cognitive_level": "hieu", "item_type": "numeric", "count": 1, "points_each": 1},
    {"topic": _TOPIC_PROBABILITY, "cognitive_level": "van_dung_cao", "item_type": "numeric", "count": 1,
     "points_each": 1},
    {"topic": _TOPIC_INTEGRAL, "cognitive_level": "van_dung_cao", "item_type": "extended_text", "count": 1,
     "points_each": 1},
]}
# Candidate number, full name, date of birth, citizen ID (made up: 12 digits).
DEMO_CANDIDATES = (("TS001", "Phạm Minh Anh", "12/03/2008", "001208000101"),
                   ("TS002", "Võ Thị Bích Ngọc", "05/11/2008", "001308000102"),
                   ("TS003", "Đặng Quốc Huy", "27/07/2008", "001208000103"))


def _roster_csv() -> bytes:
    lines = ["Số báo danh,Họ và tên,Ngày sinh,Số CCCD,Trường,Lớp,Phòng thi"]
    lines += [f"{n},{name},{dob},{cid},THPT Chu Văn An,12A1,{DEMO_ROOM}" for n, name, dob, cid in DEMO_CANDIDATES]
    return "\n".join(lines).encode("utf-8")


def load_demo_exam(users: dict[str, User]) -> tuple[Exam, bool]:
    """(the demo exam, whether it was created now). Commits when it creates it."""
    exam = session.scalar(select(Exam).where(Exam.title == DEMO_EXAM_TITLE))
    if exam is not None:
        return exam, False
    now = datetime.now(UTC).replace(microsecond=0)
    exam = exams.create_exam({
        "title": DEMO_EXAM_TITLE, "subject": "math", "grade": 12, "duration_minutes": 50,
        "opens_at": (now - timedelta(hours=1)).isoformat(), "closes_at": (now + timedelta(days=30)).isoformat(),
        "delivery_mode": "one_per_page", "blueprint": DEMO_BLUEPRINT}, users["admin"])
    exams.add_room(exam, {"name": DEMO_ROOM, "kiosk_count": 3, "proctor_ids": [users["proctor1"].id]})
    secret = current_app.config["SECRET_KEY"]
    exams.import_roster(exam, _roster_csv(), "demo-roster.csv", secret)
    first = session.scalar(select(Candidate).where(Candidate.exam_id == exam.id,
                                                   Candidate.candidate_number == DEMO_CANDIDATES[0][0]))
    first.user_id = users["student1"].id
    exams.assemble_exam(exam, {"forms": 1}, secret, time_limit=30)
    exams.transition(exam, "publish")
    session.commit()
    return exam, True


def demo_exam_summary(exam: Exam, created: bool) -> list[str]:
    room = exams.list_rooms(exam)[0]
    state = "created" if created else "already there"
    lines = [(f"Demo exam {state}: {exam.title!r} (id {exam.id}, {exam.status.value}"
             f"{', window open until ' + exam.closes_at.strftime('%Y-%m-%d') if exam.status == ExamStatus.PUBLISHED else ''})."),
             f"  proctor page (log in as proctor1): /proctor/exams/{exam.id}/rooms/{room.id}",
             ("  student link: on the proctor page, start the room, then 'Issue session code' for a candidate; "
             "it shows /exam#token=... to open on the candidate's screen (or type the code at /exam).")]
    return lines
