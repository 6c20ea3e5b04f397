"""Proctoring: who may act on a room, the audit trail, incidents, actions on one candidate,
notes and messages. (A whole room's actions are in rooms.py, the proctor's views in views.py.)

Every proctor action is appended to proctor_actions (who, when, what, why). Access is checked on
every call (role and room assignment are read from the database each time)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from exam_server.accounts.models import Role, User
from exam_server.core import signals
from exam_server.core.db import session
from exam_server.core.errors import Forbidden, NotFound
from exam_server.exams.models import Candidate, ExamRoom
from exam_server.live import attempts as att
from exam_server.live import events
from exam_server.live.models import Attempt, AttemptStatus, Incident, IncidentKind, ProctorAction

MAX_TEXT = 1000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Disconnects are looked for among attempts that went offline within this span (an exam day):
# a bounded range of the offline_since index, not every attempt ever offline.
DISCONNECT_LOOKBACK = timedelta(hours=12)


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


def iso(when: datetime | None) -> str | None:
    return when.isoformat().replace("+00:00", "Z") if when else None


def incident_view(row: Incident) -> dict[str, Any]:
    return {"id": row.id, "candidate_id": row.candidate_id, "kind": row.kind.value, "detail": row.detail,
            "at": iso(row.at), "resolved_at": iso(row.resolved_at)}


def raise_incident(candidate: Candidate, kind: IncidentKind, detail: str, now: datetime) -> Incident:
    row = Incident(exam_id=candidate.exam_id, room_id=candidate.room_id, candidate_id=candidate.id, kind=kind,
                   detail=detail[:MAX_TEXT], at=now)
    session.add(row)
    session.flush()
    signals.incident_raised.send(row.exam_id, incident_id=row.id, room_id=row.room_id, candidate_id=row.candidate_id,
                                 kind=kind.value, detail=row.detail, at=now)
    events.publish("incident", exam_id=row.exam_id, room_id=row.room_id, candidate_id=row.candidate_id,
                   payload=incident_view(row), at=now)
    return row


def report_long_disconnects(now: datetime, threshold_seconds: float) -> list[Incident]:
    """A disconnect incident for each running attempt whose candidate has been away too long."""
    cutoff = now - timedelta(seconds=threshold_seconds)
    rows = session.scalars(select(Attempt).where(
        Attempt.offline_since <= cutoff, Attempt.offline_since > now - DISCONNECT_LOOKBACK,
        Attempt.connection_sid.is_(None), Attempt.disconnect_reported.is_(False),
        Attempt.status.in_([AttemptStatus.IN_PROGRESS, AttemptStatus.PAUSED])).with_for_update(skip_locked=True))
    made = []
    for attempt in list(rows):
        attempt.disconnect_reported = True
        away = (now - attempt.offline_since).total_seconds()
        made.append(raise_incident(attempt.candidate, IncidentKind.DISCONNECT, f"offline for {int(away)} s", now))
    session.flush()
    return made


# --- one candidate ----------------------------------------------------------------------------

def candidate_action(actor: User, candidate: Candidate, action: str, now: datetime, *, reason: str,
                     payload: dict | None = None) -> Attempt:
    """pause / resume / extend / move / terminate one candidate, audited; the student is told."""
    attempt = att.attempt_for(candidate, now, lock=True)
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
            ) -> tuple[ProctorAction, int]:
    """A message the proctor shows on one candidate's screen, or on every screen of the room (an
    audit row like any action); returns the row and how many candidates it is for."""
    row = audit(actor, "message", now, exam_id=room.exam_id, room_id=room.id,
                candidate_id=candidate.id if candidate else None, payload={"text": text})
    if candidate is not None:
        events.publish("notice", exam_id=room.exam_id, room_id=room.id, candidate_id=candidate.id,
                       payload={"text": text}, at=now)
        return row, 1
    events.publish("room_notice", exam_id=room.exam_id, room_id=room.id, payload={"text": text}, at=now)
    return row, len(session.scalars(select(Candidate.id).where(Candidate.room_id == room.id)).all())
