"""The A+B family of Lin & Shih (2001), with and without dose de-escalation.

At the current dose d (counts are the patients and DLTs treated at d so far):

* A patients first. Fewer than C DLTs: escalate to d+1. More than D: d exceeds the MTD. From C to D
  DLTs (inclusive): treat B more at d.
* Of the A + B: at most E DLTs: escalate to d+1; more than E: d exceeds the MTD.
* At the highest dose, fewer than C of A either treats B more there (``expand_top_dose = true``, as the
  3+3 design's default) or stops and declares it the MTD (``false``: Lin & Shih's formulas, the R
  package escalation, clintrials). With A + B patients and at most E DLTs the highest dose is the MTD.
* d exceeds the MTD:
    - d is the lowest dose: stop, no MTD.
    - without de-escalation: stop, the MTD is d-1 (whatever its number of patients).
    - with de-escalation: if d-1 has A + B patients, stop and declare it the MTD; otherwise (it has A,
      fewer than C DLTs) treat B more at d-1 and apply the same rules there, descending further if it too
      exceeds the MTD. The MTD is the highest dose with A + B patients and at most E DLTs.

Constraints as Lin & Shih define them: 1 <= C <= D <= E, D <= A (stage one decides), E < A + B (stage two
can fail). Patients are treated in cohorts of gcd(A, B) and a decision is taken when a stage of A or B
is complete (before that the design keeps treating at the dose, reason ``APB_STAGE``).

A = B = 3, C = D = E = 1 is the 3+3 design: :class:`~dosefind.designs.three_plus_three.ThreePlusThree`
with the same ``deescalation`` and ``expand_top_dose`` takes the same decisions trial for trial (a
separate kernel, so each checks the other). ``target`` only tells the operating characteristics which
dose is correct. ``max_n`` defaults to A + B per dose (never binding).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

import numpy as np

from ...constants import DesignKind
from ...errors import SpecError
from .. import layout as L
from .. import validate as v
from ..base import Design


@dataclass(frozen=True, kw_only=True)
class APlusB(Design):
    target: float = 0.30
    max_n: int = 0  # 0 means A + B per dose
    cohort_size: int = 0  # 0 means gcd(A, B)
    a: int = 3
    b: int = 3
    c: int = 1
    d: int = 1
    e: int = 1
    deescalation: bool = True
    expand_top_dose: bool = True

    kind = "a_plus_b"

    def __post_init__(self):
        set_ = object.__setattr__
        a = v.integer(
            "a", self.a, low=1, high=50, fix="A, the first stage's patients, is a whole number >= 1"
        )
        b = v.integer(
            "b", self.b, low=1, high=50, fix="B, the second stage's patients, is a whole number >= 1"
        )
        c = v.integer("c", self.c, low=1, high=a, fix=f"C is a whole number from 1 to A = {a}")
        d = v.integer("d", self.d, low=c, high=a, fix=f"Lin & Shih need C <= D <= A: use D from {c} to {a}")
        e = v.integer(
            "e",
            self.e,
            low=d,
            high=a + b - 1,
            fix=f"Lin & Shih need D <= E < A + B: use E from {d} to {a + b - 1}",
        )
        for name, value in (("a", a), ("b", b), ("c", c), ("d", d), ("e", e)):
            set_(self, name, value)
        step = gcd(a, b)
        if self.cohort_size == 0:
            set_(self, "cohort_size", step)
        elif self.cohort_size != step:
            raise SpecError(
                "cohort_size",
                f"A+B treats cohorts of gcd(A, B) = {step}, got {self.cohort_size}",
                f"remove cohort_size or set it to {step}",
            )
        if self.max_n == 0:
            n = self.n_doses if self.n_doses is not None else (len(self.doses) if self.doses else 0)
            set_(self, "max_n", max((a + b) * n, step))
        super().__post_init__()
        v.boolean("deescalation", self.deescalation)
        v.boolean("expand_top_dose", self.expand_top_dose)

    def _compile_base(self, ip, fp, tables, n_cap):
        ip[L.IP_KIND] = DesignKind.A_PLUS_B
        ip[L.IP_APB_A] = self.a
        ip[L.IP_APB_B] = self.b
        ip[L.IP_APB_C] = self.c
        ip[L.IP_APB_D] = self.d
        ip[L.IP_APB_E] = self.e
        ip[L.IP_APB_DEESCALATE] = int(self.deescalation)
        ip[L.IP_APB_EXPAND_TOP] = int(self.expand_top_dose)
        return np.zeros((1, 1), dtype=np.float64)

    def stage_sizes(self) -> tuple[int, int]:
        """(A, A + B): the patients at a dose when a stage is complete."""
        return self.a, self.a + self.b
