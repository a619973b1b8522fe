"""The platform loop: arms that share one stream of arriving children, each arm escalating and then
running its expansion cohorts on the platform's clock. Arrays in, arrays out.

Latent values. Platform trial t has the key ``pk = trial_key(seed, scenario key, t)``. Child k (the k-th
arrival, counting those not matched) arrives at ``next_arrival`` of ``STREAM_ARRIVAL`` value k, as a
single timed trial's arrival k; their profile is drawn from ``STREAM_BIOMARKER + b`` (one value per
biomarker with independent prevalences, or one value read through the joint table), ``STREAM_HISTOLOGY``
and ``STREAM_AGE`` value k, and a random allocation from ``STREAM_ALLOCATION`` value k. Arm a's patients
are keyed by ``arm_key(pk, a)`` (``pk`` itself for the first arm) and their place in the arm, exactly as
the arm kernel keys a simulated arm's patients (escalation patient i; extension patient i of cohort c:
``EXT_BASE (c + 1) + i``). So platforms compared on the same seed and scenario see the same children, an
arm sees the same patients whichever children other arms took, and a platform of one arm that everyone
is eligible for is the arm's own timed trial while it escalates (see :func:`run_platforms`).

Escalation. Arms run designs that decide on complete cohorts, whose decisions do not depend on when
patients arrive (engine/calendar.py): an arm's escalation is :func:`dosefind.engine.trial.escalate` on
its own patients (computed before this kernel, block by block: ``n_esc``, ``pat_dose``, ``pat_resp``),
laid here on the platform's clock. The arm has a free slot while its current cohort is not complete and
accrual is not suspended; after a cohort's last patient accrual is suspended for the DLT window (the
arm is full), as in :func:`~dosefind.engine.calendar.cohort_calendar` with ``suspension =
"turned_away"``.

Extension. When escalation ends the arm waits for the responses of its patients at the selected dose
(as :func:`~dosefind.engine.arm.run_arms`), opens its cohorts (the arm kernel's ``open_cohorts``:
patients at the selected dose counted first where a cohort says so) and takes children through the arm
kernel's own steps: ``_events_until`` (looks resolved when their response is known, the safety monitor
on observed outcomes), ``next_cohort`` (the next open cohort in turn that is not paused at a look; none:
the arm is full) and ``enroll``.

Allocation. A child screened on day ``now`` is offered to the arms that are open, have a free slot and
for which the child is eligible: ``random`` (uniformly among them), ``priority`` (the first in file
order), ``least_enrolled`` (fewest treated so far, ties to the first in file order) or ``probability``
(the stated weights, renormalised over them). A child with no such arm is not matched (counted).
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import DesignKind, Reason, Status
from ..designs import layout as L
from .arm import (
    SAFETY,
    _events_until,
    enroll,
    escalation_buffers,
    extension_open_day,
    next_cohort,
    open_cohorts,
)
from .calendar import next_arrival
from .copula import responds_tab
from .decisions import apply_modifiers, init_admissible
from .jit import kernel
from .rng import (
    STREAM_ARRIVAL,
    STREAM_EFF,
    STREAM_EVENT_TIME,
    STREAM_TOX,
    latent_uniform,
    mix64,
    trial_key,
)
from .tite import (
    any_dlt_seen,
    data_as_of,
    dlt_fraction,
    pending_decision,
    pending_final,
    tite_crm_decision,
    tite_crm_final,
    tite_stage1_waits,
)
from .trial import escalate

# a child's streams (engine/rng.py uses 0..4: toxicity, efficacy, arrival, event time, design)
STREAM_HISTOLOGY = 5
STREAM_AGE = 6
STREAM_ALLOCATION = 7
STREAM_BIOMARKER = 8  #: + b for biomarker b (independent prevalences); the joint table's value: 8

# allocation rules
ALLOC_RANDOM = 0
ALLOC_PRIORITY = 1
ALLOC_LEAST_ENROLLED = 2
ALLOC_PROBABILITY = 3

# arm phases
WAITING = 0  #: not open yet
ESCALATING = 1
TO_OPEN = 2  #: escalation over, the extension opens on ext_day
EXTENSION = 3
CLOSED = 4

# per-arm calendar columns (days from the platform's opening)
P_OPEN = 0  #: the day the arm opened
P_ESCALATION = 1  #: escalation's final decision (the day the RP2D is known)
P_EXT_OPEN = 2  #: the day the extension opened (nan: it did not)
P_CLOSE = 3  #: the arm's last decision (nan: still open when the platform was cut at max_children)
P_TO_SELECTED = 4  #: the first escalation patient at the selected dose (nan: none)
N_PLATFORM_ARM_TIME = 5

#: children by calendar month (month m: days [m, m + 1) x MONTH_DAYS from the platform's opening; the
#: last month also takes every later day): rows 0..A-1 the children each arm took, then screened, then not
#: matched; the kernel adds each platform's cumulative counts and their squares (``month_sums``)
MONTH_DAYS = 365.25 / 12.0
N_MONTHS = 120

# per-platform columns
Q_DURATION = 0  #: the last arm's close
Q_SCREENED = 1
Q_NOT_MATCHED = 2
Q_TREATED = 3
Q_TRUNCATED = 4  #: 1 when max_children children arrived before every arm closed
N_PLATFORM_COLUMNS = 5


# an arm whose design decides with pending patients (rolling six, TITE-BOIN, TITE-CRM): its state, per arm
S_CUR = 0  #: the current dose
S_IN = 1  #: patients of the current cohort treated
S_CHECKED = 2  #: 1 when the decision on complete data at the end of the last window has been made
S_NEXT = 3  #: the dose of the next patient, when a decision opened a slot
S_STAGE1 = 4  #: TITE-CRM: 1 while in its two-stage start (no DLT seen yet)
N_PENDING_STATE = 5
K_TITE_CRM = int(DesignKind.TITE_CRM)
CONTINUE = int(Status.CONTINUE)
R_MAX_N = int(Reason.MAX_N)


@kernel
def arm_key(pk, a):
    """The key of arm a's patients in the platform trial with key ``pk`` (``pk`` for a = 0)."""
    return pk ^ mix64(np.uint64(a))


