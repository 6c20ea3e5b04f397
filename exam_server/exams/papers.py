"""Candidates' papers for live delivery and scoring, loaded once and kept.

A paper never changes once assembled: a form pins item versions (immutable rows) and a candidate's
paper records its orders. So a form (its versions, points, and each version's student view
without the key) is read once per process with one eager query and kept in an LRU by form id,
and a candidate's paper is that form plus the candidate's recorded orders (one small row). Forms
re-assembled in a draft exam get new ids: nothing cached can go stale.

`paper(candidate_id)` / `papers(candidate_ids)` are what the live exam uses on its hot paths
(answer checks, the paper sent at start, scoring at submit and deadline): a fixed number of
statements whatever the paper's length, none when the form is cached.

Papers of one form differ only in their question and option orders, and a question has few
placings (its number and its choices' order). So a form question keeps each placing: the paper's
question and its rendering, made once and shared, read-only, by every paper that places it so. A
room's 2,000 papers share a few hundred of each instead of holding 44,000 of each: the room's
start renders in a tenth of the time and leaves the collector little to walk (issue 9; the
payload is the same, tests/server/test_paper_render_shared.py).
"""
from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from flask import current_app
from sqlalchemy import String, cast, select
from sqlalchemy.orm import selectinload

from exam_server.bank.models import ItemVersion
from exam_server.bank.services import version_to_item
from exam_server.core.db import among, session
from exam_server.core.errors import NotFound
from exam_server.exams import forms as paper_lib
from exam_server.exams.models import Candidate, CandidatePaper, Exam, ExamForm, ExamFormItem
from item_bank import types as item_types
from item_bank.model import ItemContent

FORM_CACHE_SIZE = 512
# Placings kept per form question (beyond: made, not kept). A question of a 2025 paper has at most
# its part's size times its orders (12 x 24); each kept placing is about 1 KB, kept with the form.
PLACINGS_KEPT = 1024
NO_ORDER: dict[str, list[str]] = {}      # a question without choice lists (shared: never mutated)


@dataclass(frozen=True)
class FormQuestion:
    """One item of a form: the pinned version's content WITH its key (for checks and scoring, never
    for a browser) and its student view without the key."""

    position: int
    item_version_id: int
    item_type: str
    content: ItemContent
    points: float
    view: dict[str, Any]
    # (number, option orders) -> the PaperQuestion, with its rendering: shared by every paper that
    # places the question so; read-only.
    placings: dict[tuple, PaperQuestion] = field(default_factory=dict, compare=False, repr=False)

    @property
    def order_key(self) -> str:
        """Its option orders' key in a paper's recorded `option_orders`."""
        return str(self.item_version_id)

    def placed(self, number: int, option_order: dict[str, list[str]]) -> PaperQuestion:
        """This question at this number with these option orders (one shared object per placing)."""
        key = (number, *[(name, *ids) for name, ids in option_order.items()])
        found = self.placings.get(key)
        if found is None:
            found = PaperQuestion(number, self, option_order, self._render(number, option_order))
            if len(self.placings) < PLACINGS_KEPT:
                found = self.placings.setdefault(key, found)
        return found

    def _render(self, number: int, option_order: dict[str, list[str]]) -> dict[str, Any]:
        return {"number": number, "points": self.points, **paper_lib.reorder_view(self.view, option_order)}


@dataclass(frozen=True)
class FormData:
    form_id: int
    code: str
    exam: dict[str, Any]
    questions: tuple[FormQuestion, ...]


@dataclass(frozen=True)
class PaperQuestion:
    number: int                          # 1-based, in the candidate's order
    question: FormQuestion
    option_order: dict[str, list[str]]   # body list -> choice ids in the order shown
    # What the paper shows of it: {"number", "points", **student view with its choice lists
    # reordered}; made when not given. Shared: read-only.
    shown: dict[str, Any] = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        if self.shown is None:
            object.__setattr__(self, "shown", self.question._render(self.number, self.option_order))


@dataclass(frozen=True)
class Paper:
    candidate_id: int
    candidate_number: str
    form: FormData
    questions: tuple[PaperQuestion, ...]
    # Adaptive papers (exams/adaptive.py): the CAT state, and every pool item's option order
    # (the questions given so far are `questions`; the next one is chosen after each answer).
    adaptive: dict[str, Any] | None = None
    option_orders: dict[str, Any] | None = None

    def question(self, number: int) -> PaperQuestion | None:
        return self.questions[number - 1] if 1 <= number <= len(self.questions) else None

    def render(self) -> dict[str, Any]:
        """What the candidate's browser may see: student views in paper order, options reordered.
        Never a key, an item identifier or a version id."""
        shown = [q.shown for q in self.questions]
        rendered = {"exam": self.form.exam, "form_code": self.form.code, "candidate_number": self.candidate_number,
                    "total_points": math.fsum(q["points"] for q in shown), "questions": shown}
        if self.adaptive is not None:     # the open question is the last one, unless done
            rendered["adaptive"] = {"done": bool(self.adaptive.get("done")), "fixed": int(self.adaptive.get("fixed") or 0)}
        return rendered


