"""The single-agent BLRM: its quadrature posterior against adaptive integration, its decisions against
the rules written out in Python on the engine's posterior, EWOC never broken, and bad specs refused with
the field and the fix."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize

from dosefind import Scenario
from dosefind.constants import Status
from dosefind.designs import Blrm
from dosefind.engine import simulate_one
from dosefind.engine.blrm import blrm_posterior_summary
from dosefind.engine.replay import DecisionContext, replay_simulated_trial
from dosefind.errors import SpecError

DOSES = (1, 2.5, 5, 10, 15, 20, 25)
DESIGN = Blrm(doses=DOSES, reference_dose=25, max_n=36, prior_mean=(math.log(0.5 / 0.5), 0.0))
#: (patients, DLTs) per dose: no data, early data, the 2008 paper's kind of trial, data at the top only,
#: many DLTs high, every dose treated
DATA = [
    ((0,) * 7, (0,) * 7),
    ((3, 3, 0, 0, 0, 0, 0), (0, 1, 0, 0, 0, 0, 0)),
    ((3, 3, 6, 3, 0, 0, 0), (0, 0, 1, 2, 0, 0, 0)),
    ((3, 0, 0, 0, 0, 0, 3), (0, 0, 0, 0, 0, 0, 3)),
    ((1, 1, 3, 6, 6, 3, 0), (0, 0, 0, 1, 3, 3, 0)),
    ((6, 6, 6, 6, 6, 6, 6), (0, 0, 1, 1, 2, 3, 4)),
]


def _reference(design: Blrm, n, y, cuts):
    """P(p_d < c) for every dose and cut by adaptive 2-D integration (scipy dblquad, tight tolerances)
    over a box of +-15 / +-9 around the mode, written from the model alone."""
    x = [float(v) for v in design.x]
    data = [(float(nd), float(yd), xd) for nd, yd, xd in zip(n, y, x, strict=True) if nd > 0]
    comps = []  # (weight, mean 1, mean 2, precision 11, 12, 22, half log det of the precision)
    for c in design.components:
        prec = np.linalg.inv(c.cov)
        half_logdet = -0.5 * math.log(np.linalg.det(c.cov))
        comps.append((c.weight, *map(float, c.mean), prec[0, 0], prec[0, 1], prec[1, 1], half_logdet))

    def lp(t1, t2):  # plain floats: the integrand is called millions of times
        prior = 0.0
        for w, m1, m2, p11, p12, p22, half_logdet in comps:
            d1, d2 = t1 - m1, t2 - m2
            prior += w * math.exp(half_logdet - 0.5 * (p11 * d1 * d1 + 2 * p12 * d1 * d2 + p22 * d2 * d2))
        b = math.exp(t2)
        like = 0.0
        for nd, yd, xd in data:
            eta = t1 + b * xd
            like += yd * eta - nd * (max(eta, 0.0) + math.log1p(math.exp(-abs(eta))))
        return math.log(max(prior, 1e-300)) + like

    heaviest = max(comps, key=lambda c: c[0])
    start = [heaviest[1], heaviest[2]]
    mode = optimize.minimize(lambda t: -lp(*t), start, method="Nelder-Mead", options={"xatol": 1e-9}).x
    top = lp(*mode)
    lo1, hi1, lo2, hi2 = mode[0] - 15, mode[0] + 15, mode[1] - 9, mode[1] + 9
    opts = {"epsabs": 1e-13, "epsrel": 1e-11}

    def f(t1, t2):
        return math.exp(lp(t1, t2) - top)

    z = integrate.dblquad(f, lo2, hi2, lo1, hi1, **opts)[0]
    out = np.zeros((len(x), len(cuts)))
    for d in range(len(x)):
        for k, c in enumerate(cuts):
            lc = math.log(c / (1 - c))

            def upper(t2, d=d, lc=lc):
                return min(hi1, max(lo1, lc - math.exp(t2) * x[d]))

            out[d, k] = integrate.dblquad(f, lo2, hi2, lo1, upper, **opts)[0] / z
    return out


@pytest.mark.slow
@pytest.mark.parametrize("n, y", DATA, ids=[f"data{i}" for i in range(len(DATA))])
def test_interval_probabilities_match_adaptive_integration(n, y):
    """Within 1e-5 (the issue asks 1e-4; measured 1e-8 to 2e-6): underdosing, overdosing, P(> target)."""
    s = blrm_posterior_summary(DESIGN, n, y)
    lo, hi = DESIGN.intervals
    ref = _reference(DESIGN, n, y, (lo, hi, DESIGN.target))
    np.testing.assert_allclose(s["prob_under"], ref[:, 0], atol=1e-5)
    np.testing.assert_allclose(s["prob_over"], 1 - ref[:, 1], atol=1e-5)
    np.testing.assert_allclose(s["prob_target"], ref[:, 1] - ref[:, 0], atol=1e-5)
    np.testing.assert_allclose(s["prob_above_target"], 1 - ref[:, 2], atol=1e-5)


#: a robust mixture: an informative component (e.g. from adult data) and a weakly informative one
MIXTURE = Blrm(
    doses=DOSES,
    reference_dose=25,
    max_n=36,
    prior=(
        {"weight": 0.8, "mean": (-1.2, 0.3), "sd": (0.5, 0.3), "corr": -0.2},
        {"weight": 0.2, "mean": (0.0, 0.0), "sd": (2.0, 1.0), "corr": 0.0},
    ),
)


@pytest.mark.slow
@pytest.mark.parametrize("n, y", [DATA[0], DATA[2], DATA[4]], ids=["prior", "mid", "conflict"])
def test_mixture_prior_matches_adaptive_integration(n, y):
    """The exact posterior of a mixture prior (components' posteriors weighted by w_k times their
    evidence) against direct integration of the mixture density times the likelihood."""
    s = blrm_posterior_summary(MIXTURE, n, y)
    lo, hi = MIXTURE.intervals
    ref = _reference(MIXTURE, n, y, (lo, hi))
    np.testing.assert_allclose(s["prob_under"], ref[:, 0], atol=1e-5)
    np.testing.assert_allclose(s["prob_over"], 1 - ref[:, 1], atol=1e-5)


def test_one_component_mixture_is_the_plain_prior():
    plain = Blrm(
        doses=DOSES, reference_dose=25, max_n=36, prior_mean=(-1.0, 0.2), prior_sd=(1.5, 0.8), prior_corr=0.3
    )
    mix = Blrm(
        doses=DOSES,
        reference_dose=25,
        max_n=36,
        prior=({"weight": 1.0, "mean": (-1.0, 0.2), "sd": (1.5, 0.8), "corr": 0.3},),
    )
    n, y = DATA[2]
    a = blrm_posterior_summary(plain, n, y)
    b = blrm_posterior_summary(mix, n, y)
    for key in ("prob_under", "prob_target", "prob_over", "mean"):
        np.testing.assert_array_equal(a[key], b[key])
    assert Blrm.from_dict(MIXTURE.to_dict()) == MIXTURE


@pytest.mark.parametrize(
    "prior, field",
    [
        (
            ({"weight": 0.5, "mean": (0, 0), "sd": (1, 1)}, {"weight": 0.4, "mean": (0, 0), "sd": (1, 1)}),
            "prior",
        ),
        (({"weight": 1.0, "mean": (0, 0), "sd": (1, -1)},), "prior[0].sd"),
        (({"weight": 1.0, "mean": (0, 0), "sd": (1, 1), "corr": 1.0},), "prior[0].corr"),
        (({"weight": 1.0, "mean": (0, 0)},), "prior[0].sd"),
        (({"weight": 1.0, "mean": (0, 0), "sd": (1, 1), "rho": 0},), "prior[0]"),
    ],
)
def test_bad_mixtures_name_the_field(prior, field):
    with pytest.raises(SpecError) as e:
        Blrm(doses=(1, 2, 4), reference_dose=4, max_n=12, prior=prior)
    assert e.value.field.startswith(field)
    with pytest.raises(SpecError, match="prior_mean"):
        Blrm(doses=(1, 2, 4), reference_dose=4, max_n=12, prior_mean=(0, 0), prior=prior[:1])


def test_quantiles_bracket_the_mean_and_match_the_cdf():
    n, y = DATA[2]
    s = blrm_posterior_summary(DESIGN, n, y, quantiles=(0.05, 0.5, 0.95))
    assert np.all(s["q0.05"] < s["q0.5"]) and np.all(s["q0.5"] < s["q0.95"])
    # the median is where P(p < m) = 1/2: check with a cut at the reported median of dose 3
    d = Blrm(
        doses=DOSES,
        reference_dose=25,
        max_n=36,
        prior_mean=DESIGN.prior_mean,
        intervals=(float(s["q0.5"][2]), 0.99),
    )
    assert blrm_posterior_summary(d, n, y)["prob_under"][2] == pytest.approx(0.5, abs=1e-6)


def _oracle_next(design: Blrm, n, y, cur, n_total):
    """The decision rules of designs/blrm written out on the engine's posterior summary."""
    s = blrm_posterior_summary(design, n, y)
    values = np.asarray(design.dose_values)
    tried = [d for d in range(design.n_doses) if n[d] > 0]
    highest = max(tried) if tried else 0
    ref = cur if design.increment_reference == "last_dose" else highest
    ok = [d for d in range(design.n_doses) if s["prob_over"][d] <= design.ewoc]
    within = [
        d
        for d in ok
        if (
            design.max_increment is None
            or values[d] <= (1 + design.max_increment) * values[ref] * (1 + 1e-12)
        )
        and (not design.no_skip or d <= highest + 1)
    ]
    if not within:
        return None, Status.STOP_NO_DOSE
    best = max(within, key=lambda d: (s["prob_target"][d], -d))
    if design.mtd_min_n and n[best] >= design.mtd_min_n:
        if s["prob_target"][best] >= design.mtd_min_prob_target or (
            design.mtd_min_total is not None and n_total >= design.mtd_min_total
        ):
            return best, Status.STOP_SELECT
    return best, Status.CONTINUE