@kernel
def draw_profile(pk, k, prevalence, joint_cum, joint_mask, hist_cum, age_cum):
    """Child k's (biomarker bit mask, histology, age group). Independent biomarkers when ``joint_cum`` is
    empty (biomarker b present iff its value is below ``prevalence[b]``), else the first row r of the
    joint table with ``u < joint_cum[r]`` (none: no biomarker); histology and age group: the first
    category whose cumulative probability exceeds the value (the last one otherwise)."""
    mask = np.int64(0)
    if joint_cum.shape[0] == 0:
        for b in range(prevalence.shape[0]):
            if latent_uniform(pk, k, STREAM_BIOMARKER + b) < prevalence[b]:
                mask |= np.int64(1) << np.int64(b)
    else:
        u = latent_uniform(pk, k, STREAM_BIOMARKER)
        for r in range(joint_cum.shape[0]):
            if u < joint_cum[r]:
                mask = joint_mask[r]
                break
    h = 0
    if hist_cum.shape[0] > 1:
        u = latent_uniform(pk, k, STREAM_HISTOLOGY)
        h = hist_cum.shape[0] - 1
        for j in range(hist_cum.shape[0] - 1):
            if u < hist_cum[j]:
                h = j
                break
    g = 0
    if age_cum.shape[0] > 1:
        u = latent_uniform(pk, k, STREAM_AGE)
        g = age_cum.shape[0] - 1
        for j in range(age_cum.shape[0] - 1):
            if u < age_cum[j]:
                g = j
                break
    return mask, h, g


@kernel
def eligible(a, mask, h, g, arm_bm, hist_ok, age_ok):
    """Whether a child with this profile may enter arm a (any of its biomarkers, or none required; an
    allowed histology and age group); with the cohort arrays, whether cohort c of arm a' admits them
    (row a = a' * Cmax + c)."""
    if arm_bm[a] != 0 and (mask & arm_bm[a]) == 0:
        return False
    return hist_ok[a, h] == 1 and age_ok[a, g] == 1


@kernel
def _month(day, M):
    """The calendar month of ``day`` (the last of M months takes every later day)."""
    return min(int(day / MONTH_DAYS), M - 1)


@kernel
def _admits(a, Cmax, C, mask, h, g, coh_bm, coh_hist_ok, coh_age_ok, cok):
    """``cok[c]`` = 1 for the cohorts c < C of arm a that admit a child with this profile."""
    for c in range(C):
        cok[c] = 1 if eligible(a * Cmax + c, mask, h, g, coh_bm, coh_hist_ok, coh_age_ok) else 0


@kernel
def allocate(rule, cand, n_cand, treated, weight, u):
    """The arm among ``cand[:n_cand]`` (in file order) that takes the child."""
    if rule == ALLOC_PRIORITY:
        return cand[0]
    if rule == ALLOC_LEAST_ENROLLED:
        best = cand[0]
        for j in range(1, n_cand):
            if treated[cand[j]] < treated[best]:
                best = cand[j]
        return best
    if rule == ALLOC_PROBABILITY:
        total = 0.0
        for j in range(n_cand):
            total += weight[cand[j]]
        x = u * total
        acc = 0.0
        for j in range(n_cand):
            acc += weight[cand[j]]
            if x < acc:
                return cand[j]
        return cand[n_cand - 1]
    j = int(u * n_cand)
    return cand[min(j, n_cand - 1)]


@kernel
def _next_event(decision, paused, look_day, ev_time, live, n_live):
    """The day of an extension's next event: a paused cohort's look or a live outcome (inf: none)."""
    t = math.inf
    for c in range(decision.shape[0]):
        if paused[c] == 1 and decision[c] < 0 and look_day[c] < t:
            t = look_day[c]
    for k in range(n_live):
        if ev_time[live[k]] < t:
            t = ev_time[live[k]]
    return t


