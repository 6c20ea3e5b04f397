"""The feed: a receiver on loopback that fails for a while, then counts every delivery (signed,
at least once, nothing lost); xAPI statements queued in the result's transaction."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.server.indicator_factories import bare_exam, load_units
from tests.server.test_indicators_engine import _send


class Receiver:
    """An operations center on 127.0.0.1: answers 503 to the first `fail_first` requests."""

    def __init__(self, fail_first: int):
        self.fail_first, self.requests, self.accepted = fail_first, 0, {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.requests += 1
                    failing = receiver.requests <= receiver.fail_first
                    if not failing:
                        receiver.accepted.setdefault(self.headers["Idempotency-Key"], []).append(
                            (body, self.headers["X-Exam-Signature"]))
                self.send_response(503 if failing else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/feed"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver(fail_first=7)
    yield r
    r.close()


def test_every_delivery_arrives_signed_after_the_receiver_comes_back(app, receiver):
    from exam_server.core.db import session, utcnow
    from exam_server.indicators.feed import add_endpoint, deliver_due, enqueue_snapshots
    from exam_server.indicators.models import FeedDelivery

    app.config.update(FEED_RETRY_BASE_SECONDS=1, FEED_RETRY_MAX_SECONDS=8, FEED_TIMEOUT_SECONDS=5)
    with app.app_context():
        tree = load_units()
        ops, ops_secret = add_endpoint("ops", "indicators", receiver.url, "P1")
        lrs, lrs_secret = add_endpoint("lrs", "xapi", receiver.url)
        exams = []
        for _ in range(3):
            exam_id, c = bare_exam([("S1", "12A")] * 6 + [("S2", "")] * 5)
            _send(exam_id, c, [("move", i, "submitted") for i in range(11)]
                  + [("score", i, Decimal(i) / 2 + Decimal("0.25")) for i in range(11)])
            exams.append(exam_id)
        session.commit()
        now = utcnow()
        assert enqueue_snapshots(now) == 3
        session.commit()
        assert enqueue_snapshots(now) == 0           # nothing changed since: nothing new
        expected = session.query(FeedDelivery).count()
        assert expected == 3 + 33                   # three snapshots, one statement per result
        rounds = 0
        while session.query(FeedDelivery).filter(FeedDelivery.delivered_at.is_(None)).count() and rounds < 30:
            deliver_due(now)
            now += timedelta(seconds=10)             # past any backoff so far
            rounds += 1
        keys = [k for (k,) in session.query(FeedDelivery.idempotency_key)]
        attempts = sum(a for (a,) in session.query(FeedDelivery.attempts))
    assert receiver.requests == attempts == expected + 7
    assert sorted(receiver.accepted) == sorted(keys)             # every delivery, each key once
    for key, [(body, signature)] in receiver.accepted.items():
        secret = ops_secret if key.startswith("ind-") else lrs_secret
        assert signature == "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    snapshot = json.loads(next(b for k, [(b, _s)] in receiver.accepted.items() if k.startswith("ind-")))
    assert snapshot["kind"] == "indicators.snapshot" and snapshot["data"]["unit"]["code"] == "P1"
    rows = {r["unit"]["code"]: r["indicators"] for r in snapshot["data"]["rows"]}
    assert set(rows) == {"P1", "C1", "C2"}
    assert rows["P1"]["registered"]["value"] == 11 and rows["C1"]["registered"]["value"] == 5
    statement = json.loads(next(b for k, [(b, _s)] in receiver.accepted.items() if k.startswith("xapi-")))
    data = statement["data"]
    assert data["verb"]["id"].endswith(("passed", "failed")) and 0 <= data["result"]["score"]["scaled"] <= 1
    assert "Thí sinh" not in json.dumps(statement, ensure_ascii=False)        # no names leave
    assert tree["P1"]


def test_backoff_doubles_up_to_the_max(app):
    from exam_server.core.db import session, utcnow
    from exam_server.indicators.feed import add_endpoint, deliver_due
    from exam_server.indicators.models import FeedDelivery

    app.config.update(FEED_RETRY_BASE_SECONDS=10, FEED_RETRY_MAX_SECONDS=35, FEED_TIMEOUT_SECONDS=1)
    with app.app_context():
        endpoint, _ = add_endpoint("down", "xapi", "http://127.0.0.1:9/nobody")   # discard port: refused
        exam_id, c = bare_exam([("", "")])
        _send(exam_id, c, [("score", 0, Decimal(7))])
        session.commit()
        delivery = session.query(FeedDelivery).one()
        now = utcnow()
        waits = []
        for _ in range(4):
            deliver_due(now)
            session.refresh(delivery)
            waits.append((delivery.next_attempt_at - now).total_seconds())
            now = delivery.next_attempt_at
        assert deliver_due(now - timedelta(seconds=1)) == {"delivered": 0, "failed": 0}   # not due yet
    assert waits == [10, 20, 35, 35]
    assert delivery.delivered_at is None and delivery.attempts == 4 and delivery.last_error


def test_a_rolled_back_result_queues_nothing(app):
    from exam_server.core.db import session
    from exam_server.indicators.feed import add_endpoint
    from exam_server.indicators.models import FeedDelivery

    with app.app_context():
        add_endpoint("lrs", "xapi", "http://127.0.0.1:9/x")
        exam_id, c = bare_exam([("", "")])
        session.commit()
        _send(exam_id, c, [("score", 0, Decimal(7))])
        session.rollback()
        assert session.query(FeedDelivery).count() == 0
