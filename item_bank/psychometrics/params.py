"""Calibrated item parameters and their JSON form (the `item-bank calibrate --json` shape):

    {"model": "2pl", "n": 1000, "loglik": -2658.8, "aic": ..., "bic": ..., "metric": "logistic D=1",
     "items": [{"id": "q1", "a": 0.99, "b": -1.88, "c": null, "se_a": 0.17, "se_b": 0.27}, ...]}

b is the difficulty on the a(θ - b) metric. The 3PL adds "c" and "se_c". Polytomous items list
"thresholds" (GRM: the boundaries b_k of P(X >= k); GPCM: the step difficulties), their
"se_thresholds", the "scores" each category stands for, and "b" as the mean threshold.
A Rasch calibration reports a = 1 and "latent_sd", the estimated ability spread.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from item_bank.psychometrics import models
from item_bank.psychometrics.data import PsychometricsError
from item_bank.psychometrics.mstep import GuessPrior
from item_bank.psychometrics.quadrature import Quadrature

METRIC = "logistic D=1"


@dataclass
class ItemEstimate:
    id: str
    family: str                       # 2pl | 3pl | grm | gpcm
    a: float
    d: tuple[float, ...]              # intercepts, K-1 of them
    gamma: float | None = None        # logit of c (3PL)
    scores: tuple[float, ...] = (0.0, 1.0)
    n: float = 0.0                    # candidates presented with the item
    cov: np.ndarray | None = None     # covariance of (a, d..., γ); without a when fixed_slope
    fixed_slope: bool = False

    @property
    def n_categories(self) -> int:
        return len(self.d) + 1

    @property
    def c(self) -> float | None:
        return None if self.gamma is None else float(models.sigmoid(np.array(self.gamma)))

    def _threshold_map(self) -> np.ndarray:
        """L with thresholds = L d / a."""
        k = len(self.d)
        if self.family == "gpcm":
            return -np.eye(k) + np.eye(k, k=-1)      # (d_{k-1} - d_k)
        return -np.eye(k)

    @property
    def thresholds(self) -> list[float]:
        return list(self._threshold_map() @ np.array(self.d) / self.a)

    @property
    def b(self) -> float:
        return float(np.mean(self.thresholds))

    def _se(self, rows: np.ndarray) -> list[float | None]:
        """Delta-method standard errors of linear-in-d / a quantities (rows of L, averaged)."""
        if self.cov is None:
            return [None] * len(rows)
        d = np.array(self.d)
        value = rows @ d / self.a
        grad_d = rows / self.a
        if self.fixed_slope:
            jac = grad_d
            cov = self.cov[:len(d), :len(d)]
        else:
            jac = np.concatenate([(-value / self.a)[:, None], grad_d], axis=1)
            cov = self.cov[:1 + len(d), :1 + len(d)]
        var = np.einsum("ip,pq,iq->i", jac, cov, jac)
        return [float(math.sqrt(v)) if v >= 0 else None for v in var]

    @property
    def se_thresholds(self) -> list[float | None]:
        return self._se(self._threshold_map())

    @property
    def se_b(self) -> float | None:
        return self._se(self._threshold_map().mean(axis=0, keepdims=True))[0]

    @property
    def se_a(self) -> float | None:
        if self.cov is None or self.fixed_slope:
            return None
        return float(math.sqrt(self.cov[0, 0]))

    @property
    def se_c(self) -> float | None:
        if self.cov is None or self.gamma is None:
            return None
        c = self.c
        return float(c * (1 - c) * math.sqrt(self.cov[-1, -1]))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "a": self.a, "b": self.b, "se_a": self.se_a, "se_b": self.se_b,
                               "n": self.n}
        if self.family == "3pl":
            out["c"], out["se_c"] = self.c, self.se_c
        if self.family in models.POLYTOMOUS:
            out["thresholds"], out["se_thresholds"] = self.thresholds, self.se_thresholds
        if self.family in models.POLYTOMOUS or self.scores != (0.0, 1.0):
            out["scores"] = [int(s) if float(s).is_integer() else s for s in self.scores]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], family: str) -> ItemEstimate:
        try:
            item_id, a = str(data["id"]), float(data["a"])
            if family in models.POLYTOMOUS:
                thresholds = np.array([float(t) for t in data["thresholds"]])
            else:
                thresholds = np.array([float(data["b"])])
            c = data.get("c")
            gamma = None
            if family == "3pl":
                c = float(c if c is not None else 0.0)
                if not 0 <= c < 1:
                    raise ValueError("c must be within [0, 1)")
                gamma = math.log(max(c, 1e-9) / (1 - c))
        except (KeyError, TypeError, ValueError) as exc:
            raise PsychometricsError(f"item {data.get('id', '?')!r}: bad parameters ({exc})", "bad_parameters") from None
        if not math.isfinite(a) or a == 0 or not np.isfinite(thresholds).all() or len(thresholds) < 1:
            raise PsychometricsError(f"item {item_id!r}: parameters must be finite numbers, a not 0", "bad_parameters")
        if family == "gpcm":
            d = -a * np.cumsum(thresholds)
        else:
            d = -a * thresholds
        scores = tuple(float(s) for s in data.get("scores", range(len(d) + 1)))
        if len(scores) != len(d) + 1:
            raise PsychometricsError(f"item {item_id!r}: {len(scores)} scores for {len(d) + 1} categories",
                                     "bad_parameters")
        item = cls(item_id, family, a, tuple(map(float, d)), gamma, scores, float(data.get("n", 0) or 0))
        if not models.valid(family, np.array([a]), np.array([item.d]), np.array([gamma or 0.0]))[0]:
            raise PsychometricsError(f"item {item_id!r}: parameters outside the model (GRM thresholds "
                                     "must increase)", "bad_parameters")
        return item


@dataclass
class Calibration:
    model: str
    items: list[ItemEstimate]
    n: float
    loglik: float
    n_parameters: int = 0
    aic: float = math.nan
    bic: float = math.nan
    converged: bool = True
    cycles: int = 0
    seconds: float = 0.0
    excluded: list[dict[str, str]] = field(default_factory=list)
    latent_sd: float = 1.0
    guess_prior: GuessPrior | None = None
    log_posterior: float | None = None
    quadrature: Quadrature | None = None

    @property
    def family(self) -> str:
        return self.items[0].family if self.items else "2pl"

    def item(self, item_id: str) -> ItemEstimate:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def to_dict(self) -> dict[str, Any]:
        out = {"model": self.model, "n": self.n, "loglik": self.loglik, "aic": self.aic, "bic": self.bic,
               "n_parameters": self.n_parameters, "converged": self.converged, "cycles": self.cycles,
               "metric": METRIC, "items": [item.to_dict() for item in self.items], "excluded": self.excluded}
        if self.model == "rasch":
            out["latent_sd"] = self.latent_sd
        if self.guess_prior is not None:
            out["guess_prior"] = {"logit_mean": self.guess_prior.mean, "logit_sd": self.guess_prior.sd}
            out["log_posterior"] = self.log_posterior
        return out

    @classmethod
    def from_dict(cls, data: Any) -> Calibration:
        """Parameters as `to_dict` writes them (what `score-ability` and `simulate-cat` read)."""
        from item_bank.psychometrics.calibrate import FAMILY

        if not isinstance(data, dict) or not isinstance(data.get("items"), list) or not data["items"]:
            raise PsychometricsError("parameters must be an object with a non-empty 'items' list",
                                     "bad_parameters")
        model = data.get("model")
        if model not in FAMILY:
            raise PsychometricsError(f"unknown model {model!r}", "unknown_model")
        family = FAMILY[model]
        items = [ItemEstimate.from_dict(raw, family) if isinstance(raw, dict) else
                 _bad_item(raw) for raw in data["items"]]
        ids = [item.id for item in items]
        if len(set(ids)) != len(ids):
            raise PsychometricsError("an item id appears twice in the parameters", "duplicate_item")
        latent_sd = float(data.get("latent_sd", 1.0) or 1.0)
        return cls(model=model, items=items, n=float(data.get("n", 0) or 0),
                   loglik=float(data.get("loglik") or math.nan), latent_sd=latent_sd)


def _bad_item(raw: Any):
    raise PsychometricsError(f"an item's parameters must be an object, got {raw!r}", "bad_parameters")
