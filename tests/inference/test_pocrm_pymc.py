"""The PO-CRM quadrature posterior agrees with a PyMC NUTS fit of the same model within Monte Carlo error.

PyMC samples b with the ordering summed out (designs/pocrm/pymc_model.py); ordering probabilities, per-
ordering posterior means of b and the model-averaged DLT curve are posterior expectations whose Monte
Carlo standard errors come from ArviZ's ESS-based MCSE of the draws of the integrand.
"""

import numpy as np
import pytest

from dosefind.designs import PoCrm
from dosefind.designs.grid import DoseGrid
from dosefind.engine.pocrm import pocrm_posterior_summary

pytestmark = [pytest.mark.slow, pytest.mark.pymc]

GRID = DoseGrid(levels_a=("1", "2", "3"), levels_b=("1", "2", "3", "4"))
SKELETON = (0.02, 0.05, 0.09, 0.14, 0.2, 0.27, 0.34, 0.41, 0.48, 0.55, 0.62, 0.68)


def _case(cells):
    n = np.zeros(12, dtype=np.int64)
    y = np.zeros(12, dtype=np.int64)
    for label, k, t in cells:
        c = GRID.index(label)
        n[c] += k
        y[c] += t
    return n, y


CASES = {
    # an early trial: three zones tried, the orderings still close
    "early": _case([("1.1", 3, 0), ("1.2", 3, 0), ("2.1", 3, 1), ("2.2", 3, 1)]),
    # later: the data favour drug A being the more toxic (columns-like orderings)
    "later": _case(
        [("1.1", 3, 0), ("1.2", 3, 0), ("2.1", 6, 3), ("1.3", 6, 1), ("2.2", 3, 2), ("1.4", 3, 1)]
    ),
}


def _mcse_mean(values, chains):
    """ArviZ ESS-based MCSE of the mean of per-draw values shaped [chains * draws]."""
    import arviz as az

    ds = az.convert_to_dataset({"v": values.reshape(chains, -1)})
    return float(az.mcse(ds, method="mean")["v"])


@pytest.mark.parametrize("name", list(CASES))
def test_quadrature_matches_nuts(name):
    import arviz as az

    from dosefind.designs.pocrm.pymc_model import fit_pocrm, pocrm_mcmc_summary
    from dosefind.inference import McmcSettings

    n, y = CASES[name]
    design = PoCrm(
        target=0.3, grid=GRID, max_n=36, skeleton=SKELETON, ordering_prior=(0.3, 0.3, 0.1, 0.1, 0.1, 0.1)
    )
    fast = pocrm_posterior_summary(design, n, y)
    chains = 2
    idata = fit_pocrm(design, n, y, McmcSettings(draws=3000, tune=1000, chains=chains, seed=17))
    assert float(az.rhat(idata, var_names=["b"])["b"]) < 1.01
    slow = pocrm_mcmc_summary(idata)
    post = idata.posterior
    b = post["b"].values.reshape(-1)
    w = post["w"].values.reshape(b.size, -1)
    p = post["p"].values.reshape(b.size, w.shape[1], -1)
    # comparisons: 6 ordering probabilities, 6 E[b | m] and 12 model-averaged cells per case, 2 cases:
    # 48 at z = 4.5 (two-sided 6.8e-6 each, 3.3e-4 for the family)
    z = 4.5
    for m in range(w.shape[1]):
        se = _mcse_mean(w[:, m], chains)
        assert abs(slow["ordering_prob"][m] - fast["ordering_prob"][m]) < z * se + 1e-12
        # E[b | m] = E[b w_m] / E[w_m]: MCSE by the delta method on the ratio's linearisation
        lin = (b - slow["b_mean"][m]) * w[:, m] / slow["ordering_prob"][m]
        assert abs(slow["b_mean"][m] - fast["b_hat"][m]) < z * _mcse_mean(lin, chains) + 1e-12
    avg = (w[:, :, None] * p).sum(axis=1)
    for c in range(12):
        se = _mcse_mean(avg[:, c], chains)
        assert abs(slow["model_averaged"][c] - fast["model_averaged"][c]) < z * se + 1e-12
