"""Assemble parallel exam forms ("mã đề") from a blueprint and a pool of approved item versions.

    result = assemble(blueprint, pool, n_forms=4, max_overlap=3, difficulty_tolerance=0.02, seed=7)
    for form in result.forms: form.code, form.items  # "101", ((version_id, points), ...)

Every form holds exactly the blueprint's cells; versions of one item never share a form; any two
forms share at most `max_overlap` items (None: as few as the pool allows) and their mean
difficulties lie within `difficulty_tolerance` of each other. Total sharing is always minimised;
the seed only chooses among equally good answers, and the same inputs and seed give the same forms
(unless the time limit cuts the search short: then the answer depends on the machine's speed).
"""
from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Any

from item_bank.assembly._checks import AssemblyError, overlap_floor, shortages
from item_bank.assembly.blueprint import Blueprint, coerce_level, normalise_label
from item_bank.assembly.information import item_information
from item_bank.model import CognitiveLevel

if TYPE_CHECKING:
    from item_bank.assembly import _milp

VersionId = int | str

__all__ = ["AssemblyError", "AssemblyResult", "AssemblyStats", "Form", "PoolItem", "assemble"]


@dataclass(frozen=True)
class PoolItem:
    """One approved item version the assembler may use. `difficulty` 0 (easy) .. 1 (hard); an
    item without an estimate counts as 0.5. `irt`: calibrated parameters (see information.py),
    used only when the blueprint has an information target."""

    version_id: VersionId
    item_id: str
    topic: str
    cognitive_level: CognitiveLevel
    item_type: str
    difficulty: float | None = None
    irt: dict | None = None


@dataclass(frozen=True)
class Form:
    """One "mã đề". `index` is 0-based; `items` are (version_id, points) in blueprint row order,
    then by version id."""

    index: int
    code: str
    items: tuple[tuple[VersionId, float], ...]

    @property
    def version_ids(self) -> list[VersionId]:
        return [v for v, _ in self.items]


@dataclass(frozen=True)
class AssemblyStats:
    pairwise_overlaps: dict[tuple[str, str], int]   # (code, code) -> shared items
    mean_difficulties: dict[str, float]             # code -> mean difficulty
    max_overlap: int
    total_overlap: int
    difficulty_spread: float                        # max - min mean difficulty
    overlap_limit: int | None                       # the limit applied, in items
    solve_seconds: float
    solver_status: str                              # optimal | feasible (stopped on time)
    solver_runs: int                                # CBC runs (lazy pair constraints add runs)


@dataclass(frozen=True)
class AssemblyResult:
    forms: list[Form]
    stats: AssemblyStats


def assemble(blueprint: Blueprint, pool: Sequence[PoolItem], n_forms: int, *,
             max_overlap: float | None = None, difficulty_tolerance: float | None = 0.05,
             seed: int | str = 0, time_limit: float = 60.0, first_code: int = 101) -> AssemblyResult:
    """`max_overlap`: an int is a number of items, a float in [0, 1] a fraction of the form's items
    (rounded down); None minimises sharing without a hard limit. `difficulty_tolerance` None: no
    band. `time_limit` in seconds bounds the solve; diagnosing an infeasible request may take as
    long again. Raises AssemblyError (a ValueError) with `code` and `details`."""
    started = time.monotonic()
    if isinstance(n_forms, bool) or not isinstance(n_forms, int) or n_forms < 1:
        raise AssemblyError(f"n_forms must be a whole number >= 1, got {n_forms!r}", code="invalid_request")
    if not isinstance(time_limit, (int, float)) or not time_limit > 0:
        raise AssemblyError(f"time_limit must be > 0 seconds, got {time_limit!r}", code="invalid_request")
    cap = _overlap_cap(max_overlap, blueprint.n_items)
    tolerance = _tolerance(difficulty_tolerance)
    pool = _checked_pool(pool)
    problem = _problem(blueprint, pool, n_forms, seed)

    short = information_shortages(blueprint, problem)
    if short:
        raise AssemblyError("; ".join(s["message"] for s in short), code="information_short",
                            details={"shortages": short})
    missing = shortages(blueprint, pool, problem)
    if missing:
        raise AssemblyError("; ".join(s["message"] for s in missing), code="cell_short",
                            details={"shortages": missing})
    floor = overlap_floor(blueprint, problem)
    if cap is not None and floor["at_least"] > cap:
        raise AssemblyError(floor_message(cap, max_overlap, floor, n_forms, blueprint.n_items),
                            code="overlap_infeasible", details={**floor, "max_overlap": cap})

    # PuLP is imported here, not at module level: blueprints and papers (shuffle) work without it,
    # e.g. on a kiosk, and `import item_bank.assembly` stays cheap.
    from item_bank.assembly import _milp

    deadline = started + time_limit
    outcome = _milp.solve(problem, overlap_cap=cap, tolerance=tolerance, deadline=deadline,
                          disjoint_first=floor["forced_total"] == 0)
    if outcome.forms is None and blueprint.information_target and outcome.status == "infeasible":
        raise AssemblyError("no forms meet the test information target together with the other limits: "
                            "lower the target, relax max_overlap or difficulty_tolerance, or calibrate more "
                            "items", code="information_infeasible",
                            details={"information_target": [p.to_dict() for p in blueprint.information_target]})
    if outcome.forms is None:
        from item_bank.assembly._diagnose import explain  # only on failure: keeps the happy path lean
        raise explain(outcome, problem, cap, tolerance, time_limit)
    return _result(blueprint, pool, problem, outcome, cap, first_code, time.monotonic() - started)


