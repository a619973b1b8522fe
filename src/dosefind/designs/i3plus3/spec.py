"""i3+3 (Liu, Wang & Ji 2020), a member of the table-driven family (``designs/table``).

A rule on the observed rate y/n at the current dose and the equivalence interval
EI = [target - ``eps1``, target + ``eps2``]: escalate if y/n is below EI; stay if it is in EI; above EI,
stay if (y - 1)/n is below EI (one DLT fewer would have meant escalation), else de-escalate. Rates on an
end of EI (within 1e-9, so 1/4 is on the end of [0.25, 0.35] written as 0.3 - 0.05) are in it.
Elimination (the safety rule): see ``designs/table/interval.py``, under a Beta(1, 1) prior. Final
selection as mTPI-2: isotonic posterior means weighted by the inverse posterior variance; among doses
equally close to the target, the highest if their estimates lie below the target on average, else the
lowest. FIND (the authors' R package) tabulates the same rule (checked cell by cell) and selects as BOIN:
``select_prior_a = select_prior_b = 0.05``, ``select_ties = "increment"`` reproduce it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import layout as L
from ..table.interval import RATE_TIE, IntervalDesign


@dataclass(frozen=True, kw_only=True)
class I3Plus3(IntervalDesign):
    eps1: float = 0.05
    eps2: float = 0.05

    kind = "i3plus3"

    def __post_init__(self):
        super().__post_init__()
        self.check_margins()

    def decide_counts(self, n: int) -> np.ndarray:
        lower, upper = self.margin_interval
        y = np.arange(n + 1, dtype=float)
        rate = y / n
        below = rate < lower - RATE_TIE
        above = rate > upper + RATE_TIE
        one_fewer_below = (y - 1) / n < lower - RATE_TIE
        out = np.full(n + 1, L.TABLE_STAY, dtype=np.int8)
        out[below] = L.TABLE_ESCALATE
        out[above & ~one_fewer_below] = L.TABLE_DEESCALATE
        return out
