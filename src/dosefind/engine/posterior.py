"""Fast CRM posterior by quadrature, with a per-state cache.

The CRM posterior depends on the data only through the patients and DLTs per dose, so a simulation
meets the same states again and again. :func:`crm_summary_row` looks the state up in an open-addressing
hash table held in caller-owned arrays (one per chunk of trials) and computes the posterior only on a
miss. Caching never changes a result: the value stored is a pure function of the state.

Posterior summary row layout: see ``POST_*`` in :mod:`dosefind.designs.layout`.
"""

from __future__ import annotations

import math

import numpy as np

from ..designs import layout as L
from .jit import kernel

_HASH_MUL = np.uint64(0x9E3779B97F4A7C15)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_EXP_M60 = math.exp(-60.0)
_KNOWN_LOG_LEAST = -70.0  # known_density_row keeps the nodes down to exp(-70) of the peak
_KNOWN_LEAST = math.exp(_KNOWN_LOG_LEAST)
#: states with more patients than this are not cached (crm_summary_row): with 6 doses and cohorts of 3 a
#: trial meets about 0.6 new states of at most 36 patients per trial after 20,000 trials, but most of the
#: deeper ones only once, and they filled the cache, so that every later miss probed a full table
CACHE_MAX_PATIENTS = 48
_WINDOW_DROP = 65.0  # _log_post_window keeps the nodes within this of the peak (60 plus a margin)
_PEAK_BRACKET = 6  # _log_post_window bisects for the peak until it lies among this many nodes


@kernel
def _softplus(x):
    if x > 0.0:
        return x + math.log1p(math.exp(-x))
    return math.log1p(math.exp(x))


@kernel
def crm_prob(model, a0, coef, eb):
    """p_d(b) for one dose coefficient, from eb = exp(b) (computed once for all doses)."""
    if model == 0:
        return math.exp(eb * coef)
    return 1.0 / (1.0 + math.exp(-(a0 + eb * coef)))


@kernel
def closest_to_target(values, target, tried_only, n_at):
    """The CRM's choice: the dose whose value in ``values`` (DLT probabilities, one per dose) is closest
    to ``target``, the lowest on a tie, over the doses tried with ``tried_only`` (-1: none)."""
    best = -1
    best_gap = np.inf
    for d in range(values.shape[0]):
        if tried_only and n_at[d] == 0:
            continue
        gap = abs(values[d] - target)
        if gap < best_gap:
            best_gap = gap
            best = d
    return best


@kernel
def crm_log_post_at(ip, fp, b, n_at, tox_at):
    """Unnormalised log posterior density of b (prior times likelihood) at an arbitrary b."""
    D = ip[L.IP_N_DOSES]
    model = ip[L.IP_CRM_MODEL]
    a0 = fp[L.FP_CRM_INTERCEPT]
    sd = fp[L.FP_CRM_PRIOR_SD]
    eb = math.exp(b)
    s = -0.5 * (b / sd) ** 2 - math.log(sd) - _LOG_SQRT_2PI
    for d in range(D):
        n = n_at[d]
        if n == 0:
            continue
        y = tox_at[d]
        c = fp[L.FP_CRM_COEF + d]
        if model == 0:
            lp = eb * c
            lq = math.log(-math.expm1(lp))
        else:
            eta = a0 + eb * c
            lp = -_softplus(-eta)
            lq = -_softplus(eta)
        s += y * lp + (n - y) * lq
    return s


@kernel
def _gauss_legendre(ip, fp, lo, hi, logmax, n_at, tox_at):
    """Integral of exp(log posterior - logmax) over [lo, hi] by Gauss-Legendre."""
    if hi <= lo:
        return 0.0
    half = 0.5 * (hi - lo)
    mid = 0.5 * (hi + lo)
    acc = 0.0
    for i in range(L.N_GL):
        b = mid + half * fp[L.FP_GL_NODES + i]
        acc += fp[L.FP_GL_WEIGHTS + i] * math.exp(crm_log_post_at(ip, fp, b, n_at, tox_at) - logmax)
    return acc * half


