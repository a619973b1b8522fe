"""BOIN with backfill (BF-BOIN; Zhao, Yuan, Korn & Freidlin 2024) in calendar time, with the conventions
of the bfboin R package's simulator (``get.oc.bf``; every rule and its source line:
docs/notes/bf-boin-conventions.md).

One trial, arrival by arrival (arrival k is ``STREAM_ARRIVAL`` value k; patient i, the i-th treated,
escalation or backfill, has toxicity value ``STREAM_TOX`` i, DLT time ``STREAM_EVENT_TIME`` i, response
value ``STREAM_EFF`` i). A patient is evaluated at entry + its DLT time (a DLT) or entry + the window.

* The escalation cohort fills with the next ``cohort_size`` arrivals at the current dose d.
* Once full, an arrival while the cohort is still under observation is backfilled to an open dose below
  d (``backfill_doses``), or turned away; nobody waits.
* The first arrival after the cohort is evaluated triggers the decision (:func:`bf_decide`) on the
  escalation cohorts and the backfill patients evaluated by then, and starts the next cohort. After
  ``max_n / cohort_size`` cohorts the trial ends (that arrival is not treated).
* A response (escalation patients only, independent of toxicity) is seen at entry + window; a dose opens
  for backfill only after a response was seen there.
* The final selection is BOIN's isotonic rule on the escalation patients and the backfill patients
  evaluated by the time the last cohort is evaluated (the trial's end, its duration); backfill patients
  still pending then are not counted (bfboin drops them).
"""

from __future__ import annotations

import math

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
    select_boin,
)
from .calendar import (
    N_TIME_COLUMNS,
    T_DURATION,
    T_MEAN_WAIT,
    T_SUSPENDED,
    T_TO_SELECTED,
    T_TURNED_AWAY,
    next_arrival,
)
from .jit import kernel
from .rng import STREAM_ARRIVAL, STREAM_DESIGN, STREAM_EFF, STREAM_EVENT_TIME, STREAM_TOX, latent_uniform
from .tite import dlt_fraction

R_MAX_N = int(Reason.MAX_N)
R_POOLED = int(Reason.BF_POOLED)

ESC = 0
STAY = 1
DEESC = 2
ELIM = 3


@kernel
def zone(tables, n, y):
    """bfboin's per-dose decision on n patients and y DLTs: escalate if y <= b_e(n); else eliminate if
    y >= b_elim(n); else de-escalate if y >= b_d(n); else stay (n = 0 read as n = 1)."""
    flags = tables[0, max(n, 1), y]
    if flags & L.BOIN_ESC:
        return ESC
    if flags & L.BOIN_ELIM:
        return ELIM
    if flags & L.BOIN_DEESC:
        return DEESC
    return STAY


@kernel
def _in_deesc(tables, n, y):
    """Whether y DLTs in n patients is in the de-escalation zone (y >= b_d(max(n, 1)), capped at b_elim)."""
    return (tables[0, max(n, 1), y] & L.BOIN_DEESC) != 0


@kernel
def evaluated(t, n_pat, pat_dose, pat_entry, pat_dlt, pat_tdlt, pat_bf, window, esc_n, esc_y, tot_n, tot_y):
    """Per dose: the completed escalation counts (``esc_n``, ``esc_y``, kept by the caller) plus the backfill
    patients evaluated before day t, into ``tot_n``/``tot_y``."""
    for d in range(tot_n.shape[0]):
        tot_n[d] = esc_n[d]
        tot_y[d] = esc_y[d]
    for j in range(n_pat):
        if pat_bf[j] == 1:
            e = pat_entry[j] + (pat_tdlt[j] if pat_dlt[j] == 1 else window)
            if e < t:
                tot_n[pat_dose[j]] += 1
                tot_y[pat_dose[j]] += pat_dlt[j]


