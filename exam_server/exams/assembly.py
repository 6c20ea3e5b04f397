"""Assembling an exam: its forms from the bank (item_bank.assembly, or an adaptive pool:
exams/adaptive.py), and every candidate's paper shuffled from a recorded seed. Operations flush,
never commit: the request or job that calls them does."""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from exam_server.bank.models import ItemVersion, VersionStatus
from exam_server.core.db import session
from exam_server.core.errors import ApiError, Conflict
from exam_server.exams import adaptive, papers
from exam_server.exams import forms as paper_lib
from exam_server.exams.lifecycle import drop_forms, next_status, no_progress, transition
from exam_server.exams.models import Candidate, CandidatePaper, Exam, ExamForm, ExamFormItem
from item_bank.assembly import AssemblyError, Blueprint, assemble

MAX_FORMS = 24


def _bad(field: str, message: str, code: str = "bad_value") -> ApiError:
    return ApiError(code, message, 422, field)


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
                  progress: Callable[..., None] = no_progress) -> list[ExamForm]:
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
    drop_forms(exam)
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
    drop_forms(exam)
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


def list_forms(exam: Exam) -> list[ExamForm]:
    return list(session.scalars(select(ExamForm).where(ExamForm.exam_id == exam.id).order_by(ExamForm.index)))


def form_entries(form: ExamForm) -> list[paper_lib.PaperEntry]:
    return [paper_lib.PaperEntry(fi.item_version_id, fi.item_version.item_type, fi.item_version.body)
            for fi in form.items]


def assign_papers(exam: Exam, secret_key: str, progress: Callable[..., None] = no_progress) -> int:
    """Give each candidate without a paper a form (round-robin by candidate number: the n-th
    candidate in number order sits form n mod forms) and a paper shuffled from its seed.
    Returns how many papers were made."""
    forms = list_forms(exam)
    if not forms:
        return 0
    have = set(session.scalars(select(CandidatePaper.candidate_id).join(Candidate)
                               .where(Candidate.exam_id == exam.id)))
    entries = {form.id: form_entries(form) for form in forms}
    made = 0
    candidates = list(session.scalars(select(Candidate).where(Candidate.exam_id == exam.id)
                                      .order_by(Candidate.candidate_number)))
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
