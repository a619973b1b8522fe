"""mTPI-2 (Guo, Wang, Yang, Lynn & Ji 2017), a member of the table-driven family (``designs/table``).

The equivalence interval [target - ``eps1``, target + ``eps2``] and, below and above it, intervals of the
same width (the last ones cut at 0 and 1); with the Beta(``prior_a`` + y, ``prior_b`` + n - y) posterior
(default Beta(1, 1)), the design escalates, stays or de-escalates as the interval with the largest unit
probability mass (posterior probability / length) lies below, is, or lies above the equivalence interval.
Ties go by ``decision_ties`` (``"escalate"``, the default, as escalation's ``get_mtpi2``: the lower
interval wins). Elimination: see ``designs/table/interval.py``. Final selection: isotonic posterior
means weighted by the inverse posterior variance; among doses equally close to the target, the highest
if their estimates lie below the target on average, else the lowest (escalation's ``select_mtpi2_mtd``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..table.interval import IntervalDesign, blocks_rule, decision_ties_field


@dataclass(frozen=True, kw_only=True)
class Mtpi2(IntervalDesign):
    eps1: float = 0.05
    eps2: float = 0.05
    decision_ties: str = "escalate"

    kind = "mtpi2"

    def __post_init__(self):
        super().__post_init__()
        self.check_margins()
        decision_ties_field(self.decision_ties)

    def decide_counts(self, n: int) -> np.ndarray:
        lower, upper = self.margin_interval
        return blocks_rule(self, lower, upper, n, decision_ties_field(self.decision_ties))
