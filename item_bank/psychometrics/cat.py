"""Computerized adaptive testing: a pure, deterministic engine the server calls after each
acknowledged answer.

    pool = CatPool(items, cells={"q1": "Đạo hàm/nhan_biet", ...})
    rules = CatRules(max_items=30, se_target=0.3, exposure="randomesque", cells={"Đạo hàm/nhan_biet": 10, ...})
    state = CatState.start(seed="exam-12/candidate-7")
    while (choice := next_item(state, pool, rules)) is not None:
        score = ask(choice.item_id)                       # the candidate answers
        state = update(state, pool, choice, score)        # new state: EAP θ and its SE
    state.theta, state.se                                  # the section's result

Selection: maximum Fisher information at the current EAP, among the items of the blueprint cell
that is furthest below its target share (Kingsbury and Zara's constrained CAT), with exposure
control: "randomesque" picks at random among the `randomesque_n` most informative items (Kingsbury
and Zara 1989); "sympson_hetter" offers items in order of information and administers each with
its probability K_i (Sympson and Hetter 1985; `sympson_hetter_parameters` sets K_i by
simulation), an item refused for a candidate is not offered again. Stopping: `max_items`, or the
EAP's standard error at most `se_target` once `min_items` are given, or nothing left to give.

The state is plain data (`to_dict` / `from_dict`, JSON-safe); every random draw comes from
SHA-256 of the seed and the step, so the same seed and answers give the same test anywhere.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from item_bank.psychometrics.data import PsychometricsError
from item_bank.psychometrics.params import ItemEstimate
from item_bank.psychometrics.quadrature import normal
from item_bank.psychometrics.scoring import ItemSet

EXPOSURE_METHODS = ("none", "randomesque", "sympson_hetter")


@dataclass(frozen=True)
class CatRules:
    max_items: int = 30
    min_items: int = 5
    se_target: float | None = 0.3
    exposure: str = "randomesque"
    randomesque_n: int = 5
    cells: dict[str, int] | None = None          # blueprint cell -> items wanted (shares matter)
    prior_mean: float = 0.0
    prior_sd: float = 1.0

    def __post_init__(self):
        if self.exposure not in EXPOSURE_METHODS:
            raise PsychometricsError(f"exposure must be one of {', '.join(EXPOSURE_METHODS)}", "bad_rules")
        if self.max_items < 1 or self.min_items < 0 or self.min_items > self.max_items:
            raise PsychometricsError("need 0 <= min_items <= max_items, max_items >= 1", "bad_rules")
        if self.se_target is not None and self.se_target <= 0:
            raise PsychometricsError("se_target must be > 0", "bad_rules")
        if self.randomesque_n < 1:
            raise PsychometricsError("randomesque_n must be >= 1", "bad_rules")


class CatPool:
    """Calibrated items, each optionally in a blueprint cell, with Sympson-Hetter parameters."""

    def __init__(self, items: list[ItemEstimate], cells: dict[str, str] | None = None,
                 exposure_k: dict[str, float] | None = None):
        self.items = list(items)
        self.set = ItemSet(self.items)
        self.index = {item.id: j for j, item in enumerate(self.items)}
        cells = cells or {}
        self.cell = [cells.get(item.id) for item in self.items]
        k = exposure_k or {}
        self.k = np.array([float(k.get(item.id, 1.0)) for item in self.items])
        self.quad = normal()
        self._probs = self.set.probabilities(self.quad.points)     # per item (K, Q), reused

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class CatState:
    seed: str
    administered: tuple[str, ...] = ()
    scores: tuple[int, ...] = ()          # category codes (0..K-1) of the answers, in order
    refused: tuple[str, ...] = ()         # Sympson-Hetter: offered but not given to this candidate
    theta: float = 0.0
    se: float = 1.0

    @classmethod
    def start(cls, seed: Any, rules: CatRules | None = None) -> CatState:
        rules = rules or CatRules()
        return cls(str(seed), theta=rules.prior_mean, se=rules.prior_sd)

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "administered": list(self.administered), "scores": list(self.scores),
                "refused": list(self.refused), "theta": self.theta, "se": self.se}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CatState:
        return cls(str(data["seed"]), tuple(map(str, data.get("administered", ()))),
                   tuple(int(s) for s in data.get("scores", ())), tuple(map(str, data.get("refused", ()))),
                   float(data.get("theta", 0.0)), float(data.get("se", 1.0)))


@dataclass(frozen=True)
class Choice:
    item_id: str
    information: float
    cell: str | None
    refused: tuple[str, ...] = field(default_factory=tuple)   # refused by the exposure lottery this step


def _rng(state: CatState, purpose: str) -> np.random.Generator:
    text = json.dumps([state.seed, len(state.administered), purpose])
    return np.random.default_rng(int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big"))


def stop_reason(state: CatState, pool: CatPool, rules: CatRules) -> str | None:
    n = len(state.administered)
    if n >= rules.max_items:
        return "max_items"
    if rules.se_target is not None and n >= max(rules.min_items, 1) and state.se <= rules.se_target:
        return "se_target"
    if n + len(state.refused) >= len(pool):
        return "pool_exhausted"
    return None


def _target_cell(state: CatState, pool: CatPool, rules: CatRules, eligible: np.ndarray) -> str | None:
    if not rules.cells:
        return None
    total = sum(rules.cells.values())
    given: dict[str, int] = {}
    for item_id in state.administered:
        cell = pool.cell[pool.index[item_id]]
        given[cell] = given.get(cell, 0) + 1
    n = len(state.administered) + 1
    available = {pool.cell[j] for j in np.nonzero(eligible)[0]}
    ranked = sorted(rules.cells, key=lambda c: (given.get(c, 0) / n - rules.cells[c] / total, c))
    return next((c for c in ranked if c in available), None)


def next_item(state: CatState, pool: CatPool, rules: CatRules) -> Choice | None:
    """The next item to give, or None when the test should stop (see `stop_reason`)."""
    if stop_reason(state, pool, rules):
        return None
    eligible = np.ones(len(pool), dtype=bool)
    for item_id in (*state.administered, *state.refused):
        eligible[pool.index[item_id]] = False
    cell = _target_cell(state, pool, rules, eligible)
    if cell is not None:
        eligible &= np.array([c == cell for c in pool.cell])
    candidates = np.nonzero(eligible)[0]
    if not len(candidates):
        return None
    info = pool.set.information([state.theta])[:, 0]
    ranked = candidates[np.argsort(-info[candidates], kind="stable")]
    refused: list[str] = []
    if rules.exposure == "randomesque":
        top = ranked[:rules.randomesque_n]
        pick = int(top[_rng(state, "randomesque").integers(len(top))])
    elif rules.exposure == "sympson_hetter":
        rng = _rng(state, "sympson_hetter")
        pick = int(ranked[-1])
        for j in ranked:
            if rng.random() <= pool.k[j]:
                pick = int(j)
                break
            refused.append(pool.items[j].id)
    else:
        pick = int(ranked[0])
    return Choice(pool.items[pick].id, float(info[pick]), pool.cell[pick], tuple(refused))


def update(state: CatState, pool: CatPool, choice: Choice | str, score: int) -> CatState:
    """The state after the candidate's answer to `choice` (category code 0..K-1): a new EAP."""
    item_id = choice.item_id if isinstance(choice, Choice) else str(choice)
    refused = choice.refused if isinstance(choice, Choice) else ()
    if item_id not in pool.index:
        raise PsychometricsError(f"item {item_id!r} is not in the pool", "unknown_item")
    if item_id in state.administered:
        raise PsychometricsError(f"item {item_id!r} was already given", "repeated_item")
    k = pool.items[pool.index[item_id]].n_categories
    if not isinstance(score, (int, np.integer)) or not 0 <= score < k:
        raise PsychometricsError(f"score must be a category 0..{k - 1}", "bad_score")
    administered = (*state.administered, item_id)
    scores = (*state.scores, int(score))
    theta, se = _eap(pool, administered, scores, state)
    return replace(state, administered=administered, scores=scores, refused=(*state.refused, *refused),
                   theta=theta, se=se)


def _eap(pool: CatPool, administered, scores, state: CatState, rules: CatRules | None = None):
    quad = pool.quad
    log_post = np.log(quad.weights).copy()
    for item_id, score in zip(administered, scores):
        log_post += np.log(pool._probs[pool.index[item_id]][score])
    post = np.exp(log_post - log_post.max())
    post /= post.sum()
    mean = float(post @ quad.points)
    return mean, float(np.sqrt(max(post @ quad.points ** 2 - mean ** 2, 0.0)))
