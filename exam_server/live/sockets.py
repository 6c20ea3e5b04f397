"""Socket.IO namespaces /student and /proctor (docs/protocol.md), and the deadline sweeper.

Handlers are thin: validate the payload, call services, commit once at the end of the event,
then emit (never before the commit: a student must not hear of something that was rolled back).
Every refused event is answered through the ack with {"ok": false, "error", "message", "field"}
and logged."""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import current_app, g, request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, Namespace, SocketIO, join_room
from sqlalchemy import select, update

from exam_server.accounts.models import Role, User
from exam_server.core.db import session, utcnow
from exam_server.core.errors import ApiError, Forbidden
from exam_server.core.extensions import socketio as the_socketio
from exam_server.exams.models import Candidate, Exam, ExamRoom
from exam_server.live import services as live
from exam_server.live.clock import is_due
from exam_server.live.models import FINISHED, Attempt, AttemptStatus, Incident, IncidentKind
from exam_server.live.proctoring import (
    incident_view,
    pause_room,
    require_candidate,
    require_room,
    resume_room,
    text_value,
)
from exam_server.live.tokens import token_hash, token_still_active

log = logging.getLogger(__name__)

STUDENT, PROCTOR = "/student", "/proctor"
MAX_EXTEND_MINUTES = 120
MAX_FOCUS_SECONDS = 24 * 3600


def candidate_room(candidate_id: int) -> str:
    return f"candidate:{candidate_id}"


def proctor_room(exam_id: int, room_id: int | None) -> str:
    return f"proctor:{exam_id}:{room_id}"


# --- after-commit emits -----------------------------------------------------------------------

def emit_later(event: str, data: Any, to: str, namespace: str) -> None:
    g.setdefault("live_outbox", []).append((event, data, to, namespace))


def _send_outbox() -> None:
    for event, data, to, namespace in g.pop("live_outbox", []):
        the_socketio.emit(event, data, to=to, namespace=namespace)


def to_student(candidate_id: int, event: str, data: Any) -> None:
    emit_later(event, data, candidate_room(candidate_id), STUDENT)


def candidate_update(candidate: Candidate, now: datetime) -> None:
    """Push the candidate's row to the room's proctors after the commit, with a new version: the
    UPDATE waits for any other transaction that bumped this candidate to commit, so the view read
    after it includes that transaction's changes and a later version means newer data."""
    if candidate.room_id is None:
        return
    session.flush()
    session.execute(update(Candidate).where(Candidate.id == candidate.id)
                    .values(live_version=Candidate.live_version + 1))
    # What this session loaded before the UPDATE waited may predate the commit it waited for.
    session.expire_all()
    emit_later("candidate_update", live.candidate_view(candidate, now), proctor_room(candidate.exam_id,
                                                                                      candidate.room_id), PROCTOR)


def incident_update(incident: Incident) -> None:
    emit_later("incident", incident_view(incident), proctor_room(incident.exam_id, incident.room_id), PROCTOR)


def refusal(exc: ApiError) -> dict[str, Any]:
    return {"ok": False, "error": exc.code, "message": exc.message, "field": exc.field}


def boundary(event: str, work: Callable[[datetime], dict[str, Any]]) -> dict[str, Any]:
    """Run one event: work(now) -> ack; commit once; then emit. Errors become the ack."""
    now = utcnow()
    try:
        ack = work(now)
        session.commit()
    except ApiError as exc:
        session.rollback()
        g.pop("live_outbox", None)
        log.warning("refused %s%s from %s: %s (%s)", request.namespace, "/" + event, request.sid, exc.code, exc.message)
        return refusal(exc)
    except Exception:
        session.rollback()
        g.pop("live_outbox", None)
        log.exception("failed %s/%s from %s", request.namespace, event, request.sid)
        return {"ok": False, "error": "internal_error", "message": "Something went wrong on the server.",
                "field": None}
    _send_outbox()
    return ack


def bad_event(message: str, field: str | None = None) -> live.LiveError:
    return live.LiveError("bad_event", message, field, 422)


