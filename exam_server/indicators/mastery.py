"""Mastery per topic and per cognitive level (from the item versions' metadata): points earned
over points possible on the items of that topic (or level), summed over a cell's candidates.

Counting a result's items means reading them (40 rows a candidate) and their versions' metadata.
That read stays off the submit's path: storing a result marks the candidate's fact stale in the
statement that writes the fact anyway (engine.on_result_stored), and `refresh` counts the stale
facts in batches: before the mastery API answers, in the recompute, and from
`exam-server indicators refresh-mastery`. The stale flag is committed with the result, so the
queue is durable (nothing lost on a crash); each fact keeps what the cells count of it, so a
rescore moves the cells by the difference, and the recompute (everything reset to stale, then
refreshed) gives the same numbers (tests/server/test_indicators_mastery.py).

On PostgreSQL a refresher takes its batch FOR UPDATE SKIP LOCKED: two refreshers (two API
requests) never count the same fact twice.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects import sqlite

from exam_server.core.db import session
from exam_server.indicators.models import (
    ALL_GROUPS,
    ALL_UNITS,
    CandidateFact,
    IndicatorExam,
    IndicatorMasteryCell,
)

DIMENSIONS = ("topic", "level")
BATCH = 2000
MasteryKey = tuple[int, int, str, str, str]       # exam, unit, school group, dimension, value


def milli(points: Decimal) -> int:
    return int((Decimal(points) * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def mastery_of(items: Iterable, metadata: Mapping[int, Any]) -> dict[str, dict[str, list[int]]]:
    """{"topic": {topic: [points, max]}, "level": {level: [points, max]}} (thousandths) of one
    candidate's scored items; an item without a topic (or level) counts in no topic (level)."""
    out: dict[str, dict[str, list[int]]] = {d: {} for d in DIMENSIONS}
    for item in items:
        meta = metadata.get(item.item_version_id)
        if meta is None:
            continue
        for dimension, value in (("topic", meta.topic), ("level", meta.cognitive_level)):
            if value:
                entry = out[dimension].setdefault(value, [0, 0])
                entry[0] += milli(item.points)
                entry[1] += milli(item.max_points)
    return out


def _deltas(changes, ancestors: Mapping[int, list[int]]) -> dict[MasteryKey, list[int]]:
    """changes: (exam, unit, group, before mastery, after mastery); summed per mastery cell."""
    cells: dict[MasteryKey, list[int]] = defaultdict(lambda: [0, 0, 0])
    for exam_id, unit_id, group, before, after in changes:
        for sign, mastery in ((-1, before), (1, after)):
            for dimension, values in (mastery or {}).items():
                for value, (points, most) in values.items():
                    for unit in (ALL_UNITS, *ancestors.get(unit_id, ())):
                        for g in ((ALL_GROUPS, group) if group else (ALL_GROUPS,)):
                            cell = cells[(exam_id, unit, g, dimension, value)]
                            cell[0] += sign
                            cell[1] += sign * points
                            cell[2] += sign * most
    return {k: v for k, v in cells.items() if any(v)}


_POSTGRESQL = text(f"""
WITH cells AS (
    INSERT INTO {IndicatorMasteryCell.__tablename__} AS m
        (exam_id, unit_id, school_group, dimension, value, candidates, points_milli, max_points_milli)
    SELECT * FROM unnest(CAST(:exam_id AS integer[]), CAST(:unit_id AS integer[]), CAST(:school_group AS text[]),
                         CAST(:dimension AS text[]), CAST(:value AS text[]), CAST(:candidates AS bigint[]),
                         CAST(:points AS bigint[]), CAST(:most AS bigint[])) AS d
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (exam_id, unit_id, school_group, dimension, value) DO UPDATE SET
        candidates = m.candidates + excluded.candidates, points_milli = m.points_milli + excluded.points_milli,
        max_points_milli = m.max_points_milli + excluded.max_points_milli
    RETURNING 1
)
UPDATE {IndicatorExam.__tablename__} SET revision = revision + 1 WHERE exam_id = ANY(CAST(:exams AS integer[]))
""")


def _write(cells: Mapping[MasteryKey, list[int]]) -> None:
    keys = sorted(cells)          # one lock order for every writer (see deltas.py)
    exams = sorted({k[0] for k in keys})
    if not keys:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_POSTGRESQL, {
            "exam_id": [k[0] for k in keys], "unit_id": [k[1] for k in keys], "school_group": [k[2] for k in keys],
            "dimension": [k[3] for k in keys], "value": [k[4] for k in keys],
            "candidates": [cells[k][0] for k in keys], "points": [cells[k][1] for k in keys],
            "most": [cells[k][2] for k in keys], "exams": exams})
        return
    m = IndicatorMasteryCell
    stmt = sqlite.insert(m)
    session.execute(stmt.on_conflict_do_update(
        index_elements=["exam_id", "unit_id", "school_group", "dimension", "value"],
        set_={"candidates": m.candidates + stmt.excluded.candidates,
              "points_milli": m.points_milli + stmt.excluded.points_milli,
              "max_points_milli": m.max_points_milli + stmt.excluded.max_points_milli}),
        [{"exam_id": e, "unit_id": u, "school_group": g, "dimension": d, "value": v, "candidates": cells[k][0],
          "points_milli": cells[k][1], "max_points_milli": cells[k][2]} for k in keys for e, u, g, d, v in [k]])
    session.execute(update(IndicatorExam).where(IndicatorExam.exam_id.in_(exams))
                    .values(revision=IndicatorExam.revision + 1))


