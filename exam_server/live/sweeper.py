"""The deadline sweeper: closes (and scores) attempts whose time is over, raises disconnect
incidents, and frees the slots of server processes that stopped renewing their lease.

Every process runs the loop, but each pass first takes a PostgreSQL advisory lock for its
transaction (pg_try_advisory_xact_lock): one process sweeps at a time and the others skip the
pass; if the sweeping process dies, the next pass of another takes over. Due attempts are found
through the `due_at` index (only those due, never a scan of every running attempt), at most
SWEEP_BATCH per pass. SQLite (one process) needs no lock."""
from __future__ import annotations

import logging
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy import func, select, text

from exam_server.core.db import session, utcnow
from exam_server.core.metrics import SWEEPER_LAG
from exam_server.live.attempts import close_due_attempts
from exam_server.live.models import Attempt, AttemptStatus, Incident
from exam_server.live.proctoring import report_long_disconnects
from exam_server.live.scoring import score_pending
from exam_server.live.slots import dead_nodes, release_nodes

log = logging.getLogger(__name__)

LEADER_LOCK = 0x65786D31   # any constant the installation does not use for another advisory lock


def _leader() -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LEADER_LOCK}))


def sweep_once(now: datetime | None = None, node_id: str | None = None,
               reap: bool = True) -> tuple[list[Attempt], list[Incident]]:
    """One pass, inside an app context; commits. Returns what it closed and the incidents raised
    (both empty when another process holds the pass). `reap`: free the slots of processes whose
    lease expired (not while this process itself has just come back: see Relay.steady)."""
    now = now or utcnow()
    config = current_app.config
    try:
        if not _leader():
            session.rollback()
            return [], []
        oldest_due = session.scalar(select(func.min(Attempt.due_at)).where(
            Attempt.due_at <= now, Attempt.status.in_([AttemptStatus.IN_PROGRESS, AttemptStatus.PAUSED])))
        closed = close_due_attempts(now)
        session.flush()
        score_pending(now)
        incidents = report_long_disconnects(now, config["LIVE_DISCONNECT_INCIDENT_SECONDS"])
        # Never this process: if its own lease looks old, it is busy, not dead.
        if reap:
            release_nodes([n for n in dead_nodes(now, config["LIVE_NODE_TIMEOUT_SECONDS"]) if n != node_id], now)
        session.commit()
    except Exception:
        session.rollback()
        raise
    SWEEPER_LAG.set((now - oldest_due).total_seconds() if closed and oldest_due else 0.0)
    return closed, incidents


def sweep_loop(app: Flask, runtime) -> None:
    """Every LIVE_SWEEP_INTERVAL_SECONDS, or at once when a commit finished attempts to score."""
    interval = app.config["LIVE_SWEEP_INTERVAL_SECONDS"]
    while True:
        runtime.sweep_wakeup.wait(interval)
        runtime.sweep_wakeup.clear()
        try:
            with runtime.relay.context():
                closed, _incidents = sweep_once(node_id=runtime.node_id, reap=runtime.relay.steady(
                    app.config["LIVE_NODE_TIMEOUT_SECONDS"]))
            if len(closed) >= 400:
                runtime.sweep_wakeup.set()     # more are due: no wait
        except Exception:
            log.exception("deadline sweeper pass failed")
