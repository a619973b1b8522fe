"""3+3: simulated operating characteristics agree with exact enumeration within Monte Carlo error.

Selection and reach probabilities are checked with exact binomial tests; mean patients and DLTs per
dose with z-tests whose standard error comes from the exact variance (second moments from the exact
calculator), wherever at least 50 simulated trials are expected to reach the dose (the normal
approximation is sound there; rarer doses are covered by the binomial test on reaching them).
Significance 1e-5 per comparison, about 50 comparisons per case.
"""

import numpy as np
import pytest
from scipy.stats import binomtest, norm

from dosefind import Scenario, ThreePlusThree, operating_characteristics, simulate_one
from dosefind.oc.exact import exact_three_plus_three

CURVES = [
    (0.09, 0.16, 0.23, 0.34, 0.51, 0.74),
    (0.26, 0.34, 0.47, 0.64, 0.66, 0.77),
    (0.04, 0.05, 0.08, 0.11, 0.15, 0.31),
    (0.50, 0.60, 0.70, 0.80, 0.90, 0.95),
]
ALPHA = 1e-5
T = 100_000


def _binom_ok(k, p):
    """Exact binomial test of k successes in T trials against probability p (p = 0 or 1: k must match)."""
    p = min(max(p, 0.0), 1.0)
    if p < 1e-15:
        return k == 0
    if p > 1 - 1e-15:
        return k == T
    return binomtest(k, T, p).pvalue > ALPHA


@pytest.mark.parametrize("deesc", [True, False])
@pytest.mark.parametrize("curve", CURVES)
def test_simulation_agrees_with_exact(curve, deesc):
    exact = exact_three_plus_three(curve, deesc)
    assert abs(sum(exact["prob_select"]) + exact["prob_select_none"] - 1) < 1e-12
    res = simulate_one(ThreePlusThree(n_doses=6, deescalation=deesc), Scenario("c", curve), T, 21)
    oc = operating_characteristics(res)
    counts = [int((res.selected == d).sum()) for d in range(6)] + [int((res.selected < 0).sum())]
    probs = exact["prob_select"] + [exact["prob_select_none"]]
    for k, p in zip(counts, probs, strict=True):
        assert _binom_ok(k, p), (k / T, p)
    reached = (res.n_at_dose > 0).sum(axis=0)
    z = norm.isf(ALPHA / 2)
    for d in range(6):
        pr = exact["prob_treated_at_dose"][d]
        assert _binom_ok(int(reached[d]), pr), (d, reached[d] / T, pr)
        if T * pr < 50:
            continue
        for key, sq in (("mean_n_at_dose", "mean_sq_n_at_dose"), ("mean_tox_at_dose", "mean_sq_tox_at_dose")):
            mean = exact[key][d]
            se = np.sqrt((exact[sq][d] - mean**2) / T)
            assert abs(oc.values[key][d] - mean) <= z * se, (key, d, oc.values[key][d], mean, se)


def test_exact_closed_form_single_dose():
    """One dose: P(declared MTD) = P(0/3 then <=1/6) + P(1/3 then 0/3) — classic 3+3 algebra."""
    for p in (0.1, 0.3, 0.5):
        q = 1 - p
        b0, b1 = q**3, 3 * p * q**2
        pass_prob = b0 * (b0 + b1) + b1 * b0  # 0/3 at the top dose expands to 6
        ex = exact_three_plus_three([p], True)
        assert ex["prob_select"][0] == pytest.approx(pass_prob, abs=1e-14)
        assert ex["prob_select_none"] == pytest.approx(1 - pass_prob, abs=1e-14)


def test_exact_escalation_probability_from_dose_one():
    """P(escalating from dose 1) = q^3 + 3 p q^2 q^3 (Storer 1989): dose 2 is reached with that
    probability."""
    p = 0.2
    q = 1 - p
    ex = exact_three_plus_three([p, 0.0], True)
    reach2 = q**3 + 3 * p * q**2 * q**3
    assert ex["prob_treated_at_dose"][1] == pytest.approx(reach2, abs=1e-14)
    # with p2 = 0 every trial reaching dose 2 selects it (0/3 then 0/3)
    assert ex["prob_select"][1] == pytest.approx(reach2, abs=1e-14)
