"""The MCMC posterior (PyMC NUTS) agrees with the fast posterior (closed form / quadrature) within
Monte Carlo error, on published and edge-case data, and its diagnostics say so.

Every comparison allows Z standard errors, each standard error estimated from the draws' own effective
sample size (ArviZ), never tuned to the result:

* posterior mean: the MCSE of the mean;
* P(p_d > target): the binomial-type sqrt(p (1 - p) / ESS), p the exact value and ESS that of the
  indicator 1{p_d > target} (the bulk ESS of p_d if the indicator never changes), plus 1/N (one of the
  N draws: the estimate is a count);
* interval ends: ArviZ's quantile MCSE (``mcse(method="quantile")``, which works here; its ``"sd"``
  method does not).

With ~170 comparisons at Z = 4 (two-sided 6e-5 each) a correct sampler fails about 1% of seeds.
"""

import numpy as np
import pytest

from dosefind import Boin, Crm, ThreePlusThree
from dosefind.constants import CREDIBLE_MASS
from dosefind.inference import McmcSettings, mcmc_posterior
from dosefind.inference.mcmc import ESS_MIN, R_HAT_MAX, posterior_from_draws, sample_posterior
from dosefind.inference.summary import fast_posterior

from .test_crm_pymc import CHEUNG_LEVEL, CHEUNG_SKELETON, CHEUNG_TOX, _counts

pytestmark = [pytest.mark.slow, pytest.mark.pymc]

Z = 4.0


def _crm(model):
    return Crm(target=0.2, n_doses=6, max_n=30, skeleton=CHEUNG_SKELETON, model=model)


BOIN = Boin(target=0.3, n_doses=5, max_n=30)
TPT = ThreePlusThree(n_doses=5)

CASES = [
    ("cheung-empiric", _crm("empiric"), *_counts(CHEUNG_LEVEL, CHEUNG_TOX, 6)),
    ("cheung-logistic", _crm("logistic"), *_counts(CHEUNG_LEVEL, CHEUNG_TOX, 6)),
    ("boin", BOIN, [3, 6, 3, 0, 0], [0, 1, 2, 0, 0]),
    ("3+3", TPT, [3, 6, 3, 0, 0], [0, 1, 2, 0, 0]),
    ("crm-no-patients", _crm("empiric"), [0] * 6, [0] * 6),
    ("boin-no-patients", BOIN, [0] * 5, [0] * 5),
    ("crm-all-dlt-dose-1", _crm("empiric"), [3, 0, 0, 0, 0, 0], [3, 0, 0, 0, 0, 0]),
    ("boin-all-dlt-dose-1", BOIN, [3, 0, 0, 0, 0], [3, 0, 0, 0, 0]),
]

SETTINGS = McmcSettings(seed=20240611)  # the defaults users get, seeded


def dose_draws(design, idata) -> np.ndarray:
    """Draws of every dose's DLT probability, [chain, draw, dose]."""
    if isinstance(design, Crm):
        return design.prob_tox(idata.posterior["b"].values)
    return idata.posterior["p"].values


def _scalar(value) -> float:
    """ArviZ returns some statistics of a [chain, draw] array as shape (1,), others as scalars."""
    return float(np.asarray(value).item())


def z_scores(design, table, exact, p) -> dict[str, np.ndarray]:
    """|MCMC - exact| / MCSE per dose for the mean, P(p > target) and both interval ends."""
    import arviz as az

    n_total = p.shape[0] * p.shape[1]
    tail = (1.0 - CREDIBLE_MASS) / 2
    out = {k: np.zeros(design.n_doses) for k in ("mean", "prob_above_target", "lower", "upper")}
    for d in range(design.n_doses):
        x = p[:, :, d]
        mcse_mean = _scalar(az.mcse(x, method="mean"))
        assert table.extra["mcse_mean"][d] == pytest.approx(mcse_mean, rel=1e-9)
        out["mean"][d] = abs(table.mean[d] - exact.mean[d]) / mcse_mean

        above = (x > design.target).astype(float)
        ess = (
            _scalar(az.ess(above, method="mean"))
            if 0 < above.mean() < 1
            else _scalar(az.ess(x, method="bulk"))
        )
        q = float(exact.prob_above_target[d])
        se = np.sqrt(q * (1 - q) / ess) + 1.0 / (Z * n_total)
        out["prob_above_target"][d] = abs(table.prob_above_target[d] - q) / se

        for key, prob in (("lower", tail), ("upper", 1 - tail)):
            se_q = _scalar(az.mcse(x, method="quantile", prob=prob))
            assert table.extra[f"mcse_{key}"][d] == pytest.approx(se_q, rel=1e-9)
            out[key][d] = abs(getattr(table, key)[d] - getattr(exact, key)[d]) / se_q
    return out


