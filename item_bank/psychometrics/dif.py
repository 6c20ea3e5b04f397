"""Differential item functioning between two groups of candidates matched on total score.

Dichotomous items: the Mantel-Haenszel common odds ratio α (reference vs focal), MH D-DIF =
-2.35 ln α on the ETS delta scale (negative: the item is harder for the focal group at equal
total score), its standard error (Robins, Breslow and Greenland's variance of ln α), the MH
chi-square with continuity correction, and the ETS classification (Zieky 1993):
    A  |D| < 1 or the chi-square not significant at 5%
    C  |D| >= 1.5 and |D| significantly greater than 1 (one-sided 5%: (|D| - 1) / SE > 1.645)
    B  otherwise
Polytomous items: Mantel's chi-square for ordered scores, the standardized mean difference
(SMD, focal minus reference, weighted by the focal group) over the item's standard deviation, and
ETS's AA / BB / CC (AA if p >= 0.05 or |SMD/SD| <= 0.17, CC if p < 0.05 and |SMD/SD| > 0.25).
Strata: the total score (within the form when forms are given); strata with one group only add
nothing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2 as chi2_dist

DELTA = 2.35


@dataclass
class DifResult:
    id: str
    n_reference: int
    n_focal: int
    category: str               # A | B | C (dichotomous), AA | BB | CC (polytomous), "" if not estimable
    statistic: float | None     # MH D-DIF, or SMD/SD for polytomous items
    se: float | None
    chi2: float | None
    p_value: float | None
    odds_ratio: float | None = None

    @property
    def favours(self) -> str | None:
        if not self.category or self.category in ("A", "AA") or self.statistic is None:
            return None
        return "focal" if self.statistic > 0 else "reference"

    def to_dict(self) -> dict:
        return {"id": self.id, "category": self.category, "statistic": self.statistic, "se": self.se,
                "chi2": self.chi2, "p_value": self.p_value, "odds_ratio": self.odds_ratio,
                "n_reference": self.n_reference, "n_focal": self.n_focal, "favours": self.favours}


def mantel_haenszel(scores, groups, reference, focal, item_ids, *, forms=None, matching=None) -> list[DifResult]:
    """`matching`: the score candidates are matched on (default: their total score)."""
    scores = np.asarray(scores, float)
    groups = np.asarray(groups, dtype=object)
    presented = ~np.isnan(scores)
    totals = np.where(presented, scores, 0).sum(axis=1) if matching is None else np.asarray(matching, float)
    forms = np.zeros(len(scores)) if forms is None else np.asarray(forms)
    strata = np.unique(np.stack([np.unique(forms.astype(str), return_inverse=True)[1],
                                 np.round(totals, 6)], axis=1), axis=0, return_inverse=True)[1].ravel()
    out = []
    for j, item_id in enumerate(item_ids):
        rows = presented[:, j] & ((groups == reference) | (groups == focal))
        y, ref, s = scores[rows, j], groups[rows] == reference, strata[rows]
        values = np.unique(y)
        if len(values) <= 2:
            out.append(_dichotomous(str(item_id), y == values.max() if len(values) else y > 0, ref, s))
        else:
            out.append(_polytomous(str(item_id), y, ref, s))
    return out


def _dichotomous(item_id, right, ref, strata) -> DifResult:
    num = den = sum_a = exp_a = var_a = 0.0
    p_r = ps_qr = q_s = 0.0
    for k in np.unique(strata):
        here = strata == k
        t = here.sum()
        a = float((right & ref & here).sum())
        b = float((~right & ref & here).sum())
        c = float((right & ~ref & here).sum())
        d = float((~right & ~ref & here).sum())
        n_r, n_f, m1, m0 = a + b, c + d, a + c, b + d
        if n_r == 0 or n_f == 0 or t < 2:
            continue
        r, s = a * d / t, b * c / t
        num += r
        den += s
        p, q = (a + d) / t, (b + c) / t
        p_r += p * r
        ps_qr += p * s + q * r
        q_s += q * s
        sum_a += a
        exp_a += n_r * m1 / t
        var_a += n_r * n_f * m1 * m0 / (t * t * (t - 1))
    n_ref, n_foc = int(ref.sum()), int((~ref).sum())
    if num == 0 or den == 0 or var_a == 0:
        return DifResult(item_id, n_ref, n_foc, "", None, None, None, None)
    alpha = num / den
    d_dif = -DELTA * math.log(alpha)
    var_log = p_r / (2 * num ** 2) + ps_qr / (2 * num * den) + q_s / (2 * den ** 2)
    se = DELTA * math.sqrt(var_log)
    chi2 = (abs(sum_a - exp_a) - 0.5) ** 2 / var_a
    p_value = float(chi2_dist.sf(chi2, 1))
    if abs(d_dif) < 1 or p_value >= 0.05:
        category = "A"
    elif abs(d_dif) >= 1.5 and (abs(d_dif) - 1) / se > 1.645:
        category = "C"
    else:
        category = "B"
    return DifResult(item_id, n_ref, n_foc, category, d_dif, se, chi2, p_value, alpha)


def _polytomous(item_id, y, ref, strata) -> DifResult:
    f_sum = f_exp = f_var = 0.0
    smd = 0.0
    n_focal = (~ref).sum()
    for k in np.unique(strata):
        here = strata == k
        t = here.sum()
        yr, yf = y[here & ref], y[here & ~ref]
        if len(yr) == 0 or len(yf) == 0 or t < 2:
            continue
        yk = y[here]
        f_sum += yf.sum()
        f_exp += len(yf) / t * yk.sum()
        f_var += len(yr) * len(yf) / (t * t * (t - 1)) * (t * (yk ** 2).sum() - yk.sum() ** 2)
        smd += len(yf) / n_focal * (yf.mean() - yr.mean())
    n_ref, n_foc = int(ref.sum()), int(n_focal)
    sd = float(y.std())
    if f_var <= 0 or sd == 0:
        return DifResult(item_id, n_ref, n_foc, "", None, None, None, None)
    chi2 = (f_sum - f_exp) ** 2 / f_var
    p_value = float(chi2_dist.sf(chi2, 1))
    effect = smd / sd
    if p_value >= 0.05 or abs(effect) <= 0.17:
        category = "AA"
    elif abs(effect) > 0.25:
        category = "CC"
    else:
        category = "BB"
    return DifResult(item_id, n_ref, n_foc, category, effect, None, chi2, p_value)
