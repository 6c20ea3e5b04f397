"""A whole room's actions (start, pause, resume) in bulk: a fixed number of statements whatever
the room's size, one history row per attempt moved (attempt_events), one signal with every move,
one audit row, and one live event that names the candidates it moved (the relay of each process
tells its own)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import bindparam, select, update

from exam_server.accounts.models import User
from exam_server.core import signals
from exam_server.core.db import session
from exam_server.exams.models import Candidate, Exam, ExamRoom
from exam_server.exams.services import allowed_minutes
from exam_server.live import events
from exam_server.live.attempts import (
    LiveError,
    add_history,
    apply_move,
    exam_is_open,
    history_values,
    room_session,
)
from exam_server.live.models import Attempt, AttemptStatus, RoomSession
from exam_server.live.proctoring import audit

A = AttemptStatus


# What a room move reads and writes of each attempt (the rest of the row stays as it is).
MOVED = ("status", "started_at", "paused_at", "paused_seconds", "finished_at", "due_at", "state_version")


@dataclass(slots=True)
class _Moving:
    """An attempt moved with its room: its row's columns that a move reads and writes, read with one
    Core select. Not ORM instances: for a room of 2,000 the flush of those cost more than the
    statement (issue 9); the rows are written back in one executemany."""

    id: int
    exam_id: int
    candidate_id: int
    status: AttemptStatus
    started_at: datetime | None
    paused_at: datetime | None
    paused_seconds: float
    extra_seconds: int
    finished_at: datetime | None
    due_at: datetime | None
    state_version: int
    candidate: SimpleNamespace          # exam_id, extra_time_minutes, extra_time_percent (allowed_minutes)


def _room_attempts(room: ExamRoom, status: AttemptStatus, *, online_only: bool = False) -> list[_Moving]:
    query = (select(Attempt.id, Attempt.exam_id, Attempt.candidate_id, Attempt.status, Attempt.started_at,
                    Attempt.paused_at, Attempt.paused_seconds, Attempt.extra_seconds, Attempt.finished_at,
                    Attempt.due_at, Attempt.state_version, Candidate.extra_time_minutes, Candidate.extra_time_percent)
             .join(Candidate, Candidate.id == Attempt.candidate_id)
             .where(Candidate.room_id == room.id, Attempt.status == status).order_by(Attempt.id)
             .with_for_update(of=Attempt))
    if online_only:
        query = query.where(Attempt.connection_sid.is_not(None))
    return [_Moving(*row[:11], candidate=SimpleNamespace(exam_id=row.exam_id, extra_time_minutes=row.extra_time_minutes,
                                                           extra_time_percent=row.extra_time_percent))
            for row in session.execute(query)]


def _move_all(attempts: list[_Moving], action: str, exam: Exam, now: datetime, actor_id: int | None,
              reason: str) -> list[int]:
    """Move every attempt (their rows locked), write them back in one statement; history, one
    signal; returns the candidates moved."""
    moves, rows = [], []
    for attempt in attempts:
        before = apply_move(attempt, action, now, closes_at=exam.closes_at, minutes=allowed_minutes(attempt.candidate),
                            locked=True)
        row, move_ = history_values(attempt, action, now, actor_id=actor_id, reason=reason, from_status=before,
                                    to_status=attempt.status)
        rows.append(row)
        moves.append(move_)
    if attempts:
        table = Attempt.__table__
        session.execute(update(table).where(table.c.id == bindparam("moved_id")),
                        [{"moved_id": a.id, **{name: getattr(a, name) for name in MOVED}} for a in attempts])
        moved = {a.id for a in attempts}
        for key, held in list(session.identity_map.items()):    # (class, primary key, token)
            if key[0] is Attempt and key[1][0] in moved:
                session.expire(held)        # loaded before in this transaction: read again when used
    add_history(rows)
    if moves:
        signals.attempts_moved.send(exam.id, moves=moves)
    return [attempt.candidate_id for attempt in attempts]


def start_room(room: ExamRoom, actor: User, now: datetime) -> list[int]:
    """Open the room: waiting connected candidates start now, the others when they connect.
    Returns the candidates started."""
    exam = session.get(Exam, room.exam_id)
    if not exam_is_open(exam, now):
        raise LiveError("exam_not_open", "The exam is not published or not within its window.", "exam_id")
    if room_session(room.exam_id, room.id) is not None:
        raise LiveError("room_started", "The room has already been started.", "room_id")
    session.add(RoomSession(exam_id=room.exam_id, room_id=room.id, started_at=now, started_by_id=actor.id))
    session.flush()
    audit(actor, "start_room", now, exam_id=room.exam_id, room_id=room.id)
    started = _move_all(_room_attempts(room, A.NOT_STARTED, online_only=True), "start", exam, now, None, "")
    events.publish("room_started", exam_id=room.exam_id, room_id=room.id, payload={"started": started}, at=now)
    return started


def pause_room(room: ExamRoom, actor: User, reason: str, now: datetime) -> list[int]:
    started = room_session(room.exam_id, room.id)
    if started is None or started.paused_at is not None:
        raise LiveError("illegal_transition", "Only a started, running room can be paused.", "room_id")
    started.paused_at = now
    audit(actor, "pause", now, exam_id=room.exam_id, room_id=room.id, reason=reason)
    exam = session.get(Exam, room.exam_id)
    paused = _move_all(_room_attempts(room, A.IN_PROGRESS), "pause", exam, now, actor.id, reason)
    events.publish("room_paused", exam_id=room.exam_id, room_id=room.id,
                   payload={"reason": reason, "paused": paused}, at=now)
    return paused


def resume_room(room: ExamRoom, actor: User, reason: str, now: datetime) -> list[int]:
    started = room_session(room.exam_id, room.id)
    if started is None or started.paused_at is None:
        raise LiveError("illegal_transition", "The room is not paused.", "room_id")
    started.paused_at = None
    audit(actor, "resume", now, exam_id=room.exam_id, room_id=room.id, reason=reason)
    exam = session.get(Exam, room.exam_id)
    resumed = _move_all(_room_attempts(room, A.PAUSED), "resume", exam, now, actor.id, reason)
    begun = []
    if exam_is_open(exam, now):
        begun = _move_all(_room_attempts(room, A.NOT_STARTED, online_only=True), "start", exam, now, None, "")
    events.publish("room_resumed", exam_id=room.exam_id, room_id=room.id,
                   payload={"reason": reason, "resumed": resumed, "started": begun}, at=now)
    return resumed + begun
