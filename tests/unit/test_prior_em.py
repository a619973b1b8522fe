"""EM fits of mixtures to draws recover known mixtures from large samples, and the information criteria
choose the true number of components."""

import numpy as np
import pytest

from dosefind.errors import SpecError
from dosefind.prior import BetaMixture, BvnMixture, auto_fit, fit_beta_mixture, fit_bvn_mixture

TRUE_BETA = BetaMixture((0.6, 0.4), (35, 20), (65, 90))  # RBesT's automixfit example mixture


def test_beta_em_recovers_a_known_mixture():
    """40,000 draws: the MLE's sampling sd is about 1-3% of a and b (shape parameters) and 0.005 of the
    weights, so 10% and 0.03 are some four standard errors."""
    x = TRUE_BETA.sample(40_000, np.random.default_rng(11))
    fit = fit_beta_mixture(x, 2)
    assert fit.converged and fit.df == 5 and fit.nobs == 40_000
    m = fit.mixture
    assert m.weights == pytest.approx(TRUE_BETA.weights, abs=0.03)
    assert m.a == pytest.approx(TRUE_BETA.a, rel=0.1)
    assert m.b == pytest.approx(TRUE_BETA.b, rel=0.1)


def test_one_beta_component_is_the_exact_mle():
    from scipy import stats

    x = np.random.default_rng(2).beta(3.0, 7.0, 5000)
    fit = fit_beta_mixture(x, 1)
    a, b, _, _ = stats.beta.fit(x, floc=0, fscale=1)
    assert fit.mixture.a[0] == pytest.approx(a, rel=1e-5)
    assert fit.mixture.b[0] == pytest.approx(b, rel=1e-5)
    assert fit.loglik == pytest.approx(stats.beta.logpdf(x, a, b).sum(), rel=1e-9)


def test_aic_and_bic_choose_the_true_number_of_components():
    x = TRUE_BETA.sample(4000, np.random.default_rng(3))
    aic = auto_fit(x, "beta", max_components=3)
    bic = auto_fit(x, "beta", max_components=3, criterion="bic")
    assert aic.mixture.n_components == 2 and bic.mixture.n_components == 2
    f = aic.fits[2]
    assert aic.ic[2] == pytest.approx(-2 * f.loglik + 6 * 5)
    assert bic.ic[2] == pytest.approx(-2 * f.loglik + np.log(4000) * 5)


def test_bvn_em_recovers_a_known_mixture():
    true = BvnMixture((0.65, 0.35), ((-1.0, 0.0), (1.5, 0.6)), ((0.5, 0.3), (0.4, 0.2)), (0.3, -0.5))
    x = true.sample(10_000, np.random.default_rng(4))
    fit = fit_bvn_mixture(x, 2)
    m = fit.mixture
    assert fit.df == 11
    assert m.weights == pytest.approx(true.weights, abs=0.02)
    assert np.asarray(m.means) == pytest.approx(np.asarray(true.means), abs=0.03)
    assert np.asarray(m.sds) == pytest.approx(np.asarray(true.sds), rel=0.05)
    assert m.corrs == pytest.approx(true.corrs, abs=0.04)
    assert auto_fit(x[:3000], "bvn", max_components=3).mixture.n_components == 2


def test_one_bvn_component_is_the_sample_mean_and_covariance():
    x = np.random.default_rng(5).multivariate_normal([0.5, -0.2], [[1.0, 0.3], [0.3, 0.5]], 3000)
    m = fit_bvn_mixture(x, 1).mixture
    assert np.asarray(m.means[0]) == pytest.approx(x.mean(axis=0), abs=1e-9)
    cov = np.cov(x.T, bias=True)
    assert np.asarray(m.sds[0]) == pytest.approx(np.sqrt(np.diag(cov)), rel=1e-6)


def test_fits_are_deterministic():
    x = TRUE_BETA.sample(3000, np.random.default_rng(6))
    assert fit_beta_mixture(x, 2, seed=3).mixture == fit_beta_mixture(x, 2, seed=3).mixture


def test_bad_arguments():
    x = TRUE_BETA.sample(500, np.random.default_rng(7))
    with pytest.raises(SpecError, match="criterion"):
        auto_fit(x, "beta", criterion="waic")
    with pytest.raises(SpecError, match="draws"):
        fit_beta_mixture(x[:30], 2)
    with pytest.raises(SpecError, match="outside"):
        fit_beta_mixture(x + 1, 1)
    with pytest.raises(SpecError, match="non-finite"):
        fit_beta_mixture(np.append(x, np.nan), 1)


def test_few_draws_cap_the_number_of_components():
    x = TRUE_BETA.sample(130, np.random.default_rng(8))  # 20 draws per parameter: at most 2 components
    auto = auto_fit(x, "beta", max_components=4)
    assert set(auto.fits) == {1, 2}
