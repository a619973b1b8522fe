"""Simulated basket trials and their operating characteristics with Monte Carlo standard errors.

Patient i of cohort k in trial t responds iff their latent uniform (seed, trial, cohort, patient; the
scenario key is 0, so every scenario and design sees the same patients) is below the cohort's true rate
(:func:`dosefind.basket.kernels.response_counts`); the looks then run through :func:`decide.run_looks`,
the same code the live analysis uses.

Tidy rows ``(design, scenario, metric, cohort, value, mcse)``; ``cohort`` is empty for trial-level metrics.
Per cohort: ``prob_go``, ``type1_error`` (cohorts whose true rate is <= q0) or ``power`` (the others),
``prob_stop_futility``, ``prob_stop_efficacy``, ``mean_n``, ``bias`` and ``mse`` of the posterior mean at
the cohort's last analysis (a two-stage enrichment design adds ``prob_pooled``: its group took the pooled
path). Per trial: ``fwer`` (a go in any cohort whose true rate is <= q0; under the
global null the family-wise error), ``prob_any_go``, ``mean_total_n``. Proportions have MCSE
sqrt(p (1 - p) / T), means sd / sqrt(T).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..oc.study import json_hash, run_provenance
from ..oc.sums import exact_float_sum, exact_mean, proportion
from .decide import GO_STATUSES, CohortStatus, run_looks
from .kernels import response_counts
from .spec import BasketDesign, BasketScenario, BasketSpec, Cohort, Enrichment

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
    #: a two-stage enrichment design's: whether each cohort's group pooled (None for other designs)
    pooled: np.ndarray | None = None


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
        if isinstance(design, Enrichment):
            from .enrichment import simulate_chunk

            parts.append(simulate_chunk(design, cohorts, rates, seed, first_trial + done, m))
        else:
            key = np.int64(first_trial + done)
            counts = response_counts(np.int64(seed), np.int64(0), key, m, rates, looks)
            parts.append(run_looks(design, cohorts, counts))
        done += m
        if progress is not None:
            progress(m)
    return BasketTrials(*(np.concatenate([p[i] for p in parts]) for i in range(len(parts[0]))))


class BasketSums:
    """Exact sufficient statistics of one basket design's trials in one scenario, added block by block:
    per (metric, cohort) the number of trials, and the exact sum and sum of squares of the per-trial
    values (integers for counts; exact sums of the floats, :func:`dosefind.oc.sums.exact_float_sum`, for
    bias and squared error). :func:`trial_rows` and the sweeps both go through it, so any split of the
    trials into blocks gives the same rows."""

    def __init__(self, design_name: str, scenario: BasketScenario, cohorts: tuple[Cohort, ...]):
        self.design_name = design_name
        self.scenario = scenario
        self.cohorts = cohorts
        #: (metric, cohort) -> [kind ("prop" | "mean"), n, S, Q]; a cohort's null/alternative metric is
        #: named by the scenario (type1_error or power)
        self.terms: dict[tuple[str, str], list] = {}

    def _add(self, metric: str, cohort: str, kind: str, x) -> None:
        x = np.asarray(x)
        if x.dtype.kind == "f":
            s, q = exact_float_sum(x), exact_float_sum(x * x)
        else:
            x = x.astype(np.int64)
            s, q = int(x.sum()), int(np.dot(x, x))
        t = self.terms.setdefault((metric, cohort), [kind, 0, 0, 0])
        t[1] += int(x.shape[0])
        t[2] += s
        t[3] += q

    def add(self, trials: BasketTrials) -> BasketSums:
        q = np.asarray(self.scenario.rates)
        q0 = np.array([c.q0 for c in self.cohorts])
        go = np.isin(trials.status, [int(s) for s in GO_STATUSES])
        for k, c in enumerate(self.cohorts):
            self._add("prob_go", c.name, "prop", go[:, k])
            self._add("type1_error" if q[k] <= q0[k] else "power", c.name, "prop", go[:, k])
            self._add("prob_stop_futility", c.name, "prop", trials.status[:, k] == CohortStatus.STOP_FUTILITY)
            self._add("prob_stop_efficacy", c.name, "prop", trials.status[:, k] == CohortStatus.STOP_EFFICACY)
            self._add("mean_n", c.name, "mean", trials.n_used[:, k])
            err = trials.estimate[:, k] - q[k]
            self._add("bias", c.name, "mean", err)
            self._add("mse", c.name, "mean", err**2)
            if trials.pooled is not None:
                self._add("prob_pooled", c.name, "prop", trials.pooled[:, k])
        null = q <= q0
        if null.any():
            self._add("fwer", "", "prop", go[:, null].any(axis=1))
        else:
            self.terms.setdefault(("fwer", ""), ["zero", 0, 0, 0])
        self._add("prob_any_go", "", "prop", go.any(axis=1))
        self._add("mean_total_n", "", "mean", trials.n_used.sum(axis=1))
        return self

    def rows(self) -> list[dict]:
        """Tidy rows (design, scenario, metric, cohort, value, mcse), as :func:`trial_rows`."""
        rows: list[dict] = []
        for (metric, cohort), (kind, n, s, q) in self.terms.items():
            if kind == "zero":  # no null cohort: no false go can happen
                pair = (0.0, 0.0)
            elif kind == "exact":  # an exact study's value (sweep/units.py): no Monte Carlo error
                pair = (float(s), 0.0) if n else (math.nan, math.nan)
            elif kind == "prop":
                pair = proportion(s, n)
            else:
                pair = exact_mean(s, q, n)
            rows.append(
                {
                    "design": self.design_name,
                    "scenario": self.scenario.name,
                    "metric": metric,
                    "cohort": cohort,
                    "value": pair[0],
                    "mcse": pair[1],
                }
            )
        return rows


def trial_rows(design_name: str, scenario: BasketScenario, cohorts, trials: BasketTrials) -> list[dict]:
    """Tidy operating-characteristic rows from simulated trials (through :class:`BasketSums`)."""
    return BasketSums(design_name, scenario, tuple(cohorts)).add(trials).rows()


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
