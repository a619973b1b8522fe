"""TPI: the toxicity probability interval design (Ji, Li & Bekele 2007), a member of the table-driven
family (``designs/table``).

With y DLTs in n patients at the current dose and the Beta(``prior_a`` + y, ``prior_b`` + n - y)
posterior of its DLT rate p (standard deviation sigma), the equivalence interval is
(target - ``k2`` sigma, target + ``k1`` sigma), cut to [0, 1]; the design escalates, stays or de-escalates
as p is most probably below, inside or above it. Defaults as the paper and the escalation R package's
``get_tpi``: Beta(0.005, 0.005), k1 = 1, k2 = 1.5. Ties between the three probabilities (escalation
raises an error on them) go by ``decision_ties``. Elimination and final selection: see
``designs/table/interval.py``; TPI's selection is the isotonic fit of the posterior means, weighted by
the inverse posterior variance, ties by their mean (the highest of the doses equally close if their
estimates lie below the target, else the lowest), as escalation's ``select_tpi_mtd``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betainc

from .. import layout as L
from .. import validate as v
from ..table.interval import IntervalDesign, decision_ties_field, pick

ORDER = np.array([L.TABLE_ESCALATE, L.TABLE_STAY, L.TABLE_DEESCALATE], dtype=np.int8)


@dataclass(frozen=True, kw_only=True)
class Tpi(IntervalDesign):
    k1: float = 1.0
    k2: float = 1.5
    prior_a: float = 0.005
    prior_b: float = 0.005
    decision_ties: str = "deescalate"

    kind = "tpi"
    interval_fields = ("k2", "k1")

    def __post_init__(self):
        super().__post_init__()
        for name in ("k1", "k2"):
            object.__setattr__(
                self, name, v.real(name, getattr(self, name), low=0.0, low_open=True, high=100.0)
            )
        decision_ties_field(self.decision_ties)

    def decide_counts(self, n: int) -> np.ndarray:
        y = np.arange(n + 1, dtype=float)
        a, b = self.prior_a + y, self.prior_b + n - y
        sd = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        lower = np.maximum(self.target - self.k2 * sd, 0.0)
        upper = np.minimum(self.target + self.k1 * sd, 1.0)
        p_under = betainc(a, b, lower)
        p_equiv = betainc(a, b, upper) - p_under
        p_over = 1.0 - p_under - p_equiv
        scores = np.stack([p_under, p_equiv, p_over], axis=1)
        return pick(scores, ORDER, decision_ties_field(self.decision_ties))
