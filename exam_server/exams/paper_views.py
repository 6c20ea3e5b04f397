"""A candidate's paper as recorded: its items in the candidate's order (with keys: for scoring,
never for a browser), what the browser may see, and the complaint check that reproduces it."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from exam_server.bank.models import ItemVersion
from exam_server.bank.services import version_to_item
from exam_server.core.db import session
from exam_server.core.errors import NotFound
from exam_server.exams import adaptive, papers
from exam_server.exams import forms as paper_lib
from exam_server.exams.assembly import form_entries
from exam_server.exams.models import Candidate, CandidatePaper
from item_bank import types as item_types


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
    again = paper_lib.make_paper(form_entries(paper.form), paper.seed)
    if paper.adaptive is not None:      # the questions given: the CAT replayed on the recorded answers
        again.item_order[:] = adaptive.replay(papers.paper(candidate.id), again.item_order)["item_order"]
    expected_seed = paper_lib.seed_for(candidate.exam_id, candidate.id, secret_key)
    return {"seed": paper.seed, "seed_matches_key": paper.seed == expected_seed,
            "item_order": again.item_order, "option_orders": again.option_orders,
            "matches_record": again.item_order == paper.item_order and again.option_orders == paper.option_orders}
