"""The server clock: the only place a candidate's remaining time is computed.

Working time = allowed_minutes(candidate) * 60 + extra_seconds (proctor extensions). Time runs
only while the attempt is in progress: paused spans are excluded. The exam's `closes_at` caps
every deadline, paused or not. Every function takes `now` (tests freeze it)."""
from __future__ import annotations

import math
from datetime import datetime

from exam_server.core.db import session
from exam_server.exams.models import Exam
from exam_server.exams.services import allowed_minutes
from exam_server.live.models import FINISHED, Attempt


def allowed_seconds(attempt: Attempt) -> int:
    return allowed_minutes(attempt.candidate) * 60 + attempt.extra_seconds


def paused_seconds(attempt: Attempt, now: datetime) -> float:
    """Seconds spent paused so far, the current pause included."""
    ongoing = (now - attempt.paused_at).total_seconds() if attempt.paused_at else 0.0
    return attempt.paused_seconds + max(0.0, ongoing)


def elapsed_seconds(attempt: Attempt, now: datetime) -> float:
    """Working time used: from the start, minus every paused span."""
    if attempt.started_at is None:
        return 0.0
    end = attempt.finished_at or now
    return max(0.0, (end - attempt.started_at).total_seconds() - paused_seconds(attempt, end))


def seconds_left(attempt: Attempt, now: datetime) -> float:
    """Exact time left (may be negative): due when it is <= 0."""
    if attempt.status in FINISHED:
        return 0.0
    exam = session.get(Exam, attempt.exam_id)
    return min(allowed_seconds(attempt) - elapsed_seconds(attempt, now), (exam.closes_at - now).total_seconds())


def remaining_seconds(attempt: Attempt, now: datetime) -> int:
    """What the candidate is shown: whole seconds, rounded up, never negative."""
    return max(0, math.ceil(seconds_left(attempt, now)))


def is_due(attempt: Attempt, now: datetime) -> bool:
    return attempt.status not in FINISHED and attempt.started_at is not None and seconds_left(attempt, now) <= 0
