"""A+B designs (Lin & Shih 2001) and the 3+3 variants: exact operating characteristics by enumeration
(oc/exact.py) against

* Lin & Shih's closed-form formulas (probability that each dose is declared the MTD, expected patients and
  DLTs per dose), implemented here independently from the paper's products of stage probabilities;
* the generic dynamic programme over trial states (oc/exact_states.py, which decides with the engine's
  kernel), to 1e-12;
* simulation, within 4 Monte Carlo standard errors;
* the 3+3 enumerator (A = B = 3, C = D = E = 1), to 1e-14;
* published values: Chow, Shao & Wang (2003, Sample Size Calculation in Clinical Research, section 11.6,
  Examples 11.6.1 and 11.6.2, as reproduced in the R package TrialSize's examples).
"""

from __future__ import annotations

from math import comb, prod

import numpy as np
import pytest

from dosefind import Scenario, ThreePlusThree, operating_characteristics, simulate_one
from dosefind.designs import APlusB
from dosefind.oc.exact import exact_a_plus_b, exact_three_plus_three
from dosefind.oc.exact_states import exact_operating_characteristics

# (A, B, C, D, E): 3+3; 3+3 escalating on <= 2 of 6; 4+4 (Lin & Shih's 4+4 family); unequal stages
SETTINGS = [(3, 3, 1, 1, 1), (3, 3, 1, 2, 2), (4, 4, 1, 2, 2), (2, 4, 1, 1, 2), (3, 2, 1, 2, 2)]
CURVES = [
    (0.05, 0.10, 0.20, 0.30, 0.45),
    (0.30, 0.40, 0.50, 0.60, 0.70),
    (0.02, 0.04, 0.06, 0.08, 0.10),
    (0.50, 0.60, 0.70, 0.80, 0.90),
]
VARIANTS = [(True, True), (True, False), (False, True), (False, False)]  # (deescalation, expand_top_dose)


def _b(k, n, p):
    return comb(n, k) * p**k * (1 - p) ** (n - k) if 0 <= k <= n else 0.0


def lin_shih(p, a, b, c, d, e, deescalation, expand_top_dose):
    """Lin & Shih (2001), section 2: with P0 = P(X_A < C), Q0 = P(C <= X_A <= D, X_A + X_B <= E),
    P1 = P(X_A < C, X_A + X_B <= E) (a dose expanded on the way down passes) and the first-stage expansion
    probability PE = P(C <= X_A <= D), the dose is passed on the way up with P0 + Q0 (at the highest dose
    P1 + Q0 when it is expanded after fewer than C of A). Without de-escalation the MTD is i when every
    dose up to i passed and dose i+1 failed; with de-escalation, when escalation stopped at k > i, the
    doses i+1..k-1 failed on the way down (P0 - P1) and i passed as the MTD (Q0 + P1)."""
    n = len(p)
    P0, Q0, P1, PE = [], [], [], []
    for pj in p:
        P0.append(sum(_b(k, a, pj) for k in range(c)))
        Q0.append(sum(_b(k, a, pj) * _b(m, b, pj) for k in range(c, d + 1) for m in range(0, e - k + 1)))
        P1.append(sum(_b(k, a, pj) * _b(m, b, pj) for k in range(c) for m in range(0, e - k + 1)))
        PE.append(sum(_b(k, a, pj) for k in range(c, d + 1)))
    up = [P0[j] + Q0[j] for j in range(n)]
    if expand_top_dose:
        up[-1] = P1[-1] + Q0[-1]
    fail = [1 - u for u in up]
    reach = [prod(up[:j]) for j in range(n + 1)]  # reach[n]: every dose passed
    sel = [0.0] * n
    extra_b = [PE[j] + (P0[j] if j == n - 1 and expand_top_dose else 0.0) for j in range(n)]
    mean_n = [reach[j] * (a + b * extra_b[j]) for j in range(n)]
    if not deescalation:
        for i in range(n - 1):
            sel[i] = reach[i + 1] * fail[i + 1]
        sel[n - 1] = reach[n]
        none = fail[0]
    else:
        sel[n - 1] = reach[n]
        none = 0.0
        for k in range(n):  # escalation stops at k
            none += prod(P0[m] - P1[m] for m in range(k)) * fail[k]
            for i in range(k):
                sel[i] += reach[i] * (Q0[i] + P1[i]) * prod(P0[m] - P1[m] for m in range(i + 1, k)) * fail[k]
        for j in range(n - 1):  # B more at j on the way down (it had A patients, fewer than C DLTs)
            back = sum(prod(P0[m] - P1[m] for m in range(j + 1, k)) * fail[k] for k in range(j + 1, n))
            mean_n[j] += b * reach[j] * P0[j] * back
    mean_tox = [p[j] * mean_n[j] for j in range(n)]  # Wald's identity: each patient at j has P(DLT) p_j
    return {
        "prob_select": sel,
        "prob_select_none": none,
        "mean_n_at_dose": mean_n,
        "mean_tox_at_dose": mean_tox,
    }


@pytest.mark.parametrize("deesc,expand", VARIANTS)
@pytest.mark.parametrize("setting", SETTINGS)
def test_enumeration_equals_lin_shih_closed_form(setting, deesc, expand):
    for curve in CURVES:
        ex = exact_a_plus_b(curve, *setting, deescalation=deesc, expand_top_dose=expand)
        ls = lin_shih(curve, *setting, deesc, expand)
        for key in ("prob_select", "mean_n_at_dose", "mean_tox_at_dose"):
            np.testing.assert_allclose(ex[key], ls[key], rtol=0, atol=1e-12, err_msg=key)
        assert ex["prob_select_none"] == pytest.approx(ls["prob_select_none"], abs=1e-12)
        assert sum(ex["prob_select"]) + ex["prob_select_none"] == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("deesc,expand", VARIANTS)
