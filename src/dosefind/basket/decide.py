"""The one decision code path of a basket design: the posterior of every cohort given the data so far,
then each open cohort's decision at this look. Simulation, exact enumeration and live analysis all call
:func:`analyze` and :func:`decide`.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from .beta import fujikawa_shapes, prob_above
from .spec import BasketDesign, Berry, Cbhm, Cohort, Exnex, Fujikawa, Independent, RuleDesign


class CohortStatus(IntEnum):
    OPEN = 0  # still enrolling: no decision yet
    STOP_FUTILITY = 1  # stopped at an interim look for futility (no go)
    STOP_EFFICACY = 2  # stopped at an interim look with a go
    NO_GO = 3  # final analysis: no go
    GO = 4  # final analysis: go


GO_STATUSES = (CohortStatus.STOP_EFFICACY, CohortStatus.GO)

STATUS_WORDS = {
    CohortStatus.OPEN: "continue",
    CohortStatus.STOP_FUTILITY: "stop (futility)",
    CohortStatus.STOP_EFFICACY: "go (early)",
    CohortStatus.NO_GO: "no go",
    CohortStatus.GO: "go",
}


def independent_shapes(prior, n, x) -> tuple[np.ndarray, np.ndarray]:
    a, b = prior
    return a + x, b + n - x


def analyze(
    design: BasketDesign, cohorts: tuple[Cohort, ...], n: np.ndarray, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(P(q_k > q0_k | data), posterior mean of q_k), arrays [V, K], for data arrays n, x of shape [V, K]
    (every cohort's data so far, stopped cohorts included: a borrowing design borrows from them)."""
    n = np.asarray(n, dtype=np.int64)
    x = np.asarray(x, dtype=np.int64)
    q0 = np.array([c.q0 for c in cohorts])
    if isinstance(design, (Independent, RuleDesign)):
        a, b = independent_shapes(design.prior, n, x)
        return prob_above(a, b, q0[None, :]), a / (a + b)
    if isinstance(design, Fujikawa):
        sizes = tuple(sorted({s for c in cohorts for s in c.looks}))
        a, b, _ = fujikawa_shapes(n, x, design.prior, design.epsilon, design.tau, design.share_prior, sizes)
        return prob_above(a, b, q0[None, :]), a / (a + b)
    if isinstance(design, (Berry, Exnex)):
        from .hierarchy import hierarchy_probabilities

        return hierarchy_probabilities(design, cohorts, n, x)
    if isinstance(design, Cbhm):
        from .cbhm import cbhm_probabilities

        return cbhm_probabilities(design, cohorts, n, x)
    raise TypeError(f"no posterior for {type(design).__name__}")  # pragma: no cover


def decide(
    design: BasketDesign, look: int, final: bool, prob: np.ndarray, x: np.ndarray | None = None
) -> np.ndarray:
    """Status of each cohort analysed at ``look`` (0-based; ``final``: its last look), from P(q > q0)
    (posterior designs) or the response counts ``x`` (Simon / BOP2 boundaries)."""
    if isinstance(design, RuleDesign):
        bnd = design.boundaries()
        go = x >= bnd.efficacy[look]
        stop = x <= bnd.futility[look]
    else:
        if final:
            go = prob > design.threshold
            stop = ~go
        else:
            go = prob > design.efficacy if design.efficacy is not None else np.zeros(prob.shape, bool)
            stop = prob < design.futility if design.futility is not None else np.zeros(prob.shape, bool)
    out = np.full(prob.shape, int(CohortStatus.OPEN), dtype=np.int8)
    if final:
        out[:] = np.where(go, int(CohortStatus.GO), int(CohortStatus.NO_GO))
    else:
        out[stop] = int(CohortStatus.STOP_FUTILITY)
        out[go] = int(CohortStatus.STOP_EFFICACY)
    return out


def run_looks(design: BasketDesign, cohorts: tuple[Cohort, ...], counts: np.ndarray):
    """Every trial's path through the looks, from the response counts x[t, k, l] at each cohort's looks.

    Returns (status [T, K], n_used [T, K], x_used [T, K], prob [T, K], estimate [T, K]): each cohort's
    final status, its patients and responses when it stopped, and P(q > q0) and the posterior mean of its
    last analysis (with the borrowing of that look)."""
    n_trials, k, n_looks = counts.shape
    looks = np.array([c.looks for c in cohorts], dtype=np.int64)
    status = np.zeros((n_trials, k), dtype=np.int8)
    n_used = np.repeat(looks[None, :, 0], n_trials, axis=0)
    x_used = counts[:, :, 0].copy()
    prob = np.zeros((n_trials, k))
    est = np.zeros((n_trials, k))
    for look in range(n_looks):
        open_ = status == CohortStatus.OPEN
        rows = np.flatnonzero(open_.any(axis=1))
        if rows.size == 0:
            break
        n_now = np.where(open_[rows], looks[None, :, look], n_used[rows])
        x_now = np.where(open_[rows], counts[rows, :, look], x_used[rows])
        p, m = analyze(design, cohorts, n_now, x_now)
        new = decide(design, look, look == n_looks - 1, p, x_now)
        o = open_[rows]
        sub_status = status[rows]
        sub_status[o] = new[o]
        status[rows] = sub_status
        for arr, val in ((n_used, n_now), (x_used, x_now), (prob, p), (est, m)):
            sub = arr[rows]
            sub[o] = val[o]
            arr[rows] = sub
    return status, n_used, x_used, prob, est
