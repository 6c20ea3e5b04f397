"""Exam operations. They flush, never commit: the request or command that calls them does.

This module holds exams, rooms, proctors and the roster; the lifecycle (lifecycle.py), assembly
and papers (assembly.py) and the recorded papers' views (paper_views.py) live beside it and are
re-exported here, so callers keep using `services.<name>`. The public surface for live delivery:
`paper_for(candidate)` (the ordered items of a candidate's paper, with the pinned versions,
points and option orders) and `render_paper(candidate)` (what the candidate's browser may see:
never a key).
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from exam_server.accounts.models import Role, User
from exam_server.core import signals
from exam_server.core.db import session, utcnow
from exam_server.core.errors import ApiError, Conflict, Forbidden, NotFound
from exam_server.exams import adaptive
from exam_server.exams.assembly import (  # noqa: F401 - re-exported: callers use services.<name>
    MAX_FORMS,
    assemble_exam,
    assembly_pool,
    assign_papers,
    form_entries,
    list_forms,
)
from exam_server.exams.lifecycle import (  # noqa: F401 - re-exported
    EXAM_STATES,
    MANUAL_ACTIONS,
    drop_forms,
    next_status,
    no_progress,
    transition,
)
from exam_server.exams.models import (
    Candidate,
    DeliveryMode,
    Exam,
    ExamRoom,
    ExamStatus,
    ScoreRounding,
    room_proctors,
)
from exam_server.exams.paper_views import (  # noqa: F401 - re-exported
    PaperItem,
    get_paper,
    paper_for,
    render_paper,
    reproduce_paper,
)
from exam_server.exams.roster import RosterFileError, RosterReport, parse_roster
from item_bank.assembly import Blueprint, BlueprintError
from item_bank.model import SUBJECTS

S = ExamStatus

MAX_DURATION_MINUTES = 600
EDITABLE_FIELDS = ("title", "subject", "grade", "opens_at", "closes_at", "duration_minutes",
                   "score_rounding", "delivery_mode", "results_visible_to_candidates", "blueprint", "adaptive")


# --- validation helpers -----------------------------------------------------------------------

def _bad(field: str, message: str, code: str = "bad_value") -> ApiError:
    return ApiError(code, message, 422, field)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(field, f"{field} must be a non-empty text.")
    if _CONTROL.search(value):
        raise _bad(field, f"{field} contains control characters.")
    value = " ".join(value.split())
    if len(value) > limit:
        raise _bad(field, f"{field} is longer than {limit} characters.")
    return value


def _int(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(field, f"{field} must be a whole number from {low} to {high}.")
    return value


def _when(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise _bad(field, f"{field} must be an ISO 8601 date and time with its zone, e.g. "
                          "2026-06-11T07:30:00+07:00.")
    try:
        when = datetime.fromisoformat(value)
        if when.tzinfo is None:
            raise _bad(field, f"{field} must say its time zone (e.g. +07:00 or Z).")
        when = when.astimezone(UTC)
    except (ValueError, OverflowError):
        raise _bad(field, f"{field} is not an ISO 8601 date and time: {value[:40]!r}.") from None
    if not 2000 <= when.year <= 2200:
        raise _bad(field, f"{field} must be a date between the years 2000 and 2200.")
    return when


def _choice(value: Any, field: str, enum_cls) -> Any:
    try:
        return enum_cls(value)
    except ValueError:
        options = ", ".join(m.value for m in enum_cls)
        raise _bad(field, f"{field} must be one of {options}.") from None


def validate_blueprint(data: Any) -> dict[str, Any]:
    """The blueprint as stored (normalised dict); 422 naming the bad row and field."""
    try:
        return Blueprint.from_dict(data).to_dict()
    except BlueprintError as exc:
        field = "blueprint" if exc.field is None else (
            f"blueprint.rows.{exc.row}.{exc.field}" if exc.row is not None else f"blueprint.{exc.field}")
        raise ApiError(exc.code, exc.message, 422, field, row=exc.row) from None


def _apply(exam: Exam, data: dict[str, Any], *, creating: bool) -> None:
    unknown = sorted(set(data) - set(EDITABLE_FIELDS))
    if unknown:
        raise _bad(unknown[0], f"Unknown field {unknown[0]!r}.", "unknown_field")
    if creating:
        for name in ("title", "subject", "grade", "opens_at", "closes_at", "duration_minutes"):
            if name not in data:
                raise _bad(name, f"{name} is required.", "missing_field")
    if "title" in data:
        exam.title = _text(data["title"], "title", 300)
    if "subject" in data:
        if data["subject"] not in SUBJECTS:
            raise _bad("subject", f"subject must be one of {', '.join(SUBJECTS)}.")
        exam.subject = data["subject"]
    if "grade" in data:
        exam.grade = _int(data["grade"], "grade", 1, 12)
    if "opens_at" in data:
        exam.opens_at = _when(data["opens_at"], "opens_at")
    if "closes_at" in data:
        exam.closes_at = _when(data["closes_at"], "closes_at")
    if "duration_minutes" in data:
        exam.duration_minutes = _int(data["duration_minutes"], "duration_minutes", 1, MAX_DURATION_MINUTES)
    if "score_rounding" in data:
        exam.score_rounding = _choice(data["score_rounding"], "score_rounding", ScoreRounding)
    if "delivery_mode" in data:
        exam.delivery_mode = _choice(data["delivery_mode"], "delivery_mode", DeliveryMode)
    if "results_visible_to_candidates" in data:
        if not isinstance(data["results_visible_to_candidates"], bool):
            raise _bad("results_visible_to_candidates", "results_visible_to_candidates must be true or false.")
        exam.results_visible_to_candidates = data["results_visible_to_candidates"]
    if "blueprint" in data:
        exam.blueprint = None if data["blueprint"] is None else validate_blueprint(data["blueprint"])
    if "adaptive" in data:
        exam.adaptive = adaptive.validate_rules(data["adaptive"])
    if exam.adaptive and exam.blueprint and {"adaptive", "blueprint"} & set(data):
        adaptive.section_rows(exam, Blueprint.from_dict(exam.blueprint))    # the section fits (again at assembly)
    if exam.closes_at <= exam.opens_at:
        raise _bad("closes_at", "The exam must close after it opens.")
    window = (exam.closes_at - exam.opens_at).total_seconds() / 60
    if exam.duration_minutes > window:
        raise _bad("duration_minutes", f"The duration ({exam.duration_minutes} minutes) is longer than the "
                                       f"window between opening and closing ({math.floor(window)} minutes).")


def _require_draft(exam: Exam, what: str) -> None:
    if exam.status != S.DRAFT:
        raise Conflict("exam_not_draft", f"Cannot {what}: the exam is {exam.status.value} (only a draft "
                       "can be changed; reopen it first).", "status")


# --- exams ------------------------------------------------------------------------------------

def create_exam(data: dict[str, Any], actor: User) -> Exam:
    # The 2025 graduation-exam format keeps the exact sum (two decimals): a quarter rounding would
    # record a 7.10 mathematics paper as 7.00. Rounding to a quarter stays an explicit setting.
    exam = Exam(status=S.DRAFT, created_by_id=actor.id, score_rounding=ScoreRounding.HUNDREDTH,
                delivery_mode=DeliveryMode.ONE_PER_PAGE, results_visible_to_candidates=False)
    _apply(exam, data, creating=True)
    session.add(exam)
    session.flush()
    return exam


def update_exam(exam: Exam, data: dict[str, Any]) -> Exam:
    _require_draft(exam, "edit the exam")
    _apply(exam, data, creating=False)
    session.flush()
    return exam


def candidates_by_identity(candidate_number: str, citizen_id: str, date_of_birth: date) -> list[Candidate]:
    """Roster entries whose candidate number, citizen ID and date of birth all match (a result
    look-up without an account: all three, so a candidate number alone reveals nothing)."""
    return list(session.scalars(select(Candidate).where(
        Candidate.candidate_number == candidate_number, Candidate.citizen_id == citizen_id,
        Candidate.date_of_birth == date_of_birth).order_by(Candidate.id)))


def release_results(exam: Exam, visible: Any, actor_id: int | None = None, now: datetime | None = None) -> Exam:
    """Show (or hide again) the exam's results to its candidates: allowed in any state, since
    results are released after the exam, when the exam itself can no longer be edited."""
    if not isinstance(visible, bool):
        raise _bad("visible", "visible must be true or false.")
    exam.results_visible_to_candidates = visible
    session.flush()
    signals.results_released.send(exam.id, visible=visible, actor_id=actor_id, at=now or utcnow())
    return exam


def set_blueprint(exam: Exam, data: Any) -> Exam:
    _require_draft(exam, "change the blueprint")
    exam.blueprint = validate_blueprint(data)
    session.flush()
    return exam


def get_exam(exam_id: int) -> Exam:
    exam = session.get(Exam, exam_id)
    if exam is None:
        raise NotFound(f"No exam {exam_id}.", "exam_id")
    return exam


def proctors_exam(user: User, exam: Exam) -> bool:
    return session.scalar(select(ExamRoom.id).join(room_proctors, room_proctors.c.room_id == ExamRoom.id)
                          .where(ExamRoom.exam_id == exam.id, room_proctors.c.user_id == user.id)
                          .limit(1)) is not None


def readable_exam(exam_id: int, user: User) -> Exam:
    """The exam if this user may read it: admins and teachers all, proctors those they proctor."""
    exam = get_exam(exam_id)
    if user.role == Role.PROCTOR and not proctors_exam(user, exam):
        raise Forbidden("You do not proctor a room of this exam.", code="not_your_exam")
    return exam


def list_exams(user: User) -> list[Exam]:
    query = select(Exam).order_by(Exam.opens_at.desc(), Exam.id.desc())
    if user.role == Role.PROCTOR:
        mine = (select(ExamRoom.exam_id).join(room_proctors, room_proctors.c.room_id == ExamRoom.id)
                .where(room_proctors.c.user_id == user.id))
        query = query.where(Exam.id.in_(mine))
    return list(session.scalars(query))


# --- rooms and proctors -----------------------------------------------------------------------

def _proctor_users(ids: Any) -> list[User]:
    if not isinstance(ids, list) or any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
        raise _bad("proctor_ids", "proctor_ids must be a list of user ids.")
    users = []
    for user_id in dict.fromkeys(ids):
        user = session.get(User, user_id)
        if user is None or user.role != Role.PROCTOR or not user.is_active:
            raise _bad("proctor_ids", f"User {user_id} is not an active proctor.", "not_a_proctor")
        users.append(user)
    return users


def add_room(exam: Exam, data: dict[str, Any]) -> ExamRoom:
    if exam.status == S.CLOSED:
        raise Conflict("exam_closed", "The exam is closed.", "status")
    unknown = sorted(set(data) - {"name", "kiosk_count", "proctor_ids"})
    if unknown:
        raise _bad(unknown[0], f"Unknown field {unknown[0]!r}.", "unknown_field")
    name = _text(data.get("name"), "name", 100)
    kiosks = _int(data.get("kiosk_count", 0), "kiosk_count", 0, 500)
    proctors = _proctor_users(data.get("proctor_ids", []))
    if session.scalar(select(ExamRoom.id).where(ExamRoom.exam_id == exam.id, ExamRoom.name == name)):
        raise Conflict("room_exists", f"The exam already has a room {name!r}.", "name")
    room = ExamRoom(exam_id=exam.id, name=name, kiosk_count=kiosks, proctors=proctors)
    session.add(room)
    session.flush()
    return room


def get_room(exam: Exam, room_id: int) -> ExamRoom:
    room = session.get(ExamRoom, room_id)
    if room is None or room.exam_id != exam.id:
        raise NotFound(f"Exam {exam.id} has no room {room_id}.", "room_id")
    return room


def assign_proctors(room: ExamRoom, proctor_ids: Any) -> ExamRoom:
    """Replace the room's proctors."""
    if room.exam.status == S.CLOSED:
        raise Conflict("exam_closed", "The exam is closed.", "status")
    room.proctors = _proctor_users(proctor_ids)
    session.flush()
    return room


