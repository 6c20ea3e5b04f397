"""The connection slot: one live connection per candidate across every server process, held as a
lease (docs/protocol.md, "The connection slot").

- A free slot is taken by any connection with a valid token.
- A held slot is taken over by a connection from the same device (a reload, a reconnect after a
  network drop or after its server process died or restarted): no proctor needed.
- A held slot whose holder is gone (its process stopped renewing its lease in live_nodes, or, on
  this process, the socket is no longer open) is taken over by the next connection with the token.
- Otherwise (another device while the holder is alive) the connection is refused
  (`already_connected`) and the proctors get one `second_login` incident, not one per retry.

An old connection that is taken over is told `session_replaced` and ended, on whichever process
holds it (a `replaced` live event). Services flush; the boundary commits.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from exam_server.core.db import session
from exam_server.exams.models import Candidate
from exam_server.live import events
from exam_server.live.attempts import bump
from exam_server.live.models import Attempt, Incident, IncidentKind, LiveNode
from exam_server.live.proctoring import raise_incident

SECOND_LOGIN_QUIET = timedelta(minutes=10)   # one incident per candidate within this span


@dataclass(frozen=True)
class Claim:
    taken: bool
    replaced_sid: str | None = None
    replaced_node: str | None = None


def claim(attempt: Attempt, candidate: Candidate, *, sid: str, node: str, device: str | None, now: datetime,
          holder_alive: Callable[[str | None, str], bool]) -> Claim:
    """Take the slot for this connection, or say why not (see the module's rules). The attempt
    row must be locked by the caller (attempt_for(..., lock=True))."""
    replaced = (None, None)
    if attempt.connection_sid and attempt.connection_sid != sid:
        same_device = device is not None and device == attempt.device
        if not same_device and holder_alive(attempt.connection_node, attempt.connection_sid):
            _second_login(candidate, now)
            return Claim(False)
        replaced = (attempt.connection_sid, attempt.connection_node)
        events.publish("replaced", exam_id=attempt.exam_id, room_id=candidate.room_id, candidate_id=candidate.id,
                       payload={"sid": replaced[0], "node": replaced[1], "reason": "reconnected"}, at=now)
    attempt.connection_sid, attempt.connection_node, attempt.device = sid, node, device
    attempt.offline_since, attempt.disconnect_reported = None, False
    bump(attempt)
    events.publish("candidate", exam_id=attempt.exam_id, room_id=candidate.room_id, candidate_id=candidate.id, at=now)
    return Claim(True, *replaced)


def _second_login(candidate: Candidate, now: datetime) -> None:
    recent = session.scalar(select(Incident.id).where(Incident.candidate_id == candidate.id,
                                                      Incident.kind == IncidentKind.SECOND_LOGIN,
                                                      Incident.resolved_at.is_(None),
                                                      Incident.at > now - SECOND_LOGIN_QUIET).limit(1))
    if recent is None:
        raise_incident(candidate, IncidentKind.SECOND_LOGIN,
                       "A second device tried to connect with this candidate's token and was refused.", now)


def release(attempt_id: int, sid: str, now: datetime, *, exam_id: int, room_id: int | None,
            candidate_id: int) -> bool:
    """The connection ended: free the slot if this connection still holds it."""
    freed = session.execute(update(Attempt).where(Attempt.id == attempt_id, Attempt.connection_sid == sid)
                            .values(connection_sid=None, connection_node=None, offline_since=now,
                                    disconnect_reported=False, state_version=Attempt.state_version + 1)
                            .execution_options(synchronize_session=False)).rowcount
    if freed:
        events.publish("candidate", exam_id=exam_id, room_id=room_id, candidate_id=candidate_id, at=now)
    return bool(freed)


def release_nodes(node_ids: list[str], now: datetime) -> int:
    """Free every slot the given (stopped or dead) processes held; the proctors see them offline.
    `offline_since` is now: when the slots were found free, at most the lease's timeout late."""
    if not node_ids:
        return 0
    held = session.execute(select(Attempt.id, Attempt.exam_id, Attempt.candidate_id, Candidate.room_id)
                           .join(Candidate, Candidate.id == Attempt.candidate_id)
                           .where(Attempt.connection_node.in_(node_ids))).all()
    if held:
        session.execute(update(Attempt).where(Attempt.connection_node.in_(node_ids))
                        .values(connection_sid=None, connection_node=None, offline_since=now,
                                disconnect_reported=False, state_version=Attempt.state_version + 1)
                        .execution_options(synchronize_session=False))
        events.publish_many([{"kind": "candidate", "exam_id": exam_id, "room_id": room_id,
                              "candidate_id": candidate_id, "at": now}
                             for _id, exam_id, candidate_id, room_id in held])
    session.execute(delete(LiveNode).where(LiveNode.id.in_(node_ids)))
    return len(held)


def node_alive(node_id: str | None, now: datetime, timeout_seconds: float) -> bool:
    if node_id is None:
        return False
    beat = session.scalar(select(LiveNode.heartbeat_at).where(LiveNode.id == node_id))
    return beat is not None and (now - beat).total_seconds() < timeout_seconds


def dead_nodes(now: datetime, timeout_seconds: float) -> list[str]:
    return list(session.scalars(select(LiveNode.id).where(LiveNode.heartbeat_at < now - timedelta(
        seconds=timeout_seconds))))


def beat(node_id: str, now: datetime) -> bool:
    """Renew this process's lease (every slot it holds). False when there was no lease to renew:
    the first beat, or another process took this one for dead (it could not beat: the database
    was away) and freed its slots."""
    renewed = session.execute(update(LiveNode).where(LiveNode.id == node_id).values(heartbeat_at=now)
                              .execution_options(synchronize_session=False)).rowcount
    if not renewed:
        session.add(LiveNode(id=node_id, started_at=now, heartbeat_at=now))
        session.flush()
    return bool(renewed)


def reclaim(node_id: str, held: list[tuple[int, str]], now: datetime) -> int:
    """This process was taken for dead but its connections are open: take their slots back where
    nobody else took them meanwhile. `held`: (attempt id, sid) of its connections."""
    if not held:
        return 0
    taken = 0
    for attempt_id, sid in held:
        taken += session.execute(update(Attempt).where(Attempt.id == attempt_id, Attempt.connection_sid.is_(None))
                                 .values(connection_sid=sid, connection_node=node_id, offline_since=None,
                                         state_version=Attempt.state_version + 1)
                                 .execution_options(synchronize_session=False)).rowcount
    return taken
