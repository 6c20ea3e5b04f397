"""Exam operations. They flush, never commit: the request or command that calls them does.

The public surface for live delivery: `paper_for(candidate)` (the ordered items of a candidate's
paper, with the pinned versions, points and option orders) and `render_paper(candidate)` (what
the candidate's browser may see: never a key).
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, select

from exam_server.accounts.models import Role, User
from exam_server.bank.models import ItemVersion, VersionStatus
from exam_server.bank.services import version_to_item
from exam_server.core import signals
from exam_server.core.db import session, utcnow
from exam_server.core.errors import ApiError, Conflict, Forbidden, NotFound
from exam_server.core.states import Transitions
from exam_server.exams import adaptive, papers
from exam_server.exams import forms as paper_lib
from exam_server.exams.models import (
    Candidate,
    CandidatePaper,
    DeliveryMode,
    Exam,
    ExamForm,
    ExamFormItem,
    ExamRoom,
    ExamStatus,
    ScoreRounding,
    room_proctors,
)
from exam_server.exams.roster import RosterFileError, RosterReport, parse_roster
from item_bank import types as item_types
from item_bank.assembly import AssemblyError, Blueprint, BlueprintError, assemble
from item_bank.model import SUBJECTS

S = ExamStatus

# The one table of legal moves of an exam.
EXAM_STATES: Transitions[ExamStatus] = Transitions("an exam", {
    "assemble": ({S.DRAFT}, S.ASSEMBLED),
    "reopen": ({S.ASSEMBLED}, S.DRAFT),          # drops forms and papers
    "publish": ({S.ASSEMBLED}, S.PUBLISHED),     # scheduled for candidates
    "unpublish": ({S.PUBLISHED}, S.ASSEMBLED),
    "close": ({S.PUBLISHED}, S.CLOSED),
})
next_status = EXAM_STATES.next_status
MANUAL_ACTIONS = ("reopen", "publish", "unpublish", "close")   # "assemble" has its own service

MAX_FORMS = 24
MAX_DURATION_MINUTES = 600
EDITABLE_FIELDS = ("title", "subject", "grade", "opens_at", "closes_at", "duration_minutes",
                   "score_rounding", "delivery_mode", "results_visible_to_candidates", "blueprint", "adaptive")


def transition(exam: Exam, action: str) -> Exam:
    """Move an exam through its lifecycle: the only place `exam.status` changes."""
    target = next_status(exam.status, action)
    if action == "publish" and exam.closes_at <= datetime.now(UTC):
        raise Conflict("exam_window_over", "The exam's window has already closed; change the dates first.",
                       "closes_at")
    if action == "reopen":
        _drop_forms(exam)
    exam.status = target
    session.flush()
    return exam


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


def _no_progress(done: int, total: int | None = None, message: str | None = None) -> None:
    """The progress callback of work run in a request (a background job passes its own)."""


def import_roster(exam: Exam, data: bytes, filename: str, secret_key: str,
                  progress: Callable[..., None] = _no_progress) -> list[Candidate]:
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


# --- assembly ---------------------------------------------------------------------------------

def assembly_pool(exam: Exam) -> list[ItemVersion]:
    """Approved versions of the exam's subject and grade: what the assembler may choose from."""
    return list(session.scalars(select(ItemVersion).where(
        ItemVersion.subject == exam.subject, ItemVersion.grade == exam.grade,
        ItemVersion.status == VersionStatus.APPROVED).order_by(ItemVersion.id)))


