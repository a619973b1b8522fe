"""The calibrated Bayesian hierarchical model (Chu & Yuan 2018): the posterior kernel against an independent
reference integration and its closed-form limits, the calibration of (a, b), the spec's errors, and the
design run through simulation and live analysis."""

import math

import numpy as np
import pytest
from scipy import stats
from scipy.integrate import quad
from scipy.special import expit

from dosefind.basket import Cbhm, Cohort, spec_from_dict
from dosefind.basket.cbhm import calibrate, cbhm_probabilities, chi_square, coefficients, sigma2_of
from dosefind.basket.decide import analyze
from dosefind.basket.simulate import simulate_trials
from dosefind.errors import SpecError

from .cbhm_oracle import reference_posterior

COHORTS = (Cohort("a", 10, 0.15), Cohort("b", 14, 0.15), Cohort("c", 20, 0.15))
GIVEN = Cbhm(a=0.0, b=1.0)
#: measured: the kernel is within 1.3e-8 of the reference on every case below (P), 2e-15 (means)
TOLERANCE = 1e-6


def _against_reference(n, x, s2, cohorts=COHORTS):
    p, m = cbhm_probabilities(GIVEN, cohorts, np.array([n]), np.array([x]), sigma2=s2)
    pr, mr = reference_posterior(n, x, [c.q0 for c in cohorts], s2, GIVEN.mu_mean_for(cohorts), GIVEN.mu_sd)
    assert np.abs(p[0] - pr).max() < TOLERANCE, (p[0], pr)
    assert np.abs(m[0] - mr).max() < TOLERANCE, (m[0], mr)


def test_posterior_against_the_reference_integration():
    _against_reference([10, 14, 20], [1, 2, 3], 1.0)


@pytest.mark.slow
@pytest.mark.parametrize(
    "x, s2",
    [([0, 2, 9], 50.0), ([1, 2, 6], 0.05), ([0, 0, 20], 1e4), ([3, 5, 7], 3.0), ([1, 2, 3], 1e-4)],
    ids=["s2=50", "s2=0.05", "plateau s2=1e4", "s2=3", "s2=1e-4"],
)
def test_posterior_against_the_reference_integration_over_sigma2(x, s2):
    _against_reference([10, 14, 20], x, s2)


@pytest.mark.slow
def test_posterior_with_cohort_specific_cuts_off_the_grid():
    cohorts = (Cohort("a", 10, 0.15), Cohort("b", 14, 0.2), Cohort("c", 20, 0.12))
    _against_reference([10, 14, 20], [2, 4, 3], 2.0, cohorts)


def test_huge_sigma2_is_the_independent_analysis_with_a_flat_prior_on_the_logit():
    """sigma^2 -> inf: theta_k's prior is flat on the logit scale, so q_k | x_k ~ Beta(x_k, n_k - x_k)."""
    n, x = np.array([[10, 14, 20]]), np.array([[1, 4, 9]])
    p, m = cbhm_probabilities(GIVEN, COHORTS, n, x, sigma2=1e6)
    q0 = np.array([c.q0 for c in COHORTS])
    exact = stats.beta.sf(q0, x[0], n[0] - x[0])
    assert np.abs(p[0] - exact).max() < 2e-4
    assert np.abs(m[0] - x[0] / n[0]).max() < 2e-4


def test_tiny_sigma2_is_complete_pooling():
    """sigma^2 -> 0: every theta_k is mu, whose posterior is N(m0, 10^2) times the pooled binomial."""
    n, x = np.array([[10, 14, 20]]), np.array([[1, 4, 9]])
    p, m = cbhm_probabilities(GIVEN, COHORTS, n, x, sigma2=1e-4)
    m0, c = GIVEN.mu_mean_for(COHORTS), math.log(0.15 / 0.85)
    big_n, big_x = n.sum(), x.sum()

    def log_dens(mu):
        return (
            stats.norm.logpdf(mu, m0, 10.0)
            + big_x * math.log(expit(mu))
            + (big_n - big_x) * math.log(expit(-mu))
        )

    top = log_dens(math.log(big_x / (big_n - big_x)))

    def dens(mu):
        return math.exp(log_dens(mu) - top)

    kw = {"epsabs": 0.0, "epsrel": 1e-12, "limit": 200}
    z = quad(dens, -20, c, **kw)[0] + quad(dens, c, 20, **kw)[0]
    pooled_p = quad(dens, c, 20, **kw)[0] / z
    pooled_m = (
        quad(lambda u: expit(u) * dens(u), -20, c, **kw)[0]
        + quad(lambda u: expit(u) * dens(u), c, 20, **kw)[0]
    ) / z
    assert np.abs(p[0] - pooled_p).max() < 1e-3
    assert np.abs(m[0] - pooled_m).max() < 1e-3