@kernel
def _support(ip, grid, f):
    """Effective support of the posterior: the grid span where the density exceeds 1e-18 of its peak."""
    K = ip[L.IP_CRM_N_NODES]
    first = 0
    while first < K - 1 and f[first] < 1e-18:
        first += 1
    last = K - 1
    while last > 0 and f[last] < 1e-18:
        last -= 1
    first = max(first - 1, 0)
    last = min(last + 1, K - 1)
    return grid[first, L.GRID_B], grid[last, L.GRID_B]


@kernel
def _tail(ip, fp, grid, f, logmax, bcut, n_at, tox_at):
    """P(b < bcut | data), i.e. P(p_d > x) for the dose and level x with p_d(bcut) = x."""
    lo, hi = _support(ip, grid, f)
    if bcut <= lo:
        return 0.0
    if bcut >= hi:
        return 1.0
    below = _gauss_legendre(ip, fp, lo, bcut, logmax, n_at, tox_at)
    above = _gauss_legendre(ip, fp, bcut, hi, logmax, n_at, tox_at)
    return below / (below + above)


@kernel
def crm_posterior(ip, fp, grid, n_at, tox_at, out, row, work, full):
    """Posterior summary of the CRM parameter and DLT probabilities, written into row ``row`` of ``out``.

    With ``full`` false only what simulated decisions read is computed: the mean of b and the plug-in
    curve, the posterior mean curve when the design chooses doses by it, and P(p_1 > safety threshold)
    when the safety stop is on. Live use asks for everything.
    """
    D = ip[L.IP_N_DOSES]
    P = L.POST_FIRST
    f = work
    if full or ip[L.IP_CRM_MODEL] != 0:
        logmax = _log_post_nodes(ip, grid, n_at, tox_at, f)
        _summarise(ip, fp, grid, f, logmax, out, row, full)
    else:  # the empiric model's log posterior is concave in b: only the nodes near its peak weigh anything
        logmax, lo, hi = _log_post_window(ip, grid, n_at, tox_at, f)
        _summarise_window(ip, fp, grid, f, logmax, lo, hi, out, row)
        if ip[L.IP_CRM_SAFETY] == 1:  # _tail reads the density at every node
            for k in range(lo):
                f[k] = 0.0
            for k in range(hi, ip[L.IP_CRM_N_NODES]):
                f[k] = 0.0
    for d in range(D):
        if full or (d == 0 and ip[L.IP_CRM_SAFETY] == 1):
            out[row, P + 3 * D + d] = _tail(ip, fp, grid, f, logmax, fp[L.FP_CRM_BSAFE + d], n_at, tox_at)
        if full:
            out[row, P + 2 * D + d] = _tail(ip, fp, grid, f, logmax, fp[L.FP_CRM_BSTAR + d], n_at, tox_at)


@kernel
def _log_post_pending_at(ip, fp, b, n_at, tox_at, pend_dose, pend_w, n_pend):
    """:func:`crm_log_post_at` times (1 - w_j p_{d_j}(b)) for each pending patient j."""
    s = crm_log_post_at(ip, fp, b, n_at, tox_at)
    if n_pend == 0:
        return s
    eb = math.exp(b)
    a0 = fp[L.FP_CRM_INTERCEPT]
    for j in range(n_pend):
        c = fp[L.FP_CRM_COEF + pend_dose[j]]
        if ip[L.IP_CRM_MODEL] == 0:
            p = math.exp(eb * c)
        else:
            p = 1.0 / (1.0 + math.exp(-(a0 + eb * c)))
        s += math.log1p(-pend_w[j] * p)
    return s


@kernel
def _tail_pending(ip, fp, grid, f, logmax, bcut, n_at, tox_at, pend_dose, pend_w, n_pend):
    """P(b < bcut | weighted data) by Gauss-Legendre on each side of bcut within the posterior's support
    (the pending version of :func:`_tail`)."""
    lo, hi = _support(ip, grid, f)
    if bcut <= lo:
        return 0.0
    if bcut >= hi:
        return 1.0
    below = 0.0
    above = 0.0
    for side in range(2):
        a = lo if side == 0 else bcut
        z = bcut if side == 0 else hi
        half = 0.5 * (z - a)
        mid = 0.5 * (z + a)
        acc = 0.0
        for i in range(L.N_GL):
            b = mid + half * fp[L.FP_GL_NODES + i]
            lp = _log_post_pending_at(ip, fp, b, n_at, tox_at, pend_dose, pend_w, n_pend)
            acc += fp[L.FP_GL_WEIGHTS + i] * math.exp(lp - logmax)
        if side == 0:
            below = acc * half
        else:
            above = acc * half
    return below / (below + above)