@pytest.mark.parametrize(
    "design",
    [
        Blrm(doses=(1, 2, 4, 8, 12, 16), reference_dose=8, max_n=24),
        Blrm(
            doses=(1, 2, 4, 8, 12, 16),
            reference_dose=8,
            max_n=30,
            max_increment=0.5,
            no_skip=False,
            increment_reference="highest_tried",
            mtd_min_prob_target=0.3,
            mtd_min_total=18,
            prior_mean=(-1.5, 0.2),
            prior_sd=(1.5, 0.8),
            prior_corr=-0.3,
        ),
    ],
    ids=["defaults", "options"],
)
def test_simulated_decisions_follow_the_written_out_rules(design):
    scen = Scenario("s", (0.04, 0.08, 0.15, 0.28, 0.42, 0.6))
    res = simulate_one(design, scen, 60, 3)
    checked = 0
    for t in range(60):
        trace = replay_simulated_trial(design, scen, 3, t)
        n = np.zeros(design.n_doses, dtype=int)
        y = np.zeros(design.n_doses, dtype=int)
        for c in trace.cohorts:
            n[c.dose] += c.n
            y[c.dose] += c.tox
            nxt, status = _oracle_next(design, n, y, c.dose, int(n.sum()))
            if c.status == Status.STOP_SELECT and c.reason.name == "MAX_N":
                assert status in (Status.CONTINUE, Status.STOP_SELECT)
            else:
                assert Status(c.status) == status, (t, c)
                if status != Status.STOP_NO_DOSE:
                    assert c.next_dose == nxt, (t, c)
            checked += 1
        assert res.selected[t] == trace.selected
    assert checked > 200


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 6), min_size=6, max_size=6).flatmap(
        lambda n: st.tuples(st.just(n), st.tuples(*(st.integers(0, k) for k in n)))
    ),
    st.integers(0, 5),
)
def test_ewoc_is_never_broken(counts, cur):
    """Whatever the data, a dose the design goes to has P(overdosing) <= ewoc (quadrature)."""
    n, y = counts
    design = Blrm(doses=(1, 2, 4, 8, 12, 16), reference_dose=8, max_n=60, no_skip=False, max_increment=None)
    ctx = DecisionContext(design)
    ctx.n_at[:] = n
    ctx.tox_at[:] = y
    step = ctx.treat(cur, 0, 0, full=False)
    if step.status == Status.CONTINUE:
        s = blrm_posterior_summary(design, np.array(n), np.array(y))
        assert s["prob_over"][step.next_dose] <= design.ewoc + 1e-12


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"doses": (1, 0, 4)}, "doses[1]"),
        ({"doses": (4, 2, 8)}, "doses"),
        ({"reference_dose": 30}, "reference_dose"),
        ({"reference_dose": None}, "reference_dose"),
        ({"prior_corr": 1.0}, "prior_corr"),
        ({"prior_sd": (2.0, 0.0)}, "prior_sd"),
        ({"intervals": (0.33, 0.16)}, "intervals"),
        ({"ewoc": 1.2}, "ewoc"),
        ({"max_increment": -0.5}, "max_increment"),
        ({"doses": None}, "doses"),
    ],
)
def test_bad_specs_name_the_field(changes, field):
    base = {"doses": (1, 2, 4, 8), "reference_dose": 4, "max_n": 12}
    with pytest.raises(SpecError) as e:
        Blrm(**{**base, **changes})
    assert e.value.field == field


