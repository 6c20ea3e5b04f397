"""Read functions for followers (the indicators): the attempts, identity checks and incidents of
an exam's candidates, as plain values, in bulk (a fixed number of statements per call)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import func, select

from exam_server.core.db import session
from exam_server.live.models import Attempt, Incident, SessionToken


class AttemptFacts(NamedTuple):
    attempt_id: int
    candidate_id: int
    status: str
    seconds_on_test: int | None      # finished attempts: from start to finish, less the pauses


def seconds_on_test(started_at, finished_at, paused_seconds) -> int | None:
    if started_at is None or finished_at is None:
        return None
    return max(0, int(round((finished_at - started_at).total_seconds() - (paused_seconds or 0))))


def attempt_facts(*, exam_ids: Iterable[int] | None = None,
                  attempt_ids: Iterable[int] | None = None) -> list[AttemptFacts]:
    query = select(Attempt.id, Attempt.candidate_id, Attempt.status, Attempt.started_at, Attempt.finished_at,
                   Attempt.paused_seconds)
    if exam_ids is not None:
        query = query.where(Attempt.exam_id.in_(list(exam_ids)))
    if attempt_ids is not None:
        query = query.where(Attempt.id.in_(list(attempt_ids)))
    return [AttemptFacts(row[0], row[1], row[2].value if hasattr(row[2], "value") else str(row[2]),
                         seconds_on_test(row[3], row[4], row[5]))
            for row in session.execute(query)]


def incident_counts(exam_ids: Iterable[int]) -> dict[int, int]:
    """candidate id -> how many incidents were raised about them."""
    rows = session.execute(select(Incident.candidate_id, func.count()).where(Incident.exam_id.in_(list(exam_ids)))
                           .group_by(Incident.candidate_id))
    return {candidate_id: count for candidate_id, count in rows}


def chip_verified(candidate_ids: Iterable[int]) -> set[int]:
    """The candidates who were ever issued a session token after a verified chip check-in."""
    ids = list(candidate_ids)
    if not ids:
        return set()
    return set(session.scalars(select(SessionToken.candidate_id).distinct()
                               .where(SessionToken.candidate_id.in_(ids), SessionToken.method == "chip")))
