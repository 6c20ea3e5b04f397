"""Background jobs: 202 and the job's URL, status/progress/result for its owner only, failures with a
clear message and nothing half-written, progress visible while the work is still uncommitted, a
job whose worker died marked failed, a queue that cannot be reached said so."""
from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, text

from tests.server.factories import item_payload
from tests.server.job_follow import follow
from tests.server.test_exams import ROWS, add_room, candidates, csv_bytes, make_exam

CSV_HEADER = "Loại câu hỏi,Nội dung,Phương án A,Phương án B,Phương án C,Phương án D,Đáp án,Môn,Lớp,Mức độ\n"
GOOD_ROW = "single_choice,2 + 2 = ?,3,4,5,6,B,toan,10,nhan_biet\n"


def _post_file(client, url, headers, data: bytes, filename: str):
    return client.post(url, data={"file": (io.BytesIO(data), filename)}, headers=headers,
                       content_type="multipart/form-data")


def test_roster_import_is_a_job_its_owner_follows(client, token_for, users):
    admin = token_for("admin")
    exam = make_exam(client, admin)
    add_room(client, admin, exam["id"])
    started = _post_file(client, f"/api/v1/exams/{exam['id']}/roster", admin, csv_bytes(ROWS), "r.csv")
    assert started.status_code == 202
    job = started.get_json()
    assert job["kind"] == "exams.import_roster" and job["params"] == {"exam_id": exam["id"]}
    assert started.headers["Location"] == job["url"] == f"/api/v1/jobs/{job['id']}"
    done = client.get(job["url"], headers=admin).get_json()
    assert done["status"] == "succeeded" and done["result"] == {"imported": 3}
    assert done["progress"] == {"done": 3, "total": 3} and done["owner_id"] == users["admin"]
    assert done["started_at"] and done["finished_at"] and done["error"] is None
    assert len(candidates(client, admin, exam["id"])) == 3
    # Only its owner or an admin sees a job: a teacher does not even learn it exists.
    assert client.get(job["url"], headers=token_for("teacher1")).status_code == 404
    assert client.get(job["url"], headers=token_for("student1")).status_code == 403
    assert [j["id"] for j in client.get("/api/v1/jobs", headers=admin).get_json()["jobs"]] == [job["id"]]
    assert client.get("/api/v1/jobs", headers=token_for("teacher1")).get_json()["jobs"] == []


def test_a_bad_spreadsheet_fails_whole_with_its_rows_in_error(client, token_for):
    teacher = token_for("teacher1")
    bad = CSV_HEADER + GOOD_ROW + "single_choice,,3,4,5,6,B,toan,10,nhan_biet\n"
    outcome = follow(client, _post_file(client, "/api/v1/import/spreadsheet", teacher, bad.encode(), "x.csv"),
                     teacher)
    assert outcome.job["status"] == "failed" and outcome.status_code == 422
    error = outcome.job["error"]
    assert error["error"] == "import_failed" and outcome.job["message"] == error["message"]
    assert "nothing was imported" in error["message"] and [e["row"] for e in error["errors"]] == [3]
    assert error["imported"] == 0
    # All or nothing: the good row is not in the bank either.
    assert client.get("/api/v1/items", headers=teacher).get_json()["total"] == 0
    # The teacher owns it; another teacher does not see it, an admin does.
    assert client.get(outcome.job["url"], headers=token_for("teacher2")).status_code == 404
    assert client.get(outcome.job["url"], headers=token_for("admin")).get_json()["status"] == "failed"


def test_an_unexpected_error_rolls_the_whole_job_back(app, client, token_for, users):
    """A handler that writes, then breaks: the job is failed with a clear message, nothing kept."""
    from exam_server.bank import services as bank
    from exam_server.core.db import session
    from exam_server.jobs import services as jobs
    from item_bank.serialize import item_from_dict

    @jobs.handler("test.breaks_half_way")
    def breaks(ctx):
        bank.create_item(item_from_dict(item_payload("single_choice")), ctx.owner)
        session.flush()
        ctx.progress(1, 2)
        raise RuntimeError("disk on fire")

    with app.test_request_context():
        from exam_server.accounts.models import User

        job = jobs.enqueue("test.breaks_half_way", session.get(User, users["teacher1"]))
        session.commit()
        job_id = job.id
    teacher = token_for("teacher1")
    job = client.get(f"/api/v1/jobs/{job_id}", headers=teacher).get_json()
    assert job["status"] == "failed" and job["error"]["error"] == "internal_error"
    assert "RuntimeError" in job["message"] and "nothing was written" in job["message"]
    assert client.get("/api/v1/items", headers=teacher).get_json()["total"] == 0