@kernel
def bf_decide(ip, tables, tot_n, tot_y, esc_n, esc_y, elim, cur):
    """The dose decision after a cohort (bfboin's sim.one.trial): (next dose, status, reason). ``tot``:
    escalation + evaluated backfill per dose; ``elim``: doses flagged eliminated (updated here)."""
    D = ip[L.IP_N_DOSES]
    n_early = ip[L.IP_BOIN_N_EARLYSTOP]
    extrasafe = ip[L.IP_BOIN_EXTRASAFE] == 1
    dec_d = zone(tables, tot_n[cur], tot_y[cur])
    if cur == 0:
        if dec_d == ESC:
            if D > 1 and elim[1] == 0:
                return 1, CONTINUE, R_BOIN_ESCALATE
            nxt, reason = 0, R_BOIN_STAY_NEXT_ELIM if D > 1 else R_BOIN_STAY_TOP
        elif dec_d == STAY:
            nxt, reason = 0, R_BOIN_STAY
        elif dec_d == ELIM:
            return 0, STOP_NO_DOSE, R_BOIN_LOWEST_ELIM
        else:
            if extrasafe:
                if tot_n[0] >= 3 and (tables[0, tot_n[0], tot_y[0]] & L.BOIN_EXTRASAFE_STOP):
                    return 0, STOP_NO_DOSE, R_BOIN_EXTRASAFE
                return 0, CONTINUE, R_BOIN_STAY_BOTTOM
            nxt, reason = 0, R_BOIN_STAY_BOTTOM
        if tot_n[0] >= n_early:
            return 0, STOP_SELECT, R_BOIN_EARLYSTOP
        return nxt, CONTINUE, reason
    # lower doses' decisions: conflict (A) escalation here but not everywhere below, or (B) no escalation
    # here and a lower dose in the de-escalation or elimination zone
    b_star = -1
    for j in range(cur - 1, -1, -1):
        dj = zone(tables, tot_n[j], tot_y[j])
        if dec_d == ESC:
            if dj != ESC:
                b_star = j
                break
        elif dj == DEESC or dj == ELIM:
            b_star = j
            break
    if b_star < 0:  # no conflict: BOIN's move at the current dose
        if dec_d == ESC:
            if cur < D - 1 and elim[cur + 1] == 0:
                return cur + 1, CONTINUE, R_BOIN_ESCALATE
            nxt, reason = cur, R_BOIN_STAY_TOP if cur == D - 1 else R_BOIN_STAY_NEXT_ELIM
        elif dec_d == STAY:
            nxt, reason = cur, R_BOIN_STAY
        elif dec_d == DEESC:
            return cur - 1, CONTINUE, R_BOIN_DEESCALATE
        else:
            for j in range(cur, D):
                elim[j] = 1
            return cur - 1, CONTINUE, R_BOIN_DEESC_ELIM
        if tot_n[cur] >= n_early:
            return cur, STOP_SELECT, R_BOIN_EARLYSTOP
        return nxt, CONTINUE, reason
    if dec_d == ELIM:
        for j in range(cur, D):
            elim[j] = 1
    # pool the doses b*..cur
    Y = 0
    N = 0
    for j in range(b_star, cur + 1):
        Y += tot_y[j]
        N += tot_n[j]
    pooled = zone(tables, N, Y)
    if pooled == ESC:
        if cur < D - 1 and elim[cur + 1] == 0:
            return cur + 1, CONTINUE, R_POOLED
    elif _in_deesc(tables, N, Y):
        best = -1
        cy = 0
        cn = 0
        for m in range(b_star, cur + 1):
            cy += tot_y[m]
            cn += tot_n[m]
            if not _in_deesc(tables, cn, cy):
                best = m
        if best < 0:
            nxt = b_star - 1
            if nxt < 0:
                if tot_n[0] >= 3 and (tables[0, tot_n[0], tot_y[0]] & L.BOIN_ELIM):
                    return 0, STOP_NO_DOSE, R_BOIN_LOWEST_ELIM
                if extrasafe and esc_n[0] >= 3 and (tables[0, esc_n[0], esc_y[0]] & L.BOIN_EXTRASAFE_STOP):
                    return 0, STOP_NO_DOSE, R_BOIN_EXTRASAFE
                nxt = 0
            return nxt, CONTINUE, R_POOLED
        return best, CONTINUE, R_POOLED
    if tot_n[cur] >= n_early:
        return cur, STOP_SELECT, R_BOIN_EARLYSTOP
    return cur, CONTINUE, R_POOLED


