"""The two-drug BLRM above the engine: its reason codes as sentences (with the interval probabilities the
kernel chose by), its quadrature posterior table with the interval probabilities, its PyMC model
(:mod:`.pymc_model`) and why it has no decision table (the spec: :mod:`.spec`; the kernels and the
posterior: ``engine/blrm_comb.py``)."""

from __future__ import annotations

from functools import partial

import numpy as np

from ...constants import reason_from_code
from ...inference.summary import PosteriorTable, check_counts
from ..home import DesignHome
from .spec import REASON_NAMES, BlrmComb

TARGET, CAPPED, NO_SAFE, MTD = (reason_from_code(c) for c in sorted(REASON_NAMES))
#: the level the meeting's table uses for the interval ends (quantiles, 4,096 lines); the interval
#: probabilities and means come from level 0, the accurate rule
QUANTILE_LEVEL = 1


class BlrmCombHome(DesignHome):
    estimates_untried = True
    #: OncoBayes2's summaries report the 2.5% and 97.5% quantiles
    credible_mass = 0.95

    def reason_codes(self, design):
        return (TARGET, CAPPED, NO_SAFE, MTD)

    def decision_detail(self, design: BlrmComb, compiled, n_at, tox_at, step, fast_table):
        """The interval probabilities (the accurate rule's; the decision itself is certified to be the
        one the accurate rule takes)."""
        e = fast_table.extra
        if "prob_target" not in e:  # an MCMC table: the decision was the quadrature's
            e = blrm_comb_posterior_table(design, n_at, tox_at, quantiles=False).extra
        return {k: np.asarray(e[k]) for k in ("prob_under", "prob_target", "prob_over")}

    def detail_json(self, design, detail):
        return {} if detail is None else {k: [float(x) for x in v] for k, v in detail.items()}

    def explain(self, design: BlrmComb, reason, n_at, tox_at, cur, proposed, detail=None):
        if reason not in (TARGET, CAPPED, NO_SAFE, MTD):
            return None
        g = design.grid
        lo, hi = design.intervals
        rule = f"P(overdosing: p >= {hi:g}) <= {design.ewoc:g}"
        here = f"cell {g.label(proposed)} ({cell_doses(design, proposed)})"
        if detail is None:
            return {
                TARGET: f"{here} has the highest P(target) among the cells with {rule}",
                CAPPED: f"{here}: the best cell within the escalation cap",
                NO_SAFE: f"no cell within the escalation cap has {rule}: stop",
                MTD: f"{here} meets the stopping rule: stop",
            }[reason]
        pt = detail["prob_target"]
        po = detail["prob_over"]
        if reason == NO_SAFE:
            return (
                f"no cell within the escalation cap has {rule} (cell 1.1: P(overdosing) = {po[0]:.3f}): stop"
            )
        nums = f"P(target [{lo:g}, {hi:g})) = {pt[proposed]:.3f}, P(overdosing) = {po[proposed]:.3f}"
        if reason == TARGET:
            return f"{here} has the highest P(target) among the cells with {rule}: {nums}"
        if reason == CAPPED:
            ok = [c for c in range(g.n_cells) if po[c] <= design.ewoc and not g.excluded_mask[c]]
            best = max(ok, key=lambda c: (pt[c], -c))
            return (
                f"cell {g.label(best)} has the highest P(target) ({pt[best]:.3f}) but is beyond the "
                f"escalation cap ({cap_words(design)}): {here}, the best within it ({nums})"
            )
        extra = f" (or {design.mtd_min_total} patients in total)" if design.mtd_min_total is not None else ""
        return (
            f"{here} has {int(n_at[proposed])} patients >= mtd_min_n {design.mtd_min_n} and {nums}; "
            f"P(target) >= {design.mtd_min_prob_target:g}{extra}: stop, {here} is the MTD"
        )

    def posterior_table(self, design: BlrmComb, n_at, tox_at):
        return blrm_comb_posterior_table(design, n_at, tox_at)

    def live_side_work(self, design: BlrmComb, n_at, tox_at):
        """The credible interval's ends (the table's other columns come from the last decision's row)."""
        from ...engine.blrm_comb import interval_ends

        return partial(interval_ends, design, n_at, tox_at, _tails(), QUANTILE_LEVEL)

    def posterior_table_after_replay(self, design: BlrmComb, context):
        """The table from the last decision's row (the replay's rows carry P(p >= target)): extended to
        the accurate rule where the decision stopped on a cheaper level, not recomputed; the interval's
        ends from the replay's side work when it ran."""
        return blrm_comb_posterior_table(
            design, context.n_at, context.tox_at, row=context.last_row(), ends=context.side_result
        )

    def model_line(self, design: BlrmComb) -> str:
        return blrm_comb_model_line(design)

    def pymc_model(self, design: BlrmComb, n_at, tox_at):
        from .pymc_model import build_blrm_comb_model

        return build_blrm_comb_model(design, n_at, tox_at)

    def draws_of_p(self, design: BlrmComb, n_at, tox_at, idata):
        """p per cell from the draws of theta, and the interval probabilities from them."""
        th = np.asarray(idata.posterior["theta"].values, dtype=float)  # [chain, draw, 5]
        p = design.prob_tox(th)
        lo, hi = design.intervals
        flat = p.reshape(-1, design.n_doses)
        extra = {
            "prob_under": (flat < lo).mean(axis=0),
            "prob_target": ((flat >= lo) & (flat < hi)).mean(axis=0),
            "prob_over": (flat >= hi).mean(axis=0),
        }
        return ["theta"], p, extra

    def no_table_reason(self, design) -> str:
        return (
            "the two-drug BLRM has no decision table: its next cell depends on the data at every cell "
            "through the model; see `dosefind paths` for the next cohorts' decisions"
        )


