"""TITE-BOIN kernel: BOIN's decision with pending patients at the current dose (the spec and the formulas:
designs/tite_boin). On complete data (no one pending there) the decision is BOIN's, read from the same
compiled (n, y) table; the final selection is BOIN's (:func:`~dosefind.engine.boin.select_boin`)."""

from __future__ import annotations

from ..constants import Reason
from ..designs import layout as L
from .boin import (
    CONTINUE,
    R_BOIN_DEESC_ELIM,
    R_BOIN_DEESCALATE,
    R_BOIN_EARLYSTOP,
    R_BOIN_ESCALATE,
    R_BOIN_EXTRASAFE,
    R_BOIN_LOWEST_ELIM,
    R_BOIN_STAY,
    R_BOIN_STAY_BOTTOM,
    R_BOIN_STAY_NEXT_ELIM,
    R_BOIN_STAY_TOP,
    STOP_NO_DOSE,
    STOP_SELECT,
    decide_boin,
)
from .jit import kernel

R_SUSPEND = int(Reason.TITE_SUSPEND)
R_SUSPEND_BOTTOM = int(Reason.TITE_SUSPEND_BOTTOM)

ESC = 1
STAY = 0
DEESC = -1


@kernel
def complete_move(tables, n, y):
    """BOIN's move on complete data, y DLTs in n patients: ESC, STAY or DEESC (elimination implies DEESC)."""
    flags = tables[0, n, y]
    if flags & L.BOIN_ESC:
        return ESC
    if flags & (L.BOIN_DEESC | L.BOIN_ELIM):
        return DEESC
    return STAY


@kernel
def pending_estimate(ip, fp, n, y, m, stft):
    """The DLT rate estimate at a dose with n patients, y observed DLTs and m pending patients whose
    follow-up sums to ``stft`` windows: y / (n - m + stft) (effective sample size, version 0), or
    (y + q (m - stft)) / n with q = p~ / (1 - p~), p~ = (y + target / 2) / (n - m + 1) (imputation,
    version 1)."""
    if ip[L.IP_TITE_VERSION] == 0:
        return y / (n - m + stft)
    pt = (y + 0.5 * fp[L.FP_TARGET]) / (n - m + 1.0)
    return (y + pt / (1.0 - pt) * (m - stft)) / n


@kernel
def pending_move(ip, fp, tables, n, y, m, stft):
    """The move by the estimate with m > 0 pending: ESC if it is <= lambda_e, DEESC if >= lambda_d."""
    if y == 0 and ip[L.IP_TITE_VERSION] == 0:
        return ESC
    est = pending_estimate(ip, fp, n, y, m, stft)
    if est <= fp[L.FP_BOIN_LAMBDA_E]:
        return ESC
    if est >= fp[L.FP_BOIN_LAMBDA_D]:
        return DEESC
    return STAY


@kernel
def suspends(ip, fp, tables, n, y, m):
    """Whether accrual is suspended with m of the n patients at the current dose pending (y DLTs seen):
    m > max_pending x n, unless (rule 1) the decision is the same whatever the pending outcomes (all
    without a DLT: y of n; all with one: y + m of n)."""
    if m <= fp[L.FP_TITE_MAX_PENDING] * n:
        return False
    if ip[L.IP_TITE_SUSPEND] == 0:
        return True
    return complete_move(tables, n, y) != complete_move(tables, n, y + m)


@kernel
def decide_tite_boin(ip, fp, tables, n_at, tox_at, pend_at, stft_at, admissible, cur):
    """TITE-BOIN's decision at the current dose ``cur``: (next dose, status, reason, suspend).

    ``n_at`` counts every patient treated (pending ones included), ``tox_at`` the DLTs observed so far,
    ``pend_at`` the pending patients (no DLT yet, window not complete) and ``stft_at`` their follow-up in
    windows, summed. Order (TITEgBOIN's ``next_TITE_QuasiBOIN``): elimination of every dose on n and
    the observed DLTs; a current dose eliminated sends the trial below the lowest eliminated dose (none
    left: stop); the extra-safe stop; the suspension; the move by the estimate. With no one pending at
    the current dose the move is BOIN's from its table.
    """
    D = ip[L.IP_N_DOSES]
    for d in range(D):
        if admissible[d] == 1 and n_at[d] >= 3 and (tables[0, n_at[d], tox_at[d]] & L.BOIN_ELIM):
            for j in range(d, D):
                admissible[j] = 0
            break
    if admissible[cur] == 0:
        low = 0
        while low < D and admissible[low] == 1:
            low += 1
        if low == 0:
            return cur, STOP_NO_DOSE, R_BOIN_LOWEST_ELIM, 0
        return low - 1, CONTINUE, R_BOIN_DEESC_ELIM, 0
    n = n_at[cur]
    y = tox_at[cur]
    m = pend_at[cur]
    if m == 0:
        nxt, status, reason = decide_boin(ip, tables, n_at, tox_at, admissible, cur)
        return nxt, status, reason, 0
    if ip[L.IP_BOIN_EXTRASAFE] == 1 and cur == 0 and (tables[0, n, y] & L.BOIN_EXTRASAFE_STOP):
        return cur, STOP_NO_DOSE, R_BOIN_EXTRASAFE, 0
    if suspends(ip, fp, tables, n, y, m):
        return cur, CONTINUE, R_SUSPEND, 1
    if ip[L.IP_TITE_SUSPEND] == 1 and m > fp[L.FP_TITE_MAX_PENDING] * n:
        move = complete_move(tables, n, y)  # determined: every completion of the pending gives it
    else:
        move = pending_move(ip, fp, tables, n, y, m, stft_at[cur])
    if move == ESC:
        if cur == D - 1:
            nxt, reason = cur, R_BOIN_STAY_TOP
        elif admissible[cur + 1] == 0:
            nxt, reason = cur, R_BOIN_STAY_NEXT_ELIM
        else:
            nxt, reason = cur + 1, R_BOIN_ESCALATE
    elif move == DEESC:
        if cur == 0:
            if ip[L.IP_TITE_VERSION] == 0:  # TITEgBOIN: wait for the pending outcomes
                return cur, CONTINUE, R_SUSPEND_BOTTOM, 1
            nxt, reason = cur, R_BOIN_STAY_BOTTOM
        else:
            nxt, reason = cur - 1, R_BOIN_DEESCALATE
    else:
        nxt, reason = cur, R_BOIN_STAY
    if nxt == cur and n >= ip[L.IP_BOIN_N_EARLYSTOP]:
        return cur, STOP_SELECT, R_BOIN_EARLYSTOP, 0
    return nxt, CONTINUE, reason, 0
