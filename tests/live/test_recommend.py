"""Live recommendations: decisions, explanations, history checks and the per-dose posterior table."""

import math

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from dosefind import Boin, Crm, DataError, StopAtN, ThreePlusThree
from dosefind.constants import CREDIBLE_MASS, Reason, Status
from dosefind.inference.summary import BETA_PRIOR, fast_posterior
from dosefind.live.recommend import recommend
from dosefind.outcomes import parse_outcomes

BOIN = Boin(target=0.3, n_doses=5, max_n=30)
CRM = Crm(target=0.2, n_doses=6, max_n=30, skeleton=(0.05, 0.10, 0.20, 0.35, 0.50, 0.70))


def rec(design, text, **kw):
    return recommend(design, parse_outcomes(text, design.doses), **kw)


def test_no_patients_gives_the_start_dose():
    r = rec(Boin(target=0.3, n_doses=5, max_n=30, start_dose=2), "")
    assert (r.decision, r.next_label, r.status) == ("start", "2", Status.CONTINUE)
    assert "start_dose" in r.explanation[0]


def test_boin_escalation_names_the_boundary():
    r = rec(BOIN, "1NNN")
    assert (r.decision, r.next_label) == ("escalate", "2")
    assert r.explanation == (
        "observed DLT rate at dose 1 0/3 = 0.000 <= lambda_e 0.236 (escalate when DLTs <= 0 of 3): escalate",
    )


def test_boin_elimination_names_the_posterior_probability():
    r = rec(BOIN, "1NNN 2NNN 3TTT")
    assert (r.decision, r.next_label) == ("de-escalate", "2")
    assert r.reason == Reason.BOIN_DEESCALATE  # elimination implies de-escalation in BOIN's tables
    p = stats.beta(1 + 3, 1).sf(0.3)
    expected = f"dose 3 and all higher doses eliminated: P(DLT rate > 0.3 | 3/3) = {p:.3f} > 0.95"
    assert r.explanation[0] == expected
    assert r.explanation[1].endswith("de-escalate")
    assert [row.admissible for row in r.doses] == [True, True, False, False, False]


def test_crm_no_skip_names_the_model_dose():
    r = rec(CRM, "1NNN")
    assert (r.decision, r.next_label, r.reason) == ("escalate", "2", Reason.CRM_NO_SKIP)
    assert r.explanation[0].startswith("no skipping: the model preferred dose 4")


def test_modifier_override_is_explained_after_the_base_rule():
    design = BOIN.with_modifiers(StopAtN(n=6))
    r = rec(design, "1NNN 2NNN")
    assert r.status == Status.STOP_SELECT and r.reason == Reason.STOP_AT_N
    assert r.base_reason == Reason.BOIN_ESCALATE
    assert len(r.explanation) == 2 and r.explanation[1].startswith("stop_at_n: 6 patients")
    assert r.selected_label == "2" and r.headline() == "stop: MTD estimate dose 2"


def test_three_plus_three_stops_with_the_mtd():
    r = rec(ThreePlusThree(target=0.2, n_doses=4), "1NNN 2NNT 2NNN 3TTN")
    assert r.headline() == "stop: MTD estimate dose 2"
    assert r.reason == Reason.TPT_MTD_FOUND


def test_all_toxic_stops_with_no_dose():
    r = rec(BOIN, "1TTT")
    assert r.decision == "stop" and r.selected is None and r.next_dose is None
    assert r.status == Status.STOP_NO_DOSE


def test_deviations_and_incomplete_cohorts_are_reported_not_hidden():
    r = rec(BOIN, "1NNN 1NNN 3NN")
    assert [h.followed for h in r.history] == [False, False, None]
    assert any("cohort 2 was treated at dose 1; the design recommended dose 2" in w for w in r.warnings)
    assert any("last cohort has 2 of 3 patients" in w for w in r.warnings)
    stopped = rec(BOIN, "1TTT 1NNN")
    assert any("the design stopped after cohort 1" in w for w in stopped.warnings)
    over = rec(Boin(target=0.3, n_doses=3, max_n=6), "1NNN 2NNN 3NNN")
    assert any("more than the design's max_n = 6" in w for w in over.warnings)
    assert over.status == Status.STOP_SELECT and over.reason == Reason.MAX_N


def test_data_for_another_design_is_refused():
    data = parse_outcomes("1NNN", 3)
    with pytest.raises(DataError, match="not the design's doses"):
        recommend(BOIN, data)
    with pytest.raises(DataError, match="choose 'fast' or 'mcmc'"):
        recommend(BOIN, parse_outcomes("1NNN", 5), posterior="laplace")


