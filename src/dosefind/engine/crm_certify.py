"""A certified CRM dose choice for deep states: the exact path's dose without its posterior.

Deep states (many patients) are met about once, so the exact path
(:func:`~dosefind.engine.posterior.crm_summary_row`) pays its full posterior there: about fifty node
evaluations and thirty exponentials, 1.1-1.4 us, which made a CRM trial of max n 72 cost 5x and one of
144 cost 13x a trial of 36 (issue 17 asks 3x and 8x). Yet a simulated decision of the empiric model with
the plug-in choice reads one number, the posterior mean m of b: the dose is the one whose p_d(m) is
closest to the target, and that changes only where m crosses one of the D - 1 boundaries beta_j (p_j +
p_{j+1} = 2 target; p_d decreases in m, so the closest dose is the number of boundaries below m).

:func:`crm_certified_dose` computes an approximate mean m' cheaply, with a rigorous bound e on its
distance to the m the exact path would compute, and returns the dose only when no boundary lies within e
(plus a slack for the float comparisons) of m'; otherwise -1, and the caller takes the exact path. The
dose returned is therefore the exact path's, to the bit: simulated trials are unchanged. Over the doses
tried (the final selection's option) the closest dose moves up with m as well, so it is certified when
the rule gives the same dose at m' - e and m' + e. Decisions in states of more than
``CERT_MIN_PATIENTS`` (36) patients take this path first (:func:`crm_deep_dose`); shallower states
recur, and the posterior cache serves them for less.

Why it is cheaper:

* the log posterior at every node is kept in ``work`` and updated by the counts that changed since the
  last call (the log likelihood is linear in the counts), one vectorisable pass per changed dose over
  contiguous copies of the grid's log p and log(1 - p), instead of a fresh sum over the doses at fifty
  nodes; it is recomputed from scratch, in the exact path's order, when a count falls (a new trial);
* the mean sums the nodes within ``CERT_DROP`` (12) of the peak instead of 60, about 60 % of the
  exponentials; what the nodes beyond weigh is bounded by the concavity of the log posterior. The bound
  is then about 1e-6 (up to 2e-5 on the designs tested), so a decision is refused only when the mean
  lies that close to a boundary.

The bound e (see :func:`_error_bound`) adds, each rigorous to first order in the unit roundoff u:

* the log posterior's rounding: a fresh sum of 1 + 4D operations and each update's 4 operations per
  dose, all partial sums bounded by T_k = |log prior_k| + the absolute log likelihood <= 2 |log prior_k|
  + |f_k| + 1, give |f'_k - f_k| <= 1.01 u (2 + 8 D + 4 U) T_k (U: dose updates since the fresh sum);
  the bound used is twice that with 8 + 16 D for 2 + 8 D, plus 8 u per patient, to cover the tables'
  own rounding (a few ulps per log probability) and the nodes' not quite equal spacing, against which
  the concavity below holds exactly;
* the weights' relative error from that and the exponentials' (one ulp each): rho = 2.2 delta + 3 u,
  which moves a weighted mean by at most 2 rho / (1 - rho) times the grid's span;
* the sums' rounding (positive z, the mixed-sign first moment): (4 K + 4) u max |b|;
* the nodes beyond the window: with f concave on equally spaced nodes, past the first node below the
  window (value v, step s from its inner neighbour, both known to delta) the values fall at least by s
  a node: their weight is at most w_max exp(v + delta) / (1 - q), q = exp(s + 2 delta), and their first
  absolute moment about m' at most w_max exp(v + delta) (|b - m'| / (1 - q) + h q / (1 - q)^2); over
  the window's integral, times 1.1 (the measured error reached 0.99 of the bound with a factor 1.01,
  when one node past the window weighs most of the tail: the bound is sharp there, and the factor is
  the margin for what the analysis rounds);
* the exact path's own cut at 60 below its peak: below 1e-20.

The state lives in ``work`` after the exact path's scratch (``max(K, 6D, 1)`` values): the log
posterior at the K nodes, the counts it holds, the updates since its fresh sum, the last peak, a
fingerprint of the grid and the grid's tables dose by dose (:func:`_layout`). The
certified path runs only when ``work`` has exactly :func:`certify_work_size` values, the length the
engine allocates for one CRM design (a buffer shared by several designs, as a platform's, never has it).
"""

from __future__ import annotations

import math

import numpy as np

from ..designs import layout as L
from .jit import kernel
from .posterior import closest_to_target, crm_prob

#: the approximate mean sums the nodes within this of the log posterior's peak (the exact path: 60)
CERT_DROP = 12.0
#: slack between m' +- e and a boundary, for the boundaries' own rounding and the float comparisons
#: of the closest-dose rule near a boundary (their errors are about 1e-15 in m)
CERT_SLACK = 1e-10
#: states of more patients than this take the certified path first (below, the posterior cache: its states
#: recur, and a cached decision costs less than a certified one when the posterior is wide)
CERT_MIN_PATIENTS = 36
_U = 2.0**-53


