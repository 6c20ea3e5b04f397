"""The maximisation step: for each item, maximise Σ_q Σ_k r_kq log P_k(θ_q) (+ log prior) given the
expected counts r from the E-step. Fisher scoring with analytic derivatives, vectorised over the
items of a group (same model, same number of categories), with step halving so every item's
objective increases and stays inside the model's space (ordered GRM intercepts).

The 1PL shares one slope: its Newton system is an arrow matrix (the shared slope against each
item's intercept), solved directly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from item_bank.psychometrics import models

MAX_STEP = 1.0          # largest change of any parameter in one scoring step
HALVINGS = 12
RIDGE = 1e-9


@dataclass(frozen=True)
class GuessPrior:
    """Normal prior on γ = logit(c) for the 3PL (mirt's `PRIOR = (g, norm, mean, sd)`). The
    default centres c on 0.25, chance on the four-option items of the Vietnamese exam (logit
    -1.0986), with sd 1.0 on the logit scale: about 0.05..0.65 for 95% of the prior."""

    mean: float = -1.0986
    sd: float = 1.0

    def logpdf(self, gamma: np.ndarray) -> np.ndarray:
        return -0.5 * ((gamma - self.mean) / self.sd) ** 2 - np.log(self.sd * np.sqrt(2 * np.pi))


def pack(family: str, a, d, gamma) -> np.ndarray:
    parts = [np.asarray(a, float)[:, None], np.asarray(d, float)]
    if family == "3pl":
        parts.append(np.asarray(gamma, float)[:, None])
    return np.concatenate(parts, axis=1)


def unpack(family: str, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    if family == "3pl":
        return eta[:, 0], eta[:, 1:-1], eta[:, -1]
    return eta[:, 0], eta[:, 1:], None


def objective(family: str, eta: np.ndarray, theta: np.ndarray, r: np.ndarray,
              prior: GuessPrior | None) -> np.ndarray:
    a, d, gamma = unpack(family, eta)
    value = (r * np.log(models.probabilities(family, a, d, gamma, theta))).sum(axis=(1, 2))
    if family == "3pl" and prior is not None:
        value = value + prior.logpdf(gamma)
    return value


def derivatives(family: str, eta: np.ndarray, theta: np.ndarray, r: np.ndarray,
                prior: GuessPrior | None) -> tuple[np.ndarray, np.ndarray]:
    """Gradient (J, p) and expected information (J, p, p) of the objective."""
    a, d, gamma = unpack(family, eta)
    p, dp = models.jacobian(family, a, d, gamma, theta)
    grad = np.einsum("jkq,jkqp->jp", r / p, dp)
    n = r.sum(axis=1)
    info = np.einsum("jkqp,jkqs->jps", dp * (n[:, None, :] / p)[..., None], dp)
    if family == "3pl" and prior is not None:
        grad[:, -1] -= (gamma - prior.mean) / prior.sd ** 2
        info[:, -1, -1] += 1.0 / prior.sd ** 2
    return grad, info


def maximise(family: str, eta: np.ndarray, theta: np.ndarray, r: np.ndarray, *,
             prior: GuessPrior | None = None, shared_slope: bool = False, iterations: int = 4,
             tol: float = 1e-8) -> np.ndarray:
    """Improve every item's parameters (rows of `eta`) for the expected counts r (J, K, Q)."""
    eta = eta.copy()
    current = objective(family, eta, theta, r, prior)
    for _ in range(iterations):
        grad, info = derivatives(family, eta, theta, r, prior)
        step = _shared_step(grad, info) if shared_slope else _solve(grad, info)
        biggest = np.abs(step).max(axis=1, keepdims=True)
        step *= np.minimum(1.0, MAX_STEP / np.maximum(biggest, 1e-300))
        eta, current, moved = _halving(family, eta, step, theta, r, prior, current, shared_slope)
        if moved < tol:
            break
    return eta


def _solve(grad: np.ndarray, info: np.ndarray) -> np.ndarray:
    p = grad.shape[1]
    scale = np.maximum(np.abs(np.diagonal(info, axis1=1, axis2=2)).max(axis=1), 1.0)
    ridge = RIDGE * scale[:, None, None] * np.eye(p)[None]
    try:
        return np.linalg.solve(info + ridge, grad[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return grad / np.maximum(np.diagonal(info, axis1=1, axis2=2), 1.0)


def _shared_step(grad: np.ndarray, info: np.ndarray) -> np.ndarray:
    """Newton step for (a shared, d_j per item) from per-item 2x2 blocks (an arrow system)."""
    h_dd = np.maximum(info[:, 1, 1], 1e-12)
    h_ad = info[:, 0, 1]
    schur = info[:, 0, 0].sum() - (h_ad ** 2 / h_dd).sum()
    delta_a = (grad[:, 0].sum() - (h_ad * grad[:, 1] / h_dd).sum()) / max(schur, 1e-12)
    delta_d = (grad[:, 1] - h_ad * delta_a) / h_dd
    return np.stack([np.full_like(delta_d, delta_a), delta_d], axis=1)


def _halving(family, eta, step, theta, r, prior, current, shared_slope):
    """Take the largest of 1, 1/2, 1/4, ... of the step that improves the objective, per item
    (jointly for a shared slope). Returns (eta, objective, largest accepted change)."""
    pending = np.ones(len(eta), dtype=bool)
    size = 1.0
    moved = 0.0
    for _ in range(HALVINGS):
        trial = eta + size * step
        a, d, gamma = unpack(family, trial)
        ok = models.valid(family, a, d, gamma)
        value = np.where(ok, objective(family, np.where(ok[:, None], trial, eta), theta, r, prior), -np.inf)
        if shared_slope:
            better = np.full(len(eta), bool(ok.all() and value.sum() >= current.sum() - 1e-10 * abs(current.sum())))
        else:
            better = value >= current - 1e-10 * np.abs(current)
        accept = pending & better
        if accept.any():
            eta = np.where(accept[:, None], trial, eta)
            current = np.where(accept, value, current)
            moved = max(moved, float(np.abs(size * step[accept]).max()))
        pending &= ~accept
        if not pending.any():
            break
        size /= 2
    return eta, current, moved
