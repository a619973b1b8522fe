"""Checks of the enrichment oracle itself (tests/basket/enrichment_oracle.py) against closed forms and scipy:
no dosefind code is involved."""

from __future__ import annotations

import math

import pytest
from scipy.stats import beta, binom, fisher_exact

from tests.basket.enrichment_oracle import (
    check_freeman_halton_against_fisher,
    freeman_halton_p,
    oracle_full,
    oracle_values,
)


def _cohorts(n1s, ns, q0s, names="abcdef"):
    return [
        {"name": names[i], "n": n, "q0": q0, "looks": [n1, n]}
        for i, (n1, n, q0) in enumerate(zip(n1s, ns, q0s, strict=True))
    ]


def _crit(a, b, n, q0, threshold):
    """The fewest responses of n with P(q > q0 | Beta(a + z, b + n - z)) > threshold (n + 1 if none)."""
    for z in range(n + 1):
        if beta.sf(q0, a + z, b + n - z) > threshold:
            return z
    return n + 1


def _tail(n, q, z):
    return float(binom.sf(z - 1, n, q))  # P(Bin(n, q) >= z)


# 1. Freeman-Halton = Fisher on 2 x 2 tables
def test_freeman_halton_equals_fisher_on_every_2x2_table():
    assert check_freeman_halton_against_fisher(((4, 5), (3, 6))) == 5 * 6 + 4 * 7


def test_freeman_halton_single_table_and_three_rows():
    assert freeman_halton_p((4, 5, 3), (0, 0, 0)) == 1.0
    assert freeman_halton_p((4, 5, 3), (4, 5, 3)) == 1.0
    # three rows: the p-value is a probability, smaller for more heterogeneous data
    p_same = freeman_halton_p((4, 4, 4), (2, 2, 2))
    p_diff = freeman_halton_p((4, 4, 4), (0, 2, 4))
    assert 0.0 < p_diff < p_same <= 1.0
    # the observed table's own probability is a lower bound
    assert p_diff >= math.comb(4, 0) * math.comb(4, 2) * math.comb(4, 4) / math.comb(12, 6)


def test_freeman_halton_one_table_against_fisher():
    # one table by hand: scipy's two-sided p-value
    ref = fisher_exact([[0, 4], [3, 2]])[1]
    assert math.isclose(freeman_halton_p((4, 5), (0, 3)), ref, rel_tol=1e-12)


# 2. pool = "never", no flags: every cohort to n, a single-stage closed form
@pytest.mark.parametrize(
    "n1s, ns, q0s, rates, prior, threshold",
    [
        ((4, 5, 3), (8, 9, 7), (0.2, 0.3, 0.1), (0.2, 0.5, 0.35), (1, 1), 0.9),
        ((3, 4), (6, 8), (0.15, 0.15), (0.4, 0.15), (0.5, 0.5), 0.95),
    ],
)
def test_never_no_flags_single_stage(n1s, ns, q0s, rates, prior, threshold):
    cohorts = _cohorts(n1s, ns, q0s)
    design = {"kind": "enrichment", "prior": list(prior), "threshold": threshold, "pool": "never"}
    for reallocate in (False, True):  # nobody is unflagged, so reallocation changes nothing
        out = oracle_full(cohorts, design | {"reallocate": reallocate}, rates)
        for c, q in zip(cohorts, rates, strict=True):
            z = _crit(prior[0], prior[1], c["n"], c["q0"], threshold)
            assert out[("prob_go", c["name"])] == pytest.approx(_tail(c["n"], q, z), abs=1e-12)
            assert out[("prob_stop_futility", c["name"])] == 0.0
            assert out[("mean_n", c["name"])] == pytest.approx(c["n"], abs=1e-12)
            assert out[("prob_pooled", c["name"])] == 0.0
            # the posterior mean's bias and mse, by a direct sum
            a, b = prior
            bias = sum(binom.pmf(x, c["n"], q) * ((a + x) / (a + b + c["n"]) - q) for x in range(c["n"] + 1))
            assert out[("bias", c["name"])] == pytest.approx(bias, abs=1e-12)