def payload(data: Any, required: tuple[str, ...] = ()) -> dict[str, Any]:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise bad_event("The event's payload must be a JSON object.")
    for name in required:
        if name not in data:
            raise bad_event(f"{name} is required.", name)
    return data


def whole(data: dict, name: str, low: int = 1, high: int = 2**31 - 1, required: bool = True) -> int | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise bad_event(f"{name} must be a whole number from {low} to {high}.", name)
    return value


class _Base(Namespace):
    EVENTS: tuple[str, ...] = ()

    def trigger_event(self, event, *args):
        if event not in ("connect", "disconnect") and event not in self.EVENTS:
            log.warning("refused %s/%s: unknown event", self.namespace, event)
            return {"ok": False, "error": "unknown_event", "message": f"Unknown event {event!r}.", "field": None}
        return super().trigger_event(event, *args)


# --- /student ---------------------------------------------------------------------------------

class StudentNamespace(_Base):
    EVENTS = ("answer", "flag", "focus_lost", "submit", "sync")

    def __init__(self):
        super().__init__(STUDENT)
        self.connections: dict[str, tuple[int, int, str]] = {}   # sid -> (candidate, attempt, token hash)
        self.lock = threading.Lock()

    def on_connect(self, auth=None):
        sid = request.sid
        now = utcnow()
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            refused = self._admit(token, sid, now)
            session.commit()
        except ApiError as exc:
            session.rollback()
            g.pop("live_outbox", None)
            refused = exc.code
        except Exception:
            session.rollback()
            g.pop("live_outbox", None)
            log.exception("student connect failed")
            refused = "internal_error"
        _send_outbox()
        if refused:
            with self.lock:
                self.connections.pop(sid, None)
            log.warning("refused %s connect from %s: %s", STUDENT, sid, refused)
            raise ConnectionRefusedError(refused, {"error": refused})

    def _admit(self, token: Any, sid: str, now: datetime) -> str | None:
        if not isinstance(token, str):
            return "bad_token"
        candidate = live.authenticate_token(token)
        attempt = live.attempt_for(candidate, now)
        if is_due(attempt, now):
            live.close(attempt, now)
            candidate_update(candidate, now)
        if attempt.status in FINISHED:
            return "attempt_finished"
        if not live.exam_is_open(session.get(Exam, candidate.exam_id), now):
            return "exam_not_open"
        if attempt.connection_sid:
            incident = live.raise_incident(candidate, IncidentKind.SECOND_LOGIN,
                                           "A second connection with this candidate's token was refused.", now)
            incident_update(incident)
            return "already_connected"
        attempt.connection_sid, attempt.offline_since, attempt.disconnect_reported = sid, None, False
        live.maybe_start(attempt, now)
        session.flush()
        with self.lock:
            self.connections[sid] = (candidate.id, attempt.id, token_hash(token))
        join_room(candidate_room(candidate.id))
        emit_later("attempt_state", live.attempt_state(attempt, now), sid, STUDENT)
        candidate_update(candidate, now)
        return None

    def on_disconnect(self, reason=None):
        sid = request.sid
        with self.lock:
            info = self.connections.pop(sid, None)
        if info is None:
            return

        def work(now):
            attempt = session.get(Attempt, info[1])
            if attempt is not None and attempt.connection_sid == sid:
                attempt.connection_sid, attempt.offline_since, attempt.disconnect_reported = None, now, False
                session.flush()
                candidate_update(attempt.candidate, now)
            return {"ok": True}

        boundary("disconnect", work)

    def _attempt(self) -> Attempt:
        info = self.connections.get(request.sid)
        if info is None or not token_still_active(info[2]):
            raise live.LiveError("bad_token", "The session token was revoked or replaced.", "token", 401)
        attempt = session.get(Attempt, info[1])
        if attempt is None or attempt.connection_sid != request.sid:
            raise live.LiveError("bad_token", "This connection was replaced by a newer check-in.", "token", 401)
        return attempt

    def on_answer(self, data=None):
        def work(now):
            body = payload(data, ("question", "response", "client_seq"))
            attempt = self._attempt()
            seq = live.save_answer(attempt, body["question"], body["response"], body["client_seq"], now)
            candidate_update(attempt.candidate, now)  # the proctor's answered count, live
            return {"ok": True, "seq": seq}

        return boundary("answer", work)

    def on_flag(self, data=None):
        def work(now):
            body = payload(data, ("question", "flagged", "client_seq"))
            seq = live.save_flag(self._attempt(), body["question"], body["flagged"], body["client_seq"], now)
            return {"ok": True, "seq": seq}

        return boundary("flag", work)

    def on_focus_lost(self, data=None):
        def work(now):
            body = payload(data, ("seconds",))
            seconds = body["seconds"]
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= MAX_FOCUS_SECONDS:
                raise bad_event(f"seconds must be a number from 0 to {MAX_FOCUS_SECONDS}.", "seconds")
            attempt = self._attempt()
            incident = live.raise_incident(attempt.candidate, IncidentKind.FOCUS_LOST,
                                           f"the exam page lost focus for {seconds:.1f} s", now)
            incident_update(incident)
            return {"ok": True}

        return boundary("focus_lost", work)

    def on_submit(self, data=None):
        def work(now):
            payload(data)
            attempt = live.submit(self._attempt(), now)
            candidate_update(attempt.candidate, now)
            return {"ok": True, "status": attempt.status.value}

        return boundary("submit", work)

    def on_sync(self, data=None):
        def work(now):
            payload(data)
            return {"ok": True, **live.attempt_state(self._attempt(), now)}

        return boundary("sync", work)