def certify_work_size(n_nodes: int, n_doses: int) -> int:
    """Length of ``work`` that turns on the certified path for a CRM design of K nodes and D doses."""
    return max(n_nodes, 6 * n_doses, 1) + n_nodes + 2 * n_doses + 4 + 2 * n_doses * n_nodes


@kernel
def _layout(K, D):
    """Offsets in ``work``: the log posterior at the K nodes, the counts it holds (patients, DLTs), a
    slot of 1 + the dose updates since its fresh sum (0: none), the last peak, two values of the grid
    that say whose tables follow (a buffer is one design's), and per dose log p and log(1 - p) at the
    nodes, contiguous (the grid holds them node by node)."""
    r0 = max(K, 6 * D, 1)
    fl = r0 + K + 2 * D
    return r0, r0 + K, r0 + K + D, fl, fl + 4


@kernel
def _update_log_post(ip, grid, n_at, tox_at, work):
    """Bring the stored log posterior to this state; returns the dose updates since its fresh sum."""
    K = ip[L.IP_CRM_N_NODES]
    D = ip[L.IP_N_DOSES]
    F = L.GRID_FIRST
    r0, cn, cy, fl, tab = _layout(K, D)
    if work[fl + 2] != grid[K // 2, F] or work[fl + 3] != grid[K - 1, F + 2 * D - 1]:
        for d in range(2 * D):  # this buffer's first use (or another design's buffer): the tables
            for k in range(K):
                work[tab + d * K + k] = grid[k, F + d]
        work[fl] = 0.0
        work[fl + 2] = grid[K // 2, F]
        work[fl + 3] = grid[K - 1, F + 2 * D - 1]
    fresh = work[fl] <= 0.0
    if not fresh:
        for d in range(D):
            dn = n_at[d] - work[cn + d]
            dy = tox_at[d] - work[cy + d]
            if dy < 0.0 or dn - dy < 0.0:  # a count fell: another trial
                fresh = True
                break
    f = work[r0 : r0 + K]
    if fresh:  # from the prior and no counts: the exact path's sums, term by term (posterior._node_log_post)
        for k in range(K):
            f[k] = grid[k, L.GRID_LOGPRIOR]
        for d in range(D):
            work[cn + d] = 0.0
            work[cy + d] = 0.0
    updates = 0 if fresh else int(work[fl]) - 1
    for d in range(D):  # the counts that changed, dose by dose
        dn = n_at[d] - int(work[cn + d])
        if dn == 0:
            continue
        y = float(tox_at[d] - int(work[cy + d]))
        q = float(dn) - y
        lp = work[tab + d * K : tab + (d + 1) * K]
        lq = work[tab + (D + d) * K : tab + (D + d + 1) * K]
        for k in range(K):
            f[k] += y * lp[k] + q * lq[k]
        if not fresh:
            updates += 1
    for d in range(D):
        work[cn + d] = n_at[d]
        work[cy + d] = tox_at[d]
    work[fl] = updates + 1
    return updates


@kernel
def _tail_moment(v, s, delta, bdist, h, wmax):
    """Bound on sum over j >= 0 of w exp(f_j - top) |b_j - m'| for the nodes past a window's edge: the
    first of them at log weight v (relative to top) and distance bdist from m', the next one step s lower
    (both known to delta), f concave. Infinite when the step is not surely downwards."""
    slope = s + 2.0 * delta
    if slope >= 0.0:
        return np.inf
    q = math.exp(slope)
    lead = wmax * math.exp(v + delta)
    return lead * (bdist / (1.0 - q) + h * q / ((1.0 - q) * (1.0 - q)))


@kernel
def _error_bound(ip, fp, grid, top, lo, hi, m, z, updates, work):
    """Bound on |m' - m| (module docstring) for the window ``lo`` to ``hi - 1`` of the stored log
    posterior, ``top`` its reference value, ``z`` its approximate integral."""
    K = ip[L.IP_CRM_N_NODES]
    D = ip[L.IP_N_DOSES]
    r0, cn = _layout(K, D)[:2]
    h = grid[1, L.GRID_B] - grid[0, L.GRID_B]
    wmax = h
    span = grid[K - 1, L.GRID_B] - grid[0, L.GRID_B]
    bmax = max(abs(grid[0, L.GRID_B]), abs(grid[K - 1, L.GRID_B]))
    fmax = abs(top) + CERT_DROP + 1.0
    if lo > 0:
        fmax = max(fmax, abs(work[r0 + lo - 1]))
    if hi < K:
        fmax = max(fmax, abs(work[r0 + hi]))
    n_total = 0
    for d in range(D):
        n_total += work[cn + d]
    delta = (
        2.02
        * _U
        * ((8.0 + 16.0 * D + 4.0 * updates) * (2.0 * fp[L.FP_CRM_LP_MAX] + fmax + 1.0) + 8.0 * n_total)
    )
    if delta > 1e-3:
        return np.inf
    rho = 2.2 * delta + 3.0 * _U
    err = 2.0 * rho / (1.0 - rho) * span + (4.0 * K + 4.0) * _U * bmax + 1e-20
    tails = 0.0
    if lo > 0:  # node lo - 1 is the first below the window on the left; lo its inner neighbour
        v = work[r0 + lo - 1] - top
        s = work[r0 + lo - 1] - work[r0 + lo]
        tails += _tail_moment(v, s, delta, abs(grid[lo - 1, L.GRID_B] - m), h, wmax)
    if hi < K:
        v = work[r0 + hi] - top
        s = work[r0 + hi] - work[r0 + hi - 1]
        tails += _tail_moment(v, s, delta, abs(grid[hi, L.GRID_B] - m), h, wmax)
    return err + 1.1 * tails / ((1.0 - rho) * z)


@kernel
def _closest_tried(ip, fp, m, n_at):
    """crm_closest's rule over the doses tried, at the plug-in curve of mean m (-1: none tried)."""
    D = ip[L.IP_N_DOSES]
    eb = math.exp(m)
    p = np.empty(D)
    for d in range(D):
        p[d] = crm_prob(0, 0.0, fp[L.FP_CRM_COEF + d], eb)
    return closest_to_target(p, fp[L.FP_TARGET], True, n_at)


@kernel
def certified_mean(ip, fp, grid, n_at, tox_at, work):
    """(m', e): the approximate posterior mean of b and the bound on its distance to the exact path's,
    the slack included (e infinite when this path does not serve the design: empiric model, plug-in
    choice, ``work`` of :func:`certify_work_size` values)."""
    K = ip[L.IP_CRM_N_NODES]
    D = ip[L.IP_N_DOSES]
    if ip[L.IP_CRM_MODEL] != 0 or ip[L.IP_CRM_DOSE_CHOICE] != 0 or K < 2:
        return 0.0, np.inf
    r0, cn, cy, fl, tab = _layout(K, D)
    if work.shape[0] != tab + 2 * D * K:
        return 0.0, np.inf
    updates = _update_log_post(ip, grid, n_at, tox_at, work)
    pk = int(work[fl + 1])  # climb from the last peak (the log posterior is concave)
    if pk < 0 or pk >= K:
        pk = K // 2
    while pk + 1 < K and work[r0 + pk + 1] > work[r0 + pk]:
        pk += 1
    while pk > 0 and work[r0 + pk - 1] > work[r0 + pk]:
        pk -= 1
    work[fl + 1] = pk
    top = work[r0 + pk]
    floor = top - CERT_DROP
    lo = pk
    while lo > 0 and work[r0 + lo - 1] >= floor:
        lo -= 1
    hi = pk + 1
    while hi < K and work[r0 + hi] >= floor:
        hi += 1
    z = 0.0
    m1 = 0.0
    for k in range(lo, hi):
        wf = grid[k, L.GRID_W] * math.exp(work[r0 + k] - top)
        z += wf
        m1 += wf * grid[k, L.GRID_B]
    m = m1 / z
    return m, _error_bound(ip, fp, grid, top, lo, hi, m, z, updates, work) + CERT_SLACK


@kernel
def crm_certified_dose(ip, fp, grid, n_at, tox_at, work, tried_only):
    """The plug-in dose the exact path would choose (over the doses tried with ``tried_only``), or -1
    when it cannot be certified or the design is not one this path serves (:func:`certified_mean`)."""
    D = ip[L.IP_N_DOSES]
    m, e = certified_mean(ip, fp, grid, n_at, tox_at, work)
    if not e < 1.0:
        return -1
    if tried_only:
        d_lo = _closest_tried(ip, fp, m - e, n_at)
        if d_lo < 0 or _closest_tried(ip, fp, m + e, n_at) != d_lo:
            return -1
        return d_lo
    dose = 0
    for j in range(D - 1):
        beta = fp[L.FP_CRM_MID + j]
        if abs(m - beta) <= e:
            return -1
        if beta < m:
            dose += 1
    return dose


@kernel
def crm_deep_dose(ip, fp, grid, n_at, tox_at, work, tried_only, full):
    """:func:`crm_certified_dose` for a simulated decision (not ``full``) in a state of more than
    ``CERT_MIN_PATIENTS`` patients; -1 otherwise or when not certified."""
    if full:
        return -1
    n_total = 0
    for d in range(ip[L.IP_N_DOSES]):
        n_total += n_at[d]
    if n_total <= CERT_MIN_PATIENTS:
        return -1
    return crm_certified_dose(ip, fp, grid, n_at, tox_at, work, tried_only)