def test_a_job_is_dispatched_only_after_commit(app, users):
    from exam_server.accounts.models import User
    from exam_server.core.db import session
    from exam_server.jobs import services as jobs
    from exam_server.jobs.models import Job

    ran = []
    jobs.handler("test.records")(lambda ctx: ran.append(ctx.job.id) or {"ok": True})
    with app.test_request_context():
        jobs.enqueue("test.records", session.get(User, users["admin"]))
        session.rollback()     # the request failed: no job row, nothing run
        assert ran == [] and session.scalar(select(Job)) is None
        job = jobs.enqueue("test.records", session.get(User, users["admin"]))
        assert ran == []       # flushed, not committed: not run yet
        session.commit()
        assert ran == [job.id]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_progress_is_visible_while_the_work_is_uncommitted(app, client, token_for, users, test_config):
    """On PostgreSQL, progress is written on its own connection: another process reading the row
    sees it before the job's transaction commits."""
    from exam_server.accounts.models import User
    from exam_server.core.db import session
    from exam_server.jobs import services as jobs

    app.config["JOBS_BACKEND"] = "thread"
    app.config["JOBS_PROGRESS_SECONDS"] = 0
    release, reached = threading.Event(), threading.Event()

    @jobs.handler("test.waits")
    def waits(ctx):
        ctx.progress(0, 10, "counting")
        ctx.progress(4)
        reached.set()
        assert release.wait(30)
        ctx.progress(10)
        return {"counted": 10}

    with app.test_request_context():
        job = jobs.enqueue("test.waits", session.get(User, users["admin"]))
        session.commit()
        job_id = job.id
    assert reached.wait(30)
    other = create_engine(test_config["DATABASE_URL"])
    with other.connect() as conn:
        row = conn.execute(text("SELECT status, progress_done, progress_total, message, heartbeat_at "
                                "FROM jobs WHERE id = :id"), {"id": job_id}).one()
    other.dispose()
    assert (row.status, row.progress_done, row.progress_total, row.message) == ("running", 4, 10, "counting")
    seen = client.get(f"/api/v1/jobs/{job_id}", headers=token_for("admin")).get_json()
    assert seen["status"] == "running" and seen["progress"] == {"done": 4, "total": 10}
    release.set()
    final = follow(client, type("R", (), {"status_code": 202, "headers": {"Location": seen["url"]},
                                          "get_json": lambda self: seen})(), token_for("admin"))
    assert final.job["status"] == "succeeded" and final.job["result"] == {"counted": 10}
    assert final.job["progress"] == {"done": 10, "total": 10}


def test_a_job_whose_worker_died_is_marked_failed(app, client, token_for, users):
    from exam_server.core.db import session, utcnow
    from exam_server.jobs.maintenance import reap_stale
    from exam_server.jobs.models import Job, JobStatus

    stale = app.config["JOBS_STALE_SECONDS"]
    with app.app_context():
        now = utcnow()
        dead = Job(kind="exams.import_roster", owner_id=users["admin"], params={}, status=JobStatus.RUNNING,
                   backend="thread", worker="host:123", created_at=now - timedelta(seconds=stale + 60),
                   started_at=now - timedelta(seconds=stale + 50), heartbeat_at=now - timedelta(seconds=stale + 5))
        alive = Job(kind="exams.import_roster", owner_id=users["admin"], params={}, status=JobStatus.RUNNING,
                    backend="thread", worker="host:124", created_at=now, started_at=now, heartbeat_at=now)
        session.add_all([dead, alive])
        session.commit()
        dead_id, alive_id = dead.id, alive.id
    admin = token_for("admin")
    seen = client.get(f"/api/v1/jobs/{dead_id}", headers=admin).get_json()
    assert seen["status"] == "failed" and seen["error"]["error"] == "worker_lost"
    assert "host:123" in seen["message"] and "Start the job again" in seen["message"]
    assert client.get(f"/api/v1/jobs/{alive_id}", headers=admin).get_json()["status"] == "running"
    with app.app_context():   # the worker's start-up sweep, a minute later
        assert reap_stale(utcnow() + timedelta(seconds=stale + 1)) == 1
        assert session.get(Job, alive_id).status == JobStatus.FAILED


def test_an_unreachable_queue_fails_the_job_at_once(app, client, token_for):
    app.config.update(JOBS_BACKEND="rq", REDIS_URL="redis://127.0.0.1:1/0")   # nothing listens on port 1
    admin = token_for("admin")
    exam = make_exam(client, admin)
    started = _post_file(client, f"/api/v1/exams/{exam['id']}/roster", admin, csv_bytes(ROWS[:1]), "r.csv")
    assert started.status_code == 202
    app.config.update(REDIS_URL=None)
    job = client.get(started.headers["Location"], headers=admin).get_json()
    assert job["status"] == "failed" and job["error"]["error"] == "queue_unavailable"
    assert "Redis" in job["message"]


def test_illegal_moves_are_refused():
    from exam_server.core.errors import Conflict
    from exam_server.jobs.models import JOB_STATES, JobStatus

    assert JOB_STATES.next_status(JobStatus.QUEUED, "start") == JobStatus.RUNNING
    assert JOB_STATES.next_status(JobStatus.QUEUED, "fail") == JobStatus.FAILED
    for status, action in ((JobStatus.QUEUED, "succeed"), (JobStatus.SUCCEEDED, "fail"),
                           (JobStatus.FAILED, "start"), (JobStatus.SUCCEEDED, "start")):
        with pytest.raises(Conflict):
            JOB_STATES.next_status(status, action)


def test_the_qti_export_job_produces_its_package(client, token_for):
    import zipfile

    teacher = token_for("teacher1")
    for _ in range(2):
        assert client.post("/api/v1/items", json=item_payload("single_choice"), headers=teacher).status_code == 201
    outcome = follow(client, client.post("/api/v1/export/qti?status=draft", headers=teacher), teacher)
    assert outcome.succeeded and outcome.job["file_url"] == f"{outcome.job['url']}/file"
    assert outcome.job["params"]["filters"] == {"status": "draft"}
    download = client.get(outcome.job["file_url"], headers=teacher)
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert 'filename="items-qti3.zip"' in download.headers["Content-Disposition"]
    assert outcome.job["result"] == {"bytes": len(download.data)}
    names = zipfile.ZipFile(io.BytesIO(download.data)).namelist()
    assert "imsmanifest.xml" in names and len([n for n in names if n.endswith(".xml")]) == 3
    assert client.get(outcome.job["file_url"], headers=token_for("teacher2")).status_code == 404
