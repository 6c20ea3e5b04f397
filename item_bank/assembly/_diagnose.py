"""Turn a solver's "infeasible" into advice: which limit to relax, and to what.

Each limit is dropped in turn and the rest re-solved, optimising the dropped quantity, so the
message can say "raise difficulty_tolerance to 0.175" instead of "no solution". Runs only after
a failure, within one more `time_limit`. When a diagnosis stops on time the figures it gives are
still sufficient (a solution exists with them), only perhaps not the least.
"""
from __future__ import annotations

import math
import time

from item_bank.assembly import _milp
from item_bank.assembly._checks import AssemblyError


def explain(outcome: _milp.Outcome, problem: _milp.Problem, cap: int | None, tolerance: float | None,
            time_limit: float) -> AssemblyError:
    if outcome.status == "time_limit":
        return AssemblyError(
            f"no set of forms found within the {time_limit:g} s time limit ({outcome.iterations} solver "
            "runs); raise time_limit, or relax max_overlap or difficulty_tolerance",
            code="time_limit", details={"time_limit": time_limit})
    deadline = time.monotonic() + time_limit

    def run(**kw) -> _milp.Outcome:
        kw.setdefault("overlap_cap", None)
        kw.setdefault("tolerance", None)
        return _milp.solve(problem, deadline=deadline, **kw)

    # Without an overlap limit identical forms always qualify (spread 0), so a failure involves
    # the limit: alone, or together with the difficulty band.
    if cap is None:
        return AssemblyError("the pool cannot fill the blueprint: some items have versions in several "
                             "cells and one item may appear only once per form", code="infeasible")
    closest = run(overlap_cap=cap, objective="spread")
    if closest.status == "time_limit":
        return AssemblyError(
            f"no forms meet max_overlap {cap} together with difficulty_tolerance {tolerance}, and the "
            f"diagnosis ran out of time finding out which to relax: try a larger max_overlap first",
            code="infeasible", details={"max_overlap": cap, "difficulty_tolerance": tolerance})
    if closest.forms is None or tolerance is None:
        least = run(objective="max_overlap")
        return AssemblyError(
            f"max_overlap {cap} cannot be met even without a difficulty band: the least sharing "
            f"possible on the worst pair of forms is {_items(_worst(problem, least))}. Raise max_overlap "
            f"to at least {_worst(problem, least)}, assemble fewer forms or add items to the bank.",
            code="overlap_infeasible", details={"max_overlap": cap, "least_possible": _worst(problem, least)})
    least = run(tolerance=tolerance, objective="max_overlap")
    return AssemblyError(
        f"max_overlap {cap} and difficulty_tolerance {tolerance:g} cannot both hold: with at most {cap} "
        f"shared items the mean difficulties get no closer than {_spread(closest)} apart, and within "
        f"{tolerance:g} of each other some pair of forms must share {_items(_worst(problem, least))}. "
        f"Relax one: difficulty_tolerance to {_spread(closest)} or max_overlap to {_worst(problem, least)}.",
        code="overlap_and_difficulty",
        details={"max_overlap": cap, "difficulty_tolerance": tolerance, "best_spread": closest.spread,
                 "least_overlap": _worst(problem, least)})


def _spread(outcome: _milp.Outcome) -> str:
    if outcome.spread is None:
        return "(unknown: the diagnosis ran out of time)"
    # Round up to 3 decimals so the advised tolerance really is enough.
    return f"{math.ceil(outcome.spread * 1000 - 1e-6) / 1000:.3f}"


def _worst(problem: _milp.Problem, outcome: _milp.Outcome) -> int | str:
    if outcome.forms is None:
        return "(unknown: the diagnosis ran out of time)"
    n = problem.n_forms
    return max((_milp.shared_items(problem, outcome.forms, f, g)
                for f in range(n) for g in range(f + 1, n)), default=0)


def _items(n: int | str) -> str:
    return f"{n} item" if n == 1 else f"{n} items"
