"""Kernels of the table-driven family (the specs: designs/table): the decision read from the design's
(patients, DLTs) action table at the current dose, and the isotonic final selection.

Decision after a cohort at dose ``cur`` with n patients and y DLTs there: ``tables[0, n, y]`` is S, E, D
or DU (``layout.TABLE_*``).

* E escalates; at the highest dose, or when the next dose is eliminated, the design stays
  (``TABLE_STAY_TOP``, ``TABLE_STAY_NEXT_ELIMINATED``).
* D de-escalates; at the lowest dose the design stays (``TABLE_STAY_BOTTOM``).
* DU eliminates the dose and every dose above it for the rest of the trial and de-escalates; at the
  lowest dose no dose is left and the trial stops with none (``TABLE_LOWEST_ELIMINATED``).
* S stays.

The four actions report the reason codes the design compiled into ``ip`` (the family's TABLE_* codes
unless the design declares its own).

Final selection: the isotonic (pool-adjacent-violators) fit of the estimates (y + a) / (n + a + b) (a, b:
``fp[FP_TABLE_SELECT_A]``, ``fp[FP_TABLE_SELECT_B]``; 0 and 0 give the observed rates y/n), weighted by n
or by the inverse of the Beta(a + y, b + n - y) posterior variance (``ip[IP_TABLE_SELECT_WEIGHTS]``), over
the doses tried and still admissible; the dose whose fit is closest to the target, ties resolved by
``ip[IP_TABLE_SELECT_TIES]``:

* ``TABLE_TIES_INCREMENT`` (the default; BOIN and Keyboard packages): the i-th such dose's fit plus
  i x 1e-10, so among equal fits the lower dose wins above the target and the higher below it;
* ``TABLE_TIES_MEAN`` (TPI, mTPI-2): among the doses equally close, the highest if the mean of their
  fits is below the target, else the lowest;
* ``TABLE_TIES_BELOW`` (mTPI): the highest of those below the target, else the lowest.

No dose tried: none.
"""

from __future__ import annotations

import numpy as np

from ..constants import Reason, Status
from ..designs import layout as L
from .isotonic import closest_to_target, pava
from .jit import kernel

CONTINUE = int(Status.CONTINUE)
STOP_NO_DOSE = int(Status.STOP_NO_DOSE)
R_STAY_TOP = int(Reason.TABLE_STAY_TOP)
R_STAY_NEXT_ELIM = int(Reason.TABLE_STAY_NEXT_ELIMINATED)
R_STAY_BOTTOM = int(Reason.TABLE_STAY_BOTTOM)
R_LOWEST_ELIM = int(Reason.TABLE_LOWEST_ELIMINATED)


@kernel
def decide_table(ip, tables, n_at, tox_at, admissible, cur):
    D = ip[L.IP_N_DOSES]
    action = tables[0, n_at[cur], tox_at[cur]]
    if action == L.TABLE_ELIMINATE:
        for j in range(cur, D):
            admissible[j] = 0
        if cur == 0:
            return cur, STOP_NO_DOSE, R_LOWEST_ELIM
        return cur - 1, CONTINUE, ip[L.IP_TABLE_REASON_ELIMINATE]
    if action == L.TABLE_ESCALATE:
        if cur == D - 1:
            return cur, CONTINUE, R_STAY_TOP
        if admissible[cur + 1] == 0:
            return cur, CONTINUE, R_STAY_NEXT_ELIM
        return cur + 1, CONTINUE, ip[L.IP_TABLE_REASON_ESCALATE]
    if action == L.TABLE_DEESCALATE:
        if cur == 0:
            return cur, CONTINUE, R_STAY_BOTTOM
        return cur - 1, CONTINUE, ip[L.IP_TABLE_REASON_DEESCALATE]
    return cur, CONTINUE, ip[L.IP_TABLE_REASON_STAY]


@kernel
def select_table(ip, fp, n_at, tox_at, admissible, work):
    D = ip[L.IP_N_DOSES]
    target = fp[L.FP_TARGET]
    a = fp[L.FP_TABLE_SELECT_A]
    b = fp[L.FP_TABLE_SELECT_B]
    inverse_variance = ip[L.IP_TABLE_SELECT_WEIGHTS] == L.TABLE_WEIGHTS_INVERSE_VARIANCE
    ties = ip[L.IP_TABLE_SELECT_TIES]
    idx = work[0:D]
    vals = work[D : 2 * D]
    wts = work[2 * D : 3 * D]
    est = work[3 * D : 4 * D]
    ww = work[4 * D : 5 * D]
    wl = work[5 * D : 6 * D]
    m = 0
    for d in range(D):
        if admissible[d] == 1 and n_at[d] > 0:
            y = tox_at[d]
            n = n_at[d]
            idx[m] = d
            s = n + (a + b)
            vals[m] = (y + a) / s
            if inverse_variance:
                wts[m] = 1.0 / ((y + a) * (n - y + b) / (s * s * (s + 1.0)))
            else:
                wts[m] = n
            m += 1
    if m == 0:
        return -1
    pava(vals, wts, m, est, ww, wl)
    if ties == L.TABLE_TIES_INCREMENT:
        return int(idx[closest_to_target(est, m, target, np.inf)])
    return int(idx[closest_tied(est, m, target, ties)])


@kernel
def closest_tied(est, m, target, ties):
    """The index i < m whose estimate is closest to ``target`` (exact distances); among equally close
    estimates, ``TABLE_TIES_MEAN``: the highest if their mean is below the target, else the lowest;
    ``TABLE_TIES_BELOW``: the highest below the target, else the lowest."""
    gap = np.inf
    for i in range(m):
        g = abs(est[i] - target)
        if g < gap:
            gap = g
    lowest = -1
    highest = -1
    highest_below = -1
    total = 0.0
    count = 0
    for i in range(m):
        if abs(est[i] - target) == gap:
            if lowest < 0:
                lowest = i
            highest = i
            if est[i] < target:
                highest_below = i
            total += est[i]
            count += 1
    if ties == L.TABLE_TIES_MEAN:
        return highest if total / count < target else lowest
    return highest_below if highest_below >= 0 else lowest
