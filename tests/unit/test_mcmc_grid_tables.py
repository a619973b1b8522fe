"""The MCMC tables of the two-drug designs without sampling: PO-CRM's per-draw ordering weights and curves
against quadrature, its table from fabricated independent draws of the exact posterior of b, the refusal
of a likelihood PO-CRM, and BOIN-comb's bivariate isotonic column."""

import sys

import numpy as np
import pytest
from scipy import stats
from scipy.integrate import trapezoid
from scipy.special import logsumexp

from dosefind import SpecError
from dosefind.constants import CREDIBLE_MASS
from dosefind.designs import BoinComb, PoCrm
from dosefind.designs.grid import DoseGrid
from dosefind.designs.pocrm.home import pocrm_model_line
from dosefind.designs.pocrm.pymc_model import ordering_curves
from dosefind.engine.pocrm import pocrm_posterior_summary
from dosefind.inference import mcmc_posterior
from dosefind.inference.mcmc import posterior_from_draws
from dosefind.inference.summary import fast_posterior, model_line

GRID = DoseGrid(levels_a=("1", "2"), levels_b=("1", "2", "3"), excluded=("2.3",))
DESIGN = PoCrm(target=0.3, grid=GRID, max_n=24, skeleton=(0.05, 0.12, 0.25, 0.4, 0.55))
N_AT = np.array([3, 3, 0, 6, 0, 0])
TOX_AT = np.array([0, 1, 0, 2, 0, 0])
B = np.linspace(-8, 8, 40001)  # +-8 prior sd of b would be +-9.3; the posterior is far inside


def _log_marginal(b):
    """log N(b; 0, sd) + log sum_m prior_m L_m(b), written out with scipy (the oracle)."""
    alpha = DESIGN.alpha()[:, ~GRID.excluded_mask]
    n, y = N_AT[~GRID.excluded_mask], TOX_AT[~GRID.excluded_mask]
    p = alpha[None] ** np.exp(b)[:, None, None]
    loglik = stats.binom.logpmf(y, n, p).sum(axis=-1)
    return stats.norm.logpdf(b, 0, DESIGN.prior_sd) + logsumexp(
        loglik + np.log(DESIGN.ordering_prior), axis=1
    )


def _posterior_weights():
    logd = _log_marginal(B)
    d = np.exp(logd - logd.max())
    return d / trapezoid(d, B)


def test_ordering_curves_integrate_to_the_quadrature_summary():
    dens = _posterior_weights()
    w, p = ordering_curves(DESIGN, N_AT, TOX_AT, B)
    assert w.shape == (B.size, 5) and p.shape == (B.size, 5, 6)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-12)
    assert np.isnan(p[..., 5]).all() and not np.isnan(p[..., :5]).any()
    s = pocrm_posterior_summary(DESIGN, N_AT, TOX_AT)
    prob = trapezoid(w * dens[:, None], B, axis=0)
    np.testing.assert_allclose(prob, s["ordering_prob"], rtol=1e-6)
    mixed = trapezoid((w[..., None] * p[..., :5]).sum(axis=1) * dens[:, None], B, axis=0)
    np.testing.assert_allclose(mixed, s["model_averaged"][:5], rtol=1e-6)


def _idata_of_exact_draws(chains=4, draws=2000, seed=3):
    """Independent draws of b from its exact marginal posterior (inverse CDF on the grid): what a
    perfectly mixing sampler would give, so the table must agree with the fast one within its MCSEs."""
    import arviz as az

    dens = _posterior_weights()
    cdf = np.concatenate([[0.0], np.cumsum((dens[1:] + dens[:-1]) / 2 * np.diff(B))])
    cdf /= cdf[-1]
    u = np.random.default_rng(seed).uniform(size=(chains, draws))
    b = np.interp(u, cdf, B)
    return az.from_dict(posterior={"b": b}, sample_stats={"diverging": np.zeros((chains, draws), bool)})


