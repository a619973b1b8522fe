"""TITE-CRM above the engine: the CRM's home (its sentences, quadrature posterior, PyMC model) on the data
as ``recommend`` reads them today, every patient's outcome complete (the spec: :mod:`.spec`; the
event-driven kernel: ``engine/tite.py``). With complete follow-up a TITE-CRM decides as the CRM with
cohorts of 1, so the reasons it can give there are the model's dose and the no-skipping limit."""

from __future__ import annotations

from ...constants import Reason
from ..crm.home import CrmHome


class TiteCrmHome(CrmHome):
    def reason_codes(self, design):
        return (Reason.CRM_MODEL, Reason.CRM_NO_SKIP)

    def no_table_reason(self, design) -> str:
        return (
            "TITE-CRM has no decision table: its next dose depends on every patient's data and follow-up, "
            "not only on the current dose's counts"
        )

    def live_warnings(self, design, data):
        if not data.cohorts:
            return []
        return [
            "TITE-CRM: every patient in the data is read as having completed the DLT window (dates and "
            "pending patients are not read yet); the recommendation is the TITE-CRM's only if that is so"
        ]