def _number(value: Any, field: str, *, allow_none: bool, low: float, high: float, whole: bool = False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low <= value <= high or (whole and not isinstance(value, int)):
        kind = "a whole number" if whole else "a number"
        raise _bad(field, f"{field} must be {kind} from {low:g} to {high:g}" + (" or null." if allow_none else "."))
    return value


def assemble_exam(exam: Exam, options: dict[str, Any], secret_key: str, *, time_limit: float = 60.0,
                  progress: Callable[..., None] = _no_progress) -> list[ExamForm]:
    """Assemble `forms` parallel forms from the bank, store them, give every candidate a form and a
    shuffled paper, and move the exam to assembled. 422 blueprint_unsatisfiable with the
    assembler's message (naming the short cell) when the bank cannot satisfy the blueprint."""
    unknown = sorted(set(options) - {"forms", "max_overlap", "difficulty_tolerance"})
    if unknown:
        raise _bad(unknown[0], f"Unknown field {unknown[0]!r}.", "unknown_field")
    n_forms = _number(options.get("forms", 1), "forms", allow_none=False, low=1, high=MAX_FORMS, whole=True)
    max_overlap = _number(options.get("max_overlap"), "max_overlap", allow_none=True, low=0, high=10_000)
    if isinstance(max_overlap, float) and max_overlap > 1:
        raise _bad("max_overlap", "A fractional max_overlap must be within 0..1; use a whole number of items.")
    tolerance = _number(options.get("difficulty_tolerance", 0.05), "difficulty_tolerance", allow_none=True,
                        low=0, high=1)
    next_status(exam.status, "assemble")     # refuse early, before the solver runs
    if not exam.blueprint:
        raise Conflict("no_blueprint", "Set the exam's blueprint before assembling.", "blueprint")
    blueprint = Blueprint.from_dict(exam.blueprint)
    versions = {v.id: v for v in assembly_pool(exam)}
    irt, section = {}, []
    if exam.adaptive:     # the whole exam adaptive, or the fixed part assembled as usual + the section's pool
        _rows, fixed_part = adaptive.section_rows(exam, blueprint)
        if fixed_part is None:
            return _assemble_adaptive(exam, list(versions.values()), secret_key, progress)
        blueprint, section = fixed_part, _adaptive_pool(exam, list(versions.values()))
    if blueprint.information_target:
        # imported here: analysis reads results, which read exams (no import cycle at load time)
        from exam_server.analysis.services import calibrated_parameters

        irt = calibrated_parameters(list(versions))
    pool = [paper_lib.pool_item(v, irt.get(v.id)) for v in versions.values()]
    progress(0, None, "assembly_solving")
    try:
        result = assemble(blueprint, pool, n_forms, max_overlap=max_overlap,
                          difficulty_tolerance=tolerance, seed=exam.id, time_limit=time_limit)
    except AssemblyError as exc:
        if exc.code == "invalid_request":
            raise _bad("forms", exc.message, "invalid_assembly_request") from None
        raise ApiError("blueprint_unsatisfiable", exc.message, 422, "blueprint", reason=exc.code,
                       details=_jsonable(exc.details)) from None
    _drop_forms(exam)
    stored = []
    for form in result.forms:
        row = ExamForm(exam_id=exam.id, code=form.code, index=form.index)
        session.add(row)
        session.flush()
        for position, (version_id, points) in enumerate([*form.items, *section]):
            session.add(ExamFormItem(form_id=row.id, position=position, item_version_id=int(version_id),
                                     points=float(points)))
        stored.append(row)
    session.flush()
    transition(exam, "assemble")
    assign_papers(exam, secret_key, progress)
    return stored


def _assemble_adaptive(exam: Exam, versions: list[ItemVersion], secret_key: str,
                       progress: Callable[..., None]) -> list[ExamForm]:
    """An adaptive exam's one form: its pool (exams/adaptive.py)."""
    chosen = _adaptive_pool(exam, versions)
    _drop_forms(exam)
    row = ExamForm(exam_id=exam.id, code="101", index=0)
    session.add(row)
    session.flush()
    session.add_all(ExamFormItem(form_id=row.id, position=position, item_version_id=version_id, points=points)
                    for position, (version_id, points) in enumerate(chosen))
    session.flush()
    transition(exam, "assemble")
    assign_papers(exam, secret_key, progress)
    return [row]


def _adaptive_pool(exam: Exam, versions: list[ItemVersion]) -> list[tuple[int, float]]:
    """The adaptive section's pool, (version id, points) each, snapshotted on the exam."""
    from exam_server.analysis.services import calibrated_parameters

    return adaptive.pool_items(exam, versions, calibrated_parameters([v.id for v in versions]))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value.value if hasattr(value, "value") else value
    return str(value)


def _drop_forms(exam: Exam) -> None:
    form_ids = select(ExamForm.id).where(ExamForm.exam_id == exam.id)
    session.execute(delete(CandidatePaper).where(CandidatePaper.form_id.in_(form_ids)))
    session.execute(delete(ExamFormItem).where(ExamFormItem.form_id.in_(form_ids)))
    session.execute(delete(ExamForm).where(ExamForm.exam_id == exam.id))
    session.flush()
    session.expire(exam, ["forms"])


def list_forms(exam: Exam) -> list[ExamForm]:
    return list(session.scalars(select(ExamForm).where(ExamForm.exam_id == exam.id).order_by(ExamForm.index)))


def _entries(form: ExamForm) -> list[paper_lib.PaperEntry]:
    return [paper_lib.PaperEntry(fi.item_version_id, fi.item_version.item_type, fi.item_version.body)
            for fi in form.items]


def assign_papers(exam: Exam, secret_key: str, progress: Callable[..., None] = _no_progress) -> int:
    """Give each candidate without a paper a form (round-robin by candidate number: the n-th
    candidate in number order sits form n mod forms) and a paper shuffled from its seed.
    Returns how many papers were made."""
    forms = list_forms(exam)
    if not forms:
        return 0
    have = set(session.scalars(select(CandidatePaper.candidate_id).join(Candidate)
                               .where(Candidate.exam_id == exam.id)))
    entries = {form.id: _entries(form) for form in forms}
    made = 0
    candidates = list_candidates(exam)
    progress(0, len(candidates), "papers")
    for n, candidate in enumerate(candidates):
        if n % 500 == 0:
            progress(n)
        if candidate.id in have:
            continue
        form = forms[n % len(forms)]
        seed = paper_lib.seed_for(exam.id, candidate.id, secret_key)
        paper = paper_lib.make_paper(entries[form.id], seed)
        state = step = None
        if exam.adaptive:     # the fixed questions (if any), then the section's first question
            paper.item_order[:], state = adaptive.first_paper(exam.id, papers.form_data(form.id), seed,
                                                              paper.item_order)
            step = 0
        session.add(CandidatePaper(candidate_id=candidate.id, form_id=form.id, seed=seed,
                                   item_order=paper.item_order, option_orders=paper.option_orders,
                                   adaptive=state, adaptive_step=step))
        made += 1
    session.flush()
    progress(len(candidates))
    return made


# --- papers -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PaperItem:
    """One question of a candidate's paper. `number` is 1-based in the candidate's order;
    `option_order` maps a body list ("options", "sources", "targets", "choices") to its ids in
    the order shown."""

    number: int
    form_position: int
    item_version: ItemVersion
    points: float
    option_order: dict[str, list[str]]


def get_paper(candidate: Candidate) -> CandidatePaper:
    paper = session.scalar(select(CandidatePaper).where(CandidatePaper.candidate_id == candidate.id))
    if paper is None:
        raise NotFound(f"Candidate {candidate.candidate_number} has no paper yet: assemble the exam first.",
                       "candidate_id")
    return paper


def paper_for(candidate: Candidate) -> list[PaperItem]:
    """The candidate's paper in the order they see it, from the recorded orders: pinned item
    versions (with keys: for scoring, never for the browser), points, option orders."""
    paper = get_paper(candidate)
    items = paper.form.items
    return [PaperItem(number=n, form_position=position, item_version=items[position].item_version,
                      points=items[position].points,
                      option_order=paper.option_orders.get(str(items[position].item_version_id), {}))
            for n, position in enumerate(paper.item_order, start=1)]


def render_paper(candidate: Candidate) -> dict[str, Any]:
    """What the candidate's browser may see: student views in paper order, options reordered.
    Never a key, an item identifier or a version id."""
    paper = get_paper(candidate)
    exam = paper.form.exam
    questions = []
    for entry in paper_for(candidate):
        view = item_types.student_view(version_to_item(entry.item_version))
        questions.append({"number": entry.number, "points": entry.points,
                          **paper_lib.reorder_view(view, entry.option_order)})
    return {"exam": {"id": exam.id, "title": exam.title, "subject": exam.subject, "grade": exam.grade,
                     "duration_minutes": exam.duration_minutes, "delivery_mode": exam.delivery_mode.value},
            "form_code": paper.form.code, "candidate_number": candidate.candidate_number,
            "total_points": math.fsum(q["points"] for q in questions), "questions": questions}


def reproduce_paper(candidate: Candidate, secret_key: str) -> dict[str, Any]:
    """The paper recomputed from its recorded seed, compared with what was recorded (complaints)."""
    paper = get_paper(candidate)
    again = paper_lib.make_paper(_entries(paper.form), paper.seed)
    if paper.adaptive is not None:      # the questions given: the CAT replayed on the recorded answers
        again.item_order[:] = adaptive.replay(papers.paper(candidate.id), again.item_order)["item_order"]
    expected_seed = paper_lib.seed_for(candidate.exam_id, candidate.id, secret_key)
    return {"seed": paper.seed, "seed_matches_key": paper.seed == expected_seed,
            "item_order": again.item_order, "option_orders": again.option_orders,
            "matches_record": again.item_order == paper.item_order and again.option_orders == paper.option_orders}
