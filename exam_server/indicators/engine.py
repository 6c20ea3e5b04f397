"""The incremental engine: domain signals move candidates' facts, and the difference each move
makes to the pre-aggregated cells of every unit above the candidate is queued in the sender's
transaction (indicators.fold: it commits or rolls back with the change itself, nothing lost on a
crash) and folded into the cells soon after.

One signal, however many attempts it moves (a room started: hundreds), is one batch of a fixed
number of statements: the facts read with their units' ancestors (one join), then at the flush
the facts' UPDATE and one delta row queued. A scored attempt is three statements.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC

from sqlalchemy import select

from exam_server.core import signals
from exam_server.core.db import session
from exam_server.indicators.deltas import Side, cell_deltas
from exam_server.indicators.fold import enqueue
from exam_server.indicators.models import (
    CandidateFact,
    IndicatorExam,
    OrgUnit,
    OrgUnitAncestor,
)
from exam_server.indicators.rules import contribution


def school_year(opens_at) -> str:
    start = opens_at.year if opens_at.month >= 9 else opens_at.year - 1
    return f"{start}-{start + 1}"


# The terms of a school year by month: học kỳ 1 September to January, học kỳ 2 February to May,
# the summer (hè) June to August. The same UTC month the `month` dimension uses.
TERMS = {9: "HK1", 10: "HK1", 11: "HK1", 12: "HK1", 1: "HK1", 2: "HK2", 3: "HK2", 4: "HK2", 5: "HK2",
         6: "HE", 7: "HE", 8: "HE"}


def term_of(opens_at) -> str:
    return f"{school_year(opens_at)}-{TERMS[opens_at.month]}"


def ensure_exams(exam_ids: Iterable[int], *, refresh: bool = False) -> None:
    """The exams' dimension rows: made when first seen; with refresh, updated from the exams
    (an exam edited while a draft keeps its indicators under its new subject, grade, date)."""
    from exam_server.exams.stats import exam_facts

    ids = set(exam_ids)
    known = {e.exam_id: e for e in session.scalars(select(IndicatorExam).where(IndicatorExam.exam_id.in_(ids)))}
    for facts in exam_facts(ids if refresh else ids - known.keys()).values():
        opens = facts.opens_at.astimezone(UTC)
        row = known.get(facts.exam_id)
        if row is None:
            row = IndicatorExam(exam_id=facts.exam_id, revision=0)
            session.add(row)
        row.title, row.subject, row.grade, row.opens_at = facts.title, facts.subject, facts.grade, facts.opens_at
        row.school_year, row.month = school_year(opens), opens.strftime("%Y-%m")
        row.term = term_of(opens)
    session.flush()


def place_units(places) -> dict[int, tuple[int | None, str]]:
    """candidate id -> (unit id, school group) from the roster's school and class columns: the
    school by its code (mã trường) or exact name, the class by its name under that school."""
    schools_wanted = {p.school.strip() for p in places if p.school.strip()}
    if not schools_wanted:
        return {p.candidate_id: (None, "") for p in places}
    schools = session.execute(select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.school_group)
                              .where(OrgUnit.kind == "school",
                                     OrgUnit.code.in_(schools_wanted) | OrgUnit.name.in_(schools_wanted))).all()
    by_text = {}
    for row in schools:
        by_text.setdefault(row.name, row)
    for row in schools:
        by_text[row.code] = row            # a code wins over another school's name
    classes = {}
    if schools:
        for unit_id, parent_id, name in session.execute(
                select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.name)
                .where(OrgUnit.kind == "class", OrgUnit.parent_id.in_([s.id for s in schools]))):
            classes[(parent_id, name.strip().casefold())] = unit_id
    out = {}
    for p in places:
        school = by_text.get(p.school.strip())
        if school is None:
            out[p.candidate_id] = (None, "")
            continue
        unit = classes.get((school.id, p.class_name.strip().casefold()), school.id)
        out[p.candidate_id] = (unit, school.school_group or "")
    return out


def _facts(exam_id: int, candidate_ids: Iterable[int]) -> tuple[dict[int, CandidateFact], dict[int, list[int]]]:
    """The facts of these candidates, made (registered, and counted) for those not seen yet, and
    the ancestors of their units: one SELECT (the facts joined to the tree's closure)."""
    from exam_server.exams.stats import roster_places

    ids = set(candidate_ids)
    facts: dict[int, CandidateFact] = {}
    pairs: set[tuple[int, int]] = set()
    for fact, ancestor_id in session.execute(
            select(CandidateFact, OrgUnitAncestor.ancestor_id)
            .outerjoin(OrgUnitAncestor, OrgUnitAncestor.unit_id == CandidateFact.unit_id)
            .where(CandidateFact.candidate_id.in_(ids))):
        facts[fact.candidate_id] = fact
        if ancestor_id is not None:
            pairs.add((fact.unit_id, ancestor_id))
    ancestors: dict[int, list[int]] = defaultdict(list)
    for unit_id, ancestor_id in sorted(pairs):
        ancestors[unit_id].append(ancestor_id)
    missing = ids - facts.keys()
    if missing:
        ensure_exams([exam_id])
        places = roster_places(candidate_ids=missing)
        units = place_units(places)
        new = [CandidateFact(candidate_id=p.candidate_id, exam_id=p.exam_id, unit_id=units[p.candidate_id][0],
                             school_group=units[p.candidate_id][1], status="registered", chip_verified=False,
                             incidents=0, seconds_on_test=None, score_centi=None, result_version=0)
               for p in places]
        session.add_all(new)
        apply_changes([(None, f) for f in new])
        facts.update({f.candidate_id: f for f in new})
    return facts, ancestors


def _ancestors(unit_ids: set[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    if unit_ids:
        for unit_id, ancestor_id in session.execute(select(OrgUnitAncestor.unit_id, OrgUnitAncestor.ancestor_id)
                                                    .where(OrgUnitAncestor.unit_id.in_(unit_ids))
                                                    .order_by(OrgUnitAncestor.unit_id, OrgUnitAncestor.ancestor_id)):
            out[unit_id].append(ancestor_id)
    return out


def _side(fact: CandidateFact) -> Side:
    return Side(fact.exam_id, fact.unit_id, fact.school_group, contribution(fact), fact.score_centi)


def apply_changes(changes: list[tuple[Side | None, CandidateFact | None]],
                  ancestors: dict[int, list[int]] | None = None) -> None:
    """Queue (after - before) of every changed fact for the cells it belongs to (indicators.fold):
    the deltas of every affected cell are summed here, the queued row is written at the flush."""
    sides = [(before, _side(after) if after is not None else None) for before, after in changes]
    units = {s.unit_id for pair in sides for s in pair if s is not None and s.unit_id is not None}
    if ancestors is None or not units <= ancestors.keys():
        ancestors = _ancestors(units)
    enqueue(*cell_deltas(sides, ancestors))


def change(exam_id: int, candidate_ids: Iterable[int], mutate: Callable[[CandidateFact], None]) -> None:
    """Three statements for one changed attempt: its fact read with its units' ancestors, then at
    the flush the fact's UPDATE and the queued delta's INSERT."""
    facts, ancestors = _facts(exam_id, candidate_ids)
    changes = []
    for fact in facts.values():
        before = _side(fact)
        mutate(fact)
        changes.append((before, fact))
    apply_changes(changes, ancestors)


# --- receivers (connected at import; see core.signals for the rules) ----------------------------

def on_candidates_added(exam_id, candidate_ids, **_kw):
    _facts(exam_id, candidate_ids)


def on_attempts_moved(exam_id, moves, **_kw):
    status = {m.candidate_id: m.to_status for m in moves}     # the last move of each wins
    # A finishing move carries the time on test (no read of the attempts on the submit's path).
    seconds = {m.candidate_id: m.seconds_on_test for m in moves if m.seconds_on_test is not None}

    def mutate(fact):
        fact.status = status[fact.candidate_id]
        if fact.candidate_id in seconds:
            fact.seconds_on_test = seconds[fact.candidate_id]

    change(exam_id, status, mutate)


def on_result_stored(exam_id, candidate_id, version, score, **_kw):
    def mutate(fact):
        if version >= fact.result_version:
            fact.result_version, fact.score_centi = version, int(round(score * 100))
            fact.mastery_stale = True       # mastery.refresh counts its items, off this path

    change(exam_id, [candidate_id], mutate)


def on_incident_raised(exam_id, candidate_id, **_kw):
    def mutate(fact):
        fact.incidents = (fact.incidents or 0) + 1

    change(exam_id, [candidate_id], mutate)


def on_session_token_issued(exam_id, candidate_id, method, **_kw):
    if method != "chip":
        return

    def mutate(fact):
        fact.chip_verified = True

    change(exam_id, [candidate_id], mutate)


signals.candidates_added.connect(on_candidates_added)
signals.attempts_moved.connect(on_attempts_moved)
signals.result_stored.connect(on_result_stored)
signals.incident_raised.connect(on_incident_raised)
signals.session_token_issued.connect(on_session_token_issued)