@kernel
def run_platforms(
    ti,
    tf,
    prevalence,
    joint_cum,
    joint_mask,
    hist_cum,
    age_cum,
    arm_bm,
    hist_ok,
    age_ok,
    coh_bm,
    coh_hist_ok,
    coh_age_ok,
    opens_day,
    opens_after,
    order,
    weight,
    rule,
    max_children,
    cohort_size,
    n_coh,
    arm_ti,
    arm_tf,
    resp_days,
    open_min,
    true_tox,
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
    pending,
    p_ip,
    p_fp,
    p_tables,
    p_grid,
    p_mods,
    n_mods,
    eff_prob,
    eff_tab,
    seed,
    scenario_key,
    first,
    n_esc,
    sel,
    n_sel,
    y_sel,
    r_sel,
    pat_dose,
    pat_resp,
    esc_status,
    esc_reason,
    esc_n,
    esc_tox,
    esc_eff,
    out_coh_new,
    out_coh_counted,
    out_coh_resp,
    out_coh_tox,
    out_coh_decision,
    out_coh_look,
    out_coh_day,
    out_safety_stop,
    out_treated,
    out_time,
    out_platform,
    month_sums,
):
    """Simulate platform trials ``first..`` into rows ``0..`` of the outputs (one row per platform,
    ``n_esc.shape[1]`` rows).

    Per arm a (A arms, padded to the most cohorts ``Cmax``, doses ``Dmax``): ``cohort_size[a]``, its
    cohorts ``n_coh[a]``, its clock ``arm_ti[a]``/``arm_tf[a]`` (the platform's accrual, the arm's DLT
    window and DLT time model), ``resp_days[a]``, ``open_min[a]``, the arm kernel's extension arrays with
    a leading arm axis; escalation per row (from ``escalate``): ``n_esc``, ``sel``, patients, DLTs and
    responses at the selected dose (``n_sel``, ``y_sel``, ``r_sel``), each patient's dose and response.
    Eligibility: ``arm_bm[a]`` (biomarker bits, any of them; 0: none required), ``hist_ok``, ``age_ok``;
    a cohort's own, within its arm's: row ``a * Cmax + c`` of ``coh_bm``, ``coh_hist_ok``, ``coh_age_ok``
    (an extension child goes to the next open cohort in turn that admits them; an escalation patient at
    the selected dose counts only in the cohorts that admit them);
    opening: ``opens_day[a]`` or, when ``opens_after[a] >= 0``, the close of that arm; ``order``: arms
    in an order where every arm comes after the one it opens after. ``month_sums`` [2, A + 2, months]
    gains, per platform, its cumulative children by month (:data:`MONTH_DAYS`) and their squares.

    Arms with ``pending[a]`` (designs that decide with pending patients: rolling six, TITE-BOIN, TITE-CRM)
    escalate here, child by child, instead of from precomputed rows: their compiled design (``p_ip[a]``,
    ``p_fp[a]``, ``p_tables[a]``, ``p_grid[a]``, ``p_mods[a, :n_mods[a]]``, padded) decides as
    :func:`~dosefind.engine.tite.pending_trial` (TITE-CRM: :func:`~dosefind.engine.tite.tite_crm_trial`)
    does, at the arrival of an eligible child that would start a new cohort, and once more on the
    complete data when the last window of a cohort ends with no child come (so an arm that must stop
    does not wait for one); a suspension keeps children away until it lifts. Their escalation rows
    (``n_esc``, ``sel``, ``n_sel``, ``y_sel``, ``r_sel``, ``pat_dose``, ``pat_resp`` and ``esc_status``,
    ``esc_reason``, ``esc_n``, ``esc_tox``, ``esc_eff``) are written here; responses are drawn from
    ``eff_prob[a]``, ``eff_tab[a]``.
    """
    A = arm_bm.shape[0]
    Cmax = looks.shape[1]
    n_ext_max = 1
    for a in range(A):
        s = 0
        for c in range(n_coh[a]):
            s += looks[a, c, n_looks[a, c] - 1]
        n_ext_max = max(n_ext_max, s)
    max_esc = max(pat_dose.shape[2], 1)
    phase = np.zeros(A, dtype=np.int64)
    t_open = np.zeros(A)
    ext_day = np.zeros(A)
    end = np.zeros(A)
    esc_next = np.zeros(A, dtype=np.int64)
    treated = np.zeros(A, dtype=np.int64)
    n_open = np.zeros(A, dtype=np.int64)
    n_live = np.zeros(A, dtype=np.int64)
    n_new = np.zeros(A, dtype=np.int64)
    ptr = np.zeros(A, dtype=np.int64)
    n_safe = np.zeros(A, dtype=np.int64)
    y_safe = np.zeros(A, dtype=np.int64)
    entry = np.zeros((A, max_esc))
    count = np.zeros((A, Cmax), dtype=np.int64)
    resp = np.zeros((A, Cmax), dtype=np.int64)
    look = np.zeros((A, Cmax), dtype=np.int64)
    decision = np.zeros((A, Cmax), dtype=np.int64)
    paused = np.zeros((A, Cmax), dtype=np.int64)
    look_day = np.zeros((A, Cmax))
    look_res = np.zeros((A, Cmax), dtype=np.int64)
    ev_time = np.zeros((A, n_ext_max))
    ev_dlt = np.zeros((A, n_ext_max), dtype=np.int64)
    live = np.zeros((A, n_ext_max), dtype=np.int64)
    cand = np.zeros(A, dtype=np.int64)
    admits = np.zeros((A, Cmax), dtype=np.int8)  # per arm, its cohorts that admit the child
    # per escalation patient, the cohorts that admit them (those they may count in)
    esc_ok = np.zeros((A, max_esc, Cmax), dtype=np.int8)
    next_ev = np.zeros(A)  # the earliest pending look or observed outcome of an arm's extension
    # arms that decide with pending patients: state, admissible doses, each patient's DLT and its day
    Dm = eff_prob.shape[1]
    pst = np.zeros((A, N_PENDING_STATE), dtype=np.int64)
    p_adm = np.ones((A, max(Dm, 1)), dtype=np.int8)
    p_dlt = np.zeros((A, max_esc), dtype=np.int64)
    p_tdlt = np.zeros((A, max_esc))
    n_at = np.zeros(max(Dm, 1), dtype=np.int64)
    tox_at = np.zeros(max(Dm, 1), dtype=np.int64)
    pend_at = np.zeros(max(Dm, 1), dtype=np.int64)
    stft_at = np.zeros(max(Dm, 1))
    K = p_grid.shape[1]
    p_work = np.zeros(max(6 * Dm, K, 1))
    # TITE-CRM's per-decision scratch (shared by the arms: one decision at a time); no caches
    tint = np.zeros((2, max_esc), dtype=np.int64)  # seen, pending doses
    tflt = np.zeros((5, max_esc))  # follow-up, weights, pending follow-up and weights, DLT days seen
    known = np.zeros((2, max(Dm, 1)), dtype=np.int64)
    post = np.zeros((1, L.POST_FIRST + 4 * max(Dm, 1)))
    ckeys = np.full((0, 2 * max(Dm, 1)), -1, dtype=np.int16)
    cvals = np.zeros((1, L.POST_FIRST + 4 * max(Dm, 1)))
    kkeys = np.full((0, 2 * max(Dm, 1)), -1, dtype=np.int16)
    kvals = np.zeros((1, K + 3))
    # what the pending arms' steps read and write, bundled once (numba tuples of arrays)
    model = (arm_tf, true_tox, eff_prob, eff_tab, rho)
    design = (esc_next, pst, p_ip, p_fp, p_tables, p_grid, p_mods, n_mods, p_adm, pat_dose, p_dlt, p_tdlt)
    scratch = (n_at, tox_at, pend_at, stft_at, p_work, tint, tflt, known, post, ckeys, cvals, kkeys, kvals)
    rows = (
        n_esc,
        sel,
        n_sel,
        y_sel,
        r_sel,
        pat_dose,
        pat_resp,
        esc_status,
        esc_reason,
        esc_n,
        esc_tox,
        esc_eff,
    )
    ext = (
        resp_days,
        open_min,
        n_coh,
        looks,
        futility,
        efficacy,
        n_looks,
        carry,
        ext_day,
        end,
        phase,
        n_open,
        n_safe,
        y_safe,
        ptr,
        count,
        resp,
        look,
        decision,
        out_coh_day,
        esc_ok,
    )
    M = month_sums.shape[2]
    monthly = np.zeros((A + 2, M), dtype=np.int64)  # one platform's children by month
    for row in range(n_esc.shape[1]):
        pk = trial_key(seed, scenario_key, first + row)
        monthly[:] = 0
        for a in range(A):
            phase[a] = WAITING
            esc_next[a] = 0
            treated[a] = 0
            n_new[a] = 0
            n_live[a] = 0
            out_safety_stop[row, a] = False
            if pending[a] == 1:
                init_admissible(p_ip[a], p_adm[a])
                pst[a, S_CUR] = p_ip[a, L.IP_START_DOSE]
                pst[a, S_IN] = 0
                pst[a, S_CHECKED] = 0
                pst[a, S_STAGE1] = 0
                if p_ip[a, L.IP_KIND] == K_TITE_CRM and p_ip[a, L.IP_TITE_X0] > 0:  # its initial design
                    pst[a, S_STAGE1] = 1
                    pst[a, S_CUR] = p_tables[a, p_ip[a, L.IP_TITE_X0] - 1, 0, 0]
            tr = out_time[row, a]
            for j in range(N_PLATFORM_ARM_TIME):
                tr[j] = math.nan
            for c in range(Cmax):
                count[a, c] = 0
                resp[a, c] = 0
                look[a, c] = 0
                decision[a, c] = 0  # NOT_OPENED
                paused[a, c] = 0
                out_coh_new[row, a, c] = 0
                out_coh_tox[row, a, c] = 0
                out_coh_day[row, a, c] = math.nan
        arrival = 0.0
        k = 0
        screened = 0
        not_matched = 0
        n_treated = 0
        truncated = False
        while True:
            # every arm up to today, each after the arm it opens after
            n_closed = 0
            last_close = 0.0
            for j in range(A):
                a = order[j]
                if phase[a] == WAITING:
                    od = opens_day[a]
                    b = opens_after[a]
                    if b >= 0:
                        od = out_time[row, b, P_CLOSE] if phase[b] == CLOSED else math.inf
                    if od <= arrival:
                        phase[a] = ESCALATING
                        out_time[row, a, P_OPEN] = od
                        t_open[a] = od
                if (
                    phase[a] == ESCALATING
                    and pending[a] == 1
                    and pst[a, S_CHECKED] == 0
                    and esc_next[a] > 0
                    and pst[a, S_IN] == cohort_size[a]
                ):  # at a cohort's end: once the data are complete, the decision needs no child
                    e = _last_change(esc_next[a], arm_tf[a, 1], entry[a], p_dlt[a], p_tdlt[a])
                    if e <= arrival:
                        pst[a, S_CHECKED] = 1
                        _free, st, why = _pending_decide(
                            a, row, e, arm_tf[a, 1], entry, t_open, design, scratch
                        )
                        if st != CONTINUE:
                            _pending_finish(
                                a,
                                row,
                                st,
                                why,
                                arm_key(pk, a),
                                entry,
                                out_time,
                                model,
                                design,
                                scratch,
                                rows,
                                ext,
                            )
                if phase[a] == TO_OPEN and ext_day[a] <= arrival:
                    phase[a] = EXTENSION
                    next_ev[a] = math.inf
                if phase[a] == EXTENSION and next_ev[a] <= arrival:  # else nothing happens until later
                    C = n_coh[a]
                    n_open[a], n_live[a], n_safe[a], y_safe[a], end[a], stopped = _events_until(
                        arrival,
                        safety[a],
                        safety_on[a],
                        n_safe[a],
                        y_safe[a],
                        n_open[a],
                        decision[a, :C],
                        paused[a, :C],
                        look_day[a, :C],
                        look_res[a, :C],
                        out_coh_day[row, a, :C],
                        ev_time[a],
                        ev_dlt[a],
                        live[a],
                        n_live[a],
                        end[a],
                    )
                    if stopped:
                        out_safety_stop[row, a] = True
                    if n_open[a] == 0:
                        phase[a] = CLOSED
                        out_time[row, a, P_CLOSE] = end[a]
                    else:
                        next_ev[a] = _next_event(
                            decision[a, :C], paused[a, :C], look_day[a], ev_time[a], live[a], n_live[a]
                        )
                if phase[a] == CLOSED:
                    n_closed += 1
                    last_close = max(last_close, out_time[row, a, P_CLOSE])
            if k > 0:  # child k - 1 arrived on ``arrival``: screen and allocate them
                if n_closed == A:
                    if arrival < last_close:  # screened while the last arms finished
                        screened += 1
                        not_matched += 1
                        m = _month(arrival, M)
                        monthly[A, m] += 1
                        monthly[A + 1, m] += 1
                        arrival = next_arrival(arrival, latent_uniform(pk, k, STREAM_ARRIVAL), ti, tf)
                        k += 1
                        continue
                    break
                screened += 1
                m = _month(arrival, M)
                monthly[A, m] += 1
                mask, h, g = draw_profile(pk, k - 1, prevalence, joint_cum, joint_mask, hist_cum, age_cum)
                n_cand = 0
                for a in range(A):
                    if not eligible(a, mask, h, g, arm_bm, hist_ok, age_ok):
                        continue
                    free = False
                    if phase[a] == ESCALATING and pending[a] == 1:
                        if arrival >= t_open[a]:
                            free, st, why = _pending_decide(
                                a, row, arrival, arm_tf[a, 1], entry, t_open, design, scratch
                            )
                            if st != CONTINUE:
                                _pending_finish(
                                    a,
                                    row,
                                    st,
                                    why,
                                    arm_key(pk, a),
                                    entry,
                                    out_time,
                                    model,
                                    design,
                                    scratch,
                                    rows,
                                    ext,
                                )
                    elif phase[a] == ESCALATING:
                        free = esc_next[a] < n_esc[a, row] and arrival >= t_open[a]
                    elif phase[a] == EXTENSION:
                        C = n_coh[a]
                        _admits(a, Cmax, C, mask, h, g, coh_bm, coh_hist_ok, coh_age_ok, admits[a])
                        free = next_cohort(decision[a, :C], paused[a, :C], ptr[a], admits[a]) >= 0
                    if free:
                        cand[n_cand] = a
                        n_cand += 1
                if n_cand == 0:
                    not_matched += 1
                    monthly[A + 1, m] += 1
                else:
                    u = 0.5
                    if rule == ALLOC_RANDOM or rule == ALLOC_PROBABILITY:
                        u = latent_uniform(pk, k - 1, STREAM_ALLOCATION)
                    a = allocate(rule, cand, n_cand, treated, weight, u)
                    treated[a] += 1
                    monthly[a, m] += 1
                    n_treated += 1
                    if phase[a] == ESCALATING:
                        _admits(
                            a,
                            Cmax,
                            n_coh[a],
                            mask,
                            h,
                            g,
                            coh_bm,
                            coh_hist_ok,
                            coh_age_ok,
                            esc_ok[a, esc_next[a]],
                        )
                    if phase[a] == ESCALATING and pending[a] == 1:
                        done = _pending_enroll(
                            a,
                            row,
                            arrival,
                            arm_key(pk, a),
                            arm_ti,
                            arm_tf,
                            true_tox,
                            esc_next,
                            pst,
                            p_ip,
                            pat_dose,
                            entry,
                            p_dlt,
                            p_tdlt,
                        )
                        if done:
                            _pending_finish(
                                a,
                                row,
                                CONTINUE,
                                R_MAX_N,
                                arm_key(pk, a),
                                entry,
                                out_time,
                                model,
                                design,
                                scratch,
                                rows,
                                ext,
                            )
                    elif phase[a] == ESCALATING:
                        _treat_escalation(
                            a, row, arrival, cohort_size, arm_tf, esc_next, t_open, entry, out_time, rows, ext
                        )
                    else:  # the cohorts that admit the child: found for the candidates above
                        C = n_coh[a]
                        c = next_cohort(decision[a, :C], paused[a, :C], ptr[a], admits[a])
                        s_a = sel[a, row]
                        n_live[a] = enroll(
                            arm_key(pk, a),
                            c,
                            arrival,
                            resp_days[a],
                            s_a,
                            true_tox[a, s_a],
                            rho[a],
                            coh_prob[a],
                            coh_tab[a],
                            looks[a],
                            futility[a],
                            efficacy[a],
                            n_looks[a],
                            count[a],
                            resp[a],
                            look[a],
                            paused[a],
                            look_day[a],
                            look_res[a],
                            safety_on[a],
                            arm_ti[a],
                            arm_tf[a],
                            ev_time[a],
                            ev_dlt[a],
                            live[a],
                            n_live[a],
                            n_new[a],
                            out_coh_new[row, a],
                            out_coh_tox[row, a],
                        )
                        n_new[a] += 1
                        ptr[a] = c
                        if paused[a, c] == 1:
                            next_ev[a] = min(next_ev[a], look_day[a, c])
                        if n_live[a] > 0:
                            next_ev[a] = min(next_ev[a], ev_time[a, live[a, n_live[a] - 1]])
            if k >= max_children:
                truncated = True
                break
            arrival = next_arrival(arrival, latent_uniform(pk, k, STREAM_ARRIVAL), ti, tf)
            k += 1
        duration = 0.0
        for a in range(A):
            d = out_time[row, a, P_CLOSE]
            if not math.isnan(d):
                duration = max(duration, d)
            out_treated[row, a] = treated[a]
            for c in range(Cmax):
                out_coh_counted[row, a, c] = count[a, c]
                out_coh_resp[row, a, c] = resp[a, c]
                out_coh_decision[row, a, c] = decision[a, c]
                out_coh_look[row, a, c] = (
                    look[a, c] if decision[a, c] > 0 and decision[a, c] != SAFETY else -1
                )
        q = out_platform[row]
        q[Q_DURATION] = duration
        q[Q_SCREENED] = screened
        q[Q_NOT_MATCHED] = not_matched
        q[Q_TREATED] = n_treated
        q[Q_TRUNCATED] = 1.0 if truncated else 0.0
        for j in range(A + 2):
            cum = 0
            for mm in range(M):
                cum += monthly[j, mm]
                month_sums[0, j, mm] += cum
                month_sums[1, j, mm] += cum * cum


