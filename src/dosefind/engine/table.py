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

Final selection: the isotonic (pool-adjacent-violators) fit of the observed rates y/n, weighted by n,
over the doses tried and still admissible; the dose whose fit is closest to the target, with the BOIN
package's tie-break (the i-th such dose's fit plus i x 1e-10, so among equal fits the lower dose wins
above the target and the higher below it). No dose tried: none.
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
    idx = work[0:D]
    vals = work[D : 2 * D]
    wts = work[2 * D : 3 * D]
    est = work[3 * D : 4 * D]
    ww = work[4 * D : 5 * D]
    wl = work[5 * D : 6 * D]
    m = 0
    for d in range(D):
        if admissible[d] == 1 and n_at[d] > 0:
            idx[m] = d
            vals[m] = tox_at[d] / n_at[d]
            wts[m] = n_at[d]
            m += 1
    if m == 0:
        return -1
    pava(vals, wts, m, est, ww, wl)
    return int(idx[closest_to_target(est, m, target, np.inf)])
