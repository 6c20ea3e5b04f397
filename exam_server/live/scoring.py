"""Scoring finished attempts, off the submit's path: a submit or a close at the deadline only
moves the attempt (a few statements), and the attempts waiting to be scored (submitted or
closed, `scored_at` NULL) are scored in batches by the results feature, a fixed number of
statements per batch, each exactly once (the row's lock and `scored_at` in the same transaction
as the result). The sweeper's pass scores them (woken at once by the commit that finished them);
without the background loop (tests, commands) they are scored right after that commit."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from exam_server.core.db import after_commit_once, session
from exam_server.live.models import Attempt, AttemptStatus

BATCH = 300
SCORED = (AttemptStatus.SUBMITTED, AttemptStatus.CLOSED)


def score_pending(now: datetime, limit: int = BATCH) -> list[Attempt]:
    """Score up to `limit` finished attempts that wait for it (rows another process is scoring
    are skipped); flushes, the caller commits."""
    from exam_server.results.services import score_attempts  # owned by the results feature

    rows = list(session.scalars(select(Attempt).where(Attempt.scored_at.is_(None), Attempt.status.in_(SCORED))
                                .order_by(Attempt.finished_at).limit(limit)
                                .options(selectinload(Attempt.candidate)).with_for_update(skip_locked=True)))
    if rows:
        score_attempts(rows)
        for attempt in rows:
            attempt.scored_at = now
        session.flush()
    return rows


def wake_after_commit() -> None:
    """Once per transaction: after the commit, have the finished attempts scored."""
    app = current_app._get_current_object()

    def wake():
        runtime = app.extensions.get("live")
        if runtime is not None:
            runtime.score_soon()

    after_commit_once("live_scoring", wake)
