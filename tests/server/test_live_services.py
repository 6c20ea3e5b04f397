"""Live services without sockets: tokens, the server clock (frozen `now`), answers, the sweeper."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.server.exam_factories import live_exam


@pytest.fixture
def exam(app, client, token_for, users):
    return live_exam(app, client, token_for, users)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def _candidate(exam, n):
    from exam_server.core.db import session
    from exam_server.exams.models import Candidate

    return session.get(Candidate, exam.candidate(n))


def _user(username_id):
    from exam_server.accounts.models import User
    from exam_server.core.db import session

    return session.get(User, username_id)


def _started(exam, users, n, t0):
    """A started room and a running attempt for candidate n, started at t0."""
    from exam_server.core.db import session
    from exam_server.exams.models import ExamRoom
    from exam_server.live import services as live
    from exam_server.live.attempts import room_session

    candidate = _candidate(exam, n)
    if room_session(exam.exam_id, candidate.room_id) is None:
        live.start_room(session.get(ExamRoom, candidate.room_id), _user(users["admin"]), t0)
    attempt = live.attempt_for(candidate, t0)
    assert live.maybe_start(attempt, t0)
    return attempt


def test_tokens_single_candidate_newest_wins(exam, users, ctx):
    from exam_server.core.db import session
    from exam_server.live import services as live
    from exam_server.live.models import ProctorAction, SessionToken

    candidate = _candidate(exam, 1)
    proctor = _user(users["proctor1"])
    first = live.issue_session_token(candidate, proctor, "manual", "no card")
    assert live.authenticate_token(first).id == candidate.id
    second = live.issue_session_token(candidate, proctor, "manual", "again")
    session.commit()
    with pytest.raises(live.LiveError) as refused:
        live.authenticate_token(first)
    assert refused.value.code == "bad_token"
    assert live.authenticate_token(second).id == candidate.id
    for bad in ("", "x" * 5000, "not-a-token", None):
        with pytest.raises(live.LiveError):
            live.authenticate_token(bad)
    rows = session.scalars(select(SessionToken).order_by(SessionToken.id)).all()
    assert [r.revoked_at is None for r in rows] == [False, True]
    assert all(first not in r.token_hash and len(r.token_hash) == 64 for r in rows)  # only the sha256
    assert session.scalar(select(func.count()).select_from(ProctorAction)
                          .where(ProctorAction.action == "issue_token")) == 2
    with pytest.raises(live.LiveError):   # a manual check-in needs a reason
        live.issue_session_token(candidate, proctor, "manual", " ")
    with pytest.raises(live.LiveError):
        live.issue_session_token(candidate, proctor, "face", "x")


def test_clock_pause_extend(exam, users, ctx):
    from exam_server.live import services as live

    t0 = datetime.now(UTC).replace(microsecond=0)
    attempt = _started(exam, users, 1, t0)
    admin = users["admin"]
    assert live.remaining_seconds(attempt, t0) == 90 * 60
    assert live.remaining_seconds(attempt, t0 + timedelta(minutes=10)) == 80 * 60
    live.pause(attempt, t0 + timedelta(minutes=10), admin, "fire drill")
    assert live.remaining_seconds(attempt, t0 + timedelta(minutes=30)) == 80 * 60   # time stops
    live.resume(attempt, t0 + timedelta(minutes=30), admin, "")
    assert live.remaining_seconds(attempt, t0 + timedelta(minutes=40)) == 70 * 60
    live.extend(attempt, 5, t0 + timedelta(minutes=40), admin, "printer noise")
    assert live.remaining_seconds(attempt, t0 + timedelta(minutes=40)) == 75 * 60
    assert live.elapsed_seconds(attempt, t0 + timedelta(minutes=40)) == 20 * 60
    assert live.remaining_seconds(attempt, t0 + timedelta(days=1)) == 0              # never negative
    events = [e for e in attempt_events(attempt)]
    assert events == ["create", "start", "pause", "resume", "extend"]


def attempt_events(attempt):
    from exam_server.core.db import session
    from exam_server.live.models import AttemptEvent

    return session.scalars(select(AttemptEvent.action).where(AttemptEvent.attempt_id == attempt.id)
                           .order_by(AttemptEvent.id)).all()


def test_clock_accommodations_and_window(exam, users, ctx):
    from exam_server.core.db import session
    from exam_server.exams.models import Exam
    from exam_server.live import services as live

    t0 = datetime.now(UTC).replace(microsecond=0)
    assert live.remaining_seconds(_started(exam, users, 2, t0), t0) == (90 + 15) * 60
    third = _started(exam, users, 3, t0)
    assert live.remaining_seconds(third, t0) == (90 + 23) * 60   # 25 % of 90, rounded up
    closes_at = session.get(Exam, exam.exam_id).closes_at
    late = closes_at - timedelta(minutes=10)
    assert live.remaining_seconds(third, late) <= 10 * 60          # capped by the exam's window
    # A paused attempt is still bound by the window.
    live.pause(third, t0 + timedelta(minutes=1), users["admin"], "x")
    assert live.remaining_seconds(third, closes_at) == 0


def test_illegal_moves_are_refused(exam, users, ctx):
    from exam_server.core.errors import Conflict
    from exam_server.live import services as live

    t0 = datetime.now(UTC)
    attempt = live.attempt_for(_candidate(exam, 1), t0)
    with pytest.raises(Conflict):
        live.pause(attempt, t0, users["admin"], "x")
    with pytest.raises(live.LiveError) as refused:
        live.submit(attempt, t0)
    assert refused.value.code == "attempt_not_active"
    assert not live.maybe_start(attempt, t0)     # the room has not been started


def _holder(attempt, users):
    """The attempt's slot held by a connection "sid-1" with a fresh token (what /student does)."""
    from exam_server.live import services as live
    from exam_server.live.answers import Holder
    from exam_server.live.tokens import token_hash

    token = live.issue_session_token(attempt.candidate, _user(users["proctor1"]), "manual", "test")
    attempt.connection_sid = "sid-1"
    return Holder(attempt.id, "sid-1", token_hash(token))


