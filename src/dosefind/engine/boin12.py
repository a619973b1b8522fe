"""BOIN12 kernels (Lin, Zhou, Yan, Li & Yuan 2020): the decision on toxicity and response after a cohort
and the final choice of the optimal biological dose (the spec and the rules in words: designs/boin12).

Arrays only. The state is the toxicity-only state plus ``resp_at`` [2, D]: responses per dose (row 0) and
responses among patients with a DLT (row 1), so the four outcome counts of a dose are known. The
compiled design gives the flag table ``tables[0]`` (``B12_*`` bits: BOIN zones, toxicity elimination by
(n, DLTs), futility by (n, responses)) and the desirability table ``grid[n, k]`` = P(utility > benchmark)
for n patients whose whole-number utilities sum to k.
"""

from __future__ import annotations

import numpy as np

from ..constants import Reason, Status
from ..designs import layout as L
from .isotonic import closest_to_target, pava
from .jit import kernel

CONTINUE = int(Status.CONTINUE)
STOP_SELECT = int(Status.STOP_SELECT)
STOP_NO_DOSE = int(Status.STOP_NO_DOSE)
R_DEESC = int(Reason.B12_DEESCALATE)
R_STAY_BOTTOM = int(Reason.B12_STAY_BOTTOM)
R_EXPLORE = int(Reason.B12_EXPLORE)
R_UP = int(Reason.B12_ESCALATE)
R_STAY = int(Reason.B12_STAY)
R_DOWN = int(Reason.B12_DESIRABILITY_DOWN)
R_NSTAR_STAY = int(Reason.B12_NSTAR_STAY)
R_NSTAR_DOWN = int(Reason.B12_NSTAR_DOWN)
R_LOWEST_TOXIC = int(Reason.B12_LOWEST_TOXIC)
R_NONE = int(Reason.B12_NONE_ADMISSIBLE)
R_NO_NEIGHBOUR = int(Reason.B12_NO_NEIGHBOUR)


@kernel
def utility_sum(ip, n, y, e, b):
    """Sum of the patients' utilities at a dose with n patients, y DLTs, e responses, b of them with a DLT."""
    return (
        ip[L.IP_B12_U_EFF_NOTOX] * (e - b)
        + ip[L.IP_B12_U_NONE] * (n - y - e + b)
        + ip[L.IP_B12_U_BOTH] * b
        + ip[L.IP_B12_U_TOX_NOEFF] * (y - b)
    )


@kernel
def desirability(ip, grid, n_at, tox_at, resp_at, d):
    """P(utility of dose d > benchmark | its data): the value whose rank is the rank-based desirability
    score (an untried dose has the prior's value)."""
    n = n_at[d]
    return grid[n, utility_sum(ip, n, tox_at[d], resp_at[0, d], resp_at[1, d])]


@kernel
def local_ok(tables, n_at, tox_at, resp_at, d):
    """Whether dose d passes both admissibility rules on its own data (escalation's local check)."""
    n = n_at[d]
    return (tables[0, n, tox_at[d]] & L.B12_TOXIC) == 0 and (tables[0, n, resp_at[0, d]] & L.B12_FUTILE) == 0


@kernel
def decide_boin12(ip, tables, grid, n_at, tox_at, resp_at, admissible, cur):
    """(next dose, status, reason) after a cohort at ``cur``."""
    if ip[L.IP_B12_RULES] == 1:
        return _decide_escalation(ip, tables, grid, n_at, tox_at, resp_at, cur)
    D = ip[L.IP_N_DOSES]
    n = n_at[cur]
    flags = tables[0, n, tox_at[cur]]
    # eliminations on the current dose's data (permanent): toxicity takes it and every higher dose,
    # futility this dose only
    if flags & L.B12_TOXIC:
        for j in range(cur, D):
            admissible[j] = 0
        if cur == 0:
            return cur, STOP_NO_DOSE, R_LOWEST_TOXIC
    if tables[0, n, resp_at[0, cur]] & L.B12_FUTILE:
        admissible[cur] = 0
    left = 0
    for j in range(D):
        left += admissible[j]
    if left == 0:
        return cur, STOP_NO_DOSE, R_NONE
    if flags & L.B12_DEESC:
        if cur == 0:
            return cur, CONTINUE, R_STAY_BOTTOM
        return cur - 1, CONTINUE, R_DEESC
    explore = ip[L.IP_B12_EXPLORE_N]
    if explore > 0 and n >= explore and cur < D - 1 and n_at[cur + 1] == 0 and admissible[cur + 1] == 1:
        return cur + 1, CONTINUE, R_EXPLORE
    nstar = (flags & L.B12_ESC) == 0 and n >= ip[L.IP_B12_N_STAR]
    hi = cur if nstar else min(cur + 1, D - 1)
    best = -1
    best_v = -1.0
    for j in range(max(cur - 1, 0), hi + 1):
        if admissible[j] == 1:
            val = desirability(ip, grid, n_at, tox_at, resp_at, j)
            if val >= best_v:  # ties go to the higher dose
                best_v = val
                best = j
    if best < 0:
        return cur, CONTINUE, R_NO_NEIGHBOUR  # the dispatch moves down to an admissible dose, or stops
    if nstar:
        return best, CONTINUE, R_NSTAR_STAY if best == cur else R_NSTAR_DOWN
    if best > cur:
        return best, CONTINUE, R_UP
    if best == cur:
        return best, CONTINUE, R_STAY
    return best, CONTINUE, R_DOWN


