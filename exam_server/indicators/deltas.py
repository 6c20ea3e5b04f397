"""The cells' arithmetic: the difference a set of changed facts makes to every cell and score
bin above them (computed in Python by the sender, queued by indicators.fold), and the write of
summed deltas into the cells (the folder's), in as few statements as the database allows.

On PostgreSQL the cells, the score bins and the exams' revisions are one statement: two
INSERT ... SELECT FROM unnest(arrays) ... ON CONFLICT DO UPDATE in a WITH, then the revision
UPDATE; the arrays are bind parameters, so the statement text never changes with the number of
cells (one prepared plan, nothing compiled or parsed again per call). On SQLite, an executemany
per table.

Every writer upserts its rows in one sorted key order (exam, unit, school group[, score]): two
writers lock the rows they share in the same order, so one waits for the other, never deadlocks.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from sqlalchemy import text, update
from sqlalchemy.dialects import sqlite

from exam_server.core.db import session
from exam_server.indicators.models import (
    ALL_GROUPS,
    ALL_UNITS,
    CELL_COUNTERS,
    IndicatorCell,
    IndicatorExam,
    IndicatorScoreBin,
)

CellKey = tuple[int, int, str]            # exam, unit, school group
BinKey = tuple[int, int, str, int]        # ... and the score (hundredths)


class Side:
    """One fact as it counts: where (exam, unit, school group), its counters and its score."""

    __slots__ = ("counters", "exam_id", "school_group", "score_centi", "unit_id")

    def __init__(self, exam_id: int, unit_id: int | None, school_group: str, counters: Mapping[str, int],
                 score_centi: int | None):
        self.exam_id, self.unit_id, self.school_group = exam_id, unit_id, school_group
        self.counters, self.score_centi = counters, score_centi


def cell_deltas(changes: Iterable[tuple[Side | None, Side | None]], ancestors: Mapping[int, list[int]]
                ) -> tuple[dict[CellKey, list[int]], dict[BinKey, int]]:
    """(after - before) of every change, summed per cell and per score bin; cells and bins the
    changes leave as they were are dropped (a status move touches no bin)."""
    cells: dict[CellKey, list[int]] = defaultdict(lambda: [0] * len(CELL_COUNTERS))
    bins: dict[BinKey, int] = defaultdict(int)
    for before, after in changes:
        for sign, side in ((-1, before), (1, after)):
            if side is None:
                continue
            values = [sign * side.counters.get(name, 0) for name in CELL_COUNTERS]
            groups = (ALL_GROUPS, side.school_group) if side.school_group else (ALL_GROUPS,)
            for unit in (ALL_UNITS, *ancestors.get(side.unit_id, ())):
                for group in groups:
                    cell = cells[(side.exam_id, unit, group)]
                    for i, value in enumerate(values):
                        cell[i] += value
                    if side.score_centi is not None:
                        bins[(side.exam_id, unit, group, side.score_centi)] += sign
    return ({k: v for k, v in cells.items() if any(v)}, {k: n for k, n in bins.items() if n})


def _postgresql_statement() -> str:
    counters = ", ".join(CELL_COUNTERS)
    arrays = ", ".join(f"CAST(:{name} AS bigint[])" for name in CELL_COUNTERS)
    added = ", ".join(f"{name} = c.{name} + excluded.{name}" for name in CELL_COUNTERS)
    return f"""
WITH cells AS (
    INSERT INTO {IndicatorCell.__tablename__} AS c (exam_id, unit_id, school_group, {counters})
    SELECT * FROM unnest(CAST(:exam_id AS integer[]), CAST(:unit_id AS integer[]), CAST(:school_group AS text[]),
                         {arrays}) AS d
    ORDER BY 1, 2, 3
    ON CONFLICT (exam_id, unit_id, school_group) DO UPDATE SET {added}
    RETURNING 1
), bins AS (
    INSERT INTO {IndicatorScoreBin.__tablename__} AS b (exam_id, unit_id, school_group, score_centi, n)
    SELECT * FROM unnest(CAST(:bin_exam_id AS integer[]), CAST(:bin_unit_id AS integer[]),
                         CAST(:bin_school_group AS text[]), CAST(:bin_score_centi AS integer[]),
                         CAST(:bin_n AS bigint[])) AS d
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (exam_id, unit_id, school_group, score_centi) DO UPDATE SET n = b.n + excluded.n
    RETURNING 1
)
UPDATE {IndicatorExam.__tablename__} SET revision = revision + 1 WHERE exam_id = ANY(CAST(:exams AS integer[]))
"""


_POSTGRESQL = text(_postgresql_statement())


def write(cells: Mapping[CellKey, list[int]], bins: Mapping[BinKey, int]) -> set[int]:
    """Add the deltas to the cells and bins and raise their exams' revisions; the exam ids."""
    exams = {key[0] for key in cells} | {key[0] for key in bins}
    if not exams:
        return exams
    cell_keys, bin_keys = sorted(cells), sorted(bins)
    if session.get_bind().dialect.name == "postgresql":
        params: dict[str, list] = {"exam_id": [k[0] for k in cell_keys], "unit_id": [k[1] for k in cell_keys],
                                   "school_group": [k[2] for k in cell_keys],
                                   "bin_exam_id": [k[0] for k in bin_keys], "bin_unit_id": [k[1] for k in bin_keys],
                                   "bin_school_group": [k[2] for k in bin_keys],
                                   "bin_score_centi": [k[3] for k in bin_keys], "bin_n": [bins[k] for k in bin_keys],
                                   "exams": sorted(exams)}
        for i, name in enumerate(CELL_COUNTERS):
            params[name] = [cells[k][i] for k in cell_keys]
        session.execute(_POSTGRESQL, params)
        return exams
    if cell_keys:
        stmt = sqlite.insert(IndicatorCell)
        session.execute(stmt.on_conflict_do_update(
            index_elements=["exam_id", "unit_id", "school_group"],
            set_={name: getattr(IndicatorCell, name) + stmt.excluded[name] for name in CELL_COUNTERS}),
            [{"exam_id": e, "unit_id": u, "school_group": g, **dict(zip(CELL_COUNTERS, cells[(e, u, g)], strict=True))}
             for e, u, g in cell_keys])
    if bin_keys:
        stmt = sqlite.insert(IndicatorScoreBin)
        session.execute(stmt.on_conflict_do_update(
            index_elements=["exam_id", "unit_id", "school_group", "score_centi"],
            set_={"n": IndicatorScoreBin.n + stmt.excluded.n}),
            [{"exam_id": e, "unit_id": u, "school_group": g, "score_centi": s, "n": bins[(e, u, g, s)]}
             for e, u, g, s in bin_keys])
    session.execute(update(IndicatorExam).where(IndicatorExam.exam_id.in_(sorted(exams)))
                    .values(revision=IndicatorExam.revision + 1))
    return exams
