"""The one decision code path of every design, as numba kernels over arrays.

:func:`decide` is called after every cohort, by the simulation loop and by live recommendations alike.
It returns the next dose (0-based), the status (continue / stop and select / stop with no dose), the
reason code of the rule that decided, and the base rule's own proposal before modifiers (for the
explanation shown in meetings). It may eliminate doses by clearing ``admissible`` (eliminations are
permanent) and it may fill the CRM posterior cache; it changes nothing else.

:func:`select_dose` is the final selection when a trial stops with ``Status.STOP_SELECT``.
"""

from __future__ import annotations

from ..constants import DesignKind, ModifierKind, Reason, Status
from ..designs import layout as L
from .a_plus_b import decide_apb, select_apb
from .blrm import decide_blrm, select_blrm
from .blrm_comb import decide_blrm_comb, select_blrm_comb
from .boin import decide_boin, select_boin
from .boin12 import decide_boin12, select_boin12
from .combination import decide_boin_comb, select_boin_comb
from .crm import crm_closest, decide_crm
from .crm_certify import crm_deep_dose
from .efftox import decide_efftox, select_efftox
from .jit import kernel
from .pocrm import decide_pocrm, select_pocrm
from .posterior import crm_summary_row
from .rolling_six import decide_rolling_six, select_rolling_six
from .table import decide_table, select_table
from .three_plus_three import decide_tpt, select_tpt
from .uboin import decide_uboin, select_uboin

CONTINUE = int(Status.CONTINUE)
STOP_SELECT = int(Status.STOP_SELECT)
STOP_NO_DOSE = int(Status.STOP_NO_DOSE)
K_TPT = int(DesignKind.THREE_PLUS_THREE)
K_BOIN = int(DesignKind.BOIN)
K_CRM = int(DesignKind.CRM)
K_BOIN_COMB = int(DesignKind.BOIN_COMB)
K_POCRM = int(DesignKind.POCRM)
K_TABLE = int(DesignKind.TABLE)
K_TITE_BOIN = int(DesignKind.TITE_BOIN)
K_ROLLING_SIX = int(DesignKind.ROLLING_SIX)
K_BLRM = int(DesignKind.BLRM)
K_BLRM_COMB = int(DesignKind.BLRM_COMB)
K_APB = int(DesignKind.A_PLUS_B)
K_BOIN12 = int(DesignKind.BOIN12)
K_EFFTOX = int(DesignKind.EFFTOX)
K_UBOIN = int(DesignKind.UBOIN)
M_STOP_AT_N = int(ModifierKind.STOP_AT_N)
M_N_AT_DOSE = int(ModifierKind.STOP_WHEN_N_AT_DOSE)
M_DONT_SKIP = int(ModifierKind.DONT_SKIP)
M_TOO_TOXIC = int(ModifierKind.STOP_WHEN_TOO_TOXIC)
R_MAX_N = int(Reason.MAX_N)
R_STOP_AT_N = int(Reason.STOP_AT_N)
R_N_AT_DOSE = int(Reason.STOP_N_AT_DOSE)
R_DONT_SKIP = int(Reason.DONT_SKIP)
R_TOO_TOXIC = int(Reason.TOO_TOXIC)
R_NO_ADMISSIBLE = int(Reason.NO_ADMISSIBLE_DOSE)