@kernel
def crm_posterior_pending(
    ip, fp, grid, n_at, tox_at, pend_dose, pend_w, n_pend, out, row, work, kkeys, kvals
):
    """The weighted-likelihood posterior of a TITE-CRM (Cheung & Chappell 2000): the CRM posterior of the
    patients whose outcome is known (``n_at``/``tox_at``: a DLT, or the whole window without one) times
    (1 - w_j p_{d_j}(b)) for each of the ``n_pend`` pending patients j (dose ``pend_dose[j]``, weight
    ``pend_w[j]`` in [0, 1)). Writes the mean and variance of b, the plug-in curve, (when the design
    chooses by it) the posterior mean curve and (with the safety stop) P(p_1 > safety threshold) into
    row ``row`` of ``out``; no other tail probabilities.

    The known patients' density at the nodes, exp(log posterior - its maximum), comes from
    :func:`known_density_row` (kept by state in ``kkeys``/``kvals``; computed afresh when the table has
    no capacity: the same numbers either way); the pending factors multiply it, so a decision takes no
    logarithm or exponential per node. (No array views or allocations here and below: numba then drops
    the reference counting of the array arguments, which costs more than the work on this path.)
    """
    K = ip[L.IP_CRM_N_NODES]
    D = ip[L.IP_N_DOSES]
    P3 = L.GRID_FIRST + 2 * D
    # every pending factor is at least 1 - w_j (p <= 1), so the peak stays above prod_j (1 - w_j) of the
    # known density's; a node whose known density is below exp(-60) times that weighs less than exp(-60)
    # of the peak with or without its pending factors: it is left out, as _summarise leaves out every
    # node below exp(-60) of the peak
    floor = 1.0
    for j in range(n_pend):
        floor *= 1.0 - pend_w[j]
    cutoff = _EXP_M60 * floor
    if cutoff > _KNOWN_LEAST:
        kr = known_density_row(ip, grid, n_at, tox_at, kkeys, kvals, work)
    else:  # pending weights near 1: nodes below the rows' least are needed; computed for this decision
        kr = kkeys.shape[0]
        known_density(ip, grid, n_at, tox_at, kvals, kr, -745.0, work)
    lo = np.int64(kvals[kr, K + 1])
    hi = np.int64(kvals[kr, K + 2])
    while kvals[kr, lo] <= cutoff:  # the nodes the pending factors are needed at (the peak, 1, is one)
        lo += 1
    while kvals[kr, hi - 1] <= cutoff:
        hi -= 1
    g = work
    gmax = 0.0
    for k in range(lo, hi):
        e = kvals[kr, k]
        if e > cutoff:
            for j in range(n_pend):
                e *= 1.0 - pend_w[j] * grid[k, P3 + pend_dose[j]]
            gmax = max(gmax, e)
        else:
            e = 0.0
        g[k] = e
    least = _EXP_M60 * gmax  # below exp(-60) of the peak: left out, as in _summarise
    _moments(ip, fp, grid, g, lo, hi, least, kvals[kr, K], out, row, False)
    if ip[L.IP_CRM_SAFETY] == 1:
        for k in range(K):
            g[k] = g[k] / gmax if lo <= k < hi and g[k] >= least else 0.0
        logmax = kvals[kr, K] + math.log(gmax)
        out[row, L.POST_FIRST + 3 * D] = _tail_pending(
            ip, fp, grid, g, logmax, fp[L.FP_CRM_BSAFE], n_at, tox_at, pend_dose, pend_w, n_pend
        )


@kernel
def known_density(ip, grid, n_at, tox_at, kvals, row, least, work):
    """exp(log posterior - its maximum) at every node for the patients ``n_at``/``tox_at`` into
    ``kvals[row, :K]`` (0 where the log is ``least`` or more below the maximum); then the maximum, and
    the first and one past the last node above 0, into ``kvals[row, K : K + 3]``. Uses ``work`` [K]."""
    K = ip[L.IP_CRM_N_NODES]
    logmax = _log_post_nodes(ip, grid, n_at, tox_at, work)
    lo = K
    hi = 0
    for k in range(K):
        rel = work[k] - logmax
        if rel > least:
            kvals[row, k] = math.exp(rel)
            lo = min(lo, k)
            hi = k + 1
        else:
            kvals[row, k] = 0.0
    kvals[row, K] = logmax
    kvals[row, K + 1] = lo
    kvals[row, K + 2] = hi


