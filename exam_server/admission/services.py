"""Manual admission codes (issue 10): short enough to read out and type, safe because they are
single use, live for minutes, are bound to one candidate (typed with the candidate number) and
are withdrawn after a few wrong tries; the redeeming address is rate-limited (api.py).

A proctor of the candidate's room (or an admin) issues a code with a reason; the candidate types
their candidate number and the code on the exam page, which exchanges them here for the long,
secret session token (the manual admission of checkin.services.admit, recorded for the issuing
proctor with their reason). The page holds that token; the code is spent.

8 characters from a 31-letter alphabet without look-alikes (no 0/O, 1/I/L) are about 40 bits; an
attacker has ADMISSION_CODE_MAX_TRIES guesses per code, so a guess succeeds with odds of about
5 in 10^12.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import insert, select, update

from exam_server.accounts.models import User
from exam_server.admission.models import AdmissionCode
from exam_server.core.db import session, utcnow
from exam_server.core.errors import ApiError
from exam_server.exams.models import Candidate

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
GROUP = 4
MAX_REASON = 1000
MAX_NUMBER = 50
# What people type between groups or by mistake around the code.
SEPARATORS = re.compile(r"[\s\-_.·]+")


@dataclass
class Redemption:
    """The outcome of one typed code: the token on success, else why not (after the failed try
    was recorded: the caller commits, then answers the refusal)."""

    token: str | None = None
    candidate: Candidate | None = None
    error: str | None = None
    message: str = ""
    tries_left: int | None = None


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def grouped(code: str) -> str:
    """ABCD-EFGH: how the code is shown (and may be typed)."""
    return "-".join(code[i:i + GROUP] for i in range(0, len(code), GROUP))


def normalize(typed: Any) -> str | None:
    """The code as typed (any case, with or without separators) -> its canonical form, or None
    when it cannot be a code at all."""
    if not isinstance(typed, str) or len(typed) > 40:
        return None
    code = SEPARATORS.sub("", typed).upper()
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def code_hash(code: str) -> str:
    """Keyed: a copy of the table alone does not let anyone try the 10^12 codes offline."""
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(key, code.encode("ascii"), hashlib.sha256).hexdigest()


def _reason(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ApiError("missing_field", "A reason is required for a manual admission.", 422, "reason")
    if len(value) > MAX_REASON:
        raise ApiError("too_long", f"reason is longer than {MAX_REASON} characters.", 400, "reason")
    return value.strip()


def _id(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ApiError("bad_value", f"{field} must be a whole number.", 400, field)
    return value


def issue(actor: User, candidate_id: Any, reason: Any, now: datetime | None = None) -> tuple[AdmissionCode, str]:
    """A new code for a candidate of a room the actor proctors (or any, for an admin); the
    candidate's older unused codes are withdrawn. Returns the row and the code (shown once)."""
    from exam_server.live.proctoring import require_candidate

    now = now or utcnow()
    candidate, _room = require_candidate(actor, _id(candidate_id, "candidate_id"))
    reason = _reason(reason)
    session.execute(update(AdmissionCode).where(AdmissionCode.candidate_id == candidate.id,
                                                AdmissionCode.used_at.is_(None), AdmissionCode.revoked_at.is_(None))
                    .values(revoked_at=now, revoked_why="replaced").execution_options(synchronize_session=False))
    code = new_code()
    ttl = int(current_app.config["ADMISSION_CODE_TTL_SECONDS"])
    row = AdmissionCode(candidate_id=candidate.id, exam_id=candidate.exam_id, code_hash=code_hash(code),
                        issued_by_id=actor.id, reason=reason, issued_at=now, expires_at=now + timedelta(seconds=ttl),
                        failed_tries=0)
    session.add(row)
    session.flush()
    return row, code


@dataclass(frozen=True)
class SheetLine:
    candidate_number: str
    full_name: str
    code: str            # grouped, shown once (only its hash is kept)


