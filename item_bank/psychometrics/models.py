"""Item response functions, vectorised over a group of items that share a model and a number of
categories, in the slope-intercept form used inside the estimator (as mirt does):

    2PL   P(1 | θ) = σ(aθ + d)                                   (b = -d / a)
    3PL   P(1 | θ) = c + (1 - c) σ(aθ + d),  c = σ(γ)            (γ is estimated, c reported)
    GRM   P(X ≥ k | θ) = σ(aθ + d_k), d_1 > d_2 > ... > d_{K-1}  (b_k = -d_k / a)
    GPCM  P(X = k | θ) ∝ exp(k·aθ + d_k), d_0 = 0                (step b_k = (d_{k-1} - d_k) / a)

The metric is the logistic one (D = 1): multiply a by 1.702 to compare with normal-ogive values.
Rasch and 1PL are the 2PL with one slope shared by all items (see `calibrate`).

Shapes: a (J,), d (J, K-1), gamma (J,), theta (Q,). Probabilities are (J, K, Q); derivatives with
respect to the item's parameters (a, d_1.., [γ]) are (J, K, Q, p).
"""
from __future__ import annotations

import numpy as np

DICHOTOMOUS = ("2pl", "3pl")
POLYTOMOUS = ("grm", "gpcm")
FAMILIES = DICHOTOMOUS + POLYTOMOUS
# Probabilities are kept inside [EPS, 1 - EPS] so that logs stay finite.
EPS = 1e-12


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))   # stable for any x, no overflow warnings


def n_params(family: str, n_categories: int) -> int:
    """Estimated parameters per item: a, the intercepts, and γ for the 3PL."""
    return n_categories + (1 if family == "3pl" else 0)


