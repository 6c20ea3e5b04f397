"""The integer program behind form assembly, solved with CBC through PuLP.

Variables: x[v, f] = 1 when version v is on form f. Per form, each blueprint cell gets exactly its
count of matching versions and at most one version of an item. Items are compared by item, not
version: two forms holding different versions of one item share that item.

Overlap. The pairwise "shared items" of forms f and g needs a variable per item per pair, which is
~550,000 variables for 2,000 items and 24 forms: too big to write out. Three things keep it small:
* The total over all pairs is sum_i C(u_i, 2) with u_i the number of forms using item i. C(u, 2) is
  convex, so it is linear with increment variables w[i, k] (k = 2..n, cost k - 1, 0 <= w <= 1):
  u_i <= 1 + sum_k w[i, k]; the solver fills the cheap increments first. That is the objective.
* The per-pair limit is added lazily: solve, find the pairs over the limit, add y[i, f, g] >=
  z[i, f] + z[i, g] - 1 and sum_i y <= limit for those pairs only, solve again. Minimising the
  total already spreads sharing thin, so few rounds (usually none) are needed. y can be continuous:
  only its lower bound matters for a "<= limit" constraint.
* With a large bank the forms can usually share nothing: that is tried first with "each item on
  at most one form" instead of the sharing variables, half the model (see `solve`).
"""
from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from itertools import combinations

import pulp

# The tie-break costs of the chosen x add up to less than this, and CBC stops when within
# GAP_ABS of the bound, so a stop is optimal on the (integer) overlap count and only the order
# among equally good answers is left to the seed. Proving the tie-break optimal too is wasted time.
TIEBREAK_TOTAL = 0.4
GAP_ABS = 0.5
# Branch-and-bound nodes allowed to the share-nothing attempt before the full model takes over.
# A node count, not seconds, so the path taken (and the answer) is the same on every machine.
DISJOINT_NODES = 200


@dataclass
class Problem:
    """The assembly problem in indices. Versions are 0..V-1, items (groups of versions) 0..I-1."""

    cells: list[list[int]]        # per blueprint row: the versions that may fill it
    counts: list[int]             # per blueprint row: items per form
    difficulty: list[float]       # per version, 0..1
    item_of: list[int]            # per version: its item
    n_forms: int
    tiebreak: list[list[float]]   # per version, per form: a tiny seeded cost
    order: list[int] = field(default_factory=list)   # version index -> index in the caller's pool
    information: list[list[float]] = field(default_factory=list)   # per version: at each target θ
    info_targets: list[tuple[float, float | None]] = field(default_factory=list)   # (min, max) per θ

    @property
    def n_items(self) -> int:
        return sum(self.counts)


@dataclass
class Outcome:
    status: str                          # optimal | feasible | infeasible | time_limit
    forms: list[list[int]] | None = None  # per form: chosen versions
    spread: float | None = None          # for objective "spread": max - min mean difficulty
    iterations: int = 0                  # CBC runs
    seconds: float = 0.0
    pairs_constrained: int = 0           # pairs that needed an explicit overlap constraint
    notes: list[str] = field(default_factory=list)


def make_cbc(time_limit: float, gap_abs: float | None, max_nodes: int | None = None,
             first_solution: bool = False) -> pulp.LpSolver:
    """The CBC binary bundled in the PuLP wheel (no system package needed)."""
    with warnings.catch_warnings():
        # PuLP 3.x warns on construction that PULP_CBC_CMD leaves in PuLP 4.0 (bundled binary ->
        # `pulp[cbc]` + COIN_CMD). Scoped to this message only so any other warning still surfaces.
        warnings.filterwarnings("ignore", message=r"PULP_CBC_CMD is deprecated",
                                category=DeprecationWarning)
        return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapAbs=gap_abs, maxNodes=max_nodes,
                                 options=["maxSolutions 1"] if first_solution else None)


def solve(problem: Problem, *, overlap_cap: int | None, tolerance: float | None,
          objective: str = "overlap", deadline: float, disjoint_first: bool = False) -> Outcome:
    """Solve with `objective`: "overlap" (least total sharing, seeded tie-break), "spread" (closest
    mean difficulties) or "max_overlap" (least sharing on the worst pair).

    `disjoint_first` (when every cell has enough items for all forms without sharing): try forms
    that share nothing first. That model needs no sharing variables, so it is about half the size;
    any answer of it is optimal (sharing 0). If it has none within a node limit, solve in full."""
    started = time.monotonic()
    runs = 0
    if disjoint_first and objective == "overlap" and problem.n_forms > 1:
        out = _solve(_Model(problem, tolerance, objective, disjoint=True), None, deadline, DISJOINT_NODES)
        if out.forms is not None:
            out.seconds = time.monotonic() - started
            return out
        runs = out.iterations
    out = _solve(_Model(problem, tolerance, objective), overlap_cap, deadline, None)
    out.iterations += runs
    out.seconds = time.monotonic() - started
    return out


