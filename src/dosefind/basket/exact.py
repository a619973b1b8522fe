"""Exact operating characteristics of a basket design, by the same decision code as the simulation.

* Designs without borrowing (independent beta-binomial, Simon, BOP2): cohorts are independent, so each
  cohort's look-by-look distribution of responses among those still enrolling is propagated exactly
  (dynamic programming, every look's decision from :func:`decide.decide`); trial-level metrics follow
  from independence (FWER = 1 - prod over null cohorts of (1 - P(go))).
* Designs with borrowing and one analysis (Fujikawa, Berry, EXNEX, CBHM): every response-count vector
  (x_1, ..., x_K) is enumerated, with probability prod_k Binomial(x_k | n_k, q_k), in chunks. The number
  of vectors prod_k (n_k + 1) grows fast; a run that would take longer than ``max_seconds`` is refused with
  the estimate (simulate instead). Interim looks with borrowing are refused too (the paths multiply).

Rows have the shape of the simulation's rows, with ``mcse`` 0.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import EngineError
from ..extension._prob import binom_pmf
from .decide import GO_STATUSES, CohortStatus, analyze, decide
from .spec import BasketDesign, BasketScenario, Cohort

SECONDS_PER_VECTOR = {"fujikawa": 3e-6, "berry": 4e-5, "exnex": 8e-5, "cbhm": 1e-3}
MAX_SECONDS = 600.0
CHUNK = 200_000


def enumeration_size(cohorts: tuple[Cohort, ...]) -> int:
    return math.prod(c.n + 1 for c in cohorts)


def check_exact(design: BasketDesign, cohorts: tuple[Cohort, ...], max_seconds: float = MAX_SECONDS) -> None:
    """Refuse (EngineError, with the estimate) what exact enumeration cannot do in ``max_seconds``."""
    if not design.borrows:
        return
    if len(cohorts[0].looks) > 1:
        raise EngineError(
            f"exact operating characteristics of {design.kind} with interim looks are not available (the "
            "paths multiply); simulate instead, or give each cohort one look"
        )
    size = enumeration_size(cohorts)
    seconds = size * SECONDS_PER_VECTOR[design.kind]
    if seconds > max_seconds:
        raise EngineError(
            f"exact operating characteristics of {design.kind} need {size:.3g} response vectors (about "
            f"{seconds:.3g} s, the limit is {max_seconds:g} s); simulate instead, or use fewer or "
            "smaller cohorts"
        )


def _row(design, scenario, metric, cohort, value) -> dict:
    return {
        "design": design.name,
        "scenario": scenario.name,
        "metric": metric,
        "cohort": cohort,
        "value": float(value),
        "mcse": 0.0,
    }


def _independent(design: BasketDesign, cohorts, rates) -> dict[str, np.ndarray]:
    """Per cohort: P(go), P(stop futility), P(stop efficacy), E n, bias, MSE, by dynamic programming."""
    k = len(cohorts)
    n_looks = len(cohorts[0].looks)
    looks = np.array([c.looks for c in cohorts])
    width = int(looks.max()) + 1
    dist = np.zeros((k, width))
    dist[:, 0] = 1.0  # P(still open with x responses) before the first look
    out = {m: np.zeros(k) for m in ("go", "fut", "eff", "n", "bias", "mse")}
    prev = np.zeros(k, dtype=int)
    xs = np.arange(width)
    for look in range(n_looks):
        new = np.zeros_like(dist)
        for i in range(k):
            m = int(looks[i, look] - prev[i])
            pmf = binom_pmf(np.arange(m + 1), m, float(rates[i]))
            new[i] = np.convolve(dist[i], pmf)[:width]
        n_now = np.repeat(looks[None, :, look], width, axis=0)
        x_now = np.minimum(xs[:, None], n_now)
        p, mean = analyze(design, cohorts, n_now, x_now)
        status = decide(design, look, look == n_looks - 1, p, x_now)
        valid = xs[:, None] <= looks[None, :, look]
        for i in range(k):
            w = np.where(valid[:, i], new[i], 0.0)
            st = status[:, i]
            stop = st != CohortStatus.OPEN
            err = mean[:, i] - rates[i]
            out["go"][i] += w[np.isin(st, [int(s) for s in GO_STATUSES])].sum()
            out["fut"][i] += w[st == CohortStatus.STOP_FUTILITY].sum()
            out["eff"][i] += w[st == CohortStatus.STOP_EFFICACY].sum()
            out["n"][i] += w[stop].sum() * looks[i, look]
            out["bias"][i] += (w * err)[stop].sum()
            out["mse"][i] += (w * err**2)[stop].sum()
            dist[i] = np.where(stop, 0.0, w)
        prev = looks[:, look]
    return out


def _enumerated(design: BasketDesign, cohorts, rates) -> tuple[dict[str, np.ndarray], float, float]:
    """Per cohort metrics, P(a go in some null cohort) and P(any go), over every response vector."""
    k = len(cohorts)
    sizes = np.array([c.n for c in cohorts])
    null = np.array([q <= c.q0 for q, c in zip(rates, cohorts, strict=True)])
    pmfs = [binom_pmf(np.arange(c.n + 1), c.n, float(q)) for c, q in zip(cohorts, rates, strict=True)]
    total = enumeration_size(cohorts)
    out = {m: np.zeros(k) for m in ("go", "fut", "eff", "n", "bias", "mse")}
    out["n"][:] = sizes
    fwer = 0.0
    any_go = 0.0
    for start in range(0, total, CHUNK):
        idx = np.arange(start, min(start + CHUNK, total))
        x = np.empty((idx.size, k), dtype=np.int64)
        rest = idx
        for i in range(k - 1, -1, -1):
            x[:, i] = rest % (sizes[i] + 1)
            rest = rest // (sizes[i] + 1)
        w = np.ones(idx.size)
        for i in range(k):
            w *= pmfs[i][x[:, i]]
        n = np.repeat(sizes[None, :], idx.size, axis=0)
        p, mean = analyze(design, cohorts, n, x)
        go = np.isin(decide(design, 0, True, p, x), [int(s) for s in GO_STATUSES])
        err = mean - np.asarray(rates)[None, :]
        out["go"] += w @ go
        out["bias"] += w @ err
        out["mse"] += w @ err**2
        if null.any():
            fwer += w @ go[:, null].any(axis=1)
        any_go += w @ go.any(axis=1)
    return out, fwer, any_go


def exact_rows(
    design: BasketDesign,
    cohorts: tuple[Cohort, ...],
    scenario: BasketScenario,
    max_seconds: float = MAX_SECONDS,
) -> list[dict]:
    """Exact operating characteristics (rows as :func:`simulate.trial_rows`, mcse 0)."""
    check_exact(design, cohorts, max_seconds)
    rates = np.asarray(scenario.rates, dtype=float)
    null = np.array([q <= c.q0 for q, c in zip(rates, cohorts, strict=True)])
    if design.borrows:
        per, fwer, any_go = _enumerated(design, cohorts, rates)
    else:
        per = _independent(design, cohorts, rates)
        fwer = 1.0 - float(np.prod(1.0 - per["go"][null])) if null.any() else 0.0
        any_go = 1.0 - float(np.prod(1.0 - per["go"]))
    rows = []
    for i, c in enumerate(cohorts):
        rows.append(_row(design, scenario, "prob_go", c.name, per["go"][i]))
        rows.append(_row(design, scenario, "type1_error" if null[i] else "power", c.name, per["go"][i]))
        rows.append(_row(design, scenario, "prob_stop_futility", c.name, per["fut"][i]))
        rows.append(_row(design, scenario, "prob_stop_efficacy", c.name, per["eff"][i]))
        rows.append(_row(design, scenario, "mean_n", c.name, per["n"][i]))
        rows.append(_row(design, scenario, "bias", c.name, per["bias"][i]))
        rows.append(_row(design, scenario, "mse", c.name, per["mse"][i]))
    rows.append(_row(design, scenario, "fwer", "", fwer))
    rows.append(_row(design, scenario, "prob_any_go", "", any_go))
    rows.append(_row(design, scenario, "mean_total_n", "", per["n"].sum()))
    return rows
