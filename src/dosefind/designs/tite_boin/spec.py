"""TITE-BOIN: BOIN with patients still in their DLT window (time-to-event BOIN), both published versions.

At the current dose, with n patients treated, y DLTs observed, m of the patients pending (no DLT yet,
window not complete) and STFT the pending patients' follow-up in windows, summed (each u_i / W, so
0 <= STFT < m), the DLT rate is estimated by

* ``version = "ess"`` (Lin & Yuan 2020, as the TITEgBOIN R package implements it):
  y / (n - m + STFT), the effective sample size counting each pending patient by its follow-up;
* ``version = "imputation"`` (Yuan, Lin, Li, Nie & Warren 2018): (y + q (m - STFT)) / n, each pending
  patient's DLT imputed as q (1 - u_i / W) with q = p~ / (1 - p~), p~ = (y + target / 2) / (n - m + 1)
  (the posterior mean under a Beta(target / 2, 1 - target / 2) prior on the complete patients);

and compared with BOIN's boundaries: escalate if the estimate is <= lambda_e, de-escalate if >= lambda_d,
stay otherwise. With no one pending at the current dose the decision is BOIN's (:class:`Boin`, the same
compiled table). Accrual is suspended when more than ``max_pending`` (default 1/2) of the current dose's
patients are pending: always (``suspend_rule = "always"``, TITEgBOIN's rule, the default of the ESS
version), or unless the decision is the same whatever the pending outcomes (``"unless_determined"``,
the default of the imputation version, as its published decision tables show: e.g. 1 DLT in 3 with 2
pending de-escalates). With ``version = "ess"`` a de-escalation at the lowest dose with patients pending
also suspends accrual (TITEgBOIN); with ``"imputation"`` the trial stays there.

Elimination (checked at every decision, for every dose): with at least 3 patients treated at a dose
(pending ones included) and P(p > target | y observed DLTs of n, Beta(1, 1)) > ``cutoff_eli``, that dose
and all higher ones are eliminated; a trial at an eliminated dose goes to the dose below the lowest
eliminated one, and stops with no dose selected when that is none. ``extrasafe``, ``n_earlystop``,
``phi1``, ``phi2`` and ``bound_mtd`` are BOIN's. The final selection uses every patient's complete
outcome: BOIN's isotonic rule.

Decisions are taken when the patient who would start the next cohort arrives (``cohort_size``, default
3); the DLT window and the accrual come from the ``[timing]`` section: a TITE-BOIN is simulated in
calendar time only (engine/tite.py). Modifiers apply after every decision, on the patients treated and
the DLTs seen (``engine.decisions.apply_modifiers``, as BOIN's ``decide``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...constants import DesignKind
from ...errors import SpecError
from .. import layout as L
from .. import validate as v
from ..boin import Boin

VERSIONS = ("ess", "imputation")
SUSPEND_RULES = ("always", "unless_determined")


@dataclass(frozen=True, kw_only=True)
class TiteBoin(Boin):
    version: str = "ess"
    max_pending: float = 0.5
    suspend_rule: str | None = None

    kind = "tite_boin"
    uses_pending = True

    def __post_init__(self):
        super().__post_init__()
        v.choice("version", self.version, VERSIONS)
        set_ = object.__setattr__
        set_(
            self,
            "max_pending",
            v.real(
                "max_pending",
                self.max_pending,
                low=0.0,
                high=1.0,
                high_open=True,
                fix="give the largest share of the current dose's patients that may be pending, in [0, 1), "
                "e.g. 0.5",
            ),
        )
        if self.suspend_rule is None:
            set_(self, "suspend_rule", "always" if self.version == "ess" else "unless_determined")
        v.choice("suspend_rule", self.suspend_rule, SUSPEND_RULES)
        if self.backfill is not None:
            raise SpecError(
                "backfill", "TITE-BOIN has no backfill yet", 'use kind = "boin" with [design.backfill]'
            )

    def _compile_base(self, ip, fp, tables, n_cap):
        grid = super()._compile_base(ip, fp, tables, n_cap)
        ip[L.IP_KIND] = DesignKind.TITE_BOIN
        ip[L.IP_TITE_VERSION] = VERSIONS.index(self.version)
        ip[L.IP_TITE_SUSPEND] = SUSPEND_RULES.index(self.suspend_rule)
        fp[L.FP_BOIN_LAMBDA_E] = self.boundaries[0]
        fp[L.FP_TITE_MAX_PENDING] = self.max_pending
        return grid
