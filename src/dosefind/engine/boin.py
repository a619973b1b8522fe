"""BOIN kernels: the decision from the compiled (n, y) table and the isotonic final selection (the spec:
designs/boin)."""

from __future__ import annotations

import numpy as np

from ..constants import Reason, Status
from ..designs import layout as L
from .isotonic import closest_to_target, pava
from .jit import kernel

CONTINUE = int(Status.CONTINUE)
STOP_SELECT = int(Status.STOP_SELECT)
STOP_NO_DOSE = int(Status.STOP_NO_DOSE)
R_BOIN_ESCALATE = int(Reason.BOIN_ESCALATE)
R_BOIN_STAY = int(Reason.BOIN_STAY)
R_BOIN_DEESCALATE = int(Reason.BOIN_DEESCALATE)
R_BOIN_STAY_TOP = int(Reason.BOIN_STAY_TOP)
R_BOIN_STAY_NEXT_ELIM = int(Reason.BOIN_STAY_NEXT_ELIMINATED)
R_BOIN_STAY_BOTTOM = int(Reason.BOIN_STAY_BOTTOM)
R_BOIN_LOWEST_ELIM = int(Reason.BOIN_LOWEST_ELIMINATED)
R_BOIN_EXTRASAFE = int(Reason.BOIN_EXTRASAFE)
R_BOIN_EARLYSTOP = int(Reason.BOIN_EARLYSTOP_N)
R_BOIN_DEESC_ELIM = int(Reason.BOIN_DEESCALATE_ELIMINATED)


@kernel
def decide_boin(ip, tables, n_at, tox_at, admissible, cur):
    D = ip[L.IP_N_DOSES]
    n = n_at[cur]
    flags = tables[0, n, tox_at[cur]]
    if flags & L.BOIN_ELIM:
        for j in range(cur, D):
            admissible[j] = 0
        if cur == 0:
            return cur, STOP_NO_DOSE, R_BOIN_LOWEST_ELIM
    if ip[L.IP_BOIN_EXTRASAFE] == 1 and cur == 0 and (flags & L.BOIN_EXTRASAFE_STOP):
        return cur, STOP_NO_DOSE, R_BOIN_EXTRASAFE
    if flags & L.BOIN_ESC:
        if cur == D - 1:
            nxt, reason = cur, R_BOIN_STAY_TOP
        elif admissible[cur + 1] == 0:
            nxt, reason = cur, R_BOIN_STAY_NEXT_ELIM
        else:
            nxt, reason = cur + 1, R_BOIN_ESCALATE
    elif flags & L.BOIN_DEESC:
        if cur == 0:
            nxt, reason = cur, R_BOIN_STAY_BOTTOM
        else:
            nxt, reason = cur - 1, R_BOIN_DEESCALATE
    else:
        nxt, reason = cur, R_BOIN_STAY
    # n_earlystop ends the trial only when the decision is to stay at the dose just treated
    if nxt == cur and n >= ip[L.IP_BOIN_N_EARLYSTOP]:
        return cur, STOP_SELECT, R_BOIN_EARLYSTOP
    return nxt, CONTINUE, reason


@kernel
def select_boin(ip, fp, tables, n_at, tox_at, admissible, work):
    D = ip[L.IP_N_DOSES]
    target = fp[L.FP_TARGET]
    # eliminations implied by the final counts (a dose and all above it)
    limit = D
    for d in range(D):
        if n_at[d] >= 3 and (tables[0, n_at[d], tox_at[d]] & L.BOIN_ELIM):
            limit = d
            break
    if limit == 0 or admissible[0] == 0:
        return -1
    idx = work[0:D]
    vals = work[D : 2 * D]
    wts = work[2 * D : 3 * D]
    est = work[3 * D : 4 * D]
    ww = work[4 * D : 5 * D]
    wl = work[5 * D : 6 * D]
    m = 0
    for d in range(D):
        if d < limit and admissible[d] == 1 and n_at[d] > 0:
            n = n_at[d] + 0.1
            y = tox_at[d] + 0.05
            idx[m] = d
            vals[m] = y / n
            wts[m] = 1.0 / ((y * (n_at[d] - tox_at[d] + 0.05)) / (n * n * (n + 1.0)))
            m += 1
    if m == 0:
        return -1
    pava(vals, wts, m, est, ww, wl)
    cap = fp[L.FP_BOIN_LAMBDA_D] if ip[L.IP_BOIN_BOUND_MTD] == 1 else np.inf
    best = closest_to_target(est, m, target, cap)
    if best < 0:
        return -1
    return int(idx[best])
