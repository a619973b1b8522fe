"""The simulation loop: many trials of one design in one scenario, in chunks of trials (one thread each).

Arrays in, arrays out. Each chunk owns its trial-state arrays and its CRM posterior cache; trials are
independent and each patient's latent value is a pure function of (seed, scenario key, trial, patient),
so the output does not depend on the number of threads or chunks.
"""

from __future__ import annotations

import numpy as np

from ..constants import DesignKind
from ..designs import layout as L
from .backfill import backfill_trial
from .calendar import cohort_calendar
from .copula import responds_tab
from .decisions import CONTINUE, STOP_SELECT, decide, init_admissible, select_dose
from .jit import kernel
from .rng import STREAM_DESIGN, STREAM_EFF, STREAM_TOX, latent_uniform, trial_key
from .tite import pending_trial, tite_crm_trial

K_TITE_CRM = int(DesignKind.TITE_CRM)
K_BOIN = int(DesignKind.BOIN)
#: states (known patients and DLTs per dose) whose density at the nodes a TITE-CRM chunk keeps
KNOWN_CACHE_CAPACITY = 1 << 10


@kernel
def escalate(
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
    resp_at,
    admissible,
    pat_dose,
    pat_resp,
    ckeys,
    cvals,
    work,
):
    """One trial's dose escalation from the start dose, cohort by cohort, until the design stops.

    Patient i of the trial (trial key ``tk``) has a DLT at dose d iff its toxicity latent value is below
    ``true_tox[d]``. When ``eff_prob`` is not empty, each patient's response is drawn too (Gaussian copula
    with correlation ``rho``, :func:`~dosefind.engine.copula.responds_tab` on ``eff_tab``), counted in
    ``resp_at`` [2, D] (row 0: responses, row 1: responses with a DLT; phase I/II designs decide on them)
    and recorded in ``pat_resp`` in treatment order (extension cohorts count them); when
    ``pat_dose`` is not empty each patient's dose is recorded in it (arms, calendar time).
    Returns (status, reason, patients treated, selected dose or -1).
    """
    D = ip[L.IP_N_DOSES]
    cohort = ip[L.IP_COHORT_SIZE]
    max_n = ip[L.IP_MAX_N]
    track_eff = eff_prob.shape[0] > 0
    track_dose = pat_dose.shape[0] > 0
    # designs whose decisions read u_tie (random tie-breaks, random ordering choice); the others get 0.5
    # without drawing it (they never read it, so their trials are the same either way)
    uses_tie = ip[L.IP_USES_TIE] == 1
    for d in range(D):
        n_at[d] = 0
        tox_at[d] = 0
        resp_at[0, d] = 0
        resp_at[1, d] = 0
    init_admissible(ip, admissible)
    cur = ip[L.IP_START_DOSE]
    n_total = 0
    n_decisions = 0
    status = CONTINUE
    reason = 0
    while True:
        cohort_tox = 0
        cohort_n = 0
        p = true_tox[cur]
        for _ in range(cohort):
            if n_total >= max_n:
                break
            u = latent_uniform(tk, n_total, STREAM_TOX)
            dlt = u < p
            if dlt:
                cohort_tox += 1
            if track_dose:
                pat_dose[n_total] = cur
            if track_eff:
                r = responds_tab(u, latent_uniform(tk, n_total, STREAM_EFF), eff_tab, cur, eff_prob[cur], rho)
                resp_at[0, cur] += r
                if dlt:
                    resp_at[1, cur] += r
                if pat_resp.shape[0] > 0:
                    pat_resp[n_total] = r
            n_total += 1
            cohort_n += 1
            n_at[cur] += 1
        tox_at[cur] += cohort_tox
        u_tie = latent_uniform(tk, n_decisions, STREAM_DESIGN) if uses_tie else 0.5
        nxt, status, reason, _bn, _br = decide(
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
            cohort_n,
            cohort_tox,
            n_total,
            ckeys,
            cvals,
            work,
            False,
            u_tie,
        )
        n_decisions += 1
        if status != CONTINUE:
            break
        cur = nxt
    selected = -1
    if status == STOP_SELECT:
        selected = select_dose(
            ip, fp, tables, grid, n_at, tox_at, resp_at, admissible, ckeys, cvals, work, False
        )
    return status, reason, n_total, selected


