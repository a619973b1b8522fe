"""Operating characteristics with Monte Carlo standard errors, vectorised over simulated trials.

Definitions (T simulated trials; the "correct" doses are those whose true DLT probability is closest to
the target, ties within 1e-9 all correct; with ``acceptable_band`` b every dose with
|p - target| <= b is correct, and if no dose is within the band the closest ones are; a grid's excluded
cells are never correct, as no trial can select them):

* ``prob_select[d]``: P(dose d selected); ``prob_select_none``: P(no dose selected).
* ``mean_n_at_dose[d]``, ``mean_tox_at_dose[d]``, ``mean_n``, ``mean_tox``: expected counts.
* ``prob_early_stop``: P(the trial stopped with no dose selected because doses were too toxic).
* ``prob_stop_before_max_n``: P(the trial ended with fewer than max_n patients, for any reason).
* ``pcs``: P(a correct dose is selected); when no dose is acceptable, P(no dose is selected).
* ``prob_select_above_mtd``: P(the selected dose is above the true MTD).
* ``prop_treated_above_mtd``: expected fraction of a trial's patients treated above the true MTD.

No acceptable dose (:func:`no_acceptable_dose`): when every dose's true DLT probability exceeds the
target by more than ``acceptable_band`` (or, without a band, by more than ``NO_DOSE_MARGIN`` = 0.10,
dosefind's convention), stopping without a dose is the correct answer: ``pcs`` is then P(no dose
selected), every dose is above the true MTD, and no dose is correct. (Before this rule, a design that
treated every patient at the lowest of several doses with DLT probability 1 scored PCS 100%.)

"Above the true MTD" (:func:`doses_above_mtd`):

* one drug: the doses above the highest correct dose, the true MTD, in dose order (the order the design
  assumes toxicity increases in, also when a stress scenario's true curve is not monotone);
* a two-drug grid (:class:`~dosefind.designs.combination.CombinationDesign`): cells are only partially
  ordered (cell 2.1 has a higher index than 1.4 but is not above it), so a cell is above the MTD when
  its true DLT probability exceeds that of every correct cell, i.e. it is more toxic than the most toxic
  correct cell. When some cell lies within ``acceptable_band`` b of the target this is p > target + b
  (to the 1e-9 tie tolerance); without a band, or with none within it, it is p > target when the
  closest cells are at or below the target, and p > their p when they are above it. A correct cell is
  never above the MTD, and on a single-agent curve that is non-decreasing in dose both definitions
  pick the same doses. (Excluded cells enter the correct set as they do for ``pcs``; they are never
  treated or selected.)

In calendar time (a result simulated with a :class:`~dosefind.scenario.timing.Timing`), also
(``TIME_METRICS``; days from the trial's opening):

* ``duration_days``: mean day of the final decision; ``duration_days_q10``, ``_q50``, ``_q90`` its
  10th, 50th and 90th percentiles;
* ``mean_turned_away``: patients per trial who arrived while accrual was suspended and were not treated;
* ``mean_wait_days``: mean wait of a trial's treated patients, averaged over trials;
* ``mean_days_suspended``: days per trial with accrual suspended between cohorts;
* ``mean_days_to_selected_dose``: day the first patient was treated at the dose finally selected,
  over the trials that select a dose some patient was given (a CRM may select an untried dose).
* with backfill (``BACKFILL_METRICS``): ``mean_n_backfill_at_dose[d]``, the backfill patients counted at
  each dose (``mean_n_at_dose`` counts escalation and backfill patients).

Proportions have MCSE sqrt(p(1-p)/T); means have MCSE sd/sqrt(T) (sample sd, ddof=1); a percentile's
MCSE is half the distance between the order statistics at T q -+ sqrt(T q (1 - q)) (the binomial
interval of the number of trials below it, one standard error each side).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import TIE_TOLERANCE
from ..designs import Design
from ..engine import SimResult

SCALAR_METRICS = (
    "prob_select_none",
    "mean_n",
    "mean_tox",
    "prob_early_stop",
    "prob_stop_before_max_n",
    "pcs",
    "prob_select_above_mtd",
    "prop_treated_above_mtd",
)
DOSE_METRICS = ("prob_select", "mean_n_at_dose", "mean_tox_at_dose")
#: per-dose metrics of designs with backfill (their mean_n_at_dose counts escalation and backfill)
BACKFILL_METRICS = ("mean_n_backfill_at_dose",)
#: phase I/II designs (``uses_efficacy``; definitions in :mod:`dosefind.oc.utility`): per dose the mean
#: responses; per trial P(a correct OBD is selected, or none when no dose is acceptable), the mean true
#: utility of the selected dose over the trials that select one, and the mean responses
PHASE12_DOSE_METRICS = ("mean_resp_at_dose",)
PHASE12_METRICS = ("prob_select_obd", "mean_utility_selected", "mean_resp")
TIME_METRICS = (
    "duration_days",
    "duration_days_q10",
    "duration_days_q50",
    "duration_days_q90",
    "mean_turned_away",
    "mean_wait_days",
    "mean_days_suspended",
    "mean_days_to_selected_dose",
)
#: the duration's percentiles: (metric, probability)
DURATION_QUANTILES = (("duration_days_q10", 0.1), ("duration_days_q50", 0.5), ("duration_days_q90", 0.9))


def included_doses(design: Design) -> np.ndarray:
    """Boolean mask of the doses (cells) the design can treat: every dose, less a grid's excluded cells."""
    return np.array(design.initial_admissible(), dtype=bool)