# --- /proctor ---------------------------------------------------------------------------------

def acting_user() -> User:
    """The proctor or admin behind this connection, re-read from the database on every event."""
    user_id = current_user.get_id() if current_user and current_user.is_authenticated else None
    user = session.get(User, int(user_id)) if user_id and str(user_id).isdigit() else None
    if user is None or not user.is_active or user.role not in (Role.PROCTOR, Role.ADMIN):
        raise Forbidden("Only a proctor of this room or an admin may do this.")
    return user


class ProctorNamespace(_Base):
    EVENTS = ("join", "start_room", "pause", "resume", "extend", "move", "terminate", "note", "message",
              "issue_token")

    def __init__(self):
        super().__init__(PROCTOR)

    def on_connect(self, auth=None):
        try:
            acting_user()
        except ApiError as exc:
            log.warning("refused %s connect from %s: %s", PROCTOR, request.sid, exc.code)
            raise ConnectionRefusedError("forbidden", {"error": "forbidden"}) from None
        finally:
            session.rollback()

    @staticmethod
    def _room(data: dict) -> tuple[User, ExamRoom]:
        user = acting_user()
        return user, require_room(user, whole(data, "exam_id"), whole(data, "room_id"))

    @staticmethod
    def _candidate(data: dict) -> tuple[User, Candidate]:
        user = acting_user()
        candidate, _room = require_candidate(user, whole(data, "candidate_id"),
                                             whole(data, "exam_id", required=False))
        return user, candidate

    def on_join(self, data=None):
        def work(now):
            _user, room = self._room(payload(data, ("exam_id", "room_id")))
            join_room(proctor_room(room.exam_id, room.id))
            return {"ok": True, "room": live.room_snapshot(room, now)}

        return boundary("join", work)

    def on_start_room(self, data=None):
        def work(now):
            user, room = self._room(payload(data, ("exam_id", "room_id")))
            for attempt in live.start_room(room, user, now):
                to_student(attempt.candidate_id, "attempt_state", live.attempt_state(attempt, now))
                candidate_update(attempt.candidate, now)
            return {"ok": True}

        return boundary("start_room", work)

    def _pause_or_resume(self, data: Any, action: str, now: datetime) -> dict:
        body = payload(data, ("exam_id", "room_id"))
        reason = text_value(body.get("reason"), "reason", required=action == "pause")
        if body.get("candidate_id") is None:
            user, room = self._room(body)
            moved = (pause_room if action == "pause" else resume_room)(
                room, user, reason, now)
        else:
            user, candidate = self._candidate(body)
            if candidate.room_id != body["room_id"]:
                raise bad_event("The candidate is not in this room.", "candidate_id")
            moved = [live.candidate_action(user, candidate, action, now, reason=reason)]
        for attempt in moved:
            if attempt.status == AttemptStatus.PAUSED:
                to_student(attempt.candidate_id, "paused", {"reason": reason})
            elif attempt.started_at == now and action == "resume":   # started by the room's resume
                to_student(attempt.candidate_id, "attempt_state", live.attempt_state(attempt, now))
            else:
                to_student(attempt.candidate_id, "resumed",
                           {"remaining_seconds": live.remaining_seconds(attempt, now)})
            candidate_update(attempt.candidate, now)
        return {"ok": True}

    def on_pause(self, data=None):
        return boundary("pause", lambda now: self._pause_or_resume(data, "pause", now))

    def on_resume(self, data=None):
        return boundary("resume", lambda now: self._pause_or_resume(data, "resume", now))

    def on_extend(self, data=None):
        def work(now):
            body = payload(data, ("candidate_id", "minutes", "reason"))
            minutes = whole(body, "minutes", 1, MAX_EXTEND_MINUTES)
            reason = text_value(body["reason"], "reason", required=True)
            user, candidate = self._candidate(body)
            attempt = live.candidate_action(user, candidate, "extend", now, reason=reason,
                                            payload={"minutes": minutes})
            remaining = live.remaining_seconds(attempt, now)
            to_student(candidate.id, "time_extended", {"added_seconds": minutes * 60, "remaining_seconds": remaining})
            candidate_update(candidate, now)
            return {"ok": True, "remaining_seconds": remaining}

        return boundary("extend", work)

    def on_move(self, data=None):
        def work(now):
            body = payload(data, ("candidate_id", "kiosk", "reason"))
            kiosk = text_value(body["kiosk"], "kiosk", required=True)[:100]
            reason = text_value(body["reason"], "reason", required=True)
            user, candidate = self._candidate(body)
            live.candidate_action(user, candidate, "move", now, reason=reason, payload={"kiosk": kiosk})
            to_student(candidate.id, "moved", {"kiosk": kiosk})
            candidate_update(candidate, now)
            return {"ok": True}

        return boundary("move", work)

    def on_terminate(self, data=None):
        def work(now):
            body = payload(data, ("candidate_id", "reason"))
            reason = text_value(body["reason"], "reason", required=True)
            user, candidate = self._candidate(body)
            live.candidate_action(user, candidate, "terminate", now, reason=reason)
            to_student(candidate.id, "terminated", {"reason": reason})
            candidate_update(candidate, now)
            return {"ok": True}

        return boundary("terminate", work)

    def _text_for(self, data) -> tuple[User, ExamRoom, Candidate | None, str]:
        """A note or message: {exam_id, room_id, text, candidate_id?}; the candidate must sit in the room."""
        body = payload(data, ("exam_id", "room_id", "text"))
        text = text_value(body["text"], "text", required=True)
        user, room = self._room(body)
        candidate = None
        if body.get("candidate_id") is not None:
            _user, candidate = self._candidate(body)
            if candidate.room_id != room.id:
                raise bad_event("The candidate is not in this room.", "candidate_id")
        return user, room, candidate, text

    def on_note(self, data=None):
        def work(now):
            live.note(*self._text_for(data), now)
            return {"ok": True}

        return boundary("note", work)

    def on_message(self, data=None):
        def work(now):
            user, room, candidate, text = self._text_for(data)
            _row, told = live.message(user, room, candidate, text, now)
            for candidate_id in told:
                to_student(candidate_id, "notice", {"text": text})
            return {"ok": True, "candidates": len(told)}

        return boundary("message", work)

    def on_issue_token(self, data=None):
        def work(now):
            body = payload(data, ("candidate_id", "reason"))
            reason = text_value(body["reason"], "reason", required=True)
            user, candidate = self._candidate(body)
            token = live.issue_session_token(candidate, user, "manual", reason, now)
            candidate_update(candidate, now)
            return {"ok": True, "token": token, "method": "manual", "verified": False}

        return boundary("issue_token", work)


