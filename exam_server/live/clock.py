"""The server clock: the only place a candidate's remaining time is computed.

Working time = allowed_minutes(candidate) * 60 + extra_seconds (proctor extensions). Time runs
only while the attempt is in progress: paused spans are excluded. The exam's `closes_at` caps
every deadline, paused or not. Every function takes `now` (tests freeze it).

A running attempt's deadline is also kept on the row as `due_at` (= started_at + working time +
paused seconds, capped by closes_at), written at every move of its clock (`due_at_for`): the
sweeper finds due attempts through its index, and the remaining time of a running attempt is
`due_at - now` without reading the exam or the candidate. A paused attempt's `due_at` is the
exam's closes_at (it is closed then even while paused)."""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from exam_server.core.db import session
from exam_server.exams.models import Exam
from exam_server.exams.services import allowed_minutes
from exam_server.live.models import FINISHED, Attempt, AttemptStatus


def allowed_seconds(attempt: Attempt, minutes: int | None = None) -> int:
    """The candidate's working time in seconds; `minutes` when the caller already has it (bulk)."""
    if minutes is None:
        minutes = allowed_minutes(attempt.candidate)
    return minutes * 60 + attempt.extra_seconds


def paused_seconds(attempt: Attempt, now: datetime) -> float:
    """Seconds spent paused so far, the current pause included."""
    ongoing = (now - attempt.paused_at).total_seconds() if attempt.paused_at else 0.0
    return attempt.paused_seconds + max(0.0, ongoing)


def elapsed_seconds(attempt: Attempt, now: datetime, minutes: int | None = None) -> float:
    """Working time used: from the start, minus every paused span."""
    if attempt.started_at is None:
        return 0.0
    end = attempt.finished_at or now
    return max(0.0, (end - attempt.started_at).total_seconds() - paused_seconds(attempt, end))


def _closes_at(attempt: Attempt, closes_at: datetime | None) -> datetime:
    return closes_at if closes_at is not None else session.get(Exam, attempt.exam_id).closes_at


def due_at_for(attempt: Attempt, closes_at: datetime | None = None, minutes: int | None = None) -> datetime | None:
    """What `attempt.due_at` must hold after a move of its clock (see the module's docstring)."""
    if attempt.status in FINISHED or attempt.started_at is None:
        return None
    closes = _closes_at(attempt, closes_at)
    if attempt.status == AttemptStatus.PAUSED:
        return closes
    deadline = attempt.started_at + timedelta(seconds=allowed_seconds(attempt, minutes) + attempt.paused_seconds)
    return min(deadline, closes)


def seconds_left(attempt: Attempt, now: datetime, closes_at: datetime | None = None,
                 minutes: int | None = None) -> float:
    """Exact time left (may be negative): due when it is <= 0."""
    if attempt.status in FINISHED:
        return 0.0
    if attempt.status == AttemptStatus.IN_PROGRESS and attempt.due_at is not None:
        return (attempt.due_at - now).total_seconds()
    closes = _closes_at(attempt, closes_at)
    return min(allowed_seconds(attempt, minutes) - elapsed_seconds(attempt, now), (closes - now).total_seconds())


def remaining_seconds(attempt: Attempt, now: datetime, closes_at: datetime | None = None,
                      minutes: int | None = None) -> int:
    """What the candidate is shown: whole seconds, rounded up, never negative."""
    return max(0, math.ceil(seconds_left(attempt, now, closes_at, minutes)))


def is_due(attempt: Attempt, now: datetime, closes_at: datetime | None = None, minutes: int | None = None) -> bool:
    return (attempt.status not in FINISHED and attempt.started_at is not None
            and seconds_left(attempt, now, closes_at, minutes) <= 0)
