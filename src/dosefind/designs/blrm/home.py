"""The BLRM above the engine: its reason codes as sentences (with the interval probabilities the kernel
chose by), its quadrature posterior table with the interval probabilities, its PyMC model
(:mod:`.pymc_model`) and why it has no decision table (the spec: :mod:`.spec`; the kernels and the
posterior: ``engine/blrm.py``)."""

from __future__ import annotations

import numpy as np

from ...constants import reason_from_code
from ...inference.summary import PosteriorTable, check_counts
from ..home import DesignHome
from .spec import REASON_NAMES, Blrm

TARGET, CAPPED, NO_SAFE, MTD = (reason_from_code(c) for c in sorted(REASON_NAMES))


class BlrmHome(DesignHome):
    estimates_untried = True
    #: OncoBayes2's summaries report the 2.5% and 97.5% quantiles
    credible_mass = 0.95

    def reason_codes(self, design):
        return (TARGET, CAPPED, NO_SAFE, MTD)

    def decision_detail(self, design: Blrm, compiled, n_at, tox_at, step, fast_table):
        """The interval probabilities the kernel chose by (the engine's quadrature)."""
        e = fast_table.extra
        if "prob_target" not in e:  # an MCMC table: the decision was the quadrature's
            e = blrm_posterior_table(design, n_at, tox_at).extra
        return {k: np.asarray(e[k]) for k in ("prob_under", "prob_target", "prob_over")}

    def detail_json(self, design, detail):
        return {} if detail is None else {k: [float(x) for x in v] for k, v in detail.items()}

    def explain(self, design: Blrm, reason, n_at, tox_at, cur, proposed, detail=None):
        if reason not in (TARGET, CAPPED, NO_SAFE, MTD):
            return None
        lab = design.doses
        lo, hi = design.intervals
        unit = f" {design.dose_unit}" if design.dose_unit else ""
        rule = f"P(overdosing: p >= {hi:g}) <= {design.ewoc:g}"
        if detail is None:
            return {
                TARGET: f"dose {lab[proposed]}{unit} has the highest P(target) among the doses with {rule}",
                CAPPED: f"dose {lab[proposed]}{unit}: the best dose within the escalation cap",
                NO_SAFE: f"no dose up to the escalation cap has {rule}: stop",
                MTD: f"dose {lab[proposed]}{unit} meets the stopping rule: stop",
            }[reason]
        pt = detail["prob_target"]
        po = detail["prob_over"]
        if reason == NO_SAFE:
            return (
                f"no dose up to the escalation cap has {rule} (dose {lab[0]}{unit}: P(overdosing) = "
                f"{po[0]:.3f}): stop"
            )
        here = f"dose {lab[proposed]}{unit}"
        nums = f"P(target [{lo:g}, {hi:g})) = {pt[proposed]:.3f}, P(overdosing) = {po[proposed]:.3f}"
        if reason == TARGET:
            return f"{here} has the highest P(target) among the doses with {rule}: {nums}"
        if reason == CAPPED:
            ok = [d for d in range(design.n_doses) if po[d] <= design.ewoc]
            best = max(ok, key=lambda d: (pt[d], -d))
            cap = []
            if design.max_increment is not None:
                ref = (
                    "the last dose" if design.increment_reference == "last_dose" else "the highest dose tried"
                )
                cap.append(f"at most +{100 * design.max_increment:g}% over {ref}")
            if design.no_skip:
                cap.append("no untried dose skipped")
            return (
                f"dose {lab[best]}{unit} has the highest P(target) ({pt[best]:.3f}) but is beyond the "
                f"escalation cap ({'; '.join(cap)}): {here}, the best within it ({nums})"
            )
        n = int(n_at[proposed])
        extra = ""
        if design.mtd_min_total is not None:
            extra = f" (or {design.mtd_min_total} patients in total)"
        return (
            f"{here} has {n} patients >= mtd_min_n {design.mtd_min_n} and {nums}; P(target) >= "
            f"{design.mtd_min_prob_target:g}{extra}: stop, {here} is the MTD"
        )

    def posterior_table(self, design: Blrm, n_at, tox_at):
        return blrm_posterior_table(design, n_at, tox_at)

    def model_line(self, design: Blrm) -> str:
        return blrm_model_line(design)

    def pymc_model(self, design: Blrm, n_at, tox_at):
        from .pymc_model import build_blrm_model

        return build_blrm_model(design, n_at, tox_at)

    def draws_of_p(self, design: Blrm, n_at, tox_at, idata):
        """p_d from the draws of (log alpha, log beta), and the interval probabilities from them."""
        la = np.asarray(idata.posterior["log_alpha"].values, dtype=float)
        lb = np.asarray(idata.posterior["log_beta"].values, dtype=float)
        p = design.prob_tox(la, lb)  # [chain, draw, dose]
        lo, hi = design.intervals
        flat = p.reshape(-1, design.n_doses)
        extra = {
            "prob_under": (flat < lo).mean(axis=0),
            "prob_target": ((flat >= lo) & (flat < hi)).mean(axis=0),
            "prob_over": (flat >= hi).mean(axis=0),
        }
        return ["log_alpha", "log_beta"], p, extra

    def no_table_reason(self, design) -> str:
        return (
            "the BLRM has no decision table: its next dose depends on the data at every dose through the "
            "model; see `dosefind paths` for the next cohorts' decisions"
        )


def blrm_posterior_table(design: Blrm, n_at, tox_at) -> PosteriorTable:
    """The BLRM posterior from the engine's quadrature: means, equal-tailed intervals from the quantiles,
    P(p > target), and the interval probabilities (``extra``: ``prob_under``, ``prob_target``,
    ``prob_over``)."""
    from ...engine.blrm import blrm_posterior_summary

    n_at, tox_at = check_counts(design, n_at, tox_at)
    tail = (1.0 - BlrmHome.credible_mass) / 2
    s = blrm_posterior_summary(design, n_at, tox_at, quantiles=(tail, 1.0 - tail))
    return PosteriorTable(
        method="quadrature",
        model=blrm_model_line(design),
        target=design.target,
        mean=s["mean"],
        lower=s[f"q{tail}"],
        upper=s[f"q{1.0 - tail}"],
        prob_above_target=s["prob_above_target"],
        mass=BlrmHome.credible_mass,
        extra={"prob_under": s["prob_under"], "prob_target": s["prob_target"], "prob_over": s["prob_over"]},
    )


def blrm_model_line(design: Blrm) -> str:
    unit = f" {design.dose_unit}" if design.dose_unit else ""

    def component(c) -> str:
        return (
            f"means ({c.mean[0]:.3g}, {c.mean[1]:.3g}), sds ({c.sd[0]:.3g}, {c.sd[1]:.3g}), "
            f"correlation {c.corr:g}"
        )

    comps = design.components
    if len(comps) == 1:
        prior = f"bivariate normal, {component(comps[0])}"
    else:
        prior = "mixture of " + "; ".join(f"{c.weight:g} x [{component(c)}]" for c in comps)
    return (
        f"BLRM logit p(d) = log a + b log(d / {design.reference_dose:g}{unit}), (log a, log b) ~ {prior}; "
        f"intervals [{design.intervals[0]:g}, {design.intervals[1]:g}), EWOC {design.ewoc:g}"
    )
