"""An optional test-information target for assembly: at given abilities θ each form's test
information (from the items' calibrated IRT parameters) must reach `min` (and stay under `max`
when given), so parallel forms measure equally well where it matters (e.g. around a pass mark).

    "information_target": [{"theta": -1, "min": 4}, {"theta": 0, "min": 6, "max": 9}, {"theta": 1, "min": 4}]

in the blueprint's JSON (optional; a blueprint without it assembles as before). An item without
calibrated parameters contributes no information. Parameters are in `item-bank calibrate --json`'s
item shape plus "model" (exam_server's analysis package stores them per item version).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MAX_POINTS = 10
THETA_LIMIT = 6.0


class InformationTargetError(ValueError):
    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class InformationPoint:
    theta: float
    min: float
    max: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"theta": self.theta, "min": self.min}
        if self.max is not None:
            out["max"] = self.max
        return out


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InformationTargetError(f"{field} must be a number", field)
    return float(value)


def parse_target(raw: Any) -> tuple[InformationPoint, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_POINTS:
        raise InformationTargetError(f"information_target must list 1 to {MAX_POINTS} points", "information_target")
    points, seen = [], set()
    for i, entry in enumerate(raw):
        where = f"information_target.{i}"
        if not isinstance(entry, dict) or set(entry) - {"theta", "min", "max"} or "theta" not in entry \
                or "min" not in entry:
            raise InformationTargetError(f"{where} must be {{'theta', 'min'[, 'max']}}", where)
        theta = _number(entry["theta"], f"{where}.theta")
        low = _number(entry["min"], f"{where}.min")
        high = None if entry.get("max") is None else _number(entry["max"], f"{where}.max")
        if abs(theta) > THETA_LIMIT or theta in seen:
            raise InformationTargetError(f"{where}.theta must be within ±{THETA_LIMIT:g} and not repeated",
                                         f"{where}.theta")
        if low < 0 or (high is not None and high < low):
            raise InformationTargetError(f"{where}: need 0 <= min <= max", f"{where}.min")
        seen.add(theta)
        points.append(InformationPoint(theta, low, high))
    return tuple(points)


def item_information(irt: dict[str, Any] | None, thetas: Sequence[float]) -> list[float]:
    """Fisher information of one calibrated item at each θ (zeros without parameters)."""
    if not irt:
        return [0.0] * len(thetas)
    import numpy as np

    from item_bank.psychometrics import models
    from item_bank.psychometrics.calibrate import FAMILY
    from item_bank.psychometrics.params import ItemEstimate

    item = ItemEstimate.from_dict(irt, FAMILY[irt.get("model", "2pl")])
    gamma = None if item.gamma is None else np.array([item.gamma])
    info = models.information(item.family, np.array([item.a]), np.array([item.d]), gamma, np.array(thetas, float))
    return [float(v) for v in info[0]]
