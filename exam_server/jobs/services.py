"""Jobs: enqueue after the request's commit, run in a worker, report status, progress and result.

A job moves queued -> running -> succeeded | failed (JOB_STATES) and only that way. Its work runs
in one transaction: the handler's writes and the `succeeded` row commit together, or all roll back
and the job is marked failed with the reason. Progress and the worker's heartbeat are written on
a session of their own, so a page sees them while the work's transaction is still open. A job
whose worker stopped (kill -9, a restart, a lost queue entry) is found by the heartbeat it no
longer writes and marked failed with that reason: never left "running" for ever.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from exam_server.core.db import after_commit, session, utcnow
from exam_server.core.errors import ApiError, NotFound
from exam_server.jobs.models import FINISHED, JOB_STATES, Job, JobStatus

log = logging.getLogger(__name__)

Handler = Callable[["JobContext"], "dict[str, Any] | None"]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that does the work of jobs of this kind (in the feature's jobs.py)."""
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn
    return register


class JobFailed(ApiError):
    """A handler's refusal that carries a report (e.g. the rows in error); the job's writes roll back."""

    def __init__(self, code: str, message: str, status: int = 422, **details):
        super().__init__(code, message, status, None, **details)


# --- progress, kept where the pages can read it while the work's transaction is open -------------

# Jobs running in this process: id -> {"done", "total", "message", "beat"}. On SQLite (one writer
# at a time: the work's transaction holds the lock) this is the only place progress can be kept;
# the SQLite demo runs its jobs in the server's own process, whose GET reads it from here.
LOCAL: dict[int, dict[str, Any]] = {}
# Jobs waiting in this process's job threads (JOBS_BACKEND=thread): queued, not lost.
QUEUED_HERE: set[int] = set()
_LOCAL_LOCK = threading.Lock()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