def test_chi_square_is_pearsons():
    n, x = np.array([[10, 14, 20]]), np.array([[1, 4, 9]])
    table = np.array([x[0], n[0] - x[0]])
    assert chi_square(n, x)[0] == pytest.approx(stats.chi2_contingency(table, correction=False)[0], rel=1e-12)
    assert chi_square(n, np.zeros((1, 3), int))[0] == 0.0  # nobody responded
    assert chi_square(n, n)[0] == 0.0


def test_calibration_reproduces_sigma2_strong_and_weak_at_the_medians():
    d = Cbhm(q1=0.35, sigma2_strong=1.0, sigma2_weak=80.0, calibration_trials=2000)
    cal = calibrate(d, COHORTS)
    assert math.exp(cal.a + cal.b * math.log(cal.t_homogeneous)) == pytest.approx(1.0, rel=1e-12)
    assert math.exp(cal.a + cal.b * math.log(cal.t_heterogeneous)) == pytest.approx(80.0, rel=1e-12)
    assert cal.t_heterogeneous == min(cal.medians) and len(cal.medians) == 2
    # under homogeneity T is about chi-square with K - 1 degrees of freedom
    assert cal.t_homogeneous == pytest.approx(stats.chi2.median(2), abs=0.5)
    assert calibrate(d, COHORTS) == cal  # deterministic (counter-based uniforms)
    assert calibrate(Cbhm(q1=0.35, calibration_trials=2000, calibration_seed=2), COHORTS) != cal
    med = calibrate(Cbhm(q1=0.35, calibration_trials=2000, heterogeneous="median"), COHORTS)
    assert med.t_heterogeneous == pytest.approx(float(np.median(cal.medians)))
    # the data's sigma^2: strong borrowing for homogeneous data, weak for heterogeneous
    s2, t = sigma2_of(d, COHORTS, np.array([[10, 14, 20], [10, 14, 20]]), np.array([[3, 5, 7], [0, 1, 12]]))
    assert s2[0] < 1.0 < 80.0 < s2[1]
    assert coefficients(d, COHORTS) == (cal.a, cal.b)


def test_posterior_is_monotone_and_borrows():
    d = Cbhm(q1=0.35, calibration_trials=2000)
    n = np.array([[10, 14, 20]] * 4)
    x = np.array([[0, 3, 5], [2, 3, 5], [4, 3, 5], [8, 3, 5]])
    p, m = analyze(d, COHORTS, n, x)
    assert np.all(np.diff(p[:, 0]) > 0) and np.all(np.diff(m[:, 0]) > 0)
    assert np.all((p >= 0) & (p <= 1))
    # homogeneous data borrow strongly: cohort a's posterior mean is pulled towards the others'
    assert abs(m[1, 0] - 5 / 20) < abs(2 / 10 - 5 / 20)


