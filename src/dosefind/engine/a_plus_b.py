"""A+B kernels (Lin & Shih 2001): the decision after a cohort and the final selection (the spec:
designs/a_plus_b). Cohorts are gcd(A, B) patients; a decision is taken when a stage is complete."""

from __future__ import annotations

from ..constants import Reason, Status
from ..designs import layout as L
from .jit import kernel

CONTINUE = int(Status.CONTINUE)
STOP_SELECT = int(Status.STOP_SELECT)
STOP_NO_DOSE = int(Status.STOP_NO_DOSE)
R_ESCALATE = int(Reason.TPT_ESCALATE)
R_EXPAND = int(Reason.TPT_EXPAND)
R_DEESCALATE = int(Reason.TPT_DEESCALATE)
R_MTD = int(Reason.TPT_MTD_FOUND)
R_ALL_TOXIC = int(Reason.TPT_ALL_TOXIC)
R_STAGE = int(Reason.APB_STAGE)


@kernel
def apb_exceeded(ip, n, y):
    """Whether a dose with n patients and y DLTs exceeds the MTD: more than D of A, or more than E of
    A + B (a stage still incomplete, cut short by max_n or a modifier, has not decided)."""
    a = ip[L.IP_APB_A]
    if n == a:
        return y > ip[L.IP_APB_D]
    if n >= a + ip[L.IP_APB_B]:
        return y > ip[L.IP_APB_E]
    return False


@kernel
def decide_apb(ip, n_at, tox_at, cur):
    n_doses = ip[L.IP_N_DOSES]
    a = ip[L.IP_APB_A]
    ab = a + ip[L.IP_APB_B]
    n = n_at[cur]
    y = tox_at[cur]
    if n < a or (a < n < ab):
        return cur, CONTINUE, R_STAGE
    if apb_exceeded(ip, n, y):
        if cur == 0:
            return cur, STOP_NO_DOSE, R_ALL_TOXIC
        if ip[L.IP_APB_DEESCALATE] == 0 or n_at[cur - 1] >= ab:
            return cur - 1, STOP_SELECT, R_MTD
        return cur - 1, CONTINUE, R_DEESCALATE
    top = cur == n_doses - 1
    if n == a:  # first stage, at most D DLTs
        if y >= ip[L.IP_APB_C]:
            return cur, CONTINUE, R_EXPAND
        if top:
            if ip[L.IP_APB_EXPAND_TOP] == 1:
                return cur, CONTINUE, R_EXPAND
            return cur, STOP_SELECT, R_MTD
        if apb_exceeded(ip, n_at[cur + 1], tox_at[cur + 1]):  # came down to confirm this dose
            return cur, CONTINUE, R_EXPAND
        return cur + 1, CONTINUE, R_ESCALATE
    # A + B patients, at most E DLTs
    if top or apb_exceeded(ip, n_at[cur + 1], tox_at[cur + 1]):
        return cur, STOP_SELECT, R_MTD
    return cur + 1, CONTINUE, R_ESCALATE


@kernel
def select_apb(ip, n_at, tox_at):
    n_doses = ip[L.IP_N_DOSES]
    first = n_doses
    for d in range(n_doses):
        if apb_exceeded(ip, n_at[d], tox_at[d]):
            first = d
            break
    if ip[L.IP_APB_DEESCALATE] == 0:
        return first - 1
    ab = ip[L.IP_APB_A] + ip[L.IP_APB_B]
    for d in range(first - 1, -1, -1):
        if n_at[d] >= ab:
            return d
        if d == n_doses - 1 and ip[L.IP_APB_EXPAND_TOP] == 0 and n_at[d] >= ip[L.IP_APB_A]:
            return d
    return -1
