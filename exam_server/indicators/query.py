"""Reading indicators: filters to exams, pre-aggregated cells summed per unit (one indexed read of
a few rows per unit and exam, never the candidates), values, and small-cell suppression.

Suppression: a value computed over fewer than the indicator's minimum cell size is not shown
(primary). Among the rows that make up a shown total (a unit's children, or the school groups),
a single hidden row could be recovered as total minus the others, so the smallest other row is
hidden too (complementary); candidates of the total that are in no row (no class, no school
group) count as a hidden row when they are fewer than the minimum.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from exam_server.core.db import session
from exam_server.core.errors import ApiError, Forbidden, NotFound
from exam_server.indicators.models import (
    ALL_GROUPS,
    ALL_UNITS,
    CELL_COUNTERS,
    IndicatorCell,
    IndicatorExam,
    IndicatorScoreBin,
    OrgUnit,
)
from exam_server.indicators.registry import BY_CODE, REGISTRY, Indicator
from exam_server.indicators.units import may_see, scope_units

FILTERS = ("exam_id", "subject", "grade", "school_year", "term", "month")
GROUPS = ("urban", "suburban", "remote")


@dataclass
class Selection:
    exam_ids: list[int]
    revision: str            # changes whenever any selected exam's cells change: the ETag's base
    filters: dict[str, Any]
    school_group: str = ALL_GROUPS     # a filter: the values over that school group's schools only


def select_exams(args: dict[str, Any]) -> Selection:
    query = select(IndicatorExam.exam_id, IndicatorExam.revision).order_by(IndicatorExam.exam_id)
    filters: dict[str, Any] = {}
    for name in FILTERS:
        raw = args.get(name)
        if raw in (None, ""):
            continue
        if name in ("exam_id", "grade"):
            try:
                raw = int(raw)
            except (TypeError, ValueError):
                raise ApiError("bad_value", f"{name} must be a whole number.", 422, name) from None
        filters[name] = raw
        query = query.where(getattr(IndicatorExam, name) == raw)
    group = args.get("school_group") or ALL_GROUPS
    if group != ALL_GROUPS:
        if group not in GROUPS:
            raise ApiError("bad_value", f"school_group is one of {', '.join(GROUPS)}.", 422, "school_group")
        filters["school_group"] = group
    rows = session.execute(query).all()
    return Selection([r[0] for r in rows], ",".join(f"{r[0]}:{r[1]}" for r in rows), filters, group)


def resolve_unit(user, unit_arg: Any) -> OrgUnit | None:
    """The unit asked for (id or code), checked against the user's scope; None: every candidate
    (admins only). An official without a unit asked gets their first scope."""
    scopes = scope_units(user)
    if unit_arg in (None, "", "0", 0):
        if scopes is None:
            return None
        if not scopes:
            raise NotFound("No unit is assigned to you yet: ask an admin for a scope.", "unit")
        return scopes[0]
    unit_arg = str(unit_arg)
    unit = session.get(OrgUnit, int(unit_arg)) if unit_arg.isdigit() else \
        session.scalar(select(OrgUnit).where(OrgUnit.code == unit_arg))
    if unit is None:
        raise NotFound(f"No unit {unit_arg!r}.", "unit")
    if not may_see(user, unit):
        raise Forbidden("This unit is outside your scope.", "out_of_scope")
    return unit


def children(unit: OrgUnit | None) -> list[OrgUnit]:
    parent = None if unit is None else unit.id
    return list(session.scalars(select(OrgUnit).where(OrgUnit.parent_id.is_(parent) if parent is None
                                                      else OrgUnit.parent_id == parent).order_by(OrgUnit.code)))


def summed(exam_ids: list[int], unit_ids: list[int], *, by_group: bool = False, by_exam: bool = False,
           bins_too: bool = True, group: str = ALL_GROUPS):
    """Counters and score bins summed over the exams: {(unit, group[, exam]): counters}, {...: {score: n}};
    without by_group, only the cells of `group` (all schools by default)."""
    cells: dict[tuple, dict[str, int]] = {}
    bins: dict[tuple, dict[int, int]] = defaultdict(dict)
    if not exam_ids or not unit_ids:
        return cells, bins
    keys = [IndicatorCell.unit_id, IndicatorCell.school_group] + ([IndicatorCell.exam_id] if by_exam else [])
    where = [IndicatorCell.exam_id.in_(exam_ids), IndicatorCell.unit_id.in_(unit_ids)]
    if not by_group:
        where.append(IndicatorCell.school_group == group)
    query = select(*keys, *[func.sum(getattr(IndicatorCell, n)) for n in CELL_COUNTERS]).where(*where).group_by(*keys)
    width = len(keys)
    for row in session.execute(query):
        cells[tuple(row[:width])] = {n: int(v or 0) for n, v in zip(CELL_COUNTERS, row[width:])}
    if not bins_too:     # most indicators are ratios of the counters: the bins are many more rows
        return cells, bins
    b = IndicatorScoreBin
    bkeys = [b.unit_id, b.school_group] + ([b.exam_id] if by_exam else [])
    bwhere = [b.exam_id.in_(exam_ids), b.unit_id.in_(unit_ids)] + ([] if by_group else [b.school_group == group])
    for row in session.execute(select(*bkeys, b.score_centi, func.sum(b.n)).where(*bwhere)
                               .group_by(*bkeys, b.score_centi)):
        bins[tuple(row[:width])][row[width]] = int(row[width + 1])
    return cells, bins


def empty() -> dict[str, int]:
    return dict.fromkeys(CELL_COUNTERS, 0)


def value(indicator: Indicator, counters: dict[str, int] | None, bins: dict[int, int] | None) -> dict[str, Any]:
    value_, n = indicator.compute(counters or empty(), bins or {})
    shown = n >= indicator.min_cell
    return {"value": value_ if shown else None, "n": n if shown else None, "suppressed": not shown, "_n": n}


def complementary(total_n: int, rows: list[dict[str, Any]], min_cell: int) -> None:
    """Hide one more row where a single hidden row (or a small remainder) could be recovered."""
    if total_n < min_cell:
        return
    remainder = total_n - sum(r["_n"] for r in rows)
    # A hidden row of nobody reveals nothing about anybody: only rows with candidates count.
    hidden = sum(1 for r in rows if r["suppressed"] and r["_n"] > 0) + (1 if 0 < remainder < min_cell else 0)
    if hidden != 1:
        return
    candidates = [r for r in rows if not r["suppressed"] and r["_n"] > 0]
    if candidates:
        smallest = min(candidates, key=lambda r: r["_n"])
        smallest.update(value=None, n=None, suppressed=True, complementary=True)


def _unit_json(unit: OrgUnit | None) -> dict[str, Any]:
    if unit is None:
        return {"id": ALL_UNITS, "code": "", "name": "", "kind": "all", "school_group": "", "has_children": True}
    return {"id": unit.id, "code": unit.code, "name": unit.name, "kind": unit.kind, "school_group": unit.school_group}


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def table(indicator: Indicator, unit: OrgUnit | None, selection: Selection, by: str) -> dict[str, Any]:
    """One indicator for a unit (its total) and its rows: its children, or the school groups."""
    unit_id = ALL_UNITS if unit is None else unit.id
    group = selection.school_group
    if by == "children":
        kids = children(unit)
        cells, bins = summed(selection.exam_ids, [unit_id, *[k.id for k in kids]], bins_too=indicator.needs_bins,
                             group=group)
        rows = [{"unit": _unit_json(k), **value(indicator, cells.get((k.id, group)), bins.get((k.id, group)))}
                for k in kids]
    elif by == "school_group":
        group = ALL_GROUPS       # the rows are the groups: their total is every school's
        cells, bins = summed(selection.exam_ids, [unit_id], by_group=True, bins_too=indicator.needs_bins)
        rows = [{"school_group": g, **value(indicator, cells.get((unit_id, g)), bins.get((unit_id, g)))}
                for g in GROUPS]
    elif by == "none":
        cells, bins = summed(selection.exam_ids, [unit_id], group=group)
        rows = []
    else:
        raise ApiError("bad_value", "by is children, school_group or none.", 422, "by")
    total = value(indicator, cells.get((unit_id, group)), bins.get((unit_id, group)))
    complementary(total["_n"], rows, indicator.min_cell)
    return {"indicator": indicator.describe(), "unit": _unit_json(unit), "by": by, "filters": selection.filters,
            "exam_ids": selection.exam_ids, "total": _public(total), "rows": [_public(r) for r in rows]}


def summary(unit: OrgUnit | None, selection: Selection) -> dict[str, Any]:
    """Every indicator for a unit, the school groups' gap for score indicators, and the change
    against the previous comparable exam (same subject and grade) when one exam is selected."""
    unit_id = ALL_UNITS if unit is None else unit.id
    group = selection.school_group
    cells, bins = summed(selection.exam_ids, [unit_id], by_group=True)
    out: dict[str, Any] = {}
    previous = _previous_exam(selection)
    prev_cells, prev_bins = summed([previous.exam_id], [unit_id], group=group) if previous else ({}, {})
    for indicator in REGISTRY:
        everyone = value(indicator, cells.get((unit_id, ALL_GROUPS)), bins.get((unit_id, ALL_GROUPS)))
        groups = [{"school_group": g, **value(indicator, cells.get((unit_id, g)), bins.get((unit_id, g)))}
                  for g in GROUPS]
        complementary(everyone["_n"], groups, indicator.min_cell)
        # With a school-group filter the card is that group's row (suppressed as it is in the groups).
        total = everyone if group == ALL_GROUPS else next(g for g in groups if g["school_group"] == group)
        entry = {**{k: v for k, v in _public(total).items() if k != "school_group"},
                 "groups": [_public(g) for g in groups]}
        if indicator.score:
            shown = [g["value"] for g in groups if not g["suppressed"] and g["value"] is not None]
            entry["group_gap"] = round(max(shown) - min(shown), 2) if len(shown) >= 2 else None
        if previous is not None and indicator.unit != "distribution":
            before = value(indicator, prev_cells.get((unit_id, group)), prev_bins.get((unit_id, group)))
            entry["previous"] = before["value"]
            entry["change"] = (round(entry["value"] - before["value"], 2)
                               if entry["value"] is not None and before["value"] is not None else None)
        out[indicator.code] = entry
    return {"unit": _unit_json(unit), "filters": selection.filters, "exam_ids": selection.exam_ids,
            "previous_exam_id": previous.exam_id if previous else None, "indicators": out}


def _previous_exam(selection: Selection) -> IndicatorExam | None:
    if len(selection.exam_ids) != 1:
        return None
    this = session.get(IndicatorExam, selection.exam_ids[0])
    return session.scalar(select(IndicatorExam).where(IndicatorExam.subject == this.subject,
                                                      IndicatorExam.grade == this.grade,
                                                      IndicatorExam.opens_at < this.opens_at)
                          .order_by(IndicatorExam.opens_at.desc()).limit(1))


def trend(indicator: Indicator, unit: OrgUnit | None, selection: Selection) -> list[dict[str, Any]]:
    """The indicator per selected exam, in the order the exams opened."""
    unit_id = ALL_UNITS if unit is None else unit.id
    group = selection.school_group
    cells, bins = summed(selection.exam_ids, [unit_id], by_exam=True, bins_too=indicator.needs_bins, group=group)
    exams = session.scalars(select(IndicatorExam).where(IndicatorExam.exam_id.in_(selection.exam_ids))
                            .order_by(IndicatorExam.opens_at)) if selection.exam_ids else []
    return [{"exam_id": e.exam_id, "title": e.title, "opens_at": e.opens_at.isoformat(),
             **_public(value(indicator, cells.get((unit_id, group, e.exam_id)),
                             bins.get((unit_id, group, e.exam_id))))} for e in exams]


def indicator_for(code: Any) -> Indicator:
    if code not in BY_CODE:
        raise ApiError("no_such_indicator", f"No indicator {code!r} (see /api/v1/indicators/definitions).", 422,
                       "code")
    return BY_CODE[code]
