"""Predictive probability monitoring (Lee & Liu 2008): PP against the paper and a naive sum, boundaries
against PP decided count by count, exact OCs against enumeration, the threshold search against a
brute-force grid search, and the rule spec."""

import math

import pytest
from scipy import integrate

from dosefind.errors import SpecError
from dosefind.extension import PredictiveRule, exact_oc, predictive_probability, rule_from_dict
from dosefind.extension.predictive import final_success_count, predictive_boundaries, predictive_search

from .test_boundaries import naive_oc


def post_above(p0, a, b, z, n):
    def f(t):
        return t ** (a + z - 1) * (1 - t) ** (b + n - z - 1)

    hi = integrate.quad(f, p0, 1, epsabs=0, epsrel=1e-12, limit=200)[0]
    return hi / (hi + integrate.quad(f, 0, p0, epsabs=0, epsrel=1e-12, limit=200)[0])


def naive_pp(x, n, n_max, p0, theta_t, a, b):
    """sum_y Pr(Y = y | x) 1[Pr(p > p0 | x + y of n_max) > theta_T], beta-binomial via lgamma."""

    def lbeta(u, v):
        return math.lgamma(u) + math.lgamma(v) - math.lgamma(u + v)

    m = n_max - n
    total = 0.0
    for y in range(m + 1):
        w = math.comb(m, y) * math.exp(lbeta(a + x + y, b + n - x + m - y) - lbeta(a + x, b + n - x))
        if post_above(p0, a, b, x + y, n_max) > theta_t:
            total += w
    return total


def test_published_lee_liu_table_1():
    # Lee & Liu (2008) Clinical Trials 5:93-106, Table 1 and p. 97: p0 = 0.6, Beta(0.6, 0.4) prior,
    # Nmax = 40, theta_T = 0.90; with 16 responses in 23 patients the predictive probability is 0.5656.
    assert predictive_probability(16, 23, 40, 0.6, 0.9, (0.6, 0.4)) == pytest.approx(0.5656, abs=5e-5)
    # same table: success at the end needs Pr(p > 0.6 | z of 40) > 0.9, i.e. at least 28 of 40
    assert final_success_count(0.6, 0.9, 40, (0.6, 0.4)) == 28


def test_published_ph2bye_example():
    # R package ph2bye, help page of PredP: PredP(16, 23, 40, 1, 1, 0.5, 0.9) prints 0.8871897
    assert predictive_probability(16, 23, 40, 0.5, 0.9, (1.0, 1.0)) == pytest.approx(0.8871897, abs=1e-7)


@pytest.mark.parametrize("x, n", [(0, 5), (3, 10), (7, 12), (12, 19)])
def test_pp_equals_naive_sum(x, n):
    got = predictive_probability(x, n, 20, 0.3, 0.85, (0.3, 0.7))
    assert got == pytest.approx(naive_pp(x, n, 20, 0.3, 0.85, 0.3, 0.7), abs=1e-12)


def test_boundaries_decided_count_by_count():
    looks, p0, tt, tl, tu, prior = (5, 10, 15, 20), 0.3, 0.85, 0.1, 0.95, (0.3, 0.7)
    b = predictive_boundaries(p0, 20, looks, tt, tl, tu, prior)
    for i, n in enumerate(looks[:-1]):
        pps = [naive_pp(x, n, 20, p0, tt, *prior) for x in range(n + 1)]
        assert b.futility[i] == max([x for x in range(n + 1) if pps[x] < tl], default=-1)
        assert b.efficacy[i] == min([x for x in range(n + 1) if pps[x] > tu], default=n + 1)
    z = min(z for z in range(21) if post_above(p0, *prior, z, 20) > tt)
    assert (b.futility[-1], b.efficacy[-1]) == (z - 1, z)


def test_oc_equals_enumeration_every_patient():
    r = PredictiveRule(p0=0.3, n_max=11, n_min=4, theta_t=0.8, theta_l=0.1, theta_u=0.97)
    b = r.boundaries()
    assert b.looks.tolist() == list(range(4, 12))
    for p in (0.3, 0.55):
        active, fut, eff, en = naive_oc(b.looks.tolist(), b.futility.tolist(), b.efficacy.tolist(), p)
        oc = exact_oc(b, p)
        assert oc.prob_active == pytest.approx(active, abs=1e-13)
        assert oc.prob_stop_efficacy == pytest.approx(eff, abs=1e-13)
        assert oc.expected_n == pytest.approx(en, abs=1e-12)


