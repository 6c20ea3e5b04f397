"""Operations (issue 9): /healthz and /readyz, Prometheus metrics from a live sitting, JSON logs
with an event id, and the exam_node cookie that keeps long-polling on its process."""
from __future__ import annotations

import json
import logging

from prometheus_client.parser import text_string_to_metric_families

from tests.server.exam_factories import live_exam, session_token


def _samples(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_health_and_readiness(app, client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": True, "accepting": True}
    app.extensions["live"].draining = True          # what SIGTERM's drain sets
    draining = client.get("/readyz")
    assert draining.status_code == 503 and draining.get_json()["checks"]["accepting"] is False


def test_metrics_count_a_sitting(app, client, token_for, users):
    from exam_server.core.extensions import socketio

    exam = live_exam(app, client, token_for, users)
    before = _samples(client)
    token = session_token(client, token_for("proctor1"), exam, exam.candidate(1))
    pupil = socketio.test_client(app, namespace="/student", auth={"token": token, "device": "kiosk-0001"})
    connected = ("exam_live_connected_students", (("exam_id", str(exam.exam_id)),))
    assert _samples(client)[connected] == before.get(connected, 0) + 1
    refused = socketio.test_client(app, namespace="/student", auth={"token": "not-a-token"})
    assert not refused.is_connected("/student")
    after = _samples(client)
    key = ("exam_live_refusals_total", (("code", "bad_token"), ("event", "connect"), ("namespace", "/student")))
    assert after[key] == before.get(key, 0) + 1
    pupil.disconnect("/student")
    assert _samples(client)[connected] == before.get(connected, 0)
    assert ("exam_db_pool_checked_out", ()) in after and ("exam_db_pool_size", ()) in after


def test_json_logs_carry_the_event_id(app, client):
    from pythonjsonlogger.json import JsonFormatter

    from exam_server.core import logs

    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Keep()
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(event_id)s %(message)s"))
    handler.addFilter(logs._EventIdFilter())
    logger = logging.getLogger("exam_server.test_ops")
    logger.addHandler(handler)
    try:
        with app.test_request_context("/"):
            app.preprocess_request()
            event_id = logs.current_event_id()
            logger.warning("one line of this request")
    finally:
        logger.removeHandler(handler)
    line = json.loads(records[-1])
    assert line["message"] == "one line of this request" and line["event_id"] == event_id and len(event_id) == 16


def test_the_node_cookie_only_on_socketio(tmp_path):
    from exam_server.app import create_app

    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "TESTING": True, "NODE_NAME": "8001",
                      "LIVE_BACKGROUND": False, "INSTANCE_PATH": str(tmp_path)})
    client = app.test_client()
    polling = client.get("/socket.io/?EIO=4&transport=polling")
    assert polling.status_code == 200
    assert "exam_node=8001; Path=/socket.io/; HttpOnly; SameSite=Strict" in polling.headers.getlist("Set-Cookie")
    assert not any("exam_node" in c for c in client.get("/healthz").headers.getlist("Set-Cookie"))
    app.extensions["db_engine"].dispose()
    app.extensions["live_engine"].dispose()
