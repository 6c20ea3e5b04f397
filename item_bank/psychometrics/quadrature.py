"""The fixed quadrature over ability: equally spaced points with normal density weights, as mirt
does (61 points on [-6, 6] for one dimension), so log-likelihoods compare with mirt's."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_POINTS = 61
DEFAULT_LIMIT = 6.0


@dataclass(frozen=True)
class Quadrature:
    points: np.ndarray
    weights: np.ndarray

    @property
    def size(self) -> int:
        return len(self.points)


def normal(n_points: int = DEFAULT_POINTS, limit: float = DEFAULT_LIMIT, mean: float = 0.0,
           sd: float = 1.0) -> Quadrature:
    if n_points < 5:
        raise ValueError("use at least 5 quadrature points")
    points = np.linspace(-limit, limit, n_points)
    density = np.exp(-0.5 * points ** 2)
    return Quadrature(mean + sd * points, density / density.sum())
