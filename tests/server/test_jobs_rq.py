"""Jobs through a real RQ worker (`exam-server worker --burst`, a process of its own) on the real
Redis, on a queue of this test's own, against PostgreSQL: the request only queues; the worker
does the work and the job's row says how it went."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.server.test_exams import ROWS, add_room, candidates, csv_bytes, make_exam

EXAM_SERVER = Path(sys.executable).with_name("exam-server")


@pytest.fixture
def database_url(postgresql_url):
    return postgresql_url


@pytest.fixture
def test_config(test_config, redis_url):
    # Redis is given to the jobs only, after the app is made: an app made with EXAM_REDIS_URL would
    # also put the (process-wide) Socket.IO server on the Redis queue, which the socket tests of
    # this process cannot use. The worker process gets it as EXAM_REDIS_URL.
    return {**test_config, "REDIS_URL_FOR_JOBS": redis_url, "JOBS_QUEUE": f"test-jobs-{uuid.uuid4().hex[:10]}"}


@pytest.fixture
def rq_queue(app, test_config):
    from exam_server.jobs import queue

    app.config.update(JOBS_BACKEND="rq", REDIS_URL=test_config["REDIS_URL_FOR_JOBS"])
    connection = queue.rq_connection(app)
    rq = queue.rq_queue(app, connection)
    yield rq
    rq.empty()
    rq.delete(delete_jobs=True)
    connection.close()
    app.config.update(JOBS_BACKEND="sync", REDIS_URL=None)


def _work(test_config, tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "EXAM_DATABASE_URL": test_config["DATABASE_URL"], "EXAM_REDIS_URL": test_config["REDIS_URL_FOR_JOBS"],
           "EXAM_JOBS_QUEUE": test_config["JOBS_QUEUE"], "EXAM_SECRET_KEY": test_config["SECRET_KEY"],
           "EXAM_INSTANCE_PATH": str(tmp_path / "worker"), "EXAM_SOCKETIO_CHANNEL": f"test-{test_config['JOBS_QUEUE']}"}
    return subprocess.run([str(EXAM_SERVER), "worker", "--burst"], env=env, capture_output=True, text=True,
                          timeout=180, check=False)


def _roster(client, admin, exam_id, data: bytes):
    return client.post(f"/api/v1/exams/{exam_id}/roster", headers=admin,
                       data={"file": (io.BytesIO(data), "roster.csv")}, content_type="multipart/form-data")


def test_a_real_worker_runs_the_queued_jobs(app, client, token_for, rq_queue, test_config, tmp_path):
    admin = token_for("admin")
    exam = make_exam(client, admin)
    add_room(client, admin, exam["id"])
    good = _roster(client, admin, exam["id"], csv_bytes(ROWS))
    assert good.status_code == 202
    bad_rows = [ROWS[0][:], ROWS[0][:]]       # the same candidate number twice
    bad_rows[1][3] = "001208000099"
    bad = _roster(client, admin, exam["id"], csv_bytes(bad_rows))
    # Nothing ran in the request: both wait in Redis, in this test's queue.
    for started in (good, bad):
        assert client.get(started.headers["Location"], headers=admin).get_json()["status"] == "queued"
    assert rq_queue.count == 2 and candidates(client, admin, exam["id"]) == []

    worked = _work(test_config, tmp_path)
    assert worked.returncode == 0, worked.stderr[-3000:]

    done = client.get(good.headers["Location"], headers=admin).get_json()
    assert done["status"] == "succeeded", done
    assert done["result"] == {"imported": 3} and done["progress"] == {"done": 3, "total": 3}
    assert done["started_at"] and done["finished_at"] >= done["started_at"]
    assert sorted(c["candidate_number"] for c in candidates(client, admin, exam["id"])) == [r[0] for r in ROWS]
    refused = client.get(bad.headers["Location"], headers=admin).get_json()
    assert refused["status"] == "failed" and refused["error"]["error"] == "roster_invalid"
    assert "nothing was imported" in refused["message"]
    # Run after the good file: its first row is already on the roster (number and citizen ID), and
    # its second row repeats that number.
    assert {e["field"] for e in refused["error"]["errors"]} == {"candidate_number", "citizen_id"}
    assert len(candidates(client, admin, exam["id"])) == 3   # the refused file added nobody
    assert rq_queue.count == 0


def test_a_killed_worker_leaves_a_failed_job_and_nothing_half_written(app, client, token_for, rq_queue,
                                                                        test_config, tmp_path):
    """kill -9 of the worker (parent and work horse) in the middle of a large roster import: the
    job is marked failed once its heartbeat is stale, and no candidate of the file was kept."""
    import signal
    import time

    app.config["JOBS_STALE_SECONDS"] = 3
    admin = token_for("admin")
    exam = make_exam(client, admin)
    add_room(client, admin, exam["id"])
    rows = [[f"{100000 + n}", f"Thí sinh {n}", "05/03/2008", f"{1_208_000_000 + n:012d}", "THPT A", "12A1", "P01", ""]
            for n in range(5000)]    # the most a roster file may hold (exams/roster.py)
    started = _roster(client, admin, exam["id"], csv_bytes(rows))
    assert started.status_code == 202
    env = {**os.environ, "EXAM_DATABASE_URL": test_config["DATABASE_URL"], "EXAM_REDIS_URL": test_config["REDIS_URL_FOR_JOBS"],
           "EXAM_JOBS_QUEUE": test_config["JOBS_QUEUE"], "EXAM_SECRET_KEY": test_config["SECRET_KEY"],
           "EXAM_INSTANCE_PATH": str(tmp_path / "worker"), "EXAM_SOCKETIO_CHANNEL": f"test-{test_config['JOBS_QUEUE']}",
           "EXAM_JOBS_HEARTBEAT_SECONDS": "0.5"}
    worker = subprocess.Popen([str(EXAM_SERVER), "worker"], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while client.get(started.headers["Location"], headers=admin).get_json()["status"] == "queued":
            assert time.monotonic() < deadline and worker.poll() is None
            time.sleep(0.05)
        # RQ's work horse runs in a session of its own: the job row names it (host:pid).
        from exam_server.core.db import session
        from exam_server.jobs.models import Job

        with app.app_context():
            horse = session.get(Job, started.get_json()["id"]).worker
        os.kill(int(horse.rsplit(":", 1)[1]), signal.SIGKILL)
        assert client.get(started.headers["Location"], headers=admin).get_json()["status"] == "running"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)      # and the worker itself
        worker.wait(timeout=30)
    deadline = time.monotonic() + 30
    while (job := client.get(started.headers["Location"], headers=admin).get_json())["status"] == "running":
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert job["status"] == "failed" and job["error"]["error"] == "worker_lost", job
    assert "stopped answering" in job["message"] and "Start the job again" in job["message"]
    assert candidates(client, admin, exam["id"]) == []
