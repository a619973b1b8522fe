"""The 3+3 design.

Rule set implemented (d is the current dose, counts are patients and DLTs treated at d so far):

* 0/3: escalate to d+1. At the highest dose, treat 3 more at d instead (the declared MTD has 6 patients);
  with ``expand_top_dose = false``, stop instead and declare the highest dose the MTD (3 patients), as
  the R package escalation (``get_three_plus_three``), clintrials (``ThreePlusThree``) and the formulas of
  Lin & Shih (2001) do.
* 1/3: treat 3 more at d.
* <=1/6: escalate to d+1; at the highest dose, stop and declare d the MTD.
  If d+1 has already been found toxic (we came down to d to expand it), stop and declare d the MTD.
* >=2 DLTs (out of 3 or 6): d exceeds the MTD.
    - d is the lowest dose: stop, no MTD.
    - without de-escalation: stop, the MTD is d-1 (whether it has 3 or 6 patients).
    - with de-escalation: if d-1 has 6 patients, stop and declare d-1 the MTD; otherwise (it has 3,
      all without DLT) treat 3 more at d-1 and apply the same rules there, descending further if it
      too shows >=2 DLTs.

The decision depends only on the per-dose counts, so it is a pure function of the trial state. The
selected dose at the end is: without de-escalation, the dose below the lowest dose with >=2 DLTs (the
highest dose if none); with de-escalation, the highest dose below that dose with 6 patients treated (or
the highest dose, declared with 3 patients when ``expand_top_dose = false``). De-escalation is Korn et al.'s
(1994) rule, as escalation's ``allow_deescalate = TRUE``: the MTD is the highest dose with 6 patients and at
most 1 DLT. :class:`~dosefind.designs.a_plus_b.APlusB` with A = B = 3, C = D = E = 1 takes the same
decisions trial for trial.
``cohort_size`` must be 3; ``max_n`` defaults to 6 per dose (never binding). ``target`` is used only
for operating characteristics (which dose is correct).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...constants import DesignKind
from ...errors import SpecError
from .. import layout as L
from .. import validate as v
from ..base import Design


@dataclass(frozen=True, kw_only=True)
class ThreePlusThree(Design):
    target: float = 0.30
    max_n: int = 0  # 0 means 6 per dose
    deescalation: bool = True
    expand_top_dose: bool = True

    later_fields = {"expand_top_dose": True}  # added after 3+3 designs were saved: hashes kept

    kind = "three_plus_three"

    def __post_init__(self):
        if self.max_n == 0:
            n = self.n_doses if self.n_doses is not None else (len(self.doses) if self.doses else 0)
            object.__setattr__(self, "max_n", max(6 * n, 1))
        super().__post_init__()
        if self.cohort_size != 3:
            raise SpecError(
                "cohort_size",
                f"3+3 treats cohorts of 3, got {self.cohort_size}",
                "remove cohort_size or set it to 3",
            )
        v.boolean("deescalation", self.deescalation)
        v.boolean("expand_top_dose", self.expand_top_dose)

    def _compile_base(self, ip, fp, tables, n_cap):
        ip[L.IP_KIND] = DesignKind.THREE_PLUS_THREE
        ip[L.IP_TPT_DEESCALATE] = int(self.deescalation)
        ip[L.IP_TPT_EXPAND_TOP] = int(self.expand_top_dose)
        return np.zeros((1, 1), dtype=np.float64)
