"""Read functions for followers (the indicators): an exam's dimensions and its roster's placement
columns, as plain values, in bulk (one statement per call, whatever the roster's size)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select

from exam_server.core.db import session
from exam_server.exams.models import Candidate, Exam


class ExamFacts(NamedTuple):
    exam_id: int
    title: str
    subject: str
    grade: int
    opens_at: datetime


class RosterPlace(NamedTuple):
    candidate_id: int
    exam_id: int
    school: str
    class_name: str


def exam_facts(exam_ids: Iterable[int]) -> dict[int, ExamFacts]:
    ids = list(set(exam_ids))
    if not ids:
        return {}
    rows = session.execute(select(Exam.id, Exam.title, Exam.subject, Exam.grade, Exam.opens_at)
                           .where(Exam.id.in_(ids)))
    return {row[0]: ExamFacts(*row) for row in rows}


def roster_places(*, exam_ids: Iterable[int] | None = None,
                  candidate_ids: Iterable[int] | None = None) -> list[RosterPlace]:
    """The school and class columns of the roster rows of these exams (or these candidates)."""
    query = select(Candidate.id, Candidate.exam_id, Candidate.school, Candidate.class_name).order_by(Candidate.id)
    if exam_ids is not None:
        query = query.where(Candidate.exam_id.in_(list(exam_ids)))
    if candidate_ids is not None:
        query = query.where(Candidate.id.in_(list(candidate_ids)))
    return [RosterPlace(*row) for row in session.execute(query)]


def candidate_genders(exam_id: int) -> dict[int, str | None]:
    """candidate id -> "male" | "female" | None (not recorded) of an exam's roster (analysis' DIF)."""
    return dict(session.execute(select(Candidate.id, Candidate.gender).where(Candidate.exam_id == exam_id)).all())


def all_exam_ids() -> list[int]:
    return list(session.scalars(select(Exam.id).order_by(Exam.id)))
