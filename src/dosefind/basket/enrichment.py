"""Two-stage enrichment baskets (``kind = "enrichment"``; rules in docs/notes/enrichment-conventions.md).

Stage 1 treats every cohort to n1_k; each group of cohorts then pools or not (Cunanan et al. 2017's
heterogeneity test: Fisher's exact test of equal rates, Freeman-Halton for more than two cohorts), and
continues as one pooled cohort or separately in its flagged cohorts (with the unflagged cohorts'
places reallocated, if asked). :func:`group_stage1` is the one stage-1 decision and :func:`final` the
one final decision: simulation (:func:`simulate`), exact operating characteristics (:func:`exact_values`)
and the live analysis all call them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import EngineError
from ..extension._prob import binom_pmf
from .beta import prob_above
from .decide import CohortStatus
from .spec import ENRICHMENT_MAX_TABLES, Cohort, Enrichment

#: relative tolerance of "at most as probable as the observed table" (R's fisher.test's relErr 1 + 1e-7)
FISHER_RTOL = 1e-7


def _radix_key(x: np.ndarray, sizes: tuple[int, ...]) -> np.ndarray:
    """Mixed-radix index of rows x [V, m] with digit k in 0..sizes[k] (the first digit most significant)."""
    key = np.zeros(x.shape[0], dtype=np.int64)
    for k, s in enumerate(sizes):
        key = key * (s + 1) + x[:, k]
    return key


def all_tables(sizes: tuple[int, ...]) -> np.ndarray:
    """Every response vector (t_1..t_m), 0 <= t_k <= sizes[k], in mixed-radix order [S, m]."""
    from .exact import grid_rows

    return grid_rows([int(s) + 1 for s in sizes])


def table_count(sizes) -> int:
    return math.prod(int(s) + 1 for s in sizes)


def check_tables(sizes: tuple[int, ...], what: str) -> None:
    count = table_count(sizes)
    if count > ENRICHMENT_MAX_TABLES:
        raise EngineError(
            f"{what} enumerates {count:.3g} stage-1 tables (prod of n1 + 1 over the group), above "
            f"{ENRICHMENT_MAX_TABLES:.0e}; use smaller groups or smaller stage-1 sizes"
        )


@lru_cache(maxsize=16)
def fisher_table(sizes: tuple[int, ...]) -> np.ndarray:
    """The Freeman-Halton p-value of every stage-1 table with row sizes ``sizes`` (mixed-radix order):
    given the total responses R, the tables' probabilities are prod_k C(n_k, t_k) / C(N, R); the p-value
    of a table sums those at most its own times (1 + 1e-7)."""
    check_tables(sizes, "the heterogeneity test")
    from scipy.special import gammaln

    t = all_tables(sizes)
    n = np.array(sizes, dtype=np.int64)
    log_c = gammaln(n + 1) - gammaln(t + 1) - gammaln(n - t + 1)
    lp = log_c.sum(axis=1)
    total = t.sum(axis=1)
    big_n = int(n.sum())
    lp = lp - (gammaln(big_n + 1) - gammaln(total + 1) - gammaln(big_n - total + 1))
    prob = np.exp(lp)
    out = np.empty(t.shape[0])
    order = np.lexsort((prob, total))
    sorted_total = total[order]
    sorted_prob = prob[order]
    starts = np.searchsorted(sorted_total, np.arange(big_n + 2))
    for r in range(big_n + 1):
        lo, hi = starts[r], starts[r + 1]
        if lo == hi:
            continue
        p = sorted_prob[lo:hi]
        cum = np.cumsum(p)
        last = np.searchsorted(p, p * (1.0 + FISHER_RTOL), side="right") - 1
        out[order[lo:hi]] = np.minimum(cum[last], 1.0)
    return out


def fisher_pvalue(n1: tuple[int, ...], x: np.ndarray) -> np.ndarray:
    """Freeman-Halton p-values of rows x [V, m] (responses of m cohorts of stage-1 sizes ``n1``)."""
    return fisher_table(tuple(int(s) for s in n1))[_radix_key(np.asarray(x, dtype=np.int64), tuple(n1))]


def shares(total: int, m: int) -> np.ndarray:
    """``total`` places over m cohorts as equal as possible, the first ``total mod m`` taking one more."""
    base, extra = divmod(int(total), m)
    return np.array([base + (1 if j < extra else 0) for j in range(m)], dtype=np.int64)


@dataclass(frozen=True)
class GroupStage1:
    """One group's stage-1 decision for V data rows: ``pooled`` [V], ``stop`` [V, m] (stopped for
    futility), ``extra`` [V, m] (stage-2 patients), ``pvalue`` [V] (NaN when not tested)."""

    pooled: np.ndarray
    stop: np.ndarray
    extra: np.ndarray
    pvalue: np.ndarray


def group_cohorts(design: Enrichment, cohorts: tuple[Cohort, ...]) -> tuple[tuple[int, ...], ...]:
    """The groups that decide together: the design's, or every cohort alone when nothing pools and
    nothing is reallocated (the groups then change nothing, and each cohort is enumerated on its own)."""
    if design.pool == "never" and not design.reallocate:
        return tuple((i,) for i in range(len(cohorts)))
    return design.group_indices(cohorts)


def pooled_size(design: Enrichment, cohorts: tuple[Cohort, ...], idx: tuple[int, ...]) -> int:
    """The pooled stage 2's patients of a group: ``pooled_n``, else the sum of its cohorts' n - n1."""
    if design.pooled_n is not None:
        return design.pooled_n
    return sum(cohorts[i].n - cohorts[i].looks[0] for i in idx)


def can_pool(design: Enrichment, idx: tuple[int, ...]) -> bool:
    return design.pool != "never" and len(idx) > 1


def flagged(design: Enrichment, cohorts: tuple[Cohort, ...], idx, x1: np.ndarray) -> np.ndarray:
    """[V, m]: the cohorts a separate path continues (the flag rule on each cohort's own stage-1 data)."""
    n1 = np.array([cohorts[i].looks[0] for i in idx])
    q0 = np.array([cohorts[i].q0 for i in idx])
    ok = np.ones(x1.shape, dtype=bool)
    if design.flag_min_responses is not None:
        ok &= x1 >= design.flag_min_responses
    if design.futility is not None:
        a, b = design.prior
        ok &= prob_above(a + x1, b + n1[None, :] - x1, q0[None, :]) >= design.futility
    return ok


def group_stage1(design: Enrichment, cohorts: tuple[Cohort, ...], idx, x1: np.ndarray) -> GroupStage1:
    """The stage-1 decision of the group ``idx`` (cohort indices) for stage-1 responses x1 [V, m]."""
    x1 = np.asarray(x1, dtype=np.int64)
    v, m = x1.shape
    n1 = tuple(cohorts[i].looks[0] for i in idx)
    stage2 = np.array([cohorts[i].n - cohorts[i].looks[0] for i in idx], dtype=np.int64)
    pvalue = np.full(v, np.nan)
    if not can_pool(design, idx):
        pooled = np.zeros(v, dtype=bool)
    elif design.pool == "always":
        pooled = np.ones(v, dtype=bool)
    else:
        pvalue = fisher_pvalue(n1, x1)
        pooled = pvalue > design.gamma
    # separate path
    flag = flagged(design, cohorts, idx, x1)
    extra = np.where(flag, stage2[None, :], 0)
    if design.reallocate and m > 1:
        freed = np.where(flag, 0, stage2[None, :]).sum(axis=1)
        n_flag = flag.sum(axis=1)
        rank = np.cumsum(flag, axis=1) - 1  # order of each flagged cohort among the flagged
        safe = np.maximum(n_flag, 1)[:, None]
        base = freed[:, None] // safe
        more = (rank < (freed[:, None] % safe)).astype(np.int64)
        extra = extra + np.where(flag, base + more, 0)
    stop = ~flag
    if pooled.any():
        goes_on = x1[pooled].sum(axis=1) >= design.pool_min_responses
        pooled_extra = shares(pooled_size(design, cohorts, idx), m)
        extra[pooled] = np.where(goes_on[:, None], pooled_extra[None, :], 0)
        stop[pooled] = ~goes_on[:, None]
    return GroupStage1(pooled, stop, extra, pvalue)


def posterior(design: Enrichment, cohorts, idx, pooled: np.ndarray, n: np.ndarray, x: np.ndarray):
    """(P(q > q0), posterior mean) [V, m] that the group's cohorts report for totals n, x [V, m]: the
    pooled Beta posterior in pooled rows, each cohort's own elsewhere."""
    a, b = design.prior
    q0 = np.array([cohorts[i].q0 for i in idx])
    nn = np.where(pooled[:, None], n.sum(axis=1, keepdims=True), n)
    xx = np.where(pooled[:, None], x.sum(axis=1, keepdims=True), x)
    return prob_above(a + xx, b + nn - xx, q0[None, :]), (a + xx) / (a + b + nn)


def final(design: Enrichment, cohorts, idx, stage: GroupStage1, n: np.ndarray, x: np.ndarray):
    """(status, P(q > q0), estimate) [V, m] of the group's cohorts with totals n, x [V, m] (stage 1 plus
    stage 2; a stopped cohort's stage 1): stopped cohorts stop for futility, the others go when P(q > q0)
    exceeds the threshold (the pooled threshold in pooled rows)."""
    prob, est = posterior(design, cohorts, idx, stage.pooled, n, x)
    thr = np.where(stage.pooled, design.final_threshold(), design.threshold)[:, None]
    status = np.where(prob > thr, int(CohortStatus.GO), int(CohortStatus.NO_GO)).astype(np.int8)
    status[stage.stop] = int(CohortStatus.STOP_FUTILITY)
    return status, prob, est


# ---------------------------------------------------------------- simulation


def simulate_chunk(
    design: Enrichment, cohorts: tuple[Cohort, ...], rates, seed: int, first_trial: int, m: int
):
    """(status, n_used, x_used, prob, estimate, pooled) [m, K] of trials first_trial .. first_trial + m - 1:
    stage 1 from the cohorts' first n1 patients, stage 2 from their next patients (the same latent
    uniforms as every basket design's)."""
    from .kernels import response_counts, responses_after

    rates = np.asarray(rates, dtype=float)
    k = len(cohorts)
    n1 = np.array([c.looks[0] for c in cohorts], dtype=np.int64)
    x1 = response_counts(np.int64(seed), np.int64(0), np.int64(first_trial), m, rates, n1[:, None])[:, :, 0]
    out = [
        np.zeros((m, k), dtype=np.int8),
        np.zeros((m, k), dtype=np.int64),
        np.zeros((m, k), dtype=np.int64),
        np.zeros((m, k)),
        np.zeros((m, k)),
        np.zeros((m, k), dtype=bool),
    ]
    extra = np.zeros((m, k), dtype=np.int64)
    stages = []
    for idx in group_cohorts(design, cohorts):
        st = group_stage1(design, cohorts, idx, x1[:, list(idx)])
        extra[:, list(idx)] = st.extra
        stages.append((idx, st))
    x2 = responses_after(np.int64(seed), np.int64(0), np.int64(first_trial), rates, n1, extra)
    n = n1[None, :] + extra
    x = x1 + x2
    for idx, st in stages:
        cols = list(idx)
        status, prob, est = final(design, cohorts, idx, st, n[:, cols], x[:, cols])
        values = (status, n[:, cols], x[:, cols], prob, est, st.pooled[:, None])
        for arr, val in zip(out, values, strict=True):
            arr[:, cols] = val
    return tuple(out)


# ---------------------------------------------------------------- exact operating characteristics


def exact_size(design: Enrichment, cohorts: tuple[Cohort, ...]) -> int:
    """Stage-1 tables the exact run enumerates (the sum over groups of prod_k (n1_k + 1))."""
    return sum(table_count([cohorts[i].looks[0] for i in g]) for g in group_cohorts(design, cohorts))


def check(design: Enrichment, cohorts: tuple[Cohort, ...]) -> None:
    """Refuse groups whose stage-1 tables are too many to enumerate (exact runs, heterogeneity tests)."""
    for g in group_cohorts(design, cohorts):
        sizes = tuple(cohorts[i].looks[0] for i in g)
        names = ", ".join(cohorts[i].name for i in g)
        check_tables(sizes, f"the group {names}")


def _stage2_moments(a, b, q0, thr, x1, n1, m, q):
    """For a cohort (or a pooled group) with x1 responses of n1 and m more patients whose responses have
    the pmf ``q`` (length m + 1): (P(go), E[mean], E[mean^2]) of the final Beta(a + X, b + N - X)."""
    y = np.arange(m + 1)
    xt = x1 + y
    nt = n1 + m
    go = prob_above(a + xt, b + nt - xt, q0) > thr
    mean = (a + xt) / (a + b + nt)
    return float(q[go].sum()), float(q @ mean), float(q @ mean**2)


def exact_values(design: Enrichment, cohorts: tuple[Cohort, ...], rates) -> tuple[dict, float, float]:
    """Exact per-cohort sums ({"go", "fut", "eff", "n", "bias", "mse", "pooled"} -> [K]), FWER and
    P(any go): each group's stage-1 tables enumerated with their binomial probabilities, decided by
    :func:`group_stage1`, then stage 2 summed exactly (separate cohorts are independent given stage 1; a
    pooled stage 2's responses are the convolution of its cohorts' binomials). Groups are independent."""
    check(design, cohorts)
    rates = np.asarray(rates, dtype=float)
    k = len(cohorts)
    a, b = design.prior
    out = {key: np.zeros(k) for key in ("go", "fut", "eff", "n", "bias", "mse", "pooled")}
    no_null_go = 1.0
    no_go = 1.0
    for idx in group_cohorts(design, cohorts):
        cols = list(idx)
        n1 = np.array([cohorts[i].looks[0] for i in idx], dtype=np.int64)
        q = rates[cols]
        q0 = np.array([cohorts[i].q0 for i in idx])
        null = q <= q0
        x1 = all_tables(tuple(int(s) for s in n1))
        w = np.prod([binom_pmf(x1[:, j], int(n1[j]), float(q[j])) for j in range(len(idx))], axis=0)
        st = group_stage1(design, cohorts, idx, x1)
        v = x1.shape[0]
        pgo = np.zeros((v, len(idx)))
        e_mean = np.zeros((v, len(idx)))
        e_sq = np.zeros((v, len(idx)))
        # stopped at stage 1: the stage-1 posterior (pooled or own)
        mean1 = posterior(design, cohorts, idx, st.pooled, np.broadcast_to(n1, x1.shape), x1)[1]
        e_mean[:] = mean1
        e_sq[:] = mean1**2
        # pooled rows that continue: one convolution for the group
        cont = st.pooled & ~st.stop[:, 0]
        if cont.any():
            alloc = st.extra[np.flatnonzero(cont)[0]]
            pmf = np.ones(1)
            for j in range(len(idx)):
                pmf = np.convolve(pmf, binom_pmf(np.arange(alloc[j] + 1), int(alloc[j]), float(q[j])))
            big_n1 = int(n1.sum())
            m_pool = int(alloc.sum())
            totals = x1[cont].sum(axis=1)
            memo = {
                int(t): _stage2_moments(a, b, q0[0], design.final_threshold(), int(t), big_n1, m_pool, pmf)
                for t in np.unique(totals)
            }
            vals = np.array([memo[int(t)] for t in totals])
            pgo[cont] = vals[:, :1]
            e_mean[cont] = vals[:, 1:2]
            e_sq[cont] = vals[:, 2:3]
        # separate rows, per cohort: independent given stage 1
        sep = ~st.pooled
        for j in range(len(idx)):
            rows = np.flatnonzero(sep & ~st.stop[:, j])
            if rows.size == 0:
                continue
            pairs = np.stack([x1[rows, j], st.extra[rows, j]], axis=1)
            uniq, inv = np.unique(pairs, axis=0, return_inverse=True)
            vals = np.array(
                [
                    _stage2_moments(
                        a,
                        b,
                        q0[j],
                        design.threshold,
                        int(xx),
                        int(n1[j]),
                        int(mm),
                        binom_pmf(np.arange(mm + 1), int(mm), float(q[j])),
                    )
                    for xx, mm in uniq
                ]
            )[np.ravel(inv)]
            pgo[rows, j] = vals[:, 0]
            e_mean[rows, j] = vals[:, 1]
            e_sq[rows, j] = vals[:, 2]
        n_used = n1[None, :] + st.extra
        out["go"][cols] += w @ pgo
        out["fut"][cols] += w @ st.stop
        out["n"][cols] += w @ n_used
        out["bias"][cols] += w @ (e_mean - q[None, :])
        out["mse"][cols] += w @ (e_sq - 2.0 * q[None, :] * e_mean + q[None, :] ** 2)
        out["pooled"][cols] += float(w @ st.pooled)
        # the group's chance of no go (among null cohorts / among all): a pooled group goes as one
        p_pool_go = pgo[:, 0]
        none_sep = np.prod(1.0 - pgo, axis=1)
        none_null_sep = np.prod(np.where(null[None, :], 1.0 - pgo, 1.0), axis=1)
        none = np.where(st.pooled, 1.0 - p_pool_go, none_sep)
        none_null = np.where(st.pooled, 1.0 - p_pool_go if null.any() else 1.0, none_null_sep)
        no_go *= float(w @ none)
        no_null_go *= float(w @ none_null)
    null_all = np.array([rates[i] <= c.q0 for i, c in enumerate(cohorts)])
    fwer = 1.0 - no_null_go if null_all.any() else 0.0
    return out, fwer, 1.0 - no_go
