"""The live event log: what students and proctors must hear, written by the services in the
transaction that makes it true (the outbox pattern). Every server process tails the log and
tells its own connections (live/relay.py), so a message is never told before it is committed,
never lost while Redis or another process is down, and reaches a student on whichever process
holds the connection.

Kinds (payloads are what the relay needs to build the push; see docs/protocol.md):

per candidate (the student is told; the proctors see the candidate's row change)
    started                    -> attempt_state (with the paper)
    paused {reason}            -> paused
    resumed                    -> resumed {remaining_seconds}
    time_extended {added_seconds} -> time_extended {added_seconds, remaining_seconds}
    moved {kiosk}              -> moved
    terminated {reason}        -> terminated
    notice {text}              -> notice
    closed {reason}            -> closed
    replaced {sid, reason}     -> session_replaced to that connection, which is then ended
    candidate                  -> the proctors only (connection, check-in, token)
per room (candidate_id None)
    room_started / room_paused {reason} / room_resumed {reason} / room_notice {text}
for the proctors
    incident {INCIDENT} / checkin {CHECKIN}
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import insert

from exam_server.core.db import after_commit_once, session
from exam_server.live.models import LiveEvent


def _wake_after_commit() -> None:
    """Once per transaction: after the commit, wake this process's relay (it delivers at once
    what this process committed; other processes find it on their next tail)."""
    app = current_app._get_current_object()

    def wake():
        relay = app.extensions.get("live_relay")
        if relay is not None:
            relay.wake()

    after_commit_once("live_relay", wake)


def publish(kind: str, *, exam_id: int, room_id: int | None, candidate_id: int | None = None,
            payload: dict[str, Any] | None = None, at: datetime) -> None:
    session.add(LiveEvent(exam_id=exam_id, room_id=room_id, candidate_id=candidate_id, kind=kind,
                          payload=payload or {}, at=at))
    _wake_after_commit()


def publish_many(rows: list[dict[str, Any]]) -> None:
    """Many events in one statement: rows of {kind, exam_id, room_id, candidate_id, payload, at}."""
    if rows:
        session.execute(insert(LiveEvent), [{"payload": {}, "candidate_id": None, **row} for row in rows])
        _wake_after_commit()
