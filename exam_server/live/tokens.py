"""Session tokens: what a candidate's exam client authenticates with on /student.

Issued at check-in: by the kiosk after the chip was verified (method "chip"), or, as the
documented fallback, by a proctor or admin (method "manual": an unverified check-in, recorded as
such with its reason). Only the sha256 is stored; issuing a token revokes the candidate's older
ones and frees the candidate's connection slot: once that commits, the old connection is told
`session_replaced` and disconnected (a student who moved kiosk leaves no exam open behind)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from functools import partial

from sqlalchemy import select, update

from exam_server.accounts.models import User
from exam_server.core import signals
from exam_server.core.db import after_commit, session, utcnow
from exam_server.exams.models import Candidate
from exam_server.live.attempts import LiveError
from exam_server.live.models import Attempt, ProctorAction, SessionToken

METHODS = ("chip", "manual")
MAX_TOKEN_CHARS = 200


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_session_token(candidate: Candidate, actor: User | None, method: str, reason: str,
                        now: datetime | None = None) -> str:
    now = now or utcnow()
    if method not in METHODS:
        raise LiveError("bad_value", f"method must be one of {', '.join(METHODS)}.", "method", 422)
    reason = (reason or "").strip()
    if method == "manual" and (actor is None or not reason):
        raise LiveError("missing_field", "A manual (unverified) check-in needs the issuer and a reason.",
                        "reason", 422)
    session.execute(update(SessionToken).where(SessionToken.candidate_id == candidate.id,
                                               SessionToken.revoked_at.is_(None)).values(revoked_at=now))
    replaced = session.scalars(select(Attempt.connection_sid).where(Attempt.candidate_id == candidate.id,
                                                                    Attempt.connection_sid.is_not(None))).all()
    session.execute(update(Attempt).where(Attempt.candidate_id == candidate.id).values(connection_sid=None))
    if replaced:
        from exam_server.live.sockets import end_replaced_connection

        for sid in replaced:
            after_commit(partial(end_replaced_connection, sid))
    token = secrets.token_urlsafe(32)
    session.add(SessionToken(candidate_id=candidate.id, token_hash=token_hash(token), method=method,
                             issued_by_id=actor.id if actor else None, reason=reason, issued_at=now))
    if actor is not None:
        session.add(ProctorAction(exam_id=candidate.exam_id, room_id=candidate.room_id, candidate_id=candidate.id,
                                  actor_id=actor.id, action="issue_token",
                                  payload={"method": method, "verified": method == "chip"}, reason=reason, at=now))
    session.flush()
    signals.session_token_issued.send(candidate.exam_id, candidate_id=candidate.id, method=method,
                                      actor_id=actor.id if actor else None, reason=reason, at=now)
    return token


def active_token(token: str) -> SessionToken | None:
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_CHARS:
        return None
    return session.scalar(select(SessionToken).where(SessionToken.token_hash == token_hash(token),
                                                     SessionToken.revoked_at.is_(None)))


def authenticate_token(token: str) -> Candidate:
    """The candidate of an active token; a wrong, revoked or replaced token raises bad_token."""
    row = active_token(token)
    if row is None:
        raise LiveError("bad_token", "The session token is not valid (wrong, revoked or replaced).", "token", 401)
    return session.get(Candidate, row.candidate_id)


def token_still_active(hash_: str) -> bool:
    return session.scalar(select(SessionToken.id).where(SessionToken.token_hash == hash_,
                                                        SessionToken.revoked_at.is_(None))) is not None


def checkin_of(candidate: Candidate) -> dict:
    row = session.scalar(select(SessionToken).where(SessionToken.candidate_id == candidate.id)
                         .order_by(SessionToken.id.desc()).limit(1))
    method = row.method if row is not None else None
    return {"method": method, "verified": method == "chip"}
