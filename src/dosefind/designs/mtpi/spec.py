"""mTPI: the modified toxicity probability interval design (Ji, Liu, Li, Bekele, Jiang & Yuan 2010), a
member of the table-driven family (``designs/table``).

The DLT rate's range is cut into the underdosing interval (0, target - ``eps1``), the equivalence
interval [target - ``eps1``, target + ``eps2``] and the overdosing interval (target + ``eps2``, 1); with the
Beta(``prior_a`` + y, ``prior_b`` + n - y) posterior (default Beta(1, 1)), the design escalates, stays or
de-escalates by the interval with the largest unit probability mass (posterior probability / length).
Ties (escalation's ``get_mtpi`` raises an error on them) go by ``decision_ties``. Elimination: see
``designs/table/interval.py``. Final selection: isotonic posterior means weighted by the inverse
posterior variance; among doses equally close to the target, the highest below it, else the lowest (the
rule of escalation's ``select_mtpi_mtd``, which differs from TPI's and mTPI-2's).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import layout as L
from ..table.interval import IntervalDesign, beta_cdf, decision_ties_field, pick

ORDER = np.array([L.TABLE_ESCALATE, L.TABLE_STAY, L.TABLE_DEESCALATE], dtype=np.int8)


@dataclass(frozen=True, kw_only=True)
class Mtpi(IntervalDesign):
    eps1: float = 0.05
    eps2: float = 0.05
    decision_ties: str = "deescalate"
    select_ties: str = "below"

    kind = "mtpi"

    def __post_init__(self):
        super().__post_init__()
        self.check_margins()
        decision_ties_field(self.decision_ties)

    def decide_counts(self, n: int) -> np.ndarray:
        lower, upper = self.margin_interval
        cdf = beta_cdf([lower, upper], self.prior_a, self.prior_b, n)
        p_under = cdf[:, 0]
        p_equiv = cdf[:, 1] - cdf[:, 0]
        p_over = 1.0 - p_under - p_equiv
        scores = np.stack([p_under / lower, p_equiv / (upper - lower), p_over / (1.0 - upper)], axis=1)
        return pick(scores, ORDER, decision_ties_field(self.decision_ties))
