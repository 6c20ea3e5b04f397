"""Attempts: one per candidate per exam, moved only through ATTEMPT_STATES; every move is
appended to attempt_events, keeps the clock's `due_at`, raises the row's `state_version` (the
proctor page's order) and writes what the student must hear to the live event log
(live/events.py). Services flush; the socket event or request commits."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from exam_server.core import signals
from exam_server.core.db import session
from exam_server.core.errors import ApiError
from exam_server.core.states import Transitions
from exam_server.exams.models import Candidate, Exam, ExamStatus
from exam_server.live import events, scoring
from exam_server.live.clock import due_at_for, is_due, remaining_seconds
from exam_server.live.models import FINISHED, Attempt, AttemptEvent, AttemptStatus, RoomSession
from exam_server.live.stats import seconds_on_test

A = AttemptStatus

ATTEMPT_STATES: Transitions[AttemptStatus] = Transitions("an attempt", {
    "start": ({A.NOT_STARTED}, A.IN_PROGRESS),
    "pause": ({A.IN_PROGRESS}, A.PAUSED),
    "resume": ({A.PAUSED}, A.IN_PROGRESS),
    "submit": ({A.IN_PROGRESS}, A.SUBMITTED),
    "close": ({A.IN_PROGRESS, A.PAUSED}, A.CLOSED),
    "terminate": ({A.NOT_STARTED, A.IN_PROGRESS, A.PAUSED}, A.TERMINATED),
})

# What the student hears of each move (live event kind); a submit is answered by its ack.
TOLD = {"start": "started", "pause": "paused", "resume": "resumed", "submit": "candidate", "close": "closed",
        "terminate": "terminated"}


class LiveError(ApiError):
    """A refused live action; `code` is the protocol's error code (docs/protocol.md)."""

    def __init__(self, code: str, message: str, field: str | None = None, status: int = 409, **extra):
        super().__init__(code, message, status, field, **extra)


def history_values(attempt: Attempt, action: str, now: datetime, *, actor_id: int | None = None,
                   reason: str = "", from_status: AttemptStatus | None = None,
                   to_status: AttemptStatus | None = None) -> tuple[dict[str, Any], signals.AttemptMove | None]:
    """A move's history row (its columns) and its signal's entry (None without a status change)."""
    row = {"attempt_id": attempt.id, "action": action, "actor_id": actor_id, "reason": reason, "at": now,
           "from_status": from_status.value if from_status else None,
           "to_status": to_status.value if to_status else None}
    move_ = None
    if to_status is not None:
        move_ = signals.AttemptMove(attempt_id=attempt.id, exam_id=attempt.exam_id, candidate_id=attempt.candidate_id,
                                    action=action, from_status=row["from_status"], to_status=to_status.value, at=now,
                                    actor_id=actor_id, reason=reason,
                                    seconds_on_test=seconds_on_test(attempt.started_at, attempt.finished_at,
                                                                    attempt.paused_seconds)
                                    if to_status in FINISHED else None)
    return row, move_


def history_row(attempt: Attempt, action: str, now: datetime, **kwargs) -> tuple[AttemptEvent, signals.AttemptMove | None]:
    row, move_ = history_values(attempt, action, now, **kwargs)
    return AttemptEvent(**row), move_


def add_history(rows: list[dict[str, Any]]) -> None:
    """Many history rows (history_values) in one statement (an executemany without RETURNING:
    nobody reads their ids), whatever their number: a room's start writes one per candidate."""
    if rows:
        session.execute(insert(AttemptEvent), rows)


def record(attempt: Attempt, action: str, now: datetime, **kwargs) -> None:
    row, move_ = history_row(attempt, action, now, **kwargs)
    session.add(row)
    if move_ is not None:
        signals.attempts_moved.send(attempt.exam_id, moves=[move_])


def tell(attempt: Attempt, kind: str, now: datetime, payload: dict | None = None) -> None:
    events.publish(kind, exam_id=attempt.exam_id, room_id=attempt.candidate.room_id,
                   candidate_id=attempt.candidate_id, payload=payload, at=now)


def bump(attempt: Attempt) -> None:
    """One more change a proctor sees: incremented by the database itself (SET state_version =
    state_version + 1), so two transactions never write the same version, on SQLite too."""
    attempt.state_version = Attempt.state_version + 1


def apply_move(attempt: Attempt, action: str, now: datetime, *, closes_at: datetime | None = None,
               minutes: int | None = None, locked: bool = False) -> AttemptStatus:
    """The move itself, on the row (no history, no events): the bulk room actions use it too.
    `locked`: the caller holds the rows' locks (FOR UPDATE), so the version is counted here and
    the rows are written in one batch (an UPDATE with an SQL expression is one statement each)."""
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
    attempt.due_at = due_at_for(attempt, closes_at, minutes)
    if locked:
        attempt.state_version += 1
    else:
        bump(attempt)
    return before


def move(attempt: Attempt, action: str, now: datetime, *, actor_id: int | None = None, reason: str = "") -> Attempt:
    """The only place a single attempt's status changes; the student is told (TOLD)."""
    before = apply_move(attempt, action, now)
    record(attempt, action, now, actor_id=actor_id, reason=reason, from_status=before, to_status=attempt.status)
    payload = {"reason": reason} if action in ("pause", "terminate") else {"reason": "deadline"} \
        if action == "close" else None
    tell(attempt, TOLD[action], now, payload)
    return attempt     # written with the rest of the transaction (autoflush, or the commit)