@kernel
def _treat_escalation(a, row, now, cohort_size, arm_tf, esc_next, t_open, entry, out_time, rows, ext):
    """Escalation patient ``esc_next[a]`` of arm a enters on day ``now`` (the cohorts that admit them are
    already in ``esc_ok[a, esc_next[a]]``); after a cohort's last patient
    accrual is suspended for the window, and after escalation's last the extension is prepared as in
    :func:`~dosefind.engine.arm.run_arms` (it opens when the responses at the selected dose are known)."""
    n_esc, sel, _n_sel, _y_sel, _r_sel, pat_dose, _resp, _st, _re, _n, _tox, _eff = rows
    i = esc_next[a]
    entry[a, i] = now
    s = sel[a, row]
    if s >= 0 and pat_dose[a, row, i] == s and math.isnan(out_time[row, a, P_TO_SELECTED]):
        out_time[row, a, P_TO_SELECTED] = now
    i += 1
    esc_next[a] = i
    n = n_esc[a, row]
    window = arm_tf[a, 1]
    if i % cohort_size[a] == 0 or i == n:
        t_open[a] = now + window
    if i < n:
        return
    _end_escalation(a, row, now + window, entry, out_time, rows, ext)


@kernel
def _end_escalation(a, row, esc_end, entry, out_time, rows, ext):
    """Arm a's escalation ended on day ``esc_end`` (its final decision known): the extension is prepared
    as in :func:`~dosefind.engine.arm.run_arms` (it opens when the responses at the selected dose are
    known), or the arm closes."""
    n_esc, sel, n_sel, y_sel, r_sel, pat_dose, pat_resp, _st, _re, _n, _tox, _eff = rows
    (
        resp_days,
        open_min,
        n_coh,
        looks,
        futility,
        efficacy,
        n_looks,
        carry,
        ext_day,
        end,
        phase,
        n_open,
        n_safe,
        y_safe,
        ptr,
        count,
        resp,
        look,
        decision,
        out_coh_day,
        esc_ok,
    ) = ext
    s = sel[a, row]
    n = n_esc[a, row]
    out_time[row, a, P_ESCALATION] = esc_end
    open_day = extension_open_day(esc_end, s, pat_dose[a, row], entry[a], n, resp_days[a])
    if not (s >= 0 and r_sel[a, row] >= open_min[a]):
        phase[a] = CLOSED
        out_time[row, a, P_CLOSE] = open_day
        return
    out_time[row, a, P_EXT_OPEN] = open_day
    C = n_coh[a]
    m = open_cohorts(
        looks[a, :C],
        futility[a, :C],
        efficacy[a, :C],
        n_looks[a, :C],
        carry[a, :C],
        pat_dose[a, row],
        pat_resp[a, row],
        n,
        s,
        count[a, :C],
        resp[a, :C],
        look[a, :C],
        decision[a, :C],
        esc_ok[a],
    )
    for c in range(C):
        if decision[a, c] >= 0:
            out_coh_day[row, a, c] = open_day
    n_open[a] = m
    end[a] = open_day
    if m == 0:
        phase[a] = CLOSED
        out_time[row, a, P_CLOSE] = open_day
        return
    n_safe[a] = n_sel[a, row]
    y_safe[a] = y_sel[a, row]
    ptr[a] = C - 1
    ext_day[a] = open_day
    phase[a] = TO_OPEN


