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


class ItemPoints(NamedTuple):
    candidate_id: int
    item_version_id: int
    points: Decimal
    max_points: Decimal


def current_item_points(candidate_ids: Iterable[int]) -> list[ItemPoints]:
    """The scored items of these candidates' current results (the newest version of each
    attempt): dropped items and essays still awaiting their score are left out. One statement."""
    from exam_server.results.models import ResultItem

    ids = list(candidate_ids)
    if not ids:
        return []
    newest = (select(Result.attempt_id, func.max(Result.version).label("version"))
              .where(Result.candidate_id.in_(ids)).group_by(Result.attempt_id).subquery())
    rows = session.execute(select(Result.candidate_id, ResultItem.item_version_id, ResultItem.points,
                                  ResultItem.max_points)
                           .join(newest, (Result.attempt_id == newest.c.attempt_id)
                                 & (Result.version == newest.c.version))
                           .join(ResultItem, ResultItem.result_id == Result.id)
                           .where(ResultItem.dropped.is_(False), ResultItem.points.is_not(None)))
    return [ItemPoints(*row) for row in rows]
