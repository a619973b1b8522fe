"""The CRM model in PyMC: the same likelihood and prior as the quadrature posterior.

The model spec (skeleton, model family, intercept, prior sd) comes from the :class:`Crm` design; this
module only builds the PyMC graph from it. PyMC and ArviZ are imported inside the functions so that
importing dosefind stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..designs import Crm


@dataclass(frozen=True)
class McmcSettings:
    draws: int = 2000
    tune: int = 1000
    chains: int = 4
    target_accept: float = 0.9
    seed: int = 1


def build_crm_model(design: Crm, n_at, tox_at):
    """PyMC model: b ~ N(0, prior_sd^2); y_d ~ Binomial(n_d, p_d(b)) for the design's model family."""
    import pymc as pm

    n_at = np.asarray(n_at, dtype=np.int64)
    tox_at = np.asarray(tox_at, dtype=np.int64)
    used = n_at > 0
    coef = design.coefficients()[used]
    with pm.Model() as model:
        b = pm.Normal("b", 0.0, design.prior_sd)
        if design.model == "empiric":
            logit_p = None
            p = pm.math.exp(pm.math.exp(b) * coef)
            pm.Binomial("y", n=n_at[used], p=p, observed=tox_at[used])
        else:
            logit_p = design.intercept + pm.math.exp(b) * coef
            pm.Binomial("y", n=n_at[used], logit_p=logit_p, observed=tox_at[used])
    return model


def fit_crm(design: Crm, n_at, tox_at, settings: McmcSettings = McmcSettings()):
    """NUTS fit of the CRM parameter; returns the ArviZ InferenceData."""
    import pymc as pm

    model = build_crm_model(design, n_at, tox_at)
    with model:
        return pm.sample(
            draws=settings.draws,
            tune=settings.tune,
            chains=settings.chains,
            cores=1,
            target_accept=settings.target_accept,
            random_seed=settings.seed,
            progressbar=False,
            compute_convergence_checks=False,
        )
