"""IRT calibration by marginal maximum likelihood (Bock-Aitkin EM over a fixed quadrature).

    result = calibrate(Responses.from_csv("responses.csv"), "2pl")
    result.items[0].a, result.items[0].b, result.loglik, result.aic, result.bic

Models: rasch (slopes 1, the latent variance estimated), 1pl (one common slope, N(0, 1) ability),
2pl, 3pl (a normal prior on logit c: `GuessPrior`), grm and gpcm (polytomous; an item with two
categories is a 2PL). Rasch and 1PL are the same model on two scales: rasch is fitted as the 1PL
and rescaled (θ_rasch = a θ_1pl, latent sd = a, d unchanged), which is how mirt's estimates of the
two relate.

Missing cells (items not presented) are left out of a candidate's likelihood, so forms that share
anchor items are calibrated concurrently onto one scale. Identical response patterns are collapsed
first. The EM steps are accelerated with SQUAREM (Varadhan and Roland 2008), falling back to the
plain step whenever the extrapolation would lower the likelihood. Convergence: the largest change
of any parameter in a plain EM step below `tol`.

Standard errors come from the cross-products of each pattern's Fisher scores (mirt's
SE.type = "crossprod"), see `stderr.py`.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from item_bank.psychometrics import models
from item_bank.psychometrics.data import PsychometricsError, Responses, categories, collapse
from item_bank.psychometrics.estep import Design, Expectation, expectation
from item_bank.psychometrics.mstep import GuessPrior, maximise, pack, unpack
from item_bank.psychometrics.params import Calibration, ItemEstimate
from item_bank.psychometrics.quadrature import Quadrature, normal

MODELS = ("rasch", "1pl", "2pl", "3pl", "grm", "gpcm")
FLOAT32_CELLS = 5_000_000
FAMILY = {"rasch": "2pl", "1pl": "2pl", "2pl": "2pl", "3pl": "3pl", "grm": "grm", "gpcm": "gpcm"}


class _Problem:
    """The collapsed data, the item groups (family, K) and the parameters as one vector."""

    def __init__(self, responses: Responses, model: str, dtype):
        family = FAMILY[model]
        codes, levels = categories(responses.scores)
        n_cat = np.array([len(v) for v in levels])
        self.excluded = [{"id": responses.item_ids[j], "reason": "not presented" if n_cat[j] == 0 else
                          "every candidate has the same score"} for j in range(len(n_cat)) if n_cat[j] < 2]
        keep = np.nonzero(n_cat >= 2)[0]
        if len(keep) == 0:
            raise PsychometricsError("no item has two different scores: nothing to calibrate", "no_variance")
        if family in models.DICHOTOMOUS:
            bad = [responses.item_ids[j] for j in keep if not set(levels[j]) <= {0.0, 1.0}]
            if bad:
                raise PsychometricsError(f"the {model} model needs scores 0/1; item(s) {', '.join(bad[:5])} have "
                                         "other scores: use grm or gpcm", "not_dichotomous", items=bad)
        self.item_ids = [responses.item_ids[j] for j in keep]
        self.levels = [levels[j] for j in keep]
        codes = codes[:, keep]
        answered = (codes >= 0).any(axis=1)
        self.n_dropped_rows = int((~answered).sum())
        patterns, weights, _ = collapse(codes[answered], responses.weights[answered])
        self.n_persons = float(weights.sum())
        self.design = Design.build(patterns, weights, n_cat[keep], dtype)
        self.family, self.model = family, model
        groups: dict[int, list[int]] = {}
        for j, k in enumerate(n_cat[keep]):
            groups.setdefault(int(k), []).append(j)
        self.groups = [(k, np.array(items)) for k, items in sorted(groups.items())]
        self.shared_slope = model in ("rasch", "1pl")
        mask = self.design.mask
        self.presented = np.full(len(keep), weights.sum()) if mask is None else weights.astype(mask.dtype) @ mask
        self.presented = self.presented.astype(float)

    def counts(self, e: Expectation, k: int, items: np.ndarray) -> np.ndarray:
        cols = self.design.offset[items][:, None] + np.arange(k - 1)[None, :]
        upper = e.r[cols]                                          # (J, K-1, Q)
        lower = e.n[items] - upper.sum(axis=1)
        return np.concatenate([lower[:, None, :], upper], axis=1)

    def start(self, prior: GuessPrior) -> list[np.ndarray]:
        etas = []
        y = self.design.y
        per_column = (self.design.weights.astype(y.dtype) @ y).astype(float)   # weighted count per category >= 1
        total = self.presented
        for k, items in self.groups:
            d = np.empty((len(items), k - 1))
            for m in range(1, k):
                cols = self.design.offset[items][:, None] + np.arange(m - 1, k - 1)[None, :]
                at_least = per_column[cols].sum(axis=1)
                share = np.clip(at_least / total[items], 0.5 / total[items], 1 - 0.5 / total[items])
                # marginal P(X >= m) ≈ σ(d / sqrt(1 + a²/2.89)) for a = 1: the probit link's scale
                d[:, m - 1] = np.log(share / (1 - share)) * 1.17
            gamma = np.full(len(items), prior.mean) if self.family == "3pl" else None
            if self.family == "gpcm":
                d = np.cumsum(d, axis=1)    # GRM-like step intercepts, accumulated
            etas.append(pack(self.family, np.ones(len(items)), d, gamma))
        return etas

    def probs(self, etas: list[np.ndarray], theta: np.ndarray) -> list[np.ndarray]:
        out: list[np.ndarray] = [None] * self.design.n_items
        for (k, items), eta in zip(self.groups, etas):
            a, d, gamma = unpack(self.family, eta)
            p = models.probabilities(self.family, a, d, gamma, theta)
            for row, j in enumerate(items):
                out[j] = p[row]
        return out

    def valid(self, etas: list[np.ndarray]) -> bool:
        return all(models.valid(self.family, *unpack(self.family, eta)).all() for eta in etas)


def calibrate(responses: Responses, model: str = "2pl", *, quadrature: Quadrature | None = None,
              tol: float | None = None, max_cycles: int = 3000, guess_prior: GuessPrior | None = None,
              standard_errors: bool = True, dtype=None,
              progress: Callable[[int, float], None] | None = None) -> Calibration:
    """Fit `model` to the responses. `max_cycles` bounds the E-steps; `progress(cycle, loglik)`
    is called after each. A plain function of its inputs: callable from a job queue.

    `dtype` of the E-step's matrices: by default float64, float32 beyond FLOAT32_CELLS pattern x
    category cells (half the memory and twice the speed of the matrix products; sums are still
    accumulated per block and the final log-likelihood is exact to ~1e-6). `tol` defaults to
    1e-5 in float64 and 1e-4 (mirt's default) in float32, whose expected counts are only that
    precise."""
    if model not in MODELS:
        raise PsychometricsError(f"unknown model {model!r}: one of {', '.join(MODELS)}", "unknown_model")
    started = time.perf_counter()
    quad = quadrature or normal()
    prior = guess_prior or GuessPrior()
    if dtype is None:
        cells = responses.n_rows * sum(1 for _ in responses.item_ids)
        dtype = np.float32 if cells > FLOAT32_CELLS else np.float64
    if tol is None:
        tol = 1e-4 if np.dtype(dtype) == np.float32 else 1e-5
    problem = _Problem(responses, model, dtype)
    cycles = 0

    def em(etas):
        nonlocal cycles
        e = expectation(problem.design, problem.probs(etas, quad.points), quad)
        cycles += 1
        value = e.loglik + _log_prior(problem, etas, prior)
        if progress:
            progress(cycles, value)
        new = [maximise(problem.family, eta, quad.points, problem.counts(e, k, items), prior=prior,
                        shared_slope=problem.shared_slope)
               for (k, items), eta in zip(problem.groups, etas)]
        return new, value

    etas, converged = _squarem(problem, em, problem.start(prior), tol, max_cycles, lambda: cycles)
    final = expectation(problem.design, problem.probs(etas, quad.points), quad)
    cov = None
    if standard_errors:
        from item_bank.psychometrics.stderr import covariance

        cov = covariance(problem, etas, quad, prior)
    return _result(problem, etas, final, cov, quad, prior, converged, cycles, time.perf_counter() - started)


def _log_prior(problem: _Problem, etas: list[np.ndarray], prior: GuessPrior) -> float:
    if problem.family != "3pl":
        return 0.0
    return float(sum(prior.logpdf(unpack("3pl", eta)[2]).sum() for eta in etas))


def _flat(etas: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([eta.ravel() for eta in etas])


def _shaped(vector: np.ndarray, like: list[np.ndarray]) -> list[np.ndarray]:
    out, at = [], 0
    for eta in like:
        out.append(vector[at:at + eta.size].reshape(eta.shape))
        at += eta.size
    return out


def _squarem(problem, em, etas, tol, max_cycles, cycles_used):
    """SQUAREM-accelerated EM: returns (parameters, converged)."""
    while cycles_used() < max_cycles:
        eta1, _ = em(etas)
        eta2, value1 = em(eta1)
        x0, x1, x2 = _flat(etas), _flat(eta1), _flat(eta2)
        if np.abs(x2 - x1).max() < tol:
            return eta2, True
        r, v = x1 - x0, x2 - 2 * x1 + x0
        norm_v = np.linalg.norm(v)
        if norm_v == 0:
            etas = eta2
            continue
        alpha = min(-np.linalg.norm(r) / norm_v, -1.0)
        jump = _shaped(x0 - 2 * alpha * r + alpha ** 2 * v, etas)
        if not problem.valid(jump):
            etas = eta2
            continue
        stabilised, value_jump = em(jump)
        # value_jump is the objective at `jump`; EM from there only improves it further
        etas = stabilised if value_jump >= value1 - 1e-9 * abs(value1) else eta2
    return etas, False


def _result(problem, etas, final, cov, quad, prior, converged, cycles, seconds) -> Calibration:
    items = []
    at = 0
    per_item: dict[int, tuple] = {}
    for (k, group_items), eta in zip(problem.groups, etas):
        size = eta.shape[1]
        for row, j in enumerate(group_items):
            block = None if cov is None else cov[at + row * size: at + (row + 1) * size,
                                                 at + row * size: at + (row + 1) * size]
            per_item[int(j)] = (eta[row], block)
        at += eta.size
    slope_scale = 1.0
    if problem.model == "rasch":
        slope_scale = float(etas[0][0, 0])
    for j, item_id in enumerate(problem.item_ids):
        eta, block = per_item[j]
        a, d, gamma = eta[0], eta[1:1 + problem.design.n_cat[j] - 1], (eta[-1] if problem.family == "3pl" else None)
        if problem.model == "rasch":
            # reported on the Rasch scale: slope 1, the common slope becomes the latent sd
            a, block = 1.0, None if block is None else block[1:, 1:]
        items.append(ItemEstimate(id=item_id, family=problem.family, a=float(a), d=tuple(map(float, d)),
                                  gamma=None if gamma is None else float(gamma),
                                  scores=tuple(float(s) for s in problem.levels[j]),
                                  n=float(problem.presented[j]), cov=block, fixed_slope=problem.model == "rasch"))
    n_free = sum(eta.size for eta in etas)
    if problem.shared_slope:
        n_free -= sum(eta.shape[0] for eta in etas) - 1
    loglik = final.loglik
    return Calibration(model=problem.model, items=items, n=problem.n_persons, loglik=loglik,
                       n_parameters=n_free, aic=-2 * loglik + 2 * n_free,
                       bic=-2 * loglik + n_free * math.log(problem.n_persons),
                       converged=converged, cycles=cycles, seconds=seconds, excluded=problem.excluded,
                       latent_sd=slope_scale if problem.model == "rasch" else 1.0,
                       guess_prior=prior if problem.family == "3pl" else None,
                       log_posterior=loglik + _log_prior(problem, etas, prior) if problem.family == "3pl" else None,
                       quadrature=quad)
