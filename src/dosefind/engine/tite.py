"""The event-driven trials of designs that decide with pending patients, in calendar time.

Two loops share the patients' model. :func:`tite_crm_trial` (TITE-CRM) assigns every patient a dose on
arrival and never suspends accrual. :func:`pending_trial` (TITE-BOIN, rolling six) treats cohorts,
decides at the arrival that would start the next one, and may suspend accrual; the design's decision
with pending patients is :func:`decide_pending`.

Patients arrive as in :mod:`dosefind.engine.calendar` (arrival k of a trial is ``STREAM_ARRIVAL`` latent
value k, counting every arrival, treated or not). Patient i (the i-th treated)
has a DLT at dose d iff its toxicity value (``STREAM_TOX`` latent value i, as in every other run) is
below p_d, and then at ``dlt_window_days`` x its event-time value (``STREAM_EVENT_TIME`` latent value i)
after entry: uniform over the window, dfcrm's ``surv = "uniform"``. At the arrival of patient i, each
earlier patient j is, by the data as of that day: a DLT (observed: its DLT day is at most today), a
non-DLT with complete follow-up (the whole window has passed), or pending, with follow-up u_j < W and a
weight. A TITE-CRM then decides by its weighted-likelihood posterior
(:func:`~dosefind.engine.posterior.crm_posterior_pending`). After the last patient, every outcome
becomes known and the final selection is the complete-data design's (the CRM's), on the cache the
design's other runs share.

Arrays in, values out; no RNG state. Everything a trial depends on is a latent value of its key, so
results do not depend on threads, chunks or blocks.
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import DesignKind, Reason, Status
from ..designs import layout as L
from .boin import select_boin
from .calendar import next_arrival, store_calendar
from .crm import crm_closest
from .decisions import apply_modifiers, init_admissible
from .jit import kernel
from .posterior import crm_posterior, crm_posterior_pending, crm_summary_row, new_known_cache
from .rng import STREAM_ARRIVAL, STREAM_EVENT_TIME, STREAM_TOX, latent_uniform
from .rolling_six import decide_rolling_six, select_rolling_six
from .tite_boin import decide_tite_boin

CONTINUE = int(Status.CONTINUE)
STOP_SELECT = int(Status.STOP_SELECT)
STOP_NO_DOSE = int(Status.STOP_NO_DOSE)
R_MAX_N = int(Reason.MAX_N)
R_CRM_SAFETY = int(Reason.CRM_SAFETY_STOP)
R_CRM_MODEL = int(Reason.CRM_MODEL)
K_TITE_BOIN = int(DesignKind.TITE_BOIN)


@kernel
def dlt_time_fraction(v, kind, share):
    """The fraction of the window at which a DLT occurs, from the patient's event-time value v: v
    (uniform), or late onset: v / (1 - share) x 1/2 for v < 1 - share, else 1/2 + (v - (1 - share)) /
    share x 1/2 (a share ``share`` of DLTs in the window's second half, uniform within each half)."""
    if kind == 0:
        return v
    first = 1.0 - share
    if v < first:
        return 0.5 * v / first
    return 0.5 + 0.5 * (v - first) / share


@kernel
def dlt_fraction(v, ti, tf, p):
    """The fraction of the window at which a patient with a DLT has it, from its event-time value v, for
    the scenario's DLT-time model (``ti[2]``: 0 uniform, 1 late onset with share ``tf[3]``, 2 Weibull)
    at a dose with DLT probability p in the window.

    Weibull (TITEgBOIN's ``gen.tite``): time to a DLT T ~ Weibull with P(T <= W) = p and a share
    ``tf[3]`` of the DLTs in the window's second half, i.e. P(T <= W / 2) = (1 - share) p; given a DLT
    in the window, T = F^-1(v p) with F(t) = 1 - exp(-(t / W)^a (-log(1 - p))), so the fraction is
    (log(1 - v p) / log(1 - p)) ^ (1 / a), a = log(log(1 - p) / log(1 - (1 - share) p)) / log 2.
    """
    kind = ti[2]
    if kind != 2:
        return dlt_time_fraction(v, kind, tf[3])
    if p >= 1.0:
        return v
    lp = math.log1p(-p)
    a = math.log(lp / math.log1p(-(1.0 - tf[3]) * p)) / math.log(2.0)
    return (math.log1p(-v * p) / lp) ** (1.0 / a)


@kernel
def tite_weights(scheme, window, pend_u, n_pend, support, z, pend_w):
    """Weights of the ``n_pend`` pending patients (follow-up ``pend_u`` < window) into ``pend_w``.

    ``scheme`` 0: linear, u / W. 1: adaptive (Cheung & Chappell 2000, as dfcrm's ``titecrm``) on the
    ``z`` observed DLT follow-up times ``support[:z]`` (sorted here): with m of them at most u,
    (m + (u - t_m) / (t_{m+1} - t_m)) / (z + 1), where t_0 = 0 and t_{z+1} = W (for m = 0 this is
    u / t_1 / (z + 1), as dfcrm has it); linear while z = 0.
    """
    if scheme == 0 or z == 0:
        for j in range(n_pend):
            pend_w[j] = pend_u[j] / window
        return
    for a in range(1, z):  # insertion sort: a handful of DLTs
        x = support[a]
        b = a - 1
        while b >= 0 and support[b] > x:
            support[b + 1] = support[b]
            b -= 1
        support[b + 1] = x
    for j in range(n_pend):
        u = pend_u[j]
        m = 0
        while m < z and support[m] <= u:
            m += 1
        if m == 0:
            w = u / support[0] / (z + 1)
        elif m == z:
            w = (z + (u - support[z - 1]) / (window - support[z - 1])) / (z + 1)
        else:
            w = (m + (u - support[m - 1]) / (support[m] - support[m - 1])) / (z + 1)
        pend_w[j] = min(w, 1.0)


@kernel
def tite_crm_decision(
    ip,
    fp,
    tables,
    grid,
    mods,
    t,
    i,
    cur,
    window,
    pat_dose,
    pat_entry,
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
    n_at,
    tox_at,
    post,
    work,
    kkeys,
    kvals,
):
    """The TITE-CRM's decision for an arrival on day t after ``i`` patients (past the two-stage start):
    (next dose, status, reason), on the data as of t (a DLT counts once its day has come): the model
    dose (:func:`tite_crm_dose`), the safety stop, the no-skip rule, then the modifiers."""
    for j in range(i):
        pat_seen[j] = 1 if pat_dlt[j] == 1 and pat_entry[j] + pat_tdlt[j] <= t else 0
        pat_followup[j] = pat_tdlt[j] if pat_seen[j] == 1 else t - pat_entry[j]
    nxt = tite_crm_dose(
        ip,
        fp,
        grid,
        pat_dose,
        pat_seen,
        pat_followup,
        i,
        window,
        known_n,
        known_tox,
        pend_dose,
        pend_u,
        pend_w,
        support,
        pat_w,
        post,
        work,
        kkeys,
        kvals,
    )
    status, why = CONTINUE, R_CRM_MODEL
    if tite_crm_safety_stop(ip, fp, post, pat_dose, i):
        status, why = STOP_NO_DOSE, R_CRM_SAFETY
    elif ip[L.IP_CRM_NO_SKIP_ESC] == 1:
        ref = cur
        if ip[L.IP_CRM_SKIP_REFERENCE] == 1:
            for j in range(i):
                ref = max(ref, pat_dose[j])
        nxt = min(nxt, ref + 1)
    if mods.shape[0] > 0:  # as the CRM's decide: after the base rule, whatever it said
        treated_and_seen(pat_dose, pat_seen, i, n_at, tox_at)
        nxt, status, why = apply_modifiers(mods, tables, n_at, tox_at, cur, nxt, status, why, i)
    return nxt, status, why


@kernel
def tite_crm_final(
    ip,
    fp,
    tables,
    grid,
    mods,
    n_treated,
    cur,
    stop_status,
    stop_reason,
    pat_dose,
    pat_dlt,
    n_at,
    tox_at,
    admissible,
    post,
    ckeys,
    cvals,
    work,
):
    """The end of a TITE-CRM trial of ``n_treated`` patients: every outcome is now known (left in
    ``n_at``, ``tox_at``); a trial stopped at an arrival keeps ``stop_status``/``stop_reason``, one that
    treated ``max_n`` makes the CRM's last decision on the complete data (its safety stop, then the
    modifiers). Returns (status, reason, selected dose or -1: the CRM's selection)."""
    for d in range(admissible.shape[0]):
        admissible[d] = 1
    treated_and_seen(pat_dose, pat_dlt, n_treated, n_at, tox_at)  # every outcome, now known
    status = STOP_SELECT
    reason = R_MAX_N
    if n_treated < ip[L.IP_MAX_N]:  # stopped at an arrival: the safety stop or a modifier
        status, reason = stop_status, stop_reason
    else:  # the CRM's last decision, on the complete data: its safety stop, then the modifiers
        st, why = CONTINUE, R_CRM_MODEL
        if ip[L.IP_CRM_SAFETY] == 1:
            crm_posterior(ip, fp, grid, n_at, tox_at, post, 0, work, False)
            if tite_crm_safety_stop(ip, fp, post, pat_dose, n_treated):
                st, why = STOP_NO_DOSE, R_CRM_SAFETY
        if mods.shape[0] > 0:
            _n, st, why = apply_modifiers(mods, tables, n_at, tox_at, cur, cur, st, why, n_treated)
        if st != CONTINUE:
            status, reason = st, why
    selected = -1
    if status == STOP_SELECT:  # the CRM's selection (select_dose's for this kind, called directly)
        row = crm_summary_row(ip, fp, grid, n_at, tox_at, ckeys, cvals, work, False)
        selected = crm_closest(ip, fp, cvals, row, ip[L.IP_CRM_SELECT_TRIED] == 1, n_at)
    return status, reason, selected


@kernel
def tite_stage1_waits(i, t, x0, tgrp, pat_dose, pat_entry, max_n):
    """In the TITE-CRM's two-stage start with no DLT seen: whether an arrival on day t after ``i``
    patients is lost, waiting for the next level of the initial design ``x0`` (a new level waits
    ``tgrp`` days after the previous entry; titesim gives the last patient x0's last level without the
    wait)."""
    return x0[i] != pat_dose[i - 1] and t - pat_entry[i - 1] < tgrp and i < max_n - 1


@kernel
def tite_crm_trial(
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
    pat_entry,
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
):
    """One TITE-CRM trial in calendar time; returns (status, reason, patients treated, selected dose)
    and writes the calendar columns of :mod:`~dosefind.engine.calendar` into ``out_time``."""
    max_n = ip[L.IP_MAX_N]
    window = tf[1]
    cur = ip[L.IP_START_DOSE]
    # two-stage start (dfcrm's x0, tgrp): the initial design's levels until a DLT is seen at an arrival
    stage1 = ip[L.IP_TITE_X0] > 0
    x0 = tables[ip[L.IP_TITE_X0] - 1, 0] if stage1 else tables[0, 0]
    tgrp = fp[L.FP_TITE_TGRP] if fp[L.FP_TITE_TGRP] >= 0.0 else window
    if stage1:
        cur = x0[0]
    arrival = 0.0
    k = 0
    turned = 0
    n_treated = max_n
    stop_status = STOP_SELECT
    stop_reason = R_MAX_N
    for i in range(max_n):
        arrival = next_arrival(arrival, latent_uniform(tk, k, STREAM_ARRIVAL), ti, tf)
        k += 1
        if i > 0 and stage1:
            seen_any = any_dlt_seen(pat_dlt, pat_entry, pat_tdlt, i, arrival)
            if not seen_any:
                # a new level of x0 waits tgrp days after the previous entry; arrivals before are lost
                # (titesim gives the last patient x0's last level without the wait)
                while tite_stage1_waits(i, arrival, x0, tgrp, pat_dose, pat_entry, max_n):
                    turned += 1
                    arrival = next_arrival(arrival, latent_uniform(tk, k, STREAM_ARRIVAL), ti, tf)
                    k += 1
                    seen_any = any_dlt_seen(pat_dlt, pat_entry, pat_tdlt, i, arrival)
                    if seen_any:
                        break
            if seen_any:
                stage1 = False
            else:
                cur = x0[i]
        if i > 0 and not stage1:
            nxt, status, why = tite_crm_decision(
                ip,
                fp,
                tables,
                grid,
                mods,
                arrival,
                i,
                cur,
                window,
                pat_dose,
                pat_entry,
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
                n_at,
                tox_at,
                post,
                work,
                kkeys,
                kvals,
            )
            if status != CONTINUE:
                n_treated = i
                stop_status, stop_reason = status, why
                break
            cur = nxt
        pat_dose[i] = cur
        pat_entry[i] = arrival
        pat_dlt[i] = 1 if latent_uniform(tk, i, STREAM_TOX) < true_tox[cur] else 0
        pat_tdlt[i] = window * dlt_fraction(latent_uniform(tk, i, STREAM_EVENT_TIME), ti, tf, true_tox[cur])
    end = pat_entry[n_treated - 1] + window
    status, reason, selected = tite_crm_final(
        ip,
        fp,
        tables,
        grid,
        mods,
        n_treated,
        cur,
        stop_status,
        stop_reason,
        pat_dose,
        pat_dlt,
        n_at,
        tox_at,
        admissible,
        post,
        ckeys,
        cvals,
        work,
    )
    store_calendar(out_time, end, turned, 0.0, 0.0, pat_dose, pat_entry, n_treated, selected)
    return status, reason, n_treated, selected


@kernel
def any_dlt_seen(pat_dlt, pat_entry, pat_tdlt, n, t):
    """Whether a DLT of one of the first ``n`` patients has been seen by day t."""
    for j in range(n):
        if pat_dlt[j] == 1 and pat_entry[j] + pat_tdlt[j] <= t:
            return True
    return False


@kernel
def treated_and_seen(dose, seen, n, n_at, tox_at):
    """Per dose, the first ``n`` patients treated and the DLTs seen among them."""
    for d in range(n_at.shape[0]):
        n_at[d] = 0
        tox_at[d] = 0
    for j in range(n):
        n_at[dose[j]] += 1
        tox_at[dose[j]] += seen[j]


@kernel
def tite_crm_safety_stop(ip, fp, post, dose, n):
    """The CRM's safety stop on a TITE-CRM posterior (``post[0]``, weighted or complete): P(p_1 > safety
    threshold | data) above the stated confidence once ``safety_min_n`` of the ``n`` patients (pending
    ones included) were treated at the lowest dose."""
    if ip[L.IP_CRM_SAFETY] == 0:
        return False
    n1 = 0
    for j in range(n):
        if dose[j] == 0:
            n1 += 1
    D = ip[L.IP_N_DOSES]
    return n1 >= ip[L.IP_CRM_SAFETY_MIN_N] and post[0, L.POST_FIRST + 3 * D] > fp[L.FP_CRM_SAFETY_CONFIDENCE]


@kernel
def tite_crm_dose(
    ip,
    fp,
    grid,
    dose,
    seen,
    followup,
    n,
    window,
    known_n,
    known_tox,
    pend_dose,
    pend_u,
    pend_w,
    support,
    weights,
    post,
    work,
    kkeys,
    kvals,
):
    """The TITE-CRM's model dose (0-based, unrestricted) on the data of ``n`` patients: ``dose``,
    ``seen`` (1: a DLT observed) and ``followup`` (days since entry; for a seen DLT, its day). A seen DLT
    is known (y = 1); a patient without one is known once ``followup`` reaches the window, and pending
    (weighted by :func:`tite_weights`) before. Per-patient weights go to ``weights`` (1 when known), the
    posterior summary to ``post[0]``; the simulation and :func:`tite_crm_estimate` both decide here.
    ``kkeys``/``kvals``: the cache of :func:`~dosefind.engine.posterior.known_density_row` (the
    simulation keeps one per chunk; live use passes one with no capacity: the same decisions)."""
    D = ip[L.IP_N_DOSES]
    for d in range(D):
        known_n[d] = 0
        known_tox[d] = 0
    n_pend = 0
    z = 0
    for j in range(n):
        d = dose[j]
        weights[j] = 1.0
        if seen[j] == 1:
            known_n[d] += 1
            known_tox[d] += 1
            support[z] = followup[j]
            z += 1
        elif followup[j] >= window:
            known_n[d] += 1
        else:
            pend_dose[n_pend] = d
            pend_u[n_pend] = followup[j]
            n_pend += 1
    tite_weights(ip[L.IP_TITE_SCHEME], window, pend_u, n_pend, support, z, pend_w)
    crm_posterior_pending(
        ip, fp, grid, known_n, known_tox, pend_dose, pend_w, n_pend, post, 0, work, kkeys, kvals
    )
    k = 0
    for j in range(n):
        if seen[j] == 0 and followup[j] < window:
            weights[j] = pend_w[k]
            k += 1
    return crm_closest(ip, fp, post, 0, False, known_n)


def tite_crm_estimate(design, level, tox, followup, window: float) -> dict:
    """The TITE-CRM's estimate on patient-level data (Python API; :func:`tite_crm_dose`, the kernel the
    simulation decides with): ``level`` 1-based doses, ``tox`` 0/1 DLTs (observed), ``followup`` days
    (for a DLT, its day after entry), ``window`` the DLT window in days.

    Returns ``weights`` (per patient, dfcrm's ``titecrm`` convention: 1 for a DLT or a complete window),
    ``mean_b`` (posterior mean of b), ``plugin`` (p_d at it) and ``dose`` (0-based dose closest to the
    target by the design's dose choice, unrestricted).
    """

    dose = np.ascontiguousarray(np.asarray(level, dtype=np.int64) - 1)
    seen = np.ascontiguousarray(tox, dtype=np.int64)
    followup = np.ascontiguousarray(followup, dtype=np.float64)
    n, D = dose.shape[0], design.n_doses
    c = design.compile(max(design.max_n, n))
    K = int(c.ip[L.IP_CRM_N_NODES])
    kkeys, kvals = new_known_cache(D, 0, K)
    weights = np.zeros(n)
    post = np.zeros((1, L.POST_FIRST + 4 * D))
    nxt = tite_crm_dose(
        c.ip,
        c.fp,
        c.grid,
        dose,
        seen,
        followup,
        n,
        float(window),
        np.zeros(D, dtype=np.int64),
        np.zeros(D, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.zeros(n),
        np.zeros(n),
        np.zeros(n),
        weights,
        post,
        np.zeros(K),
        kkeys,
        kvals,
    )
    P = L.POST_FIRST
    return {
        "weights": weights,
        "mean_b": float(post[0, L.POST_MEAN_B]),
        "plugin": post[0, P : P + D].copy(),
        "dose": int(nxt),
    }


@kernel
def decide_pending(ip, fp, tables, n_at, tox_at, pend_at, stft_at, admissible, cur):
    """The decision with pending patients of a design run by :func:`pending_trial`: (next dose, status,
    reason, suspend accrual)."""
    if ip[L.IP_KIND] == K_TITE_BOIN:
        return decide_tite_boin(ip, fp, tables, n_at, tox_at, pend_at, stft_at, admissible, cur)
    return decide_rolling_six(ip, n_at, tox_at, pend_at, admissible, cur)


@kernel
def data_as_of(t, n, window, pat_dose, pat_entry, pat_dlt, pat_tdlt, n_at, tox_at, pend_at, stft_at):
    """The data of the first ``n`` patients as of day t, per dose: treated, DLTs observed (on or before
    t), pending (no DLT seen and the window not complete) and their follow-up in windows, summed."""
    for d in range(n_at.shape[0]):
        n_at[d] = 0
        tox_at[d] = 0
        pend_at[d] = 0
        stft_at[d] = 0.0
    for j in range(n):
        d = pat_dose[j]
        n_at[d] += 1
        if pat_dlt[j] == 1 and pat_entry[j] + pat_tdlt[j] <= t:
            tox_at[d] += 1
        elif t < pat_entry[j] + window:  # the same sum as the window's end event (next_event)
            pend_at[d] += 1
            stft_at[d] += (t - pat_entry[j]) / window


@kernel
def next_event(t, n, window, pat_entry, pat_dlt, pat_tdlt):
    """The first day after t on which one of the first ``n`` patients' data change (a DLT is seen or a
    window completes); inf if none."""
    best = math.inf
    for j in range(n):
        e = pat_entry[j] + (pat_tdlt[j] if pat_dlt[j] == 1 else window)
        if t < e < best:
            best = e
    return best


@kernel
def pending_decision(
    ip,
    fp,
    tables,
    t,
    i,
    window,
    pat_dose,
    pat_entry,
    pat_dlt,
    pat_tdlt,
    n_at,
    tox_at,
    pend_at,
    stft_at,
    admissible,
    cur,
):
    """The design's decision when an arrival on day t would start a new cohort, on the first ``i``
    patients' data as of t: (next dose, status, reason, lift, held). When the design suspends accrual
    (``held``), ``lift`` is the first day on which the data change and the decision no longer suspends
    (or nothing is left to learn), and the decision is the one of that day; otherwise ``lift`` is t. The
    modifiers are not applied (the caller applies them on the data as of the day it treats)."""
    data_as_of(t, i, window, pat_dose, pat_entry, pat_dlt, pat_tdlt, n_at, tox_at, pend_at, stft_at)
    nxt, status, why, hold = decide_pending(ip, fp, tables, n_at, tox_at, pend_at, stft_at, admissible, cur)
    held = hold == 1
    lift = t
    while hold == 1 and status == CONTINUE:
        e = next_event(lift, i, window, pat_entry, pat_dlt, pat_tdlt)
        if e == math.inf:  # nothing left to learn (a suspension needs someone pending)
            break
        lift = e
        data_as_of(lift, i, window, pat_dose, pat_entry, pat_dlt, pat_tdlt, n_at, tox_at, pend_at, stft_at)
        nxt, status, why, hold = decide_pending(
            ip, fp, tables, n_at, tox_at, pend_at, stft_at, admissible, cur
        )
    return nxt, status, why, lift, held


@kernel
def select_pending(ip, fp, tables, n_at, tox_at, admissible, work):
    """The final selection of a design run by :func:`pending_trial` (:func:`select_dose`'s, for the two
    kinds)."""
    if ip[L.IP_KIND] == K_TITE_BOIN:
        return select_boin(ip, fp, tables, n_at, tox_at, admissible, work)
    return select_rolling_six(ip, n_at, tox_at, admissible)


@kernel
def pending_final(
    ip,
    fp,
    tables,
    mods,
    i,
    pat_dose,
    pat_dlt,
    n_at,
    tox_at,
    pend_at,
    stft_at,
    admissible,
    work,
    cur,
    status,
    reason,
):
    """The end of a :func:`pending_trial` escalation of ``i`` patients that stopped with ``status`` (
    CONTINUE: ``max_n`` treated): every outcome is now known (left in ``n_at``, ``tox_at``); with max_n
    treated the last decision is made on them (as the untimed trial's). Returns (status, reason, selected
    dose or -1)."""
    treated_and_seen(pat_dose, pat_dlt, i, n_at, tox_at)  # every outcome, now known
    if status == CONTINUE:  # max_n treated: the last decision, on every outcome (as the untimed trial's)
        for d in range(n_at.shape[0]):
            pend_at[d] = 0
            stft_at[d] = 0.0
        _nxt, status, why, _hold = decide_pending(
            ip, fp, tables, n_at, tox_at, pend_at, stft_at, admissible, cur
        )
        if mods.shape[0] > 0:
            _nxt, status, why = apply_modifiers(mods, tables, n_at, tox_at, cur, _nxt, status, why, i)
        if status == CONTINUE:
            status = STOP_SELECT
            reason = R_MAX_N
        else:
            reason = why
    selected = -1
    if status == STOP_SELECT:
        selected = select_pending(ip, fp, tables, n_at, tox_at, admissible, work)
    return status, reason, selected


@kernel
def pending_trial(
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
    pat_entry,
    pat_dlt,
    pat_tdlt,
    pend_at,
    stft_at,
    out_time,
):
    """One trial of a cohort design that decides with pending patients (TITE-BOIN, rolling six); returns
    (status, reason, patients treated, selected dose) and writes the calendar columns into ``out_time``.

    The first cohort starts at the start dose. The arrival that would start a new cohort triggers the
    decision on the data as of that day (:func:`decide_pending`); the rest of a cohort is treated at its
    dose as they arrive. When the design suspends accrual, the day accrual reopens is the first day on
    which the data change and the decision no longer suspends; an arrival before it is turned away, or
    (``ti[1] == 1``) waits and is treated then if its wait is at most ``tf[2]`` days. Patients are
    treated in arrival order. The trial ends when ``max_n`` are treated or the design stops; its
    duration is the last patient's entry plus the window (TITEgBOIN's convention), and the final
    selection is the design's on every patient's complete outcome.
    """
    max_n = ip[L.IP_MAX_N]
    cohort = ip[L.IP_COHORT_SIZE]
    window = tf[1]
    wait_mode = ti[1] == 1
    max_wait = tf[2]
    init_admissible(ip, admissible)
    cur = ip[L.IP_START_DOSE]
    arrival = 0.0
    open_at = 0.0
    k = 0
    i = 0
    in_cohort = 0
    turned = 0
    waited = 0.0
    suspended = 0.0
    status = CONTINUE
    reason = R_MAX_N
    while i < max_n:
        arrival = next_arrival(arrival, latent_uniform(tk, k, STREAM_ARRIVAL), ti, tf)
        k += 1
        t = arrival
        if arrival < open_at:
            if not (wait_mode and open_at - arrival <= max_wait):
                turned += 1
                continue
            t = open_at
        if i > 0 and in_cohort == cohort:
            nxt, status, why, lift, held = pending_decision(
                ip,
                fp,
                tables,
                t,
                i,
                window,
                pat_dose,
                pat_entry,
                pat_dlt,
                pat_tdlt,
                n_at,
                tox_at,
                pend_at,
                stft_at,
                admissible,
                cur,
            )
            if held:
                suspended += lift - t
                open_at = lift
                if status == CONTINUE and wait_mode and lift - arrival <= max_wait:
                    t = lift
                elif status == CONTINUE:
                    turned += 1
                    continue
            if mods.shape[0] > 0:  # as BOIN's decide: after the base rule, whatever it said
                data_as_of(
                    t, i, window, pat_dose, pat_entry, pat_dlt, pat_tdlt, n_at, tox_at, pend_at, stft_at
                )
                nxt, status, why = apply_modifiers(mods, tables, n_at, tox_at, cur, nxt, status, why, i)
            if status != CONTINUE:
                reason = why
                break
            cur = nxt
            in_cohort = 0
            reason = why
        if t > arrival:
            waited += t - arrival
        pat_dose[i] = cur
        pat_entry[i] = t
        pat_dlt[i] = 1 if latent_uniform(tk, i, STREAM_TOX) < true_tox[cur] else 0
        pat_tdlt[i] = window * dlt_fraction(latent_uniform(tk, i, STREAM_EVENT_TIME), ti, tf, true_tox[cur])
        i += 1
        in_cohort += 1
    status, reason, selected = pending_final(
        ip,
        fp,
        tables,
        mods,
        i,
        pat_dose,
        pat_dlt,
        n_at,
        tox_at,
        pend_at,
        stft_at,
        admissible,
        work,
        cur,
        status,
        reason,
    )
    end = pat_entry[i - 1] + window if i > 0 else 0.0
    mean_wait = waited / i if i > 0 else 0.0
    store_calendar(out_time, end, turned, mean_wait, suspended, pat_dose, pat_entry, i, selected)
    return status, reason, i, selected
