"""Per-dose posterior summaries for live use: one table shape for every design and back end.

The fast back end is closed form for the beta-binomial designs (3+3, BOIN, BOIN for combinations: an
independent Beta prior on each dose's DLT rate, the prior BOIN's elimination rule uses) and quadrature
for the CRM and PO-CRM (the same likelihood, prior and grid the simulation engine decides on). Beside
the posterior, BOIN's table carries the isotonic estimate its final selection uses (pool-adjacent-
violators along the dose axis) and BOIN for combinations the bivariate isotonic regression its
selection uses. The PyMC back end (:mod:`dosefind.inference.mcmc`) fills the same
:class:`PosteriorTable` from NUTS draws of the same models (PO-CRM: Bayes estimation only).
Every interval is equal-tailed with mass :data:`dosefind.constants.CREDIBLE_MASS`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..constants import CREDIBLE_MASS
from ..designs import BoinComb, Crm, Design, PoCrm
from ..engine.posterior import check_counts

#: Beta(a, b) prior on each dose's DLT rate for the beta-binomial summaries (BOIN's elimination prior).
BETA_PRIOR = (1.0, 1.0)

#: Points of the dense grid used for CRM posterior quantiles (the moments come from the engine's grid).
CRM_QUANTILE_POINTS = 4001


@dataclass(frozen=True)
class OrderingSummary:
    """One ordering of a PO-CRM: its cells (least toxic first), prior and posterior probability, the
    estimate of b and, per cell (0-based index, nan for excluded cells), the posterior mean DLT
    probability and the plug-in estimate under it."""

    index: int  #: 0-based position in ``design.orderings``
    name: str  #: the typical ordering's name, else "ordering m"
    cells: tuple[str, ...]
    prior: float
    prob: float  #: posterior probability (likelihood estimation: weight prior x maximised likelihood)
    b_hat: float  #: posterior mean of b (likelihood estimation: log of the MLE of the power)
    mean: np.ndarray
    plugin: np.ndarray

    def to_dict(self) -> dict:
        return {
            "index": self.index + 1,
            "name": self.name,
            "cells": list(self.cells),
            "prior": self.prior,
            "prob": self.prob,
            "b_hat": _clean([self.b_hat])[0],
            "mean": _clean(self.mean),
            "plugin": _clean(self.plugin),
        }


def _clean(a) -> list:
    """Floats for JSON, None for nan and infinities."""
    return [None if not math.isfinite(x) else float(x) for x in np.asarray(a, dtype=float)]


@dataclass(frozen=True)
class PosteriorTable:
    """Posterior of each dose's DLT probability.

    Arrays have one entry per dose (0-based). ``lower``/``upper`` bound the equal-tailed interval of
    mass ``mass``. ``extra`` holds design-specific columns (e.g. the CRM plug-in curve, BOIN's isotonic
    estimate), ``orderings`` a PO-CRM's orderings (empty for other designs), ``diagnostics`` the sampler
    diagnostics of an MCMC fit (None for the fast back end) and ``warnings`` anything the user should
    read before trusting the numbers.
    """

    method: str  #: "beta-binomial", "quadrature", "mcmc" or "likelihood" (PO-CRM by maximum likelihood)
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
    orderings: tuple[OrderingSummary, ...] = ()

    def to_dict(self) -> dict:
        out = {
            "method": self.method,
            "model": self.model,
            "target": self.target,
            "mass": self.mass,
            "mean": _clean(self.mean),
            "lower": _clean(self.lower),
            "upper": _clean(self.upper),
            "prob_above_target": _clean(self.prob_above_target),
            "extra": {k: _clean(v) for k, v in self.extra.items()},
            "diagnostics": self.diagnostics,
            "warnings": list(self.warnings),
        }
        if self.orderings:
            out["orderings"] = [o.to_dict() for o in self.orderings]
        return out


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
    elif isinstance(design, BoinComb):
        extra["isotonic"] = bivariate_isotonic_estimate(design, n_at, tox_at)
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


def bivariate_isotonic_estimate(design: BoinComb, n_at, tox_at) -> np.ndarray:
    """BOIN for combinations: the final selection's estimate of every tried cell (NaN where untried).

    The bivariate isotonic regression (non-decreasing in both drugs) of (y + 0.05) / (n + 0.1) with
    weights n + 0.1 over every cell of the grid, untried and excluded cells included (value 0.5, weight
    0.1), exactly as :func:`~dosefind.engine.combination.select_boin_comb` forms it, computed by
    :func:`~dosefind.engine.combination.biviso`. Shown unrounded and before the selection's own
    adjustments (the ``next.comb`` rules' rounding to 2 decimals, 1.1 for cells it eliminates, the
    + 1e-5 (j + k) tie-break), which are not estimates.
    """
    from ..engine.combination import biviso

    n_at = np.asarray(n_at, dtype=float)
    tox_at = np.asarray(tox_at, dtype=float)
    w = n_at + 0.1
    fit = biviso(design.grid.as_matrix((tox_at + 0.05) / w), design.grid.as_matrix(w)).ravel()
    return np.where(n_at > 0, fit, np.nan)


def _b_cdf(design: Crm, n_at, tox_at, mean_b: float, var_b: float) -> tuple[np.ndarray, np.ndarray]:
    """The posterior CDF of a CRM's b on a dense grid over the posterior mean +- 12 sd (within the prior
    range): cumulative trapezoid rule, for quantiles by linear interpolation."""
    half = design.prior_range * design.prior_sd
    sd = math.sqrt(var_b)
    lo, hi = max(-half, mean_b - 12 * sd), min(half, mean_b + 12 * sd)
    b = np.linspace(lo, hi, CRM_QUANTILE_POINTS)
    lp, lq = design.log_prob_tox(b)  # [K, D]
    used = n_at > 0
    logp = -0.5 * (b / design.prior_sd) ** 2
    logp = logp + (tox_at[used] * lp[:, used] + (n_at - tox_at)[used] * lq[:, used]).sum(axis=1)
    dens = np.exp(logp - logp.max())
    cdf = np.concatenate([[0.0], np.cumsum((dens[1:] + dens[:-1]) / 2)])
    cdf /= cdf[-1]
    return b, cdf


def crm_posterior_table(design: Crm, n_at, tox_at) -> PosteriorTable:
    """CRM posterior: moments and tail probabilities from the engine's quadrature, intervals from quantiles.

    p_d(b) is monotone decreasing in b, so the q-quantile of p_d is p_d at the (1 - q)-quantile of b;
    the quantiles of b come from the cumulative posterior (trapezoid rule, linear interpolation) on a
    dense grid over the posterior mean +- 12 sd of b (within the prior range).
    """
    from ..engine.posterior import crm_posterior_summary

    n_at, tox_at = check_counts(design, n_at, tox_at)
    s = crm_posterior_summary(design, n_at, tox_at)
    b, cdf = _b_cdf(design, n_at, tox_at, s["mean_b"], s["var_b"])
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


#: Orderings whose posterior probabilities agree to this relative tolerance are reported as tied.
ORDERING_TIE_REL = 1e-9


def pocrm_posterior_table(design: PoCrm, n_at, tox_at) -> PosteriorTable:
    """PO-CRM: the model's posterior, averaged over the orderings, from the engine's quadrature.

    :func:`~dosefind.engine.pocrm.pocrm_posterior_summary` gives each ordering's posterior probability,
    estimate of b and posterior mean of every cell's DLT probability. The table's ``mean`` is the
    model-averaged posterior mean (sum over orderings m of P(m | data) E[p_c | m, data]); ``extra``
    holds ``plugin``, s[rank_m(c)] ** exp(E[b | m, data]) under the most probable ordering m (the
    estimates the design chooses cells by; lowest ordering on ties), and ``mean_most_probable_ordering``,
    E[p_c | m, data] under that ordering; ``orderings`` lists every ordering's numbers.

    Under ordering m the model is a CRM (empiric, the design's skeleton and prior) on the cells ranked
    by m, so P(p_c > target | m) comes from that CRM's posterior (the engine's quadrature and tail
    rule) and the posterior CDF of b under m from the dense grid of :func:`crm_posterior_table`.
    P(p_c > target) and the interval are those of the mixture over orderings: the interval ends solve
    sum_m P(m | data) P(p_c <= x | m, data) = tail probability, by bisection on log(-log x) (p_c is
    s ** exp(b), decreasing in b). Excluded cells are nan.

    With ``estimation = "likelihood"`` (the pocrm package) there is no posterior: ``method`` is
    "likelihood", ``mean`` averages the maximum-likelihood estimates over the orderings with their
    weights (prior x maximised likelihood), and the interval and P(p_c > target) are nan. Before the data
    have a patient with a DLT and one without, the estimate of the power sits on the edge of its range
    (every p_c near 0, or 1) and the design does not use it: ``mean`` and ``extra`` are then nan, with a
    warning (``orderings`` keep the raw numbers).
    """
    from ..engine.pocrm import pocrm_posterior_summary
    from ..engine.posterior import crm_posterior_summary

    n_at, tox_at = check_counts(design, n_at, tox_at)
    s = pocrm_posterior_summary(design, n_at, tox_at)
    M, D = len(design.orderings), design.n_doses
    prob, b_hat, best = s["ordering_prob"], s["b_hat"], s["ordering"]
    alpha = design.alpha()  # [M, D], nan for excluded cells
    included = ~design.grid.excluded_mask
    plugin = np.full((M, D), np.nan)
    for m in range(M):  # as pocrm_posterior_summary forms its plug-in (nan stays nan if b_hat = -inf)
        plugin[m, included] = alpha[m, included] ** math.exp(b_hat[m])
    names = design.ordering_names()
    orderings = tuple(
        OrderingSummary(
            m,
            names[m],
            tuple(design.orderings[m]),
            float(design.ordering_prior[m]),
            float(prob[m]),
            float(b_hat[m]),
            s["mean_by_ordering"][m].copy(),
            plugin[m].copy(),
        )
        for m in range(M)
    )
    extra = {"plugin": plugin[best].copy(), "mean_most_probable_ordering": s["mean"].copy()}
    warnings = _ordering_tie_warning(design, n_at, tox_at, prob, best)
    nan = np.full(D, np.nan)
    if design.estimation != "bayes":
        mean = s["model_averaged"]
        n_tox = int(tox_at.sum())
        if n_tox == 0 or n_tox == int(n_at.sum()):  # the MLE sits on the edge of its range: no estimate
            mean = nan.copy()
            extra = {k: nan.copy() for k in extra}
            warnings = (
                "no maximum-likelihood estimates yet: they need a patient with a DLT and one without "
                "(until then the design follows its stage-1 path)",
            )
        return PosteriorTable(
            method="likelihood",
            model=pocrm_model_line(design),
            target=design.target,
            mean=mean,
            lower=nan,
            upper=nan.copy(),
            prob_above_target=nan.copy(),
            extra=extra,
            warnings=warnings,
            orderings=orderings,
        )
    crm = design._crm()  # the design's CRM over the skeleton: the model under each ordering
    ranks = design.ranks()[:, included]  # [M, R]
    R = ranks.shape[1]
    above = np.zeros(R)
    log_neg_log_alpha = np.log(-np.log(alpha[:, included]))  # [M, R]
    cdfs = []
    for m in range(M):
        n_r = np.zeros(R, dtype=np.int64)
        y_r = np.zeros(R, dtype=np.int64)
        n_r[ranks[m]] = n_at[included]
        y_r[ranks[m]] = tox_at[included]
        cs = crm_posterior_summary(crm, n_r, y_r)
        above += prob[m] * cs["prob_above_target"][ranks[m]]
        cdfs.append(_b_cdf(crm, n_r, y_r, cs["mean_b"], cs["var_b"]))

    def below(t):
        """P(p_c <= exp(-exp(t[c])) | data) for every included cell c: decreasing in t."""
        out = np.zeros(R)
        for m, (b, cdf) in enumerate(cdfs):
            out += prob[m] * (1.0 - np.interp(t - log_neg_log_alpha[m], b, cdf, left=0.0, right=1.0))
        return out

    tail = (1.0 - CREDIBLE_MASS) / 2
    start_lo = np.min([b[0] + log_neg_log_alpha[m] for m, (b, _) in enumerate(cdfs)], axis=0)
    start_hi = np.max([b[-1] + log_neg_log_alpha[m] for m, (b, _) in enumerate(cdfs)], axis=0)
    ends = []
    for q in (tail, 1.0 - tail):  # lower end, upper end
        lo, hi = start_lo.copy(), start_hi.copy()  # below(lo) = 1 >= q >= 0 = below(hi)
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            high = below(mid) >= q
            lo = np.where(high, mid, lo)
            hi = np.where(high, hi, mid)
        ends.append(np.exp(-np.exp(0.5 * (lo + hi))))
    lower, upper, prob_above = nan.copy(), nan.copy(), nan.copy()
    lower[included], upper[included], prob_above[included] = ends[0], ends[1], above
    return PosteriorTable(
        method="quadrature",
        model=pocrm_model_line(design),
        target=design.target,
        mean=s["model_averaged"],
        lower=lower,
        upper=upper,
        prob_above_target=prob_above,
        extra=extra,
        warnings=warnings,
        orderings=orderings,
    )


def _ordering_tie_warning(design: PoCrm, n_at, tox_at, prob, best) -> tuple[str, ...]:
    """When the model decides (a DLT seen; with likelihood estimation also a patient without one) and
    several orderings are the most probable, the plug-in column is under the first of them only."""
    n_tox, n_total = int(tox_at.sum()), int(n_at.sum())
    if n_tox == 0 or (design.estimation != "bayes" and n_tox == n_total):
        return ()
    tied = np.flatnonzero(prob >= prob[best] * (1.0 - ORDERING_TIE_REL))
    if tied.size < 2:
        return ()
    listed = ", ".join(str(m + 1) for m in tied[:-1]) + f" and {tied[-1] + 1}"
    return (
        f"orderings {listed} are equally probable on these data ({prob[best]:.3f} each): the plug-in "
        f"column is under ordering {best + 1}; the design breaks such ties at random, so its decision may "
        "rest on another of them, whose estimates may differ at untried cells (each ordering's estimates: "
        "posterior.orderings in the JSON output)",
    )


def pocrm_model_line(design: PoCrm) -> str:
    """One line naming the PO-CRM model (Bayes or maximum likelihood) and how the table summarises it."""
    M = len(design.orderings)
    sk = ", ".join(f"{x:g}" for x in design.skeleton)
    prior = design.ordering_prior
    if max(prior) - min(prior) <= 1e-12:
        orders = f"{M} orderings, equally likely a priori"
    else:
        orders = f"{M} orderings, prior [" + ", ".join(f"{x:g}" for x in prior) + "]"
    if design.estimation == "bayes":
        return (
            f"PO-CRM (p_c = s_r^exp(b), r = rank of cell c in the ordering; {orders}), skeleton [{sk}], "
            f"b ~ Normal(0, {design.prior_sd:.4g}^2); averaged over orderings, plug-in under the most "
            "probable"
        )
    return (
        f"PO-CRM by maximum likelihood (p_c = s_r^a, r = rank of cell c in the ordering; {orders}, "
        f"weighted by prior x maximised likelihood), skeleton [{sk}]; estimates averaged over orderings, "
        "plug-in under the most probable; no posterior, so no interval or P(> target)"
    )


def model_line(design: Design) -> str:
    """One line naming the model and prior of the posterior (the same for the fast and PyMC back ends)."""
    if isinstance(design, PoCrm):
        return pocrm_model_line(design)
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
    """The default posterior of live use: quadrature for the CRM and PO-CRM (the model's estimates for a
    PO-CRM by maximum likelihood), closed-form beta-binomial otherwise."""
    if isinstance(design, Crm):
        return crm_posterior_table(design, n_at, tox_at)
    if isinstance(design, PoCrm):
        return pocrm_posterior_table(design, n_at, tox_at)
    return beta_posterior(design, n_at, tox_at)
