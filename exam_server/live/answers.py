"""Answer and flag events: append-only, idempotent on client_seq, out-of-order safe (the latest
per question is the one with the highest client_seq).

The hot path: an event is checked against the candidate's paper (kept by exams.papers, no
statement) and stored by ONE statement, whatever the paper's length: an INSERT ... SELECT that
stores it only if the attempt is running, not past its deadline, still held by this connection
and its token still active, and does nothing for a client_seq already stored. Only when nothing
was stored does a second look say why (a replay is acknowledged again, even after the deadline;
anything else is refused with its reason)."""
from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, bindparam, exists, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite

from exam_server.core.db import among, session
from exam_server.exams.papers import Paper, PaperQuestion
from exam_server.live.attempts import LiveError, require_active
from exam_server.live.models import AnswerEvent, Attempt, AttemptStatus, SessionToken
from item_bank.model import ResponseError
from item_bank.types.base import get_type

MAX_RESPONSE_BYTES = 100_000        # a response's JSON; the item types have their own text limits too
MAX_CLIENT_SEQ = 2**31 - 1
MAX_QUESTION = 1000


@dataclass(frozen=True)
class Holder:
    """Who may write to an attempt: its connection (sid) with the token it presented."""

    attempt_id: int
    sid: str
    token_hash: str


