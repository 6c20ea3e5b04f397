"""The incremental engine against the full recompute (property test on random data), the cells'
counters against a hand-worked table, and the statements per event."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.server.indicator_factories import bare_exam, cells_of, load_units

SCHOOLS = [("S1", "12A"), ("S1", "12B"), ("S1", "12C"), ("THPT Vùng Cao", ""), ("S3", "10A"), ("Trường lạ", ""),
           ("", "")]
STATUSES = ["not_started", "in_progress", "paused", "submitted", "closed", "terminated"]
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
RESULT_IDS = itertools.count(1)


@pytest.fixture
def tree(db):
    return load_units()


event = st.one_of(
    st.tuples(st.just("move"), st.integers(0, 59), st.sampled_from(STATUSES)),
    st.tuples(st.just("score"), st.integers(0, 59), st.integers(0, 40).map(lambda q: Decimal(q) / 4)),
    st.tuples(st.just("incident"), st.integers(0, 59), st.none()),
    st.tuples(st.just("chip"), st.integers(0, 59), st.sampled_from(["chip", "manual"])),
)


def _send(exam_id, candidates, events):
    from exam_server.core import signals

    versions = {}
    for kind, index, value in events:
        cid = candidates[index % len(candidates)]
        if kind == "move":
            signals.attempts_moved.send(exam_id, moves=[signals.AttemptMove(
                attempt_id=10_000_000 + cid, exam_id=exam_id, candidate_id=cid, action="x", from_status=None,
                to_status=value, at=T0)])
        elif kind == "score":
            versions[cid] = versions.get(cid, 0) + 1
            signals.result_stored.send(exam_id, result_id=next(RESULT_IDS), attempt_id=0, candidate_id=cid, version=versions[cid],
                                       status="final", score=value, raw_points=value, max_points=Decimal(10),
                                       reason="submit", at=T0)
        elif kind == "incident":
            signals.incident_raised.send(exam_id, incident_id=0, room_id=None, candidate_id=cid, kind="disconnect",
                                         detail="", at=T0)
        else:
            signals.session_token_issued.send(exam_id, candidate_id=cid, method=value, actor_id=None, reason="",
                                              at=T0)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(placements=st.lists(st.sampled_from(SCHOOLS), min_size=1, max_size=40),
       events=st.lists(event, max_size=80))
def test_incremental_cells_equal_a_full_recompute(db, tree, placements, events):
    from exam_server.indicators.recompute import rebuild_cells

    exam_id, candidates = bare_exam(placements)
    _send(exam_id, candidates, events)
    db.flush()
    incremental = cells_of(exam_id)
    rebuild_cells([exam_id])
    db.flush()
    assert cells_of(exam_id) == incremental
    db.rollback()


def test_cells_by_hand(db, tree):
    """Five candidates, hand-worked: 12A has two (8.0 and 4.75), 12B one (6.5), Vùng Cao one
    (10, chip), one from a school not in the tree (not started)."""
    exam_id, c = bare_exam([("S1", "12A"), ("S1", "12A"), ("S1", "12B"), ("S2", ""), ("Trường lạ", "")])
    _send(exam_id, c, [("move", 0, "submitted"), ("score", 0, Decimal("8.0")),
                       ("move", 1, "closed"), ("score", 1, Decimal("4.75")),
                       ("move", 2, "terminated"), ("score", 2, Decimal("6.5")), ("incident", 2, None),
                       ("chip", 3, "chip"), ("move", 3, "in_progress"), ("move", 3, "submitted"),
                       ("score", 3, Decimal("10")), ("score", 3, Decimal("9.5"))])    # a rescore replaces
    db.flush()
    cells, bins = cells_of(exam_id)
    province = cells[(tree["P1"], "")]
    assert province["registered"] == 4 and province["scored"] == 4
    assert province["score_sum"] == 800 + 475 + 650 + 950
    assert province["score_sq_sum"] == 800**2 + 475**2 + 650**2 + 950**2
    assert (province["pass_n"], province["ge8_n"], province["kha_n"], province["dat_n"], province["chua_dat_n"]) == \
        (3, 2, 1, 0, 1)
    assert (province["submitted"], province["closed"], province["terminated"]) == (2, 1, 1)
    assert province["chip_verified"] == 1 and province["incidents"] == 1
    everyone = cells[(0, "")]
    assert everyone["registered"] == 5 and everyone["not_started"] == 1
    assert cells[(tree["S1-12A"], "")]["registered"] == 2
    assert cells[(tree["S1"], "")]["registered"] == 3
    assert cells[(tree["C1"], "")]["registered"] == 1          # Vùng Cao is in commune 1
    assert cells[(tree["P1"], "urban")]["registered"] == 3
    assert cells[(tree["P1"], "remote")]["score_sum"] == 950
    assert bins[(tree["P1"], "", 950)] == 1 and (tree["P1"], "", 1000) not in bins


class _Counted:
    def __init__(self, db):
        self.engine, self.statements = db.get_bind(), []

    def _count(self, _conn, _cursor, statement, *_a):
        self.statements.append(statement)

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._count)
        return self.statements

    def __exit__(self, *_exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._count)


# The rule (issue 9's submit storm): one signal is the facts read with their units' ancestors
# (one join), then at the flush the facts' UPDATE (one executemany for a room) and the queued
# delta row (indicators.fold). It was 6 when the sender wrote the cells (facts, ancestors, flush,
# cells, bins, revision), then 4 with the queue (the ancestors read apart), now 3 on both.
MOST_PER_SIGNAL = {"postgresql": 3, "sqlite": 3}
# A fold pass: the folder's advisory lock (PostgreSQL), the batch taken (DELETE ... RETURNING),
# then cells, bins and revisions in one WITH statement on PostgreSQL; on SQLite an executemany
# per table and the revision UPDATE.
MOST_PER_FOLD = {"postgresql": 3, "sqlite": 4}


def test_a_bulk_move_is_a_fixed_number_of_statements(db, tree):
    from exam_server.core import signals

    exam_id, c = bare_exam([("S1", "12A")] * 30 + [("S3", "")] * 30)
    db.flush()
    with _Counted(db) as statements:
        signals.attempts_moved.send(exam_id, moves=[signals.AttemptMove(
            attempt_id=i, exam_id=exam_id, candidate_id=cid, action="start", from_status="not_started",
            to_status="in_progress", at=T0 + timedelta(seconds=1)) for i, cid in enumerate(c)])
        db.flush()
    assert len(statements) <= MOST_PER_SIGNAL[db.get_bind().dialect.name], statements
    assert cells_of(exam_id)[0][(0, "")]["in_progress"] == 60


def test_a_scored_attempt_is_three_statements_on_postgresql(db, tree):
    from exam_server.core import signals

    exam_id, c = bare_exam([("S1", "12A")] * 5)
    _send(exam_id, c, [("move", 0, "submitted"), ("score", 0, Decimal("7.25"))])
    db.flush()
    with _Counted(db) as statements:
        signals.result_stored.send(exam_id, result_id=next(RESULT_IDS), attempt_id=0, candidate_id=c[0], version=2,
                                   status="final", score=Decimal("8.5"), raw_points=Decimal("8.5"),
                                   max_points=Decimal(10), reason="rescore", at=T0)
        db.flush()
    # The feed's xAPI receiver looks up its endpoints once per stored result (one more SELECT).
    engine = [s for s in statements if "feed_endpoints" not in s]
    assert len(engine) <= MOST_PER_SIGNAL[db.get_bind().dialect.name], engine
    assert len(statements) <= len(engine) + 1, statements
    cells, bins = cells_of(exam_id)
    school = cells[(tree["S1"], "urban")]
    assert (school["scored"], school["score_sum"], school["ge8_n"], school["kha_n"]) == (1, 850, 1, 0)
    assert bins[(tree["P1"], "", 850)] == 1 and (tree["P1"], "", 725) not in bins


def test_a_fold_pass_is_a_fixed_number_of_statements(db, tree):
    from exam_server.indicators.fold import fold

    exam_id, c = bare_exam([("S1", "12A")] * 20 + [("S2", "")] * 20)
    _send(exam_id, c, [("move", i, "submitted") for i in range(40)] +
          [("score", i, Decimal(i % 41) / 4) for i in range(40)])
    db.flush()
    with _Counted(db) as statements:
        assert fold() > 0
    assert len(statements) <= MOST_PER_FOLD[db.get_bind().dialect.name], statements
    cells, bins = cells_of(exam_id)
    assert cells[(0, "")]["submitted"] == 40 and cells[(0, "")]["scored"] == 40
    assert cells[(tree["S2"], "remote")]["score_sum"] == sum(i * 25 for i in range(20, 40))
    assert sum(n for (unit, group, _s), n in bins.items() if (unit, group) == (0, "")) == 40
    db.rollback()


def test_queued_deltas_survive_a_process_that_never_folds_them(app, db, tree):
    """Committed changes whose folder never ran (the process died right after the commit) stay
    queued, the cells untouched; any later fold brings the cells to the full recompute's."""
    import threading

    from sqlalchemy import func, select

    from exam_server.indicators.fold import fold_all
    from exam_server.indicators.models import IndicatorCell, IndicatorDelta
    from exam_server.indicators.recompute import rebuild_cells

    app.extensions["drains"] = {"indicators": threading.Event(), "audit": threading.Event()}     # a folder that is never woken
    exam_id, c = bare_exam([("S1", "12A"), ("S1", "12B"), ("S2", "")])
    _send(exam_id, c, [("move", 0, "submitted"), ("score", 0, Decimal("7.25")), ("move", 1, "in_progress")])
    db.commit()
    assert db.scalar(select(func.count()).select_from(IndicatorDelta)) >= 1
    assert db.scalar(select(func.count()).select_from(IndicatorCell).where(IndicatorCell.exam_id == exam_id)) == 0
    fold_all()
    assert db.scalar(select(func.count()).select_from(IndicatorDelta)) == 0
    folded = cells_of(exam_id)
    assert folded[0][(0, "")]["registered"] == 3 and folded[0][(0, "")]["score_sum"] == 725
    rebuild_cells([exam_id])
    assert cells_of(exam_id) == folded
    db.rollback()


