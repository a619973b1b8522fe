"""The certified CRM decision path (engine/crm_certify.py): its approximate posterior mean lies within
its bound of the exact path's, so the dose it certifies is the exact path's, and simulated trials are
the same to the bit with it and without it (issue 17, item 5)."""

import dataclasses
import math

import numpy as np
import pytest

from dosefind import Crm
from dosefind.designs import layout as L
from dosefind.engine import crm_certify as C
from dosefind.engine import posterior as P
from dosefind.engine.crm import crm_closest
from dosefind.engine.simulate import PosteriorCache, simulate_one
from dosefind.scenario import Scenario

DESIGNS = [
    dict(max_n=144),
    dict(max_n=96, n_doses=4, target=0.25),
    dict(max_n=120, prior_sd=0.5, skeleton_halfwidth=0.02),
    dict(max_n=72, prior_sd=3.0, n_doses=8),
    dict(max_n=60, n_nodes=49),  # a coarse grid
]


def _design(options):
    options = {"target": 0.3, "n_doses": 6, "skeleton_halfwidth": 0.05, "skeleton_nu": 3, **options}
    return Crm(**options)


def _exact(c, n, y):
    """The exact path's summary row of a state (a fresh buffer, no cache)."""
    keys, vals, work = P.new_cache(c.ip[L.IP_N_DOSES], 0, c.grid.shape[0])
    row = P.crm_summary_row(c.ip, c.fp, c.grid, n, y, keys, vals, work, False)
    return vals[row : row + 1].copy()


def _walk(rng, D, max_n, true):
    """The states of trial-like walks: cohorts of 1 to 3 at a dose near the last, DLTs at the true rates;
    some walks jump to an unrelated state (counts that fall, or grow at several doses at once)."""
    n = np.zeros(D, dtype=np.int64)
    y = np.zeros(D, dtype=np.int64)
    dose = 0
    while n.sum() < max_n:
        k = int(rng.integers(1, 4))
        dose = int(np.clip(dose + rng.integers(-1, 2), 0, D - 1))
        n[dose] += k
        y[dose] += rng.binomial(k, true[dose])
        if rng.random() < 0.03:  # another trial's state: fewer patients, or more at several doses
            total = max(int(n.sum()) + int(rng.integers(-20, 20)), 1)
            n = rng.multinomial(total, np.ones(D) / D).astype(np.int64)
            y = rng.binomial(n, true).astype(np.int64)
        yield n.copy(), y.copy()


@pytest.mark.parametrize("options", DESIGNS)
def test_mean_lies_within_its_bound(options):
    d = _design(options)
    c = d.compile()
    D, K = d.n_doses, c.grid.shape[0]
    work = np.zeros(C.certify_work_size(K, D))
    rng = np.random.default_rng(5)
    worst = 0.0
    widest = 0.0
    checked = 0
    for walk in range(60):
        true = np.sort(rng.random(D)) ** (1 + 2 * rng.random())
        for n, y in _walk(rng, D, d.max_n, true):
            m, e = C.certified_mean(c.ip, c.fp, c.grid, n, y, work)
            exact = _exact(c, n, y)[0, L.POST_MEAN_B]
            assert abs(m - exact) <= e, (walk, n, y, m, exact, e)
            worst = max(worst, abs(m - exact) / e)
            if n.sum() > C.CERT_MIN_PATIENTS:
                widest = max(widest, e)
            checked += 1
    assert checked > 1000
    assert widest < 1e-4  # narrow enough to certify nearly every decision
    assert worst > 0.0  # the two means differ (the bound is not vacuous)


@pytest.mark.parametrize("options", DESIGNS[:3])
def test_certified_dose_is_the_exact_paths(options):
    """Where it certifies, the dose is the exact path's, over all doses and over the doses tried; with
    a boundary moved onto the exact mean it refuses."""
    d = _design(options)
    c = d.compile()
    D, K = d.n_doses, c.grid.shape[0]
    work = np.zeros(C.certify_work_size(K, D))
    rng = np.random.default_rng(9)
    refused = certified = 0
    for _walk_i in range(25):
        true = np.sort(rng.random(D)) ** 1.5
        for n, y in _walk(rng, D, d.max_n, true):
            row = _exact(c, n, y)
            for tried in (False, True):
                dose = C.crm_certified_dose(c.ip, c.fp, c.grid, n, y, work, tried)
                want = crm_closest(c.ip, c.fp, row, 0, tried, n)
                if dose >= 0:
                    assert dose == want
                    certified += 1
                else:
                    refused += 1
            fp = c.fp.copy()  # a boundary exactly at the exact mean: nothing can be certified
            fp[L.FP_CRM_MID + int(rng.integers(0, D - 1))] = row[0, L.POST_MEAN_B]
            assert C.crm_certified_dose(c.ip, fp, c.grid, n, y, work, False) == -1
    assert certified > 50 * max(refused, 1)


