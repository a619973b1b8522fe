"""``--posterior mcmc`` for the two-drug designs: PO-CRM's MCMC table is PO-CRM's model (the ordering
summed out, NUTS on b) and agrees with the fast quadrature table within Monte Carlo error; BOIN for
combinations' MCMC table carries the bivariate isotonic column of the fast table.

Every tolerance is z = 4.5 ArviZ Monte Carlo standard errors of the quantity compared, computed here from
the draws (never tuned to the result): the mean MCSE of the per-draw values whose average the table
reports (ordering probabilities w_m(b), the mixed curve sum_m w_m p_mc, the probability
sum_m w_m 1{p_mc > target}); the interval ends are checked through the mixture's CDF at the fast table's
ends, sum_m w_m 1{p_mc <= end}, whose average must be the tail probability. About 25 comparisons at
z = 4.5 (two-sided 6.8e-6 each): a correct sampler fails about 2 seeds in 10,000.
"""

import numpy as np
import pytest

from dosefind.constants import CREDIBLE_MASS
from dosefind.designs import BoinComb, PoCrm
from dosefind.designs.grid import DoseGrid
from dosefind.engine.pocrm import pocrm_posterior_summary
from dosefind.inference.summary import fast_posterior

pytestmark = pytest.mark.pymc

Z = 4.5
GRID = DoseGrid(levels_a=("1", "2"), levels_b=("1", "2", "3"), excluded=("2.3",))
DESIGN = PoCrm(target=0.3, grid=GRID, max_n=24, skeleton=(0.05, 0.12, 0.25, 0.4, 0.55))
# 1.1 0/3, 1.2 1/3, 2.1 2/6: the orderings disagree on where 2.1 stands
N_AT = np.array([3, 3, 0, 6, 0, 0])
TOX_AT = np.array([0, 1, 0, 2, 0, 0])


def _mcse(values) -> float:
    """ArviZ's MCSE of the mean of per-draw values shaped [chain, draw]."""
    import arviz as az

    return float(np.asarray(az.mcse(az.convert_to_dataset({"v": values}), method="mean")["v"].values))


@pytest.fixture(scope="module")
def fitted():
    from dosefind.inference import McmcSettings
    from dosefind.inference.mcmc import posterior_from_draws, sample_posterior

    settings = McmcSettings(draws=1000, tune=500, chains=2, seed=20240611)
    idata = sample_posterior(DESIGN, N_AT, TOX_AT, settings)
    return idata, posterior_from_draws(DESIGN, N_AT, TOX_AT, idata, settings)


def test_mcmc_pocrm_table_is_the_pocrm_model(fitted):
    from dosefind.designs.pocrm.pymc_model import ordering_curves

    idata, table = fitted
    fast = fast_posterior(DESIGN, N_AT, TOX_AT)
    assert table.method == "mcmc" and table.model == fast.model and table.model.startswith("PO-CRM")
    assert set(table.extra) == set(fast.extra) | {
        "mcse_mean",
        "mcse_prob_above_target",
        "mcse_lower",
        "mcse_upper",
    }
    assert [o.cells for o in table.orderings] == [o.cells for o in fast.orderings]
    assert [o.name for o in table.orderings] == [o.name for o in fast.orderings]
    # the model's Deterministics are ordering_curves of the draws of b (what the table is computed from)
    b = idata.posterior["b"].values
    w, p = ordering_curves(DESIGN, N_AT, TOX_AT, b)
    np.testing.assert_allclose(idata.posterior["w"].values, w, rtol=1e-9, atol=1e-14)
    included = ~GRID.excluded_mask
    np.testing.assert_allclose(idata.posterior["p"].values, p[..., included], rtol=1e-12)
    # excluded cell: no numbers
    for key in ("mean", "lower", "upper", "prob_above_target"):
        assert np.isnan(getattr(table, key)[~included]).all()
    assert all(np.isnan(v[~included]).all() for v in table.extra.values())
    dg = table.diagnostics
    assert dg["parameters"] == ["b"] and dg["r_hat_max"] < 1.01 and dg["divergences"] == 0
    table.to_dict()  # JSON-ready


