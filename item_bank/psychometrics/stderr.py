"""Standard errors from the cross-products of the Fisher scores (mirt's SE.type = "crossprod").

By Fisher's identity the gradient of a pattern's log marginal likelihood is the posterior mean of
the complete-data gradient: s_n = Σ_q post_nq Σ_j m_nj ∂ log P_j(x_nj | θ_q) / ∂η. The information
is estimated by Σ_n w_n s_n s_nᵀ (plus the prior's curvature for the 3PL's logit c), the
covariance by its inverse. One pass over the patterns, vectorised like the E-step.
"""
from __future__ import annotations

import numpy as np

from item_bank.psychometrics import models
from item_bank.psychometrics.estep import log_tables, pattern_loglik, posterior
from item_bank.psychometrics.mstep import GuessPrior, unpack
from item_bank.psychometrics.quadrature import Quadrature

MAX_BLOCK = 20_000_000     # elements of the (rows, items, categories, params) temporary


def covariance(problem, etas: list[np.ndarray], quad: Quadrature, prior: GuessPrior) -> np.ndarray:
    """Covariance of all item parameters in the layout of the concatenated `etas` (item by item);
    a shared slope appears once per item, with its full covariance."""
    design = problem.design
    ratio, base = log_tables(design, problem.probs(etas, quad.points))
    log_prior = np.log(quad.weights)
    derivs = []
    for (k, items), eta in zip(problem.groups, etas):
        a, d, gamma = unpack(problem.family, eta)
        p, dp = models.jacobian(problem.family, a, d, gamma, quad.points)
        logd = dp / p[..., None]                                # (J, K, Q, p)
        derivs.append((items, logd.transpose(2, 0, 1, 3).reshape(quad.size, -1), logd.shape))
    total = sum(eta.size for eta in etas)
    tie = _tie_matrix(problem, etas)
    free = tie.shape[1]
    info = np.zeros((free, free))
    widest = max(shape[0] * shape[1] * shape[3] for _, _, shape in derivs)
    chunk = max(1, MAX_BLOCK // max(widest, 1))
    for start in range(0, design.y.shape[0], chunk):
        rows = slice(start, start + chunk)
        post, _ = posterior(pattern_loglik(design, ratio, base, rows), log_prior)
        post = post.astype(np.float64, copy=False)
        scores = np.empty((post.shape[0], total))
        at = 0
        for items, flat, (j, k, _, p) in derivs:
            expected = (post @ flat).reshape(-1, j, k, p)
            codes = design.codes[rows][:, items]
            picked = np.take_along_axis(expected, np.maximum(codes, 0)[:, :, None, None], axis=2)[:, :, 0, :]
            picked *= (codes >= 0)[:, :, None]
            scores[:, at:at + j * p] = picked.reshape(-1, j * p)
            at += j * p
        if problem.shared_slope:
            scores = scores @ tie
        # the cross-product is the costly step: in the E-step's precision (float32 for big data)
        scores = scores.astype(design.y.dtype, copy=False)
        info += (scores.T @ (scores * design.weights[rows][:, None].astype(scores.dtype))).astype(np.float64)
    if problem.family == "3pl":
        gamma_cols = _gamma_columns(etas)
        info[gamma_cols, gamma_cols] += 1.0 / prior.sd ** 2
    try:
        cov_free = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov_free = np.linalg.pinv(info)
    return tie @ cov_free @ tie.T


def _tie_matrix(problem, etas: list[np.ndarray]) -> np.ndarray:
    """Item-layout parameters = T @ free parameters (one shared slope for the 1PL and Rasch)."""
    total = sum(eta.size for eta in etas)
    if not problem.shared_slope:
        return np.eye(total)
    at = 0
    n_free = 1 + sum(eta.shape[0] * (eta.shape[1] - 1) for eta in etas)
    tie = np.zeros((total, n_free))
    col = 1
    for eta in etas:
        for _ in range(eta.shape[0]):
            tie[at, 0] = 1.0
            for m in range(1, eta.shape[1]):
                tie[at + m, col] = 1.0
                col += 1
            at += eta.shape[1]
    return tie


def _gamma_columns(etas: list[np.ndarray]) -> list[int]:
    cols, at = [], 0
    for eta in etas:
        for _ in range(eta.shape[0]):
            at += eta.shape[1]
            cols.append(at - 1)
    return cols
