"""3+3 kernels: the decision after a cohort and the final selection (the spec: designs/three_plus_three)."""

from __future__ import annotations

from ..constants import Reason, Status
from ..designs import layout as L
from .jit import kernel

CONTINUE = int(Status.CONTINUE)
STOP_SELECT = int(Status.STOP_SELECT)
STOP_NO_DOSE = int(Status.STOP_NO_DOSE)
R_TPT_ESCALATE = int(Reason.TPT_ESCALATE)
R_TPT_EXPAND = int(Reason.TPT_EXPAND)
R_TPT_DEESCALATE = int(Reason.TPT_DEESCALATE)
R_TPT_MTD = int(Reason.TPT_MTD_FOUND)
R_TPT_ALL_TOXIC = int(Reason.TPT_ALL_TOXIC)


@kernel
def decide_tpt(ip, n_at, tox_at, cur):
    D = ip[L.IP_N_DOSES]
    deesc = ip[L.IP_TPT_DEESCALATE] == 1
    n = n_at[cur]
    y = tox_at[cur]
    if y >= 2:
        if cur == 0:
            return cur, STOP_NO_DOSE, R_TPT_ALL_TOXIC
        if not deesc or n_at[cur - 1] >= 6:
            return cur - 1, STOP_SELECT, R_TPT_MTD
        return cur - 1, CONTINUE, R_TPT_DEESCALATE
    if n < 6 and y == 1:
        return cur, CONTINUE, R_TPT_EXPAND
    if n < 6:  # 0 DLTs in the first 3
        if cur == D - 1:
            if ip[L.IP_TPT_EXPAND_TOP] == 1:
                return cur, CONTINUE, R_TPT_EXPAND
            return cur, STOP_SELECT, R_TPT_MTD
        if tox_at[cur + 1] >= 2:
            return cur, CONTINUE, R_TPT_EXPAND
        return cur + 1, CONTINUE, R_TPT_ESCALATE
    # 6 or more patients with at most 1 DLT
    if cur == D - 1 or tox_at[cur + 1] >= 2:
        return cur, STOP_SELECT, R_TPT_MTD
    return cur + 1, CONTINUE, R_TPT_ESCALATE


@kernel
def select_tpt(ip, n_at, tox_at):
    D = ip[L.IP_N_DOSES]
    first_toxic = D
    for d in range(D):
        if tox_at[d] >= 2:
            first_toxic = d
            break
    if ip[L.IP_TPT_DEESCALATE] == 0:
        return first_toxic - 1
    for d in range(first_toxic - 1, -1, -1):
        if n_at[d] >= 6:
            return d
        # without the top-dose expansion, 0/3 at the highest dose declares it the MTD
        if d == D - 1 and ip[L.IP_TPT_EXPAND_TOP] == 0 and n_at[d] >= 3:
            return d
    return -1