@kernel
def _last_change(n, window, entry, dlt, tdlt):
    """The last day on which the data of an arm's first ``n`` escalation patients change (a DLT seen or
    a window complete): from then on the data are complete."""
    e = 0.0
    for j in range(n):
        e = max(e, entry[j] + (tdlt[j] if dlt[j] == 1 else window))
    return e


@kernel
def _pending_decide(a, row, t, window, entry, t_open, design, scratch):
    """Whether arm a (a design that decides with pending patients) can treat a patient on day t: (free,
    status, reason). Within a cohort the slot is free at the current dose; at the arrival that would start
    a new cohort the design decides on the data as of t exactly as in
    :func:`~dosefind.engine.tite.pending_trial` (:func:`~dosefind.engine.tite.pending_decision`, then the
    modifiers): a suspension closes the arm to children until the day it lifts (``t_open``), a stop ends
    the escalation (the caller finishes it), and otherwise the next patient's dose is left in
    ``pst[a, S_NEXT]`` (the decision is taken when a child is treated). TITE-CRM decides at every
    arrival as :func:`~dosefind.engine.tite.tite_crm_trial` does (its two-stage start, whose waits lose
    the arrivals, then :func:`~dosefind.engine.tite.tite_crm_decision`) and never suspends."""
    esc_next, pst, p_ip, p_fp, p_tables, p_grid, p_mods, n_mods, p_adm, pat_dose, p_dlt, p_tdlt = design
    n_at, tox_at, pend_at, stft_at, work, tint, tflt, known, post, _ckeys, _cvals, kkeys, kvals = scratch
    i = esc_next[a]
    if p_ip[a, L.IP_KIND] == K_TITE_CRM and i > 0:
        ip, fp, tables = p_ip[a], p_fp[a], p_tables[a]
        if pst[a, S_STAGE1] == 1:
            if any_dlt_seen(p_dlt[a], entry[a], p_tdlt[a], i, t):
                pst[a, S_STAGE1] = 0
            else:
                x0 = tables[ip[L.IP_TITE_X0] - 1, 0]
                tgrp = fp[L.FP_TITE_TGRP] if fp[L.FP_TITE_TGRP] >= 0.0 else window
                if tite_stage1_waits(i, t, x0, tgrp, pat_dose[a, row], entry[a], ip[L.IP_MAX_N]):
                    return False, CONTINUE, 0
                pst[a, S_NEXT] = x0[i]
                return True, CONTINUE, 0
        m = n_mods[a]
        nxt, status, why = tite_crm_decision(
            ip,
            fp,
            tables,
            p_grid[a],
            p_mods[a, :m],
            t,
            i,
            pst[a, S_CUR],
            window,
            pat_dose[a, row],
            entry[a],
            p_dlt[a],
            p_tdlt[a],
            tint[0],
            tflt[0],
            tflt[1],
            tint[1],
            tflt[2],
            tflt[3],
            tflt[4],
            known[0],
            known[1],
            n_at,
            tox_at,
            post,
            work,
            kkeys,
            kvals,
        )
        if status != CONTINUE:
            return False, status, why
        pst[a, S_NEXT] = nxt
        return True, status, why
    if i == 0 or pst[a, S_IN] < p_ip[a, L.IP_COHORT_SIZE]:
        pst[a, S_NEXT] = pst[a, S_CUR]
        return True, CONTINUE, 0
    cur = pst[a, S_CUR]
    nxt, status, why, lift, held = pending_decision(
        p_ip[a],
        p_fp[a],
        p_tables[a],
        t,
        i,
        window,
        pat_dose[a, row],
        entry[a],
        p_dlt[a],
        p_tdlt[a],
        n_at,
        tox_at,
        pend_at,
        stft_at,
        p_adm[a],
        cur,
    )
    if held:
        t_open[a] = lift
        if status == CONTINUE:
            return False, status, why
    m = n_mods[a]
    if m > 0:
        pd, ea = pat_dose[a, row], entry[a]
        data_as_of(t, i, window, pd, ea, p_dlt[a], p_tdlt[a], n_at, tox_at, pend_at, stft_at)
        nxt, status, why = apply_modifiers(p_mods[a, :m], p_tables[a], n_at, tox_at, cur, nxt, status, why, i)
    if status != CONTINUE:
        return False, status, why
    pst[a, S_NEXT] = nxt
    return True, status, why


