"""The quadrature CRM posterior agrees with a PyMC NUTS fit of the same model within Monte Carlo error."""

import numpy as np
import pytest

from dosefind import Crm
from dosefind.engine.posterior import crm_posterior_summary

pytestmark = [pytest.mark.slow, pytest.mark.pymc]

# Cheung (2011) / dfcrm documentation example: skeleton and data of the crm() help page
CHEUNG_SKELETON = (0.05, 0.10, 0.20, 0.35, 0.50, 0.70)
CHEUNG_LEVEL = [3, 4, 4, 3, 3, 4, 3, 2, 2, 2]
CHEUNG_TOX = [0, 0, 1, 0, 0, 1, 1, 0, 0, 0]


def _counts(levels, tox, D):
    n = np.zeros(D, dtype=int)
    y = np.zeros(D, dtype=int)
    for lv, t in zip(levels, tox, strict=True):
        n[lv - 1] += 1
        y[lv - 1] += t
    return n, y


CASES = [
    ("cheung-empiric", "empiric", *_counts(CHEUNG_LEVEL, CHEUNG_TOX, 6)),
    ("cheung-logistic", "logistic", *_counts(CHEUNG_LEVEL, CHEUNG_TOX, 6)),
    ("no-dlt", "empiric", np.array([3, 3, 0, 0, 0, 0]), np.array([0, 0, 0, 0, 0, 0])),
    ("early-dlts", "empiric", np.array([3, 6, 0, 0, 0, 0]), np.array([1, 3, 0, 0, 0, 0])),
]


@pytest.mark.parametrize("name, model, n, y", CASES, ids=[c[0] for c in CASES])
def test_quadrature_matches_nuts(name, model, n, y):
    import arviz as az

    from dosefind.inference import McmcSettings, fit_crm

    design = Crm(target=0.2, n_doses=6, max_n=30, skeleton=CHEUNG_SKELETON, model=model)
    quad = crm_posterior_summary(design, n, y)
    idata = fit_crm(design, n, y, McmcSettings(draws=2000, tune=1000, chains=2, seed=11))
    summ = az.summary(idata, var_names=["b"], stat_focus="mean", round_to="none")
    assert summ.loc["b", "r_hat"] < 1.01
    draws = idata.posterior["b"].values.ravel()
    mcse_mean = float(az.mcse(idata, var_names=["b"], method="mean")["b"])
    # MCSE of the sd by the delta method: MCSE(mean squared deviation) / (2 sd)
    per_chain = idata.posterior["b"].values
    sq = az.convert_to_dataset({"v": (per_chain - per_chain.mean()) ** 2})
    mcse_sd = float(az.mcse(sq, method="mean")["v"]) / (2 * draws.std())
    z = 4.0  # two-sided 6e-5 per comparison
    assert abs(draws.mean() - quad["mean_b"]) < z * mcse_mean
    assert abs(draws.std() - np.sqrt(quad["var_b"])) < z * mcse_sd
    # posterior mean of each dose's DLT probability: MCSE from the effective sample size of b
    ess = float(az.ess(idata, var_names=["b"])["b"])
    p_draws = design.prob_tox(draws)
    for d in range(6):
        se = p_draws[:, d].std() / np.sqrt(ess)
        assert abs(p_draws[:, d].mean() - quad["mean"][d]) < z * se + 1e-12
