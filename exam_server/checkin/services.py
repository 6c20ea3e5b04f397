"""Check-in services: kiosk enrolment, challenges, the evidence check, manual admission, the room's
check-in list, the photo purge. Services flush; the route (or CLI command) commits once."""
from __future__ import annotations

import base64
import binascii
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from exam_server.accounts.models import User
from exam_server.checkin import evidence as ev
from exam_server.checkin import face as face_mod
from exam_server.checkin.matching import match_candidate
from exam_server.checkin.models import CheckIn, CheckinChallenge, Kiosk, PhotoRecord
from exam_server.checkin.portrait import for_display
from exam_server.core import signals
from exam_server.core.db import session, utcnow
from exam_server.core.errors import ApiError, Conflict, Forbidden, NotFound
from exam_server.exams.models import Candidate, Exam, ExamRoom, ExamStatus

MAX_NAME = 100
MAX_REASON = 2000


# --- kiosks -----------------------------------------------------------------------------------

def _text(value: Any, field: str, limit: int, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ApiError("bad_value", f"{field} must be text.", 400, field)
    value = value.strip()
    if required and not value:
        raise ApiError("missing_field", f"{field} is required.", 400, field)
    if len(value) > limit:
        raise ApiError("too_long", f"{field} is longer than {limit} characters.", 400, field)
    return value


def _id(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ApiError("bad_value", f"{field} must be a positive whole number.", 400, field)
    return value


def enrol_kiosk(exam_id: int, room_id: int, name: str, public_key: str, actor: User | None) -> Kiosk:
    room = session.get(ExamRoom, room_id)
    if room is None or room.exam_id != exam_id:
        raise NotFound(f"Exam {exam_id} has no room {room_id}.", "room_id")
    name = _text(name, "name", MAX_NAME)
    key = ev.parse_public_key(public_key if isinstance(public_key, str) else "")
    if session.scalar(select(Kiosk.id).where(Kiosk.exam_id == exam_id, Kiosk.name == name)):
        raise Conflict("duplicate_kiosk", f"Exam {exam_id} already has a kiosk named {name!r}.", "name")
    kiosk = Kiosk(exam_id=exam_id, room_id=room_id, name=name, public_key=key,
                  enrolled_by_id=actor.id if actor else None, enrolled_at=utcnow())
    session.add(kiosk)
    session.flush()
    return kiosk


def get_kiosk(kiosk_id: int) -> Kiosk:
    kiosk = session.get(Kiosk, kiosk_id)
    if kiosk is None:
        raise NotFound(f"No kiosk {kiosk_id}.", "kiosk")
    return kiosk


def revoke_kiosk(kiosk: Kiosk) -> Kiosk:
    if kiosk.revoked_at is None:
        kiosk.revoked_at = utcnow()
        session.flush()
    return kiosk


def list_kiosks(exam_id: int | None = None) -> list[Kiosk]:
    query = select(Kiosk).order_by(Kiosk.id)
    if exam_id is not None:
        query = query.where(Kiosk.exam_id == exam_id)
    return list(session.scalars(query))


def active_kiosk(raw_id: Any) -> Kiosk:
    """The enrolled, unrevoked kiosk a request names; 403 otherwise (never says which keys exist)."""
    if isinstance(raw_id, bool) or not isinstance(raw_id, int) or raw_id <= 0:
        raise ApiError("bad_value", "kiosk must be the kiosk's id (a positive whole number).", 400, "kiosk")
    kiosk = session.get(Kiosk, raw_id)
    if kiosk is None:
        raise Forbidden("Unknown kiosk: enrol it first (exam-server enrol-kiosk).", code="unknown_kiosk")
    if kiosk.revoked_at is not None:
        raise Forbidden("This kiosk's enrolment was revoked.", code="kiosk_revoked")
    return kiosk


def kiosk_json(kiosk: Kiosk) -> dict[str, Any]:
    return {"id": kiosk.id, "exam_id": kiosk.exam_id, "room_id": kiosk.room_id, "name": kiosk.name,
            "public_key": kiosk.public_key, "enrolled_by_id": kiosk.enrolled_by_id,
            "enrolled_at": kiosk.enrolled_at.isoformat(),
            "revoked_at": kiosk.revoked_at.isoformat() if kiosk.revoked_at else None}


# --- challenges -------------------------------------------------------------------------------

def new_challenge(kiosk: Kiosk, ttl_seconds: int, now: datetime | None = None,
                  open_max: int = 5) -> CheckinChallenge:
    """A fresh challenge for the kiosk. The endpoint is anonymous, so rows stay bounded: every
    expired or used challenge (of any kiosk) is deleted here, and a kiosk holds at most `open_max`
    open ones (the oldest goes; a kiosk checks in one card at a time)."""
    now = now or utcnow()
    session.execute(delete(CheckinChallenge).where(
        (CheckinChallenge.expires_at <= now) | CheckinChallenge.used_at.is_not(None))
        .execution_options(synchronize_session=False))
    open_ids = session.scalars(select(CheckinChallenge.id).where(CheckinChallenge.kiosk_id == kiosk.id)
                               .order_by(CheckinChallenge.id.desc()).offset(open_max - 1)).all()
    if open_ids:
        session.execute(delete(CheckinChallenge).where(CheckinChallenge.id.in_(open_ids))
                        .execution_options(synchronize_session=False))
    row = CheckinChallenge(kiosk_id=kiosk.id, challenge=secrets.token_bytes(8).hex(), created_at=now,
                           expires_at=now + timedelta(seconds=ttl_seconds))
    session.add(row)
    session.flush()
    return row


def consume_challenge(kiosk: Kiosk, value: Any, now: datetime) -> bytes:
    """Mark the kiosk's challenge used (once, atomically) and return its 8 bytes."""
    if not isinstance(value, str) or len(value) != 16:
        raise Forbidden("Unknown challenge: ask for a new one.", code="unknown_challenge")
    row = session.scalar(select(CheckinChallenge).where(CheckinChallenge.challenge == value.lower(),
                                                        CheckinChallenge.kiosk_id == kiosk.id))
    if row is None:
        raise Forbidden("Unknown challenge: ask for a new one.", code="unknown_challenge")
    if row.used_at is not None:
        raise Conflict("challenge_used", "This challenge was used already (replay refused); ask for a new one.",
                       "challenge")
    if row.expires_at <= now:
        raise Conflict("challenge_expired", "This challenge expired; ask for a new one.", "challenge")
    done = session.execute(update(CheckinChallenge)
                           .where(CheckinChallenge.id == row.id, CheckinChallenge.used_at.is_(None))
                           .values(used_at=now).execution_options(synchronize_session=False))
    if done.rowcount != 1:  # a concurrent request took it first
        raise Conflict("challenge_used", "This challenge was used already (replay refused); ask for a new one.",
                       "challenge")
    return bytes.fromhex(row.challenge)


# --- evidence ---------------------------------------------------------------------------------

def _exam_open(exam: Exam, now: datetime) -> bool:
    return exam.status == ExamStatus.PUBLISHED and exam.opens_at <= now <= exam.closes_at


def room_roster(kiosk: Kiosk) -> list[Candidate]:
    return list(session.scalars(select(Candidate).where(Candidate.exam_id == kiosk.exam_id,
                                                        Candidate.room_id == kiosk.room_id)
                                .order_by(Candidate.id)))


def _live_photo(body: dict[str, Any], limit: int) -> bytes | None:
    value = body.get("live_photo")
    if value in (None, ""):
        return None
    try:
        data = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
    except (binascii.Error, ValueError):
        data = b""
    if not data.startswith(b"\xff\xd8\xff"):
        raise ApiError("bad_field", "live_photo must be a JPEG image in base64.", 400, "live_photo")
    if len(data) > limit:
        raise ApiError("field_too_large", f"live_photo is larger than {limit} bytes.", 400, "live_photo")
    return data


def _card_summary(identity: dict[str, Any]) -> dict[str, Any]:
    dob = identity.get("date_of_birth")
    return {"id_number": identity.get("id_number"), "full_name": identity.get("full_name"),
            "date_of_birth": dob.isoformat() if dob else None}


def _photo(checkin: CheckIn, kind: str, data: bytes, mime: str, delete_after: datetime) -> None:
    session.add(PhotoRecord(checkin=checkin, kind=kind, mime_type=mime[:32], size=len(data), data=data,
                            delete_after=delete_after))


def _incident(candidate: Candidate, detail: str, now: datetime, kind: str = "checkin_mismatch"):
    from exam_server.live.models import IncidentKind
    from exam_server.live.proctoring import raise_incident

    return raise_incident(candidate, IncidentKind(kind), detail, now)


def _attempt_over(candidate: Candidate) -> bool:
    """Whether the live exam says this candidate's attempt is over (submitted, closed, terminated)."""
    from exam_server.live.services import attempt_finished

    return attempt_finished(candidate.id)


def check_evidence(body: dict[str, Any], config: dict[str, Any], now: datetime | None = None
                   ) -> tuple[CheckIn, str | None, Any]:
    """Authenticate the kiosk, re-verify the chip, match the roster, record.
    Returns (check-in, session token or None, the proctor's incident or None)."""
    now = now or utcnow()
    kiosk = active_kiosk(body.get("kiosk"))
    if not ev.signature_ok(kiosk.public_key, body):
        raise Forbidden("The request is not signed with this kiosk's key.", code="bad_signature")
    stamp = body.get("timestamp")
    ttl = int(config["CHECKIN_CHALLENGE_TTL_SECONDS"])
    if isinstance(stamp, bool) or not isinstance(stamp, (int, float)) or abs(now.timestamp() - stamp) > ttl:
        raise Forbidden("The request's timestamp is too far from the server's clock.", code="stale_request")
    fields = ev.decode_fields(body)
    live_photo = _live_photo(body, int(config["MAX_IMAGE_BYTES"]))
    challenge = consume_challenge(kiosk, body.get("challenge"), now)

    exam = session.get(Exam, kiosk.exam_id)
    chip = ev.verify_chip(fields, challenge, config["CSCA_TRUST_DIR"], now)
    exam_open = _exam_open(exam, now)
    found = match_candidate(chip.identity, room_roster(kiosk) if exam_open else [])
    reasons = list(chip.reasons)
    if not chip.ok:
        outcome = "chip_failed"
        reasons += found.reasons if found.outcome == "mismatch" else []
    elif not exam_open:
        outcome = "no_candidate"
        reasons.append(f"the exam is not open now (opens {exam.opens_at.isoformat()}, "
                       f"closes {exam.closes_at.isoformat()}, {exam.status.value})")
    else:
        outcome = found.outcome
        reasons += found.reasons
    candidate = found.candidate
    if outcome == "verified" and _attempt_over(candidate):
        # A second check-in after submitting must not hand out a new link: the kiosk says the exam
        # is finished for this candidate and the proctor sees an incident of its own kind.
        outcome = "finished"
        reasons.append("the candidate has already finished this exam")
    face = face_mod.compare(chip.chip_photo, live_photo) if chip.ok else None
    row = CheckIn(exam_id=kiosk.exam_id, room_id=kiosk.room_id, kiosk_id=kiosk.id,
                  candidate_id=candidate.id if candidate else None, method="chip", outcome=outcome,
                  verified=outcome == "verified", reasons=reasons, card=_card_summary(chip.identity),
                  passive_auth=chip.passive_auth, active_auth=chip.active_auth, face=face,
                  face_score=face.get("score") if face else None, at=now)
    session.add(row)
    delete_after = exam.closes_at + timedelta(days=int(config["PHOTO_RETENTION_DAYS"]))
    if chip.chip_photo:
        _photo(row, "chip", *for_display(chip.chip_photo, chip.chip_photo_mime), delete_after)
    if live_photo:
        _photo(row, "live", live_photo, "image/jpeg", delete_after)
    session.flush()
    _announce(row)
    incident = None
    if outcome == "finished":
        incident = _incident(candidate, f"check-in at kiosk {kiosk.name} after the candidate had finished the exam",
                             now, "checkin_after_finish")
    elif candidate is not None and outcome in ("mismatch", "chip_failed"):
        incident = _incident(candidate, f"check-in at kiosk {kiosk.name}: {outcome}: {'; '.join(reasons)}", now)
    elif candidate is not None and face is not None and face.get("match") is False:
        # The face is advice for the proctor, never a refusal: verified, and the proctor is told.
        incident = _incident(candidate, f"check-in at kiosk {kiosk.name}: the live photo does not match the chip "
                                        f"portrait (distance {face.get('distance')}, match below "
                                        f"{face.get('threshold')})", now)
    token = None
    if outcome == "verified":
        from exam_server.live.tokens import issue_session_token

        token = issue_session_token(candidate, None, "chip", f"chip verified at kiosk {kiosk.name}", now=now)
    return row, token, incident


# --- proctors ---------------------------------------------------------------------------------

def admit(actor: User, candidate_id: Any, reason: Any, now: datetime | None = None) -> tuple[CheckIn, str]:
    """Manual admission by the room's proctor or an admin: an unverified check-in, with its reason."""
    from exam_server.live.proctoring import require_candidate
    from exam_server.live.tokens import issue_session_token

    now = now or utcnow()
    candidate, room = require_candidate(actor, _id(candidate_id, "candidate_id"))
    reason = _text(reason, "reason", MAX_REASON)
    token = issue_session_token(candidate, actor, "manual", reason, now=now)
    row = CheckIn(exam_id=candidate.exam_id, room_id=room.id, kiosk_id=None, candidate_id=candidate.id,
                  method="manual", outcome="manual", verified=False,
                  reasons=[f"admitted by {actor.username} without chip verification"], card={},
                  actor_id=actor.id, note=reason, at=now)
    session.add(row)
    session.flush()
    _announce(row)
    return row, token


def _announce(row: CheckIn) -> None:
    """The room's proctors see every check-in (matched or not) after the commit; followers hear of it."""
    from exam_server.live.services import tell_proctors

    if row.room_id is not None:
        tell_proctors("checkin", exam_id=row.exam_id, room_id=row.room_id, candidate_id=row.candidate_id,
                      payload=checkin_json(row), now=row.at)
    signals.checkin_recorded.send(row.exam_id, checkin_id=row.id, room_id=row.room_id, candidate_id=row.candidate_id,
                                  method=row.method, outcome=row.outcome, verified=row.verified,
                                  kiosk_id=row.kiosk_id, actor_id=row.actor_id, at=row.at)


def require_room(actor: User, exam_id: int, room_id: int) -> ExamRoom:
    from exam_server.live.proctoring import require_room as live_require_room

    return live_require_room(actor, exam_id, room_id)


def photo_url(photo: PhotoRecord) -> str | None:
    return None if photo.data is None else f"/api/v1/checkin/photos/{photo.id}"


def _failure(check: dict[str, Any] | None) -> str | None:
    if not check or check.get("ok"):
        return None
    return str(check.get("failure") or "failed")


def roster_differences(row: CheckIn) -> list[dict[str, Any]]:
    """The fields where the chip and the matched roster entry disagree, for the proctor to read in
    their own language ({"field": "full_name" | "date_of_birth" | "id_number", "chip", "roster"});
    compared as matching.py does (names folded)."""
    from exam_server.checkin.matching import name_key

    card, candidate = row.card or {}, row.candidate
    if candidate is None or row.method != "chip" or not card:
        return []
    roster = {"id_number": candidate.citizen_id, "full_name": candidate.full_name,
              "date_of_birth": candidate.date_of_birth.isoformat()}
    same = {"full_name": lambda a, b: name_key(a) == name_key(b)}
    return [{"field": name, "chip": card.get(name), "roster": roster[name]}
            for name in ("id_number", "full_name", "date_of_birth")
            if not same.get(name, lambda a, b: a == b)(card.get(name), roster[name])]


def checkin_json(row: CheckIn) -> dict[str, Any]:
    """One check-in attempt as the proctor sees it: why it is not verified (`reasons`: the chip's
    passive and active authentication failures, the roster fields that differ, a closed exam),
    the face comparison, the photos, and for a manual admission the proctor and the reason."""
    actor = session.get(User, row.actor_id) if row.actor_id else None
    return {"id": row.id, "candidate_id": row.candidate_id, "method": row.method, "outcome": row.outcome,
            "verified": row.verified, "reasons": row.reasons, "card": row.card,
            "differences": roster_differences(row),
            "kiosk": row.kiosk.name if row.kiosk else None, "kiosk_id": row.kiosk_id,
            "passive_auth_ok": (row.passive_auth or {}).get("ok"),
            "active_auth_ok": (row.active_auth or {}).get("ok"),
            "passive_auth_failure": _failure(row.passive_auth),
            "active_auth_failure": _failure(row.active_auth),
            "face": row.face, "face_score": row.face_score, "note": row.note, "actor_id": row.actor_id,
            "actor": {"username": actor.username, "full_name": actor.full_name} if actor else None,
            "at": row.at.isoformat(),
            "photos": [{"id": p.id, "kind": p.kind, "url": photo_url(p), "purged": p.data is None,
                        "delete_after": p.delete_after.isoformat()} for p in row.photos]}


def room_checkins(room: ExamRoom) -> dict[str, Any]:
    """The room's roster, each candidate with the latest check-in attempt (`checkin`) and every
    attempt newest first (`history`), plus the latest attempts that matched no candidate."""
    rows = list(session.scalars(select(CheckIn).where(CheckIn.exam_id == room.exam_id, CheckIn.room_id == room.id)
                                .order_by(CheckIn.at, CheckIn.id)))
    by_candidate: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if row.candidate_id is not None:
            by_candidate.setdefault(row.candidate_id, []).insert(0, checkin_json(row))
    roster = session.scalars(select(Candidate).where(Candidate.exam_id == room.exam_id,
                                                     Candidate.room_id == room.id).order_by(Candidate.candidate_number))
    unmatched = [checkin_json(r) for r in rows if r.candidate_id is None][-20:]
    candidates = []
    for c in roster:
        history = by_candidate.get(c.id, [])
        candidates.append({"candidate_id": c.id, "candidate_number": c.candidate_number, "full_name": c.full_name,
                           "checkin": history[0] if history else None, "history": history})
    return {"exam_id": room.exam_id, "room_id": room.id, "candidates": candidates, "unmatched": unmatched}


def admission(candidate_id: int) -> dict[str, Any]:
    """How the candidate was let in, for the results pages: by a verified chip check-in, or
    manually (unverified) with the proctor's reason and name; method None when never admitted."""
    from exam_server.live.models import SessionToken

    token = session.scalar(select(SessionToken).where(SessionToken.candidate_id == candidate_id)
                           .order_by(SessionToken.id.desc()).limit(1))
    if token is None:
        return {"method": None, "verified": False, "reason": None, "by": None, "at": None}
    actor = session.get(User, token.issued_by_id) if token.issued_by_id else None
    return {"method": token.method, "verified": token.method == "chip",
            "reason": token.reason if token.method == "manual" else None,
            "by": actor.full_name if actor else None, "at": token.issued_at.isoformat()}


def get_photo(actor: User, photo_id: int) -> PhotoRecord:
    from exam_server.live.proctoring import may_proctor

    photo = session.get(PhotoRecord, photo_id)
    if photo is None:
        raise NotFound(f"No photo {photo_id}.", "photo_id")
    room = session.get(ExamRoom, photo.checkin.room_id) if photo.checkin.room_id else None
    if room is None or not may_proctor(actor, room):
        raise Forbidden("You do not proctor this room.", code="not_your_room")
    if photo.data is None:
        raise ApiError("photo_purged", "This photo was deleted after its retention period.", 410)
    return photo


def own_portrait(token: Any) -> PhotoRecord:
    """The chip portrait of the latest chip check-in of the session token's own candidate, for
    the exam page's instructions screen: only ever that candidate's (the token is the credential)."""
    from exam_server.live.tokens import authenticate_token

    candidate = authenticate_token(token)
    photo = session.scalar(select(PhotoRecord).join(CheckIn, CheckIn.id == PhotoRecord.checkin_id)
                           .where(CheckIn.candidate_id == candidate.id, CheckIn.method == "chip",
                                  PhotoRecord.kind == "chip", PhotoRecord.data.is_not(None))
                           .order_by(CheckIn.at.desc(), PhotoRecord.id.desc()).limit(1))
    if photo is None:
        raise NotFound("No chip portrait for this candidate.", "token")
    return photo


# --- privacy ----------------------------------------------------------------------------------

def purge_photos(now: datetime | None = None) -> int:
    """Delete the bytes of every photo past its delete-after date; the check-in rows stay."""
    now = now or datetime.now(UTC)
    done = session.execute(update(PhotoRecord)
                           .where(PhotoRecord.delete_after <= now, PhotoRecord.purged_at.is_(None))
                           .values(data=None, purged_at=now).execution_options(synchronize_session=False))
    session.flush()
    return done.rowcount or 0
