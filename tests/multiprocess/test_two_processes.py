"""Two server processes sharing PostgreSQL and a Redis message queue: a proctor connected to
process B pauses a student connected to process A, and the student hears it within 2 seconds.

Needs Redis and PostgreSQL: with CI=true their absence fails the test, elsewhere it is skipped."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
import socketio as sio_client

from tests.conftest import PASSWORD
from tests.server.exam_factories import live_exam

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

RUNNER = Path(__file__).with_name("run_server.py")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database_url(postgresql_url):   # the server processes and the conftest's app share this database
    return postgresql_url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def servers(postgresql_url, redis_url, tmp_path):
    env = {**os.environ, "EXAM_DATABASE_URL": postgresql_url, "EXAM_REDIS_URL": redis_url,
           "EXAM_SOCKETIO_CHANNEL": f"two-process-test-{uuid.uuid4().hex[:8]}",   # alone on the shared Redis
           "EXAM_SECRET_KEY": "two-process-test-secret", "EXAM_INSTANCE_PATH": str(tmp_path / "instance"),
           # The admin logs in with a password alone here (the second factor: test_security_accounts).
           "EXAM_TOTP_REQUIRED_ROLES": "",
           "PYTHONPATH": str(ROOT)}
    procs, urls = [], []
    try:
        for name in ("a", "b"):
            port = _free_port()
            log = open(tmp_path / f"server-{name}.log", "wb")  # noqa: SIM115 - closed below
            procs.append((subprocess.Popen([sys.executable, str(RUNNER), str(port)], env=env, cwd=ROOT,
                                           stdout=log, stderr=subprocess.STDOUT), log))
            urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        for url, (proc, _log) in zip(urls, procs):
            while True:
                assert proc.poll() is None, (tmp_path / "server-a.log").read_text()[-3000:]
                try:
                    if requests.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        yield urls
    finally:
        for proc, log in procs:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


def _login(base: str, username: str) -> str:
    http = requests.Session()
    page = http.get(base + "/login", timeout=5)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = http.post(base + "/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf},
                         allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text[:500]
    return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


def test_pause_crosses_processes(app, client, token_for, users, servers):
    from exam_server.core.db import session
    from exam_server.exams.models import Candidate
    from exam_server.live.services import issue_session_token

    exam = live_exam(app, client, token_for, users)
    with app.app_context():
        token = issue_session_token(session.get(Candidate, exam.candidate(1)), None, "chip", "")
        session.commit()
    process_a, process_b = servers
    got: dict[str, list] = {"attempt_state": [], "paused": [], "session_replaced": []}
    arrived = {name: threading.Event() for name in got}

    student = sio_client.Client(reconnection=False)
    proctor = sio_client.Client(reconnection=False)
    for name, seen in got.items():
        def handler(data, seen=seen, event=arrived[name]):
            seen.append((time.monotonic(), data))
            event.set()

        student.on(name, handler, namespace="/student")
    try:
        student.connect(process_a, namespaces=["/student"], auth={"token": token}, wait_timeout=10)
        assert arrived["attempt_state"].wait(5)
        assert got["attempt_state"][0][1]["status"] == "not_started"
        arrived["attempt_state"].clear()

        proctor.connect(process_b, namespaces=["/proctor"], headers={"Cookie": _login(process_b, "proctor1")},
                        wait_timeout=10)
        where = {"exam_id": exam.exam_id, "room_id": exam.room_id}
        joined = proctor.call("join", where, namespace="/proctor", timeout=10)
        assert joined["ok"], joined
        assert joined["room"]["candidates"][0]["online"] is True   # seen from process B
        assert proctor.call("start_room", where, namespace="/proctor", timeout=10) == {"ok": True}
        assert arrived["attempt_state"].wait(2), "start did not reach process A"
        assert got["attempt_state"][-1][1]["status"] == "in_progress"

        sent = time.monotonic()
        answer = proctor.call("pause", {**where, "candidate_id": exam.candidate(1), "reason": "cross-process"},
                              namespace="/proctor", timeout=10)
        assert answer == {"ok": True}
        assert arrived["paused"].wait(2), "the pause did not reach the student on the other process"
        at, data = got["paused"][0]
        assert data == {"reason": "cross-process"} and at - sent < 2

        # The candidate checks in again (a new token from process B): the screen on process A is
        # told why and disconnected.
        ended = threading.Event()
        student.on("disconnect", lambda *reason: ended.set(), namespace="/student")
        answer = proctor.call("issue_token", {**where, "candidate_id": exam.candidate(1), "reason": "kiosk 2"},
                              namespace="/proctor", timeout=10)
        assert answer["ok"] and answer["token"] != token
        assert arrived["session_replaced"].wait(2), "session_replaced did not reach process A"
        assert got["session_replaced"][0][1] == {"reason": "new_check_in"}
        assert ended.wait(2), "the replaced connection on process A was not ended"
    finally:
        student.disconnect()
        proctor.disconnect()
