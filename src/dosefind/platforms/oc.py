"""Platform operating characteristics with Monte Carlo standard errors, reduced block by block.

Tidy rows ``(scenario, arm, level, metric, value, mcse)``: ``arm`` is an arm's name (empty for the
platform's own metrics), ``level`` a dose label for per-dose metrics, a cohort name for per-cohort
metrics, empty otherwise. Proportions have MCSE sqrt(p(1-p)/n), means sd/sqrt(n) (ddof = 1), n the
platforms the metric averages over (all, or those where it is defined, e.g. arms whose extension opened).
Days count from the platform's opening.

Platform: ``duration_days`` (the last arm's close), ``mean_screened``, ``mean_treated``,
``mean_not_matched`` (children screened who found no eligible open arm with a free slot),
``share_not_matched`` (per platform, not matched / screened), ``prob_truncated`` (cut at max_children).

Per arm: ``mean_matched`` (children the arm took), ``open_day``, ``rp2d_day`` (escalation's final
decision: the day the RP2D is known) and ``days_to_rp2d`` (from the arm's opening), ``close_day`` and
``arm_duration_days`` (opening to close), ``prob_select_none``, ``prob_select`` (per dose),
``mean_escalation_n``, ``mean_extension_n``, ``prob_open`` (the extension opened),
``extension_open_day`` (over the arms whose extension opened), ``prob_safety_stop``; per cohort:
``prob_go`` (active), ``prob_futile``, ``prob_cohort_safety_stop``, ``mean_new_n`` (extension patients),
``mean_counted`` (patients the rule counted, escalation patients included), ``decision_day`` (over the
arms whose extension opened).

Over calendar time (level ``m``: by the end of month m, months of 365.25 / 12 days from the platform's
opening, up to the last month in which any simulated platform screened a child; a last level ``120+``
counts every later child too): per arm ``matched_by_month``, for the platform ``screened_by_month`` and
``not_matched_by_month``, each the mean cumulative number of children per platform.

Spread: the 10th, 50th and 90th percentiles (suffixes ``_q10``, ``_q50``, ``_q90``) of the platform's
``duration_days`` and of each arm's ``rp2d_day``, ``days_to_rp2d`` and ``close_day`` (over the platforms
where the day exists), with the MCSE of :class:`~dosefind.oc.calendar_sums.QuantileSketch`. The sketches
bin the days by their leading 10 mantissa bits (:data:`SKETCH_BITS`): a percentile is exact where its
order statistics are the smallest or largest value of their bin, and otherwise within 2^-11 of its
value (half a day at 1,000 days), far below its MCSE; memory stays a few thousand bins per day metric
whatever the number of platforms.

:class:`PlatformSums` keeps, per (arm, level, metric), the count, sum and sum of squares (exact integers
for counts and proportions, floats for days): memory is flat in the number of platforms and block sizes
change the day means in the last bits only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..constants import CohortDecision
from ..engine.platform import (
    N_MONTHS,
    P_CLOSE,
    P_ESCALATION,
    P_EXT_OPEN,
    P_OPEN,
    Q_DURATION,
    Q_NOT_MATCHED,
    Q_SCREENED,
    Q_TREATED,
    Q_TRUNCATED,
)
from ..oc.calendar_sums import ColumnSums
from ..oc.study import json_hash, run_provenance
from .simulate import PlatformResult, simulate_platform
from .spec import Platform, PlatformScenario, PlatformSpec

COLUMNS = ("scenario", "arm", "level", "metric", "value", "mcse")


#: the percentiles reported for the day metrics that have a spread (suffix, probability)
QUANTILES = (("q10", 0.1), ("q50", 0.5), ("q90", 0.9))
#: leading mantissa bits that name a bin of the day sketches (relative width 2^-10)
SKETCH_BITS = 10
#: each arm's day metrics whose percentiles are reported
ARM_SPREAD = ("rp2d_day", "days_to_rp2d", "close_day")


def month_level(m: int) -> str:
    """The level of month m (0-based) in the by-month rows: "1", "2", ..., and "120+" for the last."""
    return f"{m + 1}+" if m == N_MONTHS - 1 else str(m + 1)


class PlatformSums:
    """Sufficient statistics of one platform scenario's runs, added block by block."""

    def __init__(self, platform: Platform, scenario: PlatformScenario):
        self.platform = platform
        self.scenario = scenario
        self.terms: dict[tuple[str, str, str], list] = {}  # -> [kind, n, S, Q]
        self.days: ColumnSums | None = None  # the day metrics of spread_columns(), with sketches

    def spread_columns(self) -> list[tuple[str, str]]:
        """(arm, metric) of the columns of ``days``: the platform's duration, then each arm's
        :data:`ARM_SPREAD`."""
        return [("", "duration_days")] + [(a.name, m) for a in self.platform.arms for m in ARM_SPREAD]

    def add_days(self, days: ColumnSums) -> None:
        """Add day sums of the same columns (a block's, or a sweep part's)."""
        if self.days is None:
            n = len(days.moments)
            self.days = ColumnSums(n, tuple(range(n)), SKETCH_BITS, moments=False)
        self.days.merge(days)

    def _add(self, arm, level, metric, kind, x):
        x = np.asarray(x)
        if kind == "days":
            x = x[~np.isnan(x)].astype(np.float64)
            s, q = math.fsum(x.tolist()), math.fsum((x * x).tolist())
        else:
            x = x.astype(np.int64)
            s, q = int(x.sum()), int(np.dot(x, x))
        t = self.terms.setdefault((arm, level, metric), [kind, 0, 0, 0])
        t[1] += int(x.shape[0])
        t[2] += s
        t[3] += q

    def add(self, r: PlatformResult) -> PlatformSums:
        q = r.columns
        S, Q = r.monthly
        T = int(q.shape[0])
        for j, (arm, metric) in enumerate(self._month_rows()):
            for m in range(S.shape[1]):
                t = self.terms.setdefault((arm, month_level(m), metric), ["mean", 0, 0, 0])
                t[1] += T
                t[2] += int(S[j, m])
                t[3] += int(Q[j, m])
        self._add("", "", "duration_days", "days", q[:, Q_DURATION])
        for name, col in (
            ("mean_screened", Q_SCREENED),
            ("mean_treated", Q_TREATED),
            ("mean_not_matched", Q_NOT_MATCHED),
        ):
            self._add("", "", name, "mean", q[:, col])
        self._add("", "", "share_not_matched", "days", q[:, Q_NOT_MATCHED] / np.maximum(q[:, Q_SCREENED], 1))
        self._add("", "", "prob_truncated", "prop", q[:, Q_TRUNCATED] > 0)
        cols = [q[:, Q_DURATION]]
        for a in r.arms:
            tm = a.time
            cols += [tm[:, P_ESCALATION], tm[:, P_ESCALATION] - tm[:, P_OPEN], tm[:, P_CLOSE]]
        n = len(cols)
        # sketches only: the means of these days are the terms above
        self.add_days(ColumnSums(n, tuple(range(n)), SKETCH_BITS, moments=False).add(np.column_stack(cols)))
        for pa, a in zip(self.platform.arms, r.arms, strict=True):
            n = pa.name
            tm = a.time
            self._add(n, "", "mean_matched", "mean", a.treated)
            self._add(n, "", "open_day", "days", tm[:, P_OPEN])
            self._add(n, "", "rp2d_day", "days", tm[:, P_ESCALATION])
            self._add(n, "", "days_to_rp2d", "days", tm[:, P_ESCALATION] - tm[:, P_OPEN])
            self._add(n, "", "close_day", "days", tm[:, P_CLOSE])
            self._add(n, "", "arm_duration_days", "days", tm[:, P_CLOSE] - tm[:, P_OPEN])
            sel = a.selected.astype(np.int64)
            self._add(n, "", "prob_select_none", "prop", sel < 0)
            for d, label in enumerate(pa.arm.design.doses):
                self._add(n, label, "prob_select", "prop", sel == d)
            self._add(n, "", "mean_escalation_n", "mean", a.n_at_dose.sum(axis=1))
            self._add(n, "", "mean_extension_n", "mean", a.new_n.sum(axis=1))
            opened = ~np.isnan(tm[:, P_EXT_OPEN])
            self._add(n, "", "prob_open", "prop", opened)
            self._add(n, "", "extension_open_day", "days", tm[:, P_EXT_OPEN])
            self._add(n, "", "prob_safety_stop", "prop", a.safety_stop)
            for c, cohort in enumerate(pa.arm.cohorts):
                dec = a.decision[:, c]
                self._add(n, cohort.name, "prob_go", "prop", dec == CohortDecision.ACTIVE)
                self._add(n, cohort.name, "prob_futile", "prop", dec == CohortDecision.FUTILE)
                self._add(n, cohort.name, "prob_cohort_safety_stop", "prop", dec == CohortDecision.SAFETY)
                self._add(n, cohort.name, "mean_new_n", "mean", a.new_n[:, c])
                self._add(n, cohort.name, "mean_counted", "mean", a.counted[:, c])
                self._add(n, cohort.name, "decision_day", "days", a.cohort_day[:, c])
        return self

    def _month_rows(self) -> list[tuple[str, str]]:
        """(arm, metric) of the rows of ``PlatformResult.monthly``."""
        rows_ = [(a.name, "matched_by_month") for a in self.platform.arms]
        return rows_ + [("", "screened_by_month"), ("", "not_matched_by_month")]

    def _last_month(self) -> int:
        """The last month (0-based) in which a simulated platform screened a child (then every later
        cumulative count is the platform's total: those months are left out of the rows)."""
        last = 0
        for m in range(1, N_MONTHS):
            level, before = month_level(m), month_level(m - 1)
            for arm, metric in self._month_rows():
                t, u = self.terms.get((arm, level, metric)), self.terms.get((arm, before, metric))
                if t is not None and u is not None and t[2] != u[2]:
                    last = m
                    break
        return last

    def rows(self) -> list[dict]:
        out = []
        cut = {month_level(m) for m in range(self._last_month() + 1, N_MONTHS)}
        for (arm, level, metric), (kind, n, s, q) in self.terms.items():
            if level in cut and metric.endswith("_by_month"):
                continue
            if n == 0:
                value = mcse = math.nan
            elif kind == "prop":
                value = s / n
                mcse = math.sqrt(value * (1.0 - value) / n)
            else:
                value = float(s / n)
                var = float((q - s * s / n) / (n - 1)) if n > 1 else math.nan
                mcse = math.sqrt(max(var, 0.0) / n) if n > 1 else math.nan
            out.append(self._row(arm, level, metric, value, mcse))
        if self.days is not None:
            for j, (arm, metric) in enumerate(self.spread_columns()):
                for suffix, p in QUANTILES:
                    out.append(self._row(arm, "", f"{metric}_{suffix}", *self.days.quantile(j, p)))
        return out

    def _row(self, arm, level, metric, value, mcse) -> dict:
        return {
            "scenario": self.scenario.name,
            "arm": arm,
            "level": level,
            "metric": metric,
            "value": float(value),
            "mcse": float(mcse),
        }


