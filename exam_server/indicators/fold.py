"""The cells' durable queue: changes append deltas, the folder sums them into the cells.

A transaction that moves candidates' facts appends one `indicator_deltas` row (insert only) with
what it adds to each cell and score bin. Writing the cells themselves in that transaction made
every submit of an exam wait for the previous one: all of them add to the same few cells (the
whole exam, the province, the school group), whose row locks a transaction holds until it commits
(a 2,000-candidate submit storm took 62 s with, against 30 s without).

`fold` takes a batch of queued rows out of the table (DELETE ... RETURNING: two folders never sum
the same row), sums them and writes each cell once, in key order (two folders never deadlock),
then bumps the exams' revisions and, after its commit, tells the dashboard. It is a drain
(core/drains: one process at a time, at most every INDICATORS_FOLD_INTERVAL_SECONDS, right after
the commit where no loop runs). A recompute deletes the queued rows it has counted
(indicators.recompute).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import delete

from exam_server.core import drains
from exam_server.core.db import AFTER_COMMIT, after_commit, session
from exam_server.indicators.deltas import BinKey, CellKey, write
from exam_server.indicators.models import CELL_COUNTERS, IndicatorDelta

# Called after a commit that changed cells, with the exam ids (the dashboard's live push).
changed_listeners: list[Callable[[set[int]], None]] = []

FOLD_LOCK = 0x65786D32      # the sweeper's is ...31: any constant no other advisory lock uses
FOLD_BATCH = 5000           # queued rows per pass (a pass of a submit storm: a few hundred)


def enqueue(cells: dict[CellKey, list[int]], bins: dict[BinKey, int]) -> None:
    """Queue what this transaction adds to the cells (one value per CELL_COUNTERS) and bins (one
    row per exam; deltas.cell_deltas computes them)."""
    per_exam: dict[int, IndicatorDelta] = {}
    for (exam_id, unit, group), values in cells.items():
        row = per_exam.setdefault(exam_id, IndicatorDelta(exam_id=exam_id, cells=[], bins=[]))
        row.cells.append([unit, group, list(values)])
    for (exam_id, unit, group, score), n in bins.items():
        row = per_exam.setdefault(exam_id, IndicatorDelta(exam_id=exam_id, cells=[], bins=[]))
        row.bins.append([unit, group, score, n])
    if not per_exam:
        return
    session.add_all(per_exam.values())
    drains.queued(FOLDER)


def fold(batch: int = FOLD_BATCH) -> int:
    """Sum up to `batch` queued rows into the cells (flushes; the caller commits; FOLDER's lock
    keeps other processes out). Returns how many it folded."""
    session.flush()
    rows = drains.take(IndicatorDelta, batch, IndicatorDelta.exam_id, IndicatorDelta.cells, IndicatorDelta.bins)
    if not rows:
        return 0
    cells: dict[CellKey, list[int]] = defaultdict(lambda: [0] * len(CELL_COUNTERS))
    bins: dict[BinKey, int] = defaultdict(int)
    for exam_id, row_cells, row_bins in rows:
        for unit, group, values in row_cells:
            total = cells[(exam_id, unit, group)]
            for i, value in enumerate(values):
                total[i] += value
        for unit, group, score, n in row_bins:
            bins[(exam_id, unit, group, score)] += n
    # Cells, bins and the exams' revisions: one statement on PostgreSQL, rows in key order, the
    # batch bound as arrays (a multi-row VALUES of a storm's batch is a statement of hundreds of
    # kilobytes that psycopg parses again every time).
    exams = write({k: v for k, v in cells.items() if any(v)}, {k: n for k, n in bins.items() if n})
    exams |= {exam_id for exam_id, _cells, _bins in rows}
    mark_dirty(exams)
    return len(rows)


def drop_queued(exam_ids: list[int]) -> None:
    """For a recompute, in its snapshot: the queued rows of these exams are in the facts it counts."""
    session.execute(delete(IndicatorDelta).where(IndicatorDelta.exam_id.in_(exam_ids)))


class _Announce:
    """One after-commit callback per transaction, however many exams it folded (coalesced)."""

    def __init__(self):
        self.exam_ids: set[int] = set()

    def __call__(self):
        for listener in changed_listeners:
            listener(set(self.exam_ids))


def mark_dirty(exam_ids: set[int]) -> None:
    """The dashboards of these exams are told after this transaction commits (a fold pass; the
    mastery refresher, which writes its own cells)."""
    pending = session.info.get(AFTER_COMMIT, [])
    announce = next((c for c in pending if isinstance(c, _Announce)), None)
    if announce is None:
        announce = _Announce()
        after_commit(announce)
    announce.exam_ids |= exam_ids


FOLDER = drains.Drain("indicators", FOLD_LOCK, FOLD_BATCH, "INDICATORS_FOLD_INTERVAL_SECONDS", fold)


def fold_all() -> None:
    """Fold everything queued now (commits)."""
    drains.drain_all(FOLDER, wait=True)
