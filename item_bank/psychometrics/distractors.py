"""Distractor analysis of a choice item. Responses are the item's own option ids (the live
protocol stores the option the candidate picked, not the letter it had on their shuffled paper),
so every candidate's choice is already mapped back to the item's option.

Per option: the share of candidates choosing it, its discrimination (the point-biserial of
"chose this option" against the rest score: positive for the key, negative for a working
distractor), and its share in the upper and lower groups (the top and bottom 27% by rest score,
Kelley's groups).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GROUP_SHARE = 0.27
OMIT = None


@dataclass
class OptionStats:
    option: str | None      # None: no answer
    is_key: bool
    count: int
    share: float
    discrimination: float | None
    upper_share: float
    lower_share: float

    def to_dict(self) -> dict:
        return {"option": self.option, "is_key": self.is_key, "count": self.count, "share": self.share,
                "discrimination": self.discrimination, "upper_share": self.upper_share,
                "lower_share": self.lower_share}


def option_analysis(chosen: np.ndarray, key: str, options: list[str] | None, rest: np.ndarray) -> list[OptionStats]:
    chosen = np.array([OMIT if c is None or c == "" else str(c) for c in chosen], dtype=object)
    listed = list(options) if options else sorted({c for c in chosen if c is not OMIT})
    if key not in listed:
        listed.append(key)
    n = len(chosen)
    order = np.argsort(rest, kind="stable")
    size = max(1, round(GROUP_SHARE * n)) if n else 0
    lower, upper = order[:size], order[n - size:]
    out = []
    for option in [*listed, OMIT]:
        picked = np.array([c == option for c in chosen], dtype=float)
        count = int(picked.sum())
        if option is OMIT and count == 0:
            continue
        disc = None
        if n >= 3 and 0 < count < n and rest.std() > 0:
            disc = float(np.corrcoef(picked, rest)[0, 1])
        out.append(OptionStats(option, option == key, count, count / n if n else 0.0, disc,
                               float(picked[upper].mean()) if size else 0.0,
                               float(picked[lower].mean()) if size else 0.0))
    return out
