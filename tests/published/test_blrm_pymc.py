"""The BLRM's quadrature posterior agrees with a PyMC NUTS fit of the same model (designs/blrm/pymc_model)
within Monte Carlo error: interval probabilities (EWOC's P(overdosing) first) and posterior means."""

import math

import pytest

from dosefind.designs import Blrm
from dosefind.engine.blrm import blrm_posterior_summary

pytestmark = [pytest.mark.slow, pytest.mark.pymc]

DESIGN = Blrm(
    doses=(1, 2.5, 5, 10, 15, 20, 25),
    reference_dose=25,
    max_n=36,
    prior_mean=(math.log(0.5 / 0.5), 0.0),
    prior_sd=(2.0, 1.0),
    prior_corr=0.0,
)
MIXTURE = Blrm(
    doses=DESIGN.doses,
    reference_dose=25,
    max_n=36,
    prior=(
        {"weight": 0.8, "mean": (-1.2, 0.3), "sd": (0.5, 0.3), "corr": -0.2},
        {"weight": 0.2, "mean": (0.0, 0.0), "sd": (2.0, 1.0), "corr": 0.0},
    ),
)
CASES = [
    ("early", DESIGN, (3, 3, 0, 0, 0, 0, 0), (0, 1, 0, 0, 0, 0, 0)),
    ("mid-trial", DESIGN, (3, 3, 6, 3, 0, 0, 0), (0, 0, 1, 2, 0, 0, 0)),
    ("late", DESIGN, (1, 1, 3, 6, 6, 3, 0), (0, 0, 0, 1, 3, 3, 0)),
    ("mixture-conflict", MIXTURE, (1, 1, 3, 6, 6, 3, 0), (0, 0, 0, 1, 3, 3, 0)),
]


@pytest.mark.parametrize("name, design, n, y", CASES, ids=[c[0] for c in CASES])
def test_quadrature_matches_nuts(name, design, n, y):
    import arviz as az

    from dosefind.inference import McmcSettings
    from dosefind.inference.mcmc import sample_posterior

    quad = blrm_posterior_summary(design, n, y)
    idata = sample_posterior(design, n, y, McmcSettings(draws=3000, tune=1000, chains=2, seed=5))
    la = idata.posterior["log_alpha"].values
    lb = idata.posterior["log_beta"].values
    p = design.prob_tox(la, lb)  # [chain, draw, dose]
    lo, hi = design.intervals
    z = 4.0  # two-sided 6e-5 per comparison
    for d in range(design.n_doses):
        for name_, ind, ref in (
            ("over", p[..., d] >= hi, quad["prob_over"][d]),
            ("under", p[..., d] < lo, quad["prob_under"][d]),
            ("mean", p[..., d], quad["mean"][d]),
        ):
            data = az.convert_to_dataset({"v": ind.astype(float)})
            assert float(az.rhat(data)["v"]) < 1.01 or float(ind.std()) == 0.0
            mcse = float(az.mcse(data, method="mean")["v"])
            assert abs(float(ind.mean()) - ref) <= z * mcse + 1e-9, (name_, d, float(ind.mean()), ref, mcse)
