"""What the interval designs (TPI, mTPI, mTPI-2, Keyboard, i3+3) share as members of the table-driven
family: the elimination rule, the final-selection options and their validation. Each design's own
escalate / stay / de-escalate rule lives in its home (``designs/<kind>/spec.py``); this base turns it into
the family's action table.

Elimination (every member): with at least ``min_n_eli`` patients at the current dose and
P(p > target | y, n) > ``cutoff_eli`` (``>=`` with ``eli_strict = false``) under the design's
Beta(``prior_a``, ``prior_b``) prior, the action is DU: the dose and every higher dose are eliminated and
the next cohort goes one dose lower; DU at the lowest dose stops the trial with no dose selected (the
family's kernel).

Final selection (``TableDesign.selection``): the isotonic fit of the posterior means
(y + ``select_prior_a``) / (n + ``select_prior_a`` + ``select_prior_b``) over the tried, non-eliminated
doses, weighted by the inverse posterior variance (``select_weights = "inverse_variance"``) or by n, and
the dose closest to the target, ties by ``select_ties`` (``"increment"``: BOIN and Keyboard packages,
``"mean"``: TPI and mTPI-2, ``"below"``: mTPI; see ``engine/table.py``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import betainc, betaincc

from ...errors import SpecError
from .. import layout as L
from .. import validate as v
from .spec import TableDesign

WEIGHTS = {"inverse_variance": L.TABLE_WEIGHTS_INVERSE_VARIANCE, "n": L.TABLE_WEIGHTS_N}
TIES = {"increment": L.TABLE_TIES_INCREMENT, "mean": L.TABLE_TIES_MEAN, "below": L.TABLE_TIES_BELOW}
DECISION_TIES = ("escalate", "deescalate")
#: two interval scores within this relative distance are a tie (resolved by ``decision_ties``)
SCORE_TIE = 1e-10
#: an observed rate within this of an interval's end is on it (i3+3's comparisons of y/n)
RATE_TIE = 1e-9


def prob_above(target: float, a: float, b: float, n: int) -> np.ndarray:
    """For y = 0..n: P(p > target | y DLTs in n patients) under a Beta(a, b) prior."""
    y = np.arange(n + 1, dtype=float)
    return betaincc(a + y, b + n - y, target)


def beta_cdf(x, a: float, b: float, n: int) -> np.ndarray:
    """[y, k]: P(p <= x_k | y DLTs in n) under Beta(a, b), for y = 0..n and the points x."""
    y = np.arange(n + 1, dtype=float)[:, None]
    return betainc(a + y, b + n - y, np.asarray(x, dtype=float)[None, :])


def pick(scores: np.ndarray, actions: np.ndarray, prefer_last: bool) -> np.ndarray:
    """For every row of ``scores`` (y by candidate interval), the action of the interval with the highest
    score; ties (within SCORE_TIE) go to the first interval, or the last with ``prefer_last``."""
    best = scores.max(axis=1, keepdims=True)
    top = scores >= best - SCORE_TIE * np.abs(best)
    if prefer_last:
        k = scores.shape[1] - 1 - np.argmax(top[:, ::-1], axis=1)
    else:
        k = np.argmax(top, axis=1)
    return actions[k]


def interval_actions(lower: float, upper: float, lo_edge: float, hi_edge: float) -> np.ndarray:
    """E for an interval below the equivalence interval, S for it, D above (edges of one interval)."""
    if hi_edge <= lower + 1e-15:
        return L.TABLE_ESCALATE
    if lo_edge >= upper - 1e-15:
        return L.TABLE_DEESCALATE
    return L.TABLE_STAY


def check_selection(design) -> None:
    """The final selection's options of a table-driven design (interval designs and decision tables):
    ``select_prior_a``/``_b`` (the isotonic estimate's prior), ``select_weights`` and ``select_ties``."""
    for name in ("select_prior_a", "select_prior_b"):
        object.__setattr__(design, name, v.real(name, getattr(design, name), low=0.0, high=1e6))
    v.choice("select_weights", design.select_weights, tuple(WEIGHTS))
    v.choice("select_ties", design.select_ties, tuple(TIES))
    if design.select_weights == "inverse_variance" and (
        design.select_prior_a == 0 or design.select_prior_b == 0
    ):
        raise SpecError(
            "select_weights",
            "inverse-variance weights need select_prior_a and select_prior_b above 0 (a dose with no "
            "DLT, or only DLTs, would have zero posterior variance)",
            'give both a small positive value (e.g. 0.005) or set select_weights = "n"',
        )


def selection_codes(design) -> tuple[float, float, int, int]:
    """What the family's selection kernel reads: the estimate's prior and the weights' and ties' codes."""
    return (
        float(design.select_prior_a),
        float(design.select_prior_b),
        WEIGHTS[design.select_weights],
        TIES[design.select_ties],
    )


@dataclass(frozen=True, kw_only=True)
class IntervalDesign(TableDesign):
    """Base of the interval designs (not a design by itself: it has no ``kind``)."""

    prior_a: float = 1.0
    prior_b: float = 1.0
    cutoff_eli: float = 0.95
    min_n_eli: int = 3
    eli_strict: bool = True
    select_prior_a: float = 0.005
    select_prior_b: float = 0.005
    select_weights: str = "inverse_variance"
    select_ties: str = "mean"

    #: the design's equivalence-interval fields (lower, upper offsets from the target), for error messages
    interval_fields: ClassVar[tuple[str, str]] = ("eps1", "eps2")

    def __post_init__(self):
        super().__post_init__()
        set_ = object.__setattr__
        for name in ("prior_a", "prior_b"):
            set_(self, name, v.real(name, getattr(self, name), low=0.0, low_open=True, high=1e6))
        set_(self, "cutoff_eli", v.probability("cutoff_eli", self.cutoff_eli, open_interval=True))
        set_(self, "min_n_eli", v.integer("min_n_eli", self.min_n_eli, low=1, high=2000))
        set_(self, "eli_strict", v.boolean("eli_strict", self.eli_strict))
        check_selection(self)

    def check_margins(self) -> None:
        """For designs whose interval is [target - left, target + right] with the two margins named by
        ``interval_fields``: each margin a number in (0, 1], and the interval inside (0, 1)."""
        for name in self.interval_fields:
            value = v.real(name, getattr(self, name), low=0.0, low_open=True, high=1.0)
            object.__setattr__(self, name, value)
        self.check_interval(*self.margin_interval)

    @property
    def margin_interval(self) -> tuple[float, float]:
        """(target - left margin, target + right margin), the margins named by ``interval_fields``."""
        left, right = (getattr(self, name) for name in self.interval_fields)
        return self.target - left, self.target + right

    def check_interval(self, lower: float, upper: float) -> None:
        """The equivalence interval [lower, upper] must lie inside (0, 1) and contain the target."""
        lo_field, hi_field = self.interval_fields
        if not 0 < lower < self.target:
            raise SpecError(
                lo_field,
                f"the equivalence interval's lower end {lower:g} is not between 0 and the target "
                f"{self.target:g}",
                f"choose {lo_field} so that it lies strictly between 0 and the target",
            )
        if not self.target < upper < 1:
            raise SpecError(
                hi_field,
                f"the equivalence interval's upper end {upper:g} is not between the target "
                f"{self.target:g} and 1",
                f"choose {hi_field} so that it lies strictly between the target and 1",
            )

    # ---- the table ------------------------------------------------------------------------------------
    def decide_counts(self, n: int) -> np.ndarray:
        """The design's own rule: E, S or D (``layout.TABLE_*``) for y = 0..n DLTs in n patients."""
        raise NotImplementedError

    def eliminated(self, n: int) -> np.ndarray:
        """bool for y = 0..n: the elimination rule holds."""
        if n < self.min_n_eli:
            return np.zeros(n + 1, dtype=bool)
        p = prob_above(self.target, self.prior_a, self.prior_b, n)
        return p > self.cutoff_eli if self.eli_strict else p >= self.cutoff_eli

    def action_table(self, n_cap: int) -> np.ndarray:
        return _cached_table(self, n_cap).copy()

    def decision_prior(self):
        return float(self.prior_a), float(self.prior_b)

    def selection(self):
        return selection_codes(self)


@functools.lru_cache(maxsize=64)
def _cached_table(design: IntervalDesign, n_cap: int) -> np.ndarray:
    table = np.full((n_cap + 1, n_cap + 1), L.TABLE_STAY, dtype=np.int8)
    for n in range(1, n_cap + 1):
        row = np.asarray(design.decide_counts(n), dtype=np.int8)
        row = np.where(design.eliminated(n), L.TABLE_ELIMINATE, row)
        table[n, : n + 1] = row
    table.setflags(write=False)
    return table


def block_edges(lower: float, upper: float) -> np.ndarray:
    """Edges of mTPI-2's (and Keyboard's) intervals: the equivalence interval [lower, upper] and, below
    and above it, intervals of the same width down to 0 and up to 1 (the last ones truncated there; a
    remainder shorter than 1e-10 is merged into its neighbour)."""
    width = upper - lower
    below = []
    i = 1
    while lower - i * width > 1e-10:
        below.append(lower - i * width)
        i += 1
    above = []
    i = 1
    while upper + i * width < 1 - 1e-10:
        above.append(upper + i * width)
        i += 1
    return np.array([0.0, *reversed(below), lower, upper, *above, 1.0])


def blocks_rule(design: IntervalDesign, lower: float, upper: float, n: int, prefer_last: bool) -> np.ndarray:
    """mTPI-2 / Keyboard: the interval with the highest posterior probability per unit length."""
    edges = block_edges(lower, upper)
    cdf = beta_cdf(edges, design.prior_a, design.prior_b, n)
    density = np.diff(cdf, axis=1) / np.diff(edges)[None, :]
    actions = np.array(
        [interval_actions(lower, upper, edges[k], edges[k + 1]) for k in range(edges.size - 1)], dtype=np.int8
    )
    return pick(density, actions, prefer_last)


def decision_ties_field(value) -> bool:
    """``decision_ties`` ("escalate": the less toxic interval wins a tie, "deescalate": the more toxic) as
    prefer_last."""
    v.choice("decision_ties", value, DECISION_TIES)
    return value == "deescalate"
