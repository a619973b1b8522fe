"""Per-dose posterior summaries for live use: one table shape for every design and back end.

The fast back end is closed form for the beta-binomial designs (3+3, BOIN: an independent Beta prior on
each dose's DLT rate, the prior BOIN's elimination rule uses) and quadrature for the CRM (the same
likelihood, prior and grid the simulation engine decides on). The PyMC back end
(:mod:`dosefind.inference.mcmc`) fills the same :class:`PosteriorTable` from NUTS draws of the same
models. Every interval is equal-tailed with mass :data:`dosefind.constants.CREDIBLE_MASS`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..constants import CREDIBLE_MASS
from ..designs import Crm, Design
from ..engine.posterior import check_counts

#: Beta(a, b) prior on each dose's DLT rate for the beta-binomial summaries (BOIN's elimination prior).
BETA_PRIOR = (1.0, 1.0)

#: Points of the dense grid used for CRM posterior quantiles (the moments come from the engine's grid).
CRM_QUANTILE_POINTS = 4001


@dataclass(frozen=True)
class PosteriorTable:
    """Posterior of each dose's DLT probability.

    Arrays have one entry per dose (0-based). ``lower``/``upper`` bound the equal-tailed interval of
    mass ``mass``. ``extra`` holds design-specific columns (e.g. the CRM plug-in curve, BOIN's isotonic
    estimate), ``diagnostics`` the sampler diagnostics of an MCMC fit (None for the fast back end) and
    ``warnings`` anything the user should read before trusting the numbers.
    """

    method: str  #: "beta-binomial", "quadrature" or "mcmc"
    model: str  #: one line describing the model and prior
    target: float
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    prob_above_target: np.ndarray
    mass: float = CREDIBLE_MASS
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    diagnostics: dict | None = None
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        def clean(a):
            return [None if not math.isfinite(x) else float(x) for x in np.asarray(a, dtype=float)]

        return {
            "method": self.method,
            "model": self.model,
            "target": self.target,
            "mass": self.mass,
            "mean": clean(self.mean),
            "lower": clean(self.lower),
            "upper": clean(self.upper),
            "prob_above_target": clean(self.prob_above_target),
            "extra": {k: clean(v) for k, v in self.extra.items()},
            "diagnostics": self.diagnostics,
            "warnings": list(self.warnings),
        }


def beta_posterior(design: Design, n_at, tox_at, prior: tuple[float, float] = BETA_PRIOR) -> PosteriorTable:
    """Independent Beta(a + y, b + n - y) posterior per dose (closed form)."""
    from scipy.special import betainc, betaincinv  # scipy.special only: keeps `recommend` quick

    n_at, tox_at = check_counts(design, n_at, tox_at)
    a = prior[0] + tox_at
    b = prior[1] + n_at - tox_at
    tail = (1.0 - CREDIBLE_MASS) / 2
    extra = {}
    if design.kind == "boin":
        extra["isotonic"] = isotonic_estimate(n_at, tox_at)
    return PosteriorTable(
        method="beta-binomial",
        model=beta_model_line(prior),
        target=design.target,
        mean=a / (a + b),
        lower=betaincinv(a, b, tail),
        upper=betaincinv(a, b, 1.0 - tail),
        prob_above_target=1.0 - betainc(a, b, design.target),
        extra=extra,
    )


def beta_model_line(prior: tuple[float, float] = BETA_PRIOR) -> str:
    """One line naming the beta-binomial model (shared by the fast and PyMC back ends)."""
    return f"independent Beta({prior[0]:g}, {prior[1]:g}) prior on each dose's DLT rate"


def isotonic_estimate(n_at, tox_at) -> np.ndarray:
    """BOIN's final-selection estimate over the treated doses (NaN where untried).

    Weighted PAVA of (y + 0.05) / (n + 0.1) with the BOIN package's weights; the engine's own
    :func:`~dosefind.engine.decisions.pava` kernel does the pooling.
    """
    from ..engine.decisions import pava

    n_at = np.asarray(n_at, dtype=float)
    tox_at = np.asarray(tox_at, dtype=float)
    tried = np.flatnonzero(n_at > 0)
    out = np.full(n_at.shape, np.nan)
    m = tried.size
    if m == 0:
        return out
    n = n_at[tried] + 0.1
    y = tox_at[tried] + 0.05
    weights = 1.0 / ((y * (n_at[tried] - tox_at[tried] + 0.05)) / (n * n * (n + 1.0)))
    est = np.zeros(m)
    pava(y / n, weights, m, est, np.zeros(m), np.zeros(m))
    out[tried] = est
    return out


def crm_posterior_table(design: Crm, n_at, tox_at) -> PosteriorTable:
    """CRM posterior: moments and tail probabilities from the engine's quadrature, intervals from quantiles.

    p_d(b) is monotone decreasing in b, so the q-quantile of p_d is p_d at the (1 - q)-quantile of b;
    the quantiles of b come from the cumulative posterior (trapezoid rule, linear interpolation) on a
    dense grid over the posterior mean +- 12 sd of b (within the prior range).
    """
    from ..engine.posterior import crm_posterior_summary

    n_at, tox_at = check_counts(design, n_at, tox_at)
    s = crm_posterior_summary(design, n_at, tox_at)
    half = design.prior_range * design.prior_sd
    sd = math.sqrt(s["var_b"])
    lo, hi = max(-half, s["mean_b"] - 12 * sd), min(half, s["mean_b"] + 12 * sd)
    b = np.linspace(lo, hi, CRM_QUANTILE_POINTS)
    lp, lq = design.log_prob_tox(b)  # [K, D]
    used = n_at > 0
    logp = -0.5 * (b / design.prior_sd) ** 2
    logp = logp + (tox_at[used] * lp[:, used] + (n_at - tox_at)[used] * lq[:, used]).sum(axis=1)
    dens = np.exp(logp - logp.max())
    cdf = np.concatenate([[0.0], np.cumsum((dens[1:] + dens[:-1]) / 2)])
    cdf /= cdf[-1]
    tail = (1.0 - CREDIBLE_MASS) / 2
    b_lo, b_hi = np.interp([tail, 1.0 - tail], cdf, b)
    upper = design.prob_tox(b_lo)  # low b: high DLT probability
    lower = design.prob_tox(b_hi)
    return PosteriorTable(
        method="quadrature",
        model=model_line(design),
        target=design.target,
        mean=s["mean"],
        lower=lower,
        upper=upper,
        prob_above_target=s["prob_above_target"],
        extra={"plugin": s["plugin"]},
    )


def model_line(design: Design) -> str:
    """One line naming the model and prior of the posterior (the same for the fast and PyMC back ends)."""
    if not isinstance(design, Crm):
        return beta_model_line()
    return _crm_model_line(design)


def _crm_model_line(design: Crm) -> str:
    sk = ", ".join(f"{x:g}" for x in design.skeleton)
    if design.model == "empiric":
        form = "p_d = s_d^exp(b)"
    else:
        form = f"logit p_d = {design.intercept:g} + exp(b) x_d"
    return f"CRM {design.model} ({form}), skeleton [{sk}], b ~ Normal(0, {design.prior_sd:.4g}^2)"


def fast_posterior(design: Design, n_at, tox_at) -> PosteriorTable:
    """The default posterior of live use: quadrature for the CRM, closed-form beta-binomial otherwise."""
    if isinstance(design, Crm):
        return crm_posterior_table(design, n_at, tox_at)
    return beta_posterior(design, n_at, tox_at)
