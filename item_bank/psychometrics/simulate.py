"""Simulated responses from known parameters: for recovery tests, the benchmark and CAT studies.

    true = generating_items("2pl", 100, rng)
    scores = simulate(true, theta, rng)          # (N, J) integer scores
"""
from __future__ import annotations

import numpy as np

from item_bank.psychometrics import models
from item_bank.psychometrics.params import ItemEstimate


def generating_items(model: str, n_items: int, rng: np.random.Generator, n_categories: int = 4) -> list[ItemEstimate]:
    """Plausible item parameters: a ~ lognormal(0, 0.25), b ~ N(0, 1), c ~ U(0.1, 0.3), GRM
    thresholds ordered around b, GPCM steps spread around b."""
    family = {"rasch": "2pl", "1pl": "2pl"}.get(model, model)
    a = np.ones(n_items) if model == "rasch" else (np.full(n_items, float(np.exp(rng.normal(0, 0.25))))
                                                   if model == "1pl" else np.exp(rng.normal(0, 0.25, n_items)))
    b = rng.normal(0, 1, n_items)
    items = []
    for j in range(n_items):
        if family in models.POLYTOMOUS:
            steps = np.sort(rng.normal(0, 0.6, n_categories - 1)) + np.linspace(-1, 1, n_categories - 1)
            thresholds = b[j] + steps - steps.mean()
            d = -a[j] * (np.cumsum(thresholds) if family == "gpcm" else thresholds)
            scores = tuple(float(s) for s in range(n_categories))
        else:
            d = np.array([-a[j] * b[j]])
            scores = (0.0, 1.0)
        gamma = float(np.log(c / (1 - c))) if (c := rng.uniform(0.1, 0.3)) and family == "3pl" else None
        items.append(ItemEstimate(f"i{j + 1:03d}", family, float(a[j]), tuple(map(float, d)), gamma, scores))
    return items


def simulate(items: list[ItemEstimate], theta: np.ndarray, rng: np.random.Generator,
             dtype=np.int8) -> np.ndarray:
    """Scores (category indices) of each simulee on each item, drawn from the model."""
    theta = np.asarray(theta, float)
    out = np.empty((len(theta), len(items)), dtype=dtype)
    for j, item in enumerate(items):
        p = models.probabilities(item.family, np.array([item.a]), np.array([item.d]),
                                 None if item.gamma is None else np.array([item.gamma]), theta)[0]   # (K, N)
        cum = np.cumsum(p, axis=0)
        u = rng.random(len(theta))
        out[:, j] = (u[None, :] > cum[:-1]).sum(axis=0)
    return out
