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
from fractions import Fraction

import numpy as np

from ..constants import CohortDecision
from ..oc.calendar_sums import ColumnSums
from ..oc.metrics import DURATION_QUANTILES, correct_selection, included_doses
from ..oc.study import check_run_time, json_hash, run_provenance
from ..oc.sums import exact_mean, proportion
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


class ArmSums:
    """Exact sufficient statistics of an arm's trials in one scenario, added block by block: per
    (metric, level), the number of arms it averages over and the exact sum and sum of squares of the
    per-arm values (integers, or exact fractions of the true response rates); a timed arm also keeps its
    calendar columns' sums and its duration's order statistics
    (:class:`~dosefind.oc.calendar_sums.ColumnSums`, memory flat in the number of arms). :func:`arm_oc` and
    :func:`simulate_arm_spec` both go through it, so any block size gives the same rows."""

    def __init__(self, arm: Arm, scenario: ArmScenario, acceptable_band: float | None = None):
        self.arm = arm
        self.scenario = scenario
        self.band = acceptable_band
        self.terms: list[list] | None = None  # [metric, level, kind, T, S, Q]
        self.time: ColumnSums | None = None  # the calendar columns (engine.arm's A_*), sketching A_DURATION
        self.cohort_day: ColumnSums | None = None  # the decision day of each cohort

    def add_time(self, time, cohort_day) -> ArmSums:
        """Add timed arms' calendar columns (one row per arm) and their cohorts' decision days."""
        from ..engine.arm import A_DURATION

        time = np.asarray(time, dtype=np.float64)
        cohort_day = np.asarray(cohort_day, dtype=np.float64).reshape(time.shape[0], len(self.arm.cohorts))
        if self.time is None:
            self.time = ColumnSums(time.shape[1], (A_DURATION,))
            self.cohort_day = ColumnSums(len(self.arm.cohorts))
        self.time.add(time)
        self.cohort_day.add(cohort_day)
        return self

    def add(self, r: ArmResult) -> ArmSums:
        """Add the arms of ``r`` (e.g. one block; its arrays may be reused after the call)."""
        design = self.arm.design
        labels = design.doses
        D = len(labels)
        terms: list = []
        T = int(r.selected.shape[0])

        def prop(metric, level, x, n=T):
            k = int(np.count_nonzero(x))
            terms.append([metric, level, "prop", n, k, k])

        def mean(metric, level, x):
            x = np.asarray(x, dtype=np.int64)
            terms.append([metric, level, "mean", int(x.shape[0]), int(x.sum()), int(np.dot(x, x))])

        sel = r.selected.astype(np.int64)
        prop("prob_select_none", "", sel < 0)
        hit = correct_selection(sel, self.scenario.true_tox, design.target, self.band, included_doses(design))
        prop("prob_select_correct", "", hit)
        esc_n, esc_tox = r.escalation_n.astype(np.int64), r.escalation_tox.astype(np.int64)
        mean("mean_escalation_n", "", esc_n)
        mean("mean_escalation_tox", "", esc_tox)
        for d, label in enumerate(labels):
            prop("prob_select", label, sel == d)
        for name, counts in (
            ("mean_n_at_dose", r.n_at_dose),
            ("mean_tox_at_dose", r.tox_at_dose),
            ("mean_resp_at_dose", r.eff_at_dose),
        ):
            for d, label in enumerate(labels):
                mean(name, label, counts[:, d])
        dec = r.decision
        prop("prob_open", "", r.opened)
        prop("prob_safety_stop", "", r.safety_stop)
        prop("prob_any_active", "", (dec == CohortDecision.ACTIVE).any(axis=1))
        ext_n, ext_tox = r.extension_n.astype(np.int64), r.extension_tox.astype(np.int64)
        mean("mean_extension_n", "", ext_n)
        mean("mean_extension_tox", "", ext_tox)
        mean("mean_total_n", "", esc_n + ext_n)
        mean("mean_total_tox", "", esc_tox + ext_tox)
        opened = np.asarray(r.opened, dtype=bool)
        n_open = int(np.count_nonzero(opened))
        # arms per selected dose among the opened ones (numpy's indexing: -1 is the last dose)
        at_sel = np.bincount(sel[opened] % D, minlength=D) if D else np.zeros(0, dtype=np.int64)
        for c, cohort in enumerate(self.arm.cohorts):
            name = cohort.name
            prop("prob_active", name, dec[:, c] == CohortDecision.ACTIVE)
            prop("prob_futile", name, dec[:, c] == CohortDecision.FUTILE)
            prop("prob_cohort_safety_stop", name, dec[:, c] == CohortDecision.SAFETY)
            prop("prob_active_if_open", name, dec[opened, c] == CohortDecision.ACTIVE, n_open)
            rates = [Fraction(float(x)) for x in np.asarray(self.scenario.response_of(name), dtype=float)]
            s1 = sum((int(k) * q for k, q in zip(at_sel, rates, strict=True)), Fraction(0))
            s2 = sum((int(k) * q * q for k, q in zip(at_sel, rates, strict=True)), Fraction(0))
            terms.append(["true_response_at_selected", name, "mean", n_open, s1, s2])
            mean("mean_new_n", name, r.new_n[:, c])
            mean("mean_counted", name, r.counted[:, c])
            mean("mean_cohort_tox", name, r.tox[:, c])
        if self.terms is None:
            self.terms = terms
        else:
            for mine, new in zip(self.terms, terms, strict=True):
                mine[3] += new[3]
                mine[4] += new[4]
                mine[5] += new[5]
        if r.time is not None:
            self.add_time(r.time, r.cohort_day)
        return self

    def rows(self) -> list[dict]:
        """The tidy rows of :func:`arm_oc`, in its order."""
        rows: list[dict] = []

        def add(metric, level, pair):
            value, mcse = pair
            rows.append(
                {
                    "arm": self.arm.name,
                    "scenario": self.scenario.name,
                    "metric": metric,
                    "level": level,
                    "value": value,
                    "mcse": mcse,
                }
            )

        nan = (float("nan"), float("nan"))
        for metric, level, kind, n, s1, s2 in self.terms or []:
            if n == 0:
                add(metric, level, nan)
            elif kind == "exact":  # an exact study's value (sweep/units.py): no Monte Carlo error
                add(metric, level, (float(s1), 0.0))
            elif kind == "prop":
                add(metric, level, proportion(s1, n))
            else:
                add(metric, level, exact_mean(s1, s2, n))
        if self.time is not None:
            from ..engine.arm import (
                A_DURATION,
                A_ESCALATION,
                A_MEAN_WAIT,
                A_OPEN,
                A_TO_SELECTED,
                A_TURNED_AWAY,
            )

            time, cohort_day = self.time, self.cohort_day
            add("duration_days", "", time.mean(A_DURATION))
            for name, q in DURATION_QUANTILES:
                add(name, "", time.quantile(A_DURATION, q))
            add("escalation_days", "", time.mean(A_ESCALATION))
            add("open_day", "", time.mean(A_OPEN))
            add("mean_turned_away", "", time.mean(A_TURNED_AWAY))
            add("mean_wait_days", "", time.mean(A_MEAN_WAIT))
            add("mean_days_to_selected_dose", "", time.mean(A_TO_SELECTED))
            for c, cohort in enumerate(self.arm.cohorts):
                add("decision_day", cohort.name, cohort_day.mean(c))
        return rows


