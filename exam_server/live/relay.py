"""The relay: each server process tails the live event log (live_events) and tells its own
connections: students what happened to them, proctors their rooms' changed rows, coalesced (a
room's rows at most once per LIVE_PROCTOR_PUSH_SECONDS, as one `room_update` of the rows that
changed). Every push is local (`ignore_queue`): each process serves its own sockets, so a
message does not depend on Redis, and after any outage the tail simply continues where it was.

A process wakes its relay right after its own commits (no wait); other processes' events are
found by the tail every LIVE_RELAY_INTERVAL_SECONDS. Event ids come from a sequence, and a
transaction may commit after one with a higher id: an id skipped by the tail is looked for again
for LIVE_RELAY_GAP_SECONDS before it is taken as rolled back.

The answer progress of this process's students goes to the proctors through the Socket.IO
queue (`progress`, at most once a second per room, and in full every TIME_TICK_SECONDS so a
lost one heals); the `time` ticks of its students; the lease of its slots (heartbeat).
"""
from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from flask import Flask, g
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from exam_server.core.db import among, session, utcnow
from exam_server.exams.models import Candidate
from exam_server.live import views
from exam_server.live.connections import Connection, Registry
from exam_server.live.models import Attempt, AttemptStatus, LiveEvent

log = logging.getLogger(__name__)

STUDENT, PROCTOR = "/student", "/proctor"
ALL = None                    # a room's every candidate changed
TIME_TICK_SECONDS = 15
YIELD_EVERY = 50           # emits between two yields to the other greenlets (see Relay._emit)
BATCH = 2000
# What the views read of an attempt's candidate (attempt_state, the time left).
CANDIDATE_COLUMNS = (Candidate.candidate_number, Candidate.full_name, Candidate.room_id, Candidate.extra_time_minutes,
                     Candidate.extra_time_percent)
# Events whose push needs the attempt read from the database (state, time left).
NEEDS_ATTEMPT = {"started", "resumed", "time_extended", "room_started", "room_resumed"}


@dataclass
class Batch:
    """What one delivery pass read from the database for the students it tells."""

    attempts: dict[int, SimpleNamespace]    # by candidate: an attempt's columns, and .candidate
    states: dict[int, dict[str, Any]]       # attempt_state by attempt
    papers: dict[int, Any]                  # by candidate


def proctor_room(exam_id: int, room_id: int | None) -> str:
    return f"proctor:{exam_id}:{room_id}"


