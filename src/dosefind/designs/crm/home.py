"""CRM above the engine: its reason codes as sentences (with the estimates the kernel chose by), its
quadrature posterior table, its PyMC model (:mod:`.pymc_model`) and why it has no decision table (the
spec: :mod:`.spec`; the kernels: ``engine/crm.py``, the posterior: ``engine/posterior.py``)."""

from __future__ import annotations

import math

import numpy as np

from ...constants import CREDIBLE_MASS, Reason
from ...inference.summary import CRM_QUANTILE_POINTS, PosteriorTable, check_counts
from ..home import DesignHome
from .spec import Crm

R = Reason
REASONS = (R.CRM_MODEL, R.CRM_NO_SKIP, R.CRM_COHERENCE, R.CRM_SAFETY_STOP)


class CrmHome(DesignHome):
    estimates_untried = True

    def reason_codes(self, design):
        return REASONS

    def decision_detail(self, design: Crm, compiled, n_at, tox_at, step, fast_table):
        """The curve the kernel chose by (always from the fast posterior: the engine's quadrature)."""
        return fast_table.mean if design.dose_choice == "posterior_mean" else fast_table.extra["plugin"]

    def explain(self, design: Crm, reason, n_at, tox_at, cur, proposed, detail=None):
        lab = design.doses
        t = design.target
        here = f"dose {lab[cur]}"
        if reason == R.CRM_SAFETY_STOP:
            thr = design.safety_threshold if design.safety_threshold is not None else t
            return f"safety stop: P(DLT rate at dose {lab[0]} > {thr:g}) exceeds {design.safety_confidence:g}"
        if reason not in (R.CRM_MODEL, R.CRM_NO_SKIP, R.CRM_COHERENCE):
            return None
        if detail is None:  # no estimates at hand: the rule without its numbers
            return {
                R.CRM_MODEL: (
                    f"the model's estimated P(DLT) is closest to the target {t:g}: dose {lab[proposed]}"
                ),
                R.CRM_NO_SKIP: f"no skipping: escalation is limited to one level, dose {lab[proposed]}",
                R.CRM_COHERENCE: f"coherence: a DLT in the last cohort forbids escalating: stay at {here}",
            }[reason]
        estimates = detail
        which = "posterior mean" if design.dose_choice == "posterior_mean" else "plug-in"
        model_dose = int(np.argmin(np.abs(np.asarray(estimates) - t)))
        est = f"estimated P(DLT) ({which}) at dose {lab[model_dose]} = {estimates[model_dose]:.3f}"
        if reason == R.CRM_MODEL:
            return f"{est} is closest to the target {t:g}: dose {lab[proposed]}"
        if reason == R.CRM_NO_SKIP:
            return (
                f"no skipping: the model preferred dose {lab[model_dose]} ({est}); escalation is limited "
                f"to one level, dose {lab[proposed]}"
            )
        return (
            f"coherence: a DLT in the last cohort forbids escalating (the model preferred dose "
            f"{lab[model_dose]}): stay at {here}"
        )

    def posterior_table(self, design: Crm, n_at, tox_at):
        return crm_posterior_table(design, n_at, tox_at)

    def model_line(self, design: Crm) -> str:
        return crm_model_line(design)

    def pymc_model(self, design: Crm, n_at, tox_at):
        from .pymc_model import build_crm_model

        return build_crm_model(design, n_at, tox_at)

    def draws_of_p(self, design: Crm, n_at, tox_at, idata):
        """p_d is ``design.prob_tox`` of the draws of b (so untried doses are covered); ``plugin`` is p_d at
        the posterior mean of b."""
        b = idata.posterior["b"].values  # [chain, draw]
        return ["b"], design.prob_tox(b), {"plugin": design.prob_tox(float(b.mean()))}

    def no_table_reason(self, design) -> str:
        return (
            "CRM has no decision table: its next dose depends on the data at every dose, "
            "not only at the current one"
        )


def b_cdf(design: Crm, n_at, tox_at, mean_b: float, var_b: float) -> tuple[np.ndarray, np.ndarray]:
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
    from ...engine.posterior import crm_posterior_summary

    n_at, tox_at = check_counts(design, n_at, tox_at)
    s = crm_posterior_summary(design, n_at, tox_at)
    b, cdf = b_cdf(design, n_at, tox_at, s["mean_b"], s["var_b"])
    tail = (1.0 - CREDIBLE_MASS) / 2
    b_lo, b_hi = np.interp([tail, 1.0 - tail], cdf, b)
    upper = design.prob_tox(b_lo)  # low b: high DLT probability
    lower = design.prob_tox(b_hi)
    return PosteriorTable(
        method="quadrature",
        model=crm_model_line(design),
        target=design.target,
        mean=s["mean"],
        lower=lower,
        upper=upper,
        prob_above_target=s["prob_above_target"],
        extra={"plugin": s["plugin"]},
    )


def crm_model_line(design: Crm) -> str:
    sk = ", ".join(f"{x:g}" for x in design.skeleton)
    if design.model == "empiric":
        form = "p_d = s_d^exp(b)"
    else:
        form = f"logit p_d = {design.intercept:g} + exp(b) x_d"
    return f"CRM {design.model} ({form}), skeleton [{sk}], b ~ Normal(0, {design.prior_sd:.4g}^2)"