def arm_oc(result: ArmResult, acceptable_band: float | None = None) -> list[dict]:
    """The arm's operating characteristics as tidy rows (see the module doc), through :class:`ArmSums`."""
    return ArmSums(result.arm, result.scenario, acceptable_band).add(result).rows()


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

    def to_frame(self):
        """The tidy rows (arm, scenario, metric, level, value, mcse) as a DataFrame, provenance in
        ``.attrs``."""
        from ..display import frame

        return frame(
            self.rows,
            ("arm", "scenario", "metric", "level", "value", "mcse"),
            {"provenance": self.provenance},
        )

    def _repr_html_(self) -> str:
        from ..display import html_table, paragraph, with_mcse

        p = self.provenance
        size = (
            "exact operating characteristics (no Monte Carlo error)"
            if p.get("method") == "exact"
            else f"{p.get('n_trials', '')} simulated arms, seed {p.get('seed', '')}"
        )
        parts = [paragraph(f"arm {self.arm.name}: {size}")]
        for s in self.scenarios:
            rows = [
                [r["metric"], r["level"], with_mcse(r["value"], r["mcse"])]
                for r in self.rows
                if r["scenario"] == s.name
            ]
            parts.append(html_table(["metric", "level", "value (MCSE)"], rows, caption=f"scenario {s.name}"))
        return "".join(parts)


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
    block_trials: int | None = None,
    check_size: bool = True,
) -> ArmStudyResult:
    """The arm under every scenario of the file (same seed: the same patients in every scenario's run),
    reduced block by block (:class:`ArmSums`: memory flat in the number of arms unless timed). A run
    estimated to take too long is refused first (:func:`check_arm_run_size`; ``check_size=False`` when the
    caller has checked)."""
    if check_size:
        check_arm_run_size(spec, n_trials, seed, threads)
    rows: list[dict] = []
    finished = 0
    for s in spec.scenarios:
        cb = None if progress is None else (lambda k, base=finished: progress(base + k))
        sums = ArmSums(spec.arm, s, acceptable_band)
        kwargs = {} if block_trials is None else {"block_trials": int(block_trials)}
        simulate_arm(
            spec.arm,
            s,
            n_trials,
            seed,
            threads=threads,
            progress=cb,
            timing=spec.timing,
            on_block=sums.add,
            **kwargs,
        )
        finished += n_trials
        rows.extend(sums.rows())
    return ArmStudyResult(spec.arm, spec.scenarios, tuple(rows), arm_provenance(spec, n_trials, seed))


def check_arm_run_size(spec: ArmSpec, n_trials: int, seed: int, threads: int | None = None) -> None:
    """Refuse, before the work, an arm run that would take longer than a day
    (:func:`dosefind.oc.study.check_run_time`, the arm timed on its first scenario)."""
    from ..engine.arm import N_ARM_TIME
    from ..engine.simulate import BLOCK_TRIALS

    D, C = spec.arm.design.n_doses, len(spec.arm.cohorts)
    row = 2 + 3 * 2 * D + 4 + C * (4 * 2 + 2) + 1 + (8 * (N_ARM_TIME + C) if spec.timing is not None else 0)
    check_run_time(
        n_trials,
        len(spec.scenarios),
        [lambda k: simulate_arm(spec.arm, spec.scenarios[0], k, seed, threads=threads, timing=spec.timing)],
        flat_bytes=BLOCK_TRIALS * row,
        threads=threads,
        unit="arms",
    )