def _solve(model: _Model, overlap_cap: int | None, deadline: float, max_nodes: int | None) -> Outcome:
    """Solve, then add the pairwise limit for the pairs over it and solve again, until none is."""
    problem, objective = model.p, model.objective
    out = Outcome(status="infeasible")
    constrained: set[tuple[int, int]] = set()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0.05:
            out.status = "time_limit"
            break
        status = model.run(remaining, GAP_ABS if objective != "spread" else None, max_nodes)
        out.iterations += 1
        if model.disjoint and status == "feasible":
            status = "optimal"   # stopped at its first answer, which shares nothing: the least possible
        if status in ("infeasible", "time_limit"):
            out.status = status
            break
        forms = model.chosen()
        limit = overlap_cap if objective != "max_overlap" else model.max_overlap_value()
        over = [] if limit is None else [
            pair for pair in combinations(range(problem.n_forms), 2)
            if pair not in constrained and _shared(problem, forms, *pair) > limit]
        if not over:
            out.status, out.forms = status, forms
            out.spread = model.spread_value()
            break
        for pair in over:
            model.limit_pair(*pair, overlap_cap)
            constrained.add(pair)
    out.pairs_constrained = len(constrained)
    return out


def shared_items(problem: Problem, forms: list[list[int]], f: int, g: int) -> int:
    return _shared(problem, forms, f, g)


def _shared(problem: Problem, forms: list[list[int]], f: int, g: int) -> int:
    items_f = {problem.item_of[v] for v in forms[f]}
    return sum(1 for v in forms[g] if problem.item_of[v] in items_f)


def _expr(terms, constant: float = 0.0) -> pulp.LpAffineExpression:
    """A linear expression from (variable, coefficient) pairs. Building it from a dict is ~10x faster
    than lpSum(c * x), which matters at 100,000 terms; the dict also adds up repeated variables,
    which LpAffineExpression(list) would silently overwrite."""
    coefs: dict = {}
    for var, coef in terms:
        coefs[var] = coefs.get(var, 0.0) + coef
    return pulp.LpAffineExpression(coefs, constant=constant)


def _add(lp: pulp.LpProblem, terms, sense: int, rhs: float, name: str) -> None:
    lp.addConstraint(pulp.LpConstraint(_expr(terms), sense, name, rhs))


EQ, LE, GE = pulp.LpConstraintEQ, pulp.LpConstraintLE, pulp.LpConstraintGE