# --- the deadline sweeper ---------------------------------------------------------------------

TIME_TICK_SECONDS = 15
_student_namespace: StudentNamespace | None = None   # this process's /student handler


def end_replaced_connection(sid: str) -> None:
    """After a new token committed: tell the connection of the replaced one why it ends, and end it
    (through the message queue, on whichever process holds it). The database already let it go, so
    this process forgets it first: its disconnect handler then has nothing to write."""
    if _student_namespace is not None:
        with _student_namespace.lock:
            _student_namespace.connections.pop(sid, None)
    server, told = the_socketio.server, {"reason": "new_check_in"}
    if server.manager.is_connected(sid, STUDENT):
        # Here: straight to it. Through the queue it could arrive after the (local) disconnect.
        server.emit("session_replaced", told, to=sid, namespace=STUDENT, ignore_queue=True)
    else:
        # Elsewhere: the emit and then the disconnect reach that process through the queue, in order.
        the_socketio.emit("session_replaced", told, to=sid, namespace=STUDENT)
    server.disconnect(sid, namespace=STUDENT)
_sweepers: set[int] = set()
_sweepers_lock = threading.Lock()


def sweep_once(now: datetime | None = None, *, send_time: bool = False) -> tuple[list[Attempt], list[Incident]]:
    """One pass (inside an app context): close and score due attempts, raise disconnect incidents,
    commit, then tell the students and proctors. `send_time` also sends every online running
    candidate a `time` tick."""
    now = now or utcnow()
    try:
        closed = live.close_due_attempts(now)
        for attempt in closed:
            to_student(attempt.candidate_id, "closed", {"reason": "deadline"})
            candidate_update(attempt.candidate, now)
        threshold = current_app.config["LIVE_DISCONNECT_INCIDENT_SECONDS"]
        incidents = live.report_long_disconnects(now, threshold)
        for incident in incidents:
            incident_update(incident)
        session.commit()
    except Exception:
        session.rollback()
        g.pop("live_outbox", None)
        raise
    _send_outbox()
    if send_time:   # only to this process's connections: every process ticks its own students
        mine = {info[1] for info in list(_student_namespace.connections.values())} if _student_namespace else set()
        online = session.scalars(select(Attempt).where(Attempt.status == AttemptStatus.IN_PROGRESS,
                                                       Attempt.connection_sid.is_not(None), Attempt.id.in_(mine)))
        for attempt in online:
            the_socketio.emit("time", live.time_payload(attempt, now), to=candidate_room(attempt.candidate_id),
                              namespace=STUDENT)
        session.rollback()
    return closed, incidents


