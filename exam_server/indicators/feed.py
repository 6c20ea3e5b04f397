"""The push feed: signed JSON deliveries from a persistent outbox (feed_deliveries).

Two kinds of endpoint (docs/indicators.md, "The feed"):
- "indicators" (an operations center): `enqueue_snapshots` puts one delivery per exam whose cells
  changed since the endpoint's cursor: every indicator for the endpoint's unit and its children.
- "xapi" (a Learning Record Store): an xAPI statement per stored result, put in the outbox by the
  result_stored receiver in the result's own transaction (nothing lost on a crash).

`deliver_due` POSTs each due delivery with an HMAC-SHA256 signature of the body and its
idempotency key; a failure (network, non-2xx) is retried with exponential backoff, forever (the
outbox never drops a delivery; an operator may deactivate an endpoint). At least once: the receiver
drops repeats by the idempotency key.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from exam_server.core import signals
from exam_server.core.db import session
from exam_server.core.errors import ApiError
from exam_server.indicators import query
from exam_server.indicators.models import FeedCursor, FeedDelivery, FeedEndpoint, IndicatorExam, OrgUnit

KINDS = ("indicators", "xapi")
SIGNATURE_HEADER = "X-Exam-Signature"        # "sha256=<hex of HMAC-SHA256(secret, body)>"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def add_endpoint(name: str, kind: str, url: str, unit_code: str | None = None) -> tuple[FeedEndpoint, str]:
    """A new endpoint and its secret (shown once, to give to the receiver)."""
    if kind not in KINDS:
        raise ApiError("bad_value", f"kind is one of {', '.join(KINDS)}.", 422, "kind")
    if not url.startswith(("https://", "http://")):
        raise ApiError("bad_value", "url must be http(s).", 422, "url")
    unit = None
    if unit_code:
        unit = session.scalar(select(OrgUnit).where(OrgUnit.code == unit_code))
        if unit is None:
            raise ApiError("no_such_unit", f"No unit {unit_code!r}.", 422, "unit")
    secret = secrets.token_hex(32)
    endpoint = FeedEndpoint(name=name, kind=kind, url=url, secret=secret, unit_id=unit.id if unit else None)
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def _enqueue(endpoint: FeedEndpoint, kind: str, key: str, payload: dict[str, Any], now: datetime) -> None:
    body = json.dumps({"kind": kind, "idempotency_key": key, "created_at": now.isoformat(), "data": payload},
                      ensure_ascii=False, sort_keys=True)
    session.add(FeedDelivery(endpoint_id=endpoint.id, idempotency_key=key, kind=kind, body=body, created_at=now,
                             next_attempt_at=now, attempts=0))


def enqueue_snapshots(now: datetime) -> int:
    """One snapshot per (indicators endpoint, exam changed since its cursor)."""
    made = 0
    endpoints = list(session.scalars(select(FeedEndpoint).where(FeedEndpoint.kind == "indicators",
                                                                FeedEndpoint.active.is_(True))))
    exams = list(session.scalars(select(IndicatorExam).order_by(IndicatorExam.exam_id)))
    for endpoint in endpoints:
        cursors = {c.exam_id: c for c in session.scalars(select(FeedCursor)
                                                         .where(FeedCursor.endpoint_id == endpoint.id))}
        unit = session.get(OrgUnit, endpoint.unit_id) if endpoint.unit_id else None
        for exam in exams:
            cursor = cursors.get(exam.exam_id)
            if cursor is not None and cursor.revision >= exam.revision:
                continue
            selection = query.Selection([exam.exam_id], str(exam.revision), {"exam_id": exam.exam_id})
            payload = {"exam": {"exam_id": exam.exam_id, "title": exam.title, "subject": exam.subject,
                                "grade": exam.grade, "school_year": exam.school_year, "revision": exam.revision},
                       "unit": query.summary(unit, selection)["unit"],
                       "rows": [_unit_indicators(u, selection) for u in [unit, *query.children(unit)]]}
            _enqueue(endpoint, "indicators.snapshot", f"ind-{endpoint.id}-{exam.exam_id}-{exam.revision}", payload, now)
            if cursor is None:
                session.add(FeedCursor(endpoint_id=endpoint.id, exam_id=exam.exam_id, revision=exam.revision))
            else:
                cursor.revision = exam.revision
            made += 1
    session.flush()
    return made


def _unit_indicators(unit: OrgUnit | None, selection: query.Selection) -> dict[str, Any]:
    data = query.summary(unit, selection)
    return {"unit": data["unit"], "indicators": {code: {k: v[k] for k in ("value", "n", "suppressed")}
                                                 for code, v in data["indicators"].items()}}


def deliver_due(now: datetime, *, limit: int = 500, timeout_seconds: float | None = None) -> dict[str, int]:
    """POST every due delivery once; commit after each (so a crash repeats at most one)."""
    config = current_app.config
    timeout = timeout_seconds or config["FEED_TIMEOUT_SECONDS"]
    due = list(session.scalars(select(FeedDelivery).join(FeedEndpoint, FeedEndpoint.id == FeedDelivery.endpoint_id)
                               .where(FeedDelivery.delivered_at.is_(None), FeedDelivery.next_attempt_at <= now,
                                      FeedEndpoint.active.is_(True))
                               .order_by(FeedDelivery.id).limit(limit)))
    counts = {"delivered": 0, "failed": 0}
    for delivery in due:
        endpoint = session.get(FeedEndpoint, delivery.endpoint_id)
        body = delivery.body.encode()
        delivery.attempts += 1
        request = urllib.request.Request(endpoint.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "Idempotency-Key": delivery.idempotency_key,
            SIGNATURE_HEADER: sign(endpoint.secret, body), "X-Exam-Delivery": str(delivery.id),
            "X-Exam-Attempt": str(delivery.attempts)})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:   # noqa: S310 - http(s) only
                ok, error = 200 <= response.status < 300, f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            ok, error = False, f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            ok, error = False, f"{type(exc).__name__}: {exc}"[:500]
        if ok:
            delivery.delivered_at, delivery.last_error = now, ""
            counts["delivered"] += 1
        else:
            backoff = min(config["FEED_RETRY_BASE_SECONDS"] * 2 ** (delivery.attempts - 1),
                          config["FEED_RETRY_MAX_SECONDS"])
            delivery.next_attempt_at, delivery.last_error = now + timedelta(seconds=backoff), error
            counts["failed"] += 1
        session.commit()
    return counts


# --- xAPI statements (to a Learning Record Store), queued with the result ------------------------

def _statement(exam_id: int, attempt_id: int, candidate_id: int, score, at: datetime, base_url: str) -> dict:
    """completed + passed/failed, scaled score; the actor is a pseudonym (no name, no ID number)."""
    pseudonym = hashlib.sha256(f"{current_app.config['SECRET_KEY']}:candidate:{candidate_id}".encode()).hexdigest()[:24]
    passed = score >= 5
    return {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base_url}/attempts/{attempt_id}/{at.isoformat()}")),
            "actor": {"objectType": "Agent", "account": {"homePage": base_url, "name": pseudonym}},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/" + ("passed" if passed else "failed"),
                     "display": {"en-US": "passed" if passed else "failed"}},
            "object": {"objectType": "Activity", "id": f"{base_url}/exams/{exam_id}",
                       "definition": {"type": "http://adlnet.gov/expapi/activities/assessment"}},
            "result": {"completion": True, "success": passed,
                       "score": {"scaled": float(score) / 10, "raw": float(score), "min": 0, "max": 10}},
            "timestamp": at.isoformat()}


def on_result_stored(exam_id, result_id, attempt_id, candidate_id, version, score, at, **_kw):
    endpoints = list(session.scalars(select(FeedEndpoint).where(FeedEndpoint.kind == "xapi",
                                                                FeedEndpoint.active.is_(True))))
    base_url = current_app.config["FEED_XAPI_BASE_URL"]
    for endpoint in endpoints:
        _enqueue(endpoint, "xapi.statement", f"xapi-{endpoint.id}-{result_id}",
                 _statement(exam_id, attempt_id, candidate_id, score, at, base_url), at)


signals.result_stored.connect(on_result_stored)
