"""EffTox in PyMC: the same likelihood and priors as the fast posterior (the oracle of the fast posterior
in the tests). PyMC is imported inside the function so that importing dosefind stays fast."""

from __future__ import annotations

import numpy as np

from .spec import EffTox


def build_efftox_model(design: EffTox, n_at, tox_at, resp_at):
    """theta = (mu_T, beta_T, mu_E, beta_E1, beta_E2, psi), independent normals; each treated dose
    contributes its four outcome counts (neither, DLT only, response only, both) times log pi_ab, with
    Thall & Cook's pi_ab. Deterministics ``prob_tox`` and ``prob_eff`` (dims ``dose``) for every dose."""
    import pymc as pm
    import pytensor.tensor as pt

    D = design.n_doses
    n_at = np.asarray(n_at, dtype=np.int64)
    tox_at = np.asarray(tox_at, dtype=np.int64)
    resp_at = np.asarray(resp_at, dtype=np.int64).reshape(2, D)
    eff, both = resp_at
    counts = np.array([n_at - tox_at - eff + both, tox_at - both, eff - both, both], dtype=float)
    x = design.x
    with pm.Model(coords={"dose": list(design.doses)}) as model:
        theta = pm.Normal(
            "theta", mu=np.asarray(design.prior_mean), sigma=np.asarray(design.prior_sd), shape=6
        )
        et = theta[0] + theta[1] * x
        ee = theta[2] + theta[3] * x + theta[4] * x * x
        p_t = pm.Deterministic("prob_tox", pm.math.sigmoid(et), dims="dose")
        p_e = pm.Deterministic("prob_eff", pm.math.sigmoid(ee), dims="dose")
        c = pt.tanh(0.5 * theta[5])
        g = p_e * (1 - p_e) * p_t * (1 - p_t) * c
        cells = [(1 - p_e) * (1 - p_t) + g, (1 - p_e) * p_t - g, p_e * (1 - p_t) - g, p_e * p_t + g]
        loglik = sum(pt.sum(counts[k] * pt.log(cells[k])) for k in range(4) if counts[k].any())
        pm.Potential("loglik", loglik)
    return model
