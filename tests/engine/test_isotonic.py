"""The isotonic kernels: both bivariate algorithms (minimum lower sets, Dykstra's fallback) give the same
fit, on every grid size either can take; the strided pool-adjacent-violators equals the contiguous one.

The minimum lower sets algorithm is checked against the min-max formula and a brute-force quadratic
programme in ``test_boin_comb_kernels.py``; here Dykstra's algorithm (used for grids with more than
``ISO_MAX_LOWER_SETS`` lower sets) is checked against it, on grids small and large.
"""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dosefind.engine.isotonic import (
    ISO_LEVEL_GAP,
    ISO_MAX_LOWER_SETS,
    _dykstra,
    _min_lower_sets,
    _pool_levels,
    bivariate_isotonic,
    biviso,
    n_lower_sets,
    pava,
    pava_strided,
)


def fit(algorithm, y, w):
    J, K = y.shape
    D, m = J * K, max(J, K)
    yv, wv = y.ravel().copy(), w.ravel().copy()
    out = np.empty(D)
    if algorithm == "lower sets":
        _min_lower_sets(yv, wv, J, K, out, np.empty(D), np.empty(D), np.empty(m), np.empty(m), np.empty(m))
    else:
        _dykstra(yv, wv, J, K, out, np.empty(D), np.empty(D), np.empty(D), np.empty(m), np.empty(m))
    _pool_levels(yv, wv, D, out, np.empty(D))
    return out.reshape(J, K)


@st.composite
def problems(draw, max_rows=6, max_cols=7):
    J = draw(st.integers(1, max_rows))
    K = draw(st.integers(1, max_cols))
    if draw(st.booleans()):  # a trial's counts: (y + 0.05) / (n + 0.1), weights n + 0.1 (many ties)
        n = np.array(draw(st.lists(st.integers(0, 9), min_size=J * K, max_size=J * K)), float)
        x = np.array([draw(st.integers(0, int(v))) for v in n], float)
        return ((x + 0.05) / (n + 0.1)).reshape(J, K), (n + 0.1).reshape(J, K)
    y = np.array(draw(st.lists(st.floats(0, 1), min_size=J * K, max_size=J * K))).reshape(J, K)
    w = np.array(draw(st.lists(st.floats(0.05, 20), min_size=J * K, max_size=J * K))).reshape(J, K)
    return y, w


def assert_same_fit(a, b):
    levels = np.unique(a)
    close = levels.size > 1 and np.diff(levels).min() < 10 * ISO_LEVEL_GAP
    np.testing.assert_allclose(a, b, rtol=0, atol=ISO_LEVEL_GAP if close else 1e-12)


@settings(max_examples=300, deadline=None)
@given(problems())
def test_lower_sets_and_dykstra_agree(case):
    y, w = case
    exact = fit("lower sets", y, w)
    assert_same_fit(exact, fit("dykstra", y, w))
    assert np.all(np.diff(exact, axis=0) >= 0) and np.all(np.diff(exact, axis=1) >= 0)
    assert np.sum(w * exact) == np.sum(w * y) or math.isclose(np.sum(w * exact), np.sum(w * y), abs_tol=1e-12)


def test_n_lower_sets_is_the_binomial_coefficient():
    for J in range(1, 9):
        for K in range(1, 9):
            assert n_lower_sets(J, K) == math.comb(J + K, J)


def test_large_grids_take_dykstra_and_agree():
    rng = np.random.default_rng(5)
    J = K = 8
    assert math.comb(J + K, J) > ISO_MAX_LOWER_SETS  # the fallback's grid
    for _ in range(5):
        n = rng.integers(0, 6, size=(J, K)).astype(float)
        x = np.minimum(rng.integers(0, 4, size=(J, K)), n)
        y, w = (x + 0.05) / (n + 0.1), n + 0.1
        D = J * K
        out = np.empty(D)
        work = [np.empty(D) for _ in range(3)] + [np.empty(K) for _ in range(3)]
        used = bivariate_isotonic(y.ravel(), w.ravel(), J, K, out, *work)
        assert used < 0  # minus the number of Dykstra cycles
        assert_same_fit(out.reshape(J, K), fit("lower sets", y, w))
    # a grid within the limit takes the exact algorithm (it returns the number of levels)
    y = np.array([[0.2, 0.1, 0.4], [0.3, 0.6, 0.5]])
    out = np.empty(6)
    work = [np.empty(6) for _ in range(3)] + [np.empty(3) for _ in range(3)]
    assert bivariate_isotonic(y.ravel(), np.ones(6), 2, 3, out, *work) == 4  # levels .15 .3 .4 .55
    np.testing.assert_allclose(out.reshape(2, 3), [[0.15, 0.15, 0.4], [0.3, 0.55, 0.55]], atol=1e-15)
    np.testing.assert_array_equal(biviso(y), out.reshape(2, 3))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=1, max_size=12), st.integers(1, 4), st.integers(0, 3))
def test_strided_pava_equals_contiguous(vals, stride, start):
    n = len(vals)
    v = np.array(vals)
    w = np.linspace(0.5, 2.0, n)
    expected = np.empty(n)
    pava(v, w, n, expected, np.empty(n), np.empty(n))
    assert np.all(np.diff(expected) >= 0)
    big = np.full(start + stride * n, np.nan)
    bw = np.full_like(big, np.nan)
    big[start::stride] = v
    bw[start::stride] = w
    untouched = big.copy()
    pava_strided(big, bw, start, stride, n, big, np.empty(n), np.empty(n))  # in place
    np.testing.assert_array_equal(big[start::stride], expected)
    mask = np.ones(big.size, bool)
    mask[start::stride] = False
    np.testing.assert_array_equal(big[mask], untouched[mask])
