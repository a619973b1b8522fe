"""U-BOIN kernels (Zhou, Lee & Yuan 2019): the decision after a cohort (stage 1: BOIN with the toxicity and
futility rules; stage 2: randomisation by posterior mean utility) and the final choice of the optimal
biological dose (the spec and the rules in words: designs/uboin).

Arrays only. ``tables[0]`` is BOIN's flag table (``BOIN_*`` bits by (n, DLTs)), ``tables[1]`` is 1 where
(n, responses) is futile. ``resp_at`` [2, D]: responses per dose and responses among patients with a DLT.
The randomisation reads the design's uniform ``u_tie`` (no RNG here).
"""

from __future__ import annotations

from ..constants import Reason, Status
from ..designs import layout as L
from .jit import kernel

CONTINUE = int(Status.CONTINUE)
STOP_NO_DOSE = int(Status.STOP_NO_DOSE)
R_UP = int(Reason.UB_ESCALATE)
R_STAY = int(Reason.UB_STAY)
R_DOWN = int(Reason.UB_DEESCALATE)
R_STAY_TOP = int(Reason.UB_STAY_TOP)
R_STAY_BOTTOM = int(Reason.UB_STAY_BOTTOM)
R_RANDOMISE = int(Reason.UB_RANDOMISE)
R_LOWEST_TOXIC = int(Reason.UB_LOWEST_TOXIC)
R_NONE = int(Reason.UB_NONE_ADMISSIBLE)
R_FUTILE_HERE = int(Reason.UB_FUTILE_HERE)


@kernel
def mean_utility(ip, fp, n_at, tox_at, resp_at, d):
    """Posterior mean utility (0-1) of dose d: (a + k / 100) / (a + b + n), k the patients' utility sum."""
    n = n_at[d]
    y = tox_at[d]
    e = resp_at[0, d]
    both = resp_at[1, d]
    k = (
        ip[L.IP_UB_U_EFF_NOTOX] * (e - both)
        + ip[L.IP_UB_U_NONE] * (n - y - e + both)
        + ip[L.IP_UB_U_BOTH] * both
        + ip[L.IP_UB_U_TOX_NOEFF] * (y - both)
    )
    a = fp[L.FP_UB_PRIOR_A]
    return (a + k / 100.0) / (a + fp[L.FP_UB_PRIOR_B] + n)


@kernel
def randomise(ip, fp, n_at, tox_at, resp_at, admissible, u):
    """The admissible tried dose that uniform ``u`` picks with probabilities proportional to the posterior
    mean utility (doses in order, dose d taking u in [c_{d-1}, c_d) of the cumulative shares), or -1 when
    no admissible dose has been tried."""
    D = ip[L.IP_N_DOSES]
    total = 0.0
    for d in range(D):
        if admissible[d] == 1 and n_at[d] > 0:
            total += mean_utility(ip, fp, n_at, tox_at, resp_at, d)
    if total <= 0.0:
        return -1
    edge = u * total
    acc = 0.0
    last = -1
    for d in range(D):
        if admissible[d] == 1 and n_at[d] > 0:
            acc += mean_utility(ip, fp, n_at, tox_at, resp_at, d)
            last = d
            if edge < acc:
                return d
    return last  # u * total rounded to the very end


@kernel
def _nearest_admissible(admissible, cur, D):
    """The highest admissible dose below ``cur``, else the lowest above it, else -1."""
    for j in range(cur - 1, -1, -1):
        if admissible[j] == 1:
            return j
    for j in range(cur + 1, D):
        if admissible[j] == 1:
            return j
    return -1


@kernel
def decide_uboin(ip, fp, tables, n_at, tox_at, resp_at, admissible, cur, n_total, u_tie):
    """(next dose, status, reason) after a cohort at ``cur`` with ``n_total`` patients treated."""
    D = ip[L.IP_N_DOSES]
    n = n_at[cur]
    flags = tables[0, n, tox_at[cur]]
    if flags & L.BOIN_ELIM:  # too toxic: this dose and every higher dose, for good
        for j in range(cur, D):
            admissible[j] = 0
        if cur == 0:
            return cur, STOP_NO_DOSE, R_LOWEST_TOXIC
    if ip[L.IP_UB_FUTILITY] == 1 and tables[1, n, resp_at[0, cur]] == 1:
        admissible[cur] = 0
    left = 0
    for j in range(D):
        left += admissible[j]
    if left == 0:
        return cur, STOP_NO_DOSE, R_NONE
    if n_total >= ip[L.IP_UB_N_STAGE1]:
        d = randomise(ip, fp, n_at, tox_at, resp_at, admissible, u_tie)
        if d >= 0:
            return d, CONTINUE, R_RANDOMISE
    # stage 1: BOIN
    if flags & L.BOIN_ESC:
        for j in range(cur + 1, D):
            if admissible[j] == 1:
                return j, CONTINUE, R_UP
        nxt = cur
        reason = R_STAY_TOP
    elif flags & L.BOIN_DEESC:
        if cur == 0:
            nxt = cur
            reason = R_STAY_BOTTOM
        else:
            return cur - 1, CONTINUE, R_DOWN  # the dispatch moves further down past eliminated doses
    else:
        nxt = cur
        reason = R_STAY
    if admissible[nxt] == 0:  # the dose kept is futile: the nearest admissible dose, below first
        return _nearest_admissible(admissible, nxt, D), CONTINUE, R_FUTILE_HERE
    return nxt, CONTINUE, reason


@kernel
def select_uboin(ip, fp, n_at, tox_at, resp_at, admissible):
    """The OBD (0-based, -1: none): the admissible tried dose with the highest posterior mean utility, ties
    to the lower dose."""
    best = -1
    best_u = -1.0
    for d in range(ip[L.IP_N_DOSES]):
        if admissible[d] == 1 and n_at[d] > 0:
            u = mean_utility(ip, fp, n_at, tox_at, resp_at, d)
            if u > best_u:
                best_u = u
                best = d
    return best
