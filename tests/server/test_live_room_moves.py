"""A room's start, pause and resume move its attempts in bulk (live/rooms.py: one Core select, one
executemany): each moved attempt's clock follows the candidate's accommodation, the other room
is left alone, one history row per move, and attempt instances loaded before in the same
transaction see the move."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tests.server.exam_factories import live_exam


def test_room_moves_keep_each_clock_and_the_loaded_instances_true(app, client, token_for, users):
    from exam_server.accounts.models import User
    from exam_server.core.db import session
    from exam_server.exams.models import Candidate, ExamRoom
    from exam_server.live import services as live
    from exam_server.live.models import AttemptEvent, AttemptStatus

    exam = live_exam(app, client, token_for, users)
    t0 = datetime.now(UTC).replace(microsecond=0)
    with app.app_context():
        admin = session.get(User, users["admin"])
        attempts = {n: live.attempt_for(session.get(Candidate, exam.candidate(n)), t0) for n in (1, 2, 3)}
        for attempt in attempts.values():
            attempt.connection_sid = f"sid-{attempt.id}"       # connected, waiting for the start
        session.flush()
        room = session.get(ExamRoom, exam.room_id)             # P01: candidates 1 and 2 (15 extra minutes)

        started = live.start_room(room, admin, t0)
        assert sorted(started) == sorted([exam.candidate(1), exam.candidate(2)])
        assert [attempts[n].status for n in (1, 2, 3)] == [AttemptStatus.IN_PROGRESS, AttemptStatus.IN_PROGRESS,
                                                             AttemptStatus.NOT_STARTED]
        assert attempts[1].started_at == t0 and attempts[1].due_at == t0 + timedelta(minutes=90)
        assert attempts[2].due_at == t0 + timedelta(minutes=90 + 15)
        assert attempts[3].started_at is None                  # room P02 was not started

        live.pause_room(room, admin, "mất điện", t0 + timedelta(minutes=10))
        assert attempts[2].status == AttemptStatus.PAUSED
        live.resume_room(room, admin, "có điện", t0 + timedelta(minutes=15))
        assert attempts[2].status == AttemptStatus.IN_PROGRESS
        assert attempts[2].paused_seconds == 5 * 60
        assert attempts[2].due_at == t0 + timedelta(minutes=90 + 15 + 5)
        assert live.remaining_seconds(attempts[1], t0 + timedelta(minutes=15)) == (90 + 5 - 15) * 60
        session.commit()
        moves = dict(session.execute(select(AttemptEvent.action, func.count()).where(
            AttemptEvent.attempt_id.in_([attempts[1].id, attempts[2].id]), AttemptEvent.action != "create")
            .group_by(AttemptEvent.action)).all())
        assert moves == {"start": 2, "pause": 2, "resume": 2}