def list_rooms(exam: Exam) -> list[ExamRoom]:
    return list(session.scalars(select(ExamRoom).where(ExamRoom.exam_id == exam.id).order_by(ExamRoom.id)))


# --- roster -----------------------------------------------------------------------------------

class RosterInvalid(ApiError):
    def __init__(self, errors: list[dict[str, Any]]):
        errors = sorted(errors, key=lambda e: (e["row"] or 0, e["field"] or ""))
        super().__init__("roster_invalid", f"The roster has {len(errors)} problem(s); nothing was imported.",
                         422, None, errors=errors)


def import_roster(exam: Exam, data: bytes, filename: str, secret_key: str,
                  progress: Callable[..., None] = no_progress) -> list[Candidate]:
    """Add every candidate of the file, or none: any problem raises RosterInvalid with the
    per-row errors (row, field, reason). Candidates already on the exam's roster are checked too
    (a candidate number or citizen ID cannot repeat). Rooms named in the file must exist. On an
    assembled exam the new candidates get their papers at once."""
    if exam.status not in (S.DRAFT, S.ASSEMBLED):
        raise Conflict("exam_not_editable", f"The exam is {exam.status.value}: its roster is fixed.", "status")
    try:
        report = parse_roster(data, filename)
    except RosterFileError as exc:
        raise ApiError(exc.code, exc.message, 422, "file") from None
    _check_against_exam(exam, report)
    if report.errors:
        raise RosterInvalid(report.errors)
    rooms = {room.name: room for room in list_rooms(exam)}
    added = []
    progress(0, len(report.rows), "roster_rows")
    for n, row in enumerate(report.rows, 1):
        candidate = Candidate(exam_id=exam.id, room_id=rooms[row.room].id if row.room else None,
                              candidate_number=row.candidate_number, full_name=row.full_name,
                              date_of_birth=row.date_of_birth, citizen_id=row.citizen_id, school=row.school,
                              class_name=row.class_name, extra_time_minutes=row.extra_time_minutes,
                              extra_time_percent=row.extra_time_percent, gender=row.gender)
        session.add(candidate)
        added.append(candidate)
        if n % 500 == 0:
            session.flush()
            progress(n)
    session.flush()
    signals.candidates_added.send(exam.id, candidate_ids=[c.id for c in added])
    progress(len(report.rows))
    if exam.status == S.ASSEMBLED:
        assign_papers(exam, secret_key, progress)
    return added


