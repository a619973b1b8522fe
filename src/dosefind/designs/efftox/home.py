"""EffTox's home above the engine: its reason codes as sentences (with the posterior numbers the kernel
chose by), the fast posterior table with the efficacy, acceptability and utility columns, the PyMC model
(:mod:`.pymc_model`) and why it has no decision table (the rules: :mod:`.spec`; the kernels and the
posterior: ``engine/efftox.py``)."""

from __future__ import annotations

import numpy as np

from ...constants import Reason as R
from ...errors import SpecError
from ..home import DesignHome
from .spec import EffTox

REASONS = (R.EFFTOX_BEST, R.EFFTOX_NO_SKIP, R.EFFTOX_NONE_ACCEPTABLE)


class EffToxHome(DesignHome):
    estimates_untried = True

    def reason_codes(self, design: EffTox):
        return REASONS

    def decision_detail(self, design: EffTox, compiled, n_at, tox_at, step, fast_table):
        """The per-dose numbers the kernel chose by (the fast posterior's columns)."""
        e = fast_table.extra
        if "utility" not in e:
            return None
        return {
            "prob_tox": np.asarray(fast_table.mean),
            **{k: np.asarray(e[k]) for k in ("prob_eff", "prob_acc_tox", "prob_acc_eff", "utility")},
        }

    def detail_json(self, design, detail):
        return {} if detail is None else {k: [float(x) for x in v] for k, v in detail.items()}

    def explain(self, design: EffTox, reason, n_at, tox_at, cur, proposed, detail=None):
        if reason not in REASONS:
            return None
        lab = design.doses
        unit = f" {design.dose_unit}" if design.dose_unit else ""
        rule = (
            f"acceptable: P(pi_T < {design.tox_limit:g}) > {design.p_tox:g} and "
            f"P(pi_E > {design.eff_limit:g}) > {design.p_eff:g}"
        )
        if reason == R.EFFTOX_NONE_ACCEPTABLE:
            within = " within one level of the doses tried" if design.no_skip else ""
            return f"no dose is {rule}{within}: stop, no dose selected"

        def nums(d: int) -> str:
            if detail is None:
                return ""
            return (
                f" (utility {detail['utility'][d]:.3f} at posterior means pi_E {detail['prob_eff'][d]:.3f}, "
                f"pi_T {detail['prob_tox'][d]:.3f})"
            )

        here = f"dose {lab[proposed]}{unit}"
        if reason == R.EFFTOX_BEST:
            return f"{here} has the highest utility among the doses {rule}{nums(proposed)}"
        best = ""
        if detail is not None:
            ok = [
                d
                for d in range(design.n_doses)
                if detail["prob_acc_tox"][d] > design.p_tox and detail["prob_acc_eff"][d] > design.p_eff
            ]
            if ok:
                top = max(ok, key=lambda d: (detail["utility"][d], -d))
                best = f"dose {lab[top]}{unit} has the highest utility{nums(top)} but "
        return (
            f"{best}untried doses are not skipped (no_skip): {here}, the best acceptable dose within one "
            f"level of the doses tried{nums(proposed)}"
        )

    def posterior_table(self, design: EffTox, n_at, tox_at):
        raise SpecError(
            "responses",
            "EffTox's posterior needs every patient's response as well as DLTs",
            "give the data with E/B marks (notation) or a response column (CSV)",
        )

    def posterior_with_responses(self, design: EffTox, n_at, tox_at, resp_at):
        return efftox_posterior_table(design, n_at, tox_at, resp_at)

    def model_line(self, design: EffTox) -> str:
        return efftox_model_line(design)

    def pymc_model(self, design: EffTox, n_at, tox_at):
        raise SpecError(
            "responses",
            "EffTox's PyMC model needs every patient's response as well as DLTs",
            "give the data with E/B marks (notation) or a response column (CSV), or pass resp_at",
        )

    def pymc_model_with_responses(self, design: EffTox, n_at, tox_at, resp_at):
        from .pymc_model import build_efftox_model

        return build_efftox_model(design, n_at, tox_at, resp_at)

    def columns_from_draws_with_responses(self, design: EffTox, n_at, tox_at, resp_at, idata):
        return efftox_columns_from_draws(design, resp_at, idata)

    def decision_table(self, design: EffTox, max_n):
        raise SpecError(
            "design.kind",
            "EffTox has no (patients, DLTs) decision table: its next dose depends on every dose's DLTs and "
            "responses through the model",
            "simulate the design, or use `dosefind recommend` for the next dose",
        )