def test_a_large_fold_batch_is_one_statement_of_arrays(db):
    """A storm's pass over a national tree: 3,000 cells x 23 columns is more than the 65,535 bind
    parameters a PostgreSQL statement may carry as a multi-row VALUES; bound as arrays it is 23."""
    from datetime import UTC, datetime

    from sqlalchemy import func, select

    from exam_server.indicators.deltas import write
    from exam_server.indicators.models import CELL_COUNTERS, IndicatorCell, IndicatorExam, IndicatorScoreBin

    db.add(IndicatorExam(exam_id=77, title="x", subject="math", grade=12, school_year="2026-2027",
                         month="2026-12", opens_at=datetime(2026, 12, 1, tzinfo=UTC), revision=0))
    db.flush()
    cells = {(77, unit, ""): [1] * len(CELL_COUNTERS) for unit in range(1, 3001)}
    bins = {(77, unit, "", 500): 2 for unit in range(1, 3001)}
    with _Counted(db) as statements:
        assert write(cells, bins) == {77}
    assert len(statements) <= MOST_PER_FOLD[db.get_bind().dialect.name] - 1, statements
    assert max(len(s) for s in statements) < 10_000
    write(cells, bins)          # onto the same rows: the conflict branch adds
    assert db.scalar(select(func.sum(IndicatorCell.registered)).where(IndicatorCell.exam_id == 77)) == 6000
    assert db.scalar(select(func.sum(IndicatorScoreBin.n)).where(IndicatorScoreBin.exam_id == 77)) == 12000
    assert db.scalar(select(IndicatorExam.revision).where(IndicatorExam.exam_id == 77)) == 2
    db.rollback()