@kernel
def known_density_row(ip, grid, n_at, tox_at, kkeys, kvals, work):
    """Row of ``kvals`` holding :func:`known_density` for this state down to exp(-70) of the peak
    (computed unless it is there).

    ``kkeys`` is int16 [C, 2D] (C 0 or a power of two, rows initialised to -1), ``kvals`` float64
    [C + 1, K + 3]: a direct-mapped table (a state's row is its hash modulo C; a new state evicts the one
    there); the last row is scratch, used when C is 0.
    """
    D = ip[L.IP_N_DOSES]
    C = kkeys.shape[0]
    if C == 0:
        known_density(ip, grid, n_at, tox_at, kvals, C, _KNOWN_LOG_LEAST, work)
        return C
    slot = np.int64(_state_hash(n_at, tox_at, D) & np.uint64(C - 1))
    for d in range(D):
        if kkeys[slot, d] != n_at[d] or kkeys[slot, D + d] != tox_at[d]:
            for e in range(D):
                kkeys[slot, e] = n_at[e]
                kkeys[slot, D + e] = tox_at[e]
            known_density(ip, grid, n_at, tox_at, kvals, slot, _KNOWN_LOG_LEAST, work)
            break
    return slot


@kernel
def _log_post_nodes(ip, grid, n_at, tox_at, f):
    """The unnormalised log posterior at every quadrature node, into ``f``; returns its maximum. (Dose by
    dose over the nodes: the same sums, term by term, as node by node over the doses.)"""
    D = ip[L.IP_N_DOSES]
    K = ip[L.IP_CRM_N_NODES]
    F = L.GRID_FIRST
    for k in range(K):
        f[k] = grid[k, L.GRID_LOGPRIOR]
    for d in range(D):
        n = n_at[d]
        if n == 0:
            continue
        y = tox_at[d]
        for k in range(K):
            f[k] += y * grid[k, F + d] + (n - y) * grid[k, F + D + d]
    logmax = -np.inf
    for k in range(K):
        if f[k] > logmax:
            logmax = f[k]
    return logmax


@kernel
def _node_log_post(grid, k, n_at, tox_at, D):
    """The unnormalised log posterior at node ``k``: the sums of :func:`_log_post_nodes`, term by term."""
    F = L.GRID_FIRST
    s = grid[k, L.GRID_LOGPRIOR]
    for d in range(D):
        n = n_at[d]
        if n == 0:
            continue
        y = tox_at[d]
        s += y * grid[k, F + d] + (n - y) * grid[k, F + D + d]
    return s


@kernel
def _log_post_window(ip, grid, n_at, tox_at, f):
    """(logmax, lo, hi): the log posterior of the empiric model at the nodes ``lo`` to ``hi - 1`` into
    ``f``, a run of nodes that holds every node within 60 of the peak (the others weigh nothing in
    :func:`_summarise`), and its maximum over all nodes. ``f`` outside ``lo`` to ``hi - 1`` is left
    undefined.

    Why a window suffices: with x = -log(s_d) exp(b) > 0, dose d's log likelihood y log p + (n - y)
    log(1 - p) = -y x + (n - y) log(1 - exp(-x)) has derivative in b equal to -y x + (n - y) x /
    (exp(x) - 1), which decreases in x, hence in b: each term is concave in b, and the normal log prior
    is strictly concave. The values at equally spaced nodes then rise to one peak and fall: bisection on
    the sign of the step from a node to the next narrows the peak down to ``_PEAK_BRACKET`` nodes, and
    the nodes within ``_WINDOW_DROP`` (65: 60 plus a margin for rounding) of the peak form one run around
    it, found by extending the computed nodes one at a time until the outermost is below that. Each
    node's value is computed with the same operations as in :func:`_log_post_nodes`, so every number that
    enters the summary is the same to the bit.
    """
    K = ip[L.IP_CRM_N_NODES]
    D = ip[L.IP_N_DOSES]
    lo = 0
    hi = K - 1  # the peak is one of the nodes lo to hi
    while hi - lo >= _PEAK_BRACKET:
        mid = (lo + hi) // 2
        if _node_log_post(grid, mid + 1, n_at, tox_at, D) > _node_log_post(grid, mid, n_at, tox_at, D):
            lo = mid + 1
        else:
            hi = mid
    hi += 1
    for k in range(lo, hi):
        f[k] = _node_log_post(grid, k, n_at, tox_at, D)
    top = -np.inf
    for k in range(lo, hi):
        top = max(top, f[k])
    floor = top - _WINDOW_DROP
    while lo > 0 and f[lo] >= floor:
        lo -= 1
        f[lo] = _node_log_post(grid, lo, n_at, tox_at, D)
    while hi < K and f[hi - 1] >= floor:
        f[hi] = _node_log_post(grid, hi, n_at, tox_at, D)
        hi += 1
    for k in range(lo, hi):  # the maximum of the run (the peak itself, unless rounding moved it)
        top = max(top, f[k])
    return top, lo, hi


