"""How long a request of a server process is held by a large roster import, before and after jobs.

    ./run bench bench_jobs [--rows 10000] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/DB]

Baseline (the old way, in the same run): the import done inside the request, i.e. the time a gevent
process (and every websocket it holds) is blocked. Now: the request that queues the job (202), and
the job itself run by the worker code (`run_job`, here in this process, as `exam-server worker`'s
work horse runs it), with how often its progress was seen to move. A fresh PostgreSQL database is
made for the run (default) and dropped after; `--database-url sqlite:///...` for SQLite.
"""
from __future__ import annotations

import argparse
import io
import tempfile
import time
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from exam_server.app import create_app
from exam_server.core.migrate import upgrade

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def roster_csv(rows: int, offset: int) -> bytes:
    lines = ["Số báo danh,Họ và tên,Ngày sinh,Số CCCD,Trường,Lớp,Phòng thi,Thời gian cộng thêm"]
    for n in range(offset, offset + rows):
        lines.append(f"{100000 + n},Thí sinh {n},05/03/2008,{1_208_000_000 + n:012d},THPT A,12A1,P01,")
    return ("\n".join(lines) + "\n").encode("utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000)   # the most one roster file may hold
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    dropper = None
    url = args.database_url
    if url is None:
        name = f"bench_jobs_{uuid.uuid4().hex[:8]}"
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)

        def dropper():
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    try:
        upgrade(url)
        run(url, args.rows, args.redis_url)
    finally:
        if dropper:
            dropper()
    return 0


def run(url: str, rows: int, redis_url: str) -> None:
    from exam_server.accounts.services import create_user, issue_token
    from exam_server.core.db import session
    from exam_server.exams import services as exams
    from exam_server.jobs import services as jobs
    from exam_server.jobs.models import Job

    app = create_app({"DATABASE_URL": url, "JOBS_BACKEND": "sync", "SECRET_KEY": "bench", "LIVE_BACKGROUND": False,
                      "INSTANCE_PATH": tempfile.mkdtemp(), "WTF_CSRF_ENABLED": False, "ARGON2_FAST": True,
                      "JOBS_PROGRESS_SECONDS": 0.5})
    with app.app_context():
        admin = create_user("admin", "bench password 1", "admin")
        session.commit()
        token = issue_token(admin, 3600)
        session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    exam_ids = []
    for _ in range(2):
        exam = client.post("/api/v1/exams", headers=headers, json={
            "title": "Bench", "subject": "math", "grade": 12, "duration_minutes": 90,
            "opens_at": "2030-01-01T00:00:00Z", "closes_at": "2030-01-02T00:00:00Z"}).get_json()
        assert client.post(f"/api/v1/exams/{exam['id']}/rooms", headers=headers,
                           json={"name": "P01", "kiosk_count": 30}).status_code == 201
        exam_ids.append(exam["id"])

    # Baseline: the import inside the request (the pre-jobs endpoint did exactly this).
    with app.test_request_context():
        started = time.perf_counter()
        added = exams.import_roster(exams.get_exam(exam_ids[0]), roster_csv(rows, 0), "r.csv", "bench")
        session.commit()
        inline_seconds = time.perf_counter() - started
    assert len(added) == rows

    # Now: the request only queues it on Redis (a queue of the bench's own), then the job runs as
    # the worker's work horse runs it.
    from exam_server.jobs import queue

    app.config.update(JOBS_BACKEND="rq", REDIS_URL=redis_url, JOBS_QUEUE=f"bench-jobs-{uuid.uuid4().hex[:8]}")
    started = time.perf_counter()
    answer = client.post(f"/api/v1/exams/{exam_ids[1]}/roster", headers=headers,
                         data={"file": (io.BytesIO(roster_csv(rows, rows)), "r.csv")},
                         content_type="multipart/form-data")
    request_seconds = time.perf_counter() - started
    assert answer.status_code == 202, answer.get_json()
    rq = queue.rq_queue(app)
    assert rq.count == 1
    rq.delete(delete_jobs=True)
    started = time.perf_counter()
    status = jobs.run_job(app, answer.get_json()["id"])
    job_seconds = time.perf_counter() - started
    with app.app_context():
        job = session.get(Job, answer.get_json()["id"])
        result, progress = job.result, (job.progress_done, job.progress_total)
    print(f"roster of {rows} rows on {make_url(url).get_backend_name()}")
    print(f"  baseline, import inside the request: request held {inline_seconds:8.2f} s")
    print(f"  now, the request that queues it:     request held {request_seconds:8.3f} s "
          f"({inline_seconds / request_seconds:,.0f}x shorter)")
    print(f"  the job in the worker:               {job_seconds:8.2f} s, {status}, {result}, "
          f"progress {progress[0]}/{progress[1]}")
    app.extensions["db_engine"].dispose()
    app.extensions["live_engine"].dispose()


if __name__ == "__main__":
    raise SystemExit(main())