def test_beta_binomial_table_is_the_closed_form():
    n, y = np.array([3, 6, 3, 0, 0]), np.array([0, 1, 2, 0, 0])
    t = fast_posterior(BOIN, n, y)
    post = stats.beta(BETA_PRIOR[0] + y, BETA_PRIOR[1] + n - y)
    np.testing.assert_allclose(t.mean, post.mean(), rtol=1e-12)
    np.testing.assert_allclose(t.prob_above_target, post.sf(0.3), rtol=1e-10)
    lo, hi = post.interval(CREDIBLE_MASS)
    np.testing.assert_allclose(t.lower, lo, rtol=1e-9)
    np.testing.assert_allclose(t.upper, hi, rtol=1e-9)
    assert t.method == "beta-binomial" and t.mass == 0.9


@pytest.mark.parametrize("model", ["empiric", "logistic"])
def test_crm_interval_matches_adaptive_quadrature(model):
    """Quantiles of p_d from an independent computation: scipy quad for the CDF of b, brentq to invert."""
    design = Crm(target=0.2, n_doses=6, max_n=30, skeleton=CRM.skeleton, model=model)
    n, y = np.array([0, 3, 4, 3, 0, 0]), np.array([0, 0, 1, 2, 0, 0])
    t = fast_posterior(design, n, y)

    used = n > 0

    def log_post(b):
        with np.errstate(all="ignore"):
            p = design.prob_tox(b)[used]
            loglik = float(np.sum(y[used] * np.log(p) + (n - y)[used] * np.log1p(-p)))
        return stats.norm(0, design.prior_sd).logpdf(b) + (loglik if math.isfinite(loglik) else -np.inf)

    half = design.prior_range * design.prior_sd
    mode = optimize.minimize_scalar(lambda b: -log_post(b), bounds=(-half, half), method="bounded").x
    shift = log_post(mode)

    def dens(b):
        return math.exp(log_post(b) - shift)

    z = integrate.quad(dens, -half, half, points=[mode], epsabs=0, epsrel=1e-11, limit=200)[0]

    def cdf(b):
        return integrate.quad(dens, -half, b, epsabs=0, epsrel=1e-11, limit=200)[0] / z

    tail = (1 - CREDIBLE_MASS) / 2
    b_lo = optimize.brentq(lambda b: cdf(b) - tail, -half, half, xtol=1e-10)
    b_hi = optimize.brentq(lambda b: cdf(b) - (1 - tail), -half, half, xtol=1e-10)
    # 1e-5 is two orders below the three decimals reports print
    np.testing.assert_allclose(t.upper, design.prob_tox(b_lo), atol=1e-5)
    np.testing.assert_allclose(t.lower, design.prob_tox(b_hi), atol=1e-5)
    assert np.all(t.lower < t.mean) and np.all(t.mean < t.upper)


def test_recommendation_dict_is_json_ready_and_carries_provenance():
    import json

    r = rec(CRM, "1NNN 2NTN")
    d = json.loads(json.dumps(r.to_dict()))
    assert d["next_dose"] == r.next_label and d["design_hash"] == CRM.config_hash()
    assert d["data_hash"] == r.data.content_hash and d["data_notation"] == "1NNN 2NTN"
    assert len(d["doses"]) == 6 and d["doses"][0]["observed_rate"] == 0.0
    assert d["doses"][3]["observed_rate"] is None


def test_a_tie_that_every_uniform_turns_into_the_same_stop_is_no_tie():
    """BOIN-comb's proposal after 2.2 ties between 3.2 and 2.3, but stop_when_n_at_dose stops the trial
    whatever the uniform: the recommendation reports a stop, not a tie between two stops."""
    from dosefind.designs import BoinComb, StopWhenNAtDose
    from dosefind.designs.grid import DoseGrid

    grid = DoseGrid(levels_a=("a0", "a1", "a2"), levels_b=("b0", "b1", "b2", "b3"), excluded=("3.4",))
    design = BoinComb(
        target=0.25,
        grid=grid,
        cohort_size=2,
        max_n=24,
        rules="next.comb",
        modifiers=(StopWhenNAtDose(n=8, dose="2.2"),),
    )
    rec = recommend(design, parse_outcomes("1.1NN 1.2NN 2.2NN 2.2NT 2.2NN 2.2NN", design.doses, cells=True))
    assert rec.stopped and rec.tie == ()
    assert not any("tie (equal scores)" in line for line in rec.explanation)
    assert not rec.history[-1].tied


def test_patients_at_an_excluded_cell_are_a_data_error():
    from dosefind.designs import PoCrm
    from dosefind.designs.grid import DoseGrid
    from dosefind.errors import DataError

    grid = DoseGrid(levels_a=("1", "2", "3"), levels_b=("1", "2", "3"), excluded=("3.3",))
    design = PoCrm(target=0.3, grid=grid, skeleton=(0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6), max_n=24)
    with pytest.raises(DataError, match="cohort 2 was treated at cell 3.3, which the design excludes"):
        recommend(design, parse_outcomes("1.1NNN 3.3NNN", design.doses, cells=True))