def _whole(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise LiveError("bad_event", f"{field} must be a whole number from {low} to {high}.", field, 422)
    return value


def _question(paper: Paper, number: int) -> PaperQuestion:
    found = paper.question(number)
    if found is None:
        raise LiveError("unknown_question", f"Question {number} is not on this paper.", "question", 422)
    return found


def _check_response(entry: PaperQuestion, response: Any) -> Any:
    if response is None:
        return None   # clears the answer
    try:
        size = len(json.dumps(response, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        raise LiveError("invalid_response", "The response is not JSON.", "response", 422) from None
    if size > MAX_RESPONSE_BYTES:
        raise LiveError("invalid_response", f"The response is longer than {MAX_RESPONSE_BYTES} bytes.",
                        "response", 422)
    try:
        get_type(entry.question.item_type).check_response(entry.question.content, response)
    except ResponseError as exc:
        raise LiveError("invalid_response", exc.message, "response", 422) from None
    except (ValueError, TypeError, KeyError, AttributeError):
        raise LiveError("invalid_response", "The response does not have this question's shape.",
                        "response", 422) from None
    return response   # stored as sent (its shape checked); scoring normalises it again


@functools.cache
def _store_statement(dialect: str):
    """Built once per dialect (building a statement costs more than running it): every value is a
    bound parameter."""
    table = AnswerEvent.__table__
    when = bindparam("t", type_=AnswerEvent.received_at.type)
    allowed = (select(bindparam("a"), bindparam("q"), bindparam("k"), type_coerce(bindparam("r"), JSON),
                      bindparam("s"), when)
               .where(exists().where(Attempt.id == bindparam("a"), Attempt.status == AttemptStatus.IN_PROGRESS,
                                     Attempt.due_at > when, Attempt.connection_sid == bindparam("sid")),
                      exists().where(SessionToken.token_hash == bindparam("h"), SessionToken.revoked_at.is_(None))))
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (insert(table).from_select(["attempt_id", "question_number", "kind", "response", "client_seq",
                                       "received_at"], allowed)
            .on_conflict_do_nothing(index_elements=["attempt_id", "client_seq"]).returning(table.c.id))


def _store(holder: Holder, question: int, kind: str, response: Any, client_seq: int, now: datetime) -> int:
    statement = _store_statement(session.get_bind().dialect.name)
    stored = session.execute(statement, {"a": holder.attempt_id, "q": question, "k": kind, "r": response,
                                         "s": client_seq, "t": now, "sid": holder.sid,
                                         "h": holder.token_hash}).first()
    if stored is not None:
        return client_seq
    return _why_not_stored(holder, question, kind, response, client_seq, now)


def _why_not_stored(holder: Holder, question: int, kind: str, response: Any, client_seq: int, now: datetime) -> int:
    attempt = session.get(Attempt, holder.attempt_id)
    if attempt is None or attempt.connection_sid != holder.sid or not token_active(holder.token_hash):
        raise LiveError("bad_token", "This connection was replaced by a newer check-in or its token revoked.",
                        "token", 401)
    existing = session.scalar(select(AnswerEvent).where(AnswerEvent.attempt_id == holder.attempt_id,
                                                        AnswerEvent.client_seq == client_seq))
    if existing is not None:
        if (existing.question_number, existing.kind, existing.response) == (question, kind, response):
            return client_seq          # a replay: stored once, acknowledged again
        raise LiveError("seq_reused", f"client_seq {client_seq} was already used for another event.",
                        "client_seq", 409)
    require_active(attempt, now)
    raise LiveError("attempt_not_active", "The attempt is not running.", "status")   # pragma: no cover


def token_active(token_hash: str) -> bool:
    return session.scalar(select(SessionToken.id).where(SessionToken.token_hash == token_hash,
                                                        SessionToken.revoked_at.is_(None))) is not None


def save_answer(holder: Holder, paper: Paper, question: Any, response: Any, client_seq: Any, now: datetime) -> int:
    question = _whole(question, "question", 1, MAX_QUESTION)
    client_seq = _whole(client_seq, "client_seq", 1, MAX_CLIENT_SEQ)
    normalised = _check_response(_question(paper, question), response)
    return _store(holder, question, "answer", normalised, client_seq, now)


def save_flag(holder: Holder, paper: Paper, question: Any, flagged: Any, client_seq: Any, now: datetime) -> int:
    question = _whole(question, "question", 1, MAX_QUESTION)
    client_seq = _whole(client_seq, "client_seq", 1, MAX_CLIENT_SEQ)
    if not isinstance(flagged, bool):
        raise LiveError("bad_event", "flagged must be true or false.", "flagged", 422)
    _question(paper, question)
    return _store(holder, question, "flag", {"flagged": flagged}, client_seq, now)


# --- reading ----------------------------------------------------------------------------------

@dataclass
class AnswerState:
    """An attempt's latest answer and flag per question, and the highest client_seq it used."""

    answers: dict[int, tuple[Any, int]]      # question -> (response, seq); cleared answers kept as None
    flags: dict[int, bool]
    last_seq: int = 0

    def records(self) -> dict[str, dict[str, Any]]:
        """For the student's state: {"3": {"response", "seq"}} (cleared answers left out)."""
        return {str(n): {"response": r, "seq": s} for n, (r, s) in sorted(self.answers.items()) if r is not None}

    def flagged(self) -> list[int]:
        return sorted(n for n, on in self.flags.items() if on)

    def latest(self) -> dict[int, Any]:
        return {n: r for n, (r, _s) in self.answers.items() if r is not None}


def answer_states(attempt_ids: Iterable[int]) -> dict[int, AnswerState]:
    """Every attempt's AnswerState in one statement (its events in client_seq order)."""
    ids = list(set(attempt_ids))
    states = {attempt_id: AnswerState({}, {}) for attempt_id in ids}
    for chunk in (ids[i:i + 1000] for i in range(0, len(ids), 1000)):
        rows = session.execute(select(AnswerEvent.attempt_id, AnswerEvent.question_number, AnswerEvent.kind,
                                      AnswerEvent.response, AnswerEvent.client_seq)
                               .where(among(AnswerEvent.attempt_id, chunk))
                               .order_by(AnswerEvent.attempt_id, AnswerEvent.client_seq))
        for attempt_id, number, kind, response, seq in rows:
            state = states[attempt_id]
            if kind == "answer":
                state.answers[number] = (response, seq)
            else:
                state.flags[number] = bool((response or {}).get("flagged"))
            state.last_seq = max(state.last_seq, seq)
    return states


def answer_state(attempt_id: int) -> AnswerState:
    return answer_states([attempt_id])[attempt_id]


def latest_answers(attempt: Attempt) -> dict[int, Any]:
    """{question_number: response}: the highest client_seq per question; cleared answers left out."""
    return answer_state(attempt.id).latest()


def latest_answers_many(attempt_ids: Iterable[int]) -> dict[int, dict[int, Any]]:
    return {attempt_id: state.latest() for attempt_id, state in answer_states(attempt_ids).items()}


def answered_counts(attempt_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """attempt -> (questions with an answer, highest client_seq): the proctor's progress column."""
    return {a: (len(s.latest()), s.last_seq) for a, s in answer_states(attempt_ids).items()}

