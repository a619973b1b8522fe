"""Rolling six kernels: the decision grid on (enrolled, DLTs, pending) at the current level and the final
selection (the spec, the grid's sources and every cell: designs/rolling_six and
docs/notes/rolling-six-rules.md). On complete data (nobody pending) the same grid decides."""

from __future__ import annotations

from ..constants import Reason, Status
from ..designs import layout as L
from .jit import kernel

CONTINUE = int(Status.CONTINUE)
STOP_SELECT = int(Status.STOP_SELECT)
STOP_NO_DOSE = int(Status.STOP_NO_DOSE)
R_SAME = int(Reason.R6_SAME)
R_ESCALATE = int(Reason.R6_ESCALATE)
R_HOLD = int(Reason.R6_HOLD)
R_DEESCALATE = int(Reason.R6_DEESCALATE)
R_MTD = int(Reason.R6_MTD)
R_ALL_TOXIC = int(Reason.R6_ALL_TOXIC)
R_FILL = int(Reason.R6_FILL_CLOSED)


@kernel
def grid_escalates(rules, n, d, p):
    """Whether the grid says escalate with n enrolled, d DLTs observed and p pending (d <= 1).

    Rules 0 (Frankel et al. 2020, Table 2 "Rolling 6"): below 6 enrolled, only when at least 3 are
    enrolled and all of them are evaluable without a DLT; with 6, once no pending result can make it
    2 DLTs in 6 (d = 0 and p <= 1, or d = 1 and p = 0). Rules 1 (labja/RollingSix): below 6, when
    d = 0 and at least 3 are evaluable without a DLT; with 6, when nobody is pending."""
    if n < 6:
        if rules == 0:
            return n >= 3 and d == 0 and p == 0
        return d == 0 and n - p >= 3
    if rules == 0:
        return (d == 0 and p <= 1) or (d == 1 and p == 0)
    return p == 0


@kernel
def decide_rolling_six(ip, n_at, tox_at, pend_at, admissible, cur):
    """Rolling six's decision at level ``cur``: (next level, status, reason, suspend).

    ``n_at`` counts every patient enrolled, ``tox_at`` the DLTs observed, ``pend_at`` those still in
    their window without a DLT (empty: complete data). Two or more DLTs close the level and every level
    above (``admissible``) and the decision is taken again one level down on that level's data (none
    below: stop, no MTD). An escalation into a closed level (or above the top) becomes the MTD once 6
    are enrolled (or, by rules 0, 5 evaluable without a DLT), and filling the level before; with 6
    enrolled the grid never says "same level": it holds accrual until the pending results decide.
    """
    D = ip[L.IP_N_DOSES]
    rules = ip[L.IP_R6_RULES]
    moved = False
    while True:
        n = n_at[cur]
        d = tox_at[cur]
        p = pend_at[cur] if pend_at.shape[0] > 0 else 0  # empty: complete data
        if d >= 2:
            for j in range(cur, D):
                admissible[j] = 0
            if cur == 0:
                return cur, STOP_NO_DOSE, R_ALL_TOXIC, 0
            cur -= 1
            moved = True
            continue
        closed = cur == D - 1 or admissible[cur + 1] == 0
        if grid_escalates(rules, n, d, p):
            if not closed:
                return cur + 1, CONTINUE, R_ESCALATE, 0
            if n >= 6 or (rules == 0 and n == 5 and d == 0 and p == 0):
                return cur, STOP_SELECT, R_MTD, 0
            return cur, CONTINUE, R_DEESCALATE if moved else R_FILL, 0
        if n >= 6:
            return cur, CONTINUE, R_HOLD, 1
        return cur, CONTINUE, R_DEESCALATE if moved else R_SAME, 0


@kernel
def select_rolling_six(ip, n_at, tox_at, admissible):
    """The MTD on complete data: the highest open level with at most 1 DLT in at least 6 patients, or no
    DLT in at least 3 (-1: none). Where the trial declared an MTD this is that level: every level above
    it is closed."""
    D = ip[L.IP_N_DOSES]
    for d in range(D - 1, -1, -1):
        if admissible[d] == 1 and n_at[d] > 0:
            if (n_at[d] >= 6 and tox_at[d] <= 1) or (n_at[d] >= 3 and tox_at[d] == 0):
                return d
    return -1