def refresh(exam_ids: Iterable[int] | None = None, *, batch: int = BATCH) -> int:
    """Count the stale facts (of these exams, or all) into the mastery cells; how many."""
    from exam_server.bank.stats import version_metadata
    from exam_server.indicators.engine import _ancestors
    from exam_server.indicators.fold import mark_dirty
    from exam_server.results.stats import current_item_points

    ids = None if exam_ids is None else list(exam_ids)
    if ids is not None and not ids:
        return 0
    done = 0
    while True:
        query = (select(CandidateFact).where(CandidateFact.mastery_stale.is_(True))
                 .order_by(CandidateFact.candidate_id).limit(batch).execution_options(populate_existing=True))
        if ids is not None:
            query = query.where(CandidateFact.exam_id.in_(ids))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        facts = list(session.scalars(query))
        if not facts:
            return done
        items: dict[int, list] = defaultdict(list)
        for item in current_item_points([f.candidate_id for f in facts]):
            items[item.candidate_id].append(item)
        metadata = version_metadata({i.item_version_id for rows in items.values() for i in rows})
        changes = []
        for fact in facts:
            after = mastery_of(items.get(fact.candidate_id, ()), metadata) if fact.score_centi is not None else None
            changes.append((fact.exam_id, fact.unit_id, fact.school_group, fact.mastery, after))
            fact.mastery, fact.mastery_stale = after, False
        cells = _deltas(changes, _ancestors({f.unit_id for f in facts if f.unit_id is not None}))
        session.flush()
        _write(cells)
        if cells:
            mark_dirty({k[0] for k in cells})
        done += len(facts)
        if len(facts) < batch:
            return done


def rebuild(exam_ids: Iterable[int]) -> int:
    """The mastery cells of these exams from nothing: every scored fact queued again, refreshed."""
    ids = list(exam_ids)
    session.execute(delete(IndicatorMasteryCell).where(IndicatorMasteryCell.exam_id.in_(ids)))
    session.execute(update(CandidateFact).where(CandidateFact.exam_id.in_(ids))
                    .values(mastery=None, mastery_stale=CandidateFact.score_centi.is_not(None))
                    .execution_options(synchronize_session=False))
    return refresh(ids)      # its read refreshes the facts already in the session (populate_existing)


def summed(exam_ids: list[int], unit_id: int, dimension: str) -> dict[tuple[str, str], list[int]]:
    """{(value, school group): [candidates, points, max]} of one unit over the exams."""
    from sqlalchemy import func

    m = IndicatorMasteryCell
    out: dict[tuple[str, str], list[int]] = {}
    if not exam_ids:
        return out
    for value, group, n, points, most in session.execute(
            select(m.value, m.school_group, func.sum(m.candidates), func.sum(m.points_milli),
                   func.sum(m.max_points_milli))
            .where(m.exam_id.in_(exam_ids), m.unit_id == unit_id, m.dimension == dimension)
            .group_by(m.value, m.school_group)):
        out[(value, group)] = [int(n or 0), int(points or 0), int(most or 0)]
    return out


def _value(sums: list[int] | None, min_cell: int) -> dict[str, Any]:
    n, points, most = sums or (0, 0, 0)
    shown = n >= min_cell
    percent = float((Decimal(points) * 100 / most).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) if most else None
    return {"value": percent if shown else None, "n": n if shown else None, "suppressed": not shown, "_n": n}


def table(unit, selection, dimension: str) -> dict[str, Any]:
    """Mastery (%) of every topic (or cognitive level) for a unit, with each school group's value
    and the groups' gap; small cells suppressed like every indicator (query.complementary)."""
    from exam_server.indicators.query import GROUPS, _public, _unit_json, complementary
    from exam_server.indicators.registry import MASTERY_BY_DIMENSION

    indicator = MASTERY_BY_DIMENSION[dimension]
    unit_id = ALL_UNITS if unit is None else unit.id
    sums = summed(selection.exam_ids, unit_id, dimension)
    rows = []
    for value in sorted({v for v, g in sums if g == selection.school_group}):
        everyone = _value(sums.get((value, ALL_GROUPS)), indicator.min_cell)
        groups = [{"school_group": g, **_value(sums.get((value, g)), indicator.min_cell)} for g in GROUPS]
        complementary(everyone["_n"], groups, indicator.min_cell)
        total = everyone if selection.school_group == ALL_GROUPS else \
            {k: v for k, v in next(g for g in groups if g["school_group"] == selection.school_group).items()
             if k != "school_group"}
        shown = [g["value"] for g in groups if not g["suppressed"] and g["value"] is not None]
        rows.append({dimension: value, **_public(total), "groups": [_public(g) for g in groups],
                     "group_gap": round(max(shown) - min(shown), 2) if len(shown) >= 2 else None})
    return {"indicator": indicator.describe(), "unit": _unit_json(unit), "filters": selection.filters,
            "exam_ids": selection.exam_ids, "rows": rows}