@pytest.mark.parametrize("name, design, n, y", CASES, ids=[c[0] for c in CASES])
def test_mcmc_matches_fast_posterior(name, design, n, y):
    idata = sample_posterior(design, n, y, SETTINGS)
    table = posterior_from_draws(design, n, y, idata, SETTINGS)
    exact = fast_posterior(design, n, y)

    assert table.method == "mcmc"
    assert table.model == exact.model
    assert table.mass == exact.mass == CREDIBLE_MASS
    assert set(table.extra) >= {"mcse_mean"} | set(exact.extra)
    for key in set(exact.extra) - {"plugin"}:  # data summaries (BOIN's isotonic estimate) are identical
        np.testing.assert_array_equal(table.extra[key], exact.extra[key])

    p = dose_draws(design, idata)
    for quantity, z in z_scores(design, table, exact, p).items():
        assert np.all(z < Z), f"{name}: {quantity} off by {np.round(z, 2)} standard errors"

    if isinstance(design, Crm):
        # the model's Deterministic p is the design's own curve at every draw, tried doses or not
        np.testing.assert_allclose(idata.posterior["p"].values, p, rtol=1e-12, atol=1e-15)
        b_mean = idata.posterior["b"].values.mean()
        np.testing.assert_allclose(table.extra["plugin"], design.prob_tox(b_mean), rtol=1e-12)

    dg = table.diagnostics
    assert dg["r_hat_max"] <= R_HAT_MAX
    assert dg["ess_bulk_min"] >= ESS_MIN and dg["ess_tail_min"] >= ESS_MIN
    assert dg["divergences"] == 0
    assert (dg["chains"], dg["draws"], dg["tune"], dg["seed"]) == (
        SETTINGS.chains,
        SETTINGS.draws,
        SETTINGS.tune,
        SETTINGS.seed,
    )
    n_params = 1 if isinstance(design, Crm) else design.n_doses
    assert len(dg["parameters"]) == len(dg["r_hat"]) == len(dg["ess_bulk"]) == len(dg["ess_tail"]) == n_params
    assert table.warnings == ()


def test_mcmc_posterior_is_reproducible_and_timed():
    """One call does what the two steps do, and the same seed gives the same table (audit log)."""
    design = _crm("empiric")
    n, y = _counts(CHEUNG_LEVEL, CHEUNG_TOX, 6)
    settings = McmcSettings(draws=500, tune=500, chains=2, seed=3)
    one = mcmc_posterior(design, n, y, settings)
    two = posterior_from_draws(design, n, y, sample_posterior(design, n, y, settings), settings)
    for key in ("mean", "lower", "upper", "prob_above_target"):
        np.testing.assert_array_equal(getattr(one, key), getattr(two, key))
    assert one.diagnostics["seconds"] > 0
    assert two.diagnostics["seconds"] is None


def test_too_short_run_warns():
    """A seeded, far too short run on a hard case (logistic CRM, all DLTs at dose 1) is flagged."""
    design = _crm("logistic")
    table = mcmc_posterior(
        design, [3, 0, 0, 0, 0, 0], [3, 0, 0, 0, 0, 0], McmcSettings(draws=100, tune=20, chains=2, seed=5)
    )
    assert table.warnings
    assert any("--draws" in w for w in table.warnings)