def test_pocrm_table_from_exact_draws_agrees_with_the_fast_table():
    table = posterior_from_draws(DESIGN, N_AT, TOX_AT, _idata_of_exact_draws())
    fast = fast_posterior(DESIGN, N_AT, TOX_AT)
    assert table.method == "mcmc" and table.model == fast.model == pocrm_model_line(DESIGN) == model_line(
        DESIGN
    )
    assert table.diagnostics["parameters"] == ["b"] and table.diagnostics["divergences"] == 0
    # orderings 3 and 4 rank the tried cells alike: tied in both tables (no diagnostic warnings here)
    (warning,) = table.warnings
    assert warning.startswith("orderings 3 and 4 are equally probable") and len(fast.warnings) == 1
    assert [(o.index, o.name, o.cells, o.prior) for o in table.orderings] == [
        (o.index, o.name, o.cells, o.prior) for o in fast.orderings
    ]
    inc = ~GRID.excluded_mask
    n_draws = 8000
    z = 4.5
    for key, se in (
        ("mean", table.extra["mcse_mean"]),
        ("lower", table.extra["mcse_lower"]),
        ("upper", table.extra["mcse_upper"]),
        ("prob_above_target", table.extra["mcse_prob_above_target"] + 1.0 / (z * n_draws)),
    ):
        got, want = getattr(table, key), getattr(fast, key)
        assert np.isnan(got[~inc]).all() and np.isnan(se[~inc]).all()
        assert np.all(se[inc] > 0), key
        assert np.all(np.abs(got[inc] - want[inc]) < z * se[inc]), (key, (got - want) / se)
    # independent draws: the MCSE of each mean is the mixture curve's sd / sqrt(draws)
    b = _idata_of_exact_draws().posterior["b"].values.reshape(-1)
    w, p = ordering_curves(DESIGN, N_AT, TOX_AT, b)
    mixed = (w[..., None] * p[..., inc]).sum(axis=1)
    np.testing.assert_allclose(table.extra["mcse_mean"][inc], mixed.std(axis=0) / np.sqrt(n_draws), rtol=0.1)
    for o, f in zip(table.orderings, fast.orderings, strict=True):
        se = w[:, o.index].std() / np.sqrt(n_draws)
        assert abs(o.prob - f.prob) < z * se
        assert np.all(np.abs(o.mean[inc] - f.mean[inc]) < 0.02)
    # the plug-in column is under the most probable ordering, as in the fast table
    best = int(np.argmax([o.prob for o in table.orderings]))
    np.testing.assert_array_equal(table.extra["plugin"], table.orderings[best].plugin)
    np.testing.assert_array_equal(table.extra["mean_most_probable_ordering"], table.orderings[best].mean)
    table.to_dict()
    # the interval holds the credible mass of the mixture
    assert 0 < CREDIBLE_MASS < 1 and np.all(table.lower[inc] < table.mean[inc])


def test_likelihood_pocrm_has_no_posterior_to_sample(monkeypatch):
    monkeypatch.setitem(sys.modules, "pymc", None)  # refused before any import of PyMC
    with pytest.raises(SpecError) as err:
        mcmc_posterior(DESIGN.replace(estimation="likelihood"), N_AT, TOX_AT)
    assert err.value.field == "estimation" and "--posterior fast" in err.value.fix


def test_boin_comb_mcmc_table_has_the_bivariate_isotonic_column():
    import arviz as az

    design = BoinComb(target=0.3, grid=GRID, max_n=24)
    rng = np.random.default_rng(1)
    p = rng.beta(1 + TOX_AT, 1 + N_AT - TOX_AT, size=(2, 500, 6))  # the exact posterior, independent draws
    idata = az.from_dict(posterior={"p": p}, dims={"p": ["dose"]}, coords={"dose": list(design.doses)})
    table = posterior_from_draws(design, N_AT, TOX_AT, idata)
    fast = fast_posterior(design, N_AT, TOX_AT)
    np.testing.assert_array_equal(table.extra["isotonic"], fast.extra["isotonic"])
    assert table.model == fast.model
