"""Prometheus metrics (prometheus_client), per server process: each process serves its own
`/metrics` (scrape every exam-server@PORT on its port; nginx does not expose the path).

Metrics are module-level objects (the client's registry is process-wide); the database pool
gauge reads the engine of the app that was last created (one per process in production)."""
from __future__ import annotations

from flask import Flask, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

CONNECTED = Gauge("exam_live_connected_students", "Students connected to this process", ["exam_id"])
ANSWER_SECONDS = Histogram("exam_live_answer_save_seconds", "Time to store and acknowledge an answer or flag",
                           buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5))
ACKS = Counter("exam_live_acks_total", "Events acknowledged as done", ["namespace", "event"])
REFUSALS = Counter("exam_live_refusals_total", "Events and connections refused", ["namespace", "event", "code"])
SWEEPER_LAG = Gauge("exam_live_sweeper_lag_seconds", "How late the last sweeper pass closed its oldest due attempt")
RELAY_EVENTS = Counter("exam_live_relay_events_total", "Live events this process's relay read from the log")
POOL_CHECKED_OUT = Gauge("exam_db_pool_checked_out", "Database connections in use in this process")
POOL_SIZE = Gauge("exam_db_pool_size", "Database connections the pool keeps open in this process")


def init_app(app: Flask) -> None:
    engine = app.extensions["db_engine"]
    pool = engine.pool
    if hasattr(pool, "checkedout"):
        POOL_CHECKED_OUT.set_function(pool.checkedout)
        POOL_SIZE.set_function(pool.size)

    @app.route("/metrics")
    def metrics():
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)

    metrics.allowed_roles = None   # public: operational counts only, and nginx does not pass the path
