"""Read functions for followers (the indicators): every attempt's current result, as plain values,
in one statement per call."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import func, select

from exam_server.core.db import session
from exam_server.results.models import Result


class CurrentScore(NamedTuple):
    candidate_id: int
    version: int
    score: Decimal


def current_scores(exam_ids: Iterable[int]) -> list[CurrentScore]:
    ids = list(exam_ids)
    newest = (select(Result.attempt_id, func.max(Result.version).label("version"))
              .where(Result.exam_id.in_(ids)).group_by(Result.attempt_id).subquery())
    rows = session.execute(select(Result.candidate_id, Result.version, Result.score)
                           .join(newest, (Result.attempt_id == newest.c.attempt_id)
                                 & (Result.version == newest.c.version)))
    return [CurrentScore(*row) for row in rows]
