"""TITE-CRM above the engine: the CRM's home (its sentences, quadrature posterior, PyMC model) on the data
as ``recommend`` reads them today, every patient's outcome complete (the spec: :mod:`.spec`; the
event-driven kernel: ``engine/tite.py``). With complete follow-up a TITE-CRM decides as the CRM with
cohorts of 1, so the reasons it can give there are the model's dose and the no-skipping limit."""

from __future__ import annotations

from ...constants import Reason, Status
from .. import layout as L
from ..crm.home import CrmHome


class TiteCrmHome(CrmHome):
    def reason_codes(self, design):
        return (Reason.CRM_MODEL, Reason.CRM_NO_SKIP)

    def no_table_reason(self, design) -> str:
        return (
            "TITE-CRM has no decision table: its next dose depends on every patient's data and follow-up, "
            "not only on the current dose's counts"
        )

    def needs_dlt_days(self, design) -> bool:
        return design.scheme == "adaptive"  # the adaptive weights read the observed DLT times

    def decide_with_pending(self, design, clock, compiled):
        """TITE-CRM's decision on the data as of ``clock`` (``engine.tite.tite_crm_dose``, as simulated),
        then its safety stop, the no-skipping limit and the modifiers."""
        import numpy as np

        from ...engine.decisions import apply_modifiers
        from ...engine.posterior import new_known_cache
        from ...engine.tite import tite_crm_dose, tite_crm_safety_stop

        c = compiled
        D = design.n_doses
        patients = clock.patients
        cur = patients[-1].dose
        n_at, tox_at, _pend, _stft = clock.arrays(D)
        n = len(patients)
        dose = np.array([p.dose for p in patients], dtype=np.int64)
        seen = np.array([1 if p.status == "dlt" else 0 for p in patients], dtype=np.int64)
        fu = np.array([p.followup_days if p.status != "complete" else clock.window_days for p in patients])
        weights = np.zeros(n)
        post = np.zeros((1, L.POST_FIRST + 4 * D))
        K = int(c.ip[L.IP_CRM_N_NODES])
        kkeys, kvals = new_known_cache(D, 0, K)
        nxt = tite_crm_dose(
            c.ip,
            c.fp,
            c.grid,
            dose,
            seen,
            fu,
            n,
            clock.window_days,
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
        status, reason = int(Status.CONTINUE), int(Reason.CRM_MODEL)
        if tite_crm_safety_stop(c.ip, c.fp, post, dose, n):
            nxt, status, reason = cur, int(Status.STOP_NO_DOSE), int(Reason.CRM_SAFETY_STOP)
        elif c.ip[L.IP_CRM_NO_SKIP_ESC] == 1:
            ref = int(dose.max()) if c.ip[L.IP_CRM_SKIP_REFERENCE] == 1 else cur
            nxt = min(int(nxt), ref + 1)
        if c.mods.shape[0] > 0:
            nxt, status, reason = apply_modifiers(c.mods, c.tables, n_at, tox_at, cur, nxt, status, reason, n)
        return int(nxt), status, reason, False, tuple(float(w) for w in weights)

    def live_warnings(self, design, data):
        if not data.cohorts:
            return []
        return [
            "TITE-CRM: every patient in the data is read as having completed the DLT window (dates and "
            "pending patients are not read yet); the recommendation is the TITE-CRM's only if that is so"
        ]
