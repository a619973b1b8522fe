"""The BLRM's quadrature posterior agrees with a PyMC NUTS fit of the same model (designs/blrm/pymc_model)
within Monte Carlo error: interval probabilities (EWOC's P(overdosing) first) and posterior means, on six
data sets (the Neuenschwander et al. 2008 trial twice, a trial's early, middle and late data, and a
mixture prior in conflict with the data); the combination model's three are in test_blrm_comb_pymc.py."""

import math

import pytest

from dosefind.designs import Blrm
from dosefind.engine.blrm import blrm_posterior_summary
from dosefind.specfile import load_design

from ..conftest import ROOT

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
# Neuenschwander, Branson & Gsponer (2008): the bundled design on the paper's 15 doses (reference 50 mg,
# weakly informative prior) with the trial's data, first as OncoBayes2's hist_SA (1-25 mg, 18 patients),
# then with the nine patients at 20 mg (2 DLTs) that completed it
NBG = load_design(ROOT / "examples" / "priors" / "blrm-nbg.toml")[0]
NBG_DOSES = (1, 2.5, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 250)


def _on_nbg(counts: dict) -> tuple[tuple[int, ...], tuple[int, ...]]:
    n = tuple(counts.get(d, (0, 0))[0] for d in NBG_DOSES)
    y = tuple(counts.get(d, (0, 0))[1] for d in NBG_DOSES)
    return n, y


HIST_SA = {1: (3, 0), 2.5: (4, 0), 5: (5, 0), 10: (4, 0), 25: (2, 2)}
CASES = [
    ("nbg-hist-sa", NBG, *_on_nbg(HIST_SA)),
    ("nbg-trial", NBG, *_on_nbg({**HIST_SA, 20: (9, 2)})),
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
            # a constant indicator (every draw on one side of a cut) has no rhat
            assert float(ind.std()) == 0.0 or float(az.rhat(data)["v"]) < 1.01
            mcse = float(az.mcse(data, method="mean")["v"])
            if name_ != "mean":
                # a rare event can show no draw and an MCSE of 0: the binomial floor at the quadrature's
                # probability keeps the 4 MCSE honest (as tests/published/test_basket_hierarchy.py)
                mcse = max(mcse, math.sqrt(ref * (1.0 - ref) / ind.size))
            assert abs(float(ind.mean()) - ref) <= z * mcse + 1e-9, (name_, d, float(ind.mean()), ref, mcse)