def test_answers_idempotent_and_out_of_order(exam, users, ctx):
    from exam_server.core.db import session
    from exam_server.live import services as live
    from exam_server.live.models import AnswerEvent

    t0 = datetime.now(UTC)
    attempt = _started(exam, users, 1, t0)
    holder, paper = _holder(attempt, users), live.paper_of(attempt.candidate_id)
    numbers = {q.question.item_type: q.number for q in paper.questions}
    q = numbers["numeric"]
    assert live.save_answer(holder, paper, q, "3", 5, t0) == 5
    assert live.save_answer(holder, paper, q, "1", 2, t0) == 2          # older, arrives late
    assert live.save_answer(holder, paper, q, "3", 5, t0) == 5          # replay: stored once
    assert live.latest_answers(attempt) == {q: "3"}
    with pytest.raises(live.LiveError) as refused:
        live.save_answer(holder, paper, q, "4", 5, t0)                   # same seq, other content
    assert refused.value.code == "seq_reused"
    live.save_flag(holder, paper, q, True, 6, t0)
    assert live.flags(attempt) == [q]
    live.save_answer(holder, paper, q, None, 7, t0)                    # cleared
    assert live.latest_answers(attempt) == {}
    assert session.scalar(select(func.count()).select_from(AnswerEvent)) == 4
    # Nothing is stored for a connection that no longer holds the slot, or after the deadline.
    from exam_server.live.answers import Holder

    with pytest.raises(live.LiveError) as refused:
        live.save_answer(Holder(attempt.id, "sid-2", holder.token_hash), paper, q, "5", 8, t0)
    assert refused.value.code == "bad_token"
    with pytest.raises(live.LiveError) as refused:
        live.save_answer(holder, paper, q, "5", 9, t0 + timedelta(minutes=91))
    assert refused.value.code == "attempt_not_active"
    assert live.save_answer(holder, paper, q, None, 7, t0 + timedelta(minutes=91)) == 7   # a replay still acks
    assert session.scalar(select(func.count()).select_from(AnswerEvent)) == 4


def test_sweeper_closes_and_scores(exam, users, ctx):
    from exam_server.core.db import session
    from exam_server.live import services as live
    from exam_server.live.models import AttemptStatus
    from exam_server.results.models import Result

    t0 = datetime.now(UTC)
    first, second = _started(exam, users, 1, t0), _started(exam, users, 2, t0)
    session.commit()
    assert live.close_due_attempts(t0 + timedelta(minutes=89)) == []
    closed = live.close_due_attempts(t0 + timedelta(minutes=91))
    assert closed == [first]                                      # the other has 15 more minutes
    assert first.status == AttemptStatus.CLOSED and second.status == AttemptStatus.IN_PROGRESS
    assert live.close_due_attempts(t0 + timedelta(minutes=91)) == []   # once
    # Scored after the close, in a batch, once.
    from exam_server.live.scoring import score_pending

    assert score_pending(t0 + timedelta(minutes=91)) == [first] and first.scored_at is not None
    assert score_pending(t0 + timedelta(minutes=92)) == []
    assert session.scalar(select(func.count()).select_from(Result).where(Result.attempt_id == first.id)) == 1
