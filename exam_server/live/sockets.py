"""Socket.IO namespaces /student and /proctor (docs/protocol.md).

Handlers are thin: validate the payload, call services, commit once at the end of the event
(`boundary`), answer through the ack. What students and proctors must hear is written by the
services to the live event log and told by each process's relay after the commit (relay.py);
the only direct emit is a connection's own `attempt_state` on connect. Every refused event is
answered with {"ok": false, "error", "message", "field"} and logged."""
from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, Namespace, join_room
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from exam_server.accounts.models import Role, User
from exam_server.core import socket_guard
from exam_server.core.db import session, utcnow
from exam_server.core.errors import ApiError, Forbidden
from exam_server.core.logs import new_event_id
from exam_server.core.metrics import ACKS, ANSWER_SECONDS, CONNECTED, REFUSALS
from exam_server.exams.models import Candidate, ExamRoom
from exam_server.live import adaptive
from exam_server.live import services as live
from exam_server.live.answers import Holder, token_active
from exam_server.live.clock import is_due
from exam_server.live.connections import Connection
from exam_server.live.models import FINISHED, Attempt, IncidentKind
from exam_server.live.proctoring import require_candidate, require_room, text_value
from exam_server.live.relay import PROCTOR, STUDENT, proctor_room
from exam_server.live.tokens import token_hash

log = logging.getLogger(__name__)

MAX_EXTEND_MINUTES = 120
MAX_FOCUS_SECONDS = 24 * 3600
DEVICE = re.compile(r"[A-Za-z0-9_-]{8,64}")


def refusal(exc: ApiError) -> dict[str, Any]:
    return {"ok": False, "error": exc.code, "message": exc.message, "field": exc.field, **exc.extra}


def boundary(event: str, work: Callable[[datetime], dict[str, Any]]) -> dict[str, Any]:
    """Run one event: work(now) -> ack; commit once. Errors become the ack."""
    new_event_id()
    now = utcnow()
    try:
        ack = work(now)
        session.commit()
    except ApiError as exc:
        session.rollback()
        REFUSALS.labels(request.namespace, event, exc.code).inc()
        log.warning("refused %s/%s from %s: %s (%s)", request.namespace, event, request.sid, exc.code, exc.message)
        return refusal(exc)
    except Exception:
        session.rollback()
        REFUSALS.labels(request.namespace, event, "internal_error").inc()
        log.exception("failed %s/%s from %s", request.namespace, event, request.sid)
        return {"ok": False, "error": "internal_error", "message": "Something went wrong on the server.",
                "field": None}
    ACKS.labels(request.namespace, event).inc()
    return ack


def bad_event(message: str, field: str | None = None) -> live.LiveError:
    return live.LiveError("bad_event", message, field, 422)


def payload(data: Any, required: tuple[str, ...] = ()) -> dict[str, Any]:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise bad_event("The event's payload must be a JSON object.")
    if (problem := socket_guard.payload_problem(data)) is not None:
        raise bad_event(problem)
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
        if (refused := socket_guard.refusal_for(self, event, args, self.EVENTS)) is not None:
            REFUSALS.labels(self.namespace, "?", "unknown_event").inc()
            return refused
        return super().trigger_event(event, *args)


# --- /student ---------------------------------------------------------------------------------

