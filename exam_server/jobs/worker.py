"""The RQ side: `exam-server worker` runs an RQ worker on JOBS_QUEUE; `perform` is what RQ calls."""
from __future__ import annotations

import logging
import os

from flask import Flask

log = logging.getLogger(__name__)

_app: tuple[int, Flask] | None = None


def _process_app() -> Flask:
    """The worker's app, built once in the parent; a forked work horse drops the parent's
    database connections (never share a connection across fork) and opens its own."""
    global _app
    if _app is None:
        from exam_server.app import create_app

        _app = (os.getpid(), create_app({"LIVE_BACKGROUND": False}))
    pid, app = _app
    if pid != os.getpid():
        for name in ("db_engine", "live_engine"):
            if name in app.extensions:
                app.extensions[name].dispose(close=False)
        _app = (os.getpid(), app)
    return app


def perform(job_id: int) -> str:
    from exam_server.jobs.services import run_job

    return run_job(_process_app(), job_id)


def run_worker(app: Flask, *, burst: bool = False, queue_name: str | None = None) -> bool:
    """Work the queue until stopped (or, with burst, until it is empty). Jobs left `running` by a
    worker that died are reaped first."""
    global _app
    from rq import Worker

    from exam_server.jobs import queue
    from exam_server.jobs.maintenance import reap_stale

    _app = (os.getpid(), app)
    with app.app_context():
        reaped = reap_stale()
    if reaped:
        log.warning("%d job(s) left running by a stopped worker marked failed", reaped)
    connection = queue.rq_connection(app)
    name = queue_name or app.config["JOBS_QUEUE"]
    from rq import Queue

    worker = Worker([Queue(name, connection=connection)], connection=connection)
    return worker.work(burst=burst, with_scheduler=False)
