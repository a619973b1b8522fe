"""The one decision code path of every design, as numba kernels over arrays.

:func:`decide` is called after every cohort, by the simulation loop and by live recommendations alike.
It returns the next dose (0-based), the status (continue / stop and select / stop with no dose), the
reason code of the rule that decided, and the base rule's own proposal before modifiers (for the
explanation shown in meetings). It may eliminate doses by clearing ``admissible`` (eliminations are
permanent) and it may fill the CRM posterior cache; it changes nothing else.

:func:`select_dose` is the final selection when a trial stops with ``Status.STOP_SELECT``.
"""

from __future__ import annotations

import numpy as np

from ..constants import DesignKind, ModifierKind, Reason, Status
from ..designs import layout as L
from .combination import decide_boin_comb, select_boin_comb
from .isotonic import pava
from .jit import kernel
from .pocrm import decide_pocrm, select_pocrm
from .posterior import crm_summary_row

CONTINUE = int(Status.CONTINUE)
STOP_SELECT = int(Status.STOP_SELECT)
STOP_NO_DOSE = int(Status.STOP_NO_DOSE)
K_TPT = int(DesignKind.THREE_PLUS_THREE)
K_BOIN = int(DesignKind.BOIN)
K_CRM = int(DesignKind.CRM)
K_BOIN_COMB = int(DesignKind.BOIN_COMB)
K_POCRM = int(DesignKind.POCRM)
M_STOP_AT_N = int(ModifierKind.STOP_AT_N)
M_N_AT_DOSE = int(ModifierKind.STOP_WHEN_N_AT_DOSE)
M_DONT_SKIP = int(ModifierKind.DONT_SKIP)
M_TOO_TOXIC = int(ModifierKind.STOP_WHEN_TOO_TOXIC)
R = Reason
R_BOIN_ESCALATE = int(R.BOIN_ESCALATE)
R_BOIN_STAY = int(R.BOIN_STAY)
R_BOIN_DEESCALATE = int(R.BOIN_DEESCALATE)
R_BOIN_STAY_TOP = int(R.BOIN_STAY_TOP)
R_BOIN_STAY_NEXT_ELIM = int(R.BOIN_STAY_NEXT_ELIMINATED)
R_BOIN_STAY_BOTTOM = int(R.BOIN_STAY_BOTTOM)
R_BOIN_LOWEST_ELIM = int(R.BOIN_LOWEST_ELIMINATED)
R_BOIN_EXTRASAFE = int(R.BOIN_EXTRASAFE)
R_BOIN_EARLYSTOP = int(R.BOIN_EARLYSTOP_N)
R_TPT_ESCALATE = int(R.TPT_ESCALATE)
R_TPT_EXPAND = int(R.TPT_EXPAND)
R_TPT_DEESCALATE = int(R.TPT_DEESCALATE)
R_TPT_MTD = int(R.TPT_MTD_FOUND)
R_TPT_ALL_TOXIC = int(R.TPT_ALL_TOXIC)
R_CRM_MODEL = int(R.CRM_MODEL)
R_CRM_NO_SKIP = int(R.CRM_NO_SKIP)
R_CRM_COHERENCE = int(R.CRM_COHERENCE)
R_CRM_SAFETY = int(R.CRM_SAFETY_STOP)
R_MAX_N = int(R.MAX_N)
R_STOP_AT_N = int(R.STOP_AT_N)
R_N_AT_DOSE = int(R.STOP_N_AT_DOSE)
R_DONT_SKIP = int(R.DONT_SKIP)
R_TOO_TOXIC = int(R.TOO_TOXIC)
R_NO_ADMISSIBLE = int(R.NO_ADMISSIBLE_DOSE)


# ---- 3+3 --------------------------------------------------------------------------------------------
@kernel
def _decide_tpt(ip, n_at, tox_at, cur):
    D = ip[L.IP_N_DOSES]
    deesc = ip[L.IP_TPT_DEESCALATE] == 1
    n = n_at[cur]
    y = tox_at[cur]
    if y >= 2:
        if cur == 0:
            return cur, STOP_NO_DOSE, R_TPT_ALL_TOXIC
        if not deesc or n_at[cur - 1] >= 6:
            return cur - 1, STOP_SELECT, R_TPT_MTD
        return cur - 1, CONTINUE, R_TPT_DEESCALATE
    if n < 6 and y == 1:
        return cur, CONTINUE, R_TPT_EXPAND
    if n < 6:  # 0 DLTs in the first 3
        if cur == D - 1 or (cur + 1 < D and tox_at[cur + 1] >= 2):
            return cur, CONTINUE, R_TPT_EXPAND
        return cur + 1, CONTINUE, R_TPT_ESCALATE
    # 6 or more patients with at most 1 DLT
    if cur == D - 1 or tox_at[cur + 1] >= 2:
        return cur, STOP_SELECT, R_TPT_MTD
    return cur + 1, CONTINUE, R_TPT_ESCALATE


