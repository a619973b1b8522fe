"""CRM kernels: the decision from the quadrature posterior (cached by state) and the final selection (the
spec: designs/crm; the posterior: engine/posterior.py)."""

from __future__ import annotations

from ..constants import Reason, Status
from ..designs import layout as L
from .crm_certify import crm_deep_dose
from .jit import kernel
from .posterior import closest_to_target, crm_summary_row

CONTINUE = int(Status.CONTINUE)
STOP_NO_DOSE = int(Status.STOP_NO_DOSE)
R_CRM_MODEL = int(Reason.CRM_MODEL)
R_CRM_NO_SKIP = int(Reason.CRM_NO_SKIP)
R_CRM_COHERENCE = int(Reason.CRM_COHERENCE)
R_CRM_SAFETY = int(Reason.CRM_SAFETY_STOP)


@kernel
def crm_closest(ip, fp, cvals, row, tried_only, n_at):
    D = ip[L.IP_N_DOSES]
    col = L.POST_FIRST + (D if ip[L.IP_CRM_DOSE_CHOICE] == 1 else 0)
    return closest_to_target(cvals[row, col : col + D], fp[L.FP_TARGET], tried_only, n_at)


@kernel
def decide_crm(ip, fp, grid, n_at, tox_at, cur, last_cohort_n, last_cohort_tox, ckeys, cvals, work, full):
    D = ip[L.IP_N_DOSES]
    safety = ip[L.IP_CRM_SAFETY] == 1 and n_at[0] >= ip[L.IP_CRM_SAFETY_MIN_N]
    nxt = -1 if safety else crm_deep_dose(ip, fp, grid, n_at, tox_at, work, False, full)
    if nxt < 0:  # the posterior summary (engine/crm_certify.py: the same dose, certified, when it can)
        row = crm_summary_row(ip, fp, grid, n_at, tox_at, ckeys, cvals, work, full)
        if safety and cvals[row, L.POST_FIRST + 3 * D] > fp[L.FP_CRM_SAFETY_CONFIDENCE]:
            return 0, STOP_NO_DOSE, R_CRM_SAFETY
        nxt = crm_closest(ip, fp, cvals, row, False, n_at)
    reason = R_CRM_MODEL
    if ip[L.IP_CRM_NO_SKIP_ESC] == 1:
        ref = cur
        if ip[L.IP_CRM_SKIP_REFERENCE] == 1:
            for d in range(D):
                if n_at[d] > 0:
                    ref = d
        if nxt > ref + 1:
            nxt = ref + 1
            reason = R_CRM_NO_SKIP
    coherence = ip[L.IP_CRM_COHERENCE]
    if nxt > cur and coherence > 0:
        if (coherence == 1 and last_cohort_tox > 0) or (
            coherence == 2 and last_cohort_tox >= fp[L.FP_TARGET] * last_cohort_n
        ):
            nxt = cur
            reason = R_CRM_COHERENCE
    return nxt, CONTINUE, reason