@kernel
def _pending_enroll(
    a, row, t, tk, arm_ti, arm_tf, true_tox, esc_next, pst, p_ip, pat_dose, entry, p_dlt, p_tdlt
):
    """A child is treated on day t as arm a's next escalation patient (a design that decides with pending
    patients), at the dose :func:`_pending_decide` left, their DLT and its day drawn as in
    :func:`~dosefind.engine.tite.pending_trial`; returns whether the arm has now treated ``max_n``."""
    i = esc_next[a]
    if i > 0 and pst[a, S_IN] == p_ip[a, L.IP_COHORT_SIZE]:
        pst[a, S_CUR] = pst[a, S_NEXT]
        pst[a, S_IN] = 0
    cur = pst[a, S_CUR]
    p = true_tox[a, cur]
    pat_dose[a, row, i] = cur
    entry[a, i] = t
    p_dlt[a, i] = 1 if latent_uniform(tk, i, STREAM_TOX) < p else 0
    v = latent_uniform(tk, i, STREAM_EVENT_TIME)
    p_tdlt[a, i] = arm_tf[a, 1] * dlt_fraction(v, arm_ti[a], arm_tf[a], p)
    esc_next[a] = i + 1
    pst[a, S_IN] += 1
    pst[a, S_CHECKED] = 0
    return i + 1 >= p_ip[a, L.IP_MAX_N]


