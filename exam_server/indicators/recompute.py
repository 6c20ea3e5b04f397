"""The full recompute (`exam-server indicators recompute`): facts rebuilt from the other packages'
read functions, then every cell and score bin rebuilt in bulk SQL (INSERT ... SELECT ... GROUP BY
through the tree's closure), never row by row; the deltas still queued for those exams are dropped
(the facts it counts hold them). It must give exactly what the incremental engine
keeps; tests/server/test_indicators_engine.py checks that on random data."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, insert, literal, select, text, update

from exam_server.core.db import session
from exam_server.indicators import mastery
from exam_server.indicators.engine import ensure_exams, place_units
from exam_server.indicators.fold import drop_queued
from exam_server.indicators.models import (
    ALL_GROUPS,
    ALL_UNITS,
    CELL_COUNTERS,
    CandidateFact,
    IndicatorCell,
    IndicatorExam,
    IndicatorScoreBin,
    OrgUnitAncestor,
)
from exam_server.indicators.rules import sql_counters


def rebuild_facts(exam_ids: Iterable[int]) -> int:
    """Every candidate fact of these exams, from the roster, attempts, check-ins, incidents and
    current results (a fixed number of statements per exam set)."""
    from exam_server.exams.stats import roster_places
    from exam_server.live.stats import attempt_facts, chip_verified, incident_counts
    from exam_server.results.stats import current_scores

    ids = list(exam_ids)
    ensure_exams(ids, refresh=True)
    places = roster_places(exam_ids=ids)
    units = place_units(places)
    attempts = {a.candidate_id: a for a in attempt_facts(exam_ids=ids)}
    incidents = incident_counts(ids)
    chips = chip_verified([p.candidate_id for p in places])
    scores = {s.candidate_id: s for s in current_scores(ids)}
    rows = []
    for p in places:
        attempt, score = attempts.get(p.candidate_id), scores.get(p.candidate_id)
        rows.append({"candidate_id": p.candidate_id, "exam_id": p.exam_id, "unit_id": units[p.candidate_id][0],
                     "school_group": units[p.candidate_id][1],
                     "status": attempt.status if attempt else "registered",
                     "chip_verified": p.candidate_id in chips, "incidents": incidents.get(p.candidate_id, 0),
                     "seconds_on_test": attempt.seconds_on_test if attempt else None,
                     "score_centi": int(round(score.score * 100)) if score else None,
                     "result_version": score.version if score else 0,
                     "mastery": None, "mastery_stale": score is not None})
    session.execute(delete(CandidateFact).where(CandidateFact.exam_id.in_(ids)))
    if rows:
        session.execute(insert(CandidateFact), rows)
    return len(rows)


def _grouped(exam_ids: list[int], by_unit: bool, by_group: bool, *columns):
    """SELECT exam, unit, group, *columns FROM facts [JOIN closure] GROUP BY exam, unit, group[, ...]:
    (every unit above the fact, or the whole exam) x (all schools, or the fact's school group)."""
    f = CandidateFact
    unit = OrgUnitAncestor.ancestor_id if by_unit else literal(ALL_UNITS)
    group = f.school_group if by_group else literal(ALL_GROUPS)
    query = select(f.exam_id, unit.label("unit_id"), group.label("school_group"), *columns)
    if by_unit:
        query = query.join(OrgUnitAncestor, OrgUnitAncestor.unit_id == f.unit_id)
    query = query.where(f.exam_id.in_(exam_ids))
    if by_group:
        query = query.where(f.school_group != "")
    # Only real columns are grouped by: a literal in GROUP BY is a position to PostgreSQL.
    return query, [f.exam_id, *([unit] if by_unit else []), *([group] if by_group else [])]


def rebuild_cells(exam_ids: Iterable[int]) -> None:
    ids = list(exam_ids)
    drop_queued(ids)
    session.execute(delete(IndicatorCell).where(IndicatorCell.exam_id.in_(ids)))
    session.execute(delete(IndicatorScoreBin).where(IndicatorScoreBin.exam_id.in_(ids)))
    f = CandidateFact
    counters = sql_counters(f)
    keys = ["exam_id", "unit_id", "school_group"]
    for by_unit in (True, False):
        for by_group in (False, True):
            query, group_by = _grouped(ids, by_unit, by_group, *[counters[n].label(n) for n in CELL_COUNTERS])
            session.execute(insert(IndicatorCell).from_select([*keys, *CELL_COUNTERS], query.group_by(*group_by)))
            query, group_by = _grouped(ids, by_unit, by_group, f.score_centi, func.count())
            query = query.where(f.score_centi.is_not(None)).group_by(*group_by, f.score_centi)
            session.execute(insert(IndicatorScoreBin).from_select([*keys, "score_centi", "n"], query))
    session.execute(update(IndicatorExam).where(IndicatorExam.exam_id.in_(ids))
                    .values(revision=IndicatorExam.revision + 1))
    if session.get_bind().dialect.name == "postgresql":
        # The tables were just rewritten: fresh statistics, or the planner may scan every cell of
        # the exam for one province (autovacuum would analyze them only later).
        session.execute(text("ANALYZE indicator_cells, indicator_score_bins, indicator_facts"))


def recompute(exam_ids: Iterable[int] | None = None, *, facts: bool = True) -> dict[str, int]:
    """Rebuild the facts (unless facts=False) and every cell of these exams (default: all)."""
    from exam_server.exams.stats import all_exam_ids

    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        # One snapshot for the facts it counts and the queued deltas it drops (a change committed
        # meanwhile stays queued and is folded onto the rebuilt cells, not counted twice).
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    ids = list(exam_ids) if exam_ids is not None else all_exam_ids()
    counted = rebuild_facts(ids) if facts else 0
    rebuild_cells(ids)
    mastery.rebuild(ids)
    session.flush()
    return {"exams": len(ids), "facts": counted}