@kernel
def backfill_dose(
    ip,
    tables,
    t,
    cur,
    n_pat,
    pat_dose,
    pat_entry,
    pat_dlt,
    pat_tdlt,
    pat_bf,
    window,
    esc_n,
    esc_y,
    cohort_n,
    cohort_y,
    first_resp,
    bf_assigned,
    tot_n,
    tot_y,
    u,
):
    """The dose a patient arriving on day t is backfilled to (-1: none open). ``cohort_n``/``cohort_y``:
    the current cohort's patients evaluated by t; ``bf_assigned``: backfill patients ever given each dose;
    ``u``: a uniform for the random choice."""
    cap = ip[L.IP_BACKFILL_CAP]
    evaluated(t, n_pat, pat_dose, pat_entry, pat_dlt, pat_tdlt, pat_bf, window, esc_n, esc_y, tot_n, tot_y)
    unsafe_from = cur
    for k in range(cur):
        if k + 1 < cur:
            pn = tot_n[k] + tot_n[k + 1]
            py = tot_y[k] + tot_y[k + 1]
        else:  # pooled with the current dose: its escalation patients (evaluated ones of this cohort)
            pn = tot_n[k] + esc_n[cur] + cohort_n
            py = tot_y[k] + esc_y[cur] + cohort_y
        if _in_deesc(tables, tot_n[k], tot_y[k]) and _in_deesc(tables, pn, py):
            unsafe_from = k
            break
    n_open = 0
    lowest = -1
    highest = -1
    for k in range(unsafe_from):
        if first_resp[k] < t and esc_n[k] + bf_assigned[k] <= cap:
            n_open += 1
            if lowest < 0:
                lowest = k
            highest = k
    if n_open == 0:
        return -1
    rule = ip[L.IP_BACKFILL_ASSIGN]
    if rule == 0:
        return highest
    if rule == 1:
        return lowest
    pick = min(int(u * n_open), n_open - 1)
    for k in range(unsafe_from):
        if first_resp[k] < t and esc_n[k] + bf_assigned[k] <= cap:
            if pick == 0:
                return k
            pick -= 1
    return highest