def _sweep_loop(app, socketio: SocketIO) -> None:
    interval = app.config["LIVE_SWEEP_INTERVAL_SECONDS"]
    every = max(1, round(TIME_TICK_SECONDS / interval))
    passes = 0
    while True:
        socketio.sleep(interval)
        passes += 1
        try:
            with app.app_context():
                sweep_once(send_time=passes % every == 0)
        except Exception:
            log.exception("deadline sweeper pass failed")


def start_sweeper(app, socketio: SocketIO) -> bool:
    """Start the sweeper once per process."""
    with _sweepers_lock:
        if os.getpid() in _sweepers:
            return False
        _sweepers.add(os.getpid())
    socketio.start_background_task(_sweep_loop, app, socketio)
    return True


def register_namespaces(socketio: SocketIO) -> None:
    """Attach the namespaces to the app's SocketIO; start the sweeper unless configured off
    (LIVE_SWEEPER, default: on except when TESTING)."""
    global _student_namespace
    _student_namespace = StudentNamespace()
    socketio.on_namespace(_student_namespace)
    socketio.on_namespace(ProctorNamespace())
    app = getattr(getattr(socketio, "sockio_mw", None), "flask_app", None)
    if app is not None and app.config.get("LIVE_SWEEPER", not app.config.get("TESTING", False)):
        start_sweeper(app, socketio)
