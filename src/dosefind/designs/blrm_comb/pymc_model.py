"""The two-drug BLRM in PyMC: the same likelihood and prior as the quadrature posterior (the oracle of the
fast posterior in tests, and ``--posterior mcmc`` in meetings). PyMC is imported inside the function."""

from __future__ import annotations

import numpy as np

from ...inference.summary import check_counts
from .spec import BlrmComb


def build_blrm_comb_model(design: BlrmComb, n_at, tox_at):
    """theta = (log alpha_A, log beta_A, log alpha_B, log beta_B, eta) ~ MvNormal(prior mean, prior
    covariance); y_c ~ Binomial(n_c, p_c) for every treated cell with logit p_c = logit(1 - (1 - p_A)(1 -
    p_B)) + eta h_c. The Deterministic ``p`` (dims ``cell``) is p for every cell."""
    import pymc as pm
    import pytensor.tensor as pt

    n_at, tox_at = check_counts(design, n_at, tox_at)
    used = np.flatnonzero(n_at > 0)
    xa = design.xa
    xb = design.xb
    h = design.interaction_dose.ravel()
    with pm.Model(coords={"cell": list(design.doses)}) as model:
        theta = pm.MvNormal("theta", mu=design.prior_mean, cov=design.prior_cov)
        la = theta[0] + pm.math.exp(theta[1]) * xa  # [J]
        lb = theta[2] + pm.math.exp(theta[3]) * xb  # [K]
        s = (pm.math.log1pexp(la)[:, None] + pm.math.log1pexp(lb)[None, :]).flatten()
        logit = s + pt.log(-pt.expm1(-s)) + theta[4] * h
        pm.Deterministic("p", pm.math.sigmoid(logit), dims="cell")
        if used.size:
            pm.Binomial("y", n=n_at[used], logit_p=logit[used], observed=tox_at[used])
    return model