def correct_doses(true_tox, target: float, acceptable_band: float | None = None, included=None) -> np.ndarray:
    """Boolean mask of the doses counted as a correct selection, among ``included`` (default: all; pass
    :func:`included_doses` so a grid's excluded cells, which no trial can select, are never correct)."""
    p = np.asarray(true_tox, dtype=float)
    gap = np.abs(p - target)
    if included is not None:
        gap = np.where(np.asarray(included, dtype=bool), gap, np.inf)
    if acceptable_band is not None:
        within = gap <= acceptable_band + TIE_TOLERANCE
        if within.any():
            return within
    return gap <= gap.min() + TIE_TOLERANCE


#: without an acceptable band, no dose is acceptable when every dose's true DLT probability exceeds the
#: target by more than this
NO_DOSE_MARGIN = 0.10


def no_acceptable_dose(true_tox, target: float, acceptable_band: float | None = None, included=None) -> bool:
    """Whether every (included) dose's true DLT probability exceeds the target by more than the band
    (``NO_DOSE_MARGIN`` without one): stopping without a dose is then the correct answer."""
    p = np.asarray(true_tox, dtype=float)
    if included is not None:
        p = p[np.asarray(included, dtype=bool)]
    margin = acceptable_band if acceptable_band is not None else NO_DOSE_MARGIN
    return bool(p.size) and bool(np.all(p > target + margin + TIE_TOLERANCE))


def correct_mask(true_tox, target: float, acceptable_band: float | None = None, included=None) -> np.ndarray:
    """The doses a selection may correctly pick: :func:`correct_doses`, or none at all when no dose is
    acceptable (then only stopping without a dose is correct)."""
    correct = correct_doses(true_tox, target, acceptable_band, included)
    if no_acceptable_dose(true_tox, target, acceptable_band, included):
        return np.zeros_like(correct)
    return correct


def correct_selection(selected, true_tox, target: float, acceptable_band: float | None = None, included=None):
    """Per trial (``selected``: 0-based dose, -1 none), whether the final selection is correct: a correct
    dose (:func:`correct_doses`), or no dose when no dose is acceptable (:func:`no_acceptable_dose`)."""
    sel = np.asarray(selected, dtype=np.int64)
    if no_acceptable_dose(true_tox, target, acceptable_band, included):
        return sel < 0
    correct = correct_doses(true_tox, target, acceptable_band, included)
    hit = np.zeros(sel.shape[0], dtype=bool)
    valid = sel >= 0
    hit[valid] = correct[sel[valid]]
    return hit


def true_mtd(design: Design, true_tox, acceptable_band: float | None = None) -> int:
    """The true MTD (0-based dose or cell index): the highest correct dose; on a grid the most toxic
    correct cell (the highest index among equally toxic ones)."""
    p = np.asarray(true_tox, dtype=float)
    correct = np.flatnonzero(correct_doses(p, design.target, acceptable_band, included_doses(design)))
    if design.dose_grid is not None:
        return int(correct[p[correct] == p[correct].max()].max())
    return int(correct.max())


def doses_above_mtd(design: Design, true_tox, acceptable_band: float | None = None) -> np.ndarray:
    """Boolean mask of the doses (cells) above the true MTD; see the module docstring (every dose when no
    dose is acceptable)."""
    p = np.asarray(true_tox, dtype=float)
    if no_acceptable_dose(p, design.target, acceptable_band, included_doses(design)):
        return np.asarray(included_doses(design), dtype=bool).copy()
    mtd = true_mtd(design, p, acceptable_band)
    if design.dose_grid is not None:
        return p > p[mtd]
    return np.arange(p.shape[0]) > mtd


def _prop(x: np.ndarray) -> tuple[float, float]:
    p = float(np.mean(x))
    return p, float(np.sqrt(max(p * (1 - p), 0.0) / x.shape[0]))