@kernel
def _summarise_window(ip, fp, grid, f, logmax, lo, hi, out, row):
    """:func:`_summarise` (not ``full``) over the nodes ``lo`` to ``hi - 1`` of :func:`_log_post_window`:
    the same sums in the same order (the nodes outside weigh nothing there)."""
    D = ip[L.IP_N_DOSES]
    F = L.GRID_FIRST
    P = L.POST_FIRST
    for d in range(D):
        out[row, P + D + d] = 0.0
    z = 0.0
    m1 = 0.0
    want_mean_curve = ip[L.IP_CRM_DOSE_CHOICE] == 1
    for k in range(lo, hi):
        rel = f[k] - logmax
        if rel < -60.0:
            f[k] = 0.0
            continue
        fk = math.exp(rel)
        f[k] = fk
        wf = grid[k, L.GRID_W] * fk
        z += wf
        m1 += wf * grid[k, L.GRID_B]
        if want_mean_curve:
            for d in range(D):
                out[row, P + D + d] += wf * grid[k, F + 2 * D + d]
    _finish(ip, fp, grid, f, lo, hi, 0.0, z, m1, logmax, out, row)


@kernel
def _summarise(ip, fp, grid, f, logmax, out, row, full):
    """Mean and variance of b, the log evidence, the plug-in curve and (when the design chooses by it, or
    ``full``) the posterior mean curve into row ``row`` of ``out``, from the log posterior ``f`` at the
    nodes (left normalised in ``f``: exp(f - logmax))."""
    D = ip[L.IP_N_DOSES]
    K = ip[L.IP_CRM_N_NODES]
    F = L.GRID_FIRST
    P = L.POST_FIRST
    for d in range(D):
        out[row, P + D + d] = 0.0
    z = 0.0
    m1 = 0.0
    want_mean_curve = full or ip[L.IP_CRM_DOSE_CHOICE] == 1
    for k in range(K):
        rel = f[k] - logmax
        if rel < -60.0:  # weighs less than exp(-60) of the peak: nothing in double precision
            f[k] = 0.0
            continue
        fk = math.exp(rel)
        f[k] = fk
        wf = grid[k, L.GRID_W] * fk
        z += wf
        m1 += wf * grid[k, L.GRID_B]
        if want_mean_curve:
            for d in range(D):
                out[row, P + D + d] += wf * grid[k, F + 2 * D + d]
    _finish(ip, fp, grid, f, 0, K, 0.0, z, m1, logmax, out, row)


@kernel
def _moments(ip, fp, grid, f, lo, hi, least, logscale, out, row, full):
    """:func:`_summarise` from the density at the nodes ``lo`` to ``hi - 1``, ``f`` (exp(log posterior -
    ``logscale``)), leaving out the nodes where it is below ``least`` (the other nodes weigh nothing)."""
    D = ip[L.IP_N_DOSES]
    F = L.GRID_FIRST
    P = L.POST_FIRST
    for d in range(D):
        out[row, P + D + d] = 0.0
    z = 0.0
    m1 = 0.0
    want_mean_curve = full or ip[L.IP_CRM_DOSE_CHOICE] == 1
    for k in range(lo, hi):
        fk = f[k]
        if fk < least:
            continue
        wf = grid[k, L.GRID_W] * fk
        z += wf
        m1 += wf * grid[k, L.GRID_B]
        if want_mean_curve:
            for d in range(D):
                out[row, P + D + d] += wf * grid[k, F + 2 * D + d]
    _finish(ip, fp, grid, f, lo, hi, least, z, m1, logscale, out, row)