# 3. futility flags, pool = "never": a per-cohort two-stage sum; FWER by independence
@pytest.mark.parametrize("flag_min", [None, 1, 2])
def test_flags_two_stage_sum_and_independent_fwer(flag_min):
    n1s, ns, q0s = (4, 3, 5), (8, 7, 9), (0.2, 0.2, 0.25)
    cohorts = _cohorts(n1s, ns, q0s)
    a, b, threshold, futility = 1.0, 1.0, 0.9, 0.3
    design = {"kind": "enrichment", "threshold": threshold, "pool": "never", "futility": futility}
    if flag_min is not None:
        design["flag_min_responses"] = flag_min

    def by_hand(c, q):
        n1, n, q0 = c["looks"][0], c["n"], c["q0"]
        z = _crit(a, b, n, q0, threshold)
        go = stop = 0.0
        for x1 in range(n1 + 1):
            flagged = beta.sf(q0, a + x1, b + n1 - x1) >= futility and (flag_min is None or x1 >= flag_min)
            if flagged:
                go += binom.pmf(x1, n1, q) * _tail(n - n1, q, z - x1)
            else:
                stop += binom.pmf(x1, n1, q)
        return go, stop

    rates = (0.2, 0.45, 0.3)
    out = oracle_values(cohorts, design, rates)
    for c, q in zip(cohorts, rates, strict=True):
        go, stop = by_hand(c, q)
        assert out[("prob_go", c["name"])] == pytest.approx(go, abs=1e-12)
        assert out[("prob_stop_futility", c["name"])] == pytest.approx(stop, abs=1e-12)
        assert out[("mean_n", c["name"])] == pytest.approx(
            c["n"] - stop * (c["n"] - c["looks"][0]), abs=1e-12
        )
    assert ("type1_error", "a") in out and ("power", "b") in out and ("power", "c") in out

    null = q0s  # the global null
    out = oracle_values(cohorts, design, null)
    gos = [by_hand(c, q)[0] for c, q in zip(cohorts, null, strict=True)]
    assert out[("fwer", "")] == pytest.approx(1 - math.prod(1 - g for g in gos), abs=1e-12)
    assert out[("prob_any_go", "")] == pytest.approx(out[("fwer", "")], abs=1e-12)