def cell_doses(design: BlrmComb, cell: int) -> str:
    j, k = design.grid.coords(cell)
    ua = f" {design.dose_unit_a}" if design.dose_unit_a else ""
    ub = f" {design.dose_unit_b}" if design.dose_unit_b else ""
    return f"{design.doses_a[j]:g}{ua} {design.grid.drug_a} + {design.doses_b[k]:g}{ub} {design.grid.drug_b}"


def cap_words(design: BlrmComb) -> str:
    cap = []
    for drug, inc in (("A", design.max_increment_a), ("B", design.max_increment_b)):
        if inc is not None:
            cap.append(f"drug {drug} at most +{100 * inc:g}% over the current cell")
    if design.no_skip:
        cap.append("no untried level skipped")
    if design.no_diagonal:
        cap.append("no escalation of both drugs at once")
    return "; ".join(cap) or "none"


def _tails() -> tuple[float, float]:
    """The quantiles of the equal-tailed credible interval."""
    tail = (1.0 - BlrmCombHome.credible_mass) / 2
    return (tail, 1.0 - tail)


def blrm_comb_posterior_table(
    design: BlrmComb, n_at, tox_at, quantiles: bool = True, row=None, ends=None
) -> PosteriorTable:
    """The posterior from the engine's quadrature: means, interval probabilities and P(p >= target) by the
    accurate rule (level 0; ``row``: this state's row of a coarser level to extend, e.g. the last
    decision's), the equal-tailed interval's ends by level :data:`QUANTILE_LEVEL` (``ends``: already
    computed, see :meth:`BlrmCombHome.live_side_work`)."""
    from ...engine.blrm_comb import blrm_comb_posterior_summary

    n_at, tox_at = check_counts(design, n_at, tox_at)
    qs = _tails() if quantiles else ()
    s = blrm_comb_posterior_summary(
        design, n_at, tox_at, quantiles=qs, quantile_level=QUANTILE_LEVEL, row=row, ends=ends
    )
    if quantiles:
        lower, upper = s[f"q{qs[0]}"], s[f"q{qs[1]}"]
    else:
        lower = upper = np.full(design.n_doses, np.nan)
    return PosteriorTable(
        method="quadrature",
        model=blrm_comb_model_line(design),
        target=design.target,
        mean=s["mean"],
        lower=lower,
        upper=upper,
        prob_above_target=s["prob_above_target"],
        mass=BlrmCombHome.credible_mass,
        extra={"prob_under": s["prob_under"], "prob_target": s["prob_target"], "prob_over": s["prob_over"]},
    )


def blrm_comb_model_line(design: BlrmComb) -> str:
    def drug(d: str) -> str:
        m = getattr(design, f"prior_mean_{d}")
        sd = getattr(design, f"prior_sd_{d}")
        r = getattr(design, f"prior_corr_{d}")
        ref = getattr(design, f"reference_dose_{d}")
        unit = getattr(design, f"dose_unit_{d}")
        return (
            f"drug {d.upper()}: d* = {ref:g}{' ' + unit if unit else ''}, (log a, log b) ~ N(({m[0]:.3g}, "
            f"{m[1]:.3g}), sds ({sd[0]:.3g}, {sd[1]:.3g}), corr {r:g})"
        )

    return (
        f"two-drug BLRM (Neuenschwander et al. 2014), {design.interaction} interaction; {drug('a')}; "
        f"{drug('b')}; eta ~ N({design.prior_eta_mean:g}, {design.prior_eta_sd:g}^2); intervals "
        f"[{design.intervals[0]:g}, {design.intervals[1]:g}), EWOC {design.ewoc:g}"
    )