class Progress:
    """Writes done/total/message at most every `interval_seconds` (and on demand), and a heartbeat
    from a thread every `heartbeat_seconds`, each in a short transaction of its own."""

    def __init__(self, app: Flask, job_id: int, *, interval_seconds: float = 0.5):
        self.app, self.job_id, self.interval = app, job_id, interval_seconds
        self.in_db = not app.config["DATABASE_URL"].startswith("sqlite")
        self.done, self.total, self.message = 0, None, ""
        self._written_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        with _LOCAL_LOCK:
            LOCAL[job_id] = {"done": 0, "total": None, "message": "", "beat": utcnow()}

    def __call__(self, done: int, total: int | None = None, message: str | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        if message is not None:
            self.message = message
        with _LOCAL_LOCK:
            LOCAL[self.job_id] = {"done": self.done, "total": self.total, "message": self.message, "beat": utcnow()}
        if time.monotonic() - self._written_at >= self.interval or (self.total and done >= self.total):
            self._write(progress=True)

    def _write(self, progress: bool) -> None:
        if not self.in_db:
            return
        self._written_at = time.monotonic()
        values: dict[str, Any] = {"heartbeat_at": utcnow()}
        if progress:
            values.update(progress_done=self.done, progress_total=self.total, message=self.message)
        try:
            with self.app.extensions["db_sessionmaker"]() as side:
                side.execute(Job.__table__.update().where(Job.id == self.job_id, Job.status == JobStatus.RUNNING)
                             .values(**values))
                side.commit()
        except Exception:  # progress is news, not work: a failed write must not fail the job
            log.warning("job %s: progress not written", self.job_id, exc_info=True)

    def start_heartbeat(self, every_seconds: float) -> None:
        def beat():
            while not self._stop.wait(every_seconds):
                with _LOCAL_LOCK:
                    if self.job_id in LOCAL:
                        LOCAL[self.job_id]["beat"] = utcnow()
                self._write(progress=True)

        self._thread = threading.Thread(target=beat, name=f"job-{self.job_id}-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with _LOCAL_LOCK:
            LOCAL.pop(self.job_id, None)


@dataclass
class JobContext:
    """What a handler gets: the job's parameters and input, its owner, a progress callback, and a
    place for a produced file."""

    job: Job
    progress: Callable[..., None]
    files: dict[str, Any] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params or {}

    @property
    def input_name(self) -> str:
        return self.job.input_name or "upload"

    @property
    def input_data(self) -> bytes:
        return self.job.input_data or b""

    @property
    def owner(self):
        from exam_server.accounts.models import User

        return session.get(User, self.job.owner_id)

    def set_file(self, name: str, mimetype: str, data: bytes) -> None:
        self.files = {"name": name, "mimetype": mimetype, "data": data}


# --- the request side -------------------------------------------------------------------------

def enqueue(kind: str, owner, params: dict[str, Any] | None = None, *, input_name: str | None = None,
            input_data: bytes | None = None) -> Job:
    """Add a queued job (flushed, not committed); it is handed to the queue once the caller's
    transaction commits, and never if it rolls back."""
    if kind not in HANDLERS:
        raise ValueError(f"no job handler for {kind!r}")
    job = Job(kind=kind, owner_id=owner.id, params=params or {}, input_name=input_name, input_data=input_data,
              status=JobStatus.QUEUED, message="", progress_done=0, created_at=utcnow(),
              backend=current_app.config["JOBS_BACKEND"])
    session.add(job)
    session.flush()
    app, job_id = current_app._get_current_object(), job.id

    def dispatch() -> None:
        from exam_server.jobs import queue

        queue.dispatch(app, job_id)

    after_commit(dispatch)
    return job


def visible_job(job_id: int, user, now: datetime | None = None) -> Job:
    """The job, for its owner or an admin (404 for anyone else: a job's existence is not news to
    them). A job whose worker is gone is marked failed here, when someone looks."""
    job = session.get(Job, job_id)
    if job is None or (job.owner_id != user.id and user.role.value != "admin"):
        raise NotFound(f"No job {job_id}.")
    reap_if_lost(job, now or utcnow())
    return job


def list_jobs(user, limit: int = 50) -> list[Job]:
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if user.role.value != "admin":
        query = query.where(Job.owner_id == user.id)
    return list(session.scalars(query))


def live_progress(job: Job) -> dict[str, Any]:
    with _LOCAL_LOCK:
        local = LOCAL.get(job.id)
    if job.status == JobStatus.RUNNING and local is not None:
        return {"done": local["done"], "total": local["total"], "message": local["message"]}
    return {"done": job.progress_done, "total": job.progress_total, "message": job.message}


def reap_if_lost(job: Job, now: datetime) -> bool:
    """Mark failed a job that can no longer finish: running with a heartbeat older than
    JOBS_STALE_SECONDS, or given to RQ and no longer there (or failed there). Flushes only."""
    from exam_server.jobs import queue

    if job.status in FINISHED:
        return False
    with _LOCAL_LOCK:
        if job.id in LOCAL or job.id in QUEUED_HERE:
            return False     # running or waiting in this very process
    stale = timedelta(seconds=current_app.config["JOBS_STALE_SECONDS"])
    reason = None
    if job.status == JobStatus.RUNNING:
        beat = job.heartbeat_at or job.started_at or job.created_at
        if now - beat > stale:
            reason = (f"The worker running this job ({job.worker or 'unknown'}) stopped answering at "
                      f"{beat:%H:%M:%S} UTC (crashed or restarted); nothing it was writing was kept. "
                      "Start the job again.")
    elif job.backend != "rq" and now - job.created_at > stale:
        reason = "The server process that was to run this job stopped before starting it. Start the job again."
    if reason is None and job.backend == "rq" and now - job.created_at > timedelta(seconds=10):
        reason = queue.rq_lost_reason(current_app, job)
    if reason is None:
        return False
    fail(job, {"error": "worker_lost", "message": reason, "status": 500}, now)
    return True


def fail(job: Job, error: dict[str, Any], now: datetime) -> None:
    job.status = JOB_STATES.next_status(job.status, "fail")
    job.error = error
    job.message = error["message"]
    job.finished_at = now
    session.flush()


# --- the worker side --------------------------------------------------------------------------

def describe_error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, ApiError):
        return {"error": exc.code, "message": exc.message, "status": exc.status, "field": exc.field, **exc.extra}
    if isinstance(exc, IntegrityError):
        return {"error": "concurrent_change", "status": 409,
                "message": "Another change to the same records was made at the same time; nothing was "
                           "written. Start the job again."}
    from item_bank.model import ItemValidationError

    if isinstance(exc, ItemValidationError):
        return {"error": exc.code, "message": exc.message, "status": 422, "field": exc.field}
    if type(exc).__name__ == "JobTimeoutException":     # RQ's, raised in the work horse at the limit
        return {"error": "timed_out", "status": 504,
                "message": "The job ran longer than its time limit and was stopped; nothing was written."}
    return {"error": "internal_error", "status": 500,
            "message": f"The job failed on an unexpected error ({type(exc).__name__}); it has been logged "
                       "and nothing was written."}


def run_job(app: Flask, job_id: int) -> str:
    """Run one job to the end in its own app context; returns its final status. Never raises for
    the job's own errors: they become the job's `failed` status and message."""
    import exam_server.jobs.handlers  # noqa: F401 - every feature's handlers registered

    maker = app.extensions["db_sessionmaker"]
    with app.app_context():
        with maker() as claim:  # claim it in a short transaction: the pages see "running" at once
            job = claim.get(Job, job_id, with_for_update=True)
            QUEUED_HERE.discard(job_id)
            if job is None or job.status != JobStatus.QUEUED:
                log.warning("job %s is %s: not run again", job_id, job.status.value if job else "missing")
                return job.status.value if job else "missing"
            job.status = JOB_STATES.next_status(job.status, "start")
            job.started_at = job.heartbeat_at = utcnow()
            job.worker = worker_name()
            claim.commit()
        progress = Progress(app, job_id, interval_seconds=app.config["JOBS_PROGRESS_SECONDS"])
        progress.start_heartbeat(app.config["JOBS_HEARTBEAT_SECONDS"])
        try:
            job = session.get(Job, job_id)
            context = JobContext(job, progress)
            outcome = HANDLERS[job.kind](context)
            job.status = JOB_STATES.next_status(job.status, "succeed")
            job.result = outcome or {}
            job.progress_done = progress.total if progress.total is not None else progress.done
            job.progress_total = progress.total
            job.message = progress.message
            if context.files:
                job.result_name = context.files["name"]
                job.result_mimetype = context.files["mimetype"]
                job.result_data = context.files["data"]
            job.finished_at = job.heartbeat_at = utcnow()
            session.commit()
            log.info("job %s (%s) succeeded", job_id, job.kind)
            return JobStatus.SUCCEEDED.value
        except BaseException as exc:  # whatever happened, the job says so
            session.rollback()
            error = describe_error(exc)
            if error["error"] == "internal_error":
                log.exception("job %s failed", job_id)
            else:
                log.info("job %s refused: %s", job_id, error["message"])
            _mark_failed(app, job_id, error)
            if not isinstance(exc, Exception):
                raise  # SystemExit, KeyboardInterrupt: recorded, then let the worker stop
            return JobStatus.FAILED.value
        finally:
            progress.stop()
            session.close()


def _mark_failed(app: Flask, job_id: int, error: dict[str, Any]) -> None:
    with app.extensions["db_sessionmaker"]() as side:
        job = side.get(Job, job_id, with_for_update=True)
        if job is not None and job.status not in FINISHED:
            job.status = JOB_STATES.next_status(job.status, "fail")
            job.error = error
            job.message = error["message"]
            job.finished_at = utcnow()
            side.commit()


def fail_undispatched(app: Flask, job_id: int, reason: str) -> None:
    """The queue refused the job (Redis unreachable): say so on the job instead of leaving it queued."""
    _mark_failed(app, job_id, {"error": "queue_unavailable", "status": 503, "message": reason})
