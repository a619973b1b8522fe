"""Kernels of two-drug (combination) designs: BOIN for combinations (its isotonic fit is in
:mod:`dosefind.engine.isotonic`).

Cells are indexed ``c = j * K + k`` (j: level of drug A, k: of drug B, 0-based); the grid shape is
``ip[IP_GRID_ROWS]`` x ``ip[IP_GRID_COLS]``. The semantics (and where the BOIN package's two
implementations differ) are documented in :mod:`dosefind.designs.boin_comb`.

This module must not import :mod:`dosefind.engine.decisions` (which dispatches to it).
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import Reason, Status
from ..designs import layout as L
from .isotonic import ISO_LEVEL_GAP, bivariate_isotonic, biviso  # noqa: F401  (re-exported)
from .jit import kernel

CONTINUE = int(Status.CONTINUE)
STOP_SELECT = int(Status.STOP_SELECT)
STOP_NO_DOSE = int(Status.STOP_NO_DOSE)
R_ESCALATE = int(Reason.BOIN_COMB_ESCALATE)
R_STAY = int(Reason.BOIN_COMB_STAY)
R_DEESCALATE = int(Reason.BOIN_COMB_DEESCALATE)
R_STAY_NO_ESCALATION = int(Reason.BOIN_COMB_STAY_NO_ESCALATION)
R_STAY_BOTTOM = int(Reason.BOIN_COMB_STAY_BOTTOM)
R_LOWEST_ELIMINATED = int(Reason.BOIN_COMB_LOWEST_ELIMINATED)
R_EXTRASAFE = int(Reason.BOIN_COMB_EXTRASAFE)
R_EARLYSTOP = int(Reason.BOIN_COMB_EARLYSTOP_N)
R_DEESCALATE_ELIMINATED = int(Reason.BOIN_COMB_DEESCALATE_ELIMINATED)


@kernel
def r_round2(x):
    """R's ``round(x, 2)`` (R >= 4.0.0): the nearer of the two 2-decimal neighbours, computed in double
    precision; when they are exactly as near, the one with an even last digit."""
    if x == 0.0 or not math.isfinite(x):
        return x
    sign = 1.0
    if x < 0.0:
        sign = -1.0
        x = -x
    x100 = 100.0 * x
    low = math.floor(x100)
    down = low / 100.0
    up = math.ceil(x100) / 100.0
    d_up = up - x
    d_down = x - down
    if d_up < d_down or (d_up == d_down and low % 2.0 == 1.0):
        return sign * up
    return sign * down


# ---- BOIN for combinations: decision ---------------------------------------------------------------------
@kernel
def _candidate_score(grid, n_at, tox_at, c):
    """P(lambda_e < p < lambda_d | Beta(y + 1/2, n - y + 1/2)) + n * 5e-4 (the package's score)."""
    return grid[n_at[c], tox_at[c]] + n_at[c] * 5e-04


@kernel
def _over_lambda_d(n_at, tox_at, c, lam_d):
    """The next.comb escalation guard: observed rate y / max(n, 1) >= lambda_d at cell c."""
    n = n_at[c]
    return tox_at[c] / (n if n > 0 else 1) >= lam_d


@kernel
def _choose(score0, score1, c0, c1, u_tie):
    """The better of two candidates (-1 for none; scores <= 0 mark no candidate), exact ties at random."""
    best = max(score0, score1)
    if best <= 0.0:
        return -1
    if score0 == score1:
        u = min(max(u_tie, 0.0), 0.999999999)
        return c0 if int(u * 2.0) == 0 else c1
    return c0 if score0 > score1 else c1


@kernel
def decide_boin_comb(ip, fp, tables, grid, n_at, tox_at, admissible, cur, u_tie):
    """Decision after a cohort at cell ``cur``: (next cell, status, reason). May clear ``admissible``."""
    J = ip[L.IP_GRID_ROWS]
    K = ip[L.IP_GRID_COLS]
    next_comb = ip[L.IP_BOIN_COMB_RULES] == 1
    n = n_at[cur]
    y = tox_at[cur]
    flags = tables[0, n, y]
    # eliminations: every cell with enough DLTs closes its upper-right quadrant (permanent)
    for c in range(J * K):
        if n_at[c] >= 3 and (tables[0, n_at[c], tox_at[c]] & L.BOIN_ELIM):
            for jj in range(c // K, J):
                for kk in range(c % K, K):
                    admissible[jj * K + kk] = 0
    if admissible[0] == 0:
        return cur, STOP_NO_DOSE, R_LOWEST_ELIMINATED
    if (
        ip[L.IP_BOIN_EXTRASAFE] == 1
        and cur == 0
        and (flags & L.BOIN_EXTRASAFE_STOP)
        and (tables[0, n, n] & L.BOIN_ELIM)  # the package checks only where an elimination boundary exists
    ):
        return cur, STOP_NO_DOSE, R_EXTRASAFE
    if next_comb and n >= ip[L.IP_BOIN_N_EARLYSTOP]:
        return cur, STOP_SELECT, R_EARLYSTOP
    j = cur // K
    k = cur % K
    if flags & L.BOIN_ESC:
        lam_d = fp[L.FP_BOIN_LAMBDA_D]
        s0 = 0.0
        s1 = 0.0
        c0 = cur + K  # (j + 1, k)
        c1 = cur + 1  # (j, k + 1)
        if j + 1 < J and admissible[c0] == 1:
            ok = True
            if next_comb:
                for kk in range(k + 1):
                    if _over_lambda_d(n_at, tox_at, (j + 1) * K + kk, lam_d):
                        ok = False
            if ok:
                s0 = _candidate_score(grid, n_at, tox_at, c0)
        if k + 1 < K and admissible[c1] == 1:
            ok = True
            if next_comb:
                for jj in range(j + 1):
                    if _over_lambda_d(n_at, tox_at, jj * K + k + 1, lam_d):
                        ok = False
            if ok:
                s1 = _candidate_score(grid, n_at, tox_at, c1)
        nxt = _choose(s0, s1, c0, c1, u_tie)
        if nxt < 0:
            nxt, reason = cur, R_STAY_NO_ESCALATION
        else:
            reason = R_ESCALATE
    elif flags & L.BOIN_DEESC:
        s0 = 0.0
        s1 = 0.0
        c0 = cur - K  # (j - 1, k)
        c1 = cur - 1  # (j, k - 1)
        if j > 0 and admissible[c0] == 1:
            s0 = _candidate_score(grid, n_at, tox_at, c0)
        if k > 0 and admissible[c1] == 1:
            s1 = _candidate_score(grid, n_at, tox_at, c1)
        nxt = _choose(s0, s1, c0, c1, u_tie)
        if nxt < 0:
            nxt, reason = cur, R_STAY_BOTTOM
        elif admissible[cur] == 0:
            reason = R_DEESCALATE_ELIMINATED
        else:
            reason = R_DEESCALATE
    else:
        nxt, reason = cur, R_STAY
    # get.oc.comb: n_earlystop ends the trial only when the decision is to stay at the cell just treated
    if nxt == cur and n >= ip[L.IP_BOIN_N_EARLYSTOP]:
        return cur, STOP_SELECT, R_EARLYSTOP
    return nxt, CONTINUE, reason


# ---- BOIN for combinations: final selection -----------------------------------------------------------
@kernel
def select_boin_comb(ip, fp, tables, grid, n_at, tox_at, admissible, work):
    """Final selection (cell index, or -1 for none), as the BOIN package's select.mtd.comb.

    Eliminations are recomputed from the final counts with the package's pattern; ``admissible`` (the
    trial's eliminations, excluded cells) is not consulted: excluded cells have no patients, and the
    package's selection ignores the trial's eliminations. ``work`` needs ``ip[IP_BOIN_COMB_WORK]`` floats.
    """
    J = ip[L.IP_GRID_ROWS]
    K = ip[L.IP_GRID_COLS]
    D = J * K
    m = max(J, K)
    target = fp[L.FP_TARGET]
    lam_d = fp[L.FP_BOIN_LAMBDA_D]
    next_comb = ip[L.IP_BOIN_COMB_RULES] == 1
    tried = False
    for c in range(D):
        if n_at[c] > 0:
            tried = True
    if not tried:
        return -1
    if (
        ip[L.IP_BOIN_EXTRASAFE] == 1
        and n_at[0] >= 3
        and (tables[0, n_at[0], tox_at[0]] & L.BOIN_EXTRASAFE_STOP)
    ):
        return -1
    y = work[0:D]
    w = work[D : 2 * D]
    est = work[2 * D : 3 * D]
    p = work[3 * D : 4 * D]
    q = work[4 * D : 5 * D]
    s = work[5 * D : 6 * D]
    elim = work[6 * D : 7 * D]
    blk_val = work[7 * D : 7 * D + m]
    blk_w = work[7 * D + m : 7 * D + 2 * m]
    blk_len = work[7 * D + 2 * m : 7 * D + 3 * m]
    # the package's elimination: in each row, the first cell over the cutoff closes its column downwards
    # (higher drug A levels) and its row rightwards; first[j] = that column (K: none)
    first = blk_val
    for j in range(J):
        first[j] = K
        for k in range(K):
            c = j * K + k
            if n_at[c] >= 3 and (tables[0, n_at[c], tox_at[c]] & L.BOIN_ELIM):
                first[j] = k
                break
    if first[0] == 0:
        return -1
    for j in range(J):
        for k in range(K):
            closed = first[j] <= k
            for jj in range(j + 1):
                if first[jj] == k:
                    closed = True
            elim[j * K + k] = 1.0 if closed else 0.0
    for c in range(D):
        w[c] = n_at[c] + 0.1
        y[c] = (tox_at[c] + 0.05) / w[c]
    bivariate_isotonic(y, w, J, K, est, p, q, s, blk_val, blk_w, blk_len)
    # phat as the package: rounded (select.mtd.comb) or not (get.oc.comb), 1.1 if eliminated, 0 if
    # untried, + 1e-5 (j + k) with 1-based levels
    for j in range(J):
        for k in range(K):
            c = j * K + k
            v = r_round2(est[c]) if next_comb else est[c]
            if elim[c] == 1.0:
                v = 1.1
            v = (v if n_at[c] > 0 else 0.0) + 1e-05 * (j + k + 2)
            s[c] = v
    if ip[L.IP_BOIN_BOUND_MTD] == 1:
        # only estimates below lambda_d qualify (select.mtd.comb: <= lambda_d; get.oc.comb: < lambda_d)
        any_ok = False
        for c in range(D):
            if n_at[c] > 0 and (s[c] <= lam_d if next_comb else s[c] < lam_d):
                any_ok = True
        if not any_ok:
            return -1
        for c in range(D):
            if s[c] > lam_d if next_comb else s[c] >= lam_d:
                s[c] = 10.0
    best = -1
    best_gap = np.inf
    for k in range(K):  # column-major order, as R's which(..., arr.ind = TRUE)[1, ]
        for j in range(J):
            c = j * K + k
            gap = abs((s[c] if n_at[c] > 0 else 10.0) - target)
            if gap < best_gap:
                best_gap = gap
                best = c
    return best
