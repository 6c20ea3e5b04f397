"""Checks that need no solver: they catch the common failures fast and explain them in the
blueprint's own terms (a cell, a count), which a solver's "infeasible" cannot."""
from __future__ import annotations

import math
from typing import Any

from item_bank.assembly.blueprint import Blueprint


class AssemblyError(ValueError):
    """Forms cannot be assembled as asked. `code` is stable (cell_short, overlap_infeasible,
    overlap_and_difficulty, infeasible, time_limit, invalid_request, invalid_pool);
    `details` holds the numbers behind the message."""

    def __init__(self, message: str, code: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details or {}


def _distinct_items(problem, cell: list[int]) -> int:
    # Versions of one item are one item: they can never stand in for each other on a form.
    return len({problem.item_of[v] for v in cell})


def shortages(blueprint: Blueprint, pool, problem) -> list[dict[str, Any]]:
    """Cells the pool cannot fill even for a single form."""
    out = []
    for r, (row, cell) in enumerate(zip(blueprint.rows, problem.cells)):
        have = _distinct_items(problem, cell)
        if have >= row.count:
            continue
        versions = f" ({len(cell)} versions of {have} items)" if len(cell) > have else ""
        out.append({
            "row": r, "topic": row.topic, "cognitive_level": row.cognitive_level.value,
            "item_type": row.item_type, "needed": row.count, "available": have,
            "missing": row.count - have,
            "message": (f"cell {row.label} needs {row.count} items, the bank has {have} approved"
                        f"{versions}: {row.count - have} missing"),
        })
    return out


def overlap_floor(blueprint: Blueprint, problem) -> dict[str, Any]:
    """A lower bound on the worst pair's sharing, from counting alone.

    A cell with P items filled k at a time on n forms uses items n*k times; spread as evenly as
    possible that is at least sum C(u_i, 2) shared pairs, which the C(n, 2) pairs of forms divide
    among themselves. Also, any two forms drawing k from P share at least 2k - P of them."""
    n = problem.n_forms
    pairs = n * (n - 1) // 2
    total, per_pair, tight = 0, 0, []
    for row, cell in zip(blueprint.rows, problem.cells):
        have, slots = _distinct_items(problem, cell), n * row.count
        if not have or have >= slots or not pairs:
            continue
        q, r = divmod(slots, have)
        forced = r * math.comb(q + 1, 2) + (have - r) * math.comb(q, 2)
        total += forced
        per_pair += max(0, 2 * row.count - have)
        tight.append({"cell": row.label, "available": have, "slots": slots, "forced_sharing": forced})
    tight.sort(key=lambda c: -c["forced_sharing"])
    at_least = max(math.ceil(total / pairs), per_pair) if pairs else 0
    return {"at_least": at_least, "forced_total": total, "pairs": pairs, "tight_cells": tight}