def floor_message(cap: int, asked: Any, floor: dict, n_forms: int, n_items: int) -> str:
    cells = ", ".join(f"{c['cell']} has {c['available']} items for {c['slots']} places"
                      for c in floor["tight_cells"][:4])
    asked_text = f"{asked}" if isinstance(asked, int) else f"{asked} ({cap} items)"
    return (f"max_overlap {asked_text} cannot be met: {n_forms} forms of {n_items} items "
            f"from this pool must share at least {floor['at_least']} items on some pair of forms "
            f"({cells}). Raise max_overlap to at least {floor['at_least']}, assemble fewer forms, "
            f"or add items to those cells.")


def _overlap_cap(max_overlap: float | None, n_items: int) -> int | None:
    if max_overlap is None:
        return None
    if isinstance(max_overlap, bool) or not isinstance(max_overlap, (int, float)):
        raise AssemblyError(f"max_overlap must be a number or None, got {max_overlap!r}",
                            code="invalid_request")
    if isinstance(max_overlap, int):
        if max_overlap < 0:
            raise AssemblyError(f"max_overlap must be >= 0, got {max_overlap}", code="invalid_request")
        return max_overlap
    if not 0 <= max_overlap <= 1:
        raise AssemblyError(f"a fractional max_overlap must be within 0..1, got {max_overlap}; "
                            "pass an int for a number of items", code="invalid_request")
    # 0.1 * 30 is 3.0000000000000004 in binary: the epsilon keeps floor() from losing an item.
    return math.floor(max_overlap * n_items + 1e-9)


