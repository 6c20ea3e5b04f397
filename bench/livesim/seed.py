"""A live exam of any size, made through the server's own API and services (as an admin would):
approved items in the bank, an exam in the 2025 mathematics format, rooms with a proctor, a roster,
assembled forms, published and open now, and a session token per candidate (manual admission).

Used by bench/bench_live.py and by the chaos tests (tests/chaos)."""
from __future__ import annotations

import copy
import io
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

PASSWORD = "bench-password-123"

# The 2025 graduation format for mathematics: 12 single choice (0.25), 4 true/false clusters
# (1.0 each when all four are right), 6 short numeric answers (0.5).
FORMAT_2025_MATH = (("single_choice", 12, 0.25), ("true_false_cluster", 4, 1.0), ("numeric", 6, 0.5))

CONTENT = {
    "single_choice": {"stem": "<p>Đạo hàm của \\(x^{n}\\) là</p>",
                      "body": {"options": [{"id": k, "html": f"<p>Phương án {k} của câu {{n}}</p>"} for k in "ABCD"],
                               "shuffle": True},
                      "key": {"correct": "A"}},
    "true_false_cluster": {"stem": "<p>Cho hàm số \\(y = x^3 - {n}x\\). Xét tính đúng sai.</p>",
                           "body": {"statements": [{"id": k, "html": f"<p>Mệnh đề {k} của câu {{n}}</p>"}
                                                   for k in "abcd"]},
                           "key": {"values": {"a": True, "b": False, "c": True, "d": False}}},
    "numeric": {"stem": "<p>Tính giá trị của biểu thức số {n}.</p>", "body": {"max_chars": 4},
                "key": {"value": 12, "tolerance": 0, "tolerance_mode": "absolute"}},
}


@dataclass
class SeededExam:
    exam_id: int
    rooms: list[dict[str, Any]]                     # {"id", "name"}
    candidates: list[dict[str, Any]] = field(default_factory=list)   # {"id", "number", "room_id", "token"}
    proctor: str = "proctor1"
    admin: str = "admin"
    password: str = PASSWORD
    questions: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _fill(value: Any, n: int) -> Any:
    if isinstance(value, str):
        return value.replace("{n}", str(n))
    if isinstance(value, dict):
        return {k: _fill(v, n) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, n) for v in value]
    return value


def _item(item_type: str, n: int) -> dict[str, Any]:
    content = _fill(copy.deepcopy(CONTENT[item_type]), n)
    content["type"] = item_type
    return {"identifier": f"bench-{item_type}-{n}", "title": f"{item_type} {n}",
            "metadata": {"subject": "math", "grade": 12, "topic": "Đạo hàm", "cognitive_level": "hieu",
                         "difficulty": 0.5, "tags": ["bench"], "language": "vi"},
            "content": content}


def _ok(response, status=(200, 201), client=None, headers=None):
    """The answer, or for a background job (202: roster import, assembly) the job's result once it
    has finished (any job backend: the thread of a demo-like app, or sync)."""
    if response.status_code == 202 and client is not None:
        url, deadline = response.get_json()["url"], time.monotonic() + 600
        while True:
            job = client.get(url, headers=headers).get_json()
            if job["status"] in ("succeeded", "failed"):
                assert job["status"] == "succeeded", job
                return job["result"]
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
    assert response.status_code in status, (response.status_code, response.get_data(as_text=True)[:500])
    return response.get_json()


