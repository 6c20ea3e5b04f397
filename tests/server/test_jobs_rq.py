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
def test_config(postgresql_url, redis_url, tmp_path):
    tag = uuid.uuid4().hex[:10]
    return {"DATABASE_URL": postgresql_url, "TESTING": True, "SECRET_KEY": "test-secret",
            "INSTANCE_PATH": str(tmp_path / "instance"), "WTF_CSRF_ENABLED": False, "ARGON2_FAST": True,
            "LIVE_PROCTOR_PUSH_SECONDS": 0, "REDIS_URL": redis_url, "SOCKETIO_CHANNEL": f"test-{tag}",
            "JOBS_BACKEND": "rq", "JOBS_QUEUE": f"test-jobs-{tag}"}


@pytest.fixture
def rq_queue(app):
    from exam_server.jobs import queue

    connection = queue.rq_connection(app)
    rq = queue.rq_queue(app, connection)
    yield rq
    rq.empty()
    rq.delete(delete_jobs=True)
    connection.close()


def _work(test_config, tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "EXAM_DATABASE_URL": test_config["DATABASE_URL"], "EXAM_REDIS_URL": test_config["REDIS_URL"],
           "EXAM_JOBS_QUEUE": test_config["JOBS_QUEUE"], "EXAM_SECRET_KEY": test_config["SECRET_KEY"],
           "EXAM_INSTANCE_PATH": str(tmp_path / "worker"), "EXAM_SOCKETIO_CHANNEL": test_config["SOCKETIO_CHANNEL"]}
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
