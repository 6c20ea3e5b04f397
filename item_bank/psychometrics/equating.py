"""Putting forms on one scale, and each form's difficulty on it.

* Concurrent calibration: calibrate every form's responses together; items not on a candidate's
  form are missing, the common (anchor) items tie the forms to one scale (`calibrate` does this).
* Separate calibrations linked through common items: θ_target = A θ_source + B, so
  a* = a / A and b* = A b + B (c unchanged). `mean_sigma` takes A, B from the means and standard
  deviations of the common items' difficulties; `stocking_lord` minimises the squared difference
  of the common items' test characteristic curves over a N(0, 1) quadrature (Stocking and Lord
  1983), starting from mean/sigma.
* `form_report`: each form's expected score of a N(0, 1) population, its test characteristic
  and information at chosen abilities, and its mean difficulty, on the common scale.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import minimize

from item_bank.psychometrics.data import PsychometricsError
from item_bank.psychometrics.params import ItemEstimate
from item_bank.psychometrics.quadrature import normal
from item_bank.psychometrics.scoring import ItemSet

REPORT_THETAS = (-2.0, -1.0, 0.0, 1.0, 2.0)


@dataclass(frozen=True)
class Link:
    A: float
    B: float
    method: str
    common: int

    def theta(self, theta):
        return self.A * np.asarray(theta, float) + self.B

    def to_dict(self) -> dict:
        return {"A": self.A, "B": self.B, "method": self.method, "common_items": self.common}


def transform(items: list[ItemEstimate], link: Link) -> list[ItemEstimate]:
    out = []
    for item in items:
        a = item.a / link.A
        k = np.arange(1, len(item.d) + 1) if item.family == "gpcm" else np.ones(len(item.d))
        d = tuple(float(v) for v in np.array(item.d) - k * a * link.B)
        out.append(replace(item, a=a, d=d, cov=None))
    return out


def _common(source: list[ItemEstimate], target: list[ItemEstimate]) -> tuple[list, list]:
    by_id = {item.id: item for item in target}
    pairs = [(item, by_id[item.id]) for item in source if item.id in by_id]
    if len(pairs) < 2:
        raise PsychometricsError(f"linking needs at least 2 common items, found {len(pairs)}", "too_few_common")
    return [p[0] for p in pairs], [p[1] for p in pairs]


def mean_sigma(source: list[ItemEstimate], target: list[ItemEstimate]) -> Link:
    src, tgt = _common(source, target)
    bs = np.concatenate([item.thresholds for item in src])
    bt = np.concatenate([item.thresholds for item in tgt])
    if bs.std() == 0:
        raise PsychometricsError("the common items all have the same difficulty", "degenerate_link")
    A = float(bt.std() / bs.std())
    return Link(A, float(bt.mean() - A * bs.mean()), "mean_sigma", len(src))


def stocking_lord(source: list[ItemEstimate], target: list[ItemEstimate]) -> Link:
    src, tgt = _common(source, target)
    quad = normal(41, 4.0)
    target_tcc = ItemSet(tgt).expected_scores(quad.points).sum(axis=0)
    start = mean_sigma(source, target)

    def loss(x):
        link = Link(float(np.exp(x[0])), float(x[1]), "", 0)
        tcc = ItemSet(transform(src, link)).expected_scores(quad.points).sum(axis=0)
        return float(quad.weights @ (target_tcc - tcc) ** 2)

    found = minimize(loss, [np.log(start.A), start.B], method="Nelder-Mead",
                     options={"xatol": 1e-7, "fatol": 1e-12, "maxiter": 2000})
    return Link(float(np.exp(found.x[0])), float(found.x[1]), "stocking_lord", len(src))


@dataclass
class FormReport:
    form: str
    n_items: int
    max_score: float
    mean_difficulty: float
    expected_score: float             # of a N(0, 1) population
    expected_share: float             # expected_score / max_score
    tcc: dict[float, float]           # θ -> expected score
    information: dict[float, float]   # θ -> test information
    difference: float                 # expected score minus the first form's (same length: comparable)

    def to_dict(self) -> dict:
        return {"form": self.form, "n_items": self.n_items, "max_score": self.max_score,
                "mean_difficulty": self.mean_difficulty, "expected_score": self.expected_score,
                "expected_share": self.expected_share, "tcc": {str(k): v for k, v in self.tcc.items()},
                "information": {str(k): v for k, v in self.information.items()}, "difference": self.difference}


def form_report(items: list[ItemEstimate], forms: dict[str, list[str]],
                thetas=REPORT_THETAS) -> list[FormReport]:
    by_id = {item.id: item for item in items}
    quad = normal()
    reports = []
    for name, ids in forms.items():
        chosen = [by_id[i] for i in ids if i in by_id]
        if not chosen:
            continue
        item_set = ItemSet(chosen)
        expected = float(quad.weights @ item_set.expected_scores(quad.points).sum(axis=0))
        max_score = float(sum(max(item.scores) for item in chosen))
        tcc = item_set.expected_scores(list(thetas)).sum(axis=0)
        info = item_set.information(list(thetas)).sum(axis=0)
        reports.append(FormReport(str(name), len(chosen), max_score, float(np.mean([i.b for i in chosen])),
                                  expected, expected / max_score if max_score else 0.0,
                                  {float(t): float(v) for t, v in zip(thetas, tcc)},
                                  {float(t): float(v) for t, v in zip(thetas, info)}, 0.0))
    if reports:
        first = reports[0].expected_score
        for report in reports:
            report.difference = report.expected_score - first
    return reports
