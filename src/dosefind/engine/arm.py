"""The arm loop: dose escalation, then efficacy expansion cohorts at the recommended dose.

Arrays in, arrays out, like :mod:`dosefind.engine.trial`. One arm is:

1. escalation by the design's own :func:`~dosefind.engine.trial.escalate` (the same decisions as a
   single-outcome trial), recording each patient's dose and response;
2. the extension opens when escalation selected a dose with at least ``open_min_resp`` responses there;
3. each expansion cohort c follows its rule's boundaries (``looks``, ``futility``, ``efficacy``: at look
   i with x responses among the first ``looks[i]`` counted patients, stop inactive iff
   x <= futility[i], stop active iff x >= efficacy[i]). A cohort that counts escalation patients first
   takes the escalation patients treated at the selected dose, in treatment order, then new patients;
4. new patients enrol one at a time in turn across the cohorts still open; patient i of cohort c is
   latent patient ``EXT_BASE * (c + 1) + i`` of the trial, so a cohort's patients do not depend on how
   long escalation took (common random numbers across designs). Their response probability is the
   cohort's own at the selected dose, their DLT probability the dose's;
5. safety is monitored after every new patient on all patients treated at the selected dose (escalation
   and extension pooled) with the safety table ``safety[n, y]`` (1 = stop); a stop closes every open
   cohort (decision ``SAFETY``).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ..designs import layout as L
from .copula import responds_tab
from .jit import kernel
from .rng import STREAM_EFF, STREAM_TOX, latent_uniform, trial_key
from .trial import escalate

EXT_BASE = 1 << 24
#: cohort decisions (the same codes as :class:`dosefind.constants.CohortDecision`)
NOT_OPENED = 0
ACTIVE = 1
FUTILE = 2
SAFETY = 3


@kernel
def _look(looks, futility, efficacy, n_looks, look, count, resp):
    """Decision at a cohort's counted patient ``count``: (decision or -1 to go on, next look index)."""
    if look < n_looks and count == looks[look]:
        if resp <= futility[look]:
            return FUTILE, look
        if resp >= efficacy[look]:
            return ACTIVE, look
        return -1, look + 1
    return -1, look


@kernel
def run_arms(
    ip,
    fp,
    tables,
    grid,
    mods,
    modf,
    true_tox,
    eff_prob,
    eff_tab,
    rho,
    coh_prob,
    coh_tab,
    looks,
    futility,
    efficacy,
    n_looks,
    carry,
    safety,
    safety_on,
    open_min_resp,
    seed,
    scenario_key,
    first,
    last,
    n_at,
    tox_at,
    eff_at,
    admissible,
    pat_dose,
    pat_resp,
    ckeys,
    cvals,
    work,
    out_selected,
    out_n,
    out_tox,
    out_eff,
    out_status,
    out_reason,
    out_opened,
    out_coh_new,
    out_coh_counted,
    out_coh_resp,
    out_coh_tox,
    out_coh_decision,
    out_coh_look,
    out_safety_stop,
):
    """Simulate arms ``first..last-1`` into rows ``0..last-first-1`` of the outputs.

    ``coh_prob[c, d]``: response probability of cohort c's new patients at dose d; ``coh_tab[c]`` its
    :func:`~dosefind.engine.copula.response_table` (``eff_tab``: the escalation's);
    ``looks/futility/efficacy[c, :n_looks[c]]`` the cohort's boundaries; ``carry[c]`` 1 when the cohort
    counts escalation patients at the selected dose.
    """
    D = ip[L.IP_N_DOSES]
    C = looks.shape[0]
    count = np.zeros(C, dtype=np.int64)
    resp = np.zeros(C, dtype=np.int64)
    look = np.zeros(C, dtype=np.int64)
    decision = np.zeros(C, dtype=np.int64)
    for t in range(first, last):
        row = t - first
        tk = trial_key(seed, scenario_key, t)
        status, reason, n_esc, sel = escalate(
            ip,
            fp,
            tables,
            grid,
            mods,
            modf,
            true_tox,
            eff_prob,
            eff_tab,
            rho,
            tk,
            n_at,
            tox_at,
            eff_at,
            admissible,
            pat_dose,
            pat_resp,
            ckeys,
            cvals,
            work,
        )
        out_selected[row] = sel
        for d in range(D):
            out_n[row, d] = n_at[d]
            out_tox[row, d] = tox_at[d]
            out_eff[row, d] = eff_at[d]
        out_status[row] = status
        out_reason[row] = reason
        opened = sel >= 0 and eff_at[sel] >= open_min_resp
        out_opened[row] = opened
        out_safety_stop[row] = False
        for c in range(C):
            out_coh_new[row, c] = 0
            out_coh_tox[row, c] = 0
            out_coh_counted[row, c] = 0
            out_coh_resp[row, c] = 0
            out_coh_look[row, c] = -1
            out_coh_decision[row, c] = NOT_OPENED
        if not opened:
            continue
        n_open = 0
        for c in range(C):
            count[c] = 0
            resp[c] = 0
            look[c] = 0
            decision[c] = -1
            if carry[c] == 1:
                for i in range(n_esc):
                    if pat_dose[i] == sel:
                        count[c] += 1
                        resp[c] += pat_resp[i]
                        decision[c], look[c] = _look(
                            looks[c], futility[c], efficacy[c], n_looks[c], look[c], count[c], resp[c]
                        )
                        if decision[c] >= 0:
                            break
            if decision[c] < 0:
                n_open += 1
        p_tox = true_tox[sel]
        n_safe = n_at[sel]
        y_safe = tox_at[sel]
        while n_open > 0:
            for c in range(C):
                if decision[c] >= 0:
                    continue
                i = EXT_BASE * (c + 1) + out_coh_new[row, c]
                u = latent_uniform(tk, i, STREAM_TOX)
                dlt = u < p_tox
                r = responds_tab(u, latent_uniform(tk, i, STREAM_EFF), coh_tab[c], sel, coh_prob[c, sel], rho)
                out_coh_new[row, c] += 1
                out_coh_tox[row, c] += dlt
                count[c] += 1
                resp[c] += r
                decision[c], look[c] = _look(
                    looks[c], futility[c], efficacy[c], n_looks[c], look[c], count[c], resp[c]
                )
                if decision[c] >= 0:
                    n_open -= 1
                n_safe += 1
                y_safe += dlt
                if safety_on and safety[n_safe, y_safe] == 1:
                    out_safety_stop[row] = True
                    for c2 in range(C):
                        if decision[c2] < 0:
                            decision[c2] = SAFETY
                    n_open = 0
                    break
        for c in range(C):
            out_coh_counted[row, c] = count[c]
            out_coh_resp[row, c] = resp[c]
            out_coh_decision[row, c] = decision[c]
            out_coh_look[row, c] = look[c] if decision[c] != SAFETY else -1