@kernel
def backfill_trial(
    ip,
    fp,
    tables,
    true_p,
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
    pat_bf,
    esc_n,
    esc_y,
    first_resp,
    bf_assigned,
    tot_n,
    tot_y,
    elim,
    out_time,
):
    """One BF-BOIN trial; returns (status, reason, patients counted, selected dose) and writes the calendar
    columns, then the backfill patients counted at each dose d (column ``N_TIME_COLUMNS + d``).
    ``true_p``: the DLT probabilities, then the response probabilities, of the D doses."""
    D = ip[L.IP_N_DOSES]
    cohort = ip[L.IP_COHORT_SIZE]
    n_cohorts = (ip[L.IP_MAX_N] + cohort - 1) // cohort
    window = tf[1]
    for d in range(D):
        esc_n[d] = 0
        esc_y[d] = 0
        first_resp[d] = math.inf
        bf_assigned[d] = 0
        elim[d] = 0
        admissible[d] = 1
    cur = ip[L.IP_START_DOSE]
    arrival = 0.0
    k = 0
    i = 0
    in_cohort = 0
    first = 0  # index of the current cohort's first patient (a cohort fills before any backfill)
    cohort_end = 0.0
    done = 0
    turned = 0
    suspended = 0.0
    status = CONTINUE
    reason = R_MAX_N
    while True:
        arrival = next_arrival(arrival, latent_uniform(tk, k, STREAM_ARRIVAL), ti, tf)
        u_design = latent_uniform(tk, k, STREAM_DESIGN)
        k += 1
        t = arrival
        dose = -1
        if in_cohort == cohort and cohort_end < t:  # the cohort is evaluated: decide at this arrival
            y = 0
            for j in range(first, first + cohort):
                y += pat_dlt[j]
            esc_n[cur] += cohort
            esc_y[cur] += y
            suspended += cohort_end - pat_entry[first + cohort - 1]  # the escalation waited for the cohort
            done += 1
            evaluated(
                t, i, pat_dose, pat_entry, pat_dlt, pat_tdlt, pat_bf, window, esc_n, esc_y, tot_n, tot_y
            )
            nxt, status, why = bf_decide(ip, tables, tot_n, tot_y, esc_n, esc_y, elim, cur)
            if status != CONTINUE:
                reason = why
                break
            if done >= n_cohorts:
                status = STOP_SELECT
                reason = R_MAX_N
                break
            cur = nxt
            in_cohort = 0
            first = i
            cohort_end = 0.0
        if in_cohort < cohort:  # the escalation cohort fills first
            dose = cur
        elif cur > 0:  # the cohort is under observation: backfill, if a lower dose is open
            seen = False
            for d in range(cur):
                if first_resp[d] < t:
                    seen = True
            if seen:
                cn = 0
                cy = 0
                for j in range(first, first + cohort):
                    if pat_entry[j] + (pat_tdlt[j] if pat_dlt[j] == 1 else window) < t:
                        cn += 1
                        cy += pat_dlt[j]
                dose = backfill_dose(
                    ip,
                    tables,
                    t,
                    cur,
                    i,
                    pat_dose,
                    pat_entry,
                    pat_dlt,
                    pat_tdlt,
                    pat_bf,
                    window,
                    esc_n,
                    esc_y,
                    cn,
                    cy,
                    first_resp,
                    bf_assigned,
                    tot_n,
                    tot_y,
                    u_design,
                )
        if dose < 0:
            turned += 1
            continue
        p = true_p[dose]
        pat_dose[i] = dose
        pat_entry[i] = t
        pat_dlt[i] = 1 if latent_uniform(tk, i, STREAM_TOX) < p else 0
        pat_tdlt[i] = window * dlt_fraction(latent_uniform(tk, i, STREAM_EVENT_TIME), ti, tf, p)
        ev = t + (pat_tdlt[i] if pat_dlt[i] == 1 else window)
        if dose == cur and in_cohort < cohort:
            pat_bf[i] = 0
            in_cohort += 1
            cohort_end = max(cohort_end, ev)
            if latent_uniform(tk, i, STREAM_EFF) < true_p[D + dose]:
                first_resp[dose] = min(first_resp[dose], t + window)
        else:
            pat_bf[i] = 1
            bf_assigned[dose] += 1
        i += 1
    # the end: the last cohort's evaluation day; backfill patients evaluated by then count
    end = cohort_end
    evaluated(end, i, pat_dose, pat_entry, pat_dlt, pat_tdlt, pat_bf, window, esc_n, esc_y, tot_n, tot_y)
    total = 0
    for d in range(D):
        n_at[d] = tot_n[d]
        tox_at[d] = tot_y[d]
        total += tot_n[d]
        out_time[N_TIME_COLUMNS + d] = tot_n[d] - esc_n[d]
    selected = -1
    if status == STOP_SELECT:
        selected = select_boin(ip, fp, tables, n_at, tox_at, admissible, work)
    out_time[T_DURATION] = end
    out_time[T_TURNED_AWAY] = turned
    out_time[T_MEAN_WAIT] = 0.0
    out_time[T_SUSPENDED] = suspended
    out_time[T_TO_SELECTED] = math.nan
    if selected >= 0:
        for j in range(i):
            if pat_dose[j] == selected:
                out_time[T_TO_SELECTED] = pat_entry[j]
                break
    return status, reason, total, selected