@kernel
def timed_scratch(ip, timed, cache_rows):
    """The per-patient and per-dose scratch arrays of :func:`timed_escalation` for one chunk of trials
    (empty when ``timed`` is false): patient dose and entry day first, then the arrays of the
    pending-patient and backfill trials, and TITE-CRM's cache of the known patients' density at the
    nodes by state (at most ``KNOWN_CACHE_CAPACITY`` rows, none when the chunk's CRM cache has
    ``cache_rows`` = 0)."""
    D = ip[L.IP_N_DOSES]
    # backfill (BOIN): escalation patients plus at most cap + 1 backfill patients per dose
    backfill = ip[L.IP_BACKFILL_CAP] > 0 and ip[L.IP_KIND] == K_BOIN
    n_pat = ip[L.IP_MAX_N] + (D * (ip[L.IP_BACKFILL_CAP] + 1) if backfill else 0)
    pat_dose = np.zeros(n_pat if timed else 0, dtype=np.int64)
    entry = np.zeros(n_pat if timed else 0)
    m = n_pat if timed and ip[L.IP_USES_PENDING] == 1 else 0
    tite_crm = timed and ip[L.IP_KIND] == K_TITE_CRM
    kcap = min(cache_rows, KNOWN_CACHE_CAPACITY) if tite_crm else 0
    K = ip[L.IP_CRM_N_NODES] if tite_crm else 0
    return (
        pat_dose,
        entry,
        np.zeros(m, dtype=np.int64),  # pat_dlt
        np.zeros(m),  # pat_tdlt
        np.zeros(m, dtype=np.int64),  # pat_seen
        np.zeros(m),  # pat_followup
        np.zeros(m),  # pat_w
        np.zeros(m, dtype=np.int64),  # pend_dose
        np.zeros(m),  # pend_u
        np.zeros(m),  # pend_w
        np.zeros(m),  # support
        np.zeros(D, dtype=np.int64),  # known_n
        np.zeros(D, dtype=np.int64),  # known_tox
        np.zeros((1, L.POST_FIRST + 4 * D)),  # post
        np.zeros(D, dtype=np.int64),  # pend_at
        np.zeros(D),  # stft_at
        np.zeros(m if backfill else 0, dtype=np.int64),  # pat_bf
        np.zeros(D, dtype=np.int64),  # esc_n
        np.zeros(D, dtype=np.int64),  # esc_y
        np.zeros(D),  # first_resp
        np.zeros(D, dtype=np.int64),  # bf_assigned
        np.zeros(D, dtype=np.int64),  # elim
        np.zeros(D, dtype=np.int64),  # tot_n
        np.zeros(D, dtype=np.int64),  # tot_y
        np.full((kcap, 2 * D), -1, dtype=np.int16),  # kkeys
        np.zeros((kcap + 1, K + 3)),  # kvals
    )


