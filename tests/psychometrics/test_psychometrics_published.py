"""The library against published estimates (tests/psychometrics/published.py): item parameters
within 0.02, log-likelihoods within 0.05."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from item_bank.psychometrics import GuessPrior, calibrate, read_csv
from item_bank.psychometrics.fit import s_x2
from item_bank.psychometrics.scoring import ItemSet
from tests.psychometrics import published as pub

DATA = Path(__file__).parent.parent / "fixtures" / "psychometrics"
PARAM_TOL, LOGLIK_TOL = 0.02, 0.05


@pytest.fixture(scope="module")
def lsat7():
    return read_csv(DATA / "lsat7.csv")


@pytest.fixture(scope="module")
def lsat7_2pl(lsat7):
    return calibrate(lsat7, "2pl")


def close(found, expected, tol=PARAM_TOL):
    assert np.allclose(found, expected, atol=tol, rtol=0), (list(np.round(found, 4)), expected)


def test_data_sets_are_the_published_ones(lsat7):
    assert lsat7.n_candidates == 1000 and lsat7.n_rows == 32
    assert read_csv(DATA / "lsat6.csv").n_candidates == 1000
    science = read_csv(DATA / "science.csv")
    assert science.n_candidates == 392 and science.item_ids == ["comfort", "work", "future", "benefit"]


def test_lsat7_2pl_matches_mirt(lsat7_2pl):
    close([i.a for i in lsat7_2pl.items], pub.LSAT7_2PL["a"])
    close([i.d[0] for i in lsat7_2pl.items], pub.LSAT7_2PL["d"])
    assert lsat7_2pl.loglik == pytest.approx(pub.LSAT7_2PL["loglik"], abs=LOGLIK_TOL)
    assert lsat7_2pl.aic == pytest.approx(pub.LSAT7_2PL["aic"], abs=2 * LOGLIK_TOL)
    assert lsat7_2pl.bic == pytest.approx(pub.LSAT7_2PL["bic"], abs=2 * LOGLIK_TOL)


def test_lsat6_2pl_matches_ltm():
    result = calibrate(read_csv(DATA / "lsat6.csv"), "2pl")
    close([i.b for i in result.items], pub.LSAT6_2PL["b"])
    close([i.a for i in result.items], pub.LSAT6_2PL["a"])
    assert result.loglik == pytest.approx(pub.LSAT6_2PL["loglik"], abs=LOGLIK_TOL)


def test_lsat7_1pl_and_lsat6_rasch_match_mirt(lsat7):
    one = calibrate(lsat7, "1pl")
    close([i.a for i in one.items], [pub.LSAT7_1PL["a"]] * 5)
    close([i.d[0] for i in one.items], pub.LSAT7_1PL["d"])
    rasch = calibrate(read_csv(DATA / "lsat6.csv"), "rasch")
    assert all(i.a == 1.0 for i in rasch.items)
    close([i.d[0] for i in rasch.items], pub.LSAT6_RASCH["d"])
    assert rasch.latent_sd ** 2 == pytest.approx(pub.LSAT6_RASCH["variance"], abs=PARAM_TOL)
    close([i.b for i in rasch.items], [-d for d in pub.LSAT6_RASCH["d"]])


def test_lsat7_3pl_with_a_prior_on_c_matches_mirt(lsat7):
    prior = GuessPrior(pub.LSAT7_3PL_PRIOR["logit_mean"], pub.LSAT7_3PL_PRIOR["logit_sd"])
    result = calibrate(lsat7, "3pl", guess_prior=prior)
    assert result.loglik == pytest.approx(pub.LSAT7_3PL_PRIOR["loglik"], abs=LOGLIK_TOL)
    assert result.log_posterior == pytest.approx(pub.LSAT7_3PL_PRIOR["log_posterior"], abs=LOGLIK_TOL)


def test_science_grm_and_gpcm_match_mirt():
    science = read_csv(DATA / "science.csv")
    grm = calibrate(science, "grm")
    close([i.a for i in grm.items], pub.SCIENCE_GRM["a"])
    close([list(i.d) for i in grm.items], pub.SCIENCE_GRM["d"])
    assert grm.loglik == pytest.approx(pub.SCIENCE_GRM["loglik"], abs=LOGLIK_TOL)
    assert grm.aic == pytest.approx(pub.SCIENCE_GRM["aic"], abs=2 * LOGLIK_TOL)
    assert grm.bic == pytest.approx(pub.SCIENCE_GRM["bic"], abs=2 * LOGLIK_TOL)
    assert grm.items[0].scores == (1.0, 2.0, 3.0, 4.0)
    gpcm = calibrate(science, "gpcm", standard_errors=False)
    assert gpcm.loglik == pytest.approx(pub.SCIENCE_GPCM["loglik"], abs=LOGLIK_TOL)
    assert gpcm.aic == pytest.approx(pub.SCIENCE_GPCM["aic"], abs=2 * LOGLIK_TOL)


def test_lsat7_item_fit_and_eap_match_mirt(lsat7, lsat7_2pl):
    items = ItemSet(lsat7_2pl.items)
    codes = items.codes(lsat7.scores)
    fit = s_x2(items, codes, lsat7.weights)
    close([f.s_x2 for f in fit], pub.LSAT7_S_X2["s_x2"])
    assert [f.df for f in fit] == pub.LSAT7_S_X2["df"]
    close(items.eap(codes[:6]).theta, pub.LSAT7_EAP, tol=0.01)


def test_mle_infinite_patterns(lsat7, lsat7_2pl):
    items = ItemSet(lsat7_2pl.items)
    codes = items.codes(np.array([[0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [np.nan] * 5, [1, 0, np.nan, 0, 0]]))
    mle = items.mle(codes)
    assert mle.theta[0] == -math.inf and mle.status[0] == "-inf" and math.isnan(mle.se[0])
    assert mle.theta[1] == math.inf and mle.status[1] == "+inf"
    assert mle.status[2] == "no_items"
    assert mle.status[3] == "ok" and math.isfinite(mle.theta[3]) and mle.se[3] > 0
    # at the MLE the log-likelihood's derivative is zero: a finite difference says so
    f = lambda t: float(items.loglik(codes[3:4], np.array([t]))[0, 0])
    assert (f(mle.theta[3] + 1e-5) - f(mle.theta[3] - 1e-5)) / 2e-5 == pytest.approx(0, abs=1e-5)
