"""Determinism: results do not depend on threads, chunking or blocks; designs share patients (CRN)."""

import numpy as np
import pytest

from dosefind import Boin, Crm, Scenario, ThreePlusThree
from dosefind.engine import simulate_one
from dosefind.engine.rng import latent_uniform, latent_uniforms, trial_key

SCEN = Scenario("S3", (0.09, 0.16, 0.23, 0.34, 0.51, 0.74))
DESIGNS = [
    Boin(target=0.3, n_doses=6, max_n=36),
    Crm(target=0.3, n_doses=6, max_n=36, skeleton_halfwidth=0.05, skeleton_nu=3),
    ThreePlusThree(n_doses=6),
]


def _arrays(r):
    return [r.selected, r.n_at_dose, r.tox_at_dose, r.status, r.reason]


@pytest.mark.parametrize("design", DESIGNS, ids=lambda d: d.kind)
def test_identical_for_any_threads_chunks_and_blocks(design):
    ref = simulate_one(design, SCEN, 3000, 5, threads=1, chunks=1)
    variants = [
        dict(threads=2),
        dict(threads=2, chunks=7),
        dict(threads=1, chunks=13, block_trials=997),
        dict(threads=2, chunks=3, block_trials=1),
    ]
    if design.kind == "crm":
        variants = variants[:2] + [dict(threads=2, chunks=5, block_trials=701)]
    for kw in variants:
        got = simulate_one(design, SCEN, 3000, 5, **kw)
        for a, b in zip(_arrays(ref), _arrays(got), strict=True):
            np.testing.assert_array_equal(a, b, err_msg=str(kw))


def test_trials_are_prefix_stable():
    """Trial t is the same trial whatever the total number simulated."""
    d = DESIGNS[0]
    small = simulate_one(d, SCEN, 500, 9)
    large = simulate_one(d, SCEN, 2000, 9)
    np.testing.assert_array_equal(small.n_at_dose, large.n_at_dose[:500])


def test_common_random_numbers_same_patients_across_designs():
    """The k-th patient of trial t has the same latent tolerance in every design, so with a curve where
    every patient has a DLT (p = 1 everywhere) or none (p = 0), designs see identical outcomes."""
    u = latent_uniforms(3, SCEN.key, 4, 36)
    assert np.all((u > 0) & (u < 1))
    k = trial_key(np.int64(3), np.int64(SCEN.key), 2)
    assert latent_uniform(k, 7, 0) == u[2, 7]
    # different streams and trials are different values
    assert latent_uniform(k, 7, 1) != u[2, 7]
    assert u[1, 7] != u[2, 7]


def test_paired_designs_share_first_cohort_outcomes():
    """BOIN and CRM both start at dose 1 with a cohort of 3: their first cohort's DLT counts coincide."""
    a = simulate_one(DESIGNS[0], SCEN, 2000, 17)
    b = simulate_one(DESIGNS[1], SCEN, 2000, 17)
    # the first cohort is patients 0-2 at dose 1 in both designs; compare with the latent values
    u = latent_uniforms(17, SCEN.key, 2000, 3)
    expected = (u < SCEN.true_tox[0]).sum(axis=1)
    assert np.all(a.n_at_dose[:, 0] >= 3) and np.all(b.n_at_dose[:, 0] >= 3)
    # the exact check: when dose 1 got only its first cohort, the DLT count equals the latent draw
    only_first = a.n_at_dose[:, 0] == 3
    np.testing.assert_array_equal(a.tox_at_dose[only_first, 0], expected[only_first])
    only_first_b = b.n_at_dose[:, 0] == 3
    np.testing.assert_array_equal(b.tox_at_dose[only_first_b, 0], expected[only_first_b])


def test_latent_uniforms_look_uniform():
    u = latent_uniforms(123, 456, 2000, 50).ravel()
    n = u.size
    # mean and variance within 5 standard errors of 1/2 and 1/12
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)
    counts = np.histogram(u, bins=20, range=(0, 1))[0]
    chi2 = ((counts - n / 20) ** 2 / (n / 20)).sum()
    assert chi2 < 50.0  # 19 df: P(chi2 > 50) ~ 1e-4


@pytest.mark.parametrize("which", [0, 1, 2])
def test_blocks_of_trials_reproduce_one_run(six_dose_spec, which):
    """Trials are numbered per (seed, scenario): simulating blocks with first_trial gives the same trials,
    which is what lets a sweep split work into units and run them on any number of workers."""
    design = six_dose_spec.designs[which]
    scen = six_dose_spec.scenarios[2]
    whole = simulate_one(design, scen, 1000, 11)
    blocks = [(0, 130), (130, 700), (700, 1000)]
    parts = [simulate_one(design, scen, b - a, 11, first_trial=a) for a, b in blocks]
    for field in ("selected", "n_at_dose", "tox_at_dose", "status", "reason"):
        np.testing.assert_array_equal(
            np.concatenate([getattr(p, field) for p in parts]), getattr(whole, field), err_msg=field
        )
    assert parts[1].first_trial == 130
    u = latent_uniforms(11, scen.key, 1000, design.max_n)
    block = latent_uniforms(11, scen.key, 570, design.max_n, first_trial=130)
    np.testing.assert_array_equal(block, u[130:700])


def test_shared_posterior_cache_changes_nothing(six_dose_spec):
    """A PosteriorCache kept across scenarios and blocks (as sweep workers do) memoizes a pure function
    of the state: every trial is identical to a run with a fresh cache, including a tiny cache that
    fills up and falls back to recomputing, and a cache of another design is refused."""
    from dosefind.engine import PosteriorCache
    from dosefind.errors import EngineError

    for design in six_dose_spec.designs:
        compiled = design.compile()
        shared = PosteriorCache.for_design(design, compiled)
        tiny = PosteriorCache.for_design(design, compiled, capacity=4)
        for scen in six_dose_spec.scenarios:
            for first in (0, 400):
                fresh = simulate_one(design, scen, 400, 3, first_trial=first)
                for cache in (shared, tiny):
                    got = simulate_one(design, scen, 400, 3, first_trial=first, cache=cache, block_trials=150)
                    for a, b in zip(_arrays(got), _arrays(fresh), strict=True):
                        np.testing.assert_array_equal(a, b)
        if design.kind == "crm":
            assert (shared.keys[:, 0] >= 0).sum() > 100  # the cache was really used
    other = PosteriorCache.for_design(six_dose_spec.designs[0])
    with pytest.raises(EngineError, match="another design"):
        simulate_one(six_dose_spec.designs[1], six_dose_spec.scenarios[0], 10, 1, cache=other)