class Relay:
    def __init__(self, app: Flask, socketio, registry: Registry, node_id: str):
        self.app, self.socketio, self.registry, self.node_id = app, socketio, registry, node_id
        self.interval = app.config["LIVE_RELAY_INTERVAL_SECONDS"]
        self.push_every = app.config["LIVE_PROCTOR_PUSH_SECONDS"]
        self.gap_seconds = app.config["LIVE_RELAY_GAP_SECONDS"]
        self.heartbeat_every = app.config["LIVE_HEARTBEAT_SECONDS"]
        self.high: int | None = None
        self.gaps: dict[int, float] = {}
        self.dirty: dict[tuple[int, int | None], set[int] | None] = {}
        self.last_push: dict[tuple[int, int | None], float] = {}
        self.failed_releases: list[tuple[Connection, datetime]] = []
        self.beats = 0
        self.steady_since: float | None = None
        self.wakeup = threading.Event()
        self.pump_lock = threading.Lock()
        self.running = False
        self.emitted = 0

    # --- running ----------------------------------------------------------------------------------
    def prime(self) -> None:
        """Start the tail at the log's end now, at start-up: what is committed from here on is
        told. (Left lazy, the first read would skip the very event that woke it.) A database that
        is down or not yet migrated leaves it to the first read."""
        try:
            with self.context():
                self.high = session.scalar(select(func.max(LiveEvent.id))) or 0
                session.rollback()
        except Exception as exc:  # noqa: BLE001 - not migrated yet (a CLI command) or down: read later
            log.info("live relay: the event log could not be read at start-up (%s)", type(exc).__name__)

    def start(self) -> None:
        self.running = True
        self.socketio.start_background_task(self._loop)
        self.socketio.start_background_task(self._beat_loop)

    def wake(self) -> None:
        """After a local commit: deliver now (in the loop, or here when no loop runs: tests)."""
        if self.running:
            self.wakeup.set()
        else:
            with self.context():
                self.pump()

    @contextmanager
    def context(self):
        """An app context whose session uses the live engine: the relay, the lease and the sweeper
        have connections of their own, so a storm of student events cannot starve them."""
        with self.app.app_context():
            g.db_session = self.app.extensions["live_sessionmaker"]()
            yield

    def _loop(self) -> None:
        last = {"progress": 0.0, "tick": time.monotonic()}
        while True:
            self.wakeup.wait(self.interval)
            self.wakeup.clear()
            now_m = time.monotonic()
            try:
                with self.context():
                    self.pump()
                    if now_m - last["progress"] >= 1.0:
                        last["progress"] = now_m
                        self.send_progress(self.registry.take_progress())
                    if now_m - last["tick"] >= TIME_TICK_SECONDS:
                        last["tick"] = now_m
                        self.send_progress(self.registry.all_progress())
                        self.send_time()
            except Exception:   # a fault (the database restarting) must not stop the relay
                log.exception("live relay pass failed")
                time.sleep(min(1.0, self.interval * 4))

    def _beat_loop(self) -> None:
        """The lease, on its own: a busy relay must not let this process look dead."""
        while True:
            try:
                with self.context():
                    self.heartbeat()
            except Exception:
                log.exception("live heartbeat failed")
            time.sleep(self.heartbeat_every)

    # --- the tail ---------------------------------------------------------------------------------
    def pump(self) -> None:
        with self.pump_lock:
            try:
                rows = self._read()
                if rows:
                    self._deliver(rows)
                    if self.running:
                        # The last students told (since _emit's last yield) get their packets
                        # written now, not after the proctors' snapshot of the room is built.
                        self.socketio.sleep(0)
                self._push_rooms()
            finally:
                session.rollback()

    def _read(self) -> list[LiveEvent]:
        if self.high is None:
            self.high = session.scalar(select(func.max(LiveEvent.id))) or 0
        rows = list(session.scalars(select(LiveEvent).where(LiveEvent.id > self.high).order_by(LiveEvent.id)
                                    .limit(BATCH)))
        now_m = time.monotonic()
        if self.gaps:
            rows += session.scalars(select(LiveEvent).where(LiveEvent.id.in_(list(self.gaps)))).all()
            for row in rows:
                self.gaps.pop(row.id, None)
            for gap, since in list(self.gaps.items()):
                if now_m - since > self.gap_seconds:
                    del self.gaps[gap]        # rolled back (or lost with its transaction)
        expected = self.high + 1
        for row in sorted(r.id for r in rows if r.id > self.high):
            for missing in range(expected, row):
                self.gaps.setdefault(missing, now_m)
            expected = row + 1
        if rows:
            self.high = max(self.high, max(r.id for r in rows))
        return sorted(rows, key=lambda r: r.id)

    def _deliver(self, rows: list[LiveEvent]) -> None:
        local = self.registry
        wanted: set[int] = set()
        for row in rows:
            if row.kind in NEEDS_ATTEMPT:
                ids = [row.candidate_id] if row.candidate_id else row.payload.get("started", []) + \
                    row.payload.get("resumed", [])
                wanted.update(c for c in ids if local.of_candidate(c))
        attempts = self._attempts(wanted)
        states, paper_of = views.attempt_states_with_papers(list(attempts.values()), utcnow()) if any(
            r.kind in ("started", "room_started", "room_resumed") for r in rows) else ({}, {})
        batch = Batch(attempts, states, paper_of)
        now = utcnow()
        late: list[int] = []
        for row in rows:
            self._mark(row)
            try:
                self._tell_students(row, batch, now)
            except Exception:
                log.exception("live event %s (%s) could not be told", row.id, row.kind)
            if row.kind in ("room_started", "room_resumed"):
                moved = set(row.payload.get("started", [])) | set(row.payload.get("resumed", []))
                late += [c.attempt_id for c in self.registry.of_room(row.exam_id, row.room_id)
                         if c.paper is None and c.candidate_id not in moved]
        if late:
            self._start_late(late)

    def _start_late(self, attempt_ids: list[int]) -> None:
        """Students here whose connection committed while their room was being started (the start
        did not see them connected, their connect did not see the room started): start them now.
        Their `started` events come back through the tail."""
        from exam_server.live.attempts import maybe_start

        session.rollback()
        now = utcnow()
        for attempt in session.scalars(select(Attempt).where(among(Attempt.id, attempt_ids))
                                       .options(selectinload(Attempt.candidate)).with_for_update()):
            maybe_start(attempt, now)
        session.commit()

    def _attempts(self, candidate_ids: set[int]) -> dict[int, SimpleNamespace]:
        """The attempts to tell, by candidate, read-only: each row's columns (and its candidate's
        that the views read) in one Core select, not ORM instances (a room's start reads 2,000)."""
        if not candidate_ids:
            return {}
        found = {}
        query = (select(Attempt.__table__, *CANDIDATE_COLUMNS).join(Candidate, Candidate.id == Attempt.candidate_id)
                 .where(among(Attempt.candidate_id, candidate_ids)))
        for row in session.execute(query):
            values = row._asdict()
            candidate = SimpleNamespace(id=row.candidate_id, exam_id=row.exam_id,
                                        **{column.key: values.pop(column.key) for column in CANDIDATE_COLUMNS})
            found[row.candidate_id] = SimpleNamespace(**values, candidate=candidate)
        return found

    def _mark(self, row: LiveEvent) -> None:
        """Proctors: the rows to push (coalesced), or an incident / check-in to push at once."""
        room = (row.exam_id, row.room_id)
        if not self._has_proctors(room):
            return
        if row.kind in ("incident", "checkin"):
            self._emit(row.kind, row.payload, proctor_room(*room), PROCTOR)
            return
        if row.candidate_id is None or row.kind.startswith("room_"):
            self.dirty[room] = ALL
        elif room not in self.dirty or self.dirty[room] is not ALL:
            self.dirty.setdefault(room, set()).add(row.candidate_id)

    def _tell_students(self, row: LiveEvent, batch: Batch, now: datetime) -> None:
        kind, data = row.kind, row.payload
        attempts = batch.attempts
        if row.candidate_id is None:
            if kind == "room_notice":
                for conn in self.registry.of_room(row.exam_id, row.room_id):
                    self._emit("notice", {"text": data["text"]}, conn.sid, STUDENT)
            elif kind == "room_paused":
                for cid in data.get("paused", []):
                    self._to_candidate(cid, "paused", {"reason": data.get("reason")})
            elif kind in ("room_started", "room_resumed"):
                for cid in data.get("started", []):
                    self._send_state(cid, batch)
                for cid in data.get("resumed", []):
                    self._resumed(cid, attempts, now)
            return
        cid = row.candidate_id
        if kind == "started":
            self._send_state(cid, batch)
        elif kind == "resumed":
            self._resumed(cid, attempts, now)
        elif kind == "time_extended" and cid in attempts:
            self._to_candidate(cid, "time_extended", {"added_seconds": data["added_seconds"], "remaining_seconds":
                                                      views.time_payload(attempts[cid], now)["remaining_seconds"]})
        elif kind in ("paused", "terminated", "closed"):
            self._to_candidate(cid, kind, {"reason": data.get("reason")})
        elif kind == "moved":
            self._to_candidate(cid, "moved", {"kiosk": data.get("kiosk")})
        elif kind == "notice":
            self._to_candidate(cid, "notice", {"text": data["text"]})
        elif kind == "replaced":
            self._end(data.get("sid"), data.get("reason") or "new_check_in")

    def _send_state(self, cid: int, batch: Batch) -> None:
        attempt = batch.attempts.get(cid)
        if attempt is None or attempt.id not in batch.states:
            return
        for conn in self.registry.of_candidate(cid):
            conn.paper = conn.paper or batch.papers.get(cid)
            self._emit("attempt_state", batch.states[attempt.id], conn.sid, STUDENT)

    def _resumed(self, cid: int, attempts: dict[int, SimpleNamespace], now: datetime) -> None:
        if cid in attempts:
            self._to_candidate(cid, "resumed", {"remaining_seconds":
                                                views.time_payload(attempts[cid], now)["remaining_seconds"]})

    def _to_candidate(self, cid: int, event: str, data: Any) -> None:
        for conn in self.registry.of_candidate(cid):
            self._emit(event, data, conn.sid, STUDENT)

    def _end(self, sid: str | None, reason: str) -> None:
        """A connection whose slot was taken (a new token, a takeover): tell it why, then end it.
        Forgotten first, so its disconnect handler has nothing to write."""
        if not sid or self.registry.remove(sid) is None:
            return
        self._emit("session_replaced", {"reason": reason}, sid, STUDENT)
        try:
            self.socketio.server.disconnect(sid, namespace=STUDENT, ignore_queue=True)
        except Exception:   # already gone
            log.debug("disconnect of %s failed", sid, exc_info=True)

    # --- proctors ---------------------------------------------------------------------------------
    def _has_proctors(self, room: tuple[int, int | None]) -> bool:
        rooms = self.socketio.server.manager.rooms.get(PROCTOR, {})
        return bool(rooms.get(proctor_room(*room)))

    def _push_rooms(self) -> None:
        now_m = time.monotonic()
        due = [room for room in self.dirty if now_m - self.last_push.get(room, 0.0) >= self.push_every]
        if not due:
            return
        now = utcnow()
        from exam_server.exams.models import ExamRoom

        for room in due:
            changed = self.dirty.pop(room)
            self.last_push[room] = now_m
            if not self._has_proctors(room):
                continue
            row = session.get(ExamRoom, room[1]) if room[1] is not None else None
            if row is None:
                continue
            if changed is ALL:
                update = views.room_snapshot(row, now)
            else:
                update = {**views.room_state(row), "candidates": views.views_of(changed, now)}
            self._emit("room_update", update, proctor_room(*room), PROCTOR)

    def send_progress(self, progress: dict[tuple[int, int | None], list[dict[str, int]]]) -> None:
        """Through the queue: the room's proctors may be on another process."""
        for (exam_id, room_id), rows in progress.items():
            try:
                self.socketio.emit("progress", {"exam_id": exam_id, "room_id": room_id, "candidates": rows},
                                   to=proctor_room(exam_id, room_id), namespace=PROCTOR)
            except Exception:   # Redis down: the next full progress heals it
                log.warning("progress for room %s could not be sent", room_id, exc_info=True)

    # --- this process's students and its lease ----------------------------------------------------
    def send_time(self) -> None:
        conns = {c.attempt_id: c for c in self.registry.all()}
        now = utcnow()
        ids = list(conns)
        for i in range(0, len(ids), 1000):
            for attempt in session.scalars(select(Attempt).where(among(Attempt.id, ids[i:i + 1000]),
                                                                 Attempt.status == AttemptStatus.IN_PROGRESS)):
                self._emit("time", views.time_payload(attempt, now), conns[attempt.id].sid, STUDENT)
        session.rollback()

    def heartbeat(self) -> None:
        from exam_server.live import slots

        retry, self.failed_releases = self.failed_releases, []
        try:
            now = utcnow()
            if not slots.beat(self.node_id, now) and self.beats:
                held = [(c.attempt_id, c.sid) for c in self.registry.all()]
                log.warning("live: this process was taken for dead; %d of %d slots taken back",
                            slots.reclaim(self.node_id, held, now), len(held))
            for conn, at in retry:
                slots.release(conn.attempt_id, conn.sid, at, exam_id=conn.exam_id, room_id=conn.room_id,
                              candidate_id=conn.candidate_id)
            session.commit()
        except Exception:
            session.rollback()
            self.failed_releases = retry + self.failed_releases
            self.steady_since = None
            raise
        self.beats += 1
        if self.steady_since is None:
            self.steady_since = time.monotonic()

    def steady(self, seconds: float) -> bool:
        """Has this process renewed its lease without a failure for `seconds`? Only then may it
        take other processes for dead: after an outage of the database every lease looks old,
        and the others need a beat or two to renew theirs."""
        return self.steady_since is not None and time.monotonic() - self.steady_since >= seconds

    def _emit(self, event: str, data: Any, to: str, namespace: str) -> None:
        self.socketio.emit(event, data, to=to, namespace=namespace, ignore_queue=True)
        self.emitted += 1
        if self.running and self.emitted % YIELD_EVERY == 0:
            # Let the students' events in between: telling 2,000 connections their time (every
            # TIME_TICK_SECONDS) or their paper in one go held the process for a few hundred
            # milliseconds, and every answer that arrived meanwhile waited that long for its ack.
            self.socketio.sleep(0)

