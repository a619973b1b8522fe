"""EffTox's kernels against the naive oracle (tests/oracles.py::efftox_trial, the rules in words with the
posterior rule written plainly in numpy and scipy), trial by trial on the engine's own latent values:
the same doses, counts, responses, status and selected dose; and the kernel's log posterior and gradient
against the formula as printed."""

import numpy as np
import pytest

from dosefind import Scenario
from dosefind.constants import Reason, Status
from dosefind.designs import EffTox
from dosefind.engine import simulate_one
from dosefind.engine.efftox import counts_of, gradient_information, log_post, point_values
from dosefind.engine.rng import STREAM_EFF, latent_uniforms
from oracles import efftox_counts, efftox_log_post, efftox_trial

PRIOR = dict(
    prior_mean=(-7.9593, 1.5482, 0.7367, 3.4181, 0.0, 0.0),
    prior_sd=(3.5487, 3.5018, 2.5423, 2.4406, 0.2, 1.0),
)
SCENARIOS = {
    "trialr": ((0.05, 0.10, 0.15, 0.20, 0.40), (0.20, 0.40, 0.60, 0.80, 0.90), 0.0),
    "mid": ((0.05, 0.10, 0.25, 0.45, 0.6), (0.2, 0.45, 0.6, 0.65, 0.65), 0.3),
    "toxic": ((0.45, 0.55, 0.65, 0.75, 0.85), (0.3, 0.4, 0.5, 0.6, 0.7), -0.2),
}


def _design(**kw):
    base = dict(doses=(1, 2, 4, 6.6, 10), max_n=18, **PRIOR)
    base.update(kw)
    return EffTox(**base)


def test_log_posterior_and_gradient_match_the_formula():
    design = _design()
    c = design.compile()
    rng = np.random.default_rng(3)
    n = np.array([3, 6, 3, 0, 0])
    y = np.array([0, 2, 2, 0, 0])
    r = np.array([[1, 4, 3, 0, 0], [0, 1, 2, 0, 0]])
    cnt = np.zeros((4, 5), dtype=np.int64)
    counts_of(n, y, r, cnt)
    assert np.array_equal(cnt, efftox_counts(n, y, r))
    for _ in range(20):
        th = np.asarray(design.prior_mean) + rng.normal(size=6) * np.asarray(design.prior_sd) * 0.5
        want = efftox_log_post(design, cnt, th)
        assert log_post(c.fp, 5, cnt, th) == pytest.approx(want, rel=1e-12, abs=1e-10)
        g = np.zeros(6)
        info = np.zeros((6, 6))
        gradient_information(c.fp, 5, cnt, th, g, info)
        h = 1e-6
        fd = [
            (
                efftox_log_post(design, cnt, th + h * np.eye(6)[i])
                - efftox_log_post(design, cnt, th - h * np.eye(6)[i])
            )
            / (2 * h)
            for i in range(6)
        ]
        assert g == pytest.approx(fd, rel=1e-5, abs=1e-5)
        # the analytic minus-Hessian against central differences of the (tested) gradient
        fd_info = np.zeros((6, 6))
        scratch = np.zeros((6, 6))
        for j in range(6):
            gp, gm = np.zeros(6), np.zeros(6)
            step = 1e-5 * (1 + abs(th[j]))
            gradient_information(c.fp, 5, cnt, th + step * np.eye(6)[j], gp, scratch)
            gradient_information(c.fp, 5, cnt, th - step * np.eye(6)[j], gm, scratch)
            fd_info[:, j] = -(gp - gm) / (2 * step)
        assert info == pytest.approx(fd_info, rel=1e-5, abs=1e-5)
        assert np.array_equal(info, info.T)
        # the points' pass: the same log posterior, and per dose pi_T, pi_E and the hurdles' indicators
        vals = np.zeros((4, 5))
        assert point_values(c.fp, 5, cnt, th, vals) == pytest.approx(want, rel=1e-12, abs=1e-10)
        pt, pe = design.probabilities(th)
        assert vals[0] == pytest.approx(pt, rel=1e-13) and vals[1] == pytest.approx(pe, rel=1e-13)
        assert np.array_equal(vals[2], pt < design.tox_limit)
        assert np.array_equal(vals[3], pe > design.eff_limit)


@pytest.mark.parametrize("scen", sorted(SCENARIOS))
@pytest.mark.parametrize("kw", [dict(), dict(no_skip=False, start_dose=2, cohort_size=2, max_n=12)])
def test_efftox_matches_oracle(scen, kw):
    tox, eff, rho = SCENARIOS[scen]
    design = _design(**kw)
    s = Scenario(scen, tox, true_eff=eff, correlation=rho)
    T = 8
    res = simulate_one(design, s, T, 5)
    u = latent_uniforms(5, s.key, T, design.max_n)
    ue = latent_uniforms(5, s.key, T, design.max_n, stream=STREAM_EFF)
    for t in range(T):
        sel, n, y, e, status, _path = efftox_trial(design, tox, eff, rho, u[t], ue[t])
        assert list(res.n_at_dose[t]) == n, (t, kw)
        assert list(res.tox_at_dose[t]) == y, (t, kw)
        assert list(res.eff_at_dose[t]) == e, (t, kw)
        assert int(res.selected[t]) == sel, (t, kw)
        assert (int(res.status[t]) == Status.STOP_SELECT) == (status == "select")


def test_oracle_comparison_is_not_vacuous():
    """The scenarios stop with no dose, select several doses and use the no-skip rule."""
    design = _design()
    reasons, picks = set(), set()
    for name, (tox, eff, rho) in SCENARIOS.items():
        res = simulate_one(design, Scenario(name, tox, true_eff=eff, correlation=rho), 100, 3)
        reasons |= {int(r) for r in res.reason}
        picks |= {int(d) for d in res.selected}
    assert -1 in picks and len(picks) >= 3
    assert int(Reason.EFFTOX_NONE_ACCEPTABLE) in reasons


def test_cache_chunks_and_blocks_change_nothing():
    """One chunk (one posterior cache for every trial), eight chunks on two threads (eight caches) and
    blocks of trials started part-way give the same trials."""
    tox, eff, rho = SCENARIOS["mid"]
    design = _design()
    s = Scenario("mid", tox, true_eff=eff, correlation=rho)
    a = simulate_one(design, s, 40, 9, threads=1, chunks=1)
    b = simulate_one(design, s, 40, 9, threads=2, chunks=8)
    c = simulate_one(design, s, 20, 9, first_trial=20)
    assert np.array_equal(a.selected, b.selected) and np.array_equal(a.n_at_dose, b.n_at_dose)
    assert np.array_equal(a.eff_at_dose, b.eff_at_dose) and np.array_equal(a.reason, b.reason)
    assert np.array_equal(a.selected[20:], c.selected) and np.array_equal(a.n_at_dose[20:], c.n_at_dose)
