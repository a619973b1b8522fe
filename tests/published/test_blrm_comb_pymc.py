"""The two-drug BLRM's quadrature posterior (the accurate rule) agrees with a PyMC NUTS fit of the same
model (designs/blrm_comb/pymc_model) within Monte Carlo error: interval probabilities and means per cell,
on a trial's early, middle and late data (tolerance: 4 MCSE of the NUTS estimate plus the rule's own
error bound, 1e-3, measured against importance sampling in docs/notes/blrm-comb-quadrature.md)."""

import pytest

from dosefind.designs import BlrmComb
from dosefind.engine.blrm_comb import blrm_comb_posterior_summary

pytestmark = [pytest.mark.slow, pytest.mark.pymc]

DESIGN = BlrmComb(
    name="pymc",
    max_n=36,
    cohort_size=3,
    grid={"levels_a": ["3", "4.5", "6"], "levels_b": ["400", "600", "800"]},
    doses_a=[3, 4.5, 6],
    doses_b=[400, 600, 800],
    reference_dose_a=6,
    reference_dose_b=800,
    target=0.25,
)
CASES = [
    ("early", [3, 0, 0, 3, 0, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 0, 0, 0]),
    ("mid-trial", [3, 3, 0, 3, 6, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0, 0, 0, 0]),
    ("late", [3, 3, 3, 3, 9, 6, 0, 6, 3], [0, 0, 1, 0, 2, 2, 0, 2, 2]),
]


@pytest.mark.parametrize("name, n, y", CASES, ids=[c[0] for c in CASES])
def test_quadrature_matches_nuts(name, n, y):
    import arviz as az

    from dosefind.inference import McmcSettings
    from dosefind.inference.mcmc import sample_posterior

    quad = blrm_comb_posterior_summary(DESIGN, n, y)
    idata = sample_posterior(DESIGN, n, y, McmcSettings(draws=3000, tune=1000, chains=2, seed=5))
    p = DESIGN.prob_tox(idata.posterior["theta"].values)  # [chain, draw, cell]
    lo, hi = DESIGN.intervals
    z = 4.0
    for c in range(DESIGN.n_doses):
        for what, ind, ref in (
            ("over", p[..., c] >= hi, quad["prob_over"][c]),
            ("under", p[..., c] < lo, quad["prob_under"][c]),
            ("mean", p[..., c], quad["mean"][c]),
        ):
            data = az.convert_to_dataset({"v": ind.astype(float)})
            assert float(az.rhat(data)["v"]) < 1.01 or float(ind.std()) == 0.0
            mcse = float(az.mcse(data, method="mean")["v"])
            assert abs(float(ind.mean()) - ref) <= z * mcse + 1e-3, (what, c, float(ind.mean()), ref, mcse)