@kernel
def timed_escalation(
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
    ti,
    tf,
    n_at,
    tox_at,
    resp_at,
    admissible,
    pat_resp,
    ckeys,
    cvals,
    work,
    pat_dose,
    entry,
    pat_dlt,
    pat_tdlt,
    pat_seen,
    pat_followup,
    pat_w,
    pend_dose,
    pend_u,
    pend_w,
    support,
    known_n,
    known_tox,
    post,
    pend_at,
    stft_at,
    pat_bf,
    esc_n,
    esc_y,
    first_resp,
    bf_assigned,
    elim,
    tot_n,
    tot_y,
    kkeys,
    kvals,
    out_time,
):
    """One trial's dose escalation in calendar time (``ti``, ``tf``: :mod:`dosefind.scenario.timing`);
    returns (status, reason, patients treated, selected dose) and writes the calendar columns into
    ``out_time``; each patient's dose and entry day are left in ``pat_dose`` and ``entry``. The scratch
    arrays come from :func:`timed_scratch`, unpacked once per chunk by the caller (unpacking a tuple of
    arrays at every trial costs a reference count per array).

    BOIN with backfill runs :func:`~dosefind.engine.backfill.backfill_trial`, the other designs that
    decide with pending patients the event-driven trials of :mod:`dosefind.engine.tite` (TITE-CRM patient
    by patient, the rest in cohorts), and the designs that decide on complete cohorts their untimed trial
    (:func:`escalate`) laid on the calendar (:func:`~dosefind.engine.calendar.cohort_calendar`). When
    ``eff_prob`` is not empty each patient's response is drawn as :func:`escalate` draws it (arms).
    """
    if ip[L.IP_BACKFILL_CAP] > 0 and ip[L.IP_KIND] == K_BOIN:
        return backfill_trial(
            ip,
            fp,
            tables,
            true_tox,
            tk,
            ti,
            tf,
            n_at,
            tox_at,
            admissible,
            work,
            pat_dose,
            entry,
            pat_dlt,
            pat_tdlt,
            pat_bf,
            esc_n,
            esc_y,
            first_resp,
            bf_assigned,
            tot_n,
            tot_y,
            elim,
            out_time,
        )
    if ip[L.IP_USES_PENDING] == 0:
        status, reason, n_treated, selected = escalate(
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
            resp_at,
            admissible,
            pat_dose,
            pat_resp,
            ckeys,
            cvals,
            work,
        )
        cohort_calendar(tk, n_treated, ip[L.IP_COHORT_SIZE], ti, tf, pat_dose, selected, entry, out_time)
        return status, reason, n_treated, selected
    if ip[L.IP_KIND] == K_TITE_CRM:  # assigned on arrival; the others treat cohorts
        status, reason, n_treated, selected = tite_crm_trial(
            ip,
            fp,
            tables,
            grid,
            mods,
            true_tox,
            tk,
            ti,
            tf,
            n_at,
            tox_at,
            admissible,
            ckeys,
            cvals,
            work,
            pat_dose,
            entry,
            pat_dlt,
            pat_tdlt,
            pat_seen,
            pat_followup,
            pat_w,
            pend_dose,
            pend_u,
            pend_w,
            support,
            known_n,
            known_tox,
            post,
            kkeys,
            kvals,
            out_time,
        )
    else:
        status, reason, n_treated, selected = pending_trial(
            ip,
            fp,
            tables,
            mods,
            true_tox,
            tk,
            ti,
            tf,
            n_at,
            tox_at,
            admissible,
            work,
            pat_dose,
            entry,
            pat_dlt,
            pat_tdlt,
            pend_at,
            stft_at,
            out_time,
        )
    if eff_prob.shape[0] > 0:  # responses, as escalate draws them (they decide nothing here)
        for d in range(ip[L.IP_N_DOSES]):
            resp_at[0, d] = 0
            resp_at[1, d] = 0
        for i in range(n_treated):
            d = pat_dose[i]
            u = latent_uniform(tk, i, STREAM_TOX)
            r = responds_tab(u, latent_uniform(tk, i, STREAM_EFF), eff_tab, d, eff_prob[d], rho)
            resp_at[0, d] += r
            if u < true_tox[d]:
                resp_at[1, d] += r
            pat_resp[i] = r
    return status, reason, n_treated, selected


