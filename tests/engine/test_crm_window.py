"""The CRM posterior of simulated decisions (empiric model) is computed on a window of nodes around the
peak and, above ``CACHE_MAX_PATIENTS`` patients, without the cache: the same numbers to the bit as the
whole grid (issue 17, item 5)."""

import numpy as np
import pytest

from dosefind import Crm
from dosefind.designs import layout as L
from dosefind.engine import posterior as P
from dosefind.engine.jit import kernel
from dosefind.engine.simulate import PosteriorCache, simulate_one
from dosefind.scenario import Scenario


@kernel
def _both(ip, fp, grid, ns, ys, out, work):
    """Rows 2i and 2i + 1 of ``out``: state i by the whole grid (the old rule, kept for live use) and by
    the decision path."""
    for i in range(ns.shape[0]):
        logmax = P._log_post_nodes(ip, grid, ns[i], ys[i], work)
        P._summarise(ip, fp, grid, work, logmax, out, 2 * i, False)
        if ip[L.IP_CRM_SAFETY] == 1:
            out[2 * i, L.POST_FIRST + 3 * ip[L.IP_N_DOSES]] = P._tail(
                ip, fp, grid, work, logmax, fp[L.FP_CRM_BSAFE], ns[i], ys[i]
            )
        P.crm_posterior(ip, fp, grid, ns[i], ys[i], out, 2 * i + 1, work, False)


def _states(rng, D, n, S):
    ns = rng.multinomial(n, np.ones(D) / D, size=S) * (rng.random((S, D)) < 0.7)
    ys = rng.binomial(ns, rng.random((S, 1)) ** 2)
    extremes = [
        (np.zeros(D), np.zeros(D)),  # the prior
        (np.full(D, n // D), np.full(D, n // D)),  # every patient a DLT
        (np.full(D, n // D), np.zeros(D)),  # none
        (np.eye(D)[0] * n, np.eye(D)[0] * n),  # all at dose 1, all DLTs
        (np.eye(D)[-1] * n, np.zeros(D)),  # all at the top dose, no DLT
        (np.eye(D)[0] * 3, np.eye(D)[0]),
    ]
    for k, (a, b) in enumerate(extremes):
        ns[k], ys[k] = a, b
    return np.ascontiguousarray(ns, dtype=np.int64), np.ascontiguousarray(ys, dtype=np.int64)


@pytest.mark.parametrize(
    "options",
    [
        dict(max_n=36),
        dict(max_n=144),
        dict(max_n=72, dose_choice="posterior_mean", safety_confidence=0.9),
        dict(max_n=200, skeleton_halfwidth=0.02, prior_sd=0.5),
        dict(max_n=24, n_nodes=33, prior_sd=3.0),  # a coarse grid and a wide prior
    ],
)
def test_window_equals_the_whole_grid_to_the_bit(options):
    options = {"skeleton_halfwidth": 0.05, **options}
    d = Crm(target=0.3, n_doses=6, skeleton_nu=3, **options)
    c = d.compile()
    rng = np.random.default_rng(17)
    for n in sorted({3, 12, d.max_n}):
        ns, ys = _states(rng, 6, n, 3000)
        out = np.full((2 * ns.shape[0], L.POST_FIRST + 24), np.nan)
        work = np.zeros(c.grid.shape[0])
        _both(c.ip, c.fp, c.grid, ns, ys, out, work)
        a, b = out[0::2], out[1::2]
        # what the decision path computes (the rest of a row is left as it was)
        cols = [L.POST_MEAN_B, L.POST_VAR_B, L.POST_LOGZ, *range(L.POST_FIRST, L.POST_FIRST + 12)]
        if d.safety_confidence is not None:
            cols.append(L.POST_FIRST + 18)
        assert np.array_equal(a[:, cols], b[:, cols]), (n, np.argwhere(a[:, cols] != b[:, cols])[:3])


def test_deep_states_bypass_the_cache_and_change_nothing():
    """Trials of 96 patients decide the same with a cache, without one and with the states above
    CACHE_MAX_PATIENTS patients kept out of it (the cache holds none of them)."""
    d = Crm(target=0.3, n_doses=6, max_n=96, skeleton_halfwidth=0.05, skeleton_nu=3)
    s = Scenario("S", (0.05, 0.1, 0.2, 0.3, 0.45, 0.6))
    cache = PosteriorCache.for_design(d, capacity=1 << 14)
    with_cache = simulate_one(d, s, 400, 3, cache=cache)
    without = simulate_one(d, s, 400, 3, cache=PosteriorCache.for_design(d, capacity=0))
    for name in ("selected", "n_at_dose", "tox_at_dose", "status", "reason"):
        assert np.array_equal(getattr(with_cache, name), getattr(without, name))
    kept = cache.keys[cache.keys[:, 0] >= 0, :6].sum(axis=1)
    assert kept.size > 0 and kept.max() <= P.CACHE_MAX_PATIENTS


def test_scratch_row_is_reused_only_for_the_state_it_holds():
    """The scratch row (deep states, or no cache) records its state: the same state again reads it (the
    final selection after the last decision), any other state, or a ``full`` summary in between, is
    computed afresh, and every number is the one a fresh computation gives."""
    d = Crm(target=0.3, n_doses=6, max_n=144, skeleton_halfwidth=0.05, skeleton_nu=3, safety_confidence=0.9)
    c = d.compile()
    K = c.grid.shape[0]

    def fresh(n, y, full):
        keys, vals, work = P.new_cache(6, 0, K)
        P.crm_summary_row(c.ip, c.fp, c.grid, n, y, keys, vals, work, full)
        return vals[0].copy()

    a = (np.array([3, 9, 30, 15, 3, 0]), np.array([0, 1, 8, 6, 2, 0]))  # 60 patients: not cached
    b = (np.array([3, 9, 30, 18, 3, 0]), np.array([0, 1, 8, 7, 2, 0]))
    small = (np.array([3, 3, 0, 0, 0, 0]), np.array([0, 1, 0, 0, 0, 0]))
    calls = [(a, False), (a, False), (b, False), (a, False), (a, True), (a, False), (small, False)]
    for keys, vals, work in (P.new_cache(6, 0, K), P.new_cache(6, 1 << 10, K)):
        for state, full in calls:
            row = P.crm_summary_row(c.ip, c.fp, c.grid, *state, keys, vals, work, full)
            want = fresh(*state, full)
            cols = slice(None) if full else slice(0, L.POST_FIRST + 2 * 6)
            assert np.array_equal(vals[row, cols], want[cols])
            if not full:
                assert vals[row, L.POST_FIRST + 18] == want[L.POST_FIRST + 18]
