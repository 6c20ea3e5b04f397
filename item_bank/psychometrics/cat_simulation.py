"""Simulated adaptive tests: bias, RMSE, test length and item exposure of a pool under rules, and
Sympson-Hetter exposure parameters.

    report = simulate_cat(pool, rules, n=1000, seed=1)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from item_bank.psychometrics.cat import CatPool, CatRules, CatState, next_item, update


@dataclass
class CatSimulation:
    n: int
    bias: float
    rmse: float
    mean_length: float
    min_length: int
    max_length: int
    max_exposure: float
    exposure: dict[str, float]
    unused_items: int
    mean_se: float

    def to_dict(self) -> dict:
        return {"n": self.n, "bias": self.bias, "rmse": self.rmse, "mean_length": self.mean_length,
                "min_length": self.min_length, "max_length": self.max_length, "max_exposure": self.max_exposure,
                "unused_items": self.unused_items, "mean_se": self.mean_se, "exposure": self.exposure}


def run_one(pool: CatPool, rules: CatRules, theta: float, seed, rng: np.random.Generator,
            selected: np.ndarray | None = None) -> CatState:
    state = CatState.start(seed, rules)
    while (choice := next_item(state, pool, rules)) is not None:
        j = pool.index[choice.item_id]
        if selected is not None:
            for refused in choice.refused:
                selected[pool.index[refused]] += 1
            selected[j] += 1
        p = _probability(pool, j, theta)
        score = int((rng.random() > np.cumsum(p)[:-1]).sum())
        state = update(state, pool, choice, score)
    return state


def _probability(pool: CatPool, j: int, theta: float) -> np.ndarray:
    item = pool.items[j]
    from item_bank.psychometrics import models

    return models.probabilities(item.family, np.array([item.a]), np.array([item.d]),
                                None if item.gamma is None else np.array([item.gamma]),
                                np.array([theta]))[0, :, 0]


def simulate_cat(pool: CatPool, rules: CatRules, n: int = 1000, seed: int = 1,
                 thetas: np.ndarray | None = None) -> CatSimulation:
    rng = np.random.default_rng(seed)
    thetas = rng.normal(rules.prior_mean, rules.prior_sd, n) if thetas is None else np.asarray(thetas, float)
    estimates, lengths, ses = [], [], []
    given = np.zeros(len(pool))
    for i, theta in enumerate(thetas):
        state = run_one(pool, rules, float(theta), f"sim-{seed}-{i}", rng)
        estimates.append(state.theta)
        ses.append(state.se)
        lengths.append(len(state.administered))
        for item_id in state.administered:
            given[pool.index[item_id]] += 1
    error = np.array(estimates) - thetas
    rates = given / len(thetas)
    return CatSimulation(len(thetas), float(error.mean()), float(np.sqrt((error ** 2).mean())),
                         float(np.mean(lengths)), int(min(lengths)), int(max(lengths)), float(rates.max()),
                         {item.id: float(r) for item, r in zip(pool.items, rates)}, int((given == 0).sum()),
                         float(np.mean(ses)))


def sympson_hetter_parameters(pool: CatPool, rules: CatRules, r_max: float = 0.25, n: int = 500,
                              iterations: int = 8, seed: int = 1) -> dict[str, float]:
    """K_i such that no item is given to more than about r_max of candidates: iterate simulations,
    K_i = r_max / P(selected) where that exceeds r_max, else 1."""
    k = np.ones(len(pool))
    for it in range(iterations):
        trial = CatPool(pool.items, dict(zip([i.id for i in pool.items], pool.cell)),
                        {item.id: float(v) for item, v in zip(pool.items, k)})
        rng = np.random.default_rng([seed, it])
        selected = np.zeros(len(pool))
        for i, theta in enumerate(rng.normal(rules.prior_mean, rules.prior_sd, n)):
            run_one(trial, rules, float(theta), f"sh-{seed}-{it}-{i}", rng, selected)
        rate = selected / n
        k = np.where(rate > r_max, r_max / np.maximum(rate, 1e-12), 1.0)
    return {item.id: float(v) for item, v in zip(pool.items, k)}