@kernel
def _select_tpt(ip, n_at, tox_at):
    D = ip[L.IP_N_DOSES]
    first_toxic = D
    for d in range(D):
        if tox_at[d] >= 2:
            first_toxic = d
            break
    if ip[L.IP_TPT_DEESCALATE] == 0:
        return first_toxic - 1
    for d in range(first_toxic - 1, -1, -1):
        if n_at[d] >= 6:
            return d
    return -1


# ---- BOIN -------------------------------------------------------------------------------------------
@kernel
def _decide_boin(ip, tables, n_at, tox_at, admissible, cur):
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
def _select_boin(ip, fp, tables, n_at, tox_at, admissible, work):
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
    bound = ip[L.IP_BOIN_BOUND_MTD] == 1
    lam_d = fp[L.FP_BOIN_LAMBDA_D]
    best = -1
    best_gap = np.inf
    for i in range(m):
        e = est[i] + (i + 1) * 1e-10  # tie-breaker of the BOIN package
        if bound and e > lam_d:
            continue
        gap = abs(e - target)
        if gap < best_gap:
            best_gap = gap
            best = i
    if best < 0:
        return -1
    return int(idx[best])


# ---- CRM --------------------------------------------------------------------------------------------
@kernel
def _crm_closest(ip, fp, cvals, row, tried_only, n_at):
    D = ip[L.IP_N_DOSES]
    target = fp[L.FP_TARGET]
    col = L.POST_FIRST + (D if ip[L.IP_CRM_DOSE_CHOICE] == 1 else 0)
    best = -1
    best_gap = np.inf
    for d in range(D):
        if tried_only and n_at[d] == 0:
            continue
        gap = abs(cvals[row, col + d] - target)
        if gap < best_gap:
            best_gap = gap
            best = d
    return best


@kernel
def _decide_crm(ip, fp, grid, n_at, tox_at, cur, last_cohort_n, last_cohort_tox, ckeys, cvals, work, full):
    D = ip[L.IP_N_DOSES]
    row = crm_summary_row(ip, fp, grid, n_at, tox_at, ckeys, cvals, work, full)
    if ip[L.IP_CRM_SAFETY] == 1 and n_at[0] >= ip[L.IP_CRM_SAFETY_MIN_N]:
        if cvals[row, L.POST_FIRST + 3 * D] > fp[L.FP_CRM_SAFETY_CONFIDENCE]:
            return 0, STOP_NO_DOSE, R_CRM_SAFETY
    nxt = _crm_closest(ip, fp, cvals, row, False, n_at)
    reason = R_CRM_MODEL
    if ip[L.IP_CRM_NO_SKIP_ESC] == 1:
        ref = cur
        if ip[L.IP_CRM_SKIP_REFERENCE] == 1:
            for d in range(D):
                if n_at[d] > 0:
                    ref = d
        if nxt > ref + 1:
            nxt = ref + 1
            reason = R_CRM_NO_SKIP
    coherence = ip[L.IP_CRM_COHERENCE]
    if nxt > cur and coherence > 0:
        if (coherence == 1 and last_cohort_tox > 0) or (
            coherence == 2 and last_cohort_tox >= fp[L.FP_TARGET] * last_cohort_n
        ):
            nxt = cur
            reason = R_CRM_COHERENCE
    return nxt, CONTINUE, reason


# ---- two-drug grid designs (their own modules; kept out of line so single-agent decisions stay small) --
@kernel
def _decide_grid(
    ip, fp, tables, grid, n_at, tox_at, admissible, cur, last_cohort_n, last_cohort_tox, work, u_tie
):
    """Base rule of BOIN-comb or PO-CRM. One call site in :func:`decide` instead of two: the large argument
    lists of the grid kernels otherwise cost every single-agent decision (spills, a larger frame)."""
    if ip[L.IP_KIND] == K_BOIN_COMB:
        return decide_boin_comb(ip, fp, tables, grid, n_at, tox_at, admissible, cur, u_tie)
    return decide_pocrm(
        ip, fp, tables, grid, n_at, tox_at, admissible, cur, last_cohort_n, last_cohort_tox, work, u_tie
    )


@kernel
def _select_grid(ip, fp, tables, grid, n_at, tox_at, admissible, work):
    """Final selection of BOIN-comb or PO-CRM (out of line, like :func:`_decide_grid`)."""
    if ip[L.IP_KIND] == K_BOIN_COMB:
        return select_boin_comb(ip, fp, tables, grid, n_at, tox_at, admissible, work)
    return select_pocrm(ip, fp, tables, grid, n_at, tox_at, admissible, work)


