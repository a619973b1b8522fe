"""Simulated basket trials and their operating characteristics with Monte Carlo standard errors.

Patient i of cohort k in trial t responds iff their latent uniform (seed, trial, cohort, patient; the
scenario key is 0, so every scenario and design sees the same patients) is below the cohort's true rate
(:func:`dosefind.basket.kernels.response_counts`); the looks then run through :func:`decide.run_looks`,
the same code the live analysis uses.

Tidy rows ``(design, scenario, metric, cohort, value, mcse)``; ``cohort`` is empty for trial-level metrics.
Per cohort: ``prob_go``, ``type1_error`` (cohorts whose true rate is <= q0) or ``power`` (the others),
``prob_stop_futility``, ``prob_stop_efficacy``, ``mean_n``, ``bias`` and ``mse`` of the posterior mean at
the cohort's last analysis. Per trial: ``fwer`` (a go in any cohort whose true rate is <= q0; under the
global null the family-wise error), ``prob_any_go``, ``mean_total_n``. Proportions have MCSE
sqrt(p (1 - p) / T), means sd / sqrt(T).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..oc.metrics import _mean, _prop
from ..oc.study import json_hash, run_provenance
from .decide import GO_STATUSES, CohortStatus, run_looks
from .kernels import response_counts
from .spec import BasketDesign, BasketScenario, BasketSpec, Cohort

COHORT_METRICS = (
    "prob_go",
    "type1_error",
    "power",
    "prob_stop_futility",
    "prob_stop_efficacy",
    "mean_n",
    "bias",
    "mse",
)
TRIAL_METRICS = ("fwer", "prob_any_go", "mean_total_n")
CHUNK = 20_000


@dataclass(frozen=True)
class BasketTrials:
    """One row per simulated trial: each cohort's final status, patients, responses, P(q > q0) and
    posterior mean at its last analysis."""

    status: np.ndarray
    n_used: np.ndarray
    x_used: np.ndarray
    prob: np.ndarray
    estimate: np.ndarray


def simulate_trials(
    design: BasketDesign,
    cohorts: tuple[Cohort, ...],
    rates,
    n_trials: int,
    seed: int,
    first_trial: int = 0,
    progress: Callable[[int], None] | None = None,
) -> BasketTrials:
    """Simulate ``n_trials`` basket trials (in chunks; the result does not depend on the chunking)."""
    looks = np.array([c.looks for c in cohorts], dtype=np.int64)
    rates = np.asarray(rates, dtype=float)
    parts = []
    done = 0
    while done < n_trials:
        m = min(CHUNK, n_trials - done)
        counts = response_counts(np.int64(seed), np.int64(0), np.int64(first_trial + done), m, rates, looks)
        parts.append(run_looks(design, cohorts, counts))
        done += m
        if progress is not None:
            progress(m)
    return BasketTrials(*(np.concatenate([p[i] for p in parts]) for i in range(5)))


def trial_rows(design_name: str, scenario: BasketScenario, cohorts, trials: BasketTrials) -> list[dict]:
    """Tidy operating-characteristic rows from simulated trials."""
    rows: list[dict] = []
    q = np.asarray(scenario.rates)
    q0 = np.array([c.q0 for c in cohorts])
    go = np.isin(trials.status, [int(s) for s in GO_STATUSES])

    def add(metric, cohort, pair):
        rows.append(
            {
                "design": design_name,
                "scenario": scenario.name,
                "metric": metric,
                "cohort": cohort,
                "value": pair[0],
                "mcse": pair[1],
            }
        )

    for k, c in enumerate(cohorts):
        g = go[:, k].astype(float)
        add("prob_go", c.name, _prop(g))
        add("type1_error" if q[k] <= q0[k] else "power", c.name, _prop(g))
        for metric, st in (
            ("prob_stop_futility", CohortStatus.STOP_FUTILITY),
            ("prob_stop_efficacy", CohortStatus.STOP_EFFICACY),
        ):
            add(metric, c.name, _prop((trials.status[:, k] == st).astype(float)))
        add("mean_n", c.name, _mean(trials.n_used[:, k].astype(float)))
        err = trials.estimate[:, k] - q[k]
        add("bias", c.name, _mean(err))
        add("mse", c.name, _mean(err**2))
    null = q <= q0
    add("fwer", "", _prop(go[:, null].any(axis=1).astype(float)) if null.any() else (0.0, 0.0))
    add("prob_any_go", "", _prop(go.any(axis=1).astype(float)))
    add("mean_total_n", "", _mean(trials.n_used.sum(axis=1).astype(float)))
    return rows


@dataclass(frozen=True)
class BasketStudyResult:
    """Rows for every design x scenario of a basket file, with provenance."""

    spec: BasketSpec
    rows: tuple[dict, ...]
    provenance: dict

    def as_json(self) -> dict:
        return {"provenance": self.provenance, "rows": list(self.rows)}

    def to_frame(self):
        """The tidy rows (design, scenario, metric, cohort, value, mcse) as a DataFrame, provenance in
        ``.attrs``."""
        from ..display import frame

        columns = ("design", "scenario", "metric", "cohort", "value", "mcse")
        return frame(self.rows, columns, {"provenance": self.provenance})

    def _repr_html_(self) -> str:
        from ..display import html_table, with_mcse

        parts = []
        for scenario in dict.fromkeys(r["scenario"] for r in self.rows):
            rows = [
                [r["design"], r["metric"], r["cohort"], with_mcse(r["value"], r["mcse"])]
                for r in self.rows
                if r["scenario"] == scenario
            ]
            header = ["design", "metric", "cohort", "value (MCSE)"]
            parts.append(html_table(header, rows, caption=f"scenario {scenario}", max_rows=200))
        return "".join(parts)


def config_hash(spec: BasketSpec) -> str:
    return json_hash(spec.to_dict())


def simulate_basket(
    spec: BasketSpec,
    n_trials: int,
    seed: int,
    designs: tuple[BasketDesign, ...] | None = None,
    progress: Callable[[int], None] | None = None,
) -> BasketStudyResult:
    """Every design of the file under every scenario (the same patients throughout)."""
    rows: list[dict] = []
    for d in designs or spec.designs:
        for s in spec.scenarios:
            trials = simulate_trials(d, spec.cohorts, s.rates, n_trials, seed, progress=progress)
            rows.extend(trial_rows(d.name, s, spec.cohorts, trials))
    prov = run_provenance(config_hash(spec), n_trials, seed)
    return BasketStudyResult(spec, tuple(rows), prov)
