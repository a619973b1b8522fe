"""The BLRM MAP model (dosefind.prior.mapfit, the exchangeable part of blrm_exnex) against OncoBayes2 0.8-9
on its hist_SA trial: the predictive distribution of p(d) for a new trial, at eight doses
(tests/published/data/oncobayes2_blrm_map.csv, from benchmarks/reference/oncobayes2/blrm_map_reference.R).

Both sides are MCMC: |dosefind - OncoBayes2| <= 4 sqrt(MCSE_dosefind^2 + MCSE_OncoBayes2^2) for the mean
of p(d), its median and P(p(d) >= 0.33), with MCSEs from ArviZ (chains kept) and R's posterior package.
The predictive p(d) of a new trial depends on tau's log-normal prior, so this checks the hierarchical
model and its hyperpriors, not only the likelihood.
"""

import csv
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from scipy import special

pytestmark = [pytest.mark.slow, pytest.mark.pymc]

DATA = Path(__file__).parent / "data" / "oncobayes2_blrm_map.csv"
ROOT = Path(__file__).parents[2]


def _load():
    ref, se = defaultdict(dict), defaultdict(dict)
    with DATA.open() as f:
        for row in csv.DictReader(line for line in f if not line.startswith("#")):
            d = float(row["dose"])
            ref[d][row["quantity"]] = float(row["value"])
            if row["mcse"] != "NA":
                se[d][row["quantity"]] = float(row["mcse"])
    return ref, se


def test_blrm_map_predictive_agrees_with_oncobayes2():
    pytest.importorskip("pymc")
    import arviz as az

    from dosefind.inference.settings import McmcSettings
    from dosefind.prior import read_history
    from dosefind.prior.mapfit import BlrmMapPriors, fit_map

    ref, ref_se = _load()
    data = read_history(ROOT / "examples" / "priors" / "hist-sa.csv", "blrm")
    settings = McmcSettings(draws=2000, tune=1000, chains=2, target_accept=0.99, seed=11)
    fit = fit_map(data, settings, BlrmMapPriors(), reference_dose=50.0)  # defaults = ?example-combo2
    assert fit.diagnostics["r_hat_max"] < 1.01
    doses = np.array(sorted(ref))
    theta = fit.draws
    p = special.expit(theta[:, :1] + np.exp(theta[:, 1:2]) * np.log(doses / 50.0)[None, :])
    for j, d in enumerate(doses):
        x = p[:, j].reshape(settings.chains, settings.draws)
        ds = az.convert_to_dataset({"p": x, "o": (x >= 0.33).astype(float)})
        mean_se = float(az.mcse(ds, method="mean")["p"])
        med_se = float(az.mcse(ds, method="quantile", prob=0.5)["p"])
        over_se = float(az.mcse(ds, method="mean")["o"])
        checks = [
            ("mean", x.mean(), mean_se),
            ("q500", float(np.quantile(x, 0.5)), med_se),
            ("p_over_033", float((x >= 0.33).mean()), over_se),
        ]
        for name, ours, se in checks:
            z = abs(ours - ref[d][name]) / math.hypot(se, ref_se[d][name])
            assert z < 4, (d, name, ours, ref[d][name], z)