class _FormCache:
    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, form_id: int) -> FormData | None:
        with self.lock:
            found = self.items.get(form_id)
            if found is not None:
                self.items.move_to_end(form_id)
            return found

    def clear(self) -> None:
        with self.lock:
            self.items.clear()

    def put(self, form: FormData) -> None:
        with self.lock:
            self.items[form.form_id] = form
            while len(self.items) > self.size:
                self.items.popitem(last=False)


def _cache() -> _FormCache:
    """One cache per application (so per database): a test's fresh database reuses form ids."""
    return current_app.extensions.setdefault("exam_papers", _FormCache(FORM_CACHE_SIZE))


def _load_forms(form_ids: set[int]) -> None:
    _forms = _cache()
    missing = [fid for fid in form_ids if _forms.get(fid) is None]
    if not missing:
        return
    rows = session.scalars(select(ExamForm).where(ExamForm.id.in_(missing))
                           .options(selectinload(ExamForm.items).selectinload(ExamFormItem.item_version)
                                    .selectinload(ItemVersion.item),
                                    selectinload(ExamForm.exam))).all()
    for form in rows:
        exam: Exam = form.exam
        questions = []
        for item in form.items:
            content = version_to_item(item.item_version)
            questions.append(FormQuestion(position=item.position, item_version_id=item.item_version_id,
                                          item_type=item.item_version.item_type, content=content.content,
                                          points=item.points, view=item_types.student_view(content)))
        _forms.put(FormData(form_id=form.id, code=form.code, questions=tuple(questions), exam={
            "id": exam.id, "title": exam.title, "subject": exam.subject, "grade": exam.grade,
            "duration_minutes": exam.duration_minutes, "delivery_mode": exam.delivery_mode.value}))


def form_data(form_id: int) -> FormData:
    """One form as delivered (kept like every form)."""
    _load_forms({form_id})
    return _cache().get(form_id)


def papers(candidate_ids: Iterable[int]) -> dict[int, Paper]:
    """The papers of these candidates (those that have one), in two statements at most."""
    ids = list(set(candidate_ids))
    if not ids:
        return {}
    # The option orders as text, parsed row by row: a room's 2,000 parsed at once outlived the
    # collector's young generations for nothing (the papers keep the shared placings, not them).
    rows = session.execute(select(CandidatePaper.candidate_id, CandidatePaper.form_id, CandidatePaper.item_order,
                                  cast(CandidatePaper.option_orders, String).label("option_orders"),
                                  Candidate.candidate_number, CandidatePaper.adaptive)
                           .join(Candidate, Candidate.id == CandidatePaper.candidate_id)
                           .where(among(CandidatePaper.candidate_id, ids))).all()
    _load_forms({row.form_id for row in rows})
    _forms = _cache()
    found = {}
    for row in rows:
        form = _forms.get(row.form_id)
        if form is None:      # evicted between the load and here: load it alone
            _load_forms({row.form_id})
            form = _forms.get(row.form_id)
        orders, in_form = _json(row.option_orders), form.questions
        questions = tuple(in_form[position].placed(number, orders.get(in_form[position].order_key, NO_ORDER))
                          for number, position in enumerate(row.item_order, start=1))
        adaptive = row.adaptive
        found[row.candidate_id] = Paper(row.candidate_id, row.candidate_number, form, questions, adaptive,
                                        orders if adaptive is not None else None)
    return found


def _json(value: Any) -> Any:
    if not isinstance(value, str | bytes):      # a driver that decoded it already
        return value
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:               # beyond orjson (integers past 64 bits)
        return json.loads(value)


def paper(candidate_id: int) -> Paper:
    found = papers([candidate_id]).get(candidate_id)
    if found is None:
        raise NotFound("This candidate has no paper yet: assemble the exam first.", "candidate_id")
    return found


def question_counts(candidate_ids: Iterable[int]) -> dict[int, int]:
    """How many questions each candidate's paper has (0 without a paper)."""
    ids = list(set(candidate_ids))
    counts = dict.fromkeys(ids, 0)
    if ids:
        for candidate_id, order in session.execute(select(CandidatePaper.candidate_id, CandidatePaper.item_order)
                                                   .where(among(CandidatePaper.candidate_id, ids))):
            counts[candidate_id] = len(order)
    return counts