def attempt_for(candidate: Candidate, now: datetime, *, lock: bool = False) -> Attempt:
    """The candidate's attempt, created (not started) on first use; `lock` takes its row lock
    (FOR UPDATE on PostgreSQL) for a change that must not interleave with another's."""
    query = select(Attempt).where(Attempt.candidate_id == candidate.id)
    if lock:
        query = query.with_for_update()
    attempt = session.scalar(query)
    if attempt is None:
        attempt = Attempt(exam_id=candidate.exam_id, candidate_id=candidate.id, status=A.NOT_STARTED,
                          paused_seconds=0.0, extra_seconds=0, created_at=now, disconnect_reported=False,
                          state_version=1)
        attempt.candidate = candidate
        session.add(attempt)
        session.flush()
        record(attempt, "create", now, to_status=A.NOT_STARTED)
        session.flush()
    return attempt


def create_missing(candidates: list[Candidate], now: datetime) -> None:
    """Give every candidate without one a (not started) attempt, in bulk: admission (a token)
    creates them, so a connect storm only updates rows."""
    have = set(session.scalars(select(Attempt.candidate_id).where(Attempt.candidate_id.in_([c.id for c in candidates]))))
    made = [Attempt(exam_id=c.exam_id, candidate_id=c.id, status=A.NOT_STARTED, paused_seconds=0.0, extra_seconds=0,
                    created_at=now, disconnect_reported=False, state_version=1)
            for c in candidates if c.id not in have]
    if not made:
        return
    session.add_all(made)
    session.flush()
    rows = [history_values(a, "create", now, to_status=A.NOT_STARTED) for a in made]
    add_history([row for row, _move in rows])
    signals.attempts_moved.send(made[0].exam_id, moves=[move_ for _row, move_ in rows])


def room_session(exam_id: int, room_id: int | None) -> RoomSession | None:
    if room_id is None:
        return None
    return session.scalar(select(RoomSession).where(RoomSession.exam_id == exam_id, RoomSession.room_id == room_id))


def exam_is_open(exam: Exam, now: datetime) -> bool:
    return exam.status == ExamStatus.PUBLISHED and exam.opens_at <= now < exam.closes_at


def maybe_start(attempt: Attempt, now: datetime, exam: Exam | None = None) -> bool:
    """Start a waiting attempt when its room has been started (and is not paused) and the exam is open."""
    if attempt.status != A.NOT_STARTED:
        return False
    room = room_session(attempt.exam_id, attempt.candidate.room_id)
    exam = exam or session.get(Exam, attempt.exam_id)
    if room is None or room.paused_at is not None or not exam_is_open(exam, now):
        return False
    move(attempt, "start", now)
    return True


def require_active(attempt: Attempt, now: datetime) -> None:
    """Refuse work on an attempt that is not running (paused, finished, not started, past its deadline)."""
    if attempt.status != A.IN_PROGRESS or remaining_seconds(attempt, now) <= 0:
        raise LiveError("attempt_not_active", f"The attempt is {attempt.status.value}"
                        + (" and its time is over." if attempt.status == A.IN_PROGRESS else "."), "status",
                        state={"status": attempt.status.value, "paused": attempt.status == A.PAUSED,
                               "remaining_seconds": remaining_seconds(attempt, now)})


def submit(attempt: Attempt, now: datetime) -> Attempt:
    """Hand in; it is scored right after the commit, in a batch (live/scoring.py)."""
    require_active(attempt, now)
    move(attempt, "submit", now)
    scoring.wake_after_commit()
    return attempt


def close(attempt: Attempt, now: datetime, reason: str = "deadline") -> Attempt:
    move(attempt, "close", now, reason=reason)
    scoring.wake_after_commit()
    return attempt


def close_due_attempts(now: datetime, limit: int = 500) -> list[Attempt]:
    """The deadline sweeper: close the running or paused attempts whose time is over (they are
    scored next, live/scoring.py),
    found through the due_at index; rows another process holds are skipped (SKIP LOCKED). An
    attempt found early (its due_at was a bound, not the deadline) gets its exact due time."""
    rows = list(session.scalars(select(Attempt).where(Attempt.due_at <= now,
                                                      Attempt.status.in_([A.IN_PROGRESS, A.PAUSED]))
                                .order_by(Attempt.due_at).limit(limit).with_for_update(skip_locked=True)))
    closed = []
    for attempt in rows:
        if is_due(attempt, now):
            move(attempt, "close", now, reason="deadline")
            closed.append(attempt)
        else:
            attempt.due_at = due_at_for(attempt)
    session.flush()
    return closed


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
    attempt.due_at = due_at_for(attempt)
    bump(attempt)
    record(attempt, "extend", now, actor_id=actor_id, reason=reason)
    tell(attempt, "time_extended", now, {"added_seconds": minutes * 60})
    session.flush()
    return attempt


def set_kiosk(attempt: Attempt, kiosk: str, now: datetime, actor_id: int | None, reason: str) -> Attempt:
    _require_unfinished(attempt)
    attempt.kiosk = kiosk
    bump(attempt)
    record(attempt, "move", now, actor_id=actor_id, reason=reason)
    tell(attempt, "moved", now, {"kiosk": kiosk})
    session.flush()
    return attempt
