"""Classical statistics, flags and DIF on small hand-computed tables."""
from __future__ import annotations

import math

import numpy as np
import pytest

from item_bank.psychometrics.classical import analyze
from item_bank.psychometrics.dif import mantel_haenszel


def test_alpha_p_and_rest_correlation_by_hand():
    # Guttman pattern: item variances pq = .1875, .25, .1875 (sum .625); totals 3,2,1,0 var 1.25
    # alpha = 3/2 * (1 - .625/1.25) = 0.75; SEM = sqrt(1.25) * sqrt(0.25) = 0.559
    scores = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]], float)
    report = analyze(scores, [1, 1, 1], ["a", "b", "c"])
    (form,) = report.forms
    assert form.alpha == pytest.approx(0.75)
    assert form.sem == pytest.approx(math.sqrt(1.25) * 0.5)
    assert [i.p for i in report.items] == [0.75, 0.5, 0.25]
    # item b against rest (a + c) = 2,1,1,0 with b = 1,1,0,0: r = 0.7071
    assert report.items[1].discrimination == pytest.approx(1 / math.sqrt(2))
    # without item b: items a, c: vars .1875 + .1875, totals 2,1,1,0 var .5 -> 2 * (1 - .375/.5) = 0.5
    assert report.items[1].alpha_if_deleted == pytest.approx(0.5)
    assert form.distribution == {0.0: 1, 1.0: 1, 2.0: 1, 3.0: 1}


def test_flags_follow_the_rules():
    rng = np.random.default_rng(1)
    theta = rng.normal(size=400)
    good = (theta + rng.normal(0, 0.7, 400) > 0).astype(float)
    easy = (theta + rng.normal(0, 0.7, 400) > -2.2).astype(float)           # p > 0.9
    hard = (theta + rng.normal(0, 0.7, 400) > 1.6).astype(float)            # p < 0.2
    miskeyed = (theta + rng.normal(0, 0.7, 400) < 0).astype(float)         # negative r
    noise = (rng.random(400) < 0.5).astype(float)                           # r near 0
    scores = np.stack([good, easy, hard, miskeyed, noise, good, good], axis=1)
    choices = np.full(scores.shape, None, dtype=object)
    # item 0: key A; D is nearly never chosen; C attracts the strongest candidates instead of B
    choices[:, 0] = np.where(good == 1, "A", "B")
    strongest = np.argsort(-theta)[:110]
    choices[strongest, 0] = "C"
    weakest = np.argsort(theta)[:3]
    choices[weakest, 0] = "D"
    scores[strongest, 0] = 0
    scores[weakest, 0] = 0
    keys = ["A", None, None, None, None, None, None]
    report = analyze(scores, np.ones(7), list("abcdefg"), choices=choices, keys=keys,
                     options=[["A", "B", "C", "D"]] + [None] * 6)
    codes = {i.id: {f.code for f in i.flags} for i in report.items}
    assert "too_easy" in codes["b"] and "too_hard" in codes["c"]
    assert "negative_discrimination" in codes["d"]
    assert "low_discrimination" in codes["e"] or "negative_discrimination" in codes["e"]
    assert {"nonfunctioning_distractor", "distractor_beats_key"} <= codes["a"]
    assert not codes["f"]
    options = {o.option: o for o in report.items[0].options}
    assert options["D"].count == 3 and options["A"].is_key and options["C"].upper_share > options["A"].upper_share


def test_mantel_haenszel_by_hand():
    """Two strata of the matching score. Stratum 1: reference 10 right / 10 wrong, focal 5 / 15;
    stratum 2: reference 20 / 5, focal 10 / 5.
    alpha = (10*15/40 + 20*5/40) / (10*5/40 + 5*10/40) = 6.25 / 2.5 = 2.5; D = -2.35 ln 2.5 = -2.153.
    Sum A = 30, E(A) = 20*15/40 + 25*30/40 = 26.25,
    Var(A) = 20*20*15*25/(40^2*39) + 25*15*30*10/(40^2*39) = 2.4038 + 1.8029 = 4.2067,
    chi2 = (|30 - 26.25| - 0.5)^2 / 4.2067 = 2.5115."""
    rows = []
    for stratum, (a, b, c, d) in enumerate([(10, 10, 5, 15), (20, 5, 10, 5)]):
        rows += [("ref", 1, stratum)] * a + [("ref", 0, stratum)] * b
        rows += [("foc", 1, stratum)] * c + [("foc", 0, stratum)] * d
    groups = np.array([r[0] for r in rows], dtype=object)
    item = np.array([[r[1]] for r in rows], float)
    matching = np.array([r[2] for r in rows], float)
    (result,) = mantel_haenszel(item, groups, "ref", "foc", ["q"], matching=matching)
    assert result.odds_ratio == pytest.approx(2.5)
    assert result.statistic == pytest.approx(-2.35 * math.log(2.5))
    assert result.chi2 == pytest.approx(2.5115, abs=1e-3)
    assert result.p_value > 0.05 and result.category == "A"      # large but not significant
    # four times the candidates: same alpha, now significant; |D| >= 1.5 but (|D|-1)/SE decides C or B
    (bigger,) = mantel_haenszel(np.repeat(item, 4, axis=0), np.repeat(groups, 4), "ref", "foc", ["q"],
                                matching=np.repeat(matching, 4))
    assert bigger.statistic == pytest.approx(result.statistic) and bigger.p_value < 0.05
    expected = "C" if (abs(bigger.statistic) - 1) / bigger.se > 1.645 else "B"
    assert bigger.category == expected and bigger.favours == "reference"


def test_polytomous_dif_uses_the_standardized_mean_difference():
    # one stratum; reference scores 2,2,2,2 and focal 0,0,0,0 (SMD -2, sd 1): CC when significant
    item = np.array([[2], [2], [2], [2], [0], [0], [0], [0], [1], [1]] * 3, float)
    groups = np.array((["r"] * 4 + ["f"] * 4 + ["r", "f"]) * 3, dtype=object)
    (result,) = mantel_haenszel(item, groups, "r", "f", ["q"], matching=np.zeros(len(item)))
    assert result.category == "CC" and result.statistic < 0