@kernel(parallel=True)
def run_arm_chunks(
    ip,
    fp,
    tables,
    grid,
    mods,
    modf,
    true_tox,
    eff_prob,
    eff_tab,
    rho,
    coh_prob,
    coh_tab,
    looks,
    futility,
    efficacy,
    n_looks,
    carry,
    safety,
    safety_on,
    open_min_resp,
    seed,
    scenario_key,
    trial_offset,
    bounds,
    cache_capacity,
    n_work,
    out_selected,
    out_n,
    out_tox,
    out_eff,
    out_status,
    out_reason,
    out_opened,
    out_coh_new,
    out_coh_counted,
    out_coh_resp,
    out_coh_tox,
    out_coh_decision,
    out_coh_look,
    out_safety_stop,
):
    """Chunk c = output rows bounds[c]..bounds[c+1]-1, in parallel; row r is arm ``trial_offset + r``."""
    D = ip[L.IP_N_DOSES]
    max_n = ip[L.IP_MAX_N]
    for c in prange(bounds.shape[0] - 1):
        a = bounds[c]
        b = bounds[c + 1]
        n_at = np.zeros(D, dtype=np.int64)
        tox_at = np.zeros(D, dtype=np.int64)
        eff_at = np.zeros(D, dtype=np.int64)
        admissible = np.ones(D, dtype=np.int8)
        pat_dose = np.zeros(max_n, dtype=np.int64)
        pat_resp = np.zeros(max_n, dtype=np.int64)
        ckeys = np.full((cache_capacity, 2 * D), -1, dtype=np.int16)
        cvals = np.zeros((cache_capacity + 1, L.POST_FIRST + 4 * D))
        work = np.zeros(n_work)
        run_arms(
            ip,
            fp,
            tables,
            grid,
            mods,
            modf,
            true_tox,
            eff_prob,
            eff_tab,
            rho,
            coh_prob,
            coh_tab,
            looks,
            futility,
            efficacy,
            n_looks,
            carry,
            safety,
            safety_on,
            open_min_resp,
            seed,
            scenario_key,
            a + trial_offset,
            b + trial_offset,
            n_at,
            tox_at,
            eff_at,
            admissible,
            pat_dose,
            pat_resp,
            ckeys,
            cvals,
            work,
            out_selected[a:b],
            out_n[a:b],
            out_tox[a:b],
            out_eff[a:b],
            out_status[a:b],
            out_reason[a:b],
            out_opened[a:b],
            out_coh_new[a:b],
            out_coh_counted[a:b],
            out_coh_resp[a:b],
            out_coh_tox[a:b],
            out_coh_decision[a:b],
            out_coh_look[a:b],
            out_safety_stop[a:b],
        )