# ---- the shared entry points -------------------------------------------------------------------------
@kernel
def decide(
    ip,
    fp,
    tables,
    grid,
    mods,
    modf,
    n_at,
    tox_at,
    admissible,
    cur,
    last_cohort_n,
    last_cohort_tox,
    n_total,
    ckeys,
    cvals,
    work,
    full,
    u_tie,
):
    """Decision after a cohort: (next dose, status, reason, base rule's dose, base rule's reason).

    ``full`` asks the CRM posterior for every summary (live use); it never changes the decision.
    ``u_tie`` is a uniform on (0, 1) that designs which break ties at random use (BOIN for combinations);
    the simulation draws it from the trial's ``STREAM_DESIGN`` latent values, so it is reproducible.
    """
    kind = ip[L.IP_KIND]
    if kind == K_TPT:
        nxt, status, reason = _decide_tpt(ip, n_at, tox_at, cur)
    elif kind == K_BOIN:
        nxt, status, reason = _decide_boin(ip, tables, n_at, tox_at, admissible, cur)
    elif kind == K_BOIN_COMB or kind == K_POCRM:
        nxt, status, reason = _decide_grid(
            ip, fp, tables, grid, n_at, tox_at, admissible, cur, last_cohort_n, last_cohort_tox, work, u_tie
        )
    else:
        nxt, status, reason = _decide_crm(
            ip, fp, grid, n_at, tox_at, cur, last_cohort_n, last_cohort_tox, ckeys, cvals, work, full
        )
    base_next = nxt
    base_reason = reason
    for m in range(mods.shape[0]):
        code = mods[m, L.MOD_KIND]
        if code == M_STOP_AT_N:
            if status == CONTINUE and n_total >= mods[m, L.MOD_I0]:
                status = STOP_SELECT
                reason = R_STOP_AT_N
        elif code == M_N_AT_DOSE:
            if status == CONTINUE:
                which = mods[m, L.MOD_I1]
                if which == L.N_AT_RECOMMENDED:
                    count = n_at[nxt]
                elif which == L.N_AT_ANY:
                    count = 0
                    for d in range(n_at.shape[0]):
                        count = max(count, n_at[d])
                else:
                    count = n_at[which]
                if count >= mods[m, L.MOD_I0]:
                    status = STOP_SELECT
                    reason = R_N_AT_DOSE
        elif code == M_DONT_SKIP:
            if status == CONTINUE:
                if mods[m, L.MOD_I0] == 1 and nxt > cur + 1:
                    nxt = cur + 1
                    reason = R_DONT_SKIP
                if mods[m, L.MOD_I1] == 1 and nxt < cur - 1:
                    nxt = cur - 1
                    reason = R_DONT_SKIP
        elif code == M_TOO_TOXIC:
            dose = mods[m, L.MOD_I0]
            if tables[mods[m, L.MOD_TABLE], n_at[dose], tox_at[dose]] == 1:
                status = STOP_NO_DOSE
                reason = R_TOO_TOXIC
    if status == CONTINUE and n_total >= ip[L.IP_MAX_N]:
        status = STOP_SELECT
        reason = R_MAX_N
    if status == CONTINUE and admissible[nxt] == 0:
        if ip[L.IP_GRID_COLS] > 0:
            nxt = lower_admissible_cell(ip, admissible, nxt)
        else:
            while nxt >= 0 and admissible[nxt] == 0:
                nxt -= 1
        if nxt < 0:
            return cur, STOP_NO_DOSE, R_NO_ADMISSIBLE, base_next, base_reason
    return nxt, status, reason, base_next, base_reason


@kernel
def lower_admissible_cell(ip, admissible, cell):
    """On a grid: the admissible cell (j', k') with j' <= j and k' <= k closest to cell (j, k) (largest
    j' + k', then largest j'), or -1."""
    K = ip[L.IP_GRID_COLS]
    j = cell // K
    k = cell % K
    best = -1
    best_sum = -1
    for jj in range(j, -1, -1):
        for kk in range(k, -1, -1):
            c = jj * K + kk
            if admissible[c] == 1 and jj + kk > best_sum:
                best = c
                best_sum = jj + kk
    return best


@kernel
def init_admissible(ip, admissible):
    """Every dose admissible, except the cells a grid excludes."""
    mask = ip[L.IP_EXCLUDED_MASK]
    for d in range(admissible.shape[0]):
        admissible[d] = 0 if (mask >> d) & 1 else 1


@kernel
def select_dose(ip, fp, tables, grid, n_at, tox_at, admissible, ckeys, cvals, work, full):
    """Final selection (0-based dose, or -1 for none) when a trial stops with STOP_SELECT."""
    kind = ip[L.IP_KIND]
    if kind == K_TPT:
        return _select_tpt(ip, n_at, tox_at)
    if kind == K_BOIN:
        return _select_boin(ip, fp, tables, n_at, tox_at, admissible, work)
    if kind == K_BOIN_COMB or kind == K_POCRM:
        return _select_grid(ip, fp, tables, grid, n_at, tox_at, admissible, work)
    row = crm_summary_row(ip, fp, grid, n_at, tox_at, ckeys, cvals, work, full)
    return _crm_closest(ip, fp, cvals, row, ip[L.IP_CRM_SELECT_TRIED] == 1, n_at)
