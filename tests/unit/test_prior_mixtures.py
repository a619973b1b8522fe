"""Beta and bivariate normal mixtures: closed forms, the conjugate update against numerical integration,
robustification and the effective sample sizes of a single beta."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

from dosefind.errors import SpecError
from dosefind.prior import (
    BetaMixture,
    BvnMixture,
    NormalMixture,
    ess,
    ess_normal,
    robustify_beta,
    robustify_bvn,
)
from dosefind.prior.ess import ess_morita

MIX = BetaMixture((0.5, 0.3, 0.2), (4, 12, 2), (20, 30, 2))


def test_moments_equal_numerical_integration():
    m = integrate.quad(lambda x: x * MIX.pdf(x), 0, 1, epsabs=1e-13)[0]
    v = integrate.quad(lambda x: (x - m) ** 2 * MIX.pdf(x), 0, 1, epsabs=1e-13)[0]
    assert MIX.mean == pytest.approx(m, abs=1e-10)
    assert MIX.var == pytest.approx(v, abs=1e-10)


def test_quantiles_invert_the_cdf():
    q = MIX.quantile([0.025, 0.5, 0.975])
    assert MIX.cdf(q) == pytest.approx([0.025, 0.5, 0.975], abs=1e-12)


@pytest.mark.parametrize("n, r", [(0, 0), (1, 1), (20, 6), (20, 15), (50, 0)])
def test_conjugate_update_equals_numerical_integration(n, r):
    post = MIX.posterior(n, r)
    like = lambda x: x**r * (1 - x) ** (n - r)  # noqa: E731
    z = integrate.quad(lambda x: like(x) * MIX.pdf(x), 0, 1, epsabs=1e-300, epsrel=1e-12, limit=200)[0]
    for x in (0.05, 0.2, 0.35, 0.6):
        assert post.pdf(x) == pytest.approx(like(x) * MIX.pdf(x) / z, rel=1e-8)
    # the predictive probability of r is the normalising constant
    assert MIX.predictive_pmf(n)[r] == pytest.approx(math.comb(n, r) * z, rel=1e-8)


def test_predictive_pmf_sums_to_one():
    assert MIX.predictive_pmf(25).sum() == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(a=st.floats(1.05, 60), b=st.floats(1.05, 60))
def test_ess_of_one_beta_is_a_plus_b(a, b):
    mix = BetaMixture.single(a, b)
    assert ess(mix, "elir") == pytest.approx(a + b, rel=1e-7)
    assert ess(mix, "moment") == pytest.approx(a + b, rel=1e-10)


@pytest.mark.parametrize("a, b", [(5, 15), (3, 5), (2, 40), (30, 30)])
def test_morita_of_one_beta_is_its_closed_form(a, b):
    """RBesT's Morita ESS of Beta(a, b) is not exactly a + b: at the mode m = (a-1)/(a+b-2), with the
    flattened prior Beta(m/s, (1-m)/s) and one Bernoulli observation's expected information, it is
    ((a-1)/m^2 + (b-1)/(1-m)^2 - ((m/s-1)/m^2 + ((1-m)/s-1)/(1-m)^2)) / (b/(a+b)/(1-m)^2 + a/(a+b)/m^2)."""
    s = 100.0
    m = (a - 1) / (a + b - 2)
    num = (a - 1) / m**2 + (b - 1) / (1 - m) ** 2 - ((m / s - 1) / m**2 + ((1 - m) / s - 1) / (1 - m) ** 2)
    den = b / (a + b) / (1 - m) ** 2 + a / (a + b) / m**2
    assert ess_morita(BetaMixture.single(a, b)) == pytest.approx(num / den, rel=1e-8)
    assert num / den == pytest.approx(a + b, rel=0.01)


def test_moment_ess_matches_the_moment_matched_beta():
    m, v = MIX.mean, MIX.var
    n = m * (1 - m) / v - 1
    a, b = m * n, (1 - m) * n
    assert stats.beta.mean(a, b) == pytest.approx(m) and stats.beta.var(a, b) == pytest.approx(v)
    assert ess(MIX, "moment") == pytest.approx(a + b, rel=1e-12)


def test_elir_refuses_components_below_one():
    with pytest.raises(SpecError, match="below 1"):
        ess(BetaMixture.single(0.5, 3), "elir")
    with pytest.raises(SpecError, match="ESS method"):
        ess(MIX, "nonsense")


def test_robustify_follows_rbest():
    rob = robustify_beta(BetaMixture((0.6, 0.4), (12, 5), (40, 9)), 0.2)
    assert rob.weights == pytest.approx((0.48, 0.32, 0.2))
    assert (rob.a[-1], rob.b[-1]) == (1.0, 1.0)
    rob = robustify_beta(BetaMixture.single(12, 40), 0.1, mean=0.25, n=3)
    assert (rob.a[-1], rob.b[-1]) == (1.0, 3.0)
    for w in (0, 1, -0.1, 1.5):
        with pytest.raises(SpecError, match="weight"):
            robustify_beta(MIX, w)


def test_mixture_validation_names_the_field():
    with pytest.raises(SpecError, match="weights"):
        BetaMixture((0.5, 0.4), (1, 1), (1, 1))
    with pytest.raises(SpecError, match="a"):
        BetaMixture((1.0,), (-1,), (1,))
    with pytest.raises(SpecError, match="corrs"):
        BvnMixture((1.0,), ((0, 0),), ((1, 1),), (1.0,))
    with pytest.raises(SpecError, match="data"):
        MIX.posterior(3, 5)


BVN = BvnMixture((0.7, 0.3), ((-1.0, 0.2), (0.5, -0.3)), ((0.8, 0.4), (1.5, 0.7)), (0.3, -0.4))


def test_bvn_moments_and_density():
    rng = np.random.default_rng(5)
    x = BVN.sample(200_000, rng)
    assert x.mean(axis=0) == pytest.approx(BVN.mean, abs=0.01)
    assert np.cov(x.T) == pytest.approx(BVN.cov, abs=0.02)
    # density integrates to one (grid sum)
    g = np.linspace(-8, 8, 401)
    xx, yy = np.meshgrid(g, g, indexing="ij")
    dens = np.exp(BVN.logpdf(np.stack([xx, yy], axis=-1)))
    assert dens.sum() * (g[1] - g[0]) ** 2 == pytest.approx(1.0, abs=1e-6)


def test_rate_draws_follow_the_blrm():
    rng = np.random.default_rng(1)
    p = BVN.rate_draws([1, 50], 50.0, 1000, rng)
    rng = np.random.default_rng(1)
    theta = BVN.sample(1000, rng)
    assert p[:, 1] == pytest.approx(special.expit(theta[:, 0]))
    assert p[:, 0] == pytest.approx(special.expit(theta[:, 0] + np.exp(theta[:, 1]) * math.log(1 / 50)))


def test_rate_moments_equal_dense_integration():
    """E p(d) and Var p(d) of a bivariate normal mixture by Gauss-Hermite quadrature (the moment ESS of a
    BLRM prior) against a dense trapezoid grid over the mixture density in the original coordinates
    (exponentially accurate for this smooth, rapidly decaying integrand), to 1e-7."""
    doses = [1.0, 12.5, 50.0, 80.0]
    m, v = BVN.rate_moments(doses, 50.0)
    la = np.linspace(-14.0, 14.0, 1401)
    lb = np.linspace(-8.0, 8.0, 801)
    A, B = np.meshgrid(la, lb, indexing="ij")
    dens = np.exp(BVN.logpdf(np.stack([A, B], axis=-1)))
    cell = (la[1] - la[0]) * (lb[1] - lb[0])
    for j, d in enumerate(doses):
        p = special.expit(A + np.exp(B) * math.log(d / 50.0))
        e1 = float((p * dens).sum() * cell)
        e2 = float((p * p * dens).sum() * cell)
        assert m[j] == pytest.approx(e1, abs=1e-7)
        assert v[j] == pytest.approx(e2 - e1 * e1, abs=1e-7)


def test_robustify_bvn_adds_the_designs_weakly_informative_component():
    rob = robustify_bvn(BVN, 0.25, target=0.3)
    assert rob.weights == pytest.approx((0.525, 0.225, 0.25))
    assert rob.means[-1] == pytest.approx((math.log(0.3 / 0.7), 0.0))
    assert rob.sds[-1] == (2.0, 1.0) and rob.corrs[-1] == 0.0
    assert len(rob.to_components()) == 3


def test_normal_ess_closed_forms():
    """One N(m, sd^2) with reference scale sigma: ELIR and moment are sigma^2 / sd^2; Morita subtracts
    the flattened prior's information, sigma^2 / (s sd^2) (RBesT's ess.normMix, s = 100)."""
    mix = NormalMixture((1.0,), (1.0,), (2.0,))
    assert ess_normal(mix, 10, "elir") == pytest.approx(25.0, rel=1e-10)
    assert ess_normal(mix, 10, "moment") == pytest.approx(25.0, rel=1e-12)
    assert ess_normal(mix, 10, "morita") == pytest.approx(25.0 * (1 - 1 / 100), rel=1e-10)
    with pytest.raises(SpecError, match="sigma"):
        ess_normal(mix, 0)
