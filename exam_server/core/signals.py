"""Domain signals: what happened, told synchronously inside the transaction that did it.

A package announces its changes here; another package that must follow them (the indicators'
aggregates, the audit chain) connects a receiver, so the announcing package never imports its
followers (no cycles, one direction). Receivers run inside the sender's transaction, before the
boundary commits: what they write commits or rolls back with the change itself (nothing lost on a
crash, nothing half-written), and an exception in a receiver aborts the whole change.

Rules for receivers: flush, never commit; no socket pushes or network calls (register those with
`core.db.after_commit`); keep the work small and bulk (a room's start moves hundreds of attempts
in one signal). Payloads are plain values (ids, strings, Decimals, UTC datetimes), never ORM
objects, so a receiver cannot lazy-load its way into another package's tables.

Connect with `signal.connect(receiver)` at import time of the subscribing module (blinker keys
receivers by identity, so importing twice does not connect twice). New signals go at the end.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from blinker import Namespace

_signals = Namespace()


@dataclass(frozen=True)
class AttemptMove:
    """One attempt's status change (or its creation: from_status None, action "create")."""

    attempt_id: int
    exam_id: int
    candidate_id: int
    action: str                 # create, start, pause, resume, submit, close, terminate
    from_status: str | None
    to_status: str
    at: datetime
    actor_id: int | None = None
    reason: str = ""
    seconds_on_test: int | None = None   # set when the move finishes the attempt (its time, pauses out)


# send(exam_id, moves=[AttemptMove, ...]): attempts changed status. Bulk operations (a room
# started, paused or resumed) send one signal carrying every attempt they moved.
attempts_moved = _signals.signal("attempts-moved")

# send(exam_id, result_id, attempt_id, candidate_id, version, status, score: Decimal,
#      raw_points: Decimal, max_points: Decimal, reason, at): a result version was stored
# (first scoring at submit or deadline, and every rescore: essays, corrections).
result_stored = _signals.signal("result-stored")

# send(exam_id, incident_id, room_id, candidate_id, kind, detail, at)
incident_raised = _signals.signal("incident-raised")

# send(exam_id, action_id, room_id, candidate_id, actor_id, action, payload: dict, reason, at):
# a proctor's or admin's action on a room or candidate (its proctor_actions audit row).
proctor_acted = _signals.signal("proctor-acted")

# send(exam_id, candidate_id, method ("chip" | "manual"), actor_id, reason, at): a session token
# was issued (a verified chip check-in, or a manual admission).
session_token_issued = _signals.signal("session-token-issued")

# send(exam_id, checkin_id, room_id, candidate_id, method, outcome, verified, kiosk_id, actor_id, at)
checkin_recorded = _signals.signal("checkin-recorded")

# send(exam_id, correction_id, kind, item_version_id, actor_id, rescored: int, at)
correction_applied = _signals.signal("correction-applied")


# send(user_id, actor_id, action ("create" | "activate" | "deactivate" | "role"), role, at): an
# account's access changed (security: the audit chain records it).
account_changed = _signals.signal("account-changed")
# send(exam_id, candidate_ids: list[int]): candidates were added to an exam's roster (an import).
candidates_added = _signals.signal("candidates-added")

# send(exam_id, visible: bool, actor_id, at): an exam's results were shown to (or hidden from) its
# candidates (the audit chain records it).
results_released = _signals.signal("results-released")
