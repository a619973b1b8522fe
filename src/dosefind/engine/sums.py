"""Block reduction of simulated trials into exact integer sums: the kernel behind
:class:`dosefind.oc.sums.TrialSums` (which says what each sum is and builds the metrics from them)."""

from __future__ import annotations

import numpy as np

from .jit import kernel

#: positions in the ``scalars`` accumulator of :func:`add_trial_sums`
S_NONE, S_HIT, S_ABOVE, S_EARLY, S_SHORT = 0, 1, 2, 3, 4
S_NTOT_S, S_NTOT_Q, S_TOX_S, S_TOX_Q, S_NABOVE_S, S_NABOVE_Q = 5, 6, 7, 8, 9, 10
N_SCALAR_SUMS = 11


@kernel
def add_trial_sums(
    selected,
    n_at,
    tox_at,
    status,
    stop_status,
    max_n,
    correct,
    stop_correct,
    above,
    scalars,
    sel,
    n_s,
    n_q,
    t_s,
    t_q,
    ptam_s,
    ptam_q,
):
    """Add the trials' values into the int64 accumulators (one pass; integers add exactly).

    ``correct``/``above`` (per dose): a correct selection / above the true MTD; ``stop_correct``: whether
    selecting no dose is correct; ``ptam_s[k]``/``ptam_q[k]``: sum of the patients above the MTD and of
    their squares over the trials that treated k patients. Returns -1 when done, or, adding nothing,
    the length ``ptam_s``/``ptam_q`` need (a trial treated more patients than they have room for).
    """
    T = selected.shape[0]
    D = n_at.shape[1]
    room = ptam_s.shape[0]
    need = 0
    for i in range(T):
        total = 0
        for d in range(D):
            total += np.int64(n_at[i, d])
        if total + 1 > need:
            need = total + 1
    if need > room:
        return need
    for i in range(T):
        ntot = np.int64(0)
        ttot = np.int64(0)
        nab = np.int64(0)
        for d in range(D):
            a = np.int64(n_at[i, d])
            b = np.int64(tox_at[i, d])
            ntot += a
            ttot += b
            n_s[d] += a
            n_q[d] += a * a
            t_s[d] += b
            t_q[d] += b * b
            if above[d]:
                nab += a
        s = selected[i]
        if s < 0:
            scalars[S_NONE] += 1
            if stop_correct:
                scalars[S_HIT] += 1
        else:
            sel[s] += 1
            if correct[s]:
                scalars[S_HIT] += 1
            if above[s]:
                scalars[S_ABOVE] += 1
        if status[i] == stop_status:
            scalars[S_EARLY] += 1
        if ntot < max_n:
            scalars[S_SHORT] += 1
        scalars[S_NTOT_S] += ntot
        scalars[S_NTOT_Q] += ntot * ntot
        scalars[S_TOX_S] += ttot
        scalars[S_TOX_Q] += ttot * ttot
        scalars[S_NABOVE_S] += nab
        scalars[S_NABOVE_Q] += nab * nab
        ptam_s[ntot] += nab
        ptam_q[ntot] += nab * nab
    return -1
