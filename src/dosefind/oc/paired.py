"""Paired comparison of two designs simulated on the same patients (common random numbers).

Two results from the same seed, scenario and number of trials treat the same patients in trial t, so the
per-trial metrics x_t (design A) and y_t (design B) are paired. For each metric:

* ``diff`` = mean(x) - mean(y);
* ``se_paired`` = sd(x - y) / sqrt(T), the MCSE of ``diff`` that uses the pairing;
* ``se_unpaired`` = sqrt(var(x)/T + var(y)/T), what the MCSE would be with independent patients;
* ``variance_ratio`` = (var(x) + var(y)) / var(x - y), the variance reduction bought by common random
  numbers (> 1 when the designs' metrics are positively correlated).

Sample variances use ddof=1. Per-trial metrics (the true MTD is the highest correct dose, as in
:mod:`dosefind.oc.metrics`): ``correct_selection`` (a correct dose selected), ``select_above_mtd``
(selected dose above the true MTD), ``n_total`` (patients treated), ``tox_total`` (DLTs),
``n_above_mtd`` (patients treated above the true MTD) and ``early_stop`` (stopped with no dose selected).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..constants import TIE_TOLERANCE, Status
from ..engine import SimResult
from ..errors import SpecError
from .metrics import correct_selection, doses_above_mtd, included_doses

PAIRED_METRICS = (
    "correct_selection",
    "select_above_mtd",
    "n_total",
    "tox_total",
    "n_above_mtd",
    "early_stop",
)


def per_trial_metrics(result: SimResult, acceptable_band: float | None = None) -> dict[str, np.ndarray]:
    """The per-trial values (float arrays of length n_trials) behind every paired metric."""
    above = doses_above_mtd(result.design, result.scenario.true_tox, acceptable_band)
    sel = result.selected.astype(np.int64)
    hit = correct_selection(
        sel, result.scenario.true_tox, result.design.target, acceptable_band, included_doses(result.design)
    ).astype(np.float64)
    valid = sel >= 0
    select_above = np.zeros(sel.shape[0], dtype=np.float64)
    select_above[valid] = above[sel[valid]]
    n_at = result.n_at_dose.astype(np.float64)
    return {
        "correct_selection": hit,
        "select_above_mtd": select_above,
        "n_total": n_at.sum(axis=1),
        "tox_total": result.tox_at_dose.astype(np.float64).sum(axis=1),
        "n_above_mtd": n_at[:, above].sum(axis=1),
        "early_stop": (result.status == Status.STOP_NO_DOSE).astype(np.float64),
    }


@dataclass(frozen=True)
class PairedComparison:
    """Design A minus design B on the same patients; ``values[metric]`` holds the row of each metric."""

    name_a: str
    name_b: str
    scenario: str
    seed: int
    n_trials: int
    values: dict

    def rows(self) -> list[dict]:
        """Tidy rows: metric, design_a (mean of A), design_b (mean of B), diff, se_paired, se_unpaired,
        variance_ratio."""
        return [dict(metric=m, **self.values[m]) for m in PAIRED_METRICS]


def _check_paired(a: SimResult, b: SimResult) -> None:
    problems = []
    if a.seed != b.seed:
        problems.append(f"seeds differ ({a.seed} vs {b.seed})")
    if a.scenario.key != b.scenario.key or tuple(a.scenario.true_tox) != tuple(b.scenario.true_tox):
        problems.append(f"scenarios differ ({a.scenario.name!r} vs {b.scenario.name!r})")
    if a.n_trials != b.n_trials:
        problems.append(f"numbers of trials differ ({a.n_trials} vs {b.n_trials})")
    if abs(a.design.target - b.design.target) > TIE_TOLERANCE:
        problems.append(f"targets differ ({a.design.target} vs {b.design.target}), so do the correct doses")
    if problems:
        raise SpecError(
            "paired_comparison",
            f"designs {a.design.name!r} and {b.design.name!r} were not simulated on the same patients: "
            + "; ".join(problems),
            "simulate both with the same seed, scenario, number of trials and target",
        )


def _row(x: np.ndarray, y: np.ndarray) -> dict:
    T = x.shape[0]
    mean_a, mean_b = float(x.mean()), float(y.mean())
    if T < 2:
        return paired_row(mean_a, mean_b, mean_a - mean_b, math.nan, math.nan, math.nan, T)
    var_a, var_b, var_d = (float(np.var(z, ddof=1)) for z in (x, y, x - y))
    return paired_row(mean_a, mean_b, mean_a - mean_b, var_a, var_b, var_d, T)


def paired_row(
    mean_a: float, mean_b: float, diff: float, var_a: float, var_b: float, var_d: float, T: int
) -> dict:
    """One metric's row from the means, the difference and the sample variances of x, y and x - y over T
    paired trials (variances nan when T < 2)."""
    if T < 2:
        return dict(
            design_a=mean_a,
            design_b=mean_b,
            diff=diff,
            se_paired=math.nan,
            se_unpaired=math.nan,
            variance_ratio=math.nan,
        )
    if var_d > 0:
        ratio = (var_a + var_b) / var_d
    else:
        ratio = float("inf") if var_a + var_b > 0 else float("nan")
    return dict(
        design_a=mean_a,
        design_b=mean_b,
        diff=diff,
        se_paired=float(np.sqrt(var_d / T)),
        se_unpaired=float(np.sqrt(var_a / T + var_b / T)),
        variance_ratio=ratio,
    )


def paired_comparison(
    result_a: SimResult, result_b: SimResult, acceptable_band: float | None = None
) -> PairedComparison:
    """Compare design A with design B (A - B) on common random numbers; see the module docstring."""
    _check_paired(result_a, result_b)
    xa = per_trial_metrics(result_a, acceptable_band)
    xb = per_trial_metrics(result_b, acceptable_band)
    values = {m: _row(xa[m], xb[m]) for m in PAIRED_METRICS}
    return PairedComparison(
        name_a=result_a.design.name,
        name_b=result_b.design.name,
        scenario=result_a.scenario.name,
        seed=result_a.seed,
        n_trials=result_a.n_trials,
        values=values,
    )
