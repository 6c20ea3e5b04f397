"""Parameter recovery on simulated data, for every model: generate responses from known
parameters, calibrate, compare. Tolerances are the sampling error expected at these sizes
(RMSE of a about 0.1, of b about 0.1 at 2,000-3,000 candidates), not the code's output."""
from __future__ import annotations

import numpy as np
import pytest

from item_bank.psychometrics import GuessPrior, Responses, calibrate
from item_bank.psychometrics.simulate import generating_items, simulate


def rmse(x, y):
    return float(np.sqrt(np.mean((np.asarray(x) - np.asarray(y)) ** 2)))


def run(model, n_items, n, seed, **kw):
    rng = np.random.default_rng(seed)
    true = generating_items(model, n_items, rng)
    scores = simulate(true, rng.normal(size=n), rng)
    return true, calibrate(Responses([i.id for i in true], scores), model, standard_errors=False, **kw)


@pytest.mark.parametrize(("model", "a_tol", "b_tol"), [("2pl", 0.12, 0.12), ("1pl", 0.05, 0.1), ("grm", 0.12, 0.15),
                                                       ("gpcm", 0.15, 0.2)])
def test_recovery(model, a_tol, b_tol):
    true, fit = run(model, 15, 2500, seed=11)
    assert fit.converged
    assert rmse([i.a for i in fit.items], [i.a for i in true]) < a_tol
    assert rmse(np.concatenate([i.thresholds for i in fit.items]),
                np.concatenate([i.thresholds for i in true])) < b_tol


def test_rasch_recovers_difficulties_and_the_latent_sd():
    rng = np.random.default_rng(5)
    true = generating_items("rasch", 15, rng)
    scores = simulate(true, rng.normal(0, 1.4, 3000), rng)
    fit = calibrate(Responses([i.id for i in true], scores), "rasch", standard_errors=False)
    assert fit.latent_sd == pytest.approx(1.4, abs=0.08)
    assert rmse([i.b for i in fit.items], [i.b for i in true]) < 0.1


def test_3pl_recovery_with_the_prior():
    rng = np.random.default_rng(21)
    true = generating_items("3pl", 20, rng)
    scores = simulate(true, rng.normal(size=4000), rng)
    fit = calibrate(Responses([i.id for i in true], scores), "3pl", standard_errors=False,
                    guess_prior=GuessPrior(-1.4, 0.5))
    assert rmse([i.b for i in fit.items], [i.b for i in true]) < 0.25
    assert rmse([i.c for i in fit.items], [i.c for i in true]) < 0.08
    assert rmse([i.a for i in fit.items], [i.a for i in true]) < 0.3


def test_concurrent_calibration_of_two_forms_through_anchor_items():
    """Form 1 has items 1-20, form 2 items 11-30; each candidate sits one form (the other items
    are missing, not wrong). One calibration puts all 30 items on one scale."""
    rng = np.random.default_rng(8)
    true = generating_items("2pl", 30, rng)
    theta = rng.normal(size=4000)
    scores = simulate(true, theta, rng).astype(float)
    scores[:2000, 20:] = np.nan
    scores[2000:, :10] = np.nan
    fit = calibrate(Responses([i.id for i in true], scores), "2pl", standard_errors=False)
    assert [i.n for i in fit.items[:10]] == [2000.0] * 10 and fit.items[15].n == 4000.0
    assert rmse([i.b for i in fit.items], [i.b for i in true]) < 0.12
    assert rmse([i.a for i in fit.items], [i.a for i in true]) < 0.12


def test_standard_errors_match_the_spread_of_estimates():
    """The reported SE of b is about the sd of b over replications (here: 2.5x either way)."""
    estimates, ses = [], []
    for seed in range(4):
        rng = np.random.default_rng(100 + seed)
        true = generating_items("2pl", 8, np.random.default_rng(99))
        scores = simulate(true, rng.normal(size=1500), rng)
        fit = calibrate(Responses([i.id for i in true], scores), "2pl")
        estimates.append([i.b for i in fit.items])
        ses.append([i.se_b for i in fit.items])
    spread = np.std(estimates, axis=0, ddof=1)
    ratio = np.mean(ses, axis=0) / spread
    assert 0.4 < float(np.median(ratio)) < 2.5
