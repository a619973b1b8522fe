"""Arm-level operating characteristics with Monte Carlo standard errors, from an ArmResult.

Tidy rows ``(arm, scenario, metric, level, value, mcse)``: ``level`` is a dose (or cell) label for per-dose
metrics, a cohort name for per-cohort metrics, empty otherwise. Proportions have MCSE sqrt(p(1-p)/T),
means sd/sqrt(T) (ddof = 1), as in :mod:`dosefind.oc.metrics`.

Arm metrics:

* escalation: ``prob_select`` (per dose), ``prob_select_none``, ``prob_select_correct`` (no dose when no
  dose is acceptable, :func:`dosefind.oc.metrics.no_acceptable_dose`; otherwise a dose whose true
  DLT rate is closest to the target, or within ``acceptable_band`` of it), ``mean_n_at_dose``,
  ``mean_tox_at_dose``, ``mean_resp_at_dose`` (per dose), ``mean_escalation_n``, ``mean_escalation_tox``;
* extension: ``prob_open``, ``prob_safety_stop``, ``prob_any_active``, ``mean_extension_n``,
  ``mean_extension_tox``, ``mean_total_n``, ``mean_total_tox``;
* per cohort: ``prob_active`` (power when the cohort's drug is truly active, type I error when it is not),
  ``prob_futile``, ``prob_cohort_safety_stop``, ``prob_active_if_open`` (conditional on the extension
  opening; MCSE from the opened arms), ``mean_new_n`` (extension patients), ``mean_counted`` (patients the
  rule counted, escalation patients included), ``mean_cohort_tox``, ``true_response_at_selected`` (the
  cohort's true response rate at the selected dose, averaged over opened arms: the rate the rule faced).

In calendar time (``ARM_TIME_METRICS``, days from the arm's opening): ``duration_days`` (the arm's last
decision: a cohort's look, a safety stop, or not opening) with ``duration_days_q10``, ``_q50``, ``_q90``;
``escalation_days`` (escalation's final decision: the day the RP2D is known); ``open_day`` (the day the
extension opened, over the arms that opened); ``mean_turned_away`` and ``mean_wait_days`` (escalation and
extension); ``mean_days_to_selected_dose`` (the first escalation patient at the selected dose, over arms
that selected a dose some patient was given); per cohort ``decision_day`` (the day it decided, over the
arms that opened).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..constants import CohortDecision
from ..oc.metrics import _mean, _prop, _quantile, correct_selection, included_doses
from ..oc.study import json_hash, run_provenance
from .simulate import ArmResult, simulate_arm
from .spec import Arm, ArmScenario, ArmSpec

ESCALATION_METRICS = ("prob_select_none", "prob_select_correct", "mean_escalation_n", "mean_escalation_tox")
EXTENSION_METRICS = (
    "prob_open",
    "prob_safety_stop",
    "prob_any_active",
    "mean_extension_n",
    "mean_extension_tox",
    "mean_total_n",
    "mean_total_tox",
)
DOSE_METRICS = ("prob_select", "mean_n_at_dose", "mean_tox_at_dose", "mean_resp_at_dose")
COHORT_METRICS = (
    "prob_active",
    "prob_futile",
    "prob_cohort_safety_stop",
    "prob_active_if_open",
    "mean_new_n",
    "mean_counted",
    "mean_cohort_tox",
    "true_response_at_selected",
)
ARM_TIME_METRICS = (
    "duration_days",
    "duration_days_q10",
    "duration_days_q50",
    "duration_days_q90",
    "escalation_days",
    "open_day",
    "mean_turned_away",
    "mean_wait_days",
    "mean_days_to_selected_dose",
)
COHORT_TIME_METRICS = ("decision_day",)


def _present(x: np.ndarray) -> tuple[float, float]:
    """Mean and MCSE of the values that are not nan (nan, nan when there are none)."""
    return _mean(x[~np.isnan(x)])


def arm_oc(result: ArmResult, acceptable_band: float | None = None) -> list[dict]:
    """The arm's operating characteristics as tidy rows (see the module doc)."""
    r = result
    arm = r.arm
    design = arm.design
    labels = design.doses
    rows: list[dict] = []

    def add(metric, level, pair):
        value, mcse = pair
        rows.append(
            {
                "arm": arm.name,
                "scenario": r.scenario.name,
                "metric": metric,
                "level": level,
                "value": value,
                "mcse": mcse,
            }
        )

    sel = r.selected.astype(np.int64)
    add("prob_select_none", "", _prop(sel < 0))
    hit = correct_selection(sel, r.scenario.true_tox, design.target, acceptable_band, included_doses(design))
    add("prob_select_correct", "", _prop(hit))
    add("mean_escalation_n", "", _mean(r.escalation_n.astype(float)))
    add("mean_escalation_tox", "", _mean(r.escalation_tox.astype(float)))
    for d, label in enumerate(labels):
        add("prob_select", label, _prop(sel == d))
    for d, label in enumerate(labels):
        add("mean_n_at_dose", label, _mean(r.n_at_dose[:, d].astype(float)))
    for d, label in enumerate(labels):
        add("mean_tox_at_dose", label, _mean(r.tox_at_dose[:, d].astype(float)))
    for d, label in enumerate(labels):
        add("mean_resp_at_dose", label, _mean(r.eff_at_dose[:, d].astype(float)))

    dec = r.decision
    add("prob_open", "", _prop(r.opened))
    add("prob_safety_stop", "", _prop(r.safety_stop))
    add("prob_any_active", "", _prop((dec == CohortDecision.ACTIVE).any(axis=1)))
    ext_n = r.extension_n.astype(float)
    ext_tox = r.extension_tox.astype(float)
    add("mean_extension_n", "", _mean(ext_n))
    add("mean_extension_tox", "", _mean(ext_tox))
    add("mean_total_n", "", _mean(r.escalation_n + ext_n))
    add("mean_total_tox", "", _mean(r.escalation_tox + ext_tox))

    opened = r.opened
    for c, cohort in enumerate(arm.cohorts):
        name = cohort.name
        add("prob_active", name, _prop(dec[:, c] == CohortDecision.ACTIVE))
        add("prob_futile", name, _prop(dec[:, c] == CohortDecision.FUTILE))
        add("prob_cohort_safety_stop", name, _prop(dec[:, c] == CohortDecision.SAFETY))
        if opened.any():
            add("prob_active_if_open", name, _prop(dec[opened, c] == CohortDecision.ACTIVE))
            rate = np.asarray(r.scenario.response_of(name), dtype=float)[sel[opened]]
            add("true_response_at_selected", name, _mean(rate))
        else:
            add("prob_active_if_open", name, (float("nan"), float("nan")))
            add("true_response_at_selected", name, (float("nan"), float("nan")))
        add("mean_new_n", name, _mean(r.new_n[:, c].astype(float)))
        add("mean_counted", name, _mean(r.counted[:, c].astype(float)))
        add("mean_cohort_tox", name, _mean(r.tox[:, c].astype(float)))
    if r.time is not None:
        from ..engine.arm import (
            A_DURATION,
            A_ESCALATION,
            A_MEAN_WAIT,
            A_OPEN,
            A_TO_SELECTED,
            A_TURNED_AWAY,
        )

        duration = r.time[:, A_DURATION]
        add("duration_days", "", _mean(duration))
        for q in (10, 50, 90):
            add(f"duration_days_q{q}", "", _quantile(duration, q / 100))
        add("escalation_days", "", _mean(r.time[:, A_ESCALATION]))
        add("open_day", "", _present(r.time[:, A_OPEN]))
        add("mean_turned_away", "", _mean(r.time[:, A_TURNED_AWAY]))
        add("mean_wait_days", "", _mean(r.time[:, A_MEAN_WAIT]))
        add("mean_days_to_selected_dose", "", _present(r.time[:, A_TO_SELECTED]))
        for c, cohort in enumerate(arm.cohorts):
            add("decision_day", cohort.name, _present(r.cohort_day[:, c]))
    return rows