def test_simulation_runs_through_the_looks_and_ignores_chunking(monkeypatch):
    from dosefind.basket import simulate as sim

    cohorts = (Cohort("a", 10, 0.15, (5, 10)), Cohort("b", 12, 0.15, (6, 12)), Cohort("c", 10, 0.15, (5, 10)))
    d = Cbhm(q1=0.35, calibration_trials=1000, futility=0.05)
    one = simulate_trials(d, cohorts, [0.15, 0.35, 0.35], 300, 7)
    monkeypatch.setattr(sim, "CHUNK", 70)
    two = simulate_trials(d, cohorts, [0.15, 0.35, 0.35], 300, 7)
    for a, b in zip(one.__dict__.values(), two.__dict__.values(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert set(np.unique(one.n_used[:, 0])) <= {5, 10}


BASE = {
    "basket": {"q0": 0.1},
    "cohorts": [{"name": "a", "n": 10}, {"name": "b", "n": 12}],
    "scenarios": [{"name": "null", "rates": [0.1, 0.1]}],
}


@pytest.mark.parametrize(
    "design, field, words",
    [
        ({"kind": "cbhm"}, "designs[0].q1", "calibrate a and b"),
        ({"kind": "cbhm", "a": 1.0}, "designs[0].b", "give both a and b"),
        ({"kind": "cbhm", "q1": 0.05}, "designs[0].q1", "above every cohort's q0"),
        ({"kind": "cbhm", "q1": 0.3, "sigma2_weak": 0.5}, "designs[0].sigma2_weak", "sigma2_strong"),
        ({"kind": "cbhm", "q1": 0.3, "heterogeneous": "max"}, "designs[0].heterogeneous", "'median'"),
        ({"kind": "cbhm", "q1": 0.3, "calibration_trials": 5}, "designs[0].calibration_trials", "100"),
        ({"kind": "cbhm", "q1": 1.2}, "designs[0].q1", "(0, 1)"),
    ],
)
def test_spec_errors_name_the_field_and_the_fix(design, field, words):
    data = dict(BASE, designs=[design])
    with pytest.raises(SpecError) as e:
        spec_from_dict(data, "b.toml")
    msg = str(e.value)
    assert msg.startswith(f"b.toml: {field}:"), msg
    assert words in msg and "\n" not in msg


def test_spec_round_trips():
    spec = spec_from_dict(dict(BASE, designs=[{"kind": "cbhm", "q1": 0.3, "name": "c"}]))
    again = spec_from_dict(spec.to_dict())
    assert again.designs == spec.designs


def test_live_analysis_shows_sigma2_and_a_consistent_interval(tmp_path):
    from dosefind.basket.live import BasketData, analyze_data

    spec = spec_from_dict(
        dict(BASE, designs=[{"kind": "cbhm", "q1": 0.3, "calibration_trials": 1000}]), require_scenarios=True
    )
    rows = analyze_data(spec, spec.designs[0], BasketData((10, 7), (3, 1)))
    for r in rows:
        assert r["borrowed_lower"] < r["borrowed_mean"] < r["borrowed_upper"]
        assert r["sigma2"] > 0 and r["homogeneity_T"] >= 0
    # the interval's ends are the 5% and 95% points of the same posterior the decision reads
    d = spec.designs[0]
    hi = np.array([r["borrowed_upper"] for r in rows])
    above, _ = cbhm_probabilities(
        d, spec.cohorts, np.array([[10, 7]]), np.array([[3, 1]]), cuts=np.log(hi / (1 - hi))
    )
    np.testing.assert_allclose(above[0], 0.05, atol=1e-6)


def test_midpoint_futility_compares_the_midpoint_probability():
    """futility_rate = "midpoint": the interim futility rule reads P(q > (q0 + q1) / 2) from the kernel's own
    cut (Chu & Yuan), efficacy and the final go stay on q0; the default leaves the design's dict as before."""
    from dosefind.basket.cbhm import cbhm_probabilities
    from dosefind.basket.decide import CohortStatus, analyze, decide_look

    cohorts = (Cohort("a", 20, 0.1, (10, 20)), Cohort("b", 20, 0.1, (10, 20)), Cohort("c", 20, 0.1, (10, 20)))
    d = Cbhm(a=0.0, b=1.0, q1=0.3, futility=0.2, futility_rate="midpoint")
    n = np.array([[10, 10, 10]] * 4)
    x = np.array([[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 3, 6]])
    p, _ = analyze(d, cohorts, n, x)
    mid, _ = cbhm_probabilities(d, cohorts, n, x, cuts=[math.log(0.2 / 0.8)] * 3)
    status, eff, fut = decide_look(d, cohorts, 0, False, n, x, p)
    assert np.array_equal(eff, p) and np.array_equal(fut, mid)
    assert np.all(mid < p)  # a higher rate to clear
    assert np.array_equal(status == CohortStatus.STOP_FUTILITY, mid < 0.2)
    plain = Cbhm(a=0.0, b=1.0, q1=0.3, futility=0.2)
    assert np.array_equal(
        decide_look(plain, cohorts, 0, False, n, x, p)[0] == CohortStatus.STOP_FUTILITY, p < 0.2
    )
    assert "futility_rate" not in plain.to_dict() and d.to_dict()["futility_rate"] == "midpoint"
    with pytest.raises(SpecError, match="q1"):
        Cbhm(a=0.0, b=1.0, futility=0.2, futility_rate="midpoint")
