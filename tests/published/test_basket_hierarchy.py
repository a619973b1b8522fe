"""Berry's hierarchical model, EXNEX and the CBHM: the fast quadrature posterior against PyMC NUTS (within 4
MCSE) and against an independent brute-force integration (tests/basket/berry_oracle.py, which integrates over
the cohort's own logit, so the tail's cut is a fixed coordinate; the CBHM's reference integration is in
tests/basket/test_cbhm.py).

Measured (grid "default", the trapezoid rule, no longer Berry's default; three cohorts of 10, 14, 20 with
q0 0.15, data 1, 2, 3 responses): the quadrature's P(q > q0) is 4.4e-3 to 4.6e-3 below the brute
force's, its posterior mean 2e-4 above; the posterior's accuracy is limited by the outer rule across
P(eta_k > c | nu, s), a step of width about s in nu when s is small (docs/notes/basket-conventions.md).
The tolerance below is that measurement, not
1e-6. The fine grid (composite Gauss-Legendre in nu, panels over the range the step can sit in; Berry's
default) is within 1.2e-5 (P) and 2.9e-6 (mean) of the brute force on the same case.
"""

import math

import numpy as np
import pytest

from dosefind.basket import Berry, Cbhm, Cohort, Exnex
from dosefind.basket.decide import analyze

COHORTS = (Cohort("a", 10, 0.15), Cohort("b", 14, 0.15), Cohort("c", 20, 0.15))
MEASURED_P_TOLERANCE = 6e-3
MEASURED_MEAN_TOLERANCE = 5e-4
FINE_P_TOLERANCE = 5e-5
FINE_MEAN_TOLERANCE = 1e-5


@pytest.mark.slow
@pytest.mark.parametrize(
    "design",
    [Berry(target=0.35), Exnex(), Cbhm(q1=0.35, calibration_trials=2000)],
    ids=["berry", "exnex", "cbhm"],
)
def test_fast_posterior_within_mcse_of_pymc(design):
    pytest.importorskip("pymc")
    from dosefind.basket.pymc_model import mcmc_probabilities
    from dosefind.inference.settings import McmcSettings

    n = np.array([10, 14, 20])
    x = np.array([1, 2, 6])
    settings = McmcSettings(draws=2000, tune=1000, chains=2, target_accept=0.95, seed=3)
    p, m, se_p, se_m, _ = mcmc_probabilities(design, COHORTS, n, x, settings)
    fp, fm = analyze(design, COHORTS, n[None], x[None])
    # a probability near 0 or 1 can show an MCSE of 0 in 4,000 draws: the binomial floor keeps 4 MCSE honest
    floor = np.sqrt(fp[0] * (1 - fp[0]) / (settings.draws * settings.chains))
    assert np.all(np.abs(fp[0] - p) <= 4 * np.maximum(se_p, floor)), (fp[0], p, se_p)
    assert np.all(np.abs(fm[0] - m) <= 4 * se_m), (fm[0], m, se_m)


@pytest.mark.slow
def test_cbhm_within_mcse_of_pymc_on_heterogeneous_data():
    """Weak borrowing (sigma^2 at its cap): the kernel's wide-window regime against NUTS. (With x = 0 in a
    cohort and sigma^2 = 1e4 NUTS under-reports the MCSE of E q, whose draws are rare and skewed; the
    reference integration checks that case.)"""
    pytest.importorskip("pymc")
    from dosefind.basket.cbhm import sigma2_of
    from dosefind.basket.pymc_model import mcmc_probabilities
    from dosefind.inference.settings import McmcSettings

    design = Cbhm(q1=0.35, calibration_trials=2000)
    n = np.array([10, 14, 20])
    x = np.array([1, 2, 11])
    assert sigma2_of(design, COHORTS, n[None], x[None])[0][0] > 80
    settings = McmcSettings(draws=2000, tune=1000, chains=2, target_accept=0.95, seed=5)
    p, m, se_p, se_m, _ = mcmc_probabilities(design, COHORTS, n, x, settings)
    fp, fm = analyze(design, COHORTS, n[None], x[None])
    # a probability near 0 or 1 can show an MCSE of 0 in 4,000 draws: the binomial floor keeps 4 MCSE honest
    floor = np.sqrt(fp[0] * (1 - fp[0]) / (settings.draws * settings.chains))
    assert np.all(np.abs(fp[0] - p) <= 4 * np.maximum(se_p, floor)), (fp[0], p, se_p)
    assert np.all(np.abs(fm[0] - m) <= 4 * se_m), (fm[0], m, se_m)


@pytest.mark.slow
def test_fast_posterior_against_brute_force_integration():
    from ..basket.berry_oracle import berry_oracle

    design = Berry(target=0.35, grid="default")
    n = np.array([10, 14, 20])
    x = np.array([1, 2, 3])
    fp, fm = analyze(design, COHORTS, n[None], x[None])
    center = design.mu_mean_for(COHORTS) + math.log(0.35 / 0.65)
    po, mo = berry_oracle(
        n, x, 0.15, center, design.mu_sd, design.sigma2_shape, design.sigma2_scale, 0, lstep=0.2
    )
    assert fp[0, 0] == pytest.approx(po, abs=MEASURED_P_TOLERANCE)
    assert fm[0, 0] == pytest.approx(mo, abs=MEASURED_MEAN_TOLERANCE)
    # the fine grid's Gauss-Legendre rule in nu, Berry's default: measured 1.2e-5 (P) and 2.9e-6 (mean) from
    # the oracle (panels growing by 4 or 1.5 around the cuts alike on this case)
    assert Berry(target=0.35).grid == "fine"
    fine_p, fine_m = analyze(Berry(target=0.35), COHORTS, n[None], x[None])
    assert fine_p[0, 0] == pytest.approx(po, abs=FINE_P_TOLERANCE)
    assert fine_m[0, 0] == pytest.approx(mo, abs=FINE_MEAN_TOLERANCE)


def test_hierarchy_limits():
    """P and the mean rise with a cohort's own responses; a neighbour like the others raises a cohort's P
    (borrowing), an outlying one need not (it widens the hierarchy)."""
    d = Berry(target=0.3, grid="coarse")
    n = np.array([[10, 14, 20]] * 4)
    x = np.array([[0, 2, 3], [2, 2, 3], [5, 2, 3], [10, 2, 3]])
    p, m = analyze(d, COHORTS, n, x)
    assert np.all(np.diff(p[:, 0]) > 0) and np.all(np.diff(m[:, 0]) > 0)
    assert p[1, 1] > p[0, 1]
    assert np.all((p >= 0) & (p <= 1))
