"""Domain signals (core.signals): the live and results features announce what changed, inside the
transaction, with plain values; a receiver's failure aborts the change."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.server.exam_factories import live_exam


@pytest.fixture
def exam(app, client, token_for, users):
    return live_exam(app, client, token_for, users)


@contextmanager
def caught(signal):
    seen = []

    def receiver(sender, **kwargs):
        seen.append((sender, kwargs))

    signal.connect(receiver)
    try:
        yield seen
    finally:
        signal.disconnect(receiver)


def test_a_running_attempt_announces_its_moves_its_result_and_the_token(app, exam, users):
    from exam_server.accounts.models import User
    from exam_server.core import signals
    from exam_server.core.db import session, utcnow
    from exam_server.exams.models import Candidate, ExamRoom
    from exam_server.live import services as live

    with app.app_context():
        candidate = session.get(Candidate, exam.candidate(1))
        admin = session.get(User, users["admin"])
        now = utcnow()
        with caught(signals.attempts_moved) as moves, caught(signals.result_stored) as results, \
                caught(signals.session_token_issued) as tokens, caught(signals.proctor_acted) as acted:
            live.issue_session_token(candidate, admin, "manual", "no card", now)
            live.start_room(session.get(ExamRoom, candidate.room_id), admin, now)
            attempt = live.attempt_for(candidate, now)
            live.maybe_start(attempt, now)
            live.submit(attempt, now + timedelta(minutes=3))
            session.commit()
    # The moves, in order, by the attempt-state table: created, started, submitted.
    assert [(m.action, m.from_status, m.to_status) for _e, kw in moves for m in kw["moves"]] == [
        ("create", None, "not_started"), ("start", "not_started", "in_progress"),
        ("submit", "in_progress", "submitted")]
    assert {sender for sender, _kw in moves} == {exam.exam_id}
    assert all(m.candidate_id == exam.candidate(1) for _e, kw in moves for m in kw["moves"])
    # Nothing answered: the result is 0 of the paper's points, version 1, at submit.
    (sender, result), = results
    assert sender == exam.exam_id and result["version"] == 1 and result["reason"] == "submit"
    assert result["score"] == Decimal(0) and result["raw_points"] == Decimal(0)
    assert [(kw["method"], kw["actor_id"]) for _e, kw in tokens] == [("manual", users["admin"])]
    assert [kw["action"] for _e, kw in acted] == ["start_room"]


def test_a_failing_receiver_aborts_the_change(app, exam, users):
    from sqlalchemy import func, select

    from exam_server.core import signals
    from exam_server.core.db import session, utcnow
    from exam_server.exams.models import Candidate
    from exam_server.live import services as live
    from exam_server.live.models import Incident, IncidentKind

    def refuse(sender, **kwargs):
        raise RuntimeError("the follower cannot keep up")

    signals.incident_raised.connect(refuse)
    try:
        with app.app_context():
            candidate = session.get(Candidate, exam.candidate(1))
            with pytest.raises(RuntimeError):
                live.raise_incident(candidate, IncidentKind.FOCUS_LOST, "away", utcnow())
            session.rollback()
            assert session.scalar(select(func.count()).select_from(Incident)) == 0
    finally:
        signals.incident_raised.disconnect(refuse)
