"""The live exam's tables: session tokens, attempts and their history, answer events, the proctors'
audit trail, incidents, room sessions. History tables are append-only (never updated)."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam_server.core.db import Base, UTCDateTime, utcnow
from exam_server.exams.models import Candidate


def _enum(cls):
    return Enum(cls, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class AttemptStatus(str, enum.Enum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    SUBMITTED = "submitted"     # the candidate handed in
    CLOSED = "closed"           # the server closed it at the deadline
    TERMINATED = "terminated"   # a proctor ended it, with a reason


FINISHED = frozenset({AttemptStatus.SUBMITTED, AttemptStatus.CLOSED, AttemptStatus.TERMINATED})


class SessionToken(Base):
    """A candidate's exam session token. Only its sha256 is stored; a new one revokes the older."""

    __tablename__ = "session_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    method: Mapped[str] = mapped_column(String(16))          # "chip" (verified) | "manual" (unverified)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("exam_id", "candidate_id", name="uq_attempts_exam_candidate"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    status: Mapped[AttemptStatus] = mapped_column(_enum(AttemptStatus), index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    extra_seconds: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    kiosk: Mapped[str | None] = mapped_column(String(100))
    # When the attempt is due if nothing changes (running: its deadline; paused: the exam's
    # closes_at, which ends paused attempts too; finished or not started: NULL). Kept by every
    # move of the clock (attempts.py), so the sweeper reads only what is due, through its index.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # The connection slot (docs/protocol.md, "The connection slot"): the one live connection
    # (Socket.IO sid) of the candidate, the server process (live_nodes) that holds it, and the
    # device (the exam page's own id, kept in the browser) it came from; since when they are away.
    connection_sid: Mapped[str | None] = mapped_column(String(64))
    connection_node: Mapped[str | None] = mapped_column(String(64), index=True)
    device: Mapped[str | None] = mapped_column(String(64))
    offline_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    disconnect_reported: Mapped[bool] = mapped_column(default=False)
    # Increases with every change a proctor sees (status, clock, connection, kiosk, token), in
    # the transaction that makes it, under the row's lock: a proctor page keeps the highest.
    state_version: Mapped[int] = mapped_column(Integer, default=0)
    # When the finished attempt was scored (results.score_attempts, in batches off the submit's
    # path: live/scoring.py); NULL for a submitted or closed attempt still waiting to be scored.
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    candidate: Mapped[Candidate] = relationship()


class AttemptEvent(Base):
    __tablename__ = "attempt_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AnswerEvent(Base):
    __tablename__ = "answer_events"
    # The unique (attempt_id, client_seq) index also serves every lookup by attempt: no second
    # index on attempt_id to keep up on each answer.
    __table_args__ = (UniqueConstraint("attempt_id", "client_seq", name="uq_answer_events_attempt_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    question_number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))              # "answer" | "flag"
    response: Mapped[Any] = mapped_column(JSON)
    client_seq: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProctorAction(Base):
    __tablename__ = "proctor_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("exam_rooms.id"), index=True)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IncidentKind(str, enum.Enum):
    DISCONNECT = "disconnect"
    SECOND_LOGIN = "second_login"
    CHECKIN_MISMATCH = "checkin_mismatch"
    FOCUS_LOST = "focus_lost"
    CHECKIN_AFTER_FINISH = "checkin_after_finish"   # a kiosk check-in after the attempt was over


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("exam_rooms.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    kind: Mapped[IncidentKind] = mapped_column(_enum(IncidentKind))
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RoomSession(Base):
    """A room of an exam started by a proctor; while `paused_at` is set the whole room is paused."""

    __tablename__ = "room_sessions"
    __table_args__ = (UniqueConstraint("exam_id", "room_id", name="uq_room_sessions_exam_room"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("exam_rooms.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LiveNode(Base):
    """A server process that holds live connections. It renews `heartbeat_at` every few seconds;
    the slots of a node whose heartbeat is older than LIVE_NODE_TIMEOUT_SECONDS are free."""

    __tablename__ = "live_nodes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)      # host:pid:random
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class LiveEvent(Base):
    """What students and proctors must hear, written in the transaction that made it happen
    (append-only). Every server process tails this table and tells its own connections
    (live/relay.py): nothing is lost when Redis or a process is down, nothing is told before it
    is committed. candidate_id None: the whole room (or, with room_id None, the exam)."""

    __tablename__ = "live_events"
    __table_args__ = (Index("ix_live_events_exam_room", "exam_id", "room_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("exam_rooms.id"))
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
