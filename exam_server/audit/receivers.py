"""What goes into the audit chain: everything that changes an exam's outcome, told by the domain
signals (core.signals) inside the transaction that did it. Receivers only queue an entry on the
session; audit.services writes the queue just before the commit (see there)."""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from exam_server.audit.services import PENDING, Entry, queue, write_pending
from exam_server.core import signals
from exam_server.core.db import session


def _queue(audit_kind: str, exam_id, at, subject: str, actor_id=None, **data) -> None:
    queue(session, Entry(at=at, kind=audit_kind, exam_id=exam_id, actor_id=actor_id, subject=subject, data=data))


def on_attempts_moved(exam_id, moves, **_):
    # One record per signal: a room's start moves hundreds of attempts in one transaction.
    first = moves[0]
    actions = sorted({m.action for m in moves})
    _queue(f"attempts.{'+'.join(actions)}", exam_id, first.at,
           f"attempt:{first.attempt_id}" if len(moves) == 1 else f"attempts:{len(moves)}", first.actor_id,
           moves=[[m.attempt_id, m.candidate_id, m.action, m.from_status, m.to_status] for m in moves],
           reason=first.reason)


def on_result_stored(exam_id, result_id, attempt_id, candidate_id, version, status, score, raw_points,
                     max_points, reason, at, **_):
    _queue("result.stored", exam_id, at, f"result:{result_id}", None, attempt_id=attempt_id,
           candidate_id=candidate_id, version=version, status=status, score=score, raw_points=raw_points,
           max_points=max_points, reason=reason)


def on_incident(exam_id, incident_id, room_id, candidate_id, kind, detail, at, **_):
    _queue("incident", exam_id, at, f"incident:{incident_id}", None, room_id=room_id, candidate_id=candidate_id,
           kind=kind, detail=detail)


def on_proctor_acted(exam_id, action_id, room_id, candidate_id, actor_id, action, payload, reason, at, **_):
    _queue(f"proctor.{action}", exam_id, at, f"proctor_action:{action_id}", actor_id, room_id=room_id,
           candidate_id=candidate_id, payload=payload, reason=reason)


def on_token_issued(exam_id, candidate_id, method, actor_id, reason, at, **_):
    _queue(f"admission.{method}", exam_id, at, f"candidate:{candidate_id}", actor_id, reason=reason)


def on_checkin(exam_id, checkin_id, room_id, candidate_id, method, outcome, verified, kiosk_id, actor_id, at, **_):
    _queue("checkin", exam_id, at, f"checkin:{checkin_id}", actor_id, room_id=room_id, candidate_id=candidate_id,
           method=method, outcome=outcome, verified=verified, kiosk_id=kiosk_id)


def on_correction(exam_id, correction_id, kind, item_version_id, actor_id, rescored, at, **_):
    _queue(f"correction.{kind}", exam_id, at, f"correction:{correction_id}", actor_id,
           item_version_id=item_version_id, rescored=rescored)


def on_account_changed(user_id, actor_id, action, role, at, **_):
    _queue(f"account.{action}", None, at, f"user:{user_id}", actor_id, role=role)


def on_results_released(exam_id, visible, actor_id, at, **_):
    _queue("results.released" if visible else "results.withdrawn", exam_id, at, f"exam:{exam_id}", actor_id)


def _before_commit(db_session: Session) -> None:
    if db_session.info.get(PENDING):
        write_pending(db_session)


def _after_rollback(db_session: Session) -> None:
    db_session.info.pop(PENDING, None)


def connect() -> None:
    """Subscribe (idempotent: blinker and SQLAlchemy key listeners by identity)."""
    signals.attempts_moved.connect(on_attempts_moved)
    signals.result_stored.connect(on_result_stored)
    signals.incident_raised.connect(on_incident)
    signals.proctor_acted.connect(on_proctor_acted)
    signals.session_token_issued.connect(on_token_issued)
    signals.checkin_recorded.connect(on_checkin)
    signals.correction_applied.connect(on_correction)
    signals.account_changed.connect(on_account_changed)
    signals.results_released.connect(on_results_released)
    if not event.contains(Session, "before_commit", _before_commit):
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_rollback", _after_rollback)
