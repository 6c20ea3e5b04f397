"""The jobs table: one row per piece of background work, with its status, progress and result.

The row is the truth the pages read; the queue (RQ or the in-process fallback) only carries the
job's id. Uploaded input and an exported file are kept on the row (deferred columns), so a worker
on another machine reads the same bytes the request received.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from exam_server.core.db import Base, UTCDateTime, utcnow
from exam_server.core.states import Transitions


class JobStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


S = JobStatus
JOB_STATES: Transitions[JobStatus] = Transitions("a job", {
    "start": ({S.QUEUED}, S.RUNNING),
    "succeed": ({S.RUNNING}, S.SUCCEEDED),
    # A queued job fails too: its queue lost it, or it could not be started.
    "fail": ({S.QUEUED, S.RUNNING}, S.FAILED),
})
FINISHED = frozenset({S.SUCCEEDED, S.FAILED})


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_owner_id_created_at", "owner_id", "created_at"),
                      Index("ix_jobs_status_heartbeat_at", "status", "heartbeat_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[JobStatus] = mapped_column(
        Enum(JobStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=JobStatus.QUEUED)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # What the job works on, for the pages (e.g. {"exam_id": 3}), and its options.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    input_name: Mapped[str | None] = mapped_column(String(255))
    input_data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, default="")
    # Succeeded: the summary (JSON). Failed: {"error", "message", "status", ...details}.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result_name: Mapped[str | None] = mapped_column(String(255))
    result_mimetype: Mapped[str | None] = mapped_column(String(100))
    result_data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    backend: Mapped[str] = mapped_column(String(16), default="")   # rq, thread, sync
    worker: Mapped[str] = mapped_column(String(128), default="")   # host:pid that ran it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
