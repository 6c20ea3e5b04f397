"""Durable queues drained by one process at a time: the indicators' fold, the audit chain.

Some writes are shared by every transaction of a kind: the cells of an exam's indicators, the head
of the audit chain. Written in each transaction, their row locks are held to its commit, so those
transactions commit one at a time (a 2,000-candidate submit storm waited on them). Instead, a
transaction appends rows to a queue table of its own (insert only: nothing shared to lock) and a
*drain* applies them later, in batches, in a transaction of its own:

- in every server process with background work, a loop per drain (`start`), woken after a commit
  that queued rows but at most every `interval` seconds, so a storm is drained in batches; a
  PostgreSQL advisory lock lets one process drain at a time (the others skip the pass);
- right after the commit, in a process with no loop (a command, a job worker, tests).

The queued rows commit with the change they describe, so a process that dies right after its
commit loses nothing: the next pass, in any process, applies them.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import delete, select, text

from exam_server.core.db import after_commit_once, session

log = logging.getLogger(__name__)

WAKEUPS = "drains"       # app.extensions[WAKEUPS][name]: the wake-up of this process's loop


@dataclass(frozen=True)
class Drain:
    name: str                          # "indicators", "audit"
    lock_key: int                      # its PostgreSQL advisory lock (unique among the project's)
    batch: int                         # queued rows per pass
    interval_setting: str              # the config key of its interval (seconds)
    apply: Callable[[int], int]        # takes up to `batch` rows out and applies them (flushes); how many


def take(model, batch: int, *columns) -> list:
    """For a pass: DELETE the `batch` oldest rows of the queue table `model` RETURNING `columns`,
    oldest first (rows another transaction holds are skipped: two passes never take one row)."""
    oldest = select(model.id).order_by(model.id).limit(batch)
    if session.get_bind().dialect.name == "postgresql":
        oldest = oldest.with_for_update(skip_locked=True)
    rows = session.execute(delete(model).where(model.id.in_(oldest.scalar_subquery()))
                           .returning(model.id, *columns)).all()
    return [row[1:] for row in sorted(rows, key=lambda row: row[0])]


def queued(drain: Drain) -> None:
    """This transaction queued rows for `drain`: drain them once it commits."""
    def kick() -> None:
        wakeup = current_app.extensions.get(WAKEUPS, {}).get(drain.name)
        if wakeup is not None:
            wakeup.set()
            return
        with current_app.app_context():        # a session of its own: the committed one is done
            drain_all(drain, wait=True)
    after_commit_once(f"drain.{drain.name}", kick)


def drain_pass(drain: Drain, *, wait: bool = False) -> int | None:
    """One batch (flushes; the caller commits); None when another process is draining and `wait`
    is false (a loop: its next pass takes what this one would have). Right after a commit with no
    loop to come back, wait for the lock instead: the pass that holds it may have taken its rows
    before this commit, and nothing else would drain them."""
    if session.get_bind().dialect.name == "postgresql":
        if wait:
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": drain.lock_key})
        elif not session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": drain.lock_key}):
            return None
    return drain.apply(drain.batch)


def drain_all(drain: Drain, *, wait: bool = False) -> None:
    """Drain what is queued (more passes only while they come back full: during a storm the next
    pass waits for the interval, so it takes a batch, not a row at a time); commits."""
    try:
        while (done := drain_pass(drain, wait=wait)) is not None and done > 0:
            session.commit()
            if done < drain.batch:
                break
        session.rollback()
    except Exception:
        session.rollback()
        raise


def _loop(app: Flask, drain: Drain, wakeup: threading.Event) -> None:
    interval = app.config[drain.interval_setting]
    while True:
        wakeup.wait(interval * 4)      # also catches rows queued by another process's commits
        wakeup.clear()
        try:
            with app.app_context():
                drain_all(drain)
        except Exception:
            log.exception("%s drain pass failed", drain.name)
        time.sleep(interval)           # never two passes closer than the interval


def background(app: Flask) -> bool:
    """Whether this process runs background loops (server processes: LIVE_BACKGROUND, on except
    under TESTING; commands and job workers turn it off)."""
    return bool(app.config.get("LIVE_BACKGROUND", not app.config.get("TESTING", False)))


def start(app: Flask, socketio, drain: Drain) -> None:
    """Start this process's loop for `drain` if it runs background work."""
    if not background(app):
        return
    wakeup = threading.Event()
    app.extensions.setdefault(WAKEUPS, {})[drain.name] = wakeup
    socketio.start_background_task(_loop, app, drain, wakeup)
