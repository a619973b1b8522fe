"""BOIN12: the Bayesian optimal interval phase I/II design (Lin, Zhou, Yan, Li & Yuan 2020, JCO Precision
Oncology 4:1393-1402), which looks for the optimal biological dose (OBD) by toxicity and response.

Outcomes of a patient: DLT or not, response or not. Each of the four outcomes has a whole-number
utility from 0 to 100 (``utilities``: response without DLT, neither, response with DLT, DLT without
response; default 100, 40, 60, 0 as the paper and the web app). At a dose with n patients whose
utilities sum to k, the utility's quasi-binomial posterior is Beta(a + k/100, b + n - k/100) (prior
Beta(a, b), default Beta(1, 1)). The benchmark is u_b = u_bar + (100 - u_bar) / 2, where u_bar is the
utility of a dose with DLT rate ``target`` and response rate ``target_eff``; a dose's desirability is
P(utility > u_b | data), and its rank among all (n, DLTs, responses) is the paper's rank-based
desirability score (RDS), so comparing desirabilities compares RDS.

After each cohort at dose j (p = DLTs / n at j; lambda_e, lambda_d BOIN's boundaries for ``target``):

1. eliminations (``rules = "paper"``, permanent): j and every higher dose when P(p_T > target | data) >
   ``cutoff_tox`` (Beta(1, 1) prior); j alone when P(p_E < target_eff | data) > ``cutoff_eff``. The
   lowest dose eliminated for toxicity, or no dose left: stop with no dose.
2. p >= lambda_d: de-escalate (stay at the lowest dose).
3. exploration: with ``explore_n`` or more patients at j, the next higher dose untried and admissible:
   escalate (0 turns the rule off; 9 as escalation's reading of the paper's supplement).
4. lambda_e < p < lambda_d with ``n_star`` or more patients at j: j - 1 or j, the higher desirability.
5. otherwise: the admissible dose among j - 1, j, j + 1 with the highest desirability (ties: the higher
   dose, as the web app).

Final choice: the isotonic MTD (BOIN's estimate and weights over the tried doses below any eliminated
for toxicity, closest to the target), then among the admissible tried doses not above it the highest
posterior mean utility (a + k/100) / (a + b + n), ties to the lower dose.

``rules = "escalation"`` reproduces escalation 0.2.3's ``get_boin12`` + ``select_boin12_obd`` instead:
admissibility of j - 1, j, j + 1 from their own data at each decision (nothing eliminated for good, the
toxicity rule at >= cutoff), de-escalation whatever the lower dose's data, step 4 as R evaluates it
(above dose 1: j if it is admissible and strictly more desirable than j - 1, else j - 1; at dose 1: stay
if admissible, else stop); stop also when step 5 finds no admissible dose;
final choice by P(utility > u_b) over every dose not above an unweighted-isotonic MTD (ties: highest
MTD, lowest OBD). See docs/notes/boin12-conventions.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

import numpy as np

from ...constants import DesignKind
from ...errors import SpecError
from .. import layout as L
from .. import validate as v
from ..base import Design
from ..boin.spec import boin_boundaries, checked_phis, prob_above

RULES = ("paper", "escalation")
UTILITY_NAMES = ("response without DLT", "neither", "response with DLT", "DLT without response")
#: largest max_n (the desirability table has (n + 1) x (100 n + 1) entries)
MAX_PATIENTS = 200


@dataclass(frozen=True, kw_only=True)
class Boin12(Design):
    target_eff: float
    utilities: tuple[int, int, int, int] = (100, 40, 60, 0)
    phi1: float | None = None
    phi2: float | None = None
    cutoff_tox: float = 0.95
    cutoff_eff: float = 0.9
    n_star: int = 6
    explore_n: int = 9
    prior_a: float = 1.0
    prior_b: float = 1.0
    rules: str = "paper"

    kind = "boin12"
    uses_efficacy: ClassVar[bool] = True

    def __post_init__(self):
        super().__post_init__()
        set_ = object.__setattr__
        set_(self, "target_eff", v.probability("target_eff", self.target_eff, open_interval=True))
        set_(self, "utilities", check_utilities(self.utilities))
        phi1, phi2 = checked_phis(self.target, self.phi1, self.phi2)
        set_(self, "phi1", phi1)
        set_(self, "phi2", phi2)
        set_(self, "cutoff_tox", v.probability("cutoff_tox", self.cutoff_tox, open_interval=True))
        set_(self, "cutoff_eff", v.probability("cutoff_eff", self.cutoff_eff, open_interval=True))
        set_(self, "n_star", v.integer("n_star", self.n_star, low=1))
        set_(
            self,
            "explore_n",
            v.integer(
                "explore_n",
                self.explore_n,
                low=0,
                fix="explore_n is a number of patients (0 turns the rule off)",
            ),
        )
        set_(self, "prior_a", v.real("prior_a", self.prior_a, low=0.0, low_open=True))
        set_(self, "prior_b", v.real("prior_b", self.prior_b, low=0.0, low_open=True))
        v.choice("rules", self.rules, RULES)
        if self.max_n > MAX_PATIENTS:
            raise SpecError(
                "max_n", f"{self.max_n} is more than BOIN12 tabulates", f"use max_n <= {MAX_PATIENTS}"
            )
        if self.dose_grid is not None:  # pragma: no cover - Boin12 has no grid field
            raise SpecError("grid", "BOIN12 is a single-agent design", "drop the grid")

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["utilities"] = list(self.utilities)
        return out

    @property
    def boundaries(self) -> tuple[float, float]:
        return boin_boundaries(self.target, self.phi1, self.phi2)

    @property
    def benchmark(self) -> float:
        """u_b: halfway between u_bar (the utility at DLT rate ``target`` and response rate ``target_eff``)
        and the best utility, 100."""
        u1, u2, u3, u4 = self.utilities
        pt, pe = self.target, self.target_eff
        u_bar = u1 * pe * (1 - pt) + u2 * (1 - pt) * (1 - pe) + u3 * pt * pe + u4 * pt * (1 - pe)
        return u_bar + (100.0 - u_bar) / 2.0

    def true_utilities(self, prob_tox, prob_eff, prob_both):
        """The mean utility per dose given its DLT, response and joint probabilities (oc/utility.py)."""
        u1, u2, u3, u4 = self.utilities
        p, q, b = prob_tox, prob_eff, prob_both
        return u1 * (q - b) + u2 * (1 - p - q + b) + u3 * b + u4 * (p - b)

    def acceptable_truth(self, prob_tox, prob_eff, tol: float):
        """Doses with DLT probability <= target and response probability >= target_eff (to ``tol``)."""
        return (prob_tox <= self.target + tol) & (prob_eff >= self.target_eff - tol)

    def utility_sum(self, n: int, tox: int, eff: int, both: int) -> int:
        """Sum of the utilities of n patients with ``tox`` DLTs and ``eff`` responses, ``both`` with both."""
        u1, u2, u3, u4 = self.utilities
        return u1 * (eff - both) + u2 * (n - tox - eff + both) + u3 * both + u4 * (tox - both)

    def desirability_table(self, n_cap: int) -> np.ndarray:
        """[n_cap + 1, 100 n_cap + 1]: P(utility > u_b) for n patients whose utilities sum to k, filled
        where some outcomes of n patients sum to k (the other cells are never read; they hold 0).
        Computed once per (utilities, benchmark, prior, n_cap) and shared (read-only)."""
        return _desirability_table(self.utilities, self.benchmark, self.prior_a, self.prior_b, int(n_cap))

    def flag_table(self, n_cap: int) -> np.ndarray:
        """int8 [n_cap + 1, n_cap + 1] of B12_* bits: BOIN zones and toxicity elimination by (n, DLTs),
        futility by (n, responses)."""
        lam_e, lam_d = self.boundaries
        table = np.zeros((n_cap + 1, n_cap + 1), dtype=np.int8)
        strict = self.rules == "paper"
        for n in range(1, n_cap + 1):
            y = np.arange(n + 1)
            flags = np.where(y <= math.floor(lam_e * n + 1e-12), L.B12_ESC, 0)
            flags |= np.where(y >= lam_d * n - 1e-12, L.B12_DEESC, 0)
            p_tox = prob_above(self.target, n)  # P(p_T > target | y of n)
            p_fut = 1.0 - prob_above(self.target_eff, n)  # P(p_E < target_eff | e of n)
            toxic = p_tox > self.cutoff_tox if strict else p_tox >= self.cutoff_tox
            futile = p_fut > self.cutoff_eff if strict else p_fut >= self.cutoff_eff
            flags |= np.where(toxic, L.B12_TOXIC, 0) | np.where(futile, L.B12_FUTILE, 0)
            table[n, : n + 1] = flags
        return table

    def _compile_base(self, ip, fp, tables, n_cap):
        ip[L.IP_KIND] = DesignKind.BOIN12
        ip[L.IP_B12_N_STAR] = self.n_star
        ip[L.IP_B12_EXPLORE_N] = self.explore_n
        ip[L.IP_B12_RULES] = RULES.index(self.rules)
        ip[L.IP_B12_U_EFF_NOTOX], ip[L.IP_B12_U_NONE], ip[L.IP_B12_U_BOTH], ip[L.IP_B12_U_TOX_NOEFF] = (
            self.utilities
        )
        ip[L.IP_B12_WORK] = 6 * self.n_doses
        fp[L.FP_B12_PRIOR_A] = self.prior_a
        fp[L.FP_B12_PRIOR_B] = self.prior_b
        tables.append(self.flag_table(n_cap))
        return self.desirability_table(n_cap).copy()  # the kernels' arrays are writable (one numba type)


@lru_cache(maxsize=32)
def _desirability_table(utilities, benchmark: float, a: float, b: float, n_cap: int) -> np.ndarray:
    """The table of :meth:`Boin12.desirability_table`. Only the reachable sums are evaluated (scipy's
    ``betaincc`` costs microseconds per cell): those of n patients are those of n - 1 plus one utility
    (with the default utilities, multiples of 20: about 3,400 cells at 36 patients instead of 133,000)."""
    from scipy.special import betaincc

    width = 100 * n_cap + 1
    table = np.zeros((n_cap + 1, width))
    reach = np.zeros(width, dtype=bool)
    reach[0] = True
    for n in range(n_cap + 1):
        if n > 0:
            nxt = np.zeros(width, dtype=bool)
            for u in set(utilities):
                nxt[u:] |= reach[: width - u]
            reach = nxt
        k = np.flatnonzero(reach)
        x = k / 100.0
        table[n, k] = betaincc(a + x, b + n - x, np.full(k.shape, benchmark / 100.0))
    table.setflags(write=False)
    return table


def check_utilities(value) -> tuple[int, int, int, int]:
    """Four whole numbers from 0 to 100, ordered as utilities must be (a response never lowers the
    utility, a DLT never raises it), the best above the worst."""
    fix = "write utilities = [100, 40, 60, 0] (response without DLT, neither, response with DLT, DLT only)"
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 4:
        raise SpecError("utilities", f"expected four utilities, got {value!r}", fix)
    out = []
    for name, u in zip(UTILITY_NAMES, value, strict=True):
        if isinstance(u, bool) or not isinstance(u, (int, float)) or u != int(u) or not 0 <= u <= 100:
            raise SpecError(
                "utilities", f"the utility of {name} is {u!r}, not a whole number from 0 to 100", fix
            )
        out.append(int(u))
    u1, u2, u3, u4 = out
    if not (u1 >= u2 >= u4 and u1 >= u3 >= u4 and u1 > u4):
        raise SpecError(
            "utilities",
            f"{out} is not ordered: need response without DLT >= neither, response with DLT >= DLT without "
            "response, and the first above the last",
            fix,
        )
    return (u1, u2, u3, u4)
