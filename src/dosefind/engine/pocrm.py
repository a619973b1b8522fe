"""PO-CRM kernels: the posterior (or likelihood) of every ordering, the ordering choice and the cell.

Arrays in, arrays out, no random state: the decision's own randomness (ties between orderings, or the
randomised ordering choice) comes from the uniform ``u_tie`` the caller passes. The model and the rules
are described in :mod:`dosefind.designs.pocrm`; the compiled layout in :mod:`dosefind.designs.layout`
(``IP_POCRM_*``, ``POCRM_ROW_*``).

Bayes: under ordering m the log posterior density of b at quadrature node k is
log prior(b_k) + sum over tried cells c of y_c log p + (n_c - y_c) log(1 - p) with p = s_r ** exp(b_k),
r = rank_m(c), read from the CRM quadrature grid's precomputed log p / log(1 - p) (stored node-major:
one contiguous row per skeleton value). The trapezoid sums give the evidence Z_m and the posterior mean
of b (log-sum-exp scaled), as for the single-agent CRM (:mod:`dosefind.engine.posterior`); nodes more
than 40 below the peak are left out of the sums (relative weight < 5e-18). Orderings that rank every
tried cell alike share one fit. Likelihood: the log-likelihood of the power a is concave; its maximiser
is found by safeguarded Newton steps in log a, bracketed in (0, a_max].

Speed (3 x 4 grid, 6 orderings, 36 patients in cohorts of 3, one thread): about 40,000 simulated trials
per second per core with Bayes estimation, 15,000 with likelihood estimation (no posterior cache: the
fits are cheap enough; see the tests for the accuracy checks).
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import Reason, Status
from ..designs import layout as L
from .jit import kernel
from .rng import mix64

CONTINUE = int(Status.CONTINUE)
STOP_SELECT = int(Status.STOP_SELECT)
R_STAGE1 = int(Reason.POCRM_STAGE1)
R_ALL_DLT = int(Reason.POCRM_ALL_DLT)
R_MODEL = int(Reason.POCRM_MODEL)
R_STOP_N = int(Reason.POCRM_STOP_N)

#: Two orderings' log weights closer than this (relative) are a tie (exact ties come from orderings that
#: rank the tried cells alike; rounding could otherwise split them).
TIE_REL = 1e-12
_INV53 = 1.0 / 9007199254740992.0


@kernel
def _rows(ip):
    """(first rank row, first row below the ranks, first tried-cell slot of ``work``)."""
    M = ip[L.IP_POCRM_N_ORDERINGS]
    top = L.POCRM_ROW_LOGP + 3 * ip[L.IP_POCRM_N_INCLUDED]
    return top, top + M, max(ip[L.IP_POCRM_N_NODES], 1) + 2 * M


@kernel
def collect_tried(ip, n_at, tox_at, work):
    """Write the tried cells (index, patients, DLTs) after the ordering slots of ``work``; return count."""
    D = ip[L.IP_N_DOSES]
    base = _rows(ip)[2]
    T = 0
    for c in range(D):
        if n_at[c] > 0:
            work[base + T] = c
            work[base + D + T] = n_at[c]
            work[base + 2 * D + T] = tox_at[c]
            T += 1
    return T


@kernel
def bayes_ordering(ip, grid, m, T, work):
    """(log evidence, posterior mean of b) under ordering m, for the T tried cells in ``work``.

    Leaves the unnormalised log posterior at the nodes in ``work[:K]``. Nodes more than 40 below the
    peak (relative weight < 5e-18) are left out of the sums.
    """
    D = ip[L.IP_N_DOSES]
    K = ip[L.IP_POCRM_N_NODES]
    R = ip[L.IP_POCRM_N_INCLUDED]
    top, _, base = _rows(ip)
    P = L.POCRM_ROW_LOGP
    for k in range(K):
        work[k] = grid[0, k]
    for t in range(T):
        r = int(grid[top + m, int(work[base + t])])
        n = work[base + D + t]
        y = work[base + 2 * D + t]
        lp = grid[P + r]
        lq = grid[P + R + r]
        for k in range(K):
            work[k] += y * lp[k] + (n - y) * lq[k]
    logmax = -np.inf
    for k in range(K):
        if work[k] > logmax:
            logmax = work[k]
    z = 0.0
    m1 = 0.0
    for k in range(K):
        d = work[k] - logmax
        if d > -40.0:
            e = grid[2, k] * math.exp(d)
            z += e
            m1 += e * grid[1, k]
    return math.log(z) + logmax, m1 / z


@kernel
def _loglik_a(ip, grid, m, T, work, a, with_value):
    """Log-likelihood of the power a under ordering m (if ``with_value``, else 0), and the score and
    second derivative in b = log a."""
    D = ip[L.IP_N_DOSES]
    top, below, base = _rows(ip)
    row = below + L.POCRM_ROW_LOG_SKELETON
    ll = 0.0
    g = 0.0
    h = 0.0
    for t in range(T):
        c = int(work[base + t])
        n = work[base + D + t]
        y = work[base + 2 * D + t]
        la = grid[row, int(grid[top + m, c])]
        x = a * la  # log p, p = alpha ** a
        one_minus = -math.expm1(x)
        if with_value:
            ll += y * x + (n - y) * math.log(one_minus)
        ratio = (1.0 - one_minus) / one_minus  # p / (1 - p)
        g += y * x - (n - y) * x * ratio
        h += y * x - (n - y) * x * ratio * (1.0 + x / one_minus)
    return ll, g, h


@kernel
def likelihood_ordering(ip, fp, grid, m, T, work):
    """(maximised log-likelihood, log of the MLE of the power a) under ordering m (pocrm package).

    Newton steps on b = log a, kept inside a bracket of the score's sign change (bisection otherwise).
    With at least one DLT the score is negative for large a; with a patient free of DLT it is positive
    as a -> 0. Without a DLT the maximum is at a_max; without a patient free of DLT the likelihood
    increases to its supremum 0 as a -> 0 (every p -> 1), returned as log a = -inf.
    """
    D = ip[L.IP_N_DOSES]
    base = _rows(ip)[2]
    b_max = math.log(fp[L.FP_POCRM_A_MAX])
    n_free = 0.0
    for t in range(T):
        n_free += work[base + D + t] - work[base + 2 * D + t]
    if n_free == 0.0:
        return 0.0, -np.inf
    ll, g, h = _loglik_a(ip, grid, m, T, work, math.exp(b_max), False)
    if g >= 0.0:  # increasing up to a_max (no DLT, or the data put the maximum beyond the interval)
        ll, g, h = _loglik_a(ip, grid, m, T, work, math.exp(b_max), True)
        return ll, b_max
    lo = -60.0
    hi = b_max
    b = 0.0
    for _ in range(200):
        ll, g, h = _loglik_a(ip, grid, m, T, work, math.exp(b), False)
        if g > 0.0:
            lo = b
        else:
            hi = b
        b_new = b - g / h if h < 0.0 else 0.5 * (lo + hi)
        if not (lo <= b_new <= hi):  # a step onto an end is taken: the root is there to rounding
            b_new = 0.5 * (lo + hi)
        done = abs(b_new - b) <= 1e-13 or hi - lo <= 1e-13
        b = b_new
        if done:
            break
    ll, g, h = _loglik_a(ip, grid, m, T, work, math.exp(b), True)
    return ll, b


@kernel
def fit_orderings(ip, fp, grid, n_at, tox_at, work):
    """Fill work[W + m] with ordering m's log weight (log prior + log evidence, or + maximised
    log-likelihood) and work[W + M + m] with its estimate of b = log(power), W = max(K, 1); return
    the number of tried cells."""
    M = ip[L.IP_POCRM_N_ORDERINGS]
    W = max(ip[L.IP_POCRM_N_NODES], 1)
    top, below, base = _rows(ip)
    prior = below + L.POCRM_ROW_PRIOR
    T = collect_tried(ip, n_at, tox_at, work)
    bayes = ip[L.IP_POCRM_ESTIMATION] == 0
    for m in range(M):
        # an earlier ordering that ranks every tried cell alike has the same evidence and estimate
        same = -1
        for m2 in range(m):
            alike = True
            for t in range(T):
                c = int(work[base + t])
                if grid[top + m2, c] != grid[top + m, c]:
                    alike = False
                    break
            if alike:
                same = m2
                break
        if same >= 0:
            lw = work[W + same] - grid[prior, same]
            bhat = work[W + M + same]
        elif bayes:
            lw, bhat = bayes_ordering(ip, grid, m, T, work)
        else:
            lw, bhat = likelihood_ordering(ip, fp, grid, m, T, work)
        work[W + m] = grid[prior, m] + lw
        work[W + M + m] = bhat
    return T


@kernel
def choose_ordering(ip, work, u, randomised):
    """The ordering: drawn with its posterior probability (``randomised``), else the most probable one
    with ties split uniformly by ``u`` (``u`` in (0, 1))."""
    M = ip[L.IP_POCRM_N_ORDERINGS]
    W = max(ip[L.IP_POCRM_N_NODES], 1)
    top = -np.inf
    for m in range(M):
        if work[W + m] > top:
            top = work[W + m]
    if randomised:
        total = 0.0
        for m in range(M):
            total += math.exp(work[W + m] - top)
        acc = 0.0
        for m in range(M):
            acc += math.exp(work[W + m] - top) / total
            if u < acc:
                return m
        return M - 1
    tol = TIE_REL * max(1.0, abs(top))
    n_tied = 0
    for m in range(M):
        if work[W + m] >= top - tol:
            n_tied += 1
    pick = min(int(u * n_tied), n_tied - 1)
    for m in range(M):
        if work[W + m] >= top - tol:
            if pick == 0:
                return m
            pick -= 1
    return M - 1  # pragma: no cover


@kernel
def closest_cell(ip, fp, grid, m, bhat):
    """The included cell whose plug-in estimate s[rank_m(c)] ** exp(bhat) is closest to the target."""
    D = ip[L.IP_N_DOSES]
    top, below, _ = _rows(ip)
    row = below + L.POCRM_ROW_LOG_SKELETON
    target = fp[L.FP_TARGET]
    scale = math.exp(bhat)
    best = -1
    best_gap = np.inf
    for c in range(D):
        r = int(grid[top + m, c])
        if r < 0:
            continue
        gap = abs(math.exp(scale * grid[row, r]) - target)
        if gap < best_gap:
            best_gap = gap
            best = c
    return best


@kernel
def stage1_cell(ip, grid, n_total):
    """The cell stage 1 gives the cohort after ``n_total`` patients."""
    S = ip[L.IP_POCRM_STAGE1_LEN]
    i = min(n_total // ip[L.IP_COHORT_SIZE], S - 1)
    return int(grid[_rows(ip)[1] + L.POCRM_ROW_STAGE1, i])


@kernel
def state_uniform(n_at, tox_at):
    """A uniform in (0, 1) that is a pure function of the counts (final selection's tie-break)."""
    h = np.uint64(0x2545F4914F6CDD1D)
    for d in range(n_at.shape[0]):
        h = mix64(h ^ (np.uint64(n_at[d]) + np.uint64(4096) * np.uint64(tox_at[d] + 1)))
    return ((h >> np.uint64(11)) + np.uint64(1)) * _INV53 - 0.5 * _INV53


@kernel
def decide_pocrm(
    ip, fp, tables, grid, n_at, tox_at, admissible, cur, last_cohort_n, last_cohort_tox, work, u_tie
):
    """Next cell, status and reason after a cohort (see :mod:`dosefind.designs.pocrm`)."""
    D = ip[L.IP_N_DOSES]
    n_total = 0
    n_tox = 0
    most = 0
    for c in range(D):
        n_total += n_at[c]
        n_tox += tox_at[c]
        most = max(most, n_at[c])
    stop_n = ip[L.IP_POCRM_STOP_N]
    likelihood = ip[L.IP_POCRM_ESTIMATION] == 1
    if n_tox == 0 or (likelihood and n_tox == n_total):
        if n_tox == 0:
            nxt = stage1_cell(ip, grid, n_total)
            reason = R_STAGE1
        else:
            nxt = stage1_cell(ip, grid, 0)
            reason = R_ALL_DLT
        if stop_n > 0 and most > stop_n:
            return nxt, STOP_SELECT, R_STOP_N
        return nxt, CONTINUE, reason
    fit_orderings(ip, fp, grid, n_at, tox_at, work)
    m = choose_ordering(ip, work, u_tie, ip[L.IP_POCRM_ORDERING_CHOICE] == 1)
    W = max(ip[L.IP_POCRM_N_NODES], 1)
    nxt = closest_cell(ip, fp, grid, m, work[W + ip[L.IP_POCRM_N_ORDERINGS] + m])
    if stop_n > 0 and n_at[nxt] >= stop_n:
        return nxt, STOP_SELECT, R_STOP_N
    return nxt, CONTINUE, R_MODEL


@kernel
def select_pocrm(ip, fp, tables, grid, n_at, tox_at, admissible, work):
    """Final selection (0-based cell, or -1): the cell stage 1 would treat next when no DLT was seen,
    else the model's cell under the most probable ordering (ties split by :func:`state_uniform`)."""
    D = ip[L.IP_N_DOSES]
    n_total = 0
    n_tox = 0
    for c in range(D):
        n_total += n_at[c]
        n_tox += tox_at[c]
    if n_tox == 0:
        return stage1_cell(ip, grid, n_total)
    fit_orderings(ip, fp, grid, n_at, tox_at, work)
    m = choose_ordering(ip, work, state_uniform(n_at, tox_at), False)
    W = max(ip[L.IP_POCRM_N_NODES], 1)
    return closest_cell(ip, fp, grid, m, work[W + ip[L.IP_POCRM_N_ORDERINGS] + m])


# ---- live summaries ------------------------------------------------------------------------------------
@kernel
def pocrm_summary_kernel(ip, fp, grid, n_at, tox_at, work, out_logw, out_bhat, out_mean):
    """Per ordering m: log weight, estimate of b, and (Bayes) the posterior mean of every cell's DLT
    probability ``out_mean[m, c]`` (likelihood: the estimate at the MLE); nan for excluded cells."""
    D = ip[L.IP_N_DOSES]
    M = ip[L.IP_POCRM_N_ORDERINGS]
    K = ip[L.IP_POCRM_N_NODES]
    R = ip[L.IP_POCRM_N_INCLUDED]
    W = max(K, 1)
    top, below, _ = _rows(ip)
    P = L.POCRM_ROW_LOGP
    T = fit_orderings(ip, fp, grid, n_at, tox_at, work)
    bayes = ip[L.IP_POCRM_ESTIMATION] == 0
    row = below + L.POCRM_ROW_LOG_SKELETON
    for m in range(M):
        out_logw[m] = work[W + m]
        out_bhat[m] = work[W + M + m]
        if bayes:
            bayes_ordering(ip, grid, m, T, work)  # leaves the log posterior at the nodes in work[:K]
            logmax = -np.inf
            for k in range(K):
                logmax = max(logmax, work[k])
            z = 0.0
            for k in range(K):
                work[k] = grid[2, k] * math.exp(work[k] - logmax)
                z += work[k]
            for c in range(D):
                r = int(grid[top + m, c])
                if r < 0:
                    out_mean[m, c] = np.nan
                    continue
                acc = 0.0
                for k in range(K):
                    acc += work[k] * grid[P + 2 * R + r, k]
                out_mean[m, c] = acc / z
        else:
            scale = math.exp(out_bhat[m])
            for c in range(D):
                r = int(grid[top + m, c])
                out_mean[m, c] = np.nan if r < 0 else math.exp(scale * grid[row, r])


def pocrm_posterior_summary(design, n_at, tox_at) -> dict:
    """Posterior summary of a :class:`~dosefind.designs.PoCrm` for given patients and DLTs per cell.

    Keys: ``ordering_prob`` [M] (posterior ordering probabilities; profile-likelihood weights with
    likelihood estimation), ``b_hat`` [M] (posterior mean of b, or log of the MLE of the power, per
    ordering), ``ordering`` (index of the most probable ordering, lowest on ties), ``plugin`` [cells]
    (s[rank(c)] ** exp(b_hat) under that ordering: the estimates the design chooses cells by),
    ``mean_by_ordering`` [M, cells] (posterior mean DLT probability of each cell under each ordering;
    the plug-in with likelihood estimation), ``mean`` [cells] (under the most probable ordering) and
    ``model_averaged`` [cells] (averaged over orderings with their posterior probabilities). Excluded
    cells are nan.
    """
    from .posterior import check_counts

    n_at, tox_at = check_counts(design, n_at, tox_at)
    # the patient cap (hence the quadrature grid) of the live replay that decides on these data
    c = design.compile(max(design.max_n, int(n_at.sum())))
    M = len(design.orderings)
    D = design.n_doses
    work = np.zeros(int(c.ip[L.IP_POCRM_WORK]))
    logw = np.empty(M)
    bhat = np.empty(M)
    mean = np.empty((M, D))
    pocrm_summary_kernel(c.ip, c.fp, c.grid, n_at, tox_at, work, logw, bhat, mean)
    prob = np.exp(logw - logw.max())
    prob /= prob.sum()
    best = int(np.argmax(logw))
    alpha = design.alpha()
    plugin = alpha[best] ** math.exp(bhat[best])
    return {
        "ordering_prob": prob,
        "b_hat": bhat,
        "ordering": best,
        "plugin": plugin,
        "mean_by_ordering": mean,
        "mean": mean[best].copy(),
        "model_averaged": prob @ np.nan_to_num(mean) + np.where(np.isnan(mean[0]), np.nan, 0.0),
    }
