"""U-BOIN's kernels against the naive oracle (tests/oracles.py::uboin_trial, written from the rules in
designs/uboin/spec.py with scipy's beta distribution and the copula written out), trial by trial on the
engine's own latent values (toxicity, response and the design's per-decision uniforms); stage 1 against
BOIN trial for trial with the futility rule off; stage 2's allocations against their probabilities."""

import math

import numpy as np
import pytest

from dosefind import Scenario
from dosefind.constants import Reason, Status
from dosefind.designs import Boin, UBoin
from dosefind.engine import simulate_one
from dosefind.engine.rng import STREAM_DESIGN, STREAM_EFF, latent_uniforms
from dosefind.errors import SpecError
from oracles import uboin_trial

SCENARIOS = {
    "mid": ((0.05, 0.1, 0.2, 0.3, 0.45, 0.6), (0.1, 0.2, 0.4, 0.5, 0.5, 0.5), 0.3),
    "futile": ((0.02, 0.05, 0.1, 0.15, 0.25, 0.4), (0.02, 0.05, 0.3, 0.35, 0.35, 0.35), 0.0),
    "toxic": ((0.4, 0.5, 0.6, 0.7, 0.8, 0.9), (0.3, 0.4, 0.5, 0.5, 0.5, 0.5), -0.2),
}
CASES = [
    dict(n_stage1=18),
    dict(n_stage1=9, utilities=(100, 30, 50, 0), prior_a=0.5, prior_b=0.5),
    dict(n_stage1=12, cohort_size=2, max_n=30, start_dose=2, futility=False),
]


def _run(design, scen_name, T, seed):
    tox, eff, rho = SCENARIOS[scen_name]
    s = Scenario(scen_name, tox, true_eff=eff, correlation=rho)
    res = simulate_one(design, s, T, seed)
    u = latent_uniforms(seed, s.key, T, design.max_n)
    ue = latent_uniforms(seed, s.key, T, design.max_n, stream=STREAM_EFF)
    ut = latent_uniforms(seed, s.key, T, design.max_n, stream=STREAM_DESIGN)
    return s, res, u, ue, ut


def _oracle(design, s, u, ue, ut, record=None):
    return uboin_trial(
        s.true_tox,
        s.true_eff,
        s.correlation,
        u,
        ue,
        ut,
        target=design.target,
        target_eff=design.target_eff,
        n_doses=design.n_doses,
        max_n=design.max_n,
        n_stage1=design.n_stage1,
        cohort=design.cohort_size,
        utilities=design.utilities,
        cutoff_tox=design.cutoff_tox,
        cutoff_eff=design.cutoff_eff,
        futility=design.futility,
        a=design.prior_a,
        b=design.prior_b,
        start=design.start_dose - 1,
        record=record,
    )


@pytest.mark.parametrize("kw", CASES)
@pytest.mark.parametrize("scen", sorted(SCENARIOS))
def test_uboin_matches_oracle(kw, scen):
    base = dict(target=0.35, target_eff=0.25, n_doses=6, max_n=36)
    base.update(kw)
    design = UBoin(**base)
    T = 150
    s, res, u, ue, ut = _run(design, scen, T, 11)
    for t in range(T):
        sel, n, y, e, status, _doses = _oracle(design, s, u[t], ue[t], ut[t])
        assert list(res.n_at_dose[t]) == n, (t, kw)
        assert list(res.tox_at_dose[t]) == y, (t, kw)
        assert list(res.eff_at_dose[t]) == e, (t, kw)
        assert int(res.selected[t]) == sel, (t, kw)
        assert (int(res.status[t]) == Status.STOP_SELECT) == (status == "select")


def test_oracle_comparison_is_not_vacuous():
    """The scenarios reach stops with no dose, several selected doses, futility and both stages."""
    design = UBoin(target=0.35, target_eff=0.25, n_doses=6, max_n=36, n_stage1=18)
    picks, reasons = set(), set()
    for name in SCENARIOS:
        _s, res, *_ = _run(design, name, 2000, 3)
        picks |= {int(d) for d in res.selected}
        reasons |= {int(r) for r in res.reason}
    assert -1 in picks and len(picks) >= 5
    assert {int(Reason.UB_LOWEST_TOXIC), int(Reason.MAX_N)} <= reasons