def _tolerance(value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise AssemblyError(f"difficulty_tolerance must be within 0..1 or None, got {value!r}",
                            code="invalid_request")
    return float(value)


def _checked_pool(pool: Sequence[PoolItem]) -> list[PoolItem]:
    seen: set = set()
    out = []
    for n, item in enumerate(pool):
        if not isinstance(item, PoolItem):
            raise AssemblyError(f"pool[{n}] is not a PoolItem", code="invalid_pool")
        if item.version_id in seen:
            raise AssemblyError(f"version {item.version_id!r} appears twice in the pool", code="invalid_pool")
        seen.add(item.version_id)
        d = item.difficulty
        if d is not None and (isinstance(d, bool) or not isinstance(d, (int, float)) or not 0 <= d <= 1):
            raise AssemblyError(f"version {item.version_id!r}: difficulty must be within 0..1, got {d!r}",
                                code="invalid_pool")
        try:
            level = coerce_level(item.cognitive_level)
        except ValueError:
            raise AssemblyError(f"version {item.version_id!r}: unknown cognitive level "
                                f"{item.cognitive_level!r}", code="invalid_pool") from None
        out.append(item if level is item.cognitive_level else
                   PoolItem(item.version_id, item.item_id, item.topic, level, item.item_type, d, item.irt))
    return out


def version_key(version_id: VersionId) -> tuple:
    """Sort ids numerically when they are ints, after them by text: a mixed pool still sorts."""
    return (0, version_id, "") if isinstance(version_id, int) else (1, 0, str(version_id))


def _problem(blueprint: Blueprint, pool: list[PoolItem], n_forms: int, seed: int | str) -> _milp.Problem:
    from item_bank.assembly import _milp

    # Sorting makes the model (and so the answer) independent of the order the pool arrives in.
    order = sorted(range(len(pool)), key=lambda k: version_key(pool[k].version_id))
    row_of = {row.cell: r for r, row in enumerate(blueprint.rows)}
    cells: list[list[int]] = [[] for _ in blueprint.rows]
    item_index: dict[str, int] = {}
    item_of, difficulty = [], []
    for v, k in enumerate(order):
        item = pool[k]
        key = (normalise_label(item.topic), item.cognitive_level, normalise_label(item.item_type))
        if key in row_of:
            cells[row_of[key]].append(v)
        item_of.append(item_index.setdefault(item.item_id, len(item_index)))
        difficulty.append(0.5 if item.difficulty is None else float(item.difficulty))
    # random.Random seeds a str through SHA-512, not hash(): stable across runs and processes.
    rng = random.Random(f"assembly/{seed!r}")
    scale = _milp.TIEBREAK_TOTAL / max(1, n_forms * blueprint.n_items)
    tiebreak = [[rng.random() * scale for _ in range(n_forms)] for _ in order]
    thetas = [point.theta for point in blueprint.information_target]
    information = [item_information(pool[k].irt, thetas) for k in order] if thetas else []
    targets = [(point.min, point.max) for point in blueprint.information_target]
    return _milp.Problem(cells, [row.count for row in blueprint.rows], difficulty, item_of,
                         n_forms, tiebreak, order, information, targets)


def information_shortages(blueprint: Blueprint, problem: _milp.Problem) -> list[dict]:
    """Points where even the most informative items of every cell fall short of the target."""
    out = []
    for t, point in enumerate(blueprint.information_target):
        best = sum(sum(sorted((problem.information[v][t] for v in cell), reverse=True)[:count])
                   for cell, count in zip(problem.cells, problem.counts))
        if best < point.min:
            out.append({"theta": point.theta, "min": point.min, "best": best,
                        "message": f"at θ = {point.theta:g} a form can reach at most {best:.2f} of the "
                                   f"{point.min:g} test information asked (items without calibration count 0)"})
    return out


def _result(blueprint: Blueprint, pool: list[PoolItem], problem: _milp.Problem, outcome: _milp.Outcome,
            cap: int | None, first_code: int, seconds: float) -> AssemblyResult:
    from item_bank.assembly._milp import shared_items

    forms = []
    for f, chosen in enumerate(outcome.forms):
        chosen_set = set(chosen)
        items = []
        for r, cell in enumerate(problem.cells):
            picked = sorted((pool[problem.order[v]].version_id for v in cell if v in chosen_set),
                            key=version_key)
            items += [(vid, blueprint.rows[r].points_each) for vid in picked]
            _require(len(picked) == blueprint.rows[r].count, f"form {f} row {r}: {len(picked)} items")
        item_ids = [problem.item_of[v] for v in chosen]
        _require(len(set(item_ids)) == len(item_ids) == len(items), f"form {f}: an item twice")
        forms.append(Form(f, str(first_code + f), tuple(items)))
    means = {form.code: sum(problem.difficulty[v] for v in outcome.forms[f]) / problem.n_items
             for f, form in enumerate(forms)}
    pairs = {(forms[f].code, forms[g].code): shared_items(problem, outcome.forms, f, g)
             for f, g in combinations(range(len(forms)), 2)}
    stats = AssemblyStats(
        pairwise_overlaps=pairs, mean_difficulties=means, max_overlap=max(pairs.values(), default=0),
        total_overlap=sum(pairs.values()), difficulty_spread=max(means.values()) - min(means.values()),
        overlap_limit=cap, solve_seconds=seconds, solver_status=outcome.status,
        solver_runs=outcome.iterations)
    return AssemblyResult(forms, stats)


def _require(condition: bool, what: str) -> None:
    # The solver's answer is read back from a file through float values; a form that breaks the
    # blueprint must never reach candidates, so check the hard rules once more.
    if not condition:
        raise RuntimeError(f"the solver returned forms that break the blueprint ({what})")
