"""The live step of an adaptive exam (docs/protocol.md, "Adaptive exams"): an answer to the open
question closes it and its acknowledgement carries the next question.

Two statements per answer, whatever the pool's size: the answer event's INSERT ... SELECT (the
same one as any answer, with its checks: running, in time, this connection, token active) and
the paper's guarded UPDATE (exams.adaptive.advance). The CAT itself runs in memory on the pool
kept per process. The new paper replaces the connection's after the commit only, so a refused or
rolled-back answer leaves the connection where the database is.

An exam with an adaptive section (exams' `adaptive.section`): its paper opens with the fixed
questions (`adaptive.fixed` of them), answered like any exam's (autosaved, changed, cleared, one
statement), then the section's questions, given one at a time as above.

Replays: the page resends an answer whose acknowledgement it did not get; if that event is
stored (same client_seq, question and response) it is acknowledged again with the current open
question. Any other answer to a question already answered is refused with `question_closed`.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from exam_server.core.db import after_commit, session
from exam_server.exams import adaptive as cat
from exam_server.exams.papers import Paper, PaperQuestion
from exam_server.live.answers import Holder, save_answer
from exam_server.live.attempts import LiveError
from exam_server.live.connections import Connection
from exam_server.live.models import AnswerEvent


def is_adaptive(conn: Connection) -> bool:
    return conn.paper is not None and conn.paper.adaptive is not None


def question_json(paper: Paper, question: PaperQuestion | None) -> dict[str, Any] | None:
    """The next question as the paper shows it (no key, no identifier)."""
    if question is None:
        return None
    return question.shown


def _open_question(paper: Paper) -> PaperQuestion | None:
    return None if paper.adaptive.get("done") else paper.questions[-1]


def _ack(seq: int, paper: Paper) -> dict[str, Any]:
    done = bool(paper.adaptive.get("done"))
    return {"ok": True, "seq": seq, "next": question_json(paper, _open_question(paper)),
            "adaptive": {"done": done, "given": len(paper.questions)}}


def _closed(number: int) -> LiveError:
    return LiveError("question_closed", f"Question {number} is answered and closed: an adaptive exam "
                     "moves on after each answer.", "question", 409)


def answer(conn: Connection, holder: Holder, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """An adaptive answer: store it, step the CAT, record the step; the ack has the next question."""
    paper: Paper = conn.paper
    number, response, client_seq = body["question"], body["response"], body["client_seq"]
    if isinstance(number, int) and not isinstance(number, bool) and 1 <= number <= cat.fixed_count(paper):
        # a fixed question before an adaptive section: an answer like any other (autosaved, changeable)
        return {"ok": True, "seq": save_answer(holder, paper, number, response, client_seq, now)}
    open_question = _open_question(paper)
    if isinstance(number, int) and not isinstance(number, bool) and (
            open_question is None or number < open_question.number) and 1 <= number <= len(paper.questions):
        stored = session.execute(select(AnswerEvent.question_number, AnswerEvent.kind, AnswerEvent.response)
                                 .where(AnswerEvent.attempt_id == holder.attempt_id,
                                        AnswerEvent.client_seq == client_seq)).first()
        if stored is not None and tuple(stored) == (number, "answer", response):
            return _ack(client_seq, paper)     # a replay of the answer that closed it
        raise _closed(number)
    if response is None:
        raise LiveError("invalid_response", "An adaptive question needs an answer: it cannot be cleared.",
                        "response", 422)
    seq = save_answer(holder, paper, number, response, client_seq, now)            # statement 1
    done = cat.step(paper, response)
    if not cat.advance(conn.candidate_id, len(paper.adaptive["administered"]), done):   # statement 2
        raise _closed(number)
    after_commit(lambda: _keep(conn, paper, done.paper))
    return _ack(seq, done.paper)


def _keep(conn: Connection, before: Paper, after: Paper) -> None:
    if conn.paper is before:
        conn.paper = after