@kernel
def _pending_finish(a, row, status, reason, tk, entry, out_time, model, design, scratch, rows, ext):
    """The end of arm a's escalation by a design that decides with pending patients (``status``
    CONTINUE: ``max_n`` treated): the final decision and selection on every outcome
    (:func:`~dosefind.engine.tite.pending_final`, TITE-CRM's
    :func:`~dosefind.engine.tite.tite_crm_final`), the escalation's rows as :func:`platform_escalations`
    writes them for the other designs (responses drawn as
    :func:`~dosefind.engine.trial.timed_escalation` draws them), the day of the first patient at the
    selected dose; then :func:`_end_escalation` on the escalation's last day (the last patient's entry
    plus the window)."""
    arm_tf, _true_tox, eff_prob, eff_tab, rho = model
    esc_next, pst, p_ip, p_fp, p_tables, p_grid, p_mods, n_mods, p_adm, pat_dose, p_dlt, _p_tdlt = design
    n_at, tox_at, pend_at, stft_at, work, _tint, _tflt, _known, post, ckeys, cvals, _kkeys, _kvals = scratch
    n_esc, sel, n_sel, y_sel, r_sel, _pat_dose, pat_resp, esc_status, esc_reason, esc_n, esc_tox, esc_eff = (
        rows
    )
    i = esc_next[a]
    m = n_mods[a]
    if p_ip[a, L.IP_KIND] == K_TITE_CRM:
        status, reason, s = tite_crm_final(
            p_ip[a],
            p_fp[a],
            p_tables[a],
            p_grid[a],
            p_mods[a, :m],
            i,
            pst[a, S_CUR],
            status,
            reason,
            pat_dose[a, row],
            p_dlt[a],
            n_at,
            tox_at,
            p_adm[a],
            post,
            ckeys,
            cvals,
            work,
        )
    else:
        status, reason, s = pending_final(
            p_ip[a],
            p_fp[a],
            p_tables[a],
            p_mods[a, :m],
            i,
            pat_dose[a, row],
            p_dlt[a],
            n_at,
            tox_at,
            pend_at,
            stft_at,
            p_adm[a],
            work,
            pst[a, S_CUR],
            status,
            reason,
        )
    D = p_ip[a, L.IP_N_DOSES]
    esc_status[a, row] = status
    esc_reason[a, row] = reason
    n_esc[a, row] = i
    sel[a, row] = s
    for d in range(D):
        esc_n[a, row, d] = n_at[d]
        esc_tox[a, row, d] = tox_at[d]
        esc_eff[a, row, d] = 0
    for j in range(i):
        d = pat_dose[a, row, j]
        u = latent_uniform(tk, j, STREAM_TOX)
        r = responds_tab(u, latent_uniform(tk, j, STREAM_EFF), eff_tab[a], d, eff_prob[a, d], rho[a])
        esc_eff[a, row, d] += r
        pat_resp[a, row, j] = r
        if d == s and math.isnan(out_time[row, a, P_TO_SELECTED]):
            out_time[row, a, P_TO_SELECTED] = entry[a, j]
    if s >= 0:
        n_sel[a, row] = esc_n[a, row, s]
        y_sel[a, row] = esc_tox[a, row, s]
        r_sel[a, row] = esc_eff[a, row, s]
    else:
        n_sel[a, row] = 0
        y_sel[a, row] = 0
        r_sel[a, row] = 0
    _end_escalation(a, row, entry[a, i - 1] + arm_tf[a, 1], entry, out_time, rows, ext)


