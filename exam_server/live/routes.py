"""HTTP side of live exams: the documented manual check-in fallback and the room snapshot."""
from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from exam_server.accounts.models import User
from exam_server.core.auth import roles
from exam_server.core.db import session, utcnow
from exam_server.core.http import json_body
from exam_server.exams.services import get_exam
from exam_server.live import services as live
from exam_server.live.proctoring import require_candidate, require_room, text_value

bp = Blueprint("live", __name__, url_prefix="/api/v1/exams")


def _actor() -> User:
    return session.get(User, current_user.id)


@bp.route("/<int:exam_id>/candidates/<int:candidate_id>/session-token", methods=["POST"])
@roles("proctor", "admin")
def issue_session_token(exam_id: int, candidate_id: int):
    """Manual (unverified) check-in: a proctor of the candidate's room or an admin issues a token."""
    body = json_body()
    get_exam(exam_id)
    actor = _actor()
    candidate, _room = require_candidate(actor, candidate_id, exam_id)
    reason = text_value(body.get("reason"), "reason", required=True)
    now = utcnow()
    token = live.issue_session_token(candidate, actor, "manual", reason, now)
    session.commit()
    return {"token": token, "candidate_id": candidate.id, "method": "manual", "verified": False}, 201


@bp.route("/<int:exam_id>/rooms/<int:room_id>/live")
@roles("proctor", "admin")
def room_live(exam_id: int, room_id: int):
    get_exam(exam_id)
    room = require_room(_actor(), exam_id, room_id)
    return live.room_snapshot(room, utcnow())
