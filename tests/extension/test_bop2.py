"""BOP2 (binary endpoint): boundaries against the rule evaluated directly with a numerically integrated
posterior, exact OCs against enumeration, the calibration against a brute-force grid search, the
published BOP2FE example, and the rule spec."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from dosefind.errors import SpecError
from dosefind.extension import Bop2Rule, bop2_boundaries, calibrate_bop2, exact_oc, rule_from_dict

from .test_boundaries import naive_oc


def null_post_quad(p0, a, b, x, n):
    """Pr(p <= p0 | x of n) by quadrature of the unnormalised posterior (independent of betainc)."""

    def f(t):
        return t ** (a + x - 1) * (1 - t) ** (b + n - x - 1)

    num = integrate.quad(f, 0, p0, epsabs=0, epsrel=1e-12, limit=200)[0]
    den = num + integrate.quad(f, p0, 1, epsabs=0, epsrel=1e-12, limit=200)[0]
    return num / den


def direct_rule(p0, prior, looks, lam, gam):
    """Stop iff Pr(p <= p0 | x) > 1 - lam (n/N)^gam, decided x by x."""
    fut = []
    for n in looks:
        cut = 1 - lam * (n / looks[-1]) ** gam
        stops = [x for x in range(n + 1) if null_post_quad(p0, prior[0], prior[1], x, n) > cut]
        assert stops == list(range(len(stops)))  # a lower set of counts
        fut.append(len(stops) - 1)
    return fut


@pytest.mark.parametrize(
    "p0, prior, looks, lam, gam",
    [
        (0.2, (0.2, 0.8), (10, 20, 30, 40), 0.9, 1.0),
        (0.2, (0.2, 0.8), (10, 16, 25), 0.8, 0.5),
        (0.3, (1.0, 1.0), (5, 12, 20), 0.95, 2.0),
        (0.15, (0.15, 0.85), (6, 12), 0.7, 0.0),
    ],
)
def test_boundaries_equal_the_rule_decided_count_by_count(p0, prior, looks, lam, gam):
    b = bop2_boundaries(p0, prior, looks, lam, gam)
    assert b.futility.tolist() == direct_rule(p0, prior, looks, lam, gam)
    assert b.efficacy[:-1].tolist() == [n + 1 for n in looks[:-1]]  # no interim efficacy stop
    assert b.efficacy[-1] == b.futility[-1] + 1


def test_published_bop2fe_futility_boundaries():
    # BOP2FE R package README (github.com/belayb/BOP2FE), binary endpoint example:
    # BOP2FE_binary(H0 = 0.2, H1 = 0.4, n = c(10,5,5,5,5,5,5), lambda = 0.909, gamma = 1, method = "OF")
    # prints the futility boundary 1 2 3 5 7 9 11 at n = 10, 15, ..., 40 (prior Beta(H0, 1 - H0); stop iff
    # Pr(p > H0 | data) < lambda (n/N)^gamma, the BOP2 futility rule). Its superiority boundary is BOP2-FE's
    # own extension and is not part of BOP2.
    b = bop2_boundaries(0.2, (0.2, 0.8), (10, 15, 20, 25, 30, 35, 40), 0.909, 1.0)
    assert b.futility.tolist() == [1, 2, 3, 5, 7, 9, 11]


def test_oc_equals_enumeration():
    b = bop2_boundaries(0.25, (0.25, 0.75), (4, 8, 12), 0.85, 1.0)
    for p in (0.25, 0.45):
        active, fut, _, en = naive_oc(b.looks.tolist(), b.futility.tolist(), b.efficacy.tolist(), p)
        oc = exact_oc(b, p)
        assert oc.prob_active == pytest.approx(active, abs=1e-13)
        assert oc.prob_stop_futility == pytest.approx(fut, abs=1e-13)
        assert oc.expected_n == pytest.approx(en, abs=1e-12)


def test_calibration_equals_brute_force_grid_search():
    p0, p1, looks, alpha, prior = 0.25, 0.5, (4, 8, 12), 0.15, (0.25, 0.75)
    lams = (0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
    gams = (0.0, 0.5, 1.0, 2.0)
    best = None
    for lam in lams:
        for gam in gams:
            fut = direct_rule(p0, prior, looks, lam, gam)
            eff = [n + 1 for n in looks[:-1]] + [fut[-1] + 1]
            a0, _, _, en0 = naive_oc(list(looks), fut, eff, p0)
            a1, _, _, _ = naive_oc(list(looks), fut, eff, p1)
            if a0 <= alpha and (
                best is None or a1 > best[0] + 1e-12 or (abs(a1 - best[0]) <= 1e-12 and en0 < best[1] - 1e-12)
            ):
                best = (a1, en0, lam, gam, fut)
    c = calibrate_bop2(p0, p1, looks, alpha, prior, lams, gams)
    assert c.power == pytest.approx(best[0], abs=1e-12)
    assert c.en_p0 == pytest.approx(best[1], abs=1e-12)
    assert (c.lam, c.gam) == (best[2], best[3])
    assert c.boundaries.futility.tolist() == best[4]


@settings(max_examples=8)
@given(
    st.sampled_from([0.1, 0.2, 0.3]),
    st.sampled_from([0.15, 0.2]),
    st.sampled_from([(10, 20, 30), (8, 16, 24, 32), (12, 25)]),
    st.sampled_from([0.05, 0.1]),
)
def test_calibrated_design_controls_type_one_error(p0, delta, looks, alpha):
    rule = Bop2Rule(p0=p0, p1=p0 + delta, n=looks[-1], looks=looks, alpha=alpha)
    c = rule.calibration()
    assert rule.oc(p0).prob_active == pytest.approx(c.type_one_error, abs=1e-14) and c.type_one_error <= alpha
    assert rule.oc(rule.p1).prob_active == pytest.approx(c.power, abs=1e-14)
    # the final decision is the same posterior inequality as the interim ones (no gap, no overlap)
    n = looks[-1]
    f = int(rule.boundaries().futility[-1])
    cut = 1 - c.lam
    assert f == -1 or null_post_quad(p0, p0, 1 - p0, f, n) > cut
    assert f == n or null_post_quad(p0, p0, 1 - p0, f + 1, n) <= cut


def test_rule_spec_round_trip_cache_and_describe():
    r = Bop2Rule(p0=0.2, p1=0.4, n=25, looks=[10, 16, 25], alpha=0.1)
    assert r.prior == (0.2, 0.8) and r.looks == (10, 16, 25)
    assert rule_from_dict(r.to_dict()) == r and hash(r) == hash(rule_from_dict(r.to_dict()))
    assert r.to_dict()["prior"] == [0.2, 0.8]
    hits = calibrate_bop2.cache_info().hits
    assert r.boundaries() == r.boundaries()
    assert calibrate_bop2.cache_info().hits >= hits + 1
    assert "lambda" in r.describe() and "gamma" in r.describe()
    assert r.boundaries_at(0.9, 1.0) == bop2_boundaries(0.2, (0.2, 0.8), (10, 16, 25), 0.9, 1.0)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"looks": [10, 16, 20]}, "looks"),
        ({"looks": [10, 10, 25]}, "looks"),
        ({"looks": []}, "looks"),
        ({"alpha": 0.0}, "alpha"),
        ({"p1": 0.1}, "p1"),
        ({"prior": [0.2]}, "prior"),
        ({"prior": [0.2, -1]}, "prior[1]"),
        ({"n": 0}, "n"),
    ],
)
def test_rule_errors_name_the_field(kwargs, field):
    args = {"p0": 0.2, "p1": 0.4, "n": 25, "looks": [10, 16, 25], "alpha": 0.1, **kwargs}
    with pytest.raises(SpecError) as e:
        Bop2Rule(**args)
    assert e.value.field == field and e.value.fix


def test_dict_errors_carry_the_prefix():
    with pytest.raises(SpecError) as e:
        rule_from_dict(
            {"rule": "bop2", "p0": 0.2, "p1": 0.4, "n": 25, "looks": [10, 25], "alpha": 0.1, "beta": 0.2}
        )
    assert e.value.field == "extension.beta"
    with pytest.raises(SpecError) as e:
        rule_from_dict(
            {"rule": "bop2", "p0": 0.2, "p1": 0.4, "n": 25, "looks": [10, 24], "alpha": 0.1}, "arms[1]"
        )
    assert e.value.field == "arms[1].looks"
