"""Ability from calibrated items: EAP and MLE with standard errors, item and test information,
expected score curves.

    items = ItemSet(calibration.items)
    eap = items.eap(codes)            # codes: (N, J) category indices, -1 = not presented
    mle = items.mle(codes)            # theta = ±inf for all-lowest / all-highest patterns

MLE's infinite cases: a candidate with the lowest category on every item presented has no finite
maximum (the likelihood keeps rising as θ -> -∞), likewise the highest everywhere; those get
θ = -inf / +inf, status "-inf" / "+inf" and no standard error, as mirt does. A candidate with no
item presented gets NaN and status "no_items". Other patterns are solved by Fisher scoring from
the EAP, inside [-MLE_BOUND, MLE_BOUND] (status "bound" if the maximum lies outside).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from item_bank.psychometrics import models
from item_bank.psychometrics.data import PsychometricsError
from item_bank.psychometrics.estep import Design, log_tables, pattern_loglik, posterior
from item_bank.psychometrics.params import ItemEstimate
from item_bank.psychometrics.quadrature import Quadrature, normal

MLE_BOUND = 6.0
MLE_ITERATIONS = 50
BLOCK = 50_000


@dataclass
class Scores:
    theta: np.ndarray
    se: np.ndarray
    status: np.ndarray | None = None     # MLE only: ok | +inf | -inf | bound | no_items


class ItemSet:
    """Items with parameters, grouped by (model family, categories) for vectorised evaluation."""

    def __init__(self, items: list[ItemEstimate]):
        if not items:
            raise PsychometricsError("no items", "no_items")
        self.items = list(items)
        self.ids = [item.id for item in self.items]
        self.n_cat = np.array([item.n_categories for item in self.items])
        groups: dict[tuple[str, int], list[int]] = {}
        for j, item in enumerate(self.items):
            groups.setdefault((item.family, item.n_categories), []).append(j)
        self.groups = []
        for (family, _k), members in groups.items():
            chosen = [self.items[j] for j in members]
            gamma = np.array([item.gamma or 0.0 for item in chosen]) if family == "3pl" else None
            self.groups.append((family, np.array(members), np.array([i.a for i in chosen]),
                                np.array([i.d for i in chosen]), gamma))

    def __len__(self) -> int:
        return len(self.items)

    def probabilities(self, theta) -> list[np.ndarray]:
        theta = np.atleast_1d(np.asarray(theta, float))
        out: list[np.ndarray] = [None] * len(self.items)
        for family, members, a, d, gamma in self.groups:
            p = models.probabilities(family, a, d, gamma, theta)
            for row, j in enumerate(members):
                out[j] = p[row]
        return out

    def _per_item(self, theta, what) -> np.ndarray:
        theta = np.atleast_1d(np.asarray(theta, float))
        out = np.empty((len(self.items), len(theta)))
        for family, members, a, d, gamma in self.groups:
            out[members] = what(family, members, a, d, gamma, theta)
        return out

    def information(self, theta) -> np.ndarray:
        """Item information (J, Q); the test information is its column sum."""
        return self._per_item(theta, lambda f, m, a, d, g, t: models.information(f, a, d, g, t))

    def expected_scores(self, theta) -> np.ndarray:
        """Each item's expected score (in its own score units) at each θ: (J, Q)."""
        def expected(family, members, a, d, gamma, theta):
            p = models.probabilities(family, a, d, gamma, theta)
            scores = np.array([self.items[j].scores for j in members])
            return np.einsum("jk,jkq->jq", scores, p)
        return self._per_item(theta, expected)

    def codes(self, scores: np.ndarray) -> np.ndarray:
        """Score matrix (NaN = not presented) -> category codes, refusing a score the item has not."""
        scores = np.asarray(scores, float)
        codes = np.full(scores.shape, -1, dtype=np.int16)
        for j, item in enumerate(self.items):
            column = scores[:, j]
            seen = ~np.isnan(column)
            allowed = np.array(item.scores)
            found = np.searchsorted(allowed, column[seen])
            found = np.minimum(found, len(allowed) - 1)
            wrong = allowed[found] != column[seen]
            if wrong.any():
                row = int(np.nonzero(seen)[0][np.nonzero(wrong)[0][0]])
                raise PsychometricsError(f"row {row + 1}, item {item.id}: score {column[row]:g} is not one of the "
                                         f"calibrated scores {list(item.scores)}", "bad_score", row=row + 1,
                                         column=item.id)
            codes[seen, j] = found
        return codes

    def loglik(self, codes: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """log P(responses | θ) for each row at each θ: (N, Q)."""
        design = Design.build(codes, np.ones(len(codes)), self.n_cat)
        ratio, base = log_tables(design, self.probabilities(theta))
        return pattern_loglik(design, ratio, base, slice(None))

    def eap(self, codes: np.ndarray, quadrature: Quadrature | None = None) -> Scores:
        """Posterior mean and sd of θ, prior N(0, 1) unless another quadrature is given (a Rasch
        calibration's ability has sd `latent_sd`: pass normal(sd=latent_sd))."""
        quad = quadrature or normal()
        theta, se = [], []
        for start in range(0, len(codes), BLOCK):
            post, _ = posterior(self.loglik(codes[start:start + BLOCK], quad.points), np.log(quad.weights))
            mean = post @ quad.points
            theta.append(mean)
            se.append(np.sqrt(np.maximum(post @ quad.points ** 2 - mean ** 2, 0)))
        return Scores(np.concatenate(theta), np.concatenate(se))

    def mle(self, codes: np.ndarray, start: np.ndarray | None = None) -> Scores:
        codes = np.asarray(codes)
        presented = codes >= 0
        n_items = presented.sum(axis=1)
        top = (self.n_cat - 1)[None, :]
        lowest = ((codes == 0) | ~presented).all(axis=1) & (n_items > 0)
        highest = ((codes == top) | ~presented).all(axis=1) & (n_items > 0)
        status = np.full(len(codes), "ok", dtype=object)
        status[n_items == 0] = "no_items"
        status[lowest] = "-inf"
        status[highest] = "+inf"
        theta = np.full(len(codes), np.nan)
        theta[lowest], theta[highest] = -np.inf, np.inf
        se = np.full(len(codes), np.nan)
        finite = np.nonzero(status == "ok")[0]
        if len(finite):
            first = self.eap(codes[finite]).theta if start is None else np.asarray(start, float)[finite]
            t, s, at_bound = self._newton(codes[finite], first)
            theta[finite], se[finite] = t, s
            status[finite[at_bound]] = "bound"
        return Scores(theta, se, status)

    def _gradient(self, codes: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """d log L / dθ and the test information at each row's own θ."""
        grad = np.zeros(len(theta))
        info = np.zeros(len(theta))
        for family, members, a, d, gamma in self.groups:
            p, dp = models.dtheta(family, a, d, gamma, theta)                    # (J, K, N)
            sub = codes[:, members].T                                             # (J, N)
            seen = sub >= 0
            picked = np.take_along_axis(dp / p, np.maximum(sub, 0)[:, None, :], axis=1)[:, 0, :]
            grad += (picked * seen).sum(axis=0)
            info += ((dp ** 2 / p).sum(axis=1) * seen).sum(axis=0)
        return grad, info

    def _newton(self, codes, theta):
        theta = np.clip(np.asarray(theta, float).copy(), -MLE_BOUND, MLE_BOUND)
        for _ in range(MLE_ITERATIONS):
            grad, info = self._gradient(codes, theta)
            step = np.clip(grad / np.maximum(info, 1e-10), -1.0, 1.0)
            new = np.clip(theta + step, -MLE_BOUND, MLE_BOUND)
            done = np.abs(new - theta).max() < 1e-8
            theta = new
            if done:
                break
        _, info = self._gradient(codes, theta)
        at_bound = np.abs(theta) >= MLE_BOUND - 1e-9
        return theta, 1.0 / np.sqrt(np.maximum(info, 1e-300)), at_bound
