"""Classical item analysis of one exam: difficulty, discrimination, reliability, flags.

    report = analyze(scores, max_scores, item_ids, choices=..., keys=..., forms=...)

`scores` (N, J) are points per item (NaN = not presented), `max_scores` each item's maximum.
Per item: p (mean score share: the p-value of a 0/1 item), the corrected item-total correlation
(point-biserial against the rest score: total minus the item), for polytomous items also the
polyserial correlation (Olsson, Drasgow and Dorans' two-step estimate), alpha if the item is
deleted, the score distribution, distractors (see distractors.py) and flags (flags.py).

Reliability is per form (a form = the set of items a candidate was presented): Cronbach's alpha
(KR-20 for 0/1 items; population variances), the standard error of measurement SD·sqrt(1 - α)
and the total score distribution. The rest score uses the candidate's own form.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.stats import norm

from item_bank.psychometrics.data import PsychometricsError
from item_bank.psychometrics.distractors import OptionStats, option_analysis
from item_bank.psychometrics.flags import Flag, item_flags


@dataclass
class ItemStats:
    id: str
    n: int                               # candidates presented with the item
    max_score: float
    mean_score: float
    p: float                             # mean score share (0..1): difficulty
    discrimination: float | None         # corrected item-total (rest) correlation
    polyserial: float | None
    alpha_if_deleted: float | None
    score_counts: dict[float, int]
    options: list[OptionStats] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    dichotomous: bool = True

    def to_dict(self) -> dict:
        return {"id": self.id, "n": self.n, "max_score": self.max_score, "mean_score": self.mean_score,
                "p": self.p, "discrimination": self.discrimination, "polyserial": self.polyserial,
                "alpha_if_deleted": self.alpha_if_deleted,
                "score_counts": {str(k): v for k, v in self.score_counts.items()},
                "options": [o.to_dict() for o in self.options], "flags": [f.to_dict() for f in self.flags]}


@dataclass
class FormStats:
    form: str
    items: list[str]
    n: int
    mean: float
    sd: float
    alpha: float | None
    sem: float | None
    distribution: dict[float, int]
    minimum: float
    maximum: float

    def to_dict(self) -> dict:
        return {"form": self.form, "items": self.items, "n": self.n, "mean": self.mean, "sd": self.sd,
                "alpha": self.alpha, "sem": self.sem, "min": self.minimum, "max": self.maximum,
                "distribution": {str(k): v for k, v in self.distribution.items()}}


@dataclass
class ItemAnalysis:
    items: list[ItemStats]
    forms: list[FormStats]
    n: int

    def to_dict(self) -> dict:
        return {"n": self.n, "items": [i.to_dict() for i in self.items], "forms": [f.to_dict() for f in self.forms]}


def alpha(scores: np.ndarray) -> float | None:
    """Cronbach's alpha of a complete (N, k) score matrix; KR-20 when the scores are 0/1."""
    n, k = scores.shape
    if k < 2 or n < 2:
        return None
    total_var = scores.sum(axis=1).var()
    if total_var <= 0:
        return None
    return float(k / (k - 1) * (1 - scores.var(axis=0).sum() / total_var))


def correlation(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 3 or x.std() == 0 or y.std() == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def polyserial(item: np.ndarray, rest: np.ndarray) -> float | None:
    """Two-step polyserial: r_pearson · sd(item) / Σ φ(τ_k), τ from the item's cumulative shares."""
    r = correlation(item, rest)
    if r is None:
        return None
    values = np.unique(item)
    shares = np.array([(item >= v).mean() for v in values[1:]])
    tau = norm.ppf(1 - shares)
    spacing = np.diff(values)
    denom = float((norm.pdf(tau) * spacing).sum())
    return None if denom <= 0 else float(np.clip(r * item.std() / denom, -1, 1))


def analyze(scores, max_scores, item_ids, *, choices=None, keys=None, options=None,
            forms=None) -> ItemAnalysis:
    """`choices` (N, J) object array of chosen option ids (None = no answer) for choice items,
    `keys` per item the right option id (None for other types), `options` per item its option
    ids. `forms` (N,) labels; default: candidates with the same presented items form a form."""
    scores = np.asarray(scores, float)
    n, j = scores.shape
    max_scores = np.asarray(max_scores, float)
    if len(item_ids) != j or max_scores.shape != (j,) or (max_scores <= 0).any():
        raise PsychometricsError("one id and one positive maximum score per item column", "shape")
    presented = ~np.isnan(scores)
    if forms is None:
        signature = [tuple(np.nonzero(row)[0]) for row in presented]
        order = {sig: f"{i + 1}" for i, sig in enumerate(dict.fromkeys(signature))}
        forms = np.array([order[sig] for sig in signature])
    forms = np.asarray(forms).astype(str)
    filled = np.where(presented, scores, 0.0)
    totals = filled.sum(axis=1)
    form_stats, alpha_deleted = [], {}
    for label in dict.fromkeys(forms):
        rows = forms == label
        cols = np.nonzero(presented[rows].any(axis=0))[0]
        block = filled[np.ix_(rows, cols)]
        form_alpha = alpha(block)
        for position, col in enumerate(cols):
            alpha_deleted.setdefault(int(col), []).append(
                (rows.sum(), alpha(np.delete(block, position, axis=1))))
        form_totals = totals[rows]
        sd = float(form_totals.std())
        values, counts = np.unique(form_totals, return_counts=True)
        form_stats.append(FormStats(str(label), [str(item_ids[c]) for c in cols], int(rows.sum()),
                                    float(form_totals.mean()), sd, form_alpha,
                                    None if form_alpha is None else sd * float(np.sqrt(max(1 - form_alpha, 0))),
                                    {float(v): int(c) for v, c in zip(values, counts)},
                                    float(form_totals.min()), float(form_totals.max())))
    items = []
    for col in range(j):
        rows = presented[:, col]
        item = scores[rows, col]
        rest = totals[rows] - item
        values, counts = np.unique(item, return_counts=True)
        dichotomous = bool(set(values) <= {0.0, max_scores[col]})
        deleted = [(w, a) for w, a in alpha_deleted.get(col, []) if a is not None]
        stats = ItemStats(
            id=str(item_ids[col]), n=int(rows.sum()), max_score=float(max_scores[col]),
            mean_score=float(item.mean()) if len(item) else 0.0,
            p=float(item.mean() / max_scores[col]) if len(item) else 0.0,
            discrimination=correlation(item, rest),
            polyserial=None if dichotomous else polyserial(item, rest),
            alpha_if_deleted=(sum(w * a for w, a in deleted) / sum(w for w, _ in deleted)) if deleted else None,
            score_counts={float(v): int(c) for v, c in zip(values, counts)}, dichotomous=dichotomous)
        if choices is not None and keys is not None and keys[col] is not None:
            stats.options = option_analysis(np.asarray(choices, dtype=object)[rows, col], keys[col],
                                            (options or [None] * j)[col], rest)
        stats.flags = item_flags(stats)
        items.append(stats)
    return ItemAnalysis(items, form_stats, n)