@kernel
def run_trials(
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
    seed,
    scenario_key,
    first,
    last,
    n_at,
    tox_at,
    admissible,
    ckeys,
    cvals,
    work,
    out_selected,
    out_n,
    out_tox,
    out_eff,
    out_status,
    out_reason,
    ti,
    tf,
    out_time,
):
    """Simulate trials ``first..last-1`` into rows ``0..last-first-1`` of the outputs.

    ``eff_prob`` (response probability per dose; empty for designs that read no responses), ``eff_tab``
    and ``rho`` draw each patient's response as :func:`escalate` does; the responses per dose go to
    ``out_eff`` (which has 0 columns when there are none).

    With a timing model (``ti``, ``tf`` not empty; :mod:`dosefind.scenario.timing`) each trial runs in
    calendar time (:func:`timed_escalation`), its calendar columns into ``out_time``.
    """
    D = ip[L.IP_N_DOSES]
    resp_at = np.zeros((2, D), dtype=np.int64)
    no_pat = np.zeros(0, dtype=np.int64)
    keep_eff = out_eff.shape[1] > 0
    timed = ti.shape[0] > 0
    # designs that decide with pending patients run their event loops, the others their untimed trial laid
    # on the calendar: the dispatch of timed_escalation (which arms call), here without its extra call
    # boundary per trial (the call with every scratch array costs a fifth to a third of a timed trial)
    pending = ip[L.IP_USES_PENDING] == 1
    (
        s_dose,
        s_entry,
        pat_dlt,
        pat_tdlt,
        pat_seen,
        pat_followup,
        pat_w,
        pend_dose,
        pend_u,
        pend_w,
        support,
        known_n,
        known_tox,
        post,
        pend_at,
        stft_at,
        pat_bf,
        esc_n,
        esc_y,
        first_resp,
        bf_assigned,
        elim,
        tot_n,
        tot_y,
        kkeys,
        kvals,
    ) = timed_scratch(ip, timed and pending, ckeys.shape[0])
    pat_dose = np.zeros(ip[L.IP_MAX_N] if timed and not pending else 0, dtype=np.int64)
    entry = np.zeros(pat_dose.shape[0])
    for t in range(first, last):
        row = t - first
        tk = trial_key(seed, scenario_key, t)
        if timed and not pending:
            status, reason, n_treated, selected = escalate(
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
                resp_at,
                admissible,
                pat_dose,
                no_pat,
                ckeys,
                cvals,
                work,
            )
            cohort_calendar(
                tk, n_treated, ip[L.IP_COHORT_SIZE], ti, tf, pat_dose, selected, entry, out_time[row]
            )
        elif timed and ip[L.IP_BACKFILL_CAP] > 0 and ip[L.IP_KIND] == K_BOIN:
            # the pending-patient designs' event loops, called directly (as timed_escalation calls them
            # for arms): one call boundary per trial, not two (a fifth of a rolling-six trial)
            status, reason, n_treated, selected = backfill_trial(
                ip,
                fp,
                tables,
                true_tox,
                tk,
                ti,
                tf,
                n_at,
                tox_at,
                admissible,
                work,
                s_dose,
                s_entry,
                pat_dlt,
                pat_tdlt,
                pat_bf,
                esc_n,
                esc_y,
                first_resp,
                bf_assigned,
                tot_n,
                tot_y,
                elim,
                out_time[row],
            )
        elif timed and ip[L.IP_KIND] == K_TITE_CRM:
            status, reason, n_treated, selected = tite_crm_trial(
                ip,
                fp,
                tables,
                grid,
                mods,
                true_tox,
                tk,
                ti,
                tf,
                n_at,
                tox_at,
                admissible,
                ckeys,
                cvals,
                work,
                s_dose,
                s_entry,
                pat_dlt,
                pat_tdlt,
                pat_seen,
                pat_followup,
                pat_w,
                pend_dose,
                pend_u,
                pend_w,
                support,
                known_n,
                known_tox,
                post,
                kkeys,
                kvals,
                out_time[row],
            )
        elif timed:
            status, reason, n_treated, selected = pending_trial(
                ip,
                fp,
                tables,
                mods,
                true_tox,
                tk,
                ti,
                tf,
                n_at,
                tox_at,
                admissible,
                work,
                s_dose,
                s_entry,
                pat_dlt,
                pat_tdlt,
                pend_at,
                stft_at,
                out_time[row],
            )
        else:
            status, reason, n_treated, selected = escalate(
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
                resp_at,
                admissible,
                no_pat,
                no_pat,
                ckeys,
                cvals,
                work,
            )
        out_selected[row] = selected
        for d in range(D):
            out_n[row, d] = n_at[d]
            out_tox[row, d] = tox_at[d]
        if keep_eff:
            for d in range(D):
                out_eff[row, d] = resp_at[0, d]
        out_status[row] = status
        out_reason[row] = reason


@kernel
def run_chunks(
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
    ti,
    tf,
    out_time,
):
    """Run chunk c = output rows bounds[c]..bounds[c+1]-1, one after the other (the caller gives each
    thread its own chunks: :func:`dosefind.engine.simulate.run_chunked`).

    Row r holds trial ``trial_offset + r``: its patients depend on that global trial index only, so a
    study split into blocks of trials gives the same trials as one run.
    """
    D = ip[L.IP_N_DOSES]
    n_chunks = bounds.shape[0] - 1
    for c in range(n_chunks):
        a = bounds[c]
        b = bounds[c + 1]
        n_at = np.zeros(D, dtype=np.int64)
        tox_at = np.zeros(D, dtype=np.int64)
        admissible = np.ones(D, dtype=np.int8)
        ckeys = np.full((cache_capacity, 2 * D), -1, dtype=np.int16)
        cvals = np.zeros((cache_capacity + 1, L.POST_FIRST + 4 * D))
        work = np.zeros(n_work)
        run_trials(
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
            seed,
            scenario_key,
            a + trial_offset,
            b + trial_offset,
            n_at,
            tox_at,
            admissible,
            ckeys,
            cvals,
            work,
            out_selected[a:b],
            out_n[a:b],
            out_tox[a:b],
            out_eff[a:b],
            out_status[a:b],
            out_reason[a:b],
            ti,
            tf,
            out_time[a:b],
        )