def _mean(x: np.ndarray) -> tuple[float, float]:
    n = x.shape[0]
    if n == 0:
        return float("nan"), float("nan")
    m = float(np.mean(x))
    se = float(np.std(x, ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    return m, se


def _quantile(x: np.ndarray, q: float) -> tuple[float, float]:
    """The q-quantile of x and its MCSE: half the distance between the order statistics one binomial
    standard error either side of T q."""
    T = x.shape[0]
    value = float(np.quantile(x, q))
    half = np.sqrt(T * q * (1.0 - q))
    s = np.sort(x)
    lo = int(np.clip(np.floor(T * q - half), 0, T - 1))
    hi = int(np.clip(np.ceil(T * q + half), 0, T - 1))
    return value, float((s[hi] - s[lo]) / 2.0)


def time_sums(time: np.ndarray):
    """The :class:`~dosefind.oc.calendar_sums.ColumnSums` of per-trial calendar columns (rows of
    ``engine/calendar.py``'s columns, then backfill's per-dose counts): what a timed run keeps (sums
    given are returned as they are)."""
    from ..engine.calendar import T_DURATION
    from .calendar_sums import ColumnSums

    if isinstance(time, ColumnSums):
        return time
    time = np.asarray(time, dtype=np.float64)
    return ColumnSums(time.shape[1], (T_DURATION,)).add(time)


def time_metrics(time) -> tuple[dict, dict]:
    """The calendar metrics (``TIME_METRICS``) of a timed result: from its calendar columns' sums
    (:class:`~dosefind.oc.calendar_sums.ColumnSums`), or from the columns themselves (one row per trial).
    Means skip absent (nan) values: a trial that selects no dose a patient was given has no day to the
    selected dose."""
    from ..engine.calendar import T_DURATION, T_MEAN_WAIT, T_SUSPENDED, T_TO_SELECTED, T_TURNED_AWAY

    sums = time_sums(time)
    values: dict = {}
    mcse: dict = {}
    values["duration_days"], mcse["duration_days"] = sums.mean(T_DURATION)
    for name, q in DURATION_QUANTILES:
        values[name], mcse[name] = sums.quantile(T_DURATION, q)
    values["mean_turned_away"], mcse["mean_turned_away"] = sums.mean(T_TURNED_AWAY)
    values["mean_wait_days"], mcse["mean_wait_days"] = sums.mean(T_MEAN_WAIT)
    values["mean_days_suspended"], mcse["mean_days_suspended"] = sums.mean(T_SUSPENDED)
    values["mean_days_to_selected_dose"], mcse["mean_days_to_selected_dose"] = sums.mean(T_TO_SELECTED)
    return values, mcse


@dataclass(frozen=True)
class OperatingCharacteristics:
    design: str
    scenario: str
    n_trials: int
    dose_labels: tuple[str, ...]
    values: dict
    mcse: dict

    def as_json(self) -> dict:
        out = {"design": self.design, "scenario": self.scenario, "n_trials": self.n_trials}
        out.update(self.values)
        out["mcse"] = dict(self.mcse)
        return out

    def to_frame(self, shape: str = "long"):
        """A pandas DataFrame of :meth:`tidy`: ``shape`` "long" (design, scenario, dose, metric, value,
        mcse), "dose" (a row per dose, a column per per-dose metric beside its ``<metric>_mcse``) or "trial"
        (one row, the whole-trial metrics the same way)."""
        return tidy_frame(self.tidy(), shape)

    def _repr_html_(self) -> str:
        return study_html((self,), None)

    def tidy(self) -> list[dict]:
        """Long rows: design, scenario, dose ('' for whole-trial metrics), metric, value, mcse."""
        rows = []
        extra_dose = tuple(m for m in BACKFILL_METRICS + PHASE12_DOSE_METRICS if m in self.values)
        for metric in DOSE_METRICS + extra_dose:
            for label, val, se in zip(self.dose_labels, self.values[metric], self.mcse[metric], strict=True):
                rows.append(
                    dict(
                        design=self.design,
                        scenario=self.scenario,
                        dose=label,
                        metric=metric,
                        value=val,
                        mcse=se,
                    )
                )
        for metric in SCALAR_METRICS + tuple(m for m in PHASE12_METRICS + TIME_METRICS if m in self.values):
            rows.append(
                dict(
                    design=self.design,
                    scenario=self.scenario,
                    dose="",
                    metric=metric,
                    value=self.values[metric],
                    mcse=self.mcse[metric],
                )
            )
        return rows


def operating_characteristics(
    result: SimResult, acceptable_band: float | None = None
) -> OperatingCharacteristics:
    """The operating characteristics of the trials of ``result``: through the block reducer
    (:class:`~dosefind.oc.sums.TrialSums`) that ``dosefind simulate`` feeds block by block, so both give
    the same numbers."""
    from .sums import TrialSums

    sums = TrialSums.for_design(
        result.design, result.scenario.true_tox, acceptable_band, scenario=result.scenario
    ).add(result)
    return from_sums(sums, result.design, result.scenario.name, result.time)


def from_sums(sums, design: Design, scenario_name: str, time=None):
    """:class:`OperatingCharacteristics` from a design's :class:`~dosefind.oc.sums.TrialSums` in one
    scenario and, when timed, its calendar columns' :class:`~dosefind.oc.calendar_sums.ColumnSums`
    (:func:`time_sums`; or the columns themselves, one row per trial)."""
    values, mcse = sums.values_and_mcse()
    if time is not None:
        from ..engine.calendar import N_TIME_COLUMNS

        time = time_sums(time)
        tv, tm = time_metrics(time)
        values.update(tv)
        mcse.update(tm)
        if len(time.moments) > N_TIME_COLUMNS:  # backfill: the backfill patients counted per dose
            bf = [time.mean(N_TIME_COLUMNS + d) for d in range(design.n_doses)]
            values["mean_n_backfill_at_dose"] = [m for m, _ in bf]
            mcse["mean_n_backfill_at_dose"] = [s for _, s in bf]
    return OperatingCharacteristics(design.name, scenario_name, sums.n, design.doses, values, mcse)


TIDY_COLUMNS = ("design", "scenario", "dose", "metric", "value", "mcse")
#: the whole-trial metrics a notebook table shows first, with their headings
HEADLINE_METRICS = (
    ("pcs", "PCS %"),
    ("prob_select_above_mtd", "select above MTD %"),
    ("prob_select_none", "select none %"),
    ("prob_early_stop", "early stop %"),
    ("mean_n", "mean n"),
    ("mean_tox", "mean DLTs"),
    ("prop_treated_above_mtd", "treated above MTD %"),
    ("duration_days", "duration (days)"),
)


def tidy_frame(rows: list[dict], shape: str = "long", attrs: dict | None = None):
    """The tidy rows of operating characteristics as a DataFrame. ``shape``: "long" (design, scenario,
    dose, metric, value, mcse), "dose" (one row per design, scenario and dose, a column per per-dose metric
    beside its ``<metric>_mcse``) or "trial" (one row per design and scenario, the whole-trial metrics the
    same way)."""
    from ..display import frame

    if shape not in ("long", "dose", "trial"):
        raise ValueError(f"shape: {shape!r} is not one of 'long', 'dose', 'trial'")
    df = frame(rows, TIDY_COLUMNS, attrs)
    if shape == "long":
        return df
    import pandas as pd

    per_dose = df["dose"] != ""
    part = df[per_dose] if shape == "dose" else df[~per_dose]
    keys = ["design", "scenario", "dose"] if shape == "dose" else ["design", "scenario"]
    order = list(dict.fromkeys(part["metric"]))
    values = part.pivot_table(index=keys, columns="metric", values="value", sort=False, dropna=False)
    mcse = part.pivot_table(index=keys, columns="metric", values="mcse", sort=False, dropna=False)
    mcse.columns = [f"{c}_mcse" for c in mcse.columns]
    out = pd.concat([values, mcse], axis=1)
    out = out[[c for m in order for c in (m, f"{m}_mcse")]].reset_index()
    out.columns.name = None
    out.attrs.update(df.attrs)
    return out


def study_html(ocs, provenance: dict | None) -> str:
    """Notebook view of operating characteristics: per scenario, one line per design with the headline
    metrics and the selection percentage per dose, each with its MCSE in parentheses."""
    from ..display import html_table, paragraph, with_mcse

    parts = []
    if provenance:
        what = "exact (no Monte Carlo error)" if provenance.get("method") == "exact" else "simulation"
        parts.append(
            paragraph(
                f"dosefind {provenance.get('version', '')}: {provenance.get('n_trials', '')} trials, seed "
                f"{provenance.get('seed', '')}, {what}; config {provenance.get('config_hash', '')}"
            )
        )
    by_scenario: dict[str, list] = {}
    for oc in ocs:
        by_scenario.setdefault(oc.scenario, []).append(oc)
    for scenario, group in by_scenario.items():
        heads = [(m, h) for m, h in HEADLINE_METRICS if any(m in oc.values for oc in group)]
        labels = group[0].dose_labels
        header = ["design", "trials", *[h for _, h in heads], *[f"select {lab} %" for lab in labels]]
        rows = []
        for oc in group:
            row = [oc.design, oc.n_trials]
            for m, h in heads:
                v, se = oc.values.get(m), oc.mcse.get(m)
                row.append(with_mcse(v, se, 2, percent=h.endswith("%")))
            for v, se in zip(oc.values["prob_select"], oc.mcse["prob_select"], strict=True):
                row.append(with_mcse(v, se, percent=True))
            rows.append(row)
        parts.append(html_table(header, rows, caption=f"scenario {scenario} (MCSE in parentheses)"))
    return "".join(parts)