def test_search_equals_brute_force_grid_search():
    p0, p1, n_max, looks, alpha, beta, prior = 0.2, 0.5, 12, (4, 6, 8, 10, 12), 0.15, 0.25, (0.2, 0.8)
    tts, tls = (0.8, 0.85, 0.9, 0.95), (0.01, 0.05, 0.1, 0.2)
    best = None
    for tt in tts:
        for tl in tls:
            b = predictive_boundaries(p0, n_max, looks, tt, tl, None, prior)
            args = (b.looks.tolist(), b.futility.tolist(), b.efficacy.tolist())
            a0, _, _, en0 = naive_oc(*args, p0)
            a1, _, _, _ = naive_oc(*args, p1)
            if a0 <= alpha and a1 >= 1 - beta:
                key = (en0, -a1)
                if best is None or key < best[0]:
                    best = (key, tt, tl)
    s = predictive_search(p0, p1, n_max, looks, alpha, beta, prior, None, tts, tls)
    assert (s.theta_t, s.theta_l) == best[1:]
    assert s.en_p0 == pytest.approx(best[0][0], abs=1e-12)
    assert s.type_one_error <= alpha and s.power >= 1 - beta


def test_searched_rule_meets_alpha_and_beta():
    r = PredictiveRule(p0=0.2, p1=0.4, n_max=40, n_min=10, alpha=0.1, beta=0.1)
    assert r.oc(0.2).prob_active <= 0.1 and r.oc(0.4).prob_active >= 0.9
    tt, tl = r.thresholds()
    assert f"theta_T {tt:g}" in r.describe()
    assert rule_from_dict(r.to_dict()) == r


def test_rule_round_trip_and_explicit_form():
    r = PredictiveRule(p0=0.2, n_max=40, looks=[10, 20, 30, 40], theta_t=0.9, theta_l=0.05, prior=[1, 1])
    assert r.prior == (1.0, 1.0) and r.looks == (10, 20, 30, 40)
    d = r.to_dict()
    assert d["rule"] == "predictive" and d["looks"] == [10, 20, 30, 40] and "alpha" not in d
    assert rule_from_dict(d) == r and hash(rule_from_dict(d)) == hash(r)
    assert r.boundaries().efficacy[:-1].tolist() == [11, 21, 31]  # no efficacy stop by default
    with pytest.raises(SpecError) as e:
        r.search()
    assert e.value.field == "theta_t"


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"n_min": 10, "looks": [10, 40]}, "looks"),
        ({}, "looks"),
        ({"looks": [10, 30]}, "looks"),
        ({"n_min": 10, "theta_t": 0.9}, "theta_l"),
        ({"n_min": 10, "p1": 0.4, "alpha": 0.1}, "beta"),
        ({"n_min": 10, "p1": 0.1, "alpha": 0.1, "beta": 0.1}, "p1"),
        ({"n_min": 10, "theta_t": 0.9, "theta_l": 0.2, "theta_u": 0.1}, "theta_u"),
        ({"n_min": 10, "theta_t": 0.9, "theta_l": 0.2, "alpha": 0.1}, "alpha"),
        ({"n_min": 50, "theta_t": 0.9, "theta_l": 0.2}, "n_min"),
        ({"n_min": 10, "theta_t": 1.0, "theta_l": 0.2}, "theta_t"),
    ],
)
def test_rule_errors_name_the_field(kwargs, field):
    with pytest.raises(SpecError) as e:
        PredictiveRule(p0=0.2, n_max=40, **kwargs)
    assert e.value.field == field and e.value.fix


def test_unreachable_theta_t_and_infeasible_search():
    with pytest.raises(SpecError) as e:
        PredictiveRule(p0=0.9, n_max=3, n_min=1, theta_t=0.999, theta_l=0.1).boundaries()
    assert e.value.field == "theta_t"
    with pytest.raises(SpecError) as e:
        PredictiveRule(p0=0.2, p1=0.3, n_max=12, n_min=5, alpha=0.05, beta=0.1).boundaries()
    assert e.value.field == "n_max"
