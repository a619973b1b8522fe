"""Exact operating characteristics of a basket design, by the same decision code as the simulation.

* Designs without borrowing (independent beta-binomial, Simon, BOP2): cohorts are independent, so each
  cohort's look-by-look distribution of responses among those still enrolling is propagated exactly
  (dynamic programming, every look's decision from :func:`decide.decide`); trial-level metrics follow
  from independence (FWER = 1 - prod over null cohorts of (1 - P(go))).
* Designs with borrowing and one analysis (Fujikawa, Berry, EXNEX, CBHM, MEM): every response-count vector
  (x_1, ..., x_K) is enumerated, with probability prod_k Binomial(x_k | n_k, q_k), in chunks. The number
  of vectors prod_k (n_k + 1) grows fast; a run that would take longer than ``max_seconds`` is refused with
  the estimate (simulate instead).
* Designs with borrowing and interim looks: the paths are followed look by look. The states after a look
  are (responses so far, status) of every cohort with their probability; at the next look each state is
  extended by every count of responses of the cohorts still open, identical states are merged, and the
  look's decision (:func:`decide.decide`, on the posterior or the predictive probability as the design
  says) is taken on each; the extension runs in chunks, so memory stays bounded. A run estimated above
  ``max_seconds`` (by the states the extensions can produce, every cohort open) is refused with the
  estimate.

Rows have the shape of the simulation's rows, with ``mcse`` 0.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import EngineError
from ..extension._prob import binom_pmf
from .decide import GO_STATUSES, CohortStatus, analyze, decide, decide_look
from .spec import BasketDesign, BasketScenario, Cohort

#: measured seconds per data vector (one thread); the MEM's adds its patterns' and matrices' costs
#: (:func:`seconds_per_vector`; measured K = 3: 8.8e-6 s per vector, 4: 2.6e-5, 5: 6.6e-5, 6: 2.6e-4,
#: 7: 0.011)
SECONDS_PER_VECTOR = {"fujikawa": 3e-6, "berry": 4e-5, "exnex": 8e-5, "cbhm": 1e-3, "mem": 2e-5}
MAX_SECONDS = 600.0
CHUNK = 200_000


def seconds_per_vector(design: BasketDesign, k: int) -> float:
    """Measured seconds per analysed data vector (one thread); the MEM's grows with its 2^(K(K-1)/2)
    exchangeability matrices and K 2^(K-1) row patterns (benchmarks/bench_basket_mem.py)."""
    if design.kind == "mem":
        from .mem import SECONDS_PER_MATRIX, SECONDS_PER_PATTERN, n_matrices

        patterns = k * 2 ** (k - 1)
        return SECONDS_PER_VECTOR["mem"] + patterns * SECONDS_PER_PATTERN + n_matrices(k) * SECONDS_PER_MATRIX
    return SECONDS_PER_VECTOR[design.kind]


def look_sizes(cohorts: tuple[Cohort, ...]) -> list[int]:
    """Per look, the most states its extension can produce (every cohort open): the states of the look
    before, at most prod_k (responses possible there), times prod_k (new patients + 1)."""
    looks = np.array([c.looks for c in cohorts], dtype=np.int64)
    sizes = []
    prev = np.zeros(len(cohorts), dtype=np.int64)
    for look in range(looks.shape[1]):
        sizes.append(
            math.prod(int(p) + 1 for p in prev) * math.prod(int(m) + 1 for m in looks[:, look] - prev)
        )
        prev = looks[:, look]
    return sizes


def enumeration_size(cohorts: tuple[Cohort, ...]) -> int:
    """Response vectors (one look) or states (interim looks) exact enumeration analyses at most."""
    return sum(look_sizes(cohorts))


def check_exact(design: BasketDesign, cohorts: tuple[Cohort, ...], max_seconds: float = MAX_SECONDS) -> None:
    """Refuse (EngineError, with the estimate) what exact enumeration cannot do in ``max_seconds``."""
    if not design.borrows:
        return
    if design.kind == "enrichment":
        from .enrichment import check

        check(design, cohorts)
        return
    size = enumeration_size(cohorts)
    seconds = size * seconds_per_vector(design, len(cohorts))
    what = "response vectors" if len(cohorts[0].looks) == 1 else "states over the looks"
    if seconds > max_seconds:
        raise EngineError(
            f"exact operating characteristics of {design.kind} need {size:.3g} {what} (about "
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
        status, _, _ = decide_look(design, cohorts, look, look == n_looks - 1, n_now, x_now, p)
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


def grid_rows(sizes: list[int]) -> np.ndarray:
    """Every vector (c_1, ..., c_J) with 0 <= c_j < sizes[j], as rows (the last index fastest)."""
    if not sizes:
        return np.zeros((1, 0), dtype=np.int64)
    axes = np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij")
    return np.stack([a.ravel() for a in axes], axis=1).astype(np.int64)


def _expand(x, n, status, w, step, pmfs, looks_now, chunk_rows: int = 1_000_000):
    """Every state (x, n, status, weight) extended by every count of responses of its open cohorts' next
    patients, yielded in chunks of at most about ``chunk_rows`` rows."""
    open_ = status == CohortStatus.OPEN
    patterns, which = np.unique(open_, axis=0, return_inverse=True)
    which = which.reshape(-1)
    for p_i, pattern in enumerate(patterns):
        rows = np.flatnonzero(which == p_i)
        cols = np.flatnonzero(pattern)
        add = grid_rows([int(step[c]) + 1 for c in cols])
        pw = np.ones(add.shape[0])
        for j, c in enumerate(cols):
            pw *= pmfs[c][add[:, j]]
        per = max(1, chunk_rows // add.shape[0])
        for a in range(0, rows.size, per):
            sel = rows[a : a + per]
            xs = np.repeat(x[sel], add.shape[0], axis=0)
            xs[:, cols] += np.tile(add, (sel.size, 1))
            ns = np.repeat(n[sel], add.shape[0], axis=0)
            ns[:, cols] = looks_now[cols]
            ss = np.repeat(status[sel], add.shape[0], axis=0)
            yield xs, ns, ss, np.outer(w[sel], pw).ravel()


def _paths(design: BasketDesign, cohorts, rates) -> tuple[dict[str, np.ndarray], float, float]:
    """Per cohort metrics, P(a go in some null cohort) and P(any go), over every path through the looks
    (borrowing designs with interim looks; module doc). States are merged by a key packing each cohort's
    (responses, patients, status) into one integer where it fits in 62 bits, else by their rows."""
    k = len(cohorts)
    looks = np.array([c.looks for c in cohorts], dtype=np.int64)
    n_looks = looks.shape[1]
    rates = np.asarray(rates, dtype=float)
    null = np.array([q <= c.q0 for q, c in zip(rates, cohorts, strict=True)])
    out = {m: np.zeros(k) for m in ("go", "fut", "eff", "n", "bias", "mse")}
    n_status = len(CohortStatus)
    base = (looks[:, -1] + 1) * (looks[:, -1] + 1) * n_status  # one cohort's digit: (x, n, status)
    packed = float(np.sum(np.log2(base.astype(float)))) < 62
    radix = np.cumprod(np.concatenate([[1], base[:-1]])).astype(np.int64) if packed else None
    x = np.zeros((1, k), dtype=np.int64)
    n = np.zeros((1, k), dtype=np.int64)
    status = np.zeros((1, k), dtype=np.int8)
    w = np.ones(1)
    prev = np.zeros(k, dtype=np.int64)
    for look in range(n_looks):
        step = looks[:, look] - prev
        pmfs = [binom_pmf(np.arange(step[i] + 1), int(step[i]), float(rates[i])) for i in range(k)]
        keys, weights = [], []
        for xs, ns, ss, ws in _expand(x, n, status, w, step, pmfs, looks[:, look]):
            if packed:
                digit = (xs * (looks[:, -1] + 1) + ns) * n_status + ss
                key = digit @ radix
                uk, inv = np.unique(key, return_inverse=True)
                keys.append(uk)
                weights.append(np.bincount(inv.reshape(-1), weights=ws, minlength=uk.size))
            else:
                keys.append(np.concatenate([xs, ns, ss.astype(np.int64)], axis=1))
                weights.append(ws)
        if packed:
            uk, inv = np.unique(np.concatenate(keys), return_inverse=True)
            w = np.bincount(inv.reshape(-1), weights=np.concatenate(weights), minlength=uk.size)
            digits = (uk[:, None] // radix[None, :]) % base[None, :]
            status = (digits % n_status).astype(np.int8)
            n = (digits // n_status) % (looks[:, -1] + 1)[None, :]
            x = np.ascontiguousarray(digits // n_status // (looks[:, -1] + 1)[None, :])
            n = np.ascontiguousarray(n)
        else:
            uniq, inv = np.unique(np.concatenate(keys), axis=0, return_inverse=True)
            w = np.bincount(inv.reshape(-1), weights=np.concatenate(weights), minlength=uniq.shape[0])
            x = np.ascontiguousarray(uniq[:, :k])
            n = np.ascontiguousarray(uniq[:, k : 2 * k])
            status = uniq[:, 2 * k :].astype(np.int8)
        open_ = status == CohortStatus.OPEN
        prob, mean = analyze(design, cohorts, n, x)
        new, _, _ = decide_look(design, cohorts, look, look == n_looks - 1, n, x, prob)
        status = np.where(open_, new, status).astype(np.int8)
        stopped = open_ & (status != CohortStatus.OPEN)
        err = mean - rates[None, :]
        for i in range(k):
            s_i = stopped[:, i]
            wi = w[s_i]
            st = status[s_i, i]
            out["go"][i] += wi[np.isin(st, [int(g) for g in GO_STATUSES])].sum()
            out["fut"][i] += wi[st == CohortStatus.STOP_FUTILITY].sum()
            out["eff"][i] += wi[st == CohortStatus.STOP_EFFICACY].sum()
            out["n"][i] += wi.sum() * looks[i, look]
            out["bias"][i] += (wi * err[s_i, i]).sum()
            out["mse"][i] += (wi * err[s_i, i] ** 2).sum()
        prev = looks[:, look]
    go = np.isin(status, [int(g) for g in GO_STATUSES])
    fwer = float(w @ go[:, null].any(axis=1)) if null.any() else 0.0
    return out, fwer, float(w @ go.any(axis=1))


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
    if design.kind == "enrichment":
        from .enrichment import exact_values

        per, fwer, any_go = exact_values(design, cohorts, rates)
    elif design.borrows and len(cohorts[0].looks) > 1:
        per, fwer, any_go = _paths(design, cohorts, rates)
    elif design.borrows:
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
        if "pooled" in per:
            rows.append(_row(design, scenario, "prob_pooled", c.name, per["pooled"][i]))
    rows.append(_row(design, scenario, "fwer", "", fwer))
    rows.append(_row(design, scenario, "prob_any_go", "", any_go))
    rows.append(_row(design, scenario, "mean_total_n", "", per["n"].sum()))
    return rows