# ---- two-drug grid designs (their own modules; kept out of line so single-agent decisions stay small) --
@kernel
def _decide_grid(
    ip,
    fp,
    tables,
    grid,
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
    """Base rule of BOIN-comb, PO-CRM, rolling six, the BLRM or the two-drug BLRM. One call site in
    :func:`decide` instead of several: the large argument lists and loops of these kernels otherwise cost
    every other decision (spills, a larger frame; rolling six inline halved BOIN's and 3+3's untimed
    speed)."""
    if ip[L.IP_KIND] == K_BLRM:
        return decide_blrm(ip, fp, grid, n_at, tox_at, cur, n_total, ckeys, cvals, work, full)
    if ip[L.IP_KIND] == K_BLRM_COMB:
        return decide_blrm_comb(ip, fp, grid, n_at, tox_at, admissible, cur, n_total, ckeys, cvals, full)
    if ip[L.IP_KIND] == K_ROLLING_SIX:
        nxt, status, reason, _hold = decide_rolling_six(ip, n_at, tox_at, n_at[:0], admissible, cur)
        return nxt, status, reason
    if ip[L.IP_KIND] == K_BOIN_COMB:
        return decide_boin_comb(ip, fp, tables, grid, n_at, tox_at, admissible, cur, u_tie)
    return decide_pocrm(
        ip, fp, tables, grid, n_at, tox_at, admissible, cur, last_cohort_n, last_cohort_tox, work, u_tie
    )


@kernel
def _select_grid(ip, fp, tables, grid, n_at, tox_at, admissible, ckeys, cvals, work, full):
    """Final selection of BOIN-comb, PO-CRM, rolling six or the BLRM (out of line, like
    :func:`_decide_grid`)."""
    if ip[L.IP_KIND] == K_BLRM:
        return select_blrm(ip, fp, grid, n_at, tox_at, ckeys, cvals, work, full)
    if ip[L.IP_KIND] == K_BLRM_COMB:
        return select_blrm_comb(ip, fp, grid, n_at, tox_at, admissible, ckeys, cvals, full)
    if ip[L.IP_KIND] == K_ROLLING_SIX:
        return select_rolling_six(ip, n_at, tox_at, admissible)
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
    resp_at,
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

    ``resp_at`` [2, D] holds the responses per dose (row 0) and the responses among patients with a DLT
    (row 1); only phase I/II designs read it (the others are given zeros).
    ``full`` asks the CRM posterior for every summary (live use); it never changes the decision.
    ``u_tie`` is a uniform on (0, 1) that designs which break ties at random use (BOIN for combinations);
    the simulation draws it from the trial's ``STREAM_DESIGN`` latent values, so it is reproducible.
    """
    kind = ip[L.IP_KIND]
    if kind == K_TPT:
        nxt, status, reason = decide_tpt(ip, n_at, tox_at, cur)
    elif kind == K_BOIN or kind == K_TITE_BOIN:  # TITE-BOIN on complete data is BOIN
        nxt, status, reason = decide_boin(ip, tables, n_at, tox_at, admissible, cur)
    elif (
        kind == K_BOIN_COMB
        or kind == K_POCRM
        or kind == K_ROLLING_SIX
        or kind == K_BLRM
        or kind == K_BLRM_COMB
    ):
        nxt, status, reason = _decide_grid(
            ip,
            fp,
            tables,
            grid,
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
        )
    elif kind == K_TABLE:
        nxt, status, reason = decide_table(ip, tables, n_at, tox_at, admissible, cur)
    elif kind == K_APB:
        nxt, status, reason = decide_apb(ip, n_at, tox_at, cur)
    elif kind == K_BOIN12:
        nxt, status, reason = decide_boin12(ip, tables, grid, n_at, tox_at, resp_at, admissible, cur)
    elif kind == K_EFFTOX:
        nxt, status, reason = decide_efftox(
            ip, fp, grid, n_at, tox_at, resp_at, admissible, cur, ckeys, cvals, work
        )
    elif kind == K_UBOIN:
        nxt, status, reason = decide_uboin(
            ip, fp, tables, n_at, tox_at, resp_at, admissible, cur, n_total, u_tie
        )
    else:
        nxt, status, reason = decide_crm(
            ip, fp, grid, n_at, tox_at, cur, last_cohort_n, last_cohort_tox, ckeys, cvals, work, full
        )
    base_next = nxt
    base_reason = reason
    nxt, status, reason = apply_modifiers(mods, tables, n_at, tox_at, cur, nxt, status, reason, n_total)
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
def apply_modifiers(mods, tables, n_at, tox_at, cur, nxt, status, reason, n_total):
    """The design's modifiers, in order, on the base rule's (next dose, status, reason) after a decision at
    ``cur`` with ``n_total`` patients treated; the designs that decide with pending patients call it too
    (``n_at``: patients treated per dose, ``tox_at``: DLTs seen)."""
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
    return nxt, status, reason


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
def select_dose(ip, fp, tables, grid, n_at, tox_at, resp_at, admissible, ckeys, cvals, work, full):
    """Final selection (0-based dose, or -1 for none) when a trial stops with STOP_SELECT (``resp_at``
    as in :func:`decide`)."""
    kind = ip[L.IP_KIND]
    if kind == K_TPT:
        return select_tpt(ip, n_at, tox_at)
    if kind == K_BOIN or kind == K_TITE_BOIN:
        return select_boin(ip, fp, tables, n_at, tox_at, admissible, work)
    if (
        kind == K_BOIN_COMB
        or kind == K_POCRM
        or kind == K_ROLLING_SIX
        or kind == K_BLRM
        or kind == K_BLRM_COMB
    ):
        return _select_grid(ip, fp, tables, grid, n_at, tox_at, admissible, ckeys, cvals, work, full)
    if kind == K_TABLE:
        return select_table(ip, fp, n_at, tox_at, admissible, work)
    if kind == K_APB:
        return select_apb(ip, n_at, tox_at)
    if kind == K_BOIN12:
        return select_boin12(ip, fp, tables, grid, n_at, tox_at, resp_at, admissible, work)
    if kind == K_EFFTOX:
        return select_efftox(ip, fp, grid, n_at, tox_at, resp_at, admissible, ckeys, cvals, work)
    if kind == K_UBOIN:
        return select_uboin(ip, fp, n_at, tox_at, resp_at, admissible)
    tried_only = ip[L.IP_CRM_SELECT_TRIED] == 1
    dose = crm_deep_dose(ip, fp, grid, n_at, tox_at, work, tried_only, full)
    if dose >= 0:
        return dose
    row = crm_summary_row(ip, fp, grid, n_at, tox_at, ckeys, cvals, work, full)
    return crm_closest(ip, fp, cvals, row, tried_only, n_at)
