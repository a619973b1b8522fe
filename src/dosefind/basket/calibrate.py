"""The go threshold of a basket design calibrated to a type I error, from one simulation under a null
scenario.

A posterior design says go at a cohort's last look when P(q > q0 | data) > ``threshold`` (C). Everything
before that analysis (interim futility and efficacy stops, and the data every cohort has when the last
analyses borrow from each other) does not depend on C, so one simulation under the null gives every
cohort's path and its final probability, and the type I error at any C is a count over the simulated
trials:

    per cohort k (null in the scenario): alpha_k(C) = (E_k + #{t : cohort k reached its last look and
    p_tk > C}) / T, E_k the trials where k stopped early for efficacy;
    family-wise: FWER(C) = #{t : some null cohort stopped early for efficacy, or reached its last look
    with p_tk > C} / T.

Both fall as C rises; the calibrated C is the smallest value (rounded up to ``DIGITS`` decimals, so the
rounded rule is never less strict) at which the criterion (the largest alpha_k, or the FWER) is at most
the target. The type I errors at that C carry their MCSE sqrt(a(1 - a) / T): a threshold calibrated on
simulated trials meets the target on those trials, and within a few MCSE on new ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..errors import SpecError
from ..oc.study import run_provenance
from .decide import CohortStatus
from .simulate import config_hash, simulate_trials
from .spec import BasketDesign, BasketScenario, BasketSpec

DIGITS = 4
CRITERIA = ("cohort", "family")


@dataclass(frozen=True)
class Calibration:
    """A calibrated threshold and the type I errors it gives on the simulated trials."""

    design: BasketDesign  #: the design with the calibrated threshold
    scenario: BasketScenario
    criterion: str
    alpha: float
    n_trials: int
    seed: int
    threshold: float
    before_threshold: float  #: the design's own
    type1: dict[str, float]  #: per null cohort, at ``threshold``
    fwer: float
    before: dict[str, float]  #: per null cohort, at the design's own threshold
    fwer_before: float
    provenance: dict  #: package version, seed, trials, the basket file's config hash, method "calibration"

    def mcse(self, p: float) -> float:
        return math.sqrt(p * (1.0 - p) / self.n_trials)


def null_scenario(spec: BasketSpec, name: str | None) -> BasketScenario:
    """The named scenario, else the first whose every rate is at most its cohort's q0, else the global
    null made from the cohorts' q0."""
    if name is not None:
        for s in spec.scenarios:
            if s.name == name:
                return s
        known = ", ".join(repr(s.name) for s in spec.scenarios) or "none"
        raise SpecError("--scenario", f"no scenario named {name!r}", f"use one of: {known}")
    for s in spec.scenarios:
        if all(r <= c.q0 for r, c in zip(s.rates, spec.cohorts, strict=True)):
            return s
    return BasketScenario("global null (q0)", tuple(c.q0 for c in spec.cohorts))


def _smallest(values: np.ndarray, allowed: int) -> float:
    """The smallest C at which at most ``allowed`` of ``values`` exceed C (0 when all may)."""
    if allowed >= values.shape[0]:
        return 0.0
    return float(np.sort(values)[::-1][allowed])


def _round_up(c: float) -> float:
    scale = 10**DIGITS
    return min(math.ceil(c * scale) / scale, 1.0 - 1.0 / scale)