def efftox_posterior_table(design: EffTox, n_at, tox_at, resp_at):
    """The fast posterior (engine/efftox.py): ``mean`` E pi_T; the interval as weighted quantiles of the
    same points under their plain importance weights (no control variate for a quantile); P(pi_T >
    target) as 1 - P(pi_T < tox_limit), the toxicity hurdle's control-variate estimate, when target is
    tox_limit (the default), else a sum over the weighted points; and ``extra``: ``prob_eff`` (E pi_E),
    ``prob_acc_tox``, ``prob_acc_eff`` (the hurdles' probabilities), ``utility`` (of the posterior means),
    ``acceptable`` (1/0, the hurdles only; the no-skip rule is the decision's), ``responses``."""
    from ...engine.efftox import efftox_points, efftox_summary
    from ...inference.summary import PosteriorTable, check_counts

    n_at, tox_at = check_counts(design, n_at, tox_at)
    resp_at = np.asarray(resp_at, dtype=np.int64).reshape(2, design.n_doses)
    s = efftox_summary(design, n_at, tox_at, resp_at)
    thetas, w = efftox_points(design, n_at, tox_at, resp_at)
    pt, _pe = design.probabilities(thetas)
    tail = (1.0 - EffToxHome.credible_mass) / 2
    lower = np.empty(design.n_doses)
    upper = np.empty(design.n_doses)
    for d in range(design.n_doses):
        order = np.argsort(pt[:, d])
        cdf = np.cumsum(w[order])
        lower[d] = pt[order, d][min(np.searchsorted(cdf, tail), len(cdf) - 1)]
        upper[d] = pt[order, d][min(np.searchsorted(cdf, 1.0 - tail), len(cdf) - 1)]
    if design.target == design.tox_limit:  # the default: the toxicity hurdle's own estimate, so they agree
        prob_above = 1.0 - s["prob_acc_tox"]
    else:
        prob_above = (w[:, None] * (pt > design.target)).sum(axis=0)
    warnings = ()
    if s["ess"] < 100:
        warnings = (
            f"the importance weights' effective sample size is {s['ess']:.0f} of {len(w)} points: check the "
            "numbers with --posterior mcmc's model (dosefind.designs.efftox.pymc_model)",
        )
    return PosteriorTable(
        method="importance sampling",
        model=efftox_model_line(design),
        target=design.target,
        mean=s["prob_tox"],
        lower=lower,
        upper=upper,
        prob_above_target=prob_above,
        mass=EffToxHome.credible_mass,
        extra={
            "responses": resp_at[0].astype(float),
            "prob_eff": s["prob_eff"],
            "prob_acc_tox": s["prob_acc_tox"],
            "prob_acc_eff": s["prob_acc_eff"],
            "utility": s["utility"],
            "acceptable": s["acceptable"].astype(float),
        },
        warnings=warnings,
    )


def efftox_columns_from_draws(design: EffTox, resp_at, idata):
    """The table of :func:`efftox_posterior_table` from NUTS draws of the joint model: the toxicity
    columns of the draws of pi_T (with ArviZ MCSEs), ``prob_eff`` and the hurdles' probabilities as means
    over the draws (with their MCSEs, ``mcse_prob_eff``, ``mcse_prob_acc_tox``, ``mcse_prob_acc_eff``),
    the utility of the posterior means and the acceptability by the hurdles."""
    import arviz as az

    from ...inference.mcmc import columns_from_p

    pt = np.asarray(idata.posterior["prob_tox"].values, dtype=float)
    pe = np.asarray(idata.posterior["prob_eff"].values, dtype=float)
    columns, extra = columns_from_p(design, pt)
    acc_t = (pt < design.tox_limit).astype(float)
    acc_e = (pe > design.eff_limit).astype(float)
    for key, draws in (("prob_eff", pe), ("prob_acc_tox", acc_t), ("prob_acc_eff", acc_e)):
        extra[key] = draws.reshape(-1, design.n_doses).mean(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):  # an indicator constant in every draw: MCSE 0
            mcse = az.mcse(az.convert_to_dataset({"v": draws}), method="mean")["v"].values
        extra[f"mcse_{key}"] = np.nan_to_num(np.asarray(mcse, dtype=float), nan=0.0)
    extra["utility"] = design.utility(extra["prob_eff"], columns[0])
    acceptable = (extra["prob_acc_tox"] > design.p_tox) & (extra["prob_acc_eff"] > design.p_eff)
    extra["acceptable"] = acceptable.astype(float)
    extra["responses"] = np.asarray(resp_at, dtype=float)[0]
    return ["theta"], columns, extra, (), ()


def efftox_model_line(design: EffTox) -> str:
    prior = ", ".join(
        f"{name} ~ N({m:g}, {sd:g}^2)"
        for name, m, sd in zip(
            ("mu_T", "beta_T", "mu_E", "beta_E1", "beta_E2", "psi"),
            design.prior_mean,
            design.prior_sd,
            strict=True,
        )
    )
    return (
        "EffTox: logit pi_T = mu_T + beta_T x, logit pi_E = mu_E + beta_E1 x + beta_E2 x^2 (x = log dose - "
        f"mean log dose), Thall & Cook's association psi; {prior}; utility contour p = {design.p:.4g} "
        f"through ({design.eff0:g}, 0), (1, {design.tox1:g}), ({design.eff_star:g}, {design.tox_star:g})"
    )