def test_mcmc_pocrm_table_agrees_with_the_fast_table(fitted):
    from dosefind.designs.pocrm.pymc_model import ordering_curves

    idata, table = fitted
    fast = fast_posterior(DESIGN, N_AT, TOX_AT)
    exact = pocrm_posterior_summary(DESIGN, N_AT, TOX_AT)
    w, p = ordering_curves(DESIGN, N_AT, TOX_AT, idata.posterior["b"].values)  # [C, S, M], [C, S, M, D]
    n_draws = w.shape[0] * w.shape[1]
    z = {}
    for m, o in enumerate(table.orderings):
        assert o.prob == pytest.approx(w[..., m].mean(), rel=1e-12)
        z[f"P(ordering {m + 1})"] = abs(o.prob - exact["ordering_prob"][m]) / _mcse(w[..., m])
    tail = (1.0 - CREDIBLE_MASS) / 2
    for c in np.flatnonzero(~GRID.excluded_mask):
        mixed = (w * p[..., c]).sum(axis=-1)
        assert table.extra["mcse_mean"][c] == pytest.approx(_mcse(mixed), rel=1e-9)
        z[f"mean {c}"] = abs(table.mean[c] - fast.mean[c]) / _mcse(mixed)
        above = (w * (p[..., c] > DESIGN.target)).sum(axis=-1)
        # + 1/(Z N): one draw's worth, should the probability be (nearly) constant over the draws
        se = _mcse(above) + 1.0 / (Z * n_draws)
        z[f"P(> target) {c}"] = abs(table.prob_above_target[c] - fast.prob_above_target[c]) / se
        for key, q in (("lower", tail), ("upper", 1.0 - tail)):
            end = getattr(fast, key)[c]
            below = (w * (p[..., c] <= end)).sum(axis=-1)
            z[f"{key} {c}"] = abs(below.mean() - q) / _mcse(below)
            # and the table's own end is within its quantile MCSE (the ArviZ rule on the mixture)
            z[f"{key} {c} (table)"] = abs(getattr(table, key)[c] - end) / table.extra[f"mcse_{key}"][c]
    worst = max(z, key=z.get)
    assert z[worst] < Z, f"{worst}: {z[worst]:.2f} standard errors"


def test_mcmc_boin_comb_table_has_the_bivariate_isotonic_column():
    from dosefind.inference import McmcSettings, mcmc_posterior

    design = BoinComb(target=0.3, grid=GRID, max_n=24)
    table = mcmc_posterior(design, N_AT, TOX_AT, McmcSettings(draws=500, tune=300, chains=2, seed=5))
    fast = fast_posterior(design, N_AT, TOX_AT)
    np.testing.assert_array_equal(table.extra["isotonic"], fast.extra["isotonic"])
    assert table.model == fast.model
    assert table.diagnostics["parameters"] == [f"p[{lab}]" for lab in design.doses]


def test_recommend_with_the_mcmc_posterior_shows_the_pocrm_model():
    """``recommend --posterior mcmc``: the table is PO-CRM's (orderings included); the decision and its
    explanation are the design's, unchanged."""
    from dosefind.inference import McmcSettings
    from dosefind.live.recommend import recommend
    from dosefind.outcomes import parse_outcomes

    data = parse_outcomes("1.1NNN 1.2NTN 2.1NTN 2.1NNT", DESIGN.doses, cells=True)
    fast = recommend(DESIGN, data)
    rec = recommend(DESIGN, data, "mcmc", McmcSettings(draws=500, tune=300, chains=2, seed=2))
    assert rec.posterior.method == "mcmc" and rec.posterior.model == fast.posterior.model
    assert len(rec.posterior.orderings) == len(DESIGN.orderings)
    assert rec.next_dose == fast.next_dose and rec.explanation == fast.explanation
    d = rec.to_dict()["posterior"]
    assert len(d["orderings"]) == len(DESIGN.orderings) and d["diagnostics"]["parameters"] == ["b"]
