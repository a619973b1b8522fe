"""Rolling six (Skolnik et al. 2008), the paediatric phase I standard: up to six patients enrolled at a
level at once, each decided on arrival from the level's (enrolled n, DLTs d, pending p) grid.

The grid (every cell, its sources and where they disagree: docs/notes/rolling-six-rules.md):

* d >= 2: de-escalate: the level and every level above are closed, and the decision is taken again one
  level down on that level's data (there is none below: stop with no MTD);
* fewer than 6 enrolled, d <= 1: escalate when the grid allows it, otherwise enrol at the same level;
  ``rules = "frankel2020"`` (default; Frankel et al., JAMA Netw Open 2020, Table 2 "Rolling 6", the
  peer-reviewed restatement of Skolnik's table): escalate only when n >= 3, d = 0 and nobody is pending;
  ``rules = "labja"`` (the labja/RollingSix R package's table): escalate when d = 0 and at least 3 are
  evaluable without a DLT, others possibly pending;
* 6 enrolled, d <= 1: escalate once no pending result can matter (``frankel2020``: d = 0 with at most
  one pending, or d = 1 with none; ``labja``: nobody pending), otherwise hold accrual (suspend).

The two rule sets differ in four cells only: (n, d, p) = (4, 0, 1), (5, 0, 1), (5, 0, 2), (6, 0, 1).
When the grid says escalate but the level above is closed (or this is the top level), the level is
declared the MTD once 6 are enrolled (with ``frankel2020`` also at 5 evaluable without a DLT), and filled
towards 6 before. The trial stops at the MTD, when the lowest level is too toxic, or at ``max_n``
(default 6 per level); the final selection on complete data is the highest open level with at most
1 DLT in 6 or more patients or no DLT in 3 or more (at an MTD stop, the MTD). ``target`` is used only
for operating characteristics (which dose is correct).

Rolling six decides with pending patients, so it is simulated in calendar time only (the ``[timing]``
section; engine/tite.py); on complete data (``recommend`` without dates, replays) it decides on the same
grid with nobody pending. Modifiers are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...constants import DesignKind
from ...errors import SpecError
from .. import layout as L
from .. import validate as v
from ..base import Design

RULES = ("frankel2020", "labja")


@dataclass(frozen=True, kw_only=True)
class RollingSix(Design):
    target: float = 0.30
    max_n: int = 0  # 0 means 6 per level
    cohort_size: int = 1
    rules: str = "frankel2020"

    kind = "rolling_six"
    uses_pending = True

    def __post_init__(self):
        if self.max_n == 0:
            n = self.n_doses if self.n_doses is not None else (len(self.doses) if self.doses else 0)
            object.__setattr__(self, "max_n", max(6 * n, 1))
        super().__post_init__()
        if self.cohort_size != 1:
            raise SpecError(
                "cohort_size",
                f"rolling six decides at every arrival (cohorts of 1), got {self.cohort_size}",
                "remove cohort_size (or set it to 1)",
            )
        v.choice("rules", self.rules, RULES)
        if self.modifiers:
            raise SpecError(
                "modifiers",
                "modifiers are not applied to rolling six",
                "remove the [[design.modifiers]] blocks (max_n caps the trial)",
            )

    def _compile_base(self, ip, fp, tables, n_cap):
        ip[L.IP_KIND] = DesignKind.ROLLING_SIX
        ip[L.IP_R6_RULES] = RULES.index(self.rules)
        return np.zeros((1, 1), dtype=np.float64)