def test_a_plus_b_three_three_equals_the_three_plus_three_enumerator(deesc, expand):
    for curve in CURVES:
        ex = exact_a_plus_b(curve, 3, 3, 1, 1, 1, deescalation=deesc, expand_top_dose=expand)
        ref = exact_three_plus_three(curve, deescalation=deesc, expand_top_dose=expand)
        for key in ("prob_select", "mean_n_at_dose", "mean_tox_at_dose", "mean_sq_n_at_dose"):
            np.testing.assert_allclose(ex[key], ref[key], rtol=0, atol=1e-14)
        assert ex["prob_select_none"] == pytest.approx(ref["prob_select_none"], abs=1e-14)


def _design(setting, deesc, expand, n_doses=5):
    a, b, c, d, e = setting
    return APlusB(n_doses=n_doses, a=a, b=b, c=c, d=d, e=e, deescalation=deesc, expand_top_dose=expand)


@pytest.mark.parametrize("deesc,expand", VARIANTS)
@pytest.mark.parametrize("setting", SETTINGS)
def test_enumeration_equals_the_state_dynamic_programme(setting, deesc, expand):
    """The engine's kernel followed state by state (oc/exact_states.py) against the enumeration."""
    for curve in CURVES[:2]:
        oc, _ = exact_operating_characteristics(_design(setting, deesc, expand), Scenario("S", curve))
        ex = exact_a_plus_b(curve, *setting, deescalation=deesc, expand_top_dose=expand)
        for key in ("prob_select", "mean_n_at_dose", "mean_tox_at_dose"):
            np.testing.assert_allclose(oc.values[key], ex[key], rtol=0, atol=1e-12, err_msg=key)
        assert oc.values["prob_select_none"] == pytest.approx(ex["prob_select_none"], abs=1e-12)


@pytest.mark.parametrize("deesc,expand", VARIANTS)
def test_three_plus_three_variants_equal_the_state_dynamic_programme(deesc, expand):
    for curve in CURVES:
        design = ThreePlusThree(n_doses=5, deescalation=deesc, expand_top_dose=expand)
        oc, _ = exact_operating_characteristics(design, Scenario("S", curve))
        ref = exact_three_plus_three(curve, deescalation=deesc, expand_top_dose=expand)
        for key in ("prob_select", "mean_n_at_dose", "mean_tox_at_dose"):
            np.testing.assert_allclose(oc.values[key], ref[key], rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "setting,deesc,expand",
    [((3, 3, 1, 1, 1), False, False), ((4, 4, 1, 2, 2), True, True), ((2, 4, 1, 1, 2), True, False)],
)
def test_simulation_within_four_mcse_of_exact(setting, deesc, expand):
    curve = CURVES[0]
    ex = exact_a_plus_b(curve, *setting, deescalation=deesc, expand_top_dose=expand)
    res = simulate_one(_design(setting, deesc, expand), Scenario("S", curve), 20_000, 5)
    oc = operating_characteristics(res)
    for key in ("prob_select", "mean_n_at_dose", "mean_tox_at_dose"):
        for got, se, want in zip(oc.values[key], oc.mcse[key], ex[key], strict=True):
            assert abs(got - want) <= 4 * se + 1e-12, (key, got, want, se)
    p_none = ex["prob_select_none"]
    se_none = np.sqrt(p_none * (1 - p_none) / 20_000)
    assert abs(oc.values["prob_select_none"] - p_none) <= 4 * se_none + 1e-12


@pytest.mark.parametrize("deesc,expand", VARIANTS)
def test_a_plus_b_three_three_is_three_plus_three_trial_for_trial(deesc, expand):
    """Two kernels (engine/a_plus_b.py, engine/three_plus_three.py), the same patients: every trial's
    counts and selection agree."""
    tpt = ThreePlusThree(n_doses=6, deescalation=deesc, expand_top_dose=expand)
    apb = APlusB(n_doses=6, deescalation=deesc, expand_top_dose=expand)
    for curve in [(0.09, 0.16, 0.23, 0.34, 0.51, 0.74), (0.02, 0.03, 0.05, 0.08, 0.1, 0.12)]:
        r1 = simulate_one(tpt, Scenario("c", curve), 5_000, 3)
        r2 = simulate_one(apb, Scenario("c", curve), 5_000, 3)
        np.testing.assert_array_equal(r1.selected, r2.selected)
        np.testing.assert_array_equal(r1.n_at_dose, r2.n_at_dose)
        np.testing.assert_array_equal(r1.tox_at_dose, r2.tox_at_dose)


# Chow, Shao & Wang (2003), section 11.6 (the 3+3 design as an A+B design, A = B = 3, C = D = E = 1):
# DLT rates of Example 11.6; Example 11.6.1 (without de-escalation) gives 3.1 expected patients at
# dose 1, Example 11.6.2 (with de-escalation) 0.2 at dose 7 (both to one decimal, as printed).
CSW_DLT = (0.01, 0.014, 0.025, 0.056, 0.177, 0.594, 0.963)


@pytest.mark.parametrize("expand", [True, False])
def test_chow_shao_wang_examples(expand):
    without = exact_a_plus_b(CSW_DLT, 3, 3, 1, 1, 1, deescalation=False, expand_top_dose=expand)
    assert round(without["mean_n_at_dose"][0], 1) == 3.1
    with_ = exact_a_plus_b(CSW_DLT, 3, 3, 1, 1, 1, deescalation=True, expand_top_dose=expand)
    assert round(with_["mean_n_at_dose"][6], 1) == 0.2
