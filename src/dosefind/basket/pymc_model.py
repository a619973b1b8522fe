"""PyMC models of the hierarchical basket designs (Berry; EXNEX; CBHM with sigma^2 fixed by the data), the
oracle of the quadrature posteriors.

PyMC is imported inside the functions (through :func:`dosefind.inference.mcmc.require_pymc`); sampling and
diagnostics go through :mod:`dosefind.inference.mcmc`. The hierarchy is written non-centred
(eta_k = nu + s z_k), which NUTS samples far better when s can be near 0.
"""

from __future__ import annotations

import math

import numpy as np

from .spec import Berry, Cbhm, Cohort, Exnex


def build_model(design: Berry | Exnex | Cbhm, cohorts: tuple[Cohort, ...], n, x):
    from ..inference.mcmc import require_pymc

    pm = require_pymc()
    n = np.asarray(n, dtype=int)
    x = np.asarray(x, dtype=int)
    k = len(cohorts)
    offset = math.log(design.target / (1 - design.target)) if isinstance(design, Berry) else 0.0
    with pm.Model() as model:
        mu = pm.Normal("mu", design.mu_mean_for(cohorts), design.mu_sd)
        z = pm.Normal("z", 0.0, 1.0, shape=k)
        if isinstance(design, Berry):
            sigma2 = pm.InverseGamma("sigma2", alpha=design.sigma2_shape, beta=design.sigma2_scale)
            scale = pm.math.sqrt(sigma2)
        elif isinstance(design, Cbhm):
            from .cbhm import sigma2_of

            scale = math.sqrt(float(sigma2_of(design, cohorts, n[None], x[None])[0][0]))
        else:
            scale = pm.HalfNormal("tau", design.tau_scale)
        eta_ex = mu + offset + scale * z
        if isinstance(design, Exnex):
            nex_mean = np.array(
                [math.log(c.q0 / (1 - c.q0)) if design.nex_mean is None else design.nex_mean for c in cohorts]
            )
            eta_nex = pm.Normal("eta_nex", nex_mean, design.nex_sd, shape=k)
            # the EX / NEX indicator summed out: a two-component mixture of binomial likelihoods per cohort
            p_ex = pm.math.sigmoid(eta_ex)
            p_nex = pm.math.sigmoid(eta_nex)
            lik_ex = pm.logp(pm.Binomial.dist(n=n, p=p_ex), x)
            lik_nex = pm.logp(pm.Binomial.dist(n=n, p=p_nex), x)
            pm.Potential(
                "mixture",
                pm.math.logaddexp(math.log(design.p_ex) + lik_ex, math.log1p(-design.p_ex) + lik_nex).sum()
                if design.p_ex < 1
                else lik_ex.sum(),
            )
            w = pm.math.exp(
                math.log(design.p_ex)
                + lik_ex
                - pm.math.logaddexp(math.log(design.p_ex) + lik_ex, math.log1p(-design.p_ex) + lik_nex)
            )
            pm.Deterministic("w_ex", w)
            pm.Deterministic("q_ex", p_ex)
            pm.Deterministic("q_nex", p_nex)
        else:
            pm.Binomial("x", n=n, p=pm.math.sigmoid(eta_ex), observed=x)
            pm.Deterministic("q", pm.math.sigmoid(eta_ex))
    return model


def mcmc_probabilities(design: Berry | Exnex | Cbhm, cohorts: tuple[Cohort, ...], n, x, settings=None):
    """(P(q_k > q0_k | data), posterior mean of q_k, their MCSEs, diagnostics) from NUTS draws.

    For EXNEX the per-draw EX weight is Rao-Blackwellised: P(q_k > q0) is averaged as
    w 1[q_ex > q0] + (1 - w) 1[q_nex > q0]."""
    import arviz as az

    from ..inference.mcmc import convergence_diagnostics, sample_model
    from ..inference.settings import McmcSettings

    settings = settings or McmcSettings()
    idata = sample_model(build_model(design, cohorts, n, x), settings)
    post = idata.posterior
    q0 = np.array([c.q0 for c in cohorts])
    if isinstance(design, Exnex):
        w = post["w_ex"].values
        above = w * (post["q_ex"].values > q0) + (1 - w) * (post["q_nex"].values > q0)
        mean = w * post["q_ex"].values + (1 - w) * post["q_nex"].values
        names = ["mu", "tau", "z", "eta_nex"]
    else:
        above = (post["q"].values > q0).astype(float)
        mean = post["q"].values
        names = ["mu", "z"] if isinstance(design, Cbhm) else ["mu", "sigma2", "z"]
    out_p, out_m, se_p, se_m = [], [], [], []
    for k in range(len(cohorts)):
        a = az.convert_to_dataset(above[:, :, k][..., None].transpose(0, 1, 2)[..., 0])
        m = az.convert_to_dataset(mean[:, :, k])
        out_p.append(float(above[:, :, k].mean()))
        out_m.append(float(mean[:, :, k].mean()))
        se_p.append(float(az.mcse(a)["x"].values))
        se_m.append(float(az.mcse(m)["x"].values))
    return (
        np.array(out_p),
        np.array(out_m),
        np.array(se_p),
        np.array(se_m),
        convergence_diagnostics(idata, names),
    )
