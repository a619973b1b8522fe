"""The PO-CRM model in PyMC: the same prior, orderings and likelihood as the quadrature posterior.

The ordering is a discrete parameter. Rather than sampling it (a Categorical updated by Metropolis
steps beside NUTS for b mixes poorly when the orderings' posteriors of b differ), the model sums it
out exactly: the marginal density of b is

    p(b | y) ∝ N(b; 0, sd^2) * sum_m prior_m * L_m(b),

a one-dimensional continuous posterior that NUTS samples well. Ordering probabilities and the
model-averaged curve are then posterior expectations of smooth functions of b (Rao-Blackwellised):
P(m | y) = E[w_m(b) | y] with w_m(b) = prior_m L_m(b) / sum_k prior_k L_k(b), recorded as the
Deterministic ``w``; E[b | m, y] = E[b w_m(b)] / E[w_m(b)]; the posterior mean of p_c under ordering m is
E[w_m(b) p_mc(b)] / E[w_m(b)] (Deterministics ``p``, dims ordering x cell). SMC marginal likelihoods
per ordering would be the other route, but their estimates are noisier than these expectations and
harder to give a Monte Carlo standard error.

Only Bayes estimation has a PyMC counterpart (the likelihood version of the pocrm package is a
maximisation). PyMC is imported inside the functions.
"""

from __future__ import annotations

import numpy as np

from ...errors import SpecError
from ...inference.settings import McmcSettings
from ...inference.summary import check_counts
from .spec import PoCrm


def build_pocrm_model(design: PoCrm, n_at, tox_at):
    """PyMC model of a Bayes PO-CRM with the ordering summed out (see the module docstring)."""
    from ...inference.mcmc import require_pymc

    pm = require_pymc()
    import pytensor.tensor as pt

    if design.estimation != "bayes":
        raise SpecError(
            "estimation",
            "the likelihood PO-CRM (pocrm package) has no prior, hence no PyMC model",
            'use estimation = "bayes" for a posterior',
        )
    n_at, tox_at = check_counts(design, n_at, tox_at)
    included = ~design.grid.excluded_mask
    alpha = design.alpha()[:, included]  # [M, R]
    log_alpha = np.log(alpha)
    n = n_at[included].astype(np.float64)
    y = tox_at[included].astype(np.float64)
    log_prior = np.log(np.asarray(design.ordering_prior))
    labels = [lab for lab, keep in zip(design.doses, included, strict=True) if keep]
    coords = {"ordering": [str(m + 1) for m in range(len(design.orderings))], "cell": labels}
    with pm.Model(coords=coords) as model:
        b = pm.Normal("b", 0.0, design.prior_sd)
        logp = pt.exp(b) * log_alpha  # [M, R]: log p under each ordering
        logq = pt.log1p(-pt.exp(logp))
        loglik = (y * logp + (n - y) * logq).sum(axis=1)  # [M]
        joint = log_prior + loglik
        total = pm.math.logsumexp(joint)
        pm.Potential("marginal_likelihood", total)
        pm.Deterministic("w", pt.exp(joint - total), dims="ordering")
        pm.Deterministic("p", pt.exp(logp), dims=("ordering", "cell"))
    return model


def fit_pocrm(design: PoCrm, n_at, tox_at, settings: McmcSettings = McmcSettings()):
    """NUTS fit of the PO-CRM's b with the ordering summed out; returns the ArviZ InferenceData."""
    from ...inference.mcmc import sample_model

    return sample_model(build_pocrm_model(design, n_at, tox_at), settings)


def ordering_curves(design: PoCrm, n_at, tox_at, b) -> tuple[np.ndarray, np.ndarray]:
    """The model's Deterministics at draws ``b`` (any shape S), in numpy: ``w`` [S..., M], each ordering's
    probability given b (prior x likelihood, normalised over orderings: the integrand of P(m | data)),
    and ``p`` [S..., M, cells], every cell's DLT probability under each ordering at b (nan for excluded
    cells; the model's ``p`` lists the included cells only)."""
    n_at, tox_at = check_counts(design, n_at, tox_at)
    included = ~design.grid.excluded_mask
    log_alpha = np.log(design.alpha()[:, included])  # [M, R]
    n = n_at[included].astype(np.float64)
    y = tox_at[included].astype(np.float64)
    b = np.asarray(b, dtype=np.float64)
    logp = np.exp(b)[..., None, None] * log_alpha  # [S..., M, R]
    with np.errstate(divide="ignore"):  # log(1 - p) = -inf only where p rounds to 1 (no patients there)
        logq = np.log(-np.expm1(logp))
    used = n > 0  # untried cells add nothing (avoids 0 x -inf)
    loglik = (y[used] * logp[..., used] + (n - y)[used] * logq[..., used]).sum(axis=-1)  # [S..., M]
    joint = np.log(np.asarray(design.ordering_prior)) + loglik
    joint -= joint.max(axis=-1, keepdims=True)
    w = np.exp(joint)
    w /= w.sum(axis=-1, keepdims=True)
    p = np.full(logp.shape[:-1] + (design.n_doses,), np.nan)
    p[..., included] = np.exp(logp)
    return w, p


def pocrm_mcmc_summary(idata) -> dict:
    """Posterior ordering probabilities, E[b | m] and the per-ordering and model-averaged posterior mean
    curves (included cells) from a :func:`fit_pocrm` fit, as plain arrays."""
    post = idata.posterior
    b = post["b"].values.reshape(-1)
    w = post["w"].values.reshape(b.size, -1)  # [draws, M]
    p = post["p"].values.reshape(b.size, w.shape[1], -1)  # [draws, M, R]
    prob = w.mean(axis=0)
    return {
        "ordering_prob": prob,
        "b_mean": (w * b[:, None]).mean(axis=0) / prob,
        "mean_by_ordering": (w[:, :, None] * p).mean(axis=0) / prob[:, None],
        "model_averaged": (w[:, :, None] * p).sum(axis=1).mean(axis=0),
    }