@kernel
def _finish(ip, fp, grid, f, lo, hi, least, z, m1, logscale, out, row):
    """The end of :func:`_summarise` and :func:`_moments`, from the density ``f`` at the nodes ``lo`` to
    ``hi - 1`` (those below ``least`` left out), its integral z and first moment m1: the variance, the log
    evidence, the plug-in curve and the posterior mean curve's normalisation."""
    D = ip[L.IP_N_DOSES]
    P = L.POST_FIRST
    mean = m1 / z
    m2 = 0.0
    for k in range(lo, hi):
        if f[k] < least:
            continue
        dev = grid[k, L.GRID_B] - mean
        m2 += grid[k, L.GRID_W] * f[k] * dev * dev
    out[row, L.POST_MEAN_B] = mean
    out[row, L.POST_VAR_B] = m2 / z
    out[row, L.POST_LOGZ] = math.log(z) + logscale
    model = ip[L.IP_CRM_MODEL]
    a0 = fp[L.FP_CRM_INTERCEPT]
    eb = math.exp(mean)
    for d in range(D):
        out[row, P + d] = crm_prob(model, a0, fp[L.FP_CRM_COEF + d], eb)
        out[row, P + D + d] /= z


@kernel
def _state_hash(n_at, tox_at, D):
    h = np.uint64(1469598103934665603)
    for d in range(D):
        h = (h ^ np.uint64(n_at[d])) * _HASH_MUL
        h = (h ^ np.uint64(tox_at[d] + 4096)) * _HASH_MUL
    return h ^ (h >> np.uint64(29))


@kernel
def crm_summary_row(ip, fp, grid, n_at, tox_at, ckeys, cvals, work, full):
    """Row of ``cvals`` holding the posterior summary for this state (computed on a cache miss).

    ``ckeys`` is int16 [C, 2D] (C a power of two, rows initialised to -1), ``cvals`` float64 [C + 1, *];
    the last row of ``cvals`` is scratch, used for states of more than ``CACHE_MAX_PATIENTS`` patients
    and when C is 0 or the table is full. Without ``full`` the scratch row also records which state it
    holds, so that the final selection, on the state of the trial's last decision, reads it again
    instead of computing it twice. One cache must always be used with the same ``full`` flag (rows hold
    only what that mode computes).
    """
    D = ip[L.IP_N_DOSES]
    C = ckeys.shape[0]
    n_total = 0
    for d in range(D):
        n_total += n_at[d]
    if n_total > CACHE_MAX_PATIENTS:  # rarely met twice: computed without a look-up, and kept out
        row, compute = C, True
    else:
        row, compute = cache_slot(ckeys, n_at, tox_at, D)
    if row == C and not full:  # the scratch row: the state it holds (the final selection's is the last
        compute = not _scratch_holds(cvals, C, n_at, tox_at, D)  # decision's), unless a new one
    if compute:
        crm_posterior(ip, fp, grid, n_at, tox_at, cvals, row, work, full)
        if row == C and not full:
            for d in range(D):
                cvals[C, L.POST_FIRST + 2 * D + d] = _scratch_tag(n_at[d], tox_at[d])
    return row


@kernel
def _scratch_tag(n, y):
    """Dose d's patients and DLTs as one number, kept in column ``POST_FIRST + 2D + d`` of the scratch row
    (a column only ``full`` summaries write, with probabilities: the tags are at least 2)."""
    return float(n) * 65536.0 + float(y) + 2.0


@kernel
def _scratch_holds(cvals, C, n_at, tox_at, D):
    """Whether the scratch row ``C`` holds the summary (not ``full``) of this state."""
    for d in range(D):
        if cvals[C, L.POST_FIRST + 2 * D + d] != _scratch_tag(n_at[d], tox_at[d]):
            return False
    return True