@kernel
def run_platform_chunks(
    ti,
    tf,
    prevalence,
    joint_cum,
    joint_mask,
    hist_cum,
    age_cum,
    arm_bm,
    hist_ok,
    age_ok,
    coh_bm,
    coh_hist_ok,
    coh_age_ok,
    opens_day,
    opens_after,
    order,
    weight,
    rule,
    max_children,
    cohort_size,
    n_coh,
    arm_ti,
    arm_tf,
    resp_days,
    open_min,
    true_tox,
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
    pending,
    p_ip,
    p_fp,
    p_tables,
    p_grid,
    p_mods,
    n_mods,
    eff_prob,
    eff_tab,
    seed,
    scenario_key,
    trial_offset,
    bounds,
    n_esc,
    sel,
    n_sel,
    y_sel,
    r_sel,
    pat_dose,
    pat_resp,
    esc_status,
    esc_reason,
    esc_n,
    esc_tox,
    esc_eff,
    out_coh_new,
    out_coh_counted,
    out_coh_resp,
    out_coh_tox,
    out_coh_decision,
    out_coh_look,
    out_coh_day,
    out_safety_stop,
    out_treated,
    out_time,
    out_platform,
    month_sums,
):
    """Chunk c = rows bounds[c]..bounds[c+1]-1 (threads: the caller's); row r is platform trial
    ``trial_offset + r``."""
    for c in range(bounds.shape[0] - 1):
        a = bounds[c]
        b = bounds[c + 1]
        run_platforms(
            ti,
            tf,
            prevalence,
            joint_cum,
            joint_mask,
            hist_cum,
            age_cum,
            arm_bm,
            hist_ok,
            age_ok,
            coh_bm,
            coh_hist_ok,
            coh_age_ok,
            opens_day,
            opens_after,
            order,
            weight,
            rule,
            max_children,
            cohort_size,
            n_coh,
            arm_ti,
            arm_tf,
            resp_days,
            open_min,
            true_tox,
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
            pending,
            p_ip,
            p_fp,
            p_tables,
            p_grid,
            p_mods,
            n_mods,
            eff_prob,
            eff_tab,
            seed,
            scenario_key,
            trial_offset + a,
            n_esc[:, a:b],
            sel[:, a:b],
            n_sel[:, a:b],
            y_sel[:, a:b],
            r_sel[:, a:b],
            pat_dose[:, a:b],
            pat_resp[:, a:b],
            esc_status[:, a:b],
            esc_reason[:, a:b],
            esc_n[:, a:b],
            esc_tox[:, a:b],
            esc_eff[:, a:b],
            out_coh_new[a:b],
            out_coh_counted[a:b],
            out_coh_resp[a:b],
            out_coh_tox[a:b],
            out_coh_decision[a:b],
            out_coh_look[a:b],
            out_coh_day[a:b],
            out_safety_stop[a:b],
            out_treated[a:b],
            out_time[a:b],
            out_platform[a:b],
            month_sums,
        )


@kernel
def platform_escalations(
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
    arm,
    trial_offset,
    bounds,
    cache_capacity,
    n_work,
    out_n_esc,
    out_sel,
    out_status,
    out_reason,
    out_n,
    out_tox,
    out_eff,
    out_dose,
    out_resp,
):
    """Arm ``arm``'s escalation in platform trials ``trial_offset + r`` (rows r in chunks at ``bounds``,
    threads: the caller's), by :func:`~dosefind.engine.trial.escalate` on the arm's patients (key
    :func:`arm_key`): status, reason, patients, selected dose, per-dose counts, each patient's dose and
    response."""
    D = ip[L.IP_N_DOSES]
    max_n = out_dose.shape[1]
    for c in range(bounds.shape[0] - 1):
        n_at, tox_at, eff_at, admissible, pat_dose, pat_resp, ckeys, cvals, work = escalation_buffers(
            D, max_n, cache_capacity, n_work
        )
        for r in range(bounds[c], bounds[c + 1]):
            pk = trial_key(seed, scenario_key, trial_offset + r)
            status, reason, n, s = escalate(
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
                arm_key(pk, arm),
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
            out_n_esc[r] = n
            out_sel[r] = s
            out_status[r] = status
            out_reason[r] = reason
            for d in range(D):
                out_n[r, d] = n_at[d]
                out_tox[r, d] = tox_at[d]
                out_eff[r, d] = eff_at[0, d]
            for i in range(n):
                out_dose[r, i] = pat_dose[i]
                out_resp[r, i] = pat_resp[i]