@dataclass(frozen=True)
class PlatformStudyResult:
    """The platform's OCs under each of its scenarios, with provenance."""

    platform: Platform
    rows: tuple[dict, ...]
    provenance: dict

    def value(self, scenario: str, arm: str, metric: str, level: str = "") -> tuple[float, float]:
        for r in self.rows:
            if (r["scenario"], r["arm"], r["metric"], r["level"]) == (scenario, arm, metric, level):
                return r["value"], r["mcse"]
        raise KeyError((scenario, arm, metric, level))


def platform_provenance(spec: PlatformSpec, n_trials: int, seed: int) -> dict:
    config = {
        "platform": spec.platform.to_dict(),
        "scenarios": [{"name": s.name, "arms": list(s.arm_scenarios)} for s in spec.scenarios],
    }
    return run_provenance(json_hash(config), n_trials, seed, platform_hash=spec.platform.config_hash())


def _row_bytes(result: PlatformResult) -> int:
    """Bytes per platform trial of a block's arrays (every arm's rows and the platform's columns)."""
    total = result.columns.nbytes / max(result.columns.shape[0], 1)
    for arm in result.arms:
        for value in vars(arm).values():
            if isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0]:
                total += value.nbytes / value.shape[0]
    return int(math.ceil(total))


def check_platform_run_size(spec: PlatformSpec, n_trials: int, seed: int, threads: int | None = None) -> None:
    """Refuse, before the work, a platform run that would take longer than a day, with the estimated time
    and memory (:func:`dosefind.oc.study.check_run_time`, the platform timed on its first scenario)."""
    from ..oc.study import check_run_time
    from .simulate import PLATFORM_BLOCK

    sizes: list[int] = []
    simulate_platform(
        spec.platform, spec.scenarios[0], 1, seed, on_block=lambda r: sizes.append(_row_bytes(r))
    )
    mib = PLATFORM_BLOCK * sizes[0] / 2**20
    check_run_time(
        n_trials,
        len(spec.scenarios),
        [
            lambda k: simulate_platform(
                spec.platform, spec.scenarios[0], k, seed, on_block=lambda r: None, threads=threads
            )
        ],
        flat_bytes=PLATFORM_BLOCK * sizes[0],
        threads=threads,
        unit="platforms",
        instead="or split the run over seeds",
        memory=f"flat in the number of platforms, about {mib:.1f} MiB per block of {PLATFORM_BLOCK:,}",
    )


def simulate_platform_spec(
    spec: PlatformSpec,
    n_trials: int,
    seed: int,
    *,
    threads: int | None = None,
    block_trials: int | None = None,
    check_size: bool = True,
) -> PlatformStudyResult:
    """Every scenario of the platform file, reduced block by block (memory flat in ``n_trials``). A run
    estimated to take more than a day is refused first (:func:`check_platform_run_size`;
    ``check_size=False`` when the caller has checked)."""
    if check_size:
        check_platform_run_size(spec, n_trials, seed, threads)
    rows: list[dict] = []
    for s in spec.scenarios:
        sums = PlatformSums(spec.platform, s)
        kw = {} if block_trials is None else {"block_trials": int(block_trials)}
        simulate_platform(spec.platform, s, n_trials, seed, on_block=sums.add, threads=threads, **kw)
        rows.extend(sums.rows())
    return PlatformStudyResult(spec.platform, tuple(rows), platform_provenance(spec, n_trials, seed))
