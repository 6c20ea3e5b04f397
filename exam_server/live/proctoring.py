"""Proctoring: who may act on a room, the audit trail, incidents, room snapshots, room actions.

Every proctor action is appended to proctor_actions (who, when, what, why). Access is checked on
every call (role and room assignment are read from the database each time)."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select

from exam_server.accounts.models import Role, User
from exam_server.core import signals
from exam_server.core.db import session
from exam_server.core.errors import Forbidden, NotFound
from exam_server.exams.models import Candidate, Exam, ExamRoom
from exam_server.exams.services import paper_for
from exam_server.live import attempts as att
from exam_server.live.answers import latest_answers
from exam_server.live.clock import remaining_seconds
from exam_server.live.models import (
    Attempt,
    AttemptStatus,
    Incident,
    IncidentKind,
    ProctorAction,
    RoomSession,
)
from exam_server.live.tokens import checkin_of

MAX_TEXT = 1000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text_value(value: Any, field: str, *, required: bool) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise att.LiveError("bad_event", f"{field} must be a non-empty text.", field, 422)
    if _CONTROL.search(value) or len(value) > MAX_TEXT:
        raise att.LiveError("bad_event", f"{field} must be plain text of at most {MAX_TEXT} characters.", field, 422)
    return value.strip()


# --- access -----------------------------------------------------------------------------------

def may_proctor(user: User | None, room: ExamRoom) -> bool:
    if user is None or not user.is_active:
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.PROCTOR and any(p.id == user.id for p in room.proctors)


def require_room(user: User, exam_id: int, room_id: int) -> ExamRoom:
    room = session.get(ExamRoom, room_id)
    if room is None or room.exam_id != exam_id:
        raise NotFound(f"Exam {exam_id} has no room {room_id}.", "room_id")
    if not may_proctor(user, room):
        raise Forbidden("You do not proctor this room.", code="not_your_room")
    return room


def require_candidate(user: User, candidate_id: int, exam_id: int | None = None) -> tuple[Candidate, ExamRoom]:
    candidate = session.get(Candidate, candidate_id)
    if candidate is None or (exam_id is not None and candidate.exam_id != exam_id):
        raise NotFound(f"No candidate {candidate_id}.", "candidate_id")
    if candidate.room_id is None:
        if user.role == Role.ADMIN and user.is_active:
            raise att.LiveError("no_room", "The candidate has no room: assign one first.", "candidate_id")
        raise Forbidden("You do not proctor this candidate's room.", code="not_your_room")
    room = session.get(ExamRoom, candidate.room_id)
    if not may_proctor(user, room):
        raise Forbidden("You do not proctor this candidate's room.", code="not_your_room")
    return candidate, room


# --- audit and incidents ----------------------------------------------------------------------

def audit(actor: User, action: str, now: datetime, *, exam_id: int, room_id: int | None,
          candidate_id: int | None = None, payload: dict | None = None, reason: str = "") -> ProctorAction:
    row = ProctorAction(exam_id=exam_id, room_id=room_id, candidate_id=candidate_id, actor_id=actor.id,
                        action=action, payload=payload or {}, reason=reason, at=now)
    session.add(row)
    session.flush()
    signals.proctor_acted.send(exam_id, action_id=row.id, room_id=room_id, candidate_id=candidate_id,
                               actor_id=actor.id, action=action, payload=dict(row.payload), reason=reason, at=now)
    return row


def raise_incident(candidate: Candidate, kind: IncidentKind, detail: str, now: datetime) -> Incident:
    row = Incident(exam_id=candidate.exam_id, room_id=candidate.room_id, candidate_id=candidate.id, kind=kind,
                   detail=detail[:MAX_TEXT], at=now)
    session.add(row)
    session.flush()
    signals.incident_raised.send(row.exam_id, incident_id=row.id, room_id=row.room_id, candidate_id=row.candidate_id,
                                 kind=kind.value, detail=row.detail, at=now)
    return row


def incident_view(row: Incident) -> dict[str, Any]:
    return {"id": row.id, "candidate_id": row.candidate_id, "kind": row.kind.value, "detail": row.detail,
            "at": row.at.isoformat().replace("+00:00", "Z"),
            "resolved_at": row.resolved_at.isoformat().replace("+00:00", "Z") if row.resolved_at else None}


def report_long_disconnects(now: datetime, threshold_seconds: float) -> list[Incident]:
    """A disconnect incident for each running attempt whose candidate has been away too long."""
    rows = session.scalars(select(Attempt).where(
        Attempt.connection_sid.is_(None), Attempt.offline_since.is_not(None), Attempt.disconnect_reported.is_(False),
        Attempt.status.in_([AttemptStatus.IN_PROGRESS, AttemptStatus.PAUSED])).with_for_update(skip_locked=True))
    made = []
    for attempt in list(rows):
        away = (now - attempt.offline_since).total_seconds()
        if away >= threshold_seconds:
            attempt.disconnect_reported = True
            made.append(raise_incident(attempt.candidate, IncidentKind.DISCONNECT,
                                       f"offline for {int(away)} s", now))
    session.flush()
    return made


# --- snapshots --------------------------------------------------------------------------------

def _iso(when: datetime | None) -> str | None:
    return when.isoformat().replace("+00:00", "Z") if when else None


def candidate_view(candidate: Candidate, now: datetime) -> dict[str, Any]:
    attempt = session.scalar(select(Attempt).where(Attempt.candidate_id == candidate.id))
    checkin = checkin_of(candidate)
    if attempt is None or attempt.status == AttemptStatus.NOT_STARTED:
        state = "checked_in" if checkin["method"] else "not_arrived"
    else:
        state = attempt.status.value
    try:
        questions = len(paper_for(candidate))
    except NotFound:
        questions = 0
    incidents = session.scalars(select(Incident).where(Incident.candidate_id == candidate.id).order_by(Incident.id))
    return {"candidate_id": candidate.id, "version": candidate.live_version,
            "candidate_number": candidate.candidate_number, "full_name": candidate.full_name, "state": state,
            "online": bool(attempt and attempt.connection_sid),
            "offline_since": _iso(attempt.offline_since) if attempt else None,
            "kiosk": attempt.kiosk if attempt else None, "checkin": checkin,
            "answered": len(latest_answers(attempt)) if attempt else 0, "questions": questions,
            "remaining_seconds": remaining_seconds(attempt, now) if attempt else None,
            "incidents": [incident_view(i) for i in incidents]}


def room_snapshot(room: ExamRoom, now: datetime) -> dict[str, Any]:
    started = att.room_session(room.exam_id, room.id)
    candidates = session.scalars(select(Candidate).where(Candidate.room_id == room.id)
                                 .order_by(Candidate.candidate_number))
    return {"exam_id": room.exam_id, "room_id": room.id, "started": started is not None,
            "paused": bool(started and started.paused_at), "candidates": [candidate_view(c, now) for c in candidates]}


# --- room actions -----------------------------------------------------------------------------

def _room_attempts(room: ExamRoom, status: AttemptStatus, online_only: bool = False) -> list[Attempt]:
    query = (select(Attempt).join(Candidate, Candidate.id == Attempt.candidate_id)
             .where(Candidate.room_id == room.id, Attempt.status == status).order_by(Attempt.id))
    if online_only:
        query = query.where(Attempt.connection_sid.is_not(None))
    return list(session.scalars(query))


def start_room(room: ExamRoom, actor: User, now: datetime) -> list[Attempt]:
    """Open the room: waiting connected candidates start now, the others when they connect."""
    exam = session.get(Exam, room.exam_id)
    if not att.exam_is_open(exam, now):
        raise att.LiveError("exam_not_open", "The exam is not published or not within its window.", "exam_id")
    if att.room_session(room.exam_id, room.id) is not None:
        raise att.LiveError("room_started", "The room has already been started.", "room_id")
    session.add(RoomSession(exam_id=room.exam_id, room_id=room.id, started_at=now, started_by_id=actor.id))
    session.flush()
    audit(actor, "start_room", now, exam_id=room.exam_id, room_id=room.id)
    return [a for a in _room_attempts(room, AttemptStatus.NOT_STARTED, online_only=True) if att.maybe_start(a, now)]


def pause_room(room: ExamRoom, actor: User, reason: str, now: datetime) -> list[Attempt]:
    started = att.room_session(room.exam_id, room.id)
    if started is None or started.paused_at is not None:
        raise att.LiveError("illegal_transition", "Only a started, running room can be paused.", "room_id")
    started.paused_at = now
    audit(actor, "pause", now, exam_id=room.exam_id, room_id=room.id, reason=reason)
    return [att.pause(a, now, actor.id, reason) for a in _room_attempts(room, AttemptStatus.IN_PROGRESS)]


def resume_room(room: ExamRoom, actor: User, reason: str, now: datetime) -> list[Attempt]:
    started = att.room_session(room.exam_id, room.id)
    if started is None or started.paused_at is None:
        raise att.LiveError("illegal_transition", "The room is not paused.", "room_id")
    started.paused_at = None
    audit(actor, "resume", now, exam_id=room.exam_id, room_id=room.id, reason=reason)
    resumed = [att.resume(a, now, actor.id, reason) for a in _room_attempts(room, AttemptStatus.PAUSED)]
    started_now = [a for a in _room_attempts(room, AttemptStatus.NOT_STARTED, online_only=True)
                   if att.maybe_start(a, now)]
    return resumed + started_now


def candidate_action(actor: User, candidate: Candidate, action: str, now: datetime, *, reason: str,
                     payload: dict | None = None) -> Attempt:
    """pause / resume / extend / move / terminate one candidate, audited."""
    attempt = att.attempt_for(candidate, now)
    payload = payload or {}
    if action == "pause":
        att.pause(attempt, now, actor.id, reason)
    elif action == "resume":
        att.resume(attempt, now, actor.id, reason)
    elif action == "extend":
        att.extend(attempt, payload["minutes"], now, actor.id, reason)
    elif action == "move":
        att.set_kiosk(attempt, payload["kiosk"], now, actor.id, reason)
    elif action == "terminate":
        att.terminate(attempt, now, actor.id, reason)
    else:
        raise ValueError(action)
    audit(actor, action, now, exam_id=candidate.exam_id, room_id=candidate.room_id, candidate_id=candidate.id,
          payload=payload, reason=reason)
    return attempt


def note(actor: User, room: ExamRoom, candidate: Candidate | None, text: str, now: datetime) -> ProctorAction:
    return audit(actor, "note", now, exam_id=room.exam_id, room_id=room.id,
                 candidate_id=candidate.id if candidate else None, payload={"text": text})


def message(actor: User, room: ExamRoom, candidate: Candidate | None, text: str, now: datetime
            ) -> tuple[ProctorAction, list[int]]:
    """A message the proctor shows on one candidate's screen, or on every screen of the room (an
    audit row like any action); returns the row and the candidates to tell."""
    row = audit(actor, "message", now, exam_id=room.exam_id, room_id=room.id,
                candidate_id=candidate.id if candidate else None, payload={"text": text})
    if candidate is not None:
        return row, [candidate.id]
    return row, list(session.scalars(select(Candidate.id).where(Candidate.room_id == room.id)))

