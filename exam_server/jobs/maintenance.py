"""Sweeping up after stopped workers: every job left running or queued that can no longer finish
is marked failed with the reason (at worker start-up, and when a job is looked at)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from exam_server.core.db import session, utcnow
from exam_server.jobs.models import Job, JobStatus
from exam_server.jobs.services import reap_if_lost


def reap_stale(now: datetime | None = None) -> int:
    now = now or utcnow()
    count = 0
    for job in session.scalars(select(Job).where(Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
                               .order_by(Job.id).limit(1000)):
        count += reap_if_lost(job, now)
    session.commit()
    return count