def _check_against_exam(exam: Exam, report: RosterReport) -> None:
    existing = session.execute(select(Candidate.candidate_number, Candidate.citizen_id)
                               .where(Candidate.exam_id == exam.id)).all()
    numbers = {n for n, _ in existing}
    citizen_ids = {c for _, c in existing}
    rooms = {room.name for room in list_rooms(exam)}
    for row in report.rows:
        if row.candidate_number in numbers:
            report.error(row.row, "candidate_number",
                         f"duplicate candidate number {row.candidate_number}: already on the roster")
        if row.citizen_id in citizen_ids:
            report.error(row.row, "citizen_id", f"duplicate citizen ID {row.citizen_id}: already on the roster")
        if row.room is not None and row.room not in rooms:
            report.error(row.row, "room", f"the exam has no room {row.room!r}; add the room first")


def list_candidates(exam: Exam, user: User | None = None) -> list[Candidate]:
    query = select(Candidate).where(Candidate.exam_id == exam.id).order_by(Candidate.candidate_number)
    if user is not None and user.role == Role.PROCTOR:
        mine = select(room_proctors.c.room_id).where(room_proctors.c.user_id == user.id)
        query = query.where(Candidate.room_id.in_(mine))
    return list(session.scalars(query))


def allowed_minutes(candidate: Candidate) -> int:
    """The candidate's working time: the exam's duration plus their accommodation (minutes, or a
    percentage of the duration rounded up to a whole minute)."""
    exam = session.get(Exam, candidate.exam_id)
    extra = candidate.extra_time_minutes or 0
    if candidate.extra_time_percent:
        extra = math.ceil(exam.duration_minutes * candidate.extra_time_percent / 100)
    return exam.duration_minutes + extra


def get_candidate(exam: Exam, candidate_id: int) -> Candidate:
    candidate = session.get(Candidate, candidate_id)
    if candidate is None or candidate.exam_id != exam.id:
        raise NotFound(f"Exam {exam.id} has no candidate {candidate_id}.", "candidate_id")
    return candidate