def issue_room(actor: User, exam_id: int, room_id: int, reason: Any,
               now: datetime | None = None) -> tuple[list[SheetLine], datetime]:
    """A printable sheet: a new code for every candidate of the room whose attempt is not over,
    in a fixed number of statements whatever the room's size (their older codes withdrawn). The
    codes live ADMISSION_SHEET_TTL_SECONDS, at most until the exam closes; they are single use,
    bound to their candidate and withdrawn after wrong tries like any code. Returns the lines in
    candidate number order and when they expire."""
    from exam_server.exams.models import Exam
    from exam_server.live.proctoring import require_room
    from exam_server.live.services import finished_candidates

    now = now or utcnow()
    room = require_room(actor, exam_id, room_id)
    reason = _reason(reason)
    exam = session.get(Exam, exam_id)
    expires = min(now + timedelta(seconds=int(current_app.config["ADMISSION_SHEET_TTL_SECONDS"])), exam.closes_at)
    if expires <= now:
        raise ApiError("exam_closed", "The exam has closed: no admission codes.", 409, "exam_id")
    candidates = list(session.scalars(select(Candidate).where(Candidate.room_id == room.id)
                                      .order_by(Candidate.candidate_number)))
    done = finished_candidates([c.id for c in candidates])
    candidates = [c for c in candidates if c.id not in done]
    if not candidates:
        return [], expires
    ids = [c.id for c in candidates]
    session.execute(update(AdmissionCode).where(AdmissionCode.candidate_id.in_(ids), AdmissionCode.used_at.is_(None),
                                                AdmissionCode.revoked_at.is_(None))
                    .values(revoked_at=now, revoked_why="replaced").execution_options(synchronize_session=False))
    codes = {c.id: new_code() for c in candidates}
    session.execute(insert(AdmissionCode), [
        {"candidate_id": c.id, "exam_id": c.exam_id, "code_hash": code_hash(codes[c.id]), "issued_by_id": actor.id,
         "reason": reason, "issued_at": now, "expires_at": expires, "failed_tries": 0} for c in candidates])
    return [SheetLine(c.candidate_number, c.full_name, grouped(codes[c.id])) for c in candidates], expires


def redeem(candidate_number: Any, typed_code: Any, now: datetime | None = None) -> Redemption:
    """Exchange a candidate number and a typed code for a session token.

    The candidate's usable codes are locked; a code that matches is spent and the candidate is
    admitted (checkin.services.admit, for the issuing proctor with their reason: an unverified
    check-in, a new session token, older ones revoked). A wrong code counts against every usable
    code of that candidate number and withdraws it at ADMISSION_CODE_MAX_TRIES. The answer does
    not say whether the number exists."""
    from exam_server.checkin.services import admit

    now = now or utcnow()
    refused = Redemption(error="bad_code", message="The candidate number or the admission code is not right, "
                                                   "or the code has expired or was used.")
    number = candidate_number.strip() if isinstance(candidate_number, str) else ""
    if not number or len(number) > MAX_NUMBER:
        return Redemption(error="bad_value", message="Type your candidate number.")
    code = normalize(typed_code)
    if code is None:
        return Redemption(error="bad_code_format",
                          message=f"An admission code has {CODE_LENGTH} letters and digits, like ABCD-EFGH.")
    rows = list(session.scalars(
        select(AdmissionCode).join(Candidate, Candidate.id == AdmissionCode.candidate_id)
        .where(Candidate.candidate_number == number, AdmissionCode.used_at.is_(None),
               AdmissionCode.revoked_at.is_(None), AdmissionCode.expires_at > now)
        .order_by(AdmissionCode.id).with_for_update(of=AdmissionCode)))
    if not rows:
        return refused
    wanted = code_hash(code)
    match = next((r for r in rows if hmac.compare_digest(r.code_hash, wanted)), None)
    if match is None:
        limit = int(current_app.config["ADMISSION_CODE_MAX_TRIES"])
        for row in rows:
            row.failed_tries += 1
            if row.failed_tries >= limit:
                row.revoked_at, row.revoked_why = now, "too_many_tries"
        session.flush()
        left = max(0, limit - max(r.failed_tries for r in rows))
        if left == 0:
            return Redemption(error="code_locked", message="Too many wrong codes: ask the proctor for a new one.",
                              tries_left=0)
        return Redemption(error=refused.error, message=refused.message, tries_left=left)
    match.used_at = now
    issuer = session.get(User, match.issued_by_id)
    _checkin, token = admit(issuer, match.candidate_id, match.reason, now)
    return Redemption(token=token, candidate=match.candidate)


def code_json(row: AdmissionCode, code: str) -> dict[str, Any]:
    return {"code": grouped(code), "candidate_id": row.candidate_id, "expires_at": row.expires_at.isoformat(),
            "ttl_seconds": int((row.expires_at - row.issued_at).total_seconds()),
            "candidate": {"candidate_number": row.candidate.candidate_number, "full_name": row.candidate.full_name}}