def _linear(a: np.ndarray, d: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """aθ + d_k as (J, K-1, Q)."""
    return a[:, None, None] * theta[None, None, :] + d[:, :, None]


def probabilities(family: str, a, d, gamma, theta) -> np.ndarray:
    a, d, theta = np.asarray(a, float), np.asarray(d, float), np.asarray(theta, float)
    if family in ("2pl", "grm"):
        star = sigmoid(_linear(a, d, theta))                    # P(X >= k), k = 1..K-1
        ones = np.ones_like(star[:, :1])
        zeros = np.zeros_like(star[:, :1])
        cum = np.concatenate([ones, star, zeros], axis=1)       # P(X >= k), k = 0..K
        p = cum[:, :-1] - cum[:, 1:]
    elif family == "3pl":
        c = sigmoid(np.asarray(gamma, float))[:, None, None]
        p1 = c + (1 - c) * sigmoid(_linear(a, d, theta))
        p = np.concatenate([1 - p1, p1], axis=1)
    elif family == "gpcm":
        z = _gpcm_logits(a, d, theta)
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
    else:
        raise ValueError(f"unknown model family {family!r}")
    return np.clip(p, EPS, 1.0)


def _gpcm_logits(a, d, theta) -> np.ndarray:
    k = np.arange(d.shape[1] + 1, dtype=float)
    d0 = np.concatenate([np.zeros((d.shape[0], 1)), d], axis=1)
    return k[None, :, None] * (a[:, None, None] * theta[None, None, :]) + d0[:, :, None]


def jacobian(family: str, a, d, gamma, theta) -> tuple[np.ndarray, np.ndarray]:
    """(P, dP/dη) with η = (a, d_1..d_{K-1}[, γ]) per item: shapes (J, K, Q), (J, K, Q, p)."""
    a, d, theta = np.asarray(a, float), np.asarray(d, float), np.asarray(theta, float)
    J, K1 = d.shape
    K, Q = K1 + 1, theta.shape[0]
    if family in ("2pl", "grm"):
        star = sigmoid(_linear(a, d, theta))
        w = star * (1 - star)                                   # (J, K-1, Q)
        wz = np.concatenate([np.zeros((J, 1, Q)), w, np.zeros((J, 1, Q))], axis=1)   # W_0..W_K
        p = probabilities(family, a, d, gamma, theta)
        dp = np.zeros((J, K, Q, K))
        dp[..., 0] = (wz[:, :-1] - wz[:, 1:]) * theta[None, None, :]
        for m in range(1, K):
            dp[:, m - 1, :, m] = -wz[:, m]      # P_{m-1} = P*_{m-1} - P*_m
            dp[:, m, :, m] = wz[:, m]           # P_m = P*_m - P*_{m+1}
        return p, dp
    if family == "3pl":
        c = sigmoid(np.asarray(gamma, float))[:, None]
        s = sigmoid(_linear(a, d, theta))[:, 0]                 # (J, Q)
        w = s * (1 - s)
        p1 = c + (1 - c) * s
        d1 = np.stack([(1 - c) * w * theta[None, :], (1 - c) * w, c * (1 - c) * (1 - s)], axis=-1)
        p = np.clip(np.stack([1 - p1, p1], axis=1), EPS, 1.0)
        return p, np.stack([-d1, d1], axis=1)
    if family == "gpcm":
        p = probabilities(family, a, d, gamma, theta)
        k = np.arange(K, dtype=float)
        mean_k = np.einsum("k,jkq->jq", k, p)
        dp = np.zeros((J, K, Q, K))
        dp[..., 0] = p * (k[None, :, None] - mean_k[:, None, :]) * theta[None, None, :]
        for m in range(1, K):
            dp[..., m] = p * ((np.arange(K) == m)[None, :, None] - p[:, m:m + 1, :])
        return p, dp
    raise ValueError(f"unknown model family {family!r}")


def dtheta(family: str, a, d, gamma, theta) -> tuple[np.ndarray, np.ndarray]:
    """(P, dP/dθ), both (J, K, Q): for information and the MLE of ability."""
    a, d, theta = np.asarray(a, float), np.asarray(d, float), np.asarray(theta, float)
    p = probabilities(family, a, d, gamma, theta)
    if family in ("2pl", "grm"):
        star = sigmoid(_linear(a, d, theta))
        w = star * (1 - star)
        zero = np.zeros_like(w[:, :1])
        wz = np.concatenate([zero, w, zero], axis=1)
        return p, a[:, None, None] * (wz[:, :-1] - wz[:, 1:])
    if family == "3pl":
        c = sigmoid(np.asarray(gamma, float))[:, None]
        s = sigmoid(_linear(a, d, theta))[:, 0]
        g1 = (1 - c) * a[:, None] * s * (1 - s)
        return p, np.stack([-g1, g1], axis=1)
    if family == "gpcm":
        k = np.arange(d.shape[1] + 1, dtype=float)
        mean_k = np.einsum("k,jkq->jq", k, p)
        return p, a[:, None, None] * p * (k[None, :, None] - mean_k[:, None, :])
    raise ValueError(f"unknown model family {family!r}")


def information(family: str, a, d, gamma, theta) -> np.ndarray:
    """Fisher information of each item at each θ: Σ_k (dP_k/dθ)² / P_k, shape (J, Q)."""
    p, dp = dtheta(family, a, d, gamma, theta)
    return (dp ** 2 / p).sum(axis=1)


def valid(family: str, a, d, gamma) -> np.ndarray:
    """Per item: are the parameters inside the model's space (finite, GRM intercepts ordered)?"""
    a, d = np.asarray(a, float), np.asarray(d, float)
    ok = np.isfinite(a) & np.isfinite(d).all(axis=1) & (np.abs(a) < 50) & (np.abs(d) < 100).all(axis=1)
    if family == "grm" and d.shape[1] > 1:
        ok &= (np.diff(d, axis=1) < 0).all(axis=1)
    if family == "3pl":
        ok &= np.isfinite(np.asarray(gamma, float)) & (np.abs(np.asarray(gamma, float)) < 30)
    return ok
