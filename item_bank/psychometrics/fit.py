"""Item fit: Orlando and Thissen's S-X2 (2000, 2003), as mirt's itemfit(fit_stats = "S_X2").

Candidates are grouped by their summed score (of category codes); within each group the observed
share of each category of the item is compared with the model's, computed with the Lord-Wingersky
recursion over the other items (no ability estimates involved). Cells are merged until every expected
count is at least `min_expected` (1, as mirt's mincell);
the groups with a single possible pattern of the item (summed score 0 and the maximum) carry no
information and are left out. Within a score group, short cells of a polytomous item are first
merged with a neighbouring category; a group still short is merged with its neighbour group.
df = Σ over groups (cells - 1) - the item's estimated parameters.
Only complete rows (every item presented) enter; with forms the statistic is per form.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2

from item_bank.psychometrics.quadrature import Quadrature, normal
from item_bank.psychometrics.scoring import ItemSet


@dataclass
class ItemFit:
    id: str
    s_x2: float
    df: int
    p_value: float
    groups: int


def lord_wingersky(probs: list[np.ndarray]) -> np.ndarray:
    """Distribution of the summed category code given θ: (max + 1, Q) from per-item (K, Q)."""
    dist = np.ones((1, probs[0].shape[1]))
    for p in probs:
        k = p.shape[0]
        new = np.zeros((dist.shape[0] + k - 1, dist.shape[1]))
        for category in range(k):
            new[category:category + dist.shape[0]] += dist * p[category]
        dist = new
    return dist


def s_x2(items: ItemSet, codes: np.ndarray, weights: np.ndarray | None = None, *,
         n_params: list[int] | None = None, quadrature: Quadrature | None = None,
         min_expected: float = 1.0) -> list[ItemFit]:
    quad = quadrature or normal()
    codes = np.asarray(codes)
    weights = np.ones(len(codes)) if weights is None else np.asarray(weights, float)
    complete = (codes >= 0).all(axis=1)
    codes, weights = codes[complete], weights[complete]
    probs = items.probabilities(quad.points)
    total_dist = lord_wingersky(probs) @ quad.weights                  # P(S = s)
    totals = codes.sum(axis=1)
    top = len(total_dist) - 1
    n_by_score = np.bincount(totals, weights=weights, minlength=top + 1)
    out = []
    for i, item in enumerate(items.items):
        k = item.n_categories
        rest = lord_wingersky([p for j, p in enumerate(probs) if j != i])   # (top - k + 2, Q)
        expected = np.zeros((top + 1, k))
        for category in range(k):
            expected[category:category + rest.shape[0], category] = (rest * probs[i][category]) @ quad.weights
        with np.errstate(invalid="ignore", divide="ignore"):
            expected /= total_dist[:, None]
        observed = np.zeros((top + 1, k))
        np.add.at(observed, (totals, codes[:, i]), weights)
        scores = np.arange(1, top)                                      # 0 and the maximum say nothing
        e = expected[scores] * n_by_score[scores, None]
        o = observed[scores]
        keep = n_by_score[scores] > 0
        e, o = _merge(e[keep], o[keep], min_expected)
        params = (n_params[i] if n_params else k + (1 if item.family == "3pl" else 0))
        df = int(sum(len(cells) - 1 for cells in e) - params)
        stat = float(sum(((oi - ei) ** 2 / np.where(ei > 0, ei, np.inf)).sum() for ei, oi in zip(e, o)))
        p = float(chi2.sf(stat, df)) if df > 0 else float("nan")
        out.append(ItemFit(item.id, stat if df > 0 else float("nan"), max(df, 0), p, len(e)))
    return out


def _cells(e: np.ndarray, o: np.ndarray, minimum: float) -> tuple[np.ndarray, np.ndarray]:
    """One score group's cells: while a cell is short and more than two remain, merge the smallest
    into its smaller neighbour (as mirt does across categories)."""
    e, o = list(e), list(o)
    while len(e) > 2 and min(e) < minimum:
        i = max(k for k, v in enumerate(e) if v == min(e))
        j = 1 if i == 0 else len(e) - 2 if i == len(e) - 1 else (i - 1 if e[i - 1] <= e[i + 1] else i + 1)
        e[j], o[j] = e[j] + e[i], o[j] + o[i]
        del e[i], o[i]
    return np.array(e), np.array(o)


def _merge(e: np.ndarray, o: np.ndarray, minimum: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Collapse categories within each score group, then merge a group that is still short into
    the neighbouring group with fewer candidates, until every expected cell is >= minimum."""
    e, o = list(e), list(o)
    while True:
        cells = [_cells(ei, oi, minimum) for ei, oi in zip(e, o)]
        short = [i for i, (ce, _) in enumerate(cells) if (ce < minimum).any()]
        if not short or len(e) == 1:
            return [c[0] for c in cells], [c[1] for c in cells]
        i = short[0]
        if i == 0:
            j = 1
        elif i == len(e) - 1:
            j = i - 1
        else:
            j = i - 1 if o[i - 1].sum() <= o[i + 1].sum() else i + 1
        e[j], o[j] = e[j] + e[i], o[j] + o[i]
        del e[i], o[i]