def seed_live_exam(app, n_candidates: int, *, rooms: int = 1, duration_minutes: int = 90,
                   window_hours: float = 6, forms: int = 2, fmt=FORMAT_2025_MATH,
                   opens_ago: timedelta = timedelta(minutes=10)) -> SeededExam:
    """Make the exam in `app`'s (empty) database. Candidates are spread over the rooms in turn."""
    from sqlalchemy import select

    from exam_server.accounts.models import User
    from exam_server.accounts.services import create_user, issue_token
    from exam_server.bank.models import Item
    from exam_server.core.db import session
    from exam_server.exams.models import Candidate
    from exam_server.live import services as live

    with app.app_context():
        existing = dict(session.execute(select(User.username, User.id)).all())   # a second exam: same people
        in_bank = set(session.scalars(select(Item.identifier)))                    # and the same bank
        ids = {name: existing.get(name) or create_user(name, PASSWORD, role, full_name=name.title()).id
               for name, role in (("admin", "admin"), ("teacher1", "teacher"), ("teacher2", "teacher"),
                                  ("proctor1", "proctor"))}
        session.commit()
        headers = {name: {"Authorization": "Bearer " + issue_token(_user(ids[name]), 3600)} for name in ids}
        session.commit()
    client = app.test_client()
    author, reviewer, admin = headers["teacher1"], headers["teacher2"], headers["admin"]
    for item_type, count, _points in fmt:
        for n in range(count * forms):
            if f"bench-{item_type}-{n}" in in_bank:
                continue
            ident = _ok(client.post("/api/v1/items", json=_item(item_type, n), headers=author))["identifier"]
            _ok(client.post(f"/api/v1/items/{ident}/submit", headers=author))
            _ok(client.post(f"/api/v1/items/{ident}/approve", headers=reviewer))
    now = datetime.now(UTC)
    blueprint = {"total_points": 10, "rows": [
        {"topic": "Đạo hàm", "cognitive_level": "hieu", "item_type": t, "count": c, "points_each": p}
        for t, c, p in fmt]}
    exam = _ok(client.post("/api/v1/exams", headers=admin, json={
        "title": "Thi thử tốt nghiệp THPT môn Toán", "subject": "math", "grade": 12,
        "opens_at": (now - opens_ago).isoformat(), "closes_at": (now + timedelta(hours=window_hours)).isoformat(),
        "duration_minutes": duration_minutes, "score_rounding": "0.25", "delivery_mode": "one_per_page",
        "results_visible_to_candidates": False, "blueprint": blueprint}))
    made_rooms = [_ok(client.post(f"/api/v1/exams/{exam['id']}/rooms", headers=admin,
                                  json={"name": f"P{r + 1:02d}", "kiosk_count": 40,
                                        "proctor_ids": [ids["proctor1"]]}))
                  for r in range(rooms)]
    header = "Số báo danh,Họ và tên,Ngày sinh,Số CCCD,Trường,Lớp,Phòng thi"
    lines = [header] + [f"{i + 1:06d},Thí Sinh Số {i + 1},01/01/2008,{i + 1:012d},THPT Bench,12A{i % 9 + 1},"
                        f"{made_rooms[i % rooms]['name']}" for i in range(n_candidates)]
    roster = ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")
    _ok(client.post(f"/api/v1/exams/{exam['id']}/roster", headers=admin,
                    data={"file": (io.BytesIO(roster), "roster.csv")}, content_type="multipart/form-data"),
        client=client, headers=admin)
    _ok(client.post(f"/api/v1/exams/{exam['id']}/assemble", headers=admin, json={"forms": forms}),
        client=client, headers=admin)
    _ok(client.post(f"/api/v1/exams/{exam['id']}/publish", headers=admin))
    seeded = SeededExam(exam["id"], [{"id": r["id"], "name": r["name"]} for r in made_rooms],
                        questions=sum(c for _t, c, _p in fmt))
    with app.app_context():
        proctor = _user(ids["proctor1"])
        candidates = list(session.scalars(select(Candidate).where(Candidate.exam_id == exam["id"])
                                          .order_by(Candidate.candidate_number)))
        tokens = live.issue_session_tokens(candidates, proctor, "manual", "bench")
        seeded.candidates = [{"id": c.id, "number": c.candidate_number, "room_id": c.room_id, "token": tokens[c.id]}
                             for c in candidates]
        session.commit()
    return seeded


def _user(user_id: int):
    from exam_server.accounts.models import User
    from exam_server.core.db import session

    return session.get(User, user_id)
