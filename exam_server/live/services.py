"""The live exam's public service API (one import for sockets, routes, the kiosk check-in and
results). Services take `now`, flush and never commit; the socket event or request commits."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from exam_server.exams.papers import Paper, paper
from exam_server.live import events
from exam_server.live.answers import answer_state, latest_answers, latest_answers_many, save_answer, save_flag
from exam_server.live.attempts import (
    ATTEMPT_STATES,
    LiveError,
    attempt_for,
    close,
    close_due_attempts,
    exam_is_open,
    extend,
    maybe_start,
    pause,
    resume,
    set_kiosk,
    submit,
    terminate,
)
from exam_server.live.clock import elapsed_seconds, remaining_seconds
from exam_server.live.models import Attempt
from exam_server.live.proctoring import (
    candidate_action,
    message,
    note,
    raise_incident,
    report_long_disconnects,
)
from exam_server.live.rooms import pause_room, resume_room, start_room
from exam_server.live.slots import claim, release
from exam_server.live.tokens import (
    authenticate,
    authenticate_token,
    issue_session_token,
    issue_session_tokens,
)
from exam_server.live.views import attempt_state, candidate_view, candidate_views, room_snapshot, time_payload

__all__ = [
    "ATTEMPT_STATES", "LiveError", "attempt_finished", "attempt_for", "attempt_state", "authenticate", "authenticate_token",
    "candidate_action", "candidate_view", "candidate_views", "claim", "close", "close_due_attempts",
    "elapsed_seconds", "exam_is_open", "extend", "finished_candidates", "flags", "issue_session_token", "issue_session_tokens", "latest_answers",
    "latest_answers_many", "maybe_start", "message", "note", "paper_of", "pause", "pause_room", "raise_incident",
    "release", "remaining_seconds", "report_long_disconnects", "resume", "resume_room", "room_snapshot",
    "save_answer", "save_flag", "set_kiosk", "start_room", "submit", "tell_proctors", "terminate", "time_payload",
]


def paper_of(candidate_id: int) -> Paper:
    return paper(candidate_id)


def flags(attempt: Attempt) -> list[int]:
    return answer_state(attempt.id).flagged()


def attempt_finished(candidate_id: int) -> bool:
    """Whether the candidate's attempt is over (submitted, closed or terminated)."""
    from sqlalchemy import select

    from exam_server.core.db import session
    from exam_server.live.models import FINISHED

    status = session.scalar(select(Attempt.status).where(Attempt.candidate_id == candidate_id))
    return status in FINISHED


def finished_candidates(candidate_ids: list[int]) -> set[int]:
    """Which of these candidates' attempts are over (one statement)."""
    from sqlalchemy import select

    from exam_server.core.db import session
    from exam_server.live.models import FINISHED

    if not candidate_ids:
        return set()
    return set(session.scalars(select(Attempt.candidate_id).where(Attempt.candidate_id.in_(candidate_ids),
                                                                  Attempt.status.in_(list(FINISHED)))))


def tell_proctors(kind: str, *, exam_id: int, room_id: int | None, candidate_id: int | None,
                  payload: dict[str, Any], now: datetime) -> None:
    """Another feature's news for a room's proctors (kind "checkin"), told after the commit like
    every live event; with a candidate, that candidate's row is pushed again too."""
    events.publish(kind, exam_id=exam_id, room_id=room_id, candidate_id=candidate_id, payload=payload, at=now)
    if candidate_id is not None:
        events.publish("candidate", exam_id=exam_id, room_id=room_id, candidate_id=candidate_id, at=now)