@kernel
def cache_slot(ckeys, n_at, tox_at, D):
    """(row, compute): where a state's summary lives in a cache of states (``ckeys`` int16 [C, 2D], C 0
    or a power of two, rows initialised to -1; open addressing from the state's hash, 64 probes), and
    whether it must be computed (a new state, or row C, the values' scratch row, when the cache has no
    capacity or no free row)."""
    C = ckeys.shape[0]
    if C == 0:
        return C, True
    slot = np.int64(_state_hash(n_at, tox_at, D) & np.uint64(C - 1))
    for _probe in range(64):
        if ckeys[slot, 0] < 0:
            for d in range(D):
                ckeys[slot, d] = n_at[d]
                ckeys[slot, D + d] = tox_at[d]
            return slot, True
        same = True
        for d in range(D):
            if ckeys[slot, d] != n_at[d] or ckeys[slot, D + d] != tox_at[d]:
                same = False
                break
        if same:
            return slot, False
        slot = (slot + 1) & (C - 1)
    return C, True


def new_cache(n_doses: int, capacity: int, n_nodes: int, width: int | None = None):
    """Empty cache arrays (keys, values, work) for :func:`crm_summary_row`; capacity 0 disables it.
    ``width``: the columns of a row (default the summary row's, ``POST_FIRST + 4 D``)."""
    if capacity and capacity & (capacity - 1):
        raise ValueError("cache capacity must be a power of two")
    keys = np.full((capacity, 2 * n_doses), -1, dtype=np.int16)
    vals = np.zeros((capacity + 1, width or L.POST_FIRST + 4 * n_doses))
    work = np.zeros(max(n_nodes, 1))
    return keys, vals, work


def new_known_cache(n_doses: int, capacity: int, n_nodes: int):
    """Empty cache arrays (keys, values) for :func:`known_density_row`; capacity 0 disables it."""
    if capacity and capacity & (capacity - 1):
        raise ValueError("cache capacity must be a power of two")
    return np.full((capacity, 2 * n_doses), -1, dtype=np.int16), np.zeros((capacity + 1, n_nodes + 3))


def check_counts(design, n_at, tox_at) -> tuple[np.ndarray, np.ndarray]:
    """Patients and DLTs per dose as int64 arrays, or a DataError saying what is wrong."""
    from ..errors import DataError

    n_at = np.asarray(n_at, dtype=np.int64)
    tox_at = np.asarray(tox_at, dtype=np.int64)
    D = design.n_doses
    if n_at.shape != (D,) or tox_at.shape != (D,):
        raise DataError(
            f"need {D} patient and DLT counts (one per dose), got shapes {n_at.shape} and {tox_at.shape}"
        )
    if np.any(n_at < 0) or np.any(tox_at < 0) or np.any(tox_at > n_at):
        raise DataError("counts must satisfy 0 <= DLTs <= patients at every dose")
    return n_at, tox_at


def crm_posterior_summary(design, n_at, tox_at) -> dict:
    """Full posterior summary of a CRM design for given patients and DLTs per dose (Python API).

    Keys: ``mean_b``, ``var_b``, ``log_evidence``, and per dose ``plugin`` (p_d at the posterior mean of
    b), ``mean`` (posterior mean of p_d), ``prob_above_target`` and ``prob_above_safety``.
    """
    n_at, tox_at = check_counts(design, n_at, tox_at)
    D = design.n_doses
    # the patient cap (hence the quadrature grid) that live replays decide with: the numbers reported
    # beside a decision are the ones the decision was made from
    c = design.compile(max(design.max_n, int(n_at.sum())))
    K = int(c.ip[L.IP_CRM_N_NODES])
    _, vals, work = new_cache(D, 0, K)
    crm_posterior(c.ip, c.fp, c.grid, n_at, tox_at, vals, 0, work, True)
    row = vals[0]
    P = L.POST_FIRST
    return {
        "mean_b": float(row[L.POST_MEAN_B]),
        "var_b": float(row[L.POST_VAR_B]),
        "log_evidence": float(row[L.POST_LOGZ]),
        "plugin": row[P : P + D].copy(),
        "mean": row[P + D : P + 2 * D].copy(),
        "prob_above_target": row[P + 2 * D : P + 3 * D].copy(),
        "prob_above_safety": row[P + 3 * D : P + 4 * D].copy(),
    }
