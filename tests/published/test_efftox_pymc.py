"""EffTox's fast posterior (engine/efftox.py) against a PyMC NUTS fit of the same model
(designs/efftox/pymc_model): posterior means of pi_T and pi_E and the two hurdles' probabilities per dose,
within the rule's measured error plus four ArviZ MCSEs."""

import pytest

from dosefind.designs import EffTox
from dosefind.engine.efftox import efftox_summary

pytestmark = [pytest.mark.slow, pytest.mark.pymc]

DESIGN = EffTox(
    doses=(1.0, 2.0, 4.0, 6.6, 10.0),
    max_n=39,
    prior_mean=(-7.9593, 1.5482, 0.7367, 3.4181, 0.0, 0.0),
    prior_sd=(3.5487, 3.5018, 2.5423, 2.4406, 0.2, 1.0),
)
RULE_ERROR = {"prob_tox": 0.012, "prob_eff": 0.008, "prob_acc_tox": 0.025, "prob_acc_eff": 0.025}
CASES = [
    ("1NNE 2EEB", [3, 3, 0, 0, 0], [0, 1, 0, 0, 0], [[1, 3, 0, 0, 0], [0, 1, 0, 0, 0]]),
    ("24 patients", [3, 6, 9, 6, 0], [0, 1, 2, 3, 0], [[1, 3, 6, 5, 0], [0, 1, 1, 2, 0]]),
]


@pytest.mark.parametrize("name, n, y, r", CASES, ids=[c[0] for c in CASES])
def test_fast_posterior_matches_nuts(name, n, y, r):
    import arviz as az

    from dosefind.designs.efftox.pymc_model import build_efftox_model
    from dosefind.inference import McmcSettings
    from dosefind.inference.mcmc import sample_model

    fast = efftox_summary(DESIGN, n, y, r)
    model = build_efftox_model(DESIGN, n, y, r)
    idata = sample_model(model, McmcSettings(draws=2000, tune=1000, chains=2, seed=7, target_accept=0.95))
    pt = idata.posterior["prob_tox"].values
    pe = idata.posterior["prob_eff"].values
    draws = {
        "prob_tox": pt,
        "prob_eff": pe,
        "prob_acc_tox": (pt < DESIGN.tox_limit).astype(float),
        "prob_acc_eff": (pe > DESIGN.eff_limit).astype(float),
    }
    for key, vals in draws.items():
        for d in range(DESIGN.n_doses):
            v = vals[..., d]
            data = az.convert_to_dataset({"v": v})
            mcse = float(az.mcse(data, method="mean")["v"])
            assert abs(float(v.mean()) - fast[key][d]) <= RULE_ERROR[key] + 4 * mcse, (
                key,
                d,
                v.mean(),
                fast[key][d],
            )
