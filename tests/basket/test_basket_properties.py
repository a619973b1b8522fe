"""Hypothesis: Fujikawa's borrowing weights lie in [0, 1], are symmetric, and identical cohorts get weight 1;
the JSD quadrature agrees with scipy's adaptive quadrature."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

from dosefind.basket.beta import fujikawa_shapes, jsd_matrix


@st.composite
def baskets(draw):
    k = draw(st.integers(2, 6))
    sizes = draw(st.lists(st.integers(1, 30), min_size=k, max_size=k))
    x = [draw(st.integers(0, n)) for n in sizes]
    prior = (draw(st.floats(0.2, 3.0)), draw(st.floats(0.2, 3.0)))
    epsilon = draw(st.floats(0.1, 5.0))
    tau = draw(st.floats(0.0, 0.9))
    return np.array([sizes]), np.array([x]), prior, epsilon, tau


@given(baskets(), st.booleans())
def test_weights_are_in_0_1_symmetric_and_1_for_identical_cohorts(basket, share_prior):
    n, x, prior, epsilon, tau = basket
    sizes = tuple(sorted(set(n[0].tolist())))
    a, b, w = fujikawa_shapes(n, x, prior, epsilon, tau, share_prior, sizes)
    w = w[0]
    assert np.all((w >= 0) & (w <= 1))
    np.testing.assert_allclose(w, w.T, atol=1e-15)
    same = (n[0][:, None] == n[0][None, :]) & (x[0][:, None] == x[0][None, :])
    np.testing.assert_array_equal(w[same], 1.0)
    assert np.all(a >= prior[0] + x[0] - 1e-12)  # a cohort's own data always count in full
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(b))


@pytest.mark.parametrize(
    "ab", [((1, 51), (26, 26)), ((0.5, 10.5), (3, 2)), ((1, 1), (8, 3)), ((20, 5), (21, 4))]
)
def test_jsd_quadrature_against_scipy(ab):
    (a1, b1), (a2, b2) = ab
    got = jsd_matrix(np.array([a1, a2], float), np.array([b1, b2], float))[0, 1]
    p = stats.beta(a1, b1).pdf
    q = stats.beta(a2, b2).pdf

    def half(f, g):
        def h(t):
            ft = f(t)
            return 0.0 if ft == 0 else ft * np.log2(2 * ft / (ft + g(t)))

        return integrate.quad(h, 0, 1, epsabs=1e-13, epsrel=1e-12, limit=500)[0]

    want = 0.5 * half(p, q) + 0.5 * half(q, p)
    assert got == pytest.approx(want, abs=3e-7)