@dataclass(frozen=True)
class ArmStudyResult:
    """The OCs of one arm under each scenario of an arm file, with provenance."""

    arm: Arm
    scenarios: tuple[ArmScenario, ...]
    rows: tuple[dict, ...]
    provenance: dict

    def values(self, scenario: str) -> dict:
        """{metric: {level: (value, mcse)}} of one scenario."""
        out: dict = {}
        for r in self.rows:
            if r["scenario"] == scenario:
                out.setdefault(r["metric"], {})[r["level"]] = (r["value"], r["mcse"])
        return out

    def as_json(self) -> dict:
        return {
            "provenance": self.provenance,
            "arm": self.arm.to_dict(),
            "scenarios": [s.to_dict(self.arm.design) for s in self.scenarios],
            "results": list(self.rows),
        }

    @property
    def timed(self) -> bool:
        return "timing" in self.provenance


def arm_provenance(spec: ArmSpec, n_trials: int, seed: int) -> dict:
    config = {"arm": spec.arm.to_dict(), "scenarios": [s.to_dict(spec.arm.design) for s in spec.scenarios]}
    extra = {}
    if spec.timing is not None:  # untimed arm files keep the config hash they always had
        config["timing"] = spec.timing.to_dict()
        extra["timing"] = spec.timing.to_dict()
    return run_provenance(json_hash(config), n_trials, seed, arm_hash=spec.arm.config_hash(), **extra)


def simulate_arm_spec(
    spec: ArmSpec,
    n_trials: int,
    seed: int,
    *,
    acceptable_band: float | None = None,
    threads: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ArmStudyResult:
    """The arm under every scenario of the file (same seed: the same patients in every scenario's run)."""
    rows: list[dict] = []
    finished = 0
    for s in spec.scenarios:
        cb = None if progress is None else (lambda k, base=finished: progress(base + k))
        res = simulate_arm(spec.arm, s, n_trials, seed, threads=threads, progress=cb, timing=spec.timing)
        finished += n_trials
        rows.extend(arm_oc(res, acceptable_band))
    return ArmStudyResult(spec.arm, spec.scenarios, tuple(rows), arm_provenance(spec, n_trials, seed))
