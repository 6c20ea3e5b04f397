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

from sqlalchemy import func, select, update

from exam_server.accounts.models import User
from exam_server.core import signals
from exam_server.core.db import among, session, utcnow
from exam_server.exams.models import Candidate, Exam
from exam_server.live import events
from exam_server.live.attempts import LiveError, create_missing
from exam_server.live.models import Attempt, ProctorAction, SessionToken

METHODS = ("chip", "manual")
MAX_TOKEN_CHARS = 200


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_session_token(candidate: Candidate, actor: User | None, method: str, reason: str,
                        now: datetime | None = None) -> str:
    return issue_session_tokens([candidate], actor, method, reason, now)[candidate.id]


def issue_session_tokens(candidates: list[Candidate], actor: User | None, method: str, reason: str,
                         now: datetime | None = None) -> dict[int, str]:
    """A new token for each candidate (a room's or an exam's admission sheet in one call): their
    older tokens are revoked and their slots freed (an open screen is told `session_replaced`
    and ended, on whichever process holds it). A fixed number of statements for any number."""
    now = now or utcnow()
    if method not in METHODS:
        raise LiveError("bad_value", f"method must be one of {', '.join(METHODS)}.", "method", 422)
    reason = (reason or "").strip()
    if method == "manual" and (actor is None or not reason):
        raise LiveError("missing_field", "A manual (unverified) check-in needs the issuer and a reason.",
                        "reason", 422)
    if not candidates:
        return {}
    ids = [c.id for c in candidates]
    by_id = {c.id: c for c in candidates}
    create_missing(candidates, now)
    session.execute(update(SessionToken).where(SessionToken.candidate_id.in_(ids), SessionToken.revoked_at.is_(None))
                    .values(revoked_at=now).execution_options(synchronize_session=False))
    replaced = session.execute(select(Attempt.candidate_id, Attempt.connection_sid, Attempt.connection_node)
                               .where(Attempt.candidate_id.in_(ids), Attempt.connection_sid.is_not(None))).all()
    session.execute(update(Attempt).where(Attempt.candidate_id.in_(ids))
                    .values(connection_sid=None, connection_node=None, device=None,
                            state_version=Attempt.state_version + 1)
                    .execution_options(synchronize_session="fetch"))
    rows = [{"kind": "replaced", "exam_id": by_id[cid].exam_id, "room_id": by_id[cid].room_id, "candidate_id": cid,
             "payload": {"sid": sid, "node": node, "reason": "new_check_in"}, "at": now}
            for cid, sid, node in replaced]
    rows += [{"kind": "candidate", "exam_id": c.exam_id, "room_id": c.room_id, "candidate_id": c.id, "at": now}
             for c in candidates]
    events.publish_many(rows)
    tokens = {c.id: secrets.token_urlsafe(32) for c in candidates}
    session.add_all([SessionToken(candidate_id=c.id, token_hash=token_hash(tokens[c.id]), method=method,
                                  issued_by_id=actor.id if actor else None, reason=reason, issued_at=now)
                     for c in candidates])
    if actor is not None:
        session.add_all([ProctorAction(exam_id=c.exam_id, room_id=c.room_id, candidate_id=c.id, actor_id=actor.id,
                                       action="issue_token", payload={"method": method, "verified": method == "chip"},
                                       reason=reason, at=now) for c in candidates])
    session.flush()
    for c in candidates:
        signals.session_token_issued.send(c.exam_id, candidate_id=c.id, method=method,
                                          actor_id=actor.id if actor else None, reason=reason, at=now)
    return tokens


def active_token(token: str) -> SessionToken | None:
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_CHARS:
        return None
    return session.scalar(select(SessionToken).where(SessionToken.token_hash == token_hash(token),
                                                     SessionToken.revoked_at.is_(None)))


def authenticate_token(token: str) -> Candidate:
    return authenticate(token)[0]


def authenticate(token: str) -> tuple[Candidate, Exam]:
    """The candidate of an active token and its exam, in one statement; a wrong, revoked or
    replaced token raises bad_token."""
    found = None
    if isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_CHARS:
        found = session.execute(select(Candidate, Exam).join(SessionToken, SessionToken.candidate_id == Candidate.id)
                                .join(Exam, Exam.id == Candidate.exam_id)
                                .where(SessionToken.token_hash == token_hash(token),
                                       SessionToken.revoked_at.is_(None))).first()
    if found is None:
        raise LiveError("bad_token", "The session token is not valid (wrong, revoked or replaced).", "token", 401)
    return found[0], found[1]


def token_still_active(hash_: str) -> bool:
    return session.scalar(select(SessionToken.id).where(SessionToken.token_hash == hash_,
                                                        SessionToken.revoked_at.is_(None))) is not None


def checkin_of(candidate: Candidate) -> dict:
    row = session.scalar(select(SessionToken).where(SessionToken.candidate_id == candidate.id)
                         .order_by(SessionToken.id.desc()).limit(1))
    method = row.method if row is not None else None
    return {"method": method, "verified": method == "chip"}


def checkins_of(candidate_ids: list[int]) -> dict[int, dict]:
    """checkin_of for many candidates in one statement (their newest token's method)."""
    newest = (select(SessionToken.candidate_id, func.max(SessionToken.id).label("id"))
              .where(among(SessionToken.candidate_id, candidate_ids)).group_by(SessionToken.candidate_id).subquery())
    methods = dict(session.execute(select(SessionToken.candidate_id, SessionToken.method)
                                   .join(newest, SessionToken.id == newest.c.id)).all()) if candidate_ids else {}
    return {cid: {"method": methods.get(cid), "verified": methods.get(cid) == "chip"} for cid in candidate_ids}
