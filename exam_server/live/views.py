"""What clients are shown, built in bulk: the student's `attempt_state` and the proctor's CANDIDATE
rows and ROOM_SNAPSHOT (docs/protocol.md). A fixed number of statements whatever the number of
candidates or questions (papers come from exams.papers, which keeps them)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from exam_server.core.db import among, session
from exam_server.exams import papers
from exam_server.exams.models import Candidate, Exam, ExamRoom
from exam_server.exams.services import allowed_minutes
from exam_server.live.answers import AnswerState, answer_states
from exam_server.live.attempts import room_session
from exam_server.live.clock import remaining_seconds
from exam_server.live.models import Attempt, AttemptEvent, AttemptStatus, Incident
from exam_server.live.proctoring import incident_view, iso
from exam_server.live.tokens import checkins_of

CHUNK = 1000


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def _remaining(attempt: Attempt, exam: Exam, now: datetime) -> int:
    if attempt.status == AttemptStatus.IN_PROGRESS and attempt.due_at is not None:
        return remaining_seconds(attempt, now)
    return remaining_seconds(attempt, now, exam.closes_at, allowed_minutes(attempt.candidate))


def time_payload(attempt: Attempt, now: datetime) -> dict[str, Any]:
    return {"remaining_seconds": remaining_seconds(attempt, now), "status": attempt.status.value,
            "server_time": iso(now)}


# --- the student ------------------------------------------------------------------------------

def pause_reasons(attempt_ids: list[int]) -> dict[int, str]:
    """Why each paused attempt is paused: the reason of its latest pause."""
    found: dict[int, str] = {}
    for chunk in _chunks(attempt_ids):
        newest = (select(func.max(AttemptEvent.id)).where(among(AttemptEvent.attempt_id, chunk),
                                                          AttemptEvent.action == "pause")
                  .group_by(AttemptEvent.attempt_id))
        found.update(session.execute(select(AttemptEvent.attempt_id, AttemptEvent.reason)
                                     .where(AttemptEvent.id.in_(newest))).all())
    return found


def attempt_states(attempts: list[Attempt], now: datetime, *, with_paper: bool = True,
                   exam: Exam | None = None, paper_of: dict[int, Any] | None = None) -> dict[int, dict[str, Any]]:
    """attempt_state for each attempt (candidate rows loaded with them): the paper only once
    started, the pause's reason when paused, the answers, flags and last seq."""
    if not attempts:
        return {}
    answers = answer_states(a.id for a in attempts)
    started = [a for a in attempts if a.status != AttemptStatus.NOT_STARTED]
    if paper_of is None:
        paper_of = papers.papers(a.candidate_id for a in started) if with_paper else {}
    reasons = pause_reasons([a.id for a in attempts if a.status == AttemptStatus.PAUSED])
    states = {}
    exams = {exam.id: exam} if exam is not None else {}
    for attempt in attempts:
        exam = exams.get(attempt.exam_id) or exams.setdefault(attempt.exam_id, session.get(Exam, attempt.exam_id))
        state: AnswerState = answers[attempt.id]
        paper = paper_of.get(attempt.candidate_id)
        states[attempt.id] = {
            "attempt_id": attempt.id, "status": attempt.status.value, "server_time": iso(now),
            "remaining_seconds": _remaining(attempt, exam, now),
            "paused": attempt.status == AttemptStatus.PAUSED, "pause_reason": reasons.get(attempt.id) or None,
            "kiosk": attempt.kiosk,
            "candidate": {"candidate_number": attempt.candidate.candidate_number,
                          "full_name": attempt.candidate.full_name},
            "paper": paper.render() if paper is not None else None,
            "answers": state.records(), "flags": state.flagged(), "last_seq": state.last_seq}
    return states


def attempt_states_with_papers(attempts: list[Attempt], now: datetime) -> tuple[dict[int, dict], dict[int, Any]]:
    """attempt_states, and the papers they were rendered from (by candidate): the relay keeps a
    started connection's paper for its answer checks."""
    paper_of = papers.papers(a.candidate_id for a in attempts if a.status != AttemptStatus.NOT_STARTED)
    return attempt_states(attempts, now, paper_of=paper_of), paper_of


def attempt_state(attempt: Attempt, now: datetime, exam: Exam | None = None) -> dict[str, Any]:
    return attempt_states([attempt], now, exam=exam)[attempt.id]


# --- the proctor ------------------------------------------------------------------------------

def candidate_views(candidates: list[Candidate], now: datetime) -> list[dict[str, Any]]:
    """CANDIDATE rows, in the order given."""
    if not candidates:
        return []
    ids = [c.id for c in candidates]
    attempts: dict[int, Attempt] = {}
    incidents: dict[int, list[dict[str, Any]]] = {}
    for chunk in _chunks(ids):
        attempts.update((a.candidate_id, a) for a in session.scalars(select(Attempt).where(
            among(Attempt.candidate_id, chunk))))
        for row in session.scalars(select(Incident).where(among(Incident.candidate_id, chunk)).order_by(Incident.id)):
            incidents.setdefault(row.candidate_id, []).append(incident_view(row))
    checkins = checkins_of(ids)
    states = answer_states(a.id for a in attempts.values())
    answered = {attempt_id: (len(s.latest()), s.last_seq) for attempt_id, s in states.items()}
    questions = papers.question_counts(ids)
    exam = session.get(Exam, candidates[0].exam_id)
    views = []
    for candidate in candidates:
        attempt = attempts.get(candidate.id)
        checkin = checkins[candidate.id]
        if attempt is None or attempt.status == AttemptStatus.NOT_STARTED:
            state = "checked_in" if checkin["method"] else "not_arrived"
        else:
            state = attempt.status.value
        count, last_seq = answered.get(attempt.id, (0, 0)) if attempt else (0, 0)
        views.append({
            "candidate_id": candidate.id, "version": attempt.state_version if attempt else 0,
            "candidate_number": candidate.candidate_number, "full_name": candidate.full_name, "state": state,
            "online": bool(attempt and attempt.connection_sid),
            "offline_since": iso(attempt.offline_since) if attempt else None,
            "kiosk": attempt.kiosk if attempt else None, "checkin": checkin,
            "answered": count, "last_seq": last_seq, "questions": questions.get(candidate.id, 0),
            "remaining_seconds": _remaining(attempt, exam, now) if attempt else None,
            "incidents": incidents.get(candidate.id, [])})
    return views


def candidate_view(candidate: Candidate, now: datetime) -> dict[str, Any]:
    return candidate_views([candidate], now)[0]


def views_of(candidate_ids: Iterable[int], now: datetime) -> list[dict[str, Any]]:
    ids = sorted(set(candidate_ids))
    candidates = []
    for chunk in _chunks(ids):
        candidates += session.scalars(select(Candidate).where(among(Candidate.id, chunk))).all()
    candidates.sort(key=lambda c: c.candidate_number)
    return candidate_views(candidates, now)


def room_state(room: ExamRoom) -> dict[str, Any]:
    started = room_session(room.exam_id, room.id)
    return {"exam_id": room.exam_id, "room_id": room.id, "started": started is not None,
            "paused": bool(started and started.paused_at)}


def room_snapshot(room: ExamRoom, now: datetime) -> dict[str, Any]:
    candidates = list(session.scalars(select(Candidate).where(Candidate.room_id == room.id)
                                      .order_by(Candidate.candidate_number)))
    return {**room_state(room), "candidates": candidate_views(candidates, now)}
