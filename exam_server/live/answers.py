"""Answer and flag events: append-only, idempotent on client_seq, out-of-order safe (the latest
per question is the one with the highest client_seq)."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from exam_server.core.db import session
from exam_server.exams.services import PaperItem, paper_for
from exam_server.live.attempts import LiveError, require_active
from exam_server.live.models import AnswerEvent, Attempt
from item_bank.model import ItemContent, ResponseError
from item_bank.types.base import get_type

MAX_RESPONSE_BYTES = 100_000        # a response's JSON; the item types have their own text limits too
MAX_CLIENT_SEQ = 2**31 - 1
MAX_QUESTION = 1000


def _whole(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise LiveError("bad_event", f"{field} must be a whole number from {low} to {high}.", field, 422)
    return value


def _entry(attempt: Attempt, question: int) -> PaperItem:
    for entry in paper_for(attempt.candidate):
        if entry.number == question:
            return entry
    raise LiveError("unknown_question", f"Question {question} is not on this paper.", "question", 422)


def _check_response(entry: PaperItem, response: Any) -> Any:
    if response is None:
        return None   # clears the answer
    try:
        size = len(json.dumps(response, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        raise LiveError("invalid_response", "The response is not JSON.", "response", 422) from None
    if size > MAX_RESPONSE_BYTES:
        raise LiveError("invalid_response", f"The response is longer than {MAX_RESPONSE_BYTES} bytes.",
                        "response", 422)
    version = entry.item_version
    content = ItemContent(type=version.item_type, stem=version.stem, body=version.body, key=version.answer_key)
    try:
        get_type(version.item_type).check_response(content, response)
    except ResponseError as exc:
        raise LiveError("invalid_response", exc.message, "response", 422) from None
    except (ValueError, TypeError, KeyError, AttributeError):
        raise LiveError("invalid_response", "The response does not have this question's shape.",
                        "response", 422) from None
    return response   # stored as sent (its shape checked); scoring normalises it again


def _store(attempt: Attempt, question: int, kind: str, response: Any, client_seq: int, now: datetime) -> int:
    existing = session.scalar(select(AnswerEvent).where(AnswerEvent.attempt_id == attempt.id,
                                                        AnswerEvent.client_seq == client_seq))
    if existing is not None:
        if (existing.question_number, existing.kind, existing.response) == (question, kind, response):
            return client_seq          # a replay: stored once, acknowledged again
        raise LiveError("seq_reused", f"client_seq {client_seq} was already used for another event.",
                        "client_seq", 409)
    require_active(attempt, now)
    session.add(AnswerEvent(attempt_id=attempt.id, question_number=question, kind=kind, response=response,
                            client_seq=client_seq, received_at=now))
    session.flush()
    return client_seq


def save_answer(attempt: Attempt, question: Any, response: Any, client_seq: Any, now: datetime) -> int:
    question = _whole(question, "question", 1, MAX_QUESTION)
    client_seq = _whole(client_seq, "client_seq", 1, MAX_CLIENT_SEQ)
    normalised = _check_response(_entry(attempt, question), response)
    return _store(attempt, question, "answer", normalised, client_seq, now)


def save_flag(attempt: Attempt, question: Any, flagged: Any, client_seq: Any, now: datetime) -> int:
    question = _whole(question, "question", 1, MAX_QUESTION)
    client_seq = _whole(client_seq, "client_seq", 1, MAX_CLIENT_SEQ)
    if not isinstance(flagged, bool):
        raise LiveError("bad_event", "flagged must be true or false.", "flagged", 422)
    _entry(attempt, question)
    return _store(attempt, question, "flag", {"flagged": flagged}, client_seq, now)


def _latest(attempt: Attempt, kind: str) -> dict[int, AnswerEvent]:
    rows = session.scalars(select(AnswerEvent).where(AnswerEvent.attempt_id == attempt.id, AnswerEvent.kind == kind)
                           .order_by(AnswerEvent.client_seq))
    return {row.question_number: row for row in rows}


def latest_answers(attempt: Attempt) -> dict[int, Any]:
    """{question_number: response}: the highest client_seq per question; cleared answers left out."""
    return {n: row.response for n, row in _latest(attempt, "answer").items() if row.response is not None}


def answer_records(attempt: Attempt) -> dict[str, dict[str, Any]]:
    """For the student's state: {"3": {"response", "seq"}}."""
    return {str(n): {"response": row.response, "seq": row.client_seq}
            for n, row in sorted(_latest(attempt, "answer").items()) if row.response is not None}


def flags(attempt: Attempt) -> list[int]:
    return sorted(n for n, row in _latest(attempt, "flag").items() if row.response.get("flagged"))


def last_seq(attempt: Attempt) -> int:
    return session.scalar(select(func.max(AnswerEvent.client_seq)).where(AnswerEvent.attempt_id == attempt.id)) or 0
