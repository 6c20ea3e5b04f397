"""Attempts: one per candidate per exam, moved only through ATTEMPT_STATES; every move is
appended to attempt_events. Services flush; the socket event or request commits."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from exam_server.core import signals
from exam_server.core.db import session
from exam_server.core.errors import ApiError
from exam_server.core.states import Transitions
from exam_server.exams.models import Candidate, Exam, ExamStatus
from exam_server.live.clock import is_due, remaining_seconds
from exam_server.live.models import FINISHED, Attempt, AttemptEvent, AttemptStatus, RoomSession

A = AttemptStatus

ATTEMPT_STATES: Transitions[AttemptStatus] = Transitions("an attempt", {
    "start": ({A.NOT_STARTED}, A.IN_PROGRESS),
    "pause": ({A.IN_PROGRESS}, A.PAUSED),
    "resume": ({A.PAUSED}, A.IN_PROGRESS),
    "submit": ({A.IN_PROGRESS}, A.SUBMITTED),
    "close": ({A.IN_PROGRESS, A.PAUSED}, A.CLOSED),
    "terminate": ({A.NOT_STARTED, A.IN_PROGRESS, A.PAUSED}, A.TERMINATED),
})


class LiveError(ApiError):
    """A refused live action; `code` is the protocol's error code (docs/protocol.md)."""

    def __init__(self, code: str, message: str, field: str | None = None, status: int = 409):
        super().__init__(code, message, status, field)


def record(attempt: Attempt, action: str, now: datetime, *, actor_id: int | None = None, reason: str = "",
           from_status: AttemptStatus | None = None, to_status: AttemptStatus | None = None) -> None:
    session.add(AttemptEvent(attempt_id=attempt.id, action=action, actor_id=actor_id, reason=reason, at=now,
                             from_status=from_status.value if from_status else None,
                             to_status=to_status.value if to_status else None))
    if to_status is not None:
        signals.attempts_moved.send(attempt.exam_id, moves=[signals.AttemptMove(
            attempt_id=attempt.id, exam_id=attempt.exam_id, candidate_id=attempt.candidate_id, action=action,
            from_status=from_status.value if from_status else None, to_status=to_status.value, at=now,
            actor_id=actor_id, reason=reason)])


def move(attempt: Attempt, action: str, now: datetime, *, actor_id: int | None = None, reason: str = "") -> Attempt:
    """The only place `attempt.status` changes; keeps the clock's bookkeeping."""
    before = attempt.status
    target = ATTEMPT_STATES.next_status(before, action)
    if action == "start":
        attempt.started_at = now
    elif action == "pause":
        attempt.paused_at = now
    if before == A.PAUSED and attempt.paused_at is not None:   # resume, or finish while paused
        attempt.paused_seconds += max(0.0, (now - attempt.paused_at).total_seconds())
        attempt.paused_at = None
    if target in FINISHED:
        attempt.finished_at = now
    attempt.status = target
    record(attempt, action, now, actor_id=actor_id, reason=reason, from_status=before, to_status=target)
    session.flush()
    return attempt


def attempt_for(candidate: Candidate, now: datetime) -> Attempt:
    """The candidate's attempt, created (not started) on first use."""
    attempt = session.scalar(select(Attempt).where(Attempt.candidate_id == candidate.id))
    if attempt is None:
        attempt = Attempt(exam_id=candidate.exam_id, candidate_id=candidate.id, status=A.NOT_STARTED,
                          paused_seconds=0.0, extra_seconds=0, created_at=now, disconnect_reported=False)
        attempt.candidate = candidate
        session.add(attempt)
        session.flush()
        record(attempt, "create", now, to_status=A.NOT_STARTED)
        session.flush()
    return attempt


def room_session(exam_id: int, room_id: int | None) -> RoomSession | None:
    if room_id is None:
        return None
    return session.scalar(select(RoomSession).where(RoomSession.exam_id == exam_id, RoomSession.room_id == room_id))


def exam_is_open(exam: Exam, now: datetime) -> bool:
    return exam.status == ExamStatus.PUBLISHED and exam.opens_at <= now < exam.closes_at


def maybe_start(attempt: Attempt, now: datetime) -> bool:
    """Start a waiting attempt when its room has been started (and is not paused) and the exam is open."""
    if attempt.status != A.NOT_STARTED:
        return False
    room = room_session(attempt.exam_id, attempt.candidate.room_id)
    if room is None or room.paused_at is not None or not exam_is_open(session.get(Exam, attempt.exam_id), now):
        return False
    move(attempt, "start", now)
    return True


def require_active(attempt: Attempt, now: datetime) -> None:
    """Refuse work on an attempt that is not running (paused, finished, not started, past its deadline)."""
    if attempt.status != A.IN_PROGRESS or remaining_seconds(attempt, now) <= 0:
        raise LiveError("attempt_not_active", f"The attempt is {attempt.status.value}"
                        + (" and its time is over." if attempt.status == A.IN_PROGRESS else "."), "status")


def _score(attempt: Attempt) -> None:
    from exam_server.results.services import score_attempt  # owned by the results feature

    score_attempt(attempt)


def submit(attempt: Attempt, now: datetime) -> Attempt:
    require_active(attempt, now)
    move(attempt, "submit", now)
    _score(attempt)
    return attempt


def close(attempt: Attempt, now: datetime, reason: str = "deadline") -> Attempt:
    move(attempt, "close", now, reason=reason)
    _score(attempt)
    return attempt


def close_due_attempts(now: datetime) -> list[Attempt]:
    """The deadline sweeper: close (and score) every running or paused attempt whose time is over."""
    running = session.scalars(select(Attempt).where(Attempt.status.in_([A.IN_PROGRESS, A.PAUSED]))
                              .order_by(Attempt.id).with_for_update(skip_locked=True))
    return [close(attempt, now) for attempt in list(running) if is_due(attempt, now)]


def pause(attempt: Attempt, now: datetime, actor_id: int | None, reason: str) -> Attempt:
    return move(attempt, "pause", now, actor_id=actor_id, reason=reason)


def resume(attempt: Attempt, now: datetime, actor_id: int | None, reason: str) -> Attempt:
    return move(attempt, "resume", now, actor_id=actor_id, reason=reason)


def terminate(attempt: Attempt, now: datetime, actor_id: int | None, reason: str) -> Attempt:
    return move(attempt, "terminate", now, actor_id=actor_id, reason=reason)


def _require_unfinished(attempt: Attempt) -> None:
    if attempt.status in FINISHED:
        raise LiveError("attempt_finished", f"The attempt is already {attempt.status.value}.", "status")


def extend(attempt: Attempt, minutes: int, now: datetime, actor_id: int | None, reason: str) -> Attempt:
    """Add working time (the exam's closes_at still caps the deadline)."""
    _require_unfinished(attempt)
    attempt.extra_seconds += minutes * 60
    record(attempt, "extend", now, actor_id=actor_id, reason=reason)
    session.flush()
    return attempt


def set_kiosk(attempt: Attempt, kiosk: str, now: datetime, actor_id: int | None, reason: str) -> Attempt:
    _require_unfinished(attempt)
    attempt.kiosk = kiosk
    record(attempt, "move", now, actor_id=actor_id, reason=reason)
    session.flush()
    return attempt
