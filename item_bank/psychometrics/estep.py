"""The expectation step over a fixed quadrature, vectorised: for every response pattern n and
quadrature point q, log P(x_n | θ_q) = Σ_j log P_j(x_nj | θ_q) over the items presented.

Write y_njk = 1 when pattern n scored category k >= 1 on item j and m_nj = 1 when item j was
presented. Then log P(x_n | θ_q) = Σ_jk y_njk (log P_jkq - log P_j0q) + Σ_j m_nj log P_j0q: two
matrix products (one when nothing is missing), which BLAS does far faster than any loop. The
expected counts the M-step needs come back the same way: r_jkq = Σ_n w_n y_njk post_nq.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from item_bank.psychometrics.quadrature import Quadrature

CHUNK_ROWS = 1 << 15     # patterns per block: bounds the (rows x Q) temporaries


@dataclass
class Design:
    """Collapsed data as matrices. `n_cat[j]` categories for item j; item j's categories 1..K-1
    are columns `offset[j]`.. of `y`."""

    y: np.ndarray                 # (N, C) float32/64 indicators of categories >= 1
    mask: np.ndarray | None       # (N, J) presented indicators; None when every item was presented
    weights: np.ndarray           # (N,)
    n_cat: np.ndarray             # (J,)
    offset: np.ndarray            # (J,)
    codes: np.ndarray             # (N, J) int16, -1 = not presented

    @classmethod
    def build(cls, codes: np.ndarray, weights: np.ndarray, n_cat: np.ndarray, dtype=np.float64) -> Design:
        n = codes.shape[0]
        offset = np.concatenate([[0], np.cumsum(n_cat - 1)[:-1]]).astype(int)
        y = np.zeros((n, int((n_cat - 1).sum())), dtype=dtype)
        binary = np.nonzero(n_cat == 2)[0]
        if len(binary):
            y[:, offset[binary]] = codes[:, binary] == 1
        for item in np.nonzero(n_cat > 2)[0]:
            column = codes[:, item]
            rows = np.nonzero(column >= 1)[0]
            y[rows, offset[item] + column[rows] - 1] = 1
        presented = codes >= 0
        mask = None if presented.all() else presented.astype(dtype)
        return cls(y, mask, np.asarray(weights, float), np.asarray(n_cat), offset, codes)

    @property
    def n_items(self) -> int:
        return len(self.n_cat)


def log_tables(design: Design, probs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """From per-item probabilities (K_j, Q): the (C, Q) log-ratio table and (J, Q) log P_j0."""
    q = probs[0].shape[1]
    ratio = np.empty((design.y.shape[1], q))
    base = np.empty((design.n_items, q))
    for j, p in enumerate(probs):
        logp = np.log(p)
        base[j] = logp[0]
        ratio[design.offset[j]:design.offset[j] + len(p) - 1] = logp[1:] - logp[0]
    return ratio, base


def pattern_loglik(design: Design, ratio: np.ndarray, base: np.ndarray, rows: slice) -> np.ndarray:
    """log P(x_n | θ_q) for the patterns in `rows`: (rows, Q)."""
    y = design.y[rows]
    out = y @ ratio.astype(y.dtype, copy=False)
    if design.mask is None:
        out += base.sum(axis=0).astype(out.dtype)
    else:
        out += design.mask[rows] @ base.astype(y.dtype, copy=False)
    return out


@dataclass
class Expectation:
    loglik: float
    r: np.ndarray        # (C, Q) expected counts of categories >= 1
    n: np.ndarray        # (J, Q) expected counts of candidates presented with the item

    def item_counts(self, design: Design, item: int) -> np.ndarray:
        """(K, Q) expected counts of each category of one item."""
        start, k = design.offset[item], design.n_cat[item]
        upper = self.r[start:start + k - 1]
        return np.vstack([self.n[item] - upper.sum(axis=0), upper])


def expectation(design: Design, probs: list[np.ndarray], quad: Quadrature) -> Expectation:
    ratio, base = log_tables(design, probs)
    log_prior = np.log(quad.weights)
    total = 0.0
    r = np.zeros((design.y.shape[1], quad.size))
    n = np.zeros((design.n_items, quad.size))
    for start in range(0, design.y.shape[0], CHUNK_ROWS):
        rows = slice(start, start + CHUNK_ROWS)
        post, marginal = posterior(pattern_loglik(design, ratio, base, rows), log_prior)
        w = design.weights[rows]
        total += float(np.dot(w, marginal))
        post *= w[:, None].astype(post.dtype)
        r += design.y[rows].T @ post
        if design.mask is None:
            n += post.sum(axis=0, dtype=np.float64)[None, :]
        else:
            n += design.mask[rows].T @ post
    return Expectation(total, r, n)


def posterior(loglik: np.ndarray, log_prior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalised posterior weights over the quadrature (in place) and each row's log marginal."""
    loglik += log_prior.astype(loglik.dtype)
    top = loglik.max(axis=1, keepdims=True)
    loglik -= top
    np.exp(loglik, out=loglik)
    total = loglik.sum(axis=1, keepdims=True)
    loglik /= total
    return loglik, (np.log(total[:, 0].astype(np.float64)) + top[:, 0])