class StudentNamespace(_Base):
    EVENTS = ("answer", "flag", "focus_lost", "submit", "sync")

    def __init__(self, runtime):
        super().__init__(STUDENT)
        self.runtime = runtime
        config = runtime.app.config
        self.admitting = threading.BoundedSemaphore(config["LIVE_CONNECT_CONCURRENCY"])
        self.wait_seconds = config["LIVE_CONNECT_WAIT_SECONDS"]
        self.retry_seconds = config["LIVE_CONNECT_RETRY_SECONDS"]

    @property
    def registry(self):
        return self.runtime.registry

    def on_connect(self, auth=None):
        sid = request.sid
        new_event_id()
        token = auth.get("token") if isinstance(auth, dict) else None
        device = auth.get("device") if isinstance(auth, dict) else None
        device = device if isinstance(device, str) and DEVICE.fullmatch(device) else None
        if not self.admitting.acquire(timeout=self.wait_seconds):
            REFUSALS.labels(STUDENT, "connect", "server_busy").inc()
            raise ConnectionRefusedError("server_busy", {"error": "server_busy",
                                                         "retry_after_seconds": self.retry_seconds})
        try:
            now = utcnow()
            refused, conn, state = self._admit(token, device, sid, now)
            session.commit()
        except ApiError as exc:
            session.rollback()
            refused, conn, state = exc.code, None, None
        except Exception:
            session.rollback()
            log.exception("student connect failed")
            refused, conn, state = "internal_error", None, None
        finally:
            self.admitting.release()
        if refused:
            REFUSALS.labels(STUDENT, "connect", refused).inc()
            log.warning("refused %s connect from %s: %s", STUDENT, sid, refused)
            raise ConnectionRefusedError(refused, {"error": refused})
        self.registry.add(conn)
        CONNECTED.labels(str(conn.exam_id)).inc()
        self.socketio.emit("attempt_state", state, to=sid, namespace=STUDENT, ignore_queue=True)

    def _admit(self, token: Any, device: str | None, sid: str, now: datetime):
        if not isinstance(token, str):
            return "bad_token", None, None
        candidate, exam = live.authenticate(token)
        attempt = live.attempt_for(candidate, now, lock=True)
        if is_due(attempt, now, exam.closes_at):
            live.close(attempt, now)
        if attempt.status in FINISHED:
            return "attempt_finished", None, None
        if not live.exam_is_open(exam, now):
            return "exam_not_open", None, None
        claim = live.claim(attempt, candidate, sid=sid, node=self.runtime.node_id, device=device, now=now,
                           holder_alive=lambda node, old_sid: self.runtime.holder_alive(node, old_sid, now))
        if not claim.taken:
            return "already_connected", None, None
        live.maybe_start(attempt, now, exam)
        state = live.attempt_state(attempt, now, exam)
        conn = Connection(sid=sid, candidate_id=candidate.id, attempt_id=attempt.id, exam_id=candidate.exam_id,
                          room_id=candidate.room_id, token_hash=token_hash(token))
        if state["paper"] is not None:
            conn.paper = live.paper_of(candidate.id)
        for number, record in state["answers"].items():
            conn.note(int(number), record["seq"], True)
        conn.last_seq = state["last_seq"]
        return None, conn, state

    def on_disconnect(self, reason=None):
        conn = self.registry.remove(request.sid)
        if conn is None:
            return
        CONNECTED.labels(str(conn.exam_id)).dec()
        now = utcnow()
        try:
            live.release(conn.attempt_id, conn.sid, now, exam_id=conn.exam_id, room_id=conn.room_id,
                         candidate_id=conn.candidate_id)
            session.commit()
        except Exception:   # the database is away: the heartbeat retries, the slot stays a lease
            session.rollback()
            log.warning("could not free the slot of %s: retried later", conn.sid, exc_info=True)
            self.runtime.relay.failed_releases.append((conn, now))

    def _conn(self) -> Connection:
        conn = self.registry.get(request.sid)
        if conn is None:
            raise live.LiveError("bad_token", "This connection was replaced by a newer check-in.", "token", 401)
        return conn

    def _holder(self, conn: Connection) -> Holder:
        return Holder(conn.attempt_id, conn.sid, conn.token_hash)

    def _paper(self, conn: Connection):
        if conn.paper is None:
            raise live.LiveError("attempt_not_active", "The attempt has not started.", "status",
                                 state={"status": "not_started", "paused": False})
        return conn.paper

    def _attempt(self, conn: Connection, *, lock: bool = False) -> Attempt:
        # With its candidate (the room of the events it raises): no lazy load on a submit.
        query = (select(Attempt).where(Attempt.id == conn.attempt_id)
                 .options(joinedload(Attempt.candidate, innerjoin=True)))
        attempt = session.scalar(query.with_for_update(of=Attempt) if lock else query)
        if attempt is None or attempt.connection_sid != conn.sid or not token_active(conn.token_hash):
            raise live.LiveError("bad_token", "This connection was replaced by a newer check-in.", "token", 401)
        return attempt

    def on_answer(self, data=None):
        started = time.perf_counter()
        conn = self.registry.get(request.sid)

        def work(now):
            body = payload(data, ("question", "response", "client_seq"))
            current = self._conn()
            if adaptive.is_adaptive(current):     # the ack carries the next question
                return adaptive.answer(current, self._holder(current), body, now)
            seq = live.save_answer(self._holder(current), self._paper(current), body["question"], body["response"],
                                   body["client_seq"], now)
            return {"ok": True, "seq": seq}

        ack = boundary("answer", work)
        if ack.get("ok") and conn is not None:
            self.registry.answered(conn, data["question"], ack["seq"], data["response"] is not None)
        ANSWER_SECONDS.observe(time.perf_counter() - started)
        return ack

    def on_flag(self, data=None):
        started = time.perf_counter()

        def work(now):
            body = payload(data, ("question", "flagged", "client_seq"))
            conn = self._conn()
            seq = live.save_flag(self._holder(conn), self._paper(conn), body["question"], body["flagged"],
                                 body["client_seq"], now)
            return {"ok": True, "seq": seq}

        ack = boundary("flag", work)
        ANSWER_SECONDS.observe(time.perf_counter() - started)
        return ack

    def on_focus_lost(self, data=None):
        def work(now):
            body = payload(data, ("seconds",))
            seconds = body["seconds"]
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= MAX_FOCUS_SECONDS:
                raise bad_event(f"seconds must be a number from 0 to {MAX_FOCUS_SECONDS}.", "seconds")
            attempt = self._attempt(self._conn())
            live.raise_incident(attempt.candidate, IncidentKind.FOCUS_LOST,
                                f"the exam page lost focus for {seconds:.1f} s", now)
            return {"ok": True}

        return boundary("focus_lost", work)

    def on_submit(self, data=None):
        def work(now):
            payload(data)
            attempt = live.submit(self._attempt(self._conn(), lock=True), now)
            return {"ok": True, "status": attempt.status.value}

        with self.admitting:      # a submit storm queues here, like a connect storm
            return boundary("submit", work)

    def on_sync(self, data=None):
        def work(now):
            payload(data)
            return {"ok": True, **live.attempt_state(self._attempt(self._conn()), now)}

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
            live.start_room(room, user, now)
            return {"ok": True}

        return boundary("start_room", work)

    def _pause_or_resume(self, data: Any, action: str, now: datetime) -> dict:
        body = payload(data, ("exam_id", "room_id"))
        reason = text_value(body.get("reason"), "reason", required=action == "pause")
        if body.get("candidate_id") is None:
            user, room = self._room(body)
            (live.pause_room if action == "pause" else live.resume_room)(room, user, reason, now)
        else:
            user, candidate = self._candidate(body)
            if candidate.room_id != body["room_id"]:
                raise bad_event("The candidate is not in this room.", "candidate_id")
            live.candidate_action(user, candidate, action, now, reason=reason)
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
            return {"ok": True, "remaining_seconds": live.remaining_seconds(attempt, now)}

        return boundary("extend", work)

    def on_move(self, data=None):
        def work(now):
            body = payload(data, ("candidate_id", "kiosk", "reason"))
            kiosk = text_value(body["kiosk"], "kiosk", required=True)[:100]
            reason = text_value(body["reason"], "reason", required=True)
            user, candidate = self._candidate(body)
            live.candidate_action(user, candidate, "move", now, reason=reason, payload={"kiosk": kiosk})
            return {"ok": True}

        return boundary("move", work)

    def on_terminate(self, data=None):
        def work(now):
            body = payload(data, ("candidate_id", "reason"))
            reason = text_value(body["reason"], "reason", required=True)
            user, candidate = self._candidate(body)
            live.candidate_action(user, candidate, "terminate", now, reason=reason)
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
            _row, told = live.message(*self._text_for(data), now)
            return {"ok": True, "candidates": told}

        return boundary("message", work)

    def on_issue_token(self, data=None):
        def work(now):
            body = payload(data, ("candidate_id", "reason"))
            reason = text_value(body["reason"], "reason", required=True)
            user, candidate = self._candidate(body)
            token = live.issue_session_token(candidate, user, "manual", reason, now)
            return {"ok": True, "token": token, "method": "manual", "verified": False}

        return boundary("issue_token", work)
