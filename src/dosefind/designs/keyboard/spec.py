"""Keyboard (Yan, Mandrekar & Yuan 2017), a member of the table-driven family (``designs/table``), as the
Keyboard R package (version 0.1.3) tabulates and selects.

The target key [target - ``margin_left``, target + ``margin_right``] and keys of the same width below and
above it (the last ones cut at 0 and 1, their probability scaled to a full key's width); with the
Beta(``prior_a`` + y, ``prior_b`` + n - y) posterior (Beta(1, 1)), the strongest key (the highest posterior
probability per unit length) below, at or above the target key means escalate, stay or de-escalate;
ties go to the higher key (``decision_ties = "deescalate"``, the package's ``max(which(...))``).
Elimination as ``get.oc.kb``: at least 3 patients and P(p > target) > ``cutoff_eli`` (the package's
printed table ``get.boundary.kb`` has no minimum n: set ``min_n_eli = 1`` to reproduce it). Final
selection as ``select.mtd.kb``: isotonic posterior means under Beta(0.05, 0.05) weighted by the inverse
posterior variance over the tried, non-eliminated doses, the closest to the target with the i-th
estimate raised by i x 1e-10 (ties: the lower dose above the target, the higher below it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..table.interval import IntervalDesign, blocks_rule, decision_ties_field


@dataclass(frozen=True, kw_only=True)
class Keyboard(IntervalDesign):
    margin_left: float = 0.05
    margin_right: float = 0.05
    decision_ties: str = "deescalate"
    select_prior_a: float = 0.05
    select_prior_b: float = 0.05
    select_ties: str = "increment"

    kind = "keyboard"
    interval_fields = ("margin_left", "margin_right")

    def __post_init__(self):
        super().__post_init__()
        self.check_margins()
        decision_ties_field(self.decision_ties)

    def decide_counts(self, n: int) -> np.ndarray:
        lower, upper = self.margin_interval
        return blocks_rule(self, lower, upper, n, decision_ties_field(self.decision_ties))
