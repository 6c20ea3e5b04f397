"""Factories for tests that need a ready exam: a seeded bank, an exam with rooms, proctors and a
roster, assembled papers, published with its window open now."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tests.conftest import PASSWORD
from tests.server.test_exams import BLUEPRINT, ROWS, add_room, candidates, csv_bytes, make_exam, upload
from tests.server.test_exams_assembly import assemble, seed_bank


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()


def make_user(app, username: str, role: str) -> int:
    from exam_server.accounts.services import create_user
    from exam_server.core.db import session

    with app.app_context():
        user = create_user(username, PASSWORD, role, full_name=username.title())
        session.commit()
        return user.id


@dataclass
class LiveExam:
    exam_id: int
    room_id: int                    # P01: proctor1; candidates 010001 and 010002
    other_room_id: int              # P02: proctor2; candidate 010003
    candidates: dict[str, int] = field(default_factory=dict)   # candidate number -> id
    proctor2_id: int = 0

    def candidate(self, n: int) -> int:
        return self.candidates[f"01000{n}"]


def live_exam(app, client, token_for, users, *, duration_minutes: int = 90, window_hours: float = 5,
              publish: bool = True) -> LiveExam:
    """Published exam open now: rooms P01 (proctor1) and P02 (proctor2), three candidates
    (010002 has 15 extra minutes, 010003 has 25 %), two forms, papers assigned."""
    admin = token_for("admin")
    proctor2 = make_user(app, "proctor2", "proctor")
    seed_bank(client, token_for)
    now = datetime.now(UTC)
    exam = make_exam(client, admin, blueprint=BLUEPRINT, opens_at=iso(now - timedelta(hours=1)),
                     closes_at=iso(now + timedelta(hours=window_hours)), duration_minutes=duration_minutes)
    room = add_room(client, admin, exam["id"], "P01", proctor_ids=[users["proctor1"]])
    other = add_room(client, admin, exam["id"], "P02", proctor_ids=[proctor2])
    rows = [list(r) for r in ROWS]
    rows[2][6] = "P02"
    assert upload(client, admin, exam["id"], csv_bytes(rows), "roster.csv").status_code == 200
    assert assemble(client, admin, exam["id"]).status_code == 200
    if publish:
        response = client.post(f"/api/v1/exams/{exam['id']}/publish", headers=admin)
        assert response.status_code == 200, response.get_json()
    made = {row["candidate_number"]: row["id"] for row in candidates(client, admin, exam["id"])}
    return LiveExam(exam["id"], room["id"], other["id"], made, proctor2)


def session_token(client, headers, exam: LiveExam, candidate_id: int, reason: str = "card reader broken") -> str:
    response = client.post(f"/api/v1/exams/{exam.exam_id}/candidates/{candidate_id}/session-token",
                           json={"reason": reason}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]
