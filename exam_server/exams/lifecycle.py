"""An exam's lifecycle: the one table of legal moves, the one place `exam.status` changes, and
what reopening an exam drops (its forms and papers). Operations flush, never commit."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select

from exam_server.core.db import session
from exam_server.core.errors import Conflict
from exam_server.core.states import Transitions
from exam_server.exams.models import CandidatePaper, Exam, ExamForm, ExamFormItem, ExamStatus

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


def transition(exam: Exam, action: str) -> Exam:
    """Move an exam through its lifecycle: the only place `exam.status` changes."""
    target = next_status(exam.status, action)
    if action == "publish" and exam.closes_at <= datetime.now(UTC):
        raise Conflict("exam_window_over", "The exam's window has already closed; change the dates first.",
                       "closes_at")
    if action == "reopen":
        drop_forms(exam)
    exam.status = target
    session.flush()
    return exam


def drop_forms(exam: Exam) -> None:
    form_ids = select(ExamForm.id).where(ExamForm.exam_id == exam.id)
    session.execute(delete(CandidatePaper).where(CandidatePaper.form_id.in_(form_ids)))
    session.execute(delete(ExamFormItem).where(ExamFormItem.form_id.in_(form_ids)))
    session.execute(delete(ExamForm).where(ExamForm.exam_id == exam.id))
    session.flush()
    session.expire(exam, ["forms"])


def no_progress(done: int, total: int | None = None, message: str | None = None) -> None:
    """The progress callback of work run in a request (a background job passes its own)."""
