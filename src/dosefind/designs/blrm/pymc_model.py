"""The BLRM in PyMC: the same likelihood and prior as the quadrature posterior (the oracle of the fast
posterior in tests, and ``--posterior mcmc`` in meetings). PyMC is imported inside the function so that
importing dosefind stays fast."""

from __future__ import annotations

import numpy as np

from ...inference.summary import check_counts
from .spec import Blrm


def build_blrm_model(design: Blrm, n_at, tox_at):
    """(log alpha, log beta) ~ MvNormal(prior_mean, prior covariance), or the mixture of the prior's
    components; y_d ~ Binomial(n_d, p_d) with
    logit p_d = log alpha + exp(log beta) log(d / d*), one term per treated dose. The Deterministic ``p``
    (dims ``dose``) is p_d for every dose."""
    import pymc as pm

    n_at, tox_at = check_counts(design, n_at, tox_at)
    used = n_at > 0
    x = design.x
    comps = design.components
    with pm.Model(coords={"dose": list(design.doses)}) as model:
        if len(comps) == 1:
            theta = pm.MvNormal("theta", mu=np.asarray(comps[0].mean), cov=comps[0].cov)
        else:  # a mixture of bivariate normals
            theta = pm.Mixture(
                "theta",
                w=np.array([c.weight for c in comps]),
                comp_dists=[pm.MvNormal.dist(mu=np.asarray(c.mean), cov=c.cov) for c in comps],
            )
        log_alpha = pm.Deterministic("log_alpha", theta[0])
        log_beta = pm.Deterministic("log_beta", theta[1])
        eta = log_alpha + pm.math.exp(log_beta) * x
        pm.Deterministic("p", pm.math.sigmoid(eta), dims="dose")
        if used.any():
            pm.Binomial("y", n=n_at[used], logit_p=eta[np.flatnonzero(used)], observed=tox_at[used])
    return model
