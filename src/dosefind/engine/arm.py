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

In calendar time (``ti``, ``tf`` not empty; see :mod:`dosefind.scenario.timing`) escalation is the
design's timed trial (:func:`~dosefind.engine.trial.timed_escalation`) and the extension runs on the
clock (:func:`timed_extension`): it opens when the responses of the patients at the selected dose are
known (``resp_days`` after entry), extension patients arrive from the opening (arrival j from arrival
latent value ``EXT_BASE + j``) and go to the next open cohort in turn; a cohort pauses at each look until
its last counted patient's response is known; the safety monitor counts a patient when their DLT, or
their whole window without one, is observed. A cohort's patients are the same latent patients as in the
untimed arm, so without the safety monitor every cohort decides as it does untimed; with a window and a
response time of 0 the whole arm is the untimed arm, trial for trial.
"""

from __future__ import annotations

import math

import numpy as np

from ..designs import layout as L
from .calendar import N_TIME_COLUMNS, T_DURATION, T_MEAN_WAIT, T_TO_SELECTED, T_TURNED_AWAY, next_arrival
from .copula import responds_tab
from .jit import kernel
from .rng import STREAM_ARRIVAL, STREAM_EFF, STREAM_EVENT_TIME, STREAM_TOX, latent_uniform, trial_key
from .tite import dlt_fraction
from .trial import escalate, timed_escalation, timed_scratch

EXT_BASE = 1 << 24
#: cohort decisions (the same codes as :class:`dosefind.constants.CohortDecision`)
NOT_OPENED = 0
ACTIVE = 1
FUTILE = 2
SAFETY = 3

# columns of the per-arm calendar output (timed arms)
A_DURATION = 0  #: day of the arm's last decision (a cohort's look, a safety stop, or not opening)
A_ESCALATION = 1  #: day escalation ended (its final decision: the RP2D, or no dose)
A_OPEN = 2  #: day the extension opened (nan: it did not)
A_TURNED_AWAY = 3  #: patients turned away (escalation and extension)
A_MEAN_WAIT = 4  #: mean wait of the treated patients (days; escalation and extension)
A_TO_SELECTED = 5  #: day the first escalation patient was treated at the selected dose (nan: none)
N_ARM_TIME = 6


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
def extension_open_day(esc_end, sel, doses, entry, n_esc, resp_days):
    """The day the decision to open the extension is taken: escalation's end, or later when the response
    of a patient at the selected dose ``sel`` (entered on ``entry[i]``) is known only ``resp_days`` after
    entry."""
    open_day = esc_end
    if sel >= 0:
        for i in range(n_esc):
            if doses[i] == sel:
                open_day = max(open_day, entry[i] + resp_days)
    return open_day


@kernel
def open_cohorts(
    looks, futility, efficacy, n_looks, carry, doses, resps, n_esc, sel, count, resp, look, decision, ok
):
    """Open the expansion cohorts at the selected dose ``sel``: a cohort that counts escalation patients
    (``carry[c] == 1``) takes those treated at ``sel`` (``doses[:n_esc]``, responses ``resps``) in
    treatment order, through its looks, and may decide on them alone; with per-cohort eligibility (a
    platform's), only patient i with ``ok[i, c] == 1`` counts in cohort c (``ok`` empty: every patient).
    Sets ``count``, ``resp``, ``look`` and ``decision`` (-1: open) per cohort; returns the number still
    open."""
    n_open = 0
    everyone = ok.shape[0] == 0
    for c in range(looks.shape[0]):
        count[c] = 0
        resp[c] = 0
        look[c] = 0
        decision[c] = -1
        if carry[c] == 1:
            for i in range(n_esc):
                if doses[i] == sel and (everyone or ok[i, c] == 1):
                    count[c] += 1
                    resp[c] += resps[i]
                    decision[c], look[c] = _look(
                        looks[c], futility[c], efficacy[c], n_looks[c], look[c], count[c], resp[c]
                    )
                    if decision[c] >= 0:
                        break
        if decision[c] < 0:
            n_open += 1
    return n_open


@kernel
def escalation_buffers(D, max_n, cache_capacity, n_work):
    """One worker's arrays for :func:`~dosefind.engine.trial.escalate` with ``D`` doses and at most
    ``max_n`` patients: per-dose patients, DLTs, responses (row 0; row 1 with a DLT), admissible doses,
    each patient's dose and response, the posterior cache's keys and values, and the design's work."""
    n_at = np.zeros(D, dtype=np.int64)
    tox_at = np.zeros(D, dtype=np.int64)
    eff_at = np.zeros((2, D), dtype=np.int64)
    admissible = np.ones(D, dtype=np.int8)
    pat_dose = np.zeros(max_n, dtype=np.int64)
    pat_resp = np.zeros(max_n, dtype=np.int64)
    ckeys = np.full((cache_capacity, 2 * D), -1, dtype=np.int16)
    cvals = np.zeros((cache_capacity + 1, L.POST_FIRST + 4 * D))
    work = np.zeros(n_work)
    return n_at, tox_at, eff_at, admissible, pat_dose, pat_resp, ckeys, cvals, work


@kernel
def _events_until(
    now,
    safety,
    safety_on,
    n_safe,
    y_safe,
    n_open,
    decision,
    paused,
    look_day,
    look_res,
    coh_day,
    ev_time,
    ev_dlt,
    live,
    n_live,
    end,
):
    """Take the extension's events up to day ``now`` in time order (a look before a safety count on the
    same day, as the untimed arm checks safety after the look): a paused cohort's look resolves (it
    decides, or reopens), a patient's outcome enters the safety monitor. Once every cohort has decided,
    only the outcomes observed that same day still count. Returns (open cohorts, live events, safety n,
    safety y, day of the last decision, safety stop)."""
    C = decision.shape[0]
    limit = now
    while True:
        tl = math.inf
        cl = -1
        for c in range(C):
            if paused[c] == 1 and decision[c] < 0 and look_day[c] < tl:
                tl = look_day[c]
                cl = c
        ts = math.inf
        q = -1
        for k in range(n_live):
            if ev_time[live[k]] < ts:
                ts = ev_time[live[k]]
                q = k
        if cl >= 0 and tl <= ts and tl <= limit:
            paused[cl] = 0
            if look_res[cl] >= 0:
                decision[cl] = look_res[cl]
                coh_day[cl] = tl
                n_open -= 1
                end = tl
                if n_open == 0:
                    limit = tl
        elif q >= 0 and ts <= limit:
            e = live[q]
            n_live -= 1
            live[q] = live[n_live]
            n_safe += 1
            y_safe += ev_dlt[e]
            if safety_on and safety[n_safe, y_safe] == 1:
                if n_open > 0:
                    for c in range(C):
                        if decision[c] < 0:
                            decision[c] = SAFETY
                            coh_day[c] = ts
                    end = ts
                return 0, n_live, n_safe, y_safe, end, True
        else:
            return n_open, n_live, n_safe, y_safe, end, False


@kernel
def next_cohort(decision, paused, ptr, ok):
    """The open cohort that takes the next extension patient: the first after ``ptr`` (the cohort that
    took the last one) in turn that has not decided, is not paused at a look and, with per-cohort
    eligibility (a platform's), admits the patient (``ok[c] == 1``; ``ok`` empty: every cohort does);
    -1 if none."""
    C = decision.shape[0]
    everyone = ok.shape[0] == 0
    for step in range(1, C + 1):
        c = (ptr + step) % C
        if decision[c] < 0 and paused[c] == 0 and (everyone or ok[c] == 1):
            return c
    return -1


@kernel
def enroll(
    tk,
    c,
    now,
    resp_days,
    sel,
    p_tox,
    rho,
    coh_prob,
    coh_tab,
    looks,
    futility,
    efficacy,
    n_looks,
    count,
    resp,
    look,
    paused,
    look_day,
    look_res,
    safety_on,
    ti,
    tf,
    ev_time,
    ev_dlt,
    live,
    n_live,
    n_new,
    new_n,
    new_tox,
):
    """Treat the next patient of cohort ``c`` on day ``now`` (a timed extension's step): latent patient
    ``EXT_BASE * (c + 1) + new_n[c]`` of the arm (key ``tk``) at the selected dose; counts, the rule's
    look (a look pauses the cohort until this patient's response is known, ``resp_days`` later), and
    with the safety monitor the day their outcome is observed (event ``n_new``). Returns the live
    events."""
    window = tf[1]
    i = EXT_BASE * (c + 1) + np.int64(new_n[c])
    u = latent_uniform(tk, i, STREAM_TOX)
    dlt = 1 if u < p_tox else 0
    r = responds_tab(u, latent_uniform(tk, i, STREAM_EFF), coh_tab[c], sel, coh_prob[c, sel], rho)
    new_n[c] += 1
    new_tox[c] += dlt
    count[c] += 1
    resp[c] += r
    before = look[c]
    res, look[c] = _look(looks[c], futility[c], efficacy[c], n_looks[c], look[c], count[c], resp[c])
    if res >= 0 or look[c] != before:  # a look: wait for this patient's response
        paused[c] = 1
        look_day[c] = now + resp_days
        look_res[c] = res
    if safety_on:
        if dlt == 1:
            v = latent_uniform(tk, i, STREAM_EVENT_TIME)
            ev_time[n_new] = now + window * dlt_fraction(v, ti, tf, p_tox)
        else:
            ev_time[n_new] = now + window
        ev_dlt[n_new] = dlt
        live[n_live] = n_new
        n_live += 1
    return n_live


@kernel
def timed_extension(
    tk,
    ti,
    tf,
    resp_days,
    sel,
    p_tox,
    rho,
    coh_prob,
    coh_tab,
    looks,
    futility,
    efficacy,
    n_looks,
    safety,
    safety_on,
    n_safe,
    y_safe,
    open_day,
    count,
    resp,
    look,
    decision,
    n_open,
    paused,
    look_day,
    look_res,
    ev_time,
    ev_dlt,
    live,
    new_n,
    new_tox,
    coh_day,
):
    """The expansion cohorts of one arm on the clock, from ``open_day`` (the cohorts' carried patients
    already counted in ``count``/``resp``/``look``/``decision``). Extension arrival j comes from arrival
    latent value ``EXT_BASE + j`` and goes to the next open cohort in turn (the untimed arm's order)
    that is not paused at a look; when every open cohort is paused it is turned away, or (``ti[1] == 1``)
    waits for the first cohort to reopen if that is within ``tf[2]`` days. The patient enrolled at a look
    pauses the cohort until their response is known (``resp_days`` later), when the look decides. Each new
    patient's outcome (a DLT at its day, or the whole window ``tf[1]`` without one) is counted by the
    safety monitor when observed. Writes patients and DLTs per cohort (``new_n``, ``new_tox``) and each
    cohort's decision day (``coh_day``); returns (day of the last decision, patients turned away, total
    wait of the treated, safety stop)."""
    C = looks.shape[0]
    wait_mode = ti[1] == 1
    max_wait = tf[2]
    for c in range(C):
        paused[c] = 0
    n_live = 0
    clock = open_day
    end = open_day
    arrival = open_day
    j = 0
    turned = 0
    waited = 0.0
    stopped = False
    n_new = 0
    ptr = C - 1
    every_cohort = np.zeros(0, dtype=np.int8)
    while n_open > 0:
        arrival = next_arrival(arrival, latent_uniform(tk, EXT_BASE + j, STREAM_ARRIVAL), ti, tf)
        j += 1
        now = max(arrival, clock)
        chosen = -1
        while True:
            n_open, n_live, n_safe, y_safe, end, stopped = _events_until(
                now,
                safety,
                safety_on,
                n_safe,
                y_safe,
                n_open,
                decision,
                paused,
                look_day,
                look_res,
                coh_day,
                ev_time,
                ev_dlt,
                live,
                n_live,
                end,
            )
            clock = now
            if n_open == 0:
                break
            chosen = next_cohort(decision, paused, ptr, every_cohort)
            if chosen >= 0 or not wait_mode:
                break
            reopen = math.inf  # every open cohort is paused: the first look that lets its cohort go on
            for c in range(C):
                if decision[c] < 0 and look_res[c] < 0 and look_day[c] < reopen:
                    reopen = look_day[c]
            if reopen - arrival > max_wait:
                break
            now = reopen
        if n_open == 0:
            if arrival < end:  # came while the last looks were pending and waited in vain
                turned += 1
            break
        if chosen < 0:
            turned += 1
            continue
        c = chosen
        ptr = c
        waited += now - arrival
        n_live = enroll(
            tk,
            c,
            now,
            resp_days,
            sel,
            p_tox,
            rho,
            coh_prob,
            coh_tab,
            looks,
            futility,
            efficacy,
            n_looks,
            count,
            resp,
            look,
            paused,
            look_day,
            look_res,
            safety_on,
            ti,
            tf,
            ev_time,
            ev_dlt,
            live,
            n_live,
            n_new,
            new_n,
            new_tox,
        )
        n_new += 1
    return end, turned, waited, stopped


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
    ti,
    tf,
    resp_days,
    scratch,
    out_time,
    out_coh_day,
):
    """Simulate arms ``first..last-1`` into rows ``0..last-first-1`` of the outputs.

    ``coh_prob[c, d]``: response probability of cohort c's new patients at dose d; ``coh_tab[c]`` its
    :func:`~dosefind.engine.copula.response_table` (``eff_tab``: the escalation's);
    ``looks/futility/efficacy[c, :n_looks[c]]`` the cohort's boundaries; ``carry[c]`` 1 when the cohort
    counts escalation patients at the selected dose. With a timing model (``ti``, ``tf`` not empty; the
    arrays of :func:`~dosefind.engine.trial.timed_scratch` in ``scratch``) the arm runs in calendar time:
    its calendar columns go to ``out_time`` (``A_*``), each cohort's decision day to ``out_coh_day``.
    """
    D = ip[L.IP_N_DOSES]
    C = looks.shape[0]
    count = np.zeros(C, dtype=np.int64)
    resp = np.zeros(C, dtype=np.int64)
    look = np.zeros(C, dtype=np.int64)
    decision = np.zeros(C, dtype=np.int64)
    timed = ti.shape[0] > 0
    esc_time = np.zeros(N_TIME_COLUMNS)  # the escalation's calendar columns (engine/calendar.py)
    paused = np.zeros(C, dtype=np.int64)
    look_day = np.zeros(C)
    look_res = np.zeros(C, dtype=np.int64)
    n_ext = 0
    for c in range(C):
        n_ext += looks[c, n_looks[c] - 1]
    ev_time = np.zeros(n_ext if timed else 0)
    ev_dlt = np.zeros(n_ext if timed else 0, dtype=np.int64)
    live = np.zeros(n_ext if timed else 0, dtype=np.int64)
    (
        s_dose,
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
    ) = scratch  # unpacked once: per arm, each array as an argument
    doses = s_dose if timed else pat_dose
    for t in range(first, last):
        row = t - first
        tk = trial_key(seed, scenario_key, t)
        if timed:
            status, reason, n_esc, sel = timed_escalation(
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
                eff_at,
                admissible,
                pat_resp,
                ckeys,
                cvals,
                work,
                s_dose,
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
                esc_time,
            )
        else:
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
            out_eff[row, d] = eff_at[0, d]
        out_status[row] = status
        out_reason[row] = reason
        opened = sel >= 0 and eff_at[0, sel] >= open_min_resp
        out_opened[row] = opened
        out_safety_stop[row] = False
        for c in range(C):
            out_coh_new[row, c] = 0
            out_coh_tox[row, c] = 0
            out_coh_counted[row, c] = 0
            out_coh_resp[row, c] = 0
            out_coh_look[row, c] = -1
            out_coh_decision[row, c] = NOT_OPENED
        if timed:
            open_day = extension_open_day(esc_time[T_DURATION], sel, doses, entry, n_esc, resp_days)
            tr = out_time[row]
            tr[A_DURATION] = open_day
            tr[A_ESCALATION] = esc_time[T_DURATION]
            tr[A_OPEN] = open_day if opened else math.nan
            tr[A_TURNED_AWAY] = esc_time[T_TURNED_AWAY]
            tr[A_MEAN_WAIT] = esc_time[T_MEAN_WAIT]
            tr[A_TO_SELECTED] = esc_time[T_TO_SELECTED]
            for c in range(C):
                out_coh_day[row, c] = math.nan
        if not opened:
            continue
        n_open = open_cohorts(
            looks,
            futility,
            efficacy,
            n_looks,
            carry,
            doses,
            pat_resp,
            n_esc,
            sel,
            count,
            resp,
            look,
            decision,
            np.zeros((0, 0), dtype=np.int8),  # every patient counts
        )
        if timed:
            for c in range(C):
                if decision[c] >= 0:
                    out_coh_day[row, c] = out_time[row, A_OPEN]
        p_tox = true_tox[sel]
        n_safe = n_at[sel]
        y_safe = tox_at[sel]
        if timed and n_open > 0:
            open_day = out_time[row, A_OPEN]
            end, turned, waited, stopped = timed_extension(
                tk,
                ti,
                tf,
                resp_days,
                sel,
                p_tox,
                rho,
                coh_prob,
                coh_tab,
                looks,
                futility,
                efficacy,
                n_looks,
                safety,
                safety_on,
                n_safe,
                y_safe,
                open_day,
                count,
                resp,
                look,
                decision,
                n_open,
                paused,
                look_day,
                look_res,
                ev_time,
                ev_dlt,
                live,
                out_coh_new[row],
                out_coh_tox[row],
                out_coh_day[row],
            )
            out_safety_stop[row] = stopped
            n_new = 0
            for c in range(C):
                n_new += np.int64(out_coh_new[row, c])
            tr = out_time[row]
            tr[A_DURATION] = end
            tr[A_TURNED_AWAY] += turned
            tr[A_MEAN_WAIT] = (tr[A_MEAN_WAIT] * n_esc + waited) / (n_esc + n_new)
            n_open = 0
        while n_open > 0:
            for c in range(C):
                if decision[c] >= 0:
                    continue
                # int64 before the sum: the int16 count would overflow in plain Python (NUMBA_DISABLE_JIT)
                i = EXT_BASE * (c + 1) + np.int64(out_coh_new[row, c])
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


@kernel
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
    ti,
    tf,
    resp_days,
    out_time,
    out_coh_day,
):
    """Chunk c = output rows bounds[c]..bounds[c+1]-1 (threads: the caller's); row r is arm
    ``trial_offset + r``."""
    D = ip[L.IP_N_DOSES]
    max_n = ip[L.IP_MAX_N]
    for c in range(bounds.shape[0] - 1):
        a = bounds[c]
        b = bounds[c + 1]
        n_at, tox_at, eff_at, admissible, pat_dose, pat_resp, ckeys, cvals, work = escalation_buffers(
            D, max_n, cache_capacity, n_work
        )
        scratch = timed_scratch(ip, ti.shape[0] > 0, cache_capacity)
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
            ti,
            tf,
            resp_days,
            scratch,
            out_time[a:b],
            out_coh_day[a:b],
        )