class _Model:
    def __init__(self, problem: Problem, tolerance: float | None, objective: str, disjoint: bool = False):
        self.p, self.objective, self.disjoint = problem, objective, disjoint
        n, forms = problem.n_forms, range(problem.n_forms)
        lp = self.lp = pulp.LpProblem("form_assembly", pulp.LpMinimize)
        versions = sorted(v for cell in problem.cells for v in cell)
        self.x = {(v, f): lp.add_variable(f"x_{v}_{f}", 0, 1, pulp.LpBinary)
                  for v in versions for f in forms}
        x = self.x
        self.versions_of: dict[int, list[int]] = {}
        for v in versions:
            self.versions_of.setdefault(problem.item_of[v], []).append(v)

        for f in forms:
            for r, cell in enumerate(problem.cells):
                _add(lp, ((x[v, f], 1) for v in cell), EQ, problem.counts[r], f"cell_{r}_{f}")
            for i, vs in self.versions_of.items():
                if len(vs) > 1:    # a single version is already at most once (binary)
                    _add(lp, ((x[v, f], 1) for v in vs), LE, 1, f"item_{i}_{f}")

        # Total sharing = sum_i C(u_i, 2), as increments (see the module docstring).
        sharing = []
        if disjoint:
            for i, vs in self.versions_of.items():
                _add(lp, [(x[v, f], 1) for v in vs for f in forms], LE, 1, f"use_{i}")
        elif n > 1:
            for i, vs in self.versions_of.items():
                w = [(lp.add_variable(f"w_{i}_{k}", 0, 1), k - 1) for k in range(2, n + 1)]
                _add(lp, [(x[v, f], 1) for v in vs for f in forms] + [(wk, -1) for wk, _ in w],
                     LE, 1, f"use_{i}")
                sharing += w
        self.sharing = sharing

        self.lo = self.width = None
        if tolerance is not None or objective == "spread":
            # Equal item counts per form, so equal means <=> sums within tolerance * n_items.
            self.lo = lp.add_variable("band_lo", 0, problem.n_items)
            if objective == "spread":
                self.width = lp.add_variable("band_width", 0, problem.n_items)
            for f in forms:
                # The form's difficulty sum as one variable: the 2 band rows stay short, which
                # halves the text PuLP writes for CBC (the long row is written once, not twice).
                load = lp.add_variable(f"load_{f}", 0, problem.n_items)
                _add(lp, [(x[v, f], problem.difficulty[v]) for v in versions] + [(load, -1)], EQ, 0,
                     f"load_{f}")
                _add(lp, [(load, 1), (self.lo, -1)], GE, 0, f"band_lo_{f}")
                if self.width is None:
                    _add(lp, [(load, 1), (self.lo, -1)], LE, tolerance * problem.n_items, f"band_hi_{f}")
                else:
                    _add(lp, [(load, 1), (self.lo, -1), (self.width, -1)], LE, 0, f"band_hi_{f}")

        # The test information target: per form and ability point, sum of item information in range.
        for t, (low, high) in enumerate(problem.info_targets):
            for f in forms:
                terms = [(x[v, f], problem.information[v][t]) for v in versions if problem.information[v][t]]
                if not terms:
                    continue    # no calibrated item: information_shortages has refused a positive min
                _add(lp, terms, GE, low, f"info_lo_{t}_{f}")
                if high is not None:
                    _add(lp, terms, LE, high, f"info_hi_{t}_{f}")

        self.m = None
        if objective == "overlap":
            tie = [(x[v, f], problem.tiebreak[v][f]) for v in versions for f in forms]
            lp.setObjective(_expr(sharing + tie))
        elif objective == "spread":
            lp.setObjective(_expr([(self.width, 1)]))
        elif objective == "max_overlap":
            # Integer worst-pair sharing m; total sharing <= m * pairs is a valid cut that keeps the
            # first rounds honest before any pair constraint exists.
            pairs = n * (n - 1) // 2
            self.m = lp.add_variable("max_shared", 0, problem.n_items, pulp.LpInteger)
            if pairs:
                _add(lp, sharing + [(self.m, -pairs)], LE, 0, "sharing_cut")
            lp.setObjective(_expr(sharing + [(self.m, pairs * problem.n_items + 1)]))
        else:
            raise ValueError(f"unknown objective {objective!r}")

    def limit_pair(self, f: int, g: int, cap: int | None) -> None:
        x, y = self.x, []
        for i, vs in self.versions_of.items():
            yi = self.lp.add_variable(f"y_{i}_{f}_{g}", 0, 1)
            # y_i >= z_if + z_ig - 1, i.e. y_i = 1 when both forms hold (a version of) item i.
            _add(self.lp, [(yi, 1)] + [(x[v, h], -1) for v in vs for h in (f, g)], GE, -1,
                 f"and_{i}_{f}_{g}")
            y.append((yi, 1))
        if self.m is not None:
            _add(self.lp, y + [(self.m, -1)], LE, 0, f"pair_{f}_{g}")
        else:
            _add(self.lp, y, LE, cap, f"pair_{f}_{g}")

    def run(self, remaining: float, gap_abs: float | None, max_nodes: int | None = None) -> str:
        # CBC reads whole seconds fine but not less than one; round up so a short budget still runs.
        # Every answer of the share-nothing model is optimal (sharing 0), so it may stop at the
        # first: CBC's heuristics otherwise keep polishing the tie-break for as long again.
        solver = make_cbc(max(1, math.ceil(remaining)), gap_abs, max_nodes, first_solution=self.disjoint)
        self.lp.solve(solver)
        if self.lp.status == pulp.LpStatusInfeasible:
            return "infeasible"
        if self.lp.sol_status == pulp.LpSolutionOptimal:
            return "optimal"
        if self.lp.sol_status == pulp.LpSolutionIntegerFeasible:
            return "feasible"   # stopped on the time or node limit with a solution in hand
        return "time_limit"     # stopped on a limit without a solution

    def chosen(self) -> list[list[int]]:
        forms: list[list[int]] = [[] for _ in range(self.p.n_forms)]
        for (v, f), var in self.x.items():
            if (var.varValue or 0) > 0.5:
                forms[f].append(v)
        return forms

    def max_overlap_value(self) -> int:
        return round(self.m.varValue or 0)

    def spread_value(self) -> float | None:
        return None if self.width is None else (self.width.varValue or 0.0) / self.p.n_items
