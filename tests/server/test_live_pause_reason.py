"""A page opened (or reloaded) while its attempt is paused shows why: attempt_state carries the
reason of the latest pause, as the `paused` push does; none once resumed or never paused."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.server.exam_factories import live_exam


@pytest.fixture
def exam(app, client, token_for, users):
    return live_exam(app, client, token_for, users)


def test_attempt_state_carries_the_pause_reason(app, exam, users):
    from exam_server.accounts.models import User
    from exam_server.core.db import session
    from exam_server.exams.models import Candidate, ExamRoom
    from exam_server.live import services as live
    from exam_server.live.services import pause_room, resume_room

    t0 = datetime.now(UTC)
    with app.app_context():
        admin = session.get(User, users["admin"])
        candidate = session.get(Candidate, exam.candidate(1))
        room = session.get(ExamRoom, candidate.room_id)
        live.start_room(room, admin, t0)
        attempt = live.attempt_for(candidate, t0)
        assert live.maybe_start(attempt, t0)
        state = live.attempt_state(attempt, t0)
        assert state["paused"] is False and state["pause_reason"] is None

        live.candidate_action(admin, candidate, "pause", t0 + timedelta(seconds=5), reason="Máy bị treo")
        state = live.attempt_state(attempt, t0 + timedelta(seconds=6))
        assert state["paused"] is True and state["pause_reason"] == "Máy bị treo"
        live.candidate_action(admin, candidate, "resume", t0 + timedelta(seconds=7), reason="")
        assert live.attempt_state(attempt, t0 + timedelta(seconds=8))["pause_reason"] is None

        pause_room(room, admin, "Mất điện", t0 + timedelta(seconds=9))     # the latest pause counts
        session.commit()
        state = live.attempt_state(attempt, t0 + timedelta(seconds=10))
        assert state["status"] == "paused" and state["pause_reason"] == "Mất điện"
        resume_room(room, admin, "", t0 + timedelta(seconds=11))
        assert live.attempt_state(attempt, t0 + timedelta(seconds=12))["pause_reason"] is None