@kernel
def _decide_escalation(ip, tables, grid, n_at, tox_at, resp_at, cur):
    """escalation 0.2.3's get_boin12 (its boin12_next_dose), as it runs: admissibility of the current dose
    and its neighbours from their own data at each decision (nothing eliminated for good), de-escalation
    to the dose below whatever its data, and its tie rules and the n_star branch as R evaluates it."""
    D = ip[L.IP_N_DOSES]
    n = n_at[cur]
    flags = tables[0, n, tox_at[cur]]
    explore = ip[L.IP_B12_EXPLORE_N]
    deesc = (flags & L.B12_DEESC) != 0
    if explore > 0 and n >= explore and not deesc and cur < D - 1 and n_at[cur + 1] == 0:
        return cur + 1, CONTINUE, R_EXPLORE
    if deesc:
        if cur == 0:
            return cur, CONTINUE, R_STAY_BOTTOM
        return cur - 1, CONTINUE, R_DEESC
    if (flags & L.B12_ESC) == 0 and n >= ip[L.IP_B12_N_STAR]:
        # escalation's `currentdose-1 %in% admissible` parses as currentdose - (1 %in% admissible): it is
        # true unless the current dose is dose 1 and dose 1 is admissible, so the lower dose's own
        # admissibility is never checked, and at dose 1 an inadmissible dose 1 stops the trial
        cur_ok = local_ok(tables, n_at, tox_at, resp_at, cur)
        if cur == 0:
            if cur_ok:
                return cur, CONTINUE, R_NSTAR_STAY
            return cur, STOP_NO_DOSE, R_NONE
        if cur_ok and desirability(ip, grid, n_at, tox_at, resp_at, cur) > desirability(
            ip, grid, n_at, tox_at, resp_at, cur - 1
        ):  # which.max: a tie goes to the lower dose
            return cur, CONTINUE, R_NSTAR_STAY
        return cur - 1, CONTINUE, R_NSTAR_DOWN
    best = -1
    best_v = -1.0
    for j in range(max(cur - 1, 0), min(cur + 1, D - 1) + 1):
        if local_ok(tables, n_at, tox_at, resp_at, j):
            val = desirability(ip, grid, n_at, tox_at, resp_at, j)
            if val >= best_v:  # the last of the maxima: the higher dose (as the BOIN12 Shiny app)
                best_v = val
                best = j
    if best < 0:
        return cur, STOP_NO_DOSE, R_NONE
    if best > cur:
        return best, CONTINUE, R_UP
    if best == cur:
        return best, CONTINUE, R_STAY
    return best, CONTINUE, R_DOWN


@kernel
def select_boin12(ip, fp, tables, grid, n_at, tox_at, resp_at, admissible, work):
    """The optimal biological dose at the end (0-based, -1: none): the isotonic MTD from the tried doses'
    DLT rates, then among the doses not above it the highest utility (the paper's rules: admissible tried
    doses, posterior mean utility, ties to the lower dose; escalation's: every dose, P(utility >
    benchmark), ties to the lower dose)."""
    D = ip[L.IP_N_DOSES]
    target = fp[L.FP_TARGET]
    escalation = ip[L.IP_B12_RULES] == 1
    idx = work[0:D]
    vals = work[D : 2 * D]
    wts = work[2 * D : 3 * D]
    est = work[3 * D : 4 * D]
    ww = work[4 * D : 5 * D]
    wl = work[5 * D : 6 * D]
    m = 0
    for d in range(D):
        if n_at[d] == 0:
            continue
        if not escalation and admissible[d] == 0 and (tables[0, n_at[d], tox_at[d]] & L.B12_TOXIC) != 0:
            break  # a dose eliminated for toxicity and those above it take no part
        idx[m] = d
        if escalation:  # Iso::pava of the empiric rates, unweighted
            vals[m] = tox_at[d] / n_at[d]
            wts[m] = 1.0
        else:  # the BOIN package's select.mtd estimate and weights
            nn = n_at[d] + 0.1
            y = tox_at[d] + 0.05
            vals[m] = y / nn
            wts[m] = 1.0 / ((y * (n_at[d] - tox_at[d] + 0.05)) / (nn * nn * (nn + 1.0)))
        m += 1
    if m == 0:
        return -1
    pava(vals, wts, m, est, ww, wl)
    if escalation:  # the closest isotonic rate to the target, ties to the highest dose
        best = 0
        best_gap = np.inf
        for i in range(m):
            gap = abs(est[i] - target)
            if gap <= best_gap:
                best_gap = gap
                best = i
    else:
        best = closest_to_target(est, m, target, np.inf)
    mtd = int(idx[best])
    a = fp[L.FP_B12_PRIOR_A]
    b = fp[L.FP_B12_PRIOR_B]
    obd = -1
    best_u = -1.0
    for d in range(mtd + 1):
        if escalation:
            u = desirability(ip, grid, n_at, tox_at, resp_at, d)
        else:
            if n_at[d] == 0 or admissible[d] == 0:
                continue
            k = utility_sum(ip, n_at[d], tox_at[d], resp_at[0, d], resp_at[1, d])
            u = (a + k / 100.0) / (a + b + n_at[d])
        if u > best_u:
            best_u = u
            obd = d
    return obd