def calibrate(
    spec: BasketSpec,
    design: BasketDesign,
    alpha: float,
    *,
    criterion: str = "cohort",
    scenario: str | None = None,
    n_trials: int = 10_000,
    seed: int = 1,
) -> Calibration:
    """Calibrate ``design``'s go threshold so that the type I error under the null scenario is at most
    ``alpha``: the largest per-cohort type I error (``criterion = "cohort"``) or the family-wise error
    (``"family"``). See the module doc."""
    refusal = design.calibration_refusal()
    if refusal is not None:
        raise SpecError("--design-name", *refusal)
    if not 0.0 < alpha < 1.0:
        raise SpecError("--alpha", f"{alpha:g} is not in (0, 1)", "give a type I error such as 0.1")
    if criterion not in CRITERIA:
        raise SpecError("--criterion", f"unknown criterion {criterion!r}", "use cohort or family")
    scen = null_scenario(spec, scenario)
    null = [k for k, (r, c) in enumerate(zip(scen.rates, spec.cohorts, strict=True)) if r <= c.q0]
    if not null:
        raise SpecError(
            "--scenario",
            f"no cohort of scenario {scen.name!r} is null (true rate at most q0)",
            "calibrate under a scenario with null cohorts, e.g. the global null",
        )
    if n_trials < 100:
        raise SpecError("--trials", f"{n_trials} trials are too few to calibrate", "use at least 100")
    trials = simulate_trials(design, spec.cohorts, scen.rates, n_trials, seed)
    status, prob = trials.status[:, null], trials.prob[:, null]
    early = status == CohortStatus.STOP_EFFICACY
    final = (status == CohortStatus.GO) | (status == CohortStatus.NO_GO)
    budget = math.floor(alpha * n_trials + 1e-9)  # trials allowed to go (per cohort, or any cohort)
    if criterion == "cohort":
        cuts = []
        for j, k in enumerate(null):
            allowed = budget - int(early[:, j].sum())
            if allowed < 0:
                raise _early_too_often(spec.cohorts[k].name, early[:, j].mean(), alpha)
            cuts.append(_smallest(prob[final[:, j], j], allowed))
        c = max(cuts)
    else:
        any_early = early.any(axis=1)
        allowed = budget - int(any_early.sum())
        if allowed < 0:
            raise _early_too_often("some null cohort", any_early.mean(), alpha)
        reach = np.where(final, prob, -1.0).max(axis=1)[~any_early]
        c = _smallest(reach[reach >= 0.0], allowed)
    c = max(_round_up(c), 10.0**-DIGITS)

    def errors(cut: float) -> tuple[dict[str, float], float]:
        go = early | (final & (prob > cut))
        per = {spec.cohorts[k].name: float(go[:, j].mean()) for j, k in enumerate(null)}
        return per, float(go.any(axis=1).mean())

    type1, fwer = errors(c)
    before, fwer_before = errors(design.threshold)
    prov = run_provenance(config_hash(spec), n_trials, seed, design=design.name, scenario=scen.name)
    prov["method"] = "calibration"
    return Calibration(
        replace(design, threshold=c),
        scen,
        criterion,
        alpha,
        n_trials,
        seed,
        c,
        design.threshold,
        type1,
        fwer,
        before,
        fwer_before,
        prov,
    )


def _early_too_often(who: str, share: float, alpha: float) -> SpecError:
    return SpecError(
        "--alpha",
        f"{who} stops early for efficacy in {share:.3f} of the null trials, more than {alpha:g} whatever the "
        "final threshold",
        "raise the design's efficacy threshold (or drop it), then calibrate",
    )


def calibration_text(cal: Calibration) -> str:
    """The calibrated threshold, the TOML line that sets it, and the type I errors before and after."""
    d = cal.design
    what = "largest per-cohort type I error" if cal.criterion == "cohort" else "family-wise error rate"
    lines = [
        f"design {d.name!r} ({d.kind}): threshold calibrated so that the {what} is at most {cal.alpha:g}",
        f"under scenario {cal.scenario.name!r} ({cal.n_trials:,} simulated trials, seed {cal.seed}):",
        f"  threshold = {cal.threshold:.{DIGITS}f}",
        "",
        f"  {'cohort':<20} {'type I at ' + format(cal.before_threshold, 'g'):>22} {'at calibrated':>18}",
    ]
    for name, a in cal.type1.items():
        b = cal.before[name]
        lines.append(f"  {name:<20} {b:>14.3f} ({cal.mcse(b):.3f}) {a:>10.3f} ({cal.mcse(a):.3f})")
    lines.append(
        f"  {'family-wise':<20} {cal.fwer_before:>14.3f} ({cal.mcse(cal.fwer_before):.3f}) "
        f"{cal.fwer:>10.3f} ({cal.mcse(cal.fwer):.3f})"
    )
    lines.append("value (MCSE) on the simulated trials; the rule is go when P(q > q0 | data) > threshold")
    prov = cal.provenance
    lines.append(f"dosefind {prov['version']}, config hash {prov['config_hash']}, {prov['created']}")
    return "\n".join(lines) + "\n"
