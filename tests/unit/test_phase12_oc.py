"""Phase I/II operating characteristics (oc/utility.py, TrialSums): the copula's joint probability against
an independent bivariate normal CDF and against the engine's own simulated patients; the OBD metrics
against a direct computation from the trials."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal, norm

from dosefind import Scenario
from dosefind.designs import Boin, Boin12
from dosefind.engine import simulate_one
from dosefind.oc import operating_characteristics
from dosefind.oc.utility import obd_mask, prob_both, true_utilities

DESIGN = Boin12(target=0.35, target_eff=0.25, n_doses=6, max_n=36)
SCEN = Scenario(
    "s", (0.05, 0.1, 0.2, 0.3, 0.45, 0.6), true_eff=(0.1, 0.2, 0.4, 0.5, 0.5, 0.5), correlation=0.4
)


@pytest.mark.parametrize("rho", [-0.6, 0.0, 0.3, 0.9])
@pytest.mark.parametrize("p, q", [(0.05, 0.5), (0.3, 0.3), (0.6, 0.1), (0.0, 0.4), (1.0, 0.4)])
def test_prob_both_is_the_bivariate_normal_cdf(p, q, rho):
    if p in (0.0, 1.0):
        expected = 0.0 if p == 0 else q
    else:
        mvn = multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]])
        expected = float(mvn.cdf([norm.ppf(p), norm.ppf(q)]))
    assert prob_both(p, q, rho) == pytest.approx(expected, abs=2e-6)  # scipy's CDF is good to ~1e-6


def test_true_utilities_and_obd():
    u = true_utilities(DESIGN, SCEN)
    b = np.array([prob_both(p, q, 0.4) for p, q in zip(SCEN.true_tox, SCEN.true_eff, strict=True)])
    p, q = np.array(SCEN.true_tox), np.array(SCEN.true_eff)
    np.testing.assert_allclose(u, 100 * (q - b) + 40 * (1 - p - q + b) + 60 * b, rtol=1e-12)
    # with these (additive) utilities the joint probability cancels: U = 40 + 60 q - 40 p
    np.testing.assert_allclose(u, 40 + 60 * q - 40 * p, rtol=1e-9)
    assert list(obd_mask(DESIGN, SCEN)) == [False, False, False, True, False, False]
    futile = Scenario("f", SCEN.true_tox, true_eff=(0.01,) * 6)
    assert not obd_mask(DESIGN, futile).any()


def test_obd_metrics_equal_a_direct_computation():
    res = simulate_one(DESIGN, SCEN, 4000, 3)
    oc = operating_characteristics(res)
    u = true_utilities(DESIGN, SCEN)
    sel = res.selected.astype(int)
    assert oc.values["prob_select_obd"] == pytest.approx(np.mean(sel == 3), abs=1e-15)
    chosen = u[sel[sel >= 0]]
    assert oc.values["mean_utility_selected"] == pytest.approx(chosen.mean(), rel=1e-12)
    assert oc.mcse["mean_utility_selected"] == pytest.approx(
        chosen.std(ddof=1) / np.sqrt(chosen.size), rel=1e-9
    )
    np.testing.assert_allclose(oc.values["mean_resp_at_dose"], res.eff_at_dose.mean(axis=0), rtol=1e-12)
    assert oc.values["mean_resp"] == pytest.approx(res.eff_at_dose.sum(axis=1).mean(), rel=1e-12)
    rows = {r["metric"] for r in oc.tidy()}
    assert {"prob_select_obd", "mean_utility_selected", "mean_resp", "mean_resp_at_dose"} <= rows
    # toxicity-only designs report no phase I/II metrics
    assert (
        "prob_select_obd"
        not in operating_characteristics(
            simulate_one(Boin(target=0.3, n_doses=6, max_n=36), SCEN, 100, 1)
        ).values
    )
