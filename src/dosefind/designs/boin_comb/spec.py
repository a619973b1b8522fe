"""BOIN for drug combinations (Lin & Yin 2017), as implemented by the BOIN R package (version 2.7.2).

The grid has J levels of drug A (rows) and K levels of drug B (columns); a cell (j, k) is one dose of the
engine. After each cohort at the current cell, with y DLTs in its n patients and BOIN's integer
boundaries for n (exactly those of :class:`~dosefind.designs.boin.Boin`: escalate iff y <= floor(lambda_e
n), de-escalate iff y > lambda_d n, the de-escalation boundary capped at the elimination boundary):

* **Elimination.** A cell with at least 3 patients and P(p > target | y, n) > ``cutoff_eli`` (Beta(1, 1)
  prior) eliminates itself and every cell (j' >= j, k' >= k). If cell 1.1 is eliminated the trial stops
  with no dose. With ``extrasafe`` the trial also stops at cell 1.1 when P(p > target) > cutoff_eli -
  offset (at least 3 patients, and only where an elimination boundary exists for n, as the package).
* **Escalate** (y <= b_e): candidates (j + 1, k) then (j, k + 1), inside the grid and admissible (not
  eliminated, not excluded). Each scores P(lambda_e < p < lambda_d | y', n') under a Beta(y' + 1/2,
  n' - y' + 1/2) posterior (Jeffreys prior) plus n' / 2000 (the package's ``nn * 5e-04``), with (n', y')
  the candidate's own data. The highest score wins; exact ties are broken uniformly at random (the
  decision's ``u_tie``: candidate index int(u_tie * number tied), candidates in the order above). No
  candidate: stay.
* **De-escalate** (y >= b_d): candidates (j - 1, k) then (j, k - 1), scored and chosen the same way.
  No candidate (cell 1.1): stay.
* **Stay** otherwise.
* ``n_earlystop`` (default 100, the package's): see ``rules``.

``rules`` chooses between the package's two implementations, which disagree:

* ``"get.oc.comb"`` (default; the package's simulation, so operating characteristics match its
  published ones): stop and select when the current cell has >= n_earlystop patients and the decision
  is to stay there (including a blocked escalation or de-escalation). Final selection on the
  unrounded isotonic estimates; with ``bound_mtd`` cells whose estimate is >= lambda_d are excluded.
* ``"next.comb"`` (the package's ``next.comb`` + ``select.mtd.comb`` for trial conduct): stop and select
  as soon as the current cell has >= n_earlystop patients, whatever the decision; no escalation to
  (j + 1, k) when a cell (j + 1, k' <= k) has an observed DLT rate >= lambda_d, nor to (j, k + 1) when a
  cell (j' <= j, k + 1) has; final selection on isotonic estimates rounded to 2 decimals (R's
  ``round``); with ``bound_mtd`` estimates > lambda_d are excluded.

Final selection (both rules, as ``select.mtd.comb``): recomputed from the final counts, ignoring the
eliminations made during the trial. Cells with >= 3 patients and P(p > target) > cutoff_eli are
eliminated row by row: the first such cell (j, k) of each row eliminates (j' >= j, k) and (j, k' >= k)
(not the whole quadrant); with ``extrasafe``, cell 1.1 with >= 3 patients and P(p > target) >
cutoff_eli - offset eliminates everything. If cell 1.1 is eliminated no dose is selected. Otherwise the
bivariate isotonic regression (non-decreasing in both drugs) of (y + 0.05) / (n + 0.1) with weights
n + 0.1 over every cell, untried cells included (value 0.5, weight 0.1), gives the estimates; an
eliminated cell's estimate becomes 1.1; each tried cell's estimate gets + 1e-5 (j + k) (1-based levels);
the tried cell whose estimate is closest to the target is selected, ties to the first in column-major
order (lowest drug B level, then lowest drug A level). ``bound_mtd``: if every tried cell's estimate
reaches lambda_d, no dose is selected.

Order of the checks after a cohort: eliminations (recomputed from every cell's counts, as next.comb
does; get.oc.comb checks the current cell only, the same on any trial the design runs itself); cell 1.1
eliminated or the extra-safe rule (stop, no dose); n_earlystop; the move. next.comb checks n.earlystop
first, and select.mtd.comb then finds no MTD (it stops with an error where cell 1.1 is eliminated): the
same outcome. If live data put the current cell inside an eliminated region (a deviation from the
design), the engine moves the next cohort to the nearest admissible lower cell, where next.comb stays.
Exact ties in the final selection (cells of one pooled level set on one anti-diagonal) go to the first
cell in column-major order, the package's rule in exact arithmetic; the package's unrounded estimates
(get.oc.comb) carry Iso::biviso's convergence error (~1e-8), which then decides the tie either way.

Not supported: the package's titration (cohorts of one at the start: the engine's cohorts have a fixed
size) and ``mtd.contour`` (the waterfall design, a different design). Unlike the package, the grid
may have more rows than columns, and cells may be excluded (designs.grid): an excluded cell is never a
candidate and counts as untried in the isotonic regression. The package requires at least 2 levels of
each drug (Iso::biviso); so does this design.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...constants import DesignKind
from ...errors import SpecError
from .. import layout as L
from .. import validate as v
from ..boin import Boin, boin_boundaries
from ..combination import CombinationDesign

RULES = ("get.oc.comb", "next.comb")


def work_size(rows: int, cols: int) -> int:
    """Length of the float work array :func:`dosefind.engine.combination.select_boin_comb` needs."""
    return 7 * rows * cols + 3 * max(rows, cols)


@dataclass(frozen=True, kw_only=True)
class BoinComb(CombinationDesign):
    """BOIN for a two-drug grid; fields and defaults as the BOIN package's ``get.oc.comb``."""

    phi1: float | None = None
    phi2: float | None = None
    cutoff_eli: float = 0.95
    extrasafe: bool = False
    offset: float = 0.05
    n_earlystop: int = 100
    bound_mtd: bool = False
    rules: str = "get.oc.comb"

    kind = "boin_comb"
    uses_tie_uniform = True

    def __post_init__(self):
        super().__post_init__()
        set_ = object.__setattr__
        if self.grid.n_rows < 2 or self.grid.n_cols < 2:
            raise SpecError(
                "grid",
                f"BOIN for combinations needs at least 2 levels of each drug, got {self.grid.n_rows} x "
                f"{self.grid.n_cols}",
                'add levels, or use kind = "boin" for a single drug',
            )
        set_(self, "n_earlystop", v.integer("n_earlystop", self.n_earlystop, low=1))
        v.choice("rules", self.rules, RULES)
        # the single-agent BOIN validates the shared parameters (errors name the same fields) and owns
        # the integer boundaries and elimination rule
        single = self._single_agent()
        for name in ("phi1", "phi2", "cutoff_eli", "offset"):
            set_(self, name, getattr(single, name))
        v.boolean("bound_mtd", self.bound_mtd)

    def _single_agent(self) -> Boin:
        return Boin(
            target=self.target,
            max_n=self.max_n,
            cohort_size=self.cohort_size,
            n_doses=1,
            phi1=self.phi1,
            phi2=self.phi2,
            cutoff_eli=self.cutoff_eli,
            extrasafe=self.extrasafe,
            offset=self.offset,
        )

    @property
    def boundaries(self) -> tuple[float, float]:
        """(lambda_e, lambda_d)."""
        return boin_boundaries(self.target, self.phi1, self.phi2)

    def integer_boundaries(self, n: int) -> tuple[int, int, int | None]:
        """(escalate if #DLT <=, de-escalate if #DLT >=, eliminate if #DLT >= or None) for n patients."""
        return self._single_agent().integer_boundaries(n)

    def interval_table(self, n_cap: int) -> np.ndarray:
        """float64 [n_cap+1, n_cap+1]: P(lambda_e < p < lambda_d | y DLTs of n), Beta(y + 1/2, n - y + 1/2).

        Row n, column y (y <= n; other entries 0): the score of a candidate cell, without the package's
        n/2000 term (the kernel adds it).
        """
        from scipy.special import betainc  # general Beta CDF; imported only when such a design compiles

        lam_e, lam_d = self.boundaries
        table = np.zeros((n_cap + 1, n_cap + 1), dtype=np.float64)
        for n in range(n_cap + 1):
            y = np.arange(n + 1, dtype=np.float64)
            a, b = y + 0.5, n - y + 0.5
            table[n, : n + 1] = betainc(a, b, lam_d) - betainc(a, b, lam_e)
        return table

    def _compile_base(self, ip, fp, tables, n_cap):
        ip[L.IP_KIND] = DesignKind.BOIN_COMB
        ip[L.IP_BOIN_N_EARLYSTOP] = self.n_earlystop
        ip[L.IP_BOIN_EXTRASAFE] = int(self.extrasafe)
        ip[L.IP_BOIN_BOUND_MTD] = int(self.bound_mtd)
        ip[L.IP_BOIN_COMB_RULES] = RULES.index(self.rules)
        fp[L.FP_BOIN_LAMBDA_D] = self.boundaries[1]
        rows, cols = self.grid.n_rows, self.grid.n_cols
        ip[L.IP_BOIN_COMB_WORK] = work_size(rows, cols)
        tables.append(self._single_agent().decision_table(n_cap))
        return self.interval_table(n_cap)
