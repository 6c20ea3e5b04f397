"""Where a committed job goes: RQ on the platform's Redis, a thread of this process (the SQLite
demo without Redis), or straight away in the committing thread (tests: JOBS_BACKEND=sync).

RQ carries only the job's id; the jobs row holds everything else. The worker (`exam-server
worker`) builds the app once, then RQ forks a work horse per job: a job that leaks memory or
crashes takes only its horse with it.
"""
from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor

from flask import Flask

log = logging.getLogger(__name__)

_executors: dict[int, ThreadPoolExecutor] = {}


def rq_connection(app: Flask):
    import redis

    return redis.Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=5, socket_timeout=30)


def rq_queue(app: Flask, connection=None):
    from rq import Queue

    return Queue(app.config["JOBS_QUEUE"], connection=connection or rq_connection(app))


def rq_job_id(app: Flask, job_id: int) -> str:
    # Unique per queue name: two installations sharing a Redis use different queues.
    return f"{app.config['JOBS_QUEUE']}-{job_id}"


def dispatch(app: Flask, job_id: int) -> None:
    """Hand a committed job to its backend (called after the request's commit)."""
    from exam_server.jobs import services

    backend = app.config["JOBS_BACKEND"]
    if backend == "sync":
        services.run_job(app, job_id)
        return
    if backend == "thread":
        executor = _executors.get(id(app))
        if executor is None:
            executor = _executors[id(app)] = ThreadPoolExecutor(
                max_workers=app.config["JOBS_THREADS"], thread_name_prefix="exam-job")
        services.QUEUED_HERE.add(job_id)
        executor.submit(services.run_job, app, job_id)
        return
    try:
        rq_queue(app).enqueue("exam_server.jobs.worker.perform", job_id, job_id=rq_job_id(app, job_id),
                              job_timeout=app.config["JOBS_TIMEOUT_SECONDS"], result_ttl=3600,
                              failure_ttl=7 * 24 * 3600, description=f"exam job {job_id}")
    except Exception as exc:  # Redis down: the job says so instead of waiting for ever
        log.exception("job %s could not be queued", job_id)
        services.fail_undispatched(app, job_id, f"The job queue (Redis) could not be reached "
                                               f"({type(exc).__name__}); nothing was done. Try again.")


def rq_lost_reason(app: Flask, job) -> str | None:
    """Why RQ will never finish this job, or None while it may: missing from Redis, or failed,
    stopped or cancelled there (a work horse killed, a timeout)."""
    if not app.config.get("REDIS_URL"):
        return None
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as RqJob
    from rq.job import JobStatus as RqStatus

    try:
        rq_job = RqJob.fetch(rq_job_id(app, job.id), connection=rq_connection(app))
        status = rq_job.get_status(refresh=False)
    except NoSuchJobError:
        return "The job queue no longer holds this job (Redis lost it); nothing was done. Start the job again."
    except Exception:  # noqa: BLE001 - Redis unreachable now: no verdict
        return None
    if status in (RqStatus.FAILED, RqStatus.STOPPED, RqStatus.CANCELED):
        detail = ""
        try:
            latest = rq_job.latest_result()
            if latest is not None and latest.exc_string:
                detail = f" ({latest.exc_string.strip().splitlines()[-1][:200]})"
        except Exception:  # the reason without its detail is still the reason
            log.debug("no RQ result for job %s", job.id, exc_info=True)
        return f"The worker stopped while running this job{detail}; nothing it was writing was kept. Start it again."
    return None


def shutdown() -> None:
    for executor in _executors.values():
        executor.shutdown(wait=True)
    _executors.clear()
    log.debug("job threads of pid %s stopped", os.getpid())