def test_boundaries_split_the_plug_in_choice():
    d = _design(dict(max_n=36))
    beta = d.plugin_boundaries()
    assert np.all(np.diff(beta) > 0)
    p = d.prob_tox(beta)
    assert np.allclose(p[np.arange(5), np.arange(5)] + p[np.arange(5), np.arange(1, 6)], 0.6, atol=1e-13)
    c = d.compile()
    for j, b in enumerate(beta):
        for side, want in ((-1e-9, j), (1e-9, j + 1)):
            row = np.zeros((1, L.POST_FIRST + 24))
            row[0, L.POST_FIRST : L.POST_FIRST + 6] = d.prob_tox(b + side)
            assert crm_closest(c.ip, c.fp, row, 0, False, np.ones(6, dtype=np.int64)) == want


def test_designs_it_does_not_serve_get_no_certificate():
    n = np.array([9, 12, 15, 12, 3, 0])
    y = np.array([0, 1, 4, 5, 2, 0])
    for options in (dict(model="logistic"), dict(dose_choice="posterior_mean")):
        d = _design(dict(max_n=72, **options))
        c = d.compile()
        work = np.zeros(C.certify_work_size(c.grid.shape[0], 6))
        assert C.certified_mean(c.ip, c.fp, c.grid, n, y, work)[1] == math.inf
    d = _design(dict(max_n=72))
    c = d.compile()
    short = np.zeros(C.certify_work_size(c.grid.shape[0], 6) - 1)  # not this design's buffer
    assert C.certified_mean(c.ip, c.fp, c.grid, n, y, short)[1] == math.inf


def test_a_buffer_used_by_another_design_is_refreshed():
    """Two designs with the same nodes and doses but other skeletons share a buffer: the stored log
    posterior is the other design's, and the tables are rebuilt before it is used."""
    a = _design(dict(max_n=72)).compile()
    b = _design(dict(max_n=72, skeleton_halfwidth=0.08)).compile()
    assert a.grid.shape == b.grid.shape
    work = np.zeros(C.certify_work_size(a.grid.shape[0], 6))
    n0 = np.array([3, 6, 18, 15, 3, 0])
    y0 = np.array([0, 1, 4, 5, 2, 0])
    n1, y1 = n0.copy(), y0.copy()
    n1[3] += 3
    y1[3] += 1
    C.certified_mean(a.ip, a.fp, a.grid, n0, y0, work)
    m, e = C.certified_mean(b.ip, b.fp, b.grid, n1, y1, work)  # counts grew: an update, were it a's
    assert abs(m - _exact(b, n1, y1)[0, L.POST_MEAN_B]) <= e


SCEN = (
    Scenario("S3", (0.09, 0.16, 0.23, 0.34, 0.51, 0.74)),
    Scenario("S6", (0.45, 0.55, 0.62, 0.70, 0.78, 0.85)),
    Scenario("S7", (0.01, 0.02, 0.04, 0.06, 0.10, 0.16)),
)


@pytest.mark.parametrize(
    "options",
    [
        dict(max_n=96),
        dict(max_n=60, cohort_size=1),
        dict(max_n=144, select_tried_only=True, no_skip_escalation=True, coherence="last_cohort"),
        dict(max_n=90, safety_confidence=0.9),
    ],
)
def test_simulated_trials_are_the_same_without_it(options):
    """A buffer one value short turns the certified path off: every decision is the exact path's."""
    d = _design(options)
    exact_cache = PosteriorCache.for_design(d)
    exact_cache = dataclasses.replace(exact_cache, work=np.zeros(exact_cache.work.shape[0] - 1))
    for s in SCEN:
        a = simulate_one(d, s, 600, 11, cache=PosteriorCache.for_design(d))
        b = simulate_one(d, s, 600, 11, cache=exact_cache)
        for name in ("selected", "n_at_dose", "tox_at_dose", "status", "reason", "n_total"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), (s.name, name)
