"""The CRM model in PyMC: the same likelihood and prior as the quadrature posterior.

The model spec (skeleton, model family, intercept, prior sd) comes from the :class:`Crm` design; this
module only builds the PyMC graph from it. PyMC and ArviZ are imported inside the functions so that
importing dosefind stays fast.
"""

from __future__ import annotations

from ...inference.settings import McmcSettings
from ...inference.summary import check_counts
from .spec import Crm


def build_crm_model(design: Crm, n_at, tox_at):
    """PyMC model: b ~ N(0, prior_sd^2); y_d ~ Binomial(n_d, p_d(b)) for the design's model family.

    The likelihood has one term per treated dose (no term at all without patients: b then has its
    prior). The Deterministic ``p`` (dims ``dose``) is p_d(b) for every dose, tried or not.
    """
    import pymc as pm

    n_at, tox_at = check_counts(design, n_at, tox_at)
    used = n_at > 0
    coef = design.coefficients()
    with pm.Model(coords={"dose": list(design.doses)}) as model:
        b = pm.Normal("b", 0.0, design.prior_sd)
        scale = pm.math.exp(b)
        if design.model == "empiric":
            pm.Deterministic("p", pm.math.exp(scale * coef), dims="dose")
            if used.any():
                pm.Binomial("y", n=n_at[used], p=pm.math.exp(scale * coef[used]), observed=tox_at[used])
        else:
            pm.Deterministic("p", pm.math.sigmoid(design.intercept + scale * coef), dims="dose")
            if used.any():
                logit_p = design.intercept + scale * coef[used]
                pm.Binomial("y", n=n_at[used], logit_p=logit_p, observed=tox_at[used])
    return model


def fit_crm(design: Crm, n_at, tox_at, settings: McmcSettings = McmcSettings()):
    """NUTS fit of the CRM parameter; returns the ArviZ InferenceData."""
    from ...inference.mcmc import sample_model

    return sample_model(build_crm_model(design, n_at, tox_at), settings)
