"""The live exam's public service API (one import for sockets, routes, the kiosk check-in and
results). Services take `now`, flush and never commit; the socket event or request commits."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from exam_server.core.db import session
from exam_server.exams.services import render_paper
from exam_server.live.answers import answer_records, flags, last_seq, latest_answers, save_answer, save_flag
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
from exam_server.live.models import Attempt, AttemptEvent, AttemptStatus
from exam_server.live.proctoring import (
    candidate_action,
    candidate_view,
    message,
    note,
    raise_incident,
    report_long_disconnects,
    room_snapshot,
    start_room,
)
from exam_server.live.tokens import authenticate_token, issue_session_token

__all__ = [
    "ATTEMPT_STATES", "LiveError", "attempt_for", "attempt_state", "authenticate_token", "candidate_action",
    "candidate_view", "close", "close_due_attempts", "elapsed_seconds", "exam_is_open", "extend", "flags",
    "issue_session_token", "latest_answers", "maybe_start", "message", "note", "pause", "pause_reason", "raise_incident",
    "remaining_seconds", "report_long_disconnects", "resume", "room_snapshot", "save_answer", "save_flag",
    "set_kiosk", "start_room", "submit", "terminate", "time_payload",
]


def iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def time_payload(attempt: Attempt, now: datetime) -> dict[str, Any]:
    return {"remaining_seconds": remaining_seconds(attempt, now), "status": attempt.status.value,
            "server_time": iso(now)}


def pause_reason(attempt: Attempt) -> str | None:
    """Why a paused attempt is paused (the proctor's reason of its latest pause), else None."""
    if attempt.status != AttemptStatus.PAUSED:
        return None
    return session.scalar(select(AttemptEvent.reason).where(AttemptEvent.attempt_id == attempt.id,
                                                            AttemptEvent.action == "pause")
                          .order_by(AttemptEvent.id.desc()).limit(1)) or None


def attempt_state(attempt: Attempt, now: datetime) -> dict[str, Any]:
    """What the student's client gets on connect, on start and on `sync`. The paper is sent only
    once the attempt has started (before that the questions stay on the server). A paused
    attempt's state carries the reason (`pause_reason`), so a page opened during a pause shows it."""
    started = attempt.status != AttemptStatus.NOT_STARTED
    return {"attempt_id": attempt.id, "status": attempt.status.value, "server_time": iso(now),
            "remaining_seconds": remaining_seconds(attempt, now),
            "paused": attempt.status == AttemptStatus.PAUSED, "pause_reason": pause_reason(attempt),
            "kiosk": attempt.kiosk,
            "candidate": {"candidate_number": attempt.candidate.candidate_number,
                          "full_name": attempt.candidate.full_name},
            "paper": render_paper(attempt.candidate) if started else None,
            "answers": answer_records(attempt), "flags": flags(attempt), "last_seq": last_seq(attempt)}
