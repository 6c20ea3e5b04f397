"""Published estimates the library must reproduce (hand-copied; sources in docs/psychometrics.md).

mirt reports slope-intercept (a, d); ltm reports (Dscrmn, Dffclt) = (a, b) with b = -d / a.
"""

# mirt 1.4x, tests/testthat/test-01-mirtOne.R: mirt(expand.table(LSAT7), 1) -> coef (a1, d);
# logLik from tests/testthat/test-08-createItem.R and the anova() example (AIC 5337.610, BIC 5386.688).
LSAT7_2PL = {"a": [0.988, 1.081, 1.706, 0.7651, 0.7358], "d": [1.8561, 0.808, 1.8043, 0.486, 1.8545],
             "loglik": -2658.805, "aic": 5337.610, "bic": 5386.688}

# ltm, summary(ltm(LSAT ~ z1)): Dffclt, Dscrmn, log.Lik -2466.653 (also mirt's QMCEM test value).
LSAT6_2PL = {"b": [-3.3597, -1.3696, -0.2799, -1.8659, -3.1236], "a": [0.8254, 0.7229, 0.8905, 0.6886, 0.6575],
             "loglik": -2466.653}

# mirt test-01: mirt(dat, 'F = 1-5 CONSTRAIN = (1-5, a1)') on LSAT7: one slope, five intercepts.
LSAT7_1PL = {"a": 1.011, "d": [1.868, 0.791, 1.461, 0.521, 1.993]}

# mirt test-01: mirt(expand.table(LSAT6), 1, itemtype = "Rasch"): intercepts and the latent variance.
LSAT6_RASCH = {"d": [2.73, 0.999, 0.24, 1.306, 2.099], "variance": 0.57}

# mirt anova() example: mirt(dat, "F = 1-5 PRIOR = (1-5, g, norm, -1, 1)", itemtype = "3PL") on LSAT7.
LSAT7_3PL_PRIOR = {"logit_mean": -1.0, "logit_sd": 1.0, "loglik": -2659.153, "log_posterior": -2664.008}

# mirt test-02: mirt(Science, 1) (graded): per item a1, d1, d2, d3; logLik -1608.870 and
# AIC 3249.739 / BIC 3313.279 from the anova() example.
SCIENCE_GRM = {"a": [1.041, 1.226, 2.296, 1.095],
               "d": [[4.864, 2.64, -1.466], [2.924, 0.901, -2.266], [5.238, 2.216, -1.965], [3.348, 0.992, -1.688]],
               "loglik": -1608.870, "aic": 3249.739, "bic": 3313.279}

# mirt anova() example: mirt(Science, 1, "gpcm") logLik.
SCIENCE_GPCM = {"loglik": -1612.683, "aic": 3257.366, "bic": 3320.906}

# mirt test-01: itemfit(mirt(LSAT7, 1), "S_X2"): S-X2 and df per item.
LSAT7_S_X2 = {"s_x2": [4.749440, 14.451071, 1.270381, 5.237400, 0.941125], "df": [2, 2, 2, 2, 2]}

# mirt test-01: fscores(mod, full.scores = FALSE) EAP of LSAT7's first six response patterns
# (00000, 00001, 00010, 00011, 00100, 00101).
LSAT7_EAP = [-1.8665957, -1.5266920, -1.5134024, -1.1852276, -1.0946830, -0.7666992]