def test_spec_round_trips_and_defaults():
    d = Blrm(doses=(1, 2.5, 5), reference_dose=5, max_n=12, dose_unit="mg")
    assert d.target == pytest.approx(0.245) and d.prior_mean[0] == pytest.approx(math.log(0.245 / 0.755))
    again = Blrm.from_dict(d.to_dict())
    assert again == d and again.config_hash() == d.config_hash()
    assert d.to_dict()["doses"] == [1.0, 2.5, 5.0]


def test_posterior_table_reports_95_percent_intervals_as_oncobayes2():
    """The BLRM's table gives the 2.5% and 97.5% quantiles of p_d (OncoBayes2's summary); the CRM keeps
    dfcrm's 90%."""
    from dosefind.designs import Crm
    from dosefind.engine.blrm import blrm_posterior_summary
    from dosefind.inference.summary import fast_posterior

    n = np.array([3, 3, 6, 0, 0, 0, 0, 0, 0, 0][: DESIGN.n_doses])
    y = np.array([0, 0, 2, 0, 0, 0, 0, 0, 0, 0][: DESIGN.n_doses])
    table = fast_posterior(DESIGN, n, y)
    q = blrm_posterior_summary(DESIGN, n, y, quantiles=(0.025, 0.975))
    assert table.mass == 0.95
    np.testing.assert_allclose(table.lower, q["q0.025"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(table.upper, q["q0.975"], rtol=0, atol=1e-12)
    crm = Crm(target=0.3, n_doses=4, skeleton=(0.1, 0.2, 0.3, 0.4), cohort_size=3, max_n=12)
    assert fast_posterior(crm, [3, 0, 0, 0], [0, 0, 0, 0]).mass == 0.90
