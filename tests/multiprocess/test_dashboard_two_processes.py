"""The dashboard's live channel across processes: an admin's dashboard connected to process A hears
"changed" when a proctor on process B starts the room (the commit on B, the push through Redis).

Needs Redis and PostgreSQL: with CI=true their absence fails the test, elsewhere it is skipped."""
from __future__ import annotations

import threading

import pytest
import socketio as sio_client

from tests.multiprocess.test_two_processes import _login, database_url, servers  # noqa: F401 - fixtures
from tests.server.exam_factories import live_exam

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


def test_a_room_started_on_b_reaches_a_dashboard_on_a(app, client, token_for, users, servers):  # noqa: F811
    from exam_server.core.db import session
    from exam_server.exams.models import Candidate
    from exam_server.live.services import issue_session_token

    exam = live_exam(app, client, token_for, users)
    with app.app_context():
        token = issue_session_token(session.get(Candidate, exam.candidate(1)), None, "chip", "")
        session.commit()
    process_a, process_b = servers
    changed, heard = [], threading.Event()
    dashboard = sio_client.Client(reconnection=False)
    student = sio_client.Client(reconnection=False)
    proctor = sio_client.Client(reconnection=False)

    def on_changed(data):
        changed.append(data)
        heard.set()

    dashboard.on("changed", on_changed, namespace="/dashboard")
    try:
        dashboard.connect(process_a, namespaces=["/dashboard"], headers={"Cookie": _login(process_a, "admin")},
                          wait_timeout=10)
        assert dashboard.call("watch", {}, namespace="/dashboard", timeout=10) == {"ok": True}
        student.connect(process_a, namespaces=["/student"], auth={"token": token}, wait_timeout=10)
        proctor.connect(process_b, namespaces=["/proctor"], headers={"Cookie": _login(process_b, "proctor1")},
                        wait_timeout=10)
        where = {"exam_id": exam.exam_id, "room_id": exam.room_id}
        assert proctor.call("join", where, namespace="/proctor", timeout=10)["ok"]
        heard.clear()
        changed.clear()
        assert proctor.call("start_room", where, namespace="/proctor", timeout=10) == {"ok": True}
        assert heard.wait(3), "the change on process B did not reach the dashboard on process A"
        assert changed[0] == {"exam_ids": [exam.exam_id]}
        # A student cannot listen in.
        spy = sio_client.Client(reconnection=False)
        with pytest.raises(sio_client.exceptions.ConnectionError):
            spy.connect(process_a, namespaces=["/dashboard"], headers={"Cookie": _login(process_a, "student1")},
                        wait_timeout=5)
    finally:
        for c in (dashboard, student, proctor):
            c.disconnect()