@pytest.mark.parametrize("scen", sorted(SCENARIOS))
def test_stage1_is_boin_without_futility(scen):
    """With the futility rule off and stage 1 as long as the trial, U-BOIN treats every patient as BOIN
    does (same patients: common random numbers), trial for trial."""
    kw = dict(target=0.3, n_doses=6, max_n=30, cohort_size=3)
    ub = UBoin(target_eff=0.2, futility=False, n_stage1=30, **kw)
    boin = Boin(**kw)
    tox, eff, rho = SCENARIOS[scen]
    s = Scenario(scen, tox, true_eff=eff, correlation=rho)
    a = simulate_one(ub, s, 2000, 5)
    b = simulate_one(boin, Scenario(scen, tox), 2000, 5)
    assert np.array_equal(a.n_at_dose, b.n_at_dose)
    assert np.array_equal(a.tox_at_dose, b.tox_at_dose)
    assert np.array_equal(a.status == Status.STOP_NO_DOSE, b.status == Status.STOP_NO_DOSE)


def test_stage2_allocations_follow_their_probabilities():
    """Over the stage-2 randomisations of many trials (the engine's per-decision uniforms), each dose is
    drawn as often as its probabilities say: sum(drawn - probability) within 4 standard errors, per dose
    and for the chance of the highest-utility candidate."""
    design = UBoin(target=0.35, target_eff=0.25, n_doses=6, max_n=36, n_stage1=12)
    s, _res, u, ue, ut = _run(design, "mid", 1500, 21)
    rec = []
    for t in range(1500):
        _oracle(design, s, u[t], ue[t], ut[t], record=rec)
    assert len(rec) > 5000
    for d in range(design.n_doses):
        diff = var = 0.0
        for pool, probs, drawn in rec:
            pd = probs[pool.index(d)] if d in pool else 0.0
            diff += (drawn == d) - pd
            var += pd * (1 - pd)
        assert abs(diff) <= 4 * math.sqrt(var) + 1e-9, (d, diff, var)
    best = [(drawn == pool[int(np.argmax(pr))], max(pr)) for pool, pr, drawn in rec]
    diff = sum(x - p for x, p in best)
    assert abs(diff) <= 4 * math.sqrt(sum(p * (1 - p) for _x, p in best))


def test_bad_input_is_refused_by_field():
    base = dict(target=0.3, target_eff=0.2, n_doses=5, max_n=30)
    for field, value in (
        ("n_stage1", 40),
        ("n_stage1", 0),
        ("utilities", (100, 40, 60, 120)),
        ("utilities", (0, 40, 60, 100)),
        ("cutoff_eff", 1.0),
        ("target_eff", 0.0),
        ("futility", "yes"),
    ):
        with pytest.raises(SpecError, match=field):
            UBoin(**{**base, field: value})
    assert UBoin(**base).n_stage1 == 15  # default: half the trial in whole cohorts


def test_identical_for_any_threads_chunks_and_blocks():
    """The randomisation reads the per-decision latent values, so threads, chunks and blocks change
    nothing (responses and selections included)."""
    design = UBoin(target=0.35, target_eff=0.25, n_doses=6, max_n=36, n_stage1=12)
    tox, eff, rho = SCENARIOS["mid"]
    s = Scenario("mid", tox, true_eff=eff, correlation=rho)
    ref = simulate_one(design, s, 3000, 5, threads=1, chunks=1)
    for kw in (dict(threads=2), dict(threads=2, chunks=7), dict(threads=1, chunks=13, block_trials=997)):
        got = simulate_one(design, s, 3000, 5, **kw)
        for name in ("selected", "n_at_dose", "tox_at_dose", "eff_at_dose", "status", "reason"):
            np.testing.assert_array_equal(getattr(ref, name), getattr(got, name), err_msg=f"{name} {kw}")