# 4. pool = "always", equal rates: the pooled data are exchangeable
@pytest.mark.parametrize("pooled_n", [None, 13, 2])
@pytest.mark.parametrize("q", [0.2, 0.45])
def test_always_pool_equal_rates(pooled_n, q):
    n1s, ns = (4, 3, 5), (8, 7, 9)
    cohorts = _cohorts(n1s, ns, (0.2, 0.2, 0.2))
    a, b, pooled_threshold = 0.5, 1.5, 0.97
    design = {
        "kind": "enrichment",
        "prior": [a, b],
        "threshold": 0.9,
        "pooled_threshold": pooled_threshold,
        "pool": "always",
        "pool_min_responses": 0,
    }
    if pooled_n is not None:
        design["pooled_n"] = pooled_n
    m = sum(ns) - sum(n1s) if pooled_n is None else pooled_n
    n_all = sum(n1s) + m
    z = _crit(a, b, n_all, 0.2, pooled_threshold)
    out = oracle_values(cohorts, design, (q, q, q))
    shares = [m // 3 + (1 if i < m % 3 else 0) for i in range(3)]
    for c, s in zip(cohorts, shares, strict=True):
        assert out[("prob_go", c["name"])] == pytest.approx(_tail(n_all, q, z), abs=1e-12)
        assert out[("prob_pooled", c["name"])] == pytest.approx(1.0, abs=1e-12)
        assert out[("mean_n", c["name"])] == pytest.approx(c["looks"][0] + s, abs=1e-12)
        # the pooled posterior mean's bias
        bias = sum(binom.pmf(x, n_all, q) * ((a + x) / (a + b + n_all) - q) for x in range(n_all + 1))
        assert out[("bias", c["name"])] == pytest.approx(bias, abs=1e-12)
    assert out[("prob_any_go", "")] == pytest.approx(_tail(n_all, q, z), abs=1e-12)


def test_pool_min_responses_stops_the_pooled_group():
    cohorts = _cohorts((4, 4), (8, 8), (0.2, 0.2))
    design = {"kind": "enrichment", "threshold": 0.9, "pool": "always", "pool_min_responses": 2}
    q = 0.3
    out = oracle_values(cohorts, design, (q, q))
    p_stop = float(binom.cdf(1, 8, q))  # X1 ~ Bin(8, q) < 2
    for name in "ab":
        assert out[("prob_stop_futility", name)] == pytest.approx(p_stop, abs=1e-12)
        assert out[("mean_n", name)] == pytest.approx(8 - 4 * p_stop, abs=1e-12)


# 5. statuses sum to 1; mean_total_n is the sum of mean_n
CASES = [
    (
        {
            "pool": "heterogeneity",
            "gamma": 0.2,
            "futility": 0.1,
            "flag_min_responses": 1,
            "pool_min_responses": 2,
        },
        (0.2, 0.4, 0.5),
    ),
    ({"pool": "heterogeneity", "gamma": 0.5, "reallocate": True, "futility": 0.4}, (0.2, 0.2, 0.2)),
    ({"pool": "never", "reallocate": True, "flag_min_responses": 2, "groups": [["a", "c"]]}, (0.1, 0.3, 0.5)),
    ({"pool": "always", "pooled_n": 10, "groups": [["b", "c"]], "futility": 0.3}, (0.3, 0.2, 0.45)),
]


@pytest.mark.parametrize("extra, rates", CASES)
def test_statuses_sum_to_one_and_totals(extra, rates):
    cohorts = _cohorts((4, 4, 4), (8, 8, 8), (0.2, 0.2, 0.2))
    design = {"kind": "enrichment", "threshold": 0.9} | extra
    out = oracle_full(cohorts, design, rates)
    assert out[("total_probability", "")] == pytest.approx(1.0, abs=1e-12)
    for c in cohorts:
        name = c["name"]
        total = out[("prob_go", name)] + out[("prob_no_go", name)] + out[("prob_stop_futility", name)]
        assert total == pytest.approx(1.0, abs=1e-12)
        assert out[("prob_stop_efficacy", name)] == 0.0
        assert out[("mse", name)] >= out[("bias", name)] ** 2 - 1e-12
    assert out[("mean_total_n", "")] == pytest.approx(
        sum(out[("mean_n", c["name"])] for c in cohorts), abs=1e-9
    )
    assert max(out[("prob_go", c["name"])] for c in cohorts) <= out[("prob_any_go", "")] + 1e-12
    assert out[("fwer", "")] <= out[("prob_any_go", "")] + 1e-12


def test_reallocation_keeps_the_planned_total():
    # two cohorts in one group, flagged iff >= 2 responses: the group's total is N1 + (n - n1 summed) unless
    # nobody is flagged
    cohorts = _cohorts((4, 3), (8, 9), (0.2, 0.2))
    design = {
        "kind": "enrichment",
        "threshold": 0.9,
        "pool": "never",
        "reallocate": True,
        "flag_min_responses": 2,
    }
    rates = (0.25, 0.4)
    out = oracle_values(cohorts, design, rates)
    p_none = binom.cdf(1, 4, rates[0]) * binom.cdf(1, 3, rates[1])
    assert out[("mean_total_n", "")] == pytest.approx(7 + (1 - p_none) * 10, abs=1e-12)
    # cohort a alone flagged gets all 10 places; both flagged: 4 and 6
    pa = binom.sf(1, 4, rates[0])
    pb = binom.sf(1, 3, rates[1])
    mean_a = 4 + pa * pb * 4 + pa * (1 - pb) * 10
    assert out[("mean_n", "a")] == pytest.approx(mean_a, abs=1e-12)


def test_fwer_zero_without_null_cohorts_and_refusals():
    cohorts = _cohorts((3, 3), (6, 6), (0.1, 0.1))
    design = {"kind": "enrichment", "threshold": 0.9, "pool": "heterogeneity", "gamma": 0.3}
    assert oracle_values(cohorts, design, (0.3, 0.4))[("fwer", "")] == 0.0
    with pytest.raises(ValueError):
        oracle_values(cohorts, design | {"efficacy": 0.99}, (0.3, 0.4))
    with pytest.raises(ValueError):
        oracle_values(_cohorts((3, 3), (6, 6), (0.1, 0.2)), design, (0.3, 0.4))  # pooled q0 must agree
