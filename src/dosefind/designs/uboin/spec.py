"""U-BOIN: the utility-based Bayesian optimal interval phase I/II design (Zhou, Lee & Yuan 2019, Statistics
in Medicine 38:5299-5316), which looks for the optimal biological dose (OBD) in two stages.

Outcomes of a patient: DLT or not, response or not, with whole-number utilities from 0 to 100
(``utilities``: response without DLT, neither, response with DLT, DLT without response; default 100, 40,
60, 0 as BOIN12). At a dose with n patients whose utilities sum to k, the utility's quasi-binomial
posterior is Beta(a + k/100, b + n - k/100) (prior Beta(a, b), default Beta(1, 1)), with mean
(a + k/100) / (a + b + n): the posterior mean utility on 0-1.

Admissibility (after every cohort, on the current dose's data, permanent; both with at least 3 patients
at the dose, as BOIN's elimination): P(p_T > target | data) > ``cutoff_tox`` removes the dose and every
higher dose (BOIN's elimination; the lowest dose removed stops the trial with no dose);
P(p_E < target_eff | data) > ``cutoff_eff`` removes the dose alone (the futility rule; ``futility =
false`` turns it off). Beta(1, 1) priors. No admissible dose left: stop with no dose.

Stage 1, while fewer than ``n_stage1`` patients are treated: BOIN on toxicity with the boundaries
lambda_e, lambda_d for ``target``: observed DLT rate <= lambda_e escalates to the next admissible dose
above (none: stay), >= lambda_d de-escalates (at the lowest dose: stay), else stay. When the dose the
rule keeps was just found futile, the next cohort goes to the nearest admissible dose below it, else
above it. With the futility rule off this is BOIN, decision for decision.

Stage 2, from ``n_stage1`` patients on: each cohort is randomised among the admissible doses that have
been tried, dose j with probability proportional to its posterior mean utility (the design's own uniform,
``u_tie``: the engine's per-decision latent value in simulation, the data's hash in a meeting). With no
admissible tried dose, stage 1's rule decides. The trial ends at ``max_n``.

Final choice: among the admissible tried doses, the highest posterior mean utility (ties to the lower
dose). See docs/notes/uboin-conventions.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ...constants import DesignKind
from ...errors import SpecError
from .. import layout as L
from .. import validate as v
from ..base import Design
from ..boin.spec import Boin, boin_boundaries, checked_phis, prob_above
from ..boin12.spec import Boin12, check_utilities

#: at least this many patients at a dose before either elimination rule applies (BOIN's)
MIN_N_ELIMINATE = 3


@dataclass(frozen=True, kw_only=True)
class UBoin(Design):
    target_eff: float
    utilities: tuple[int, int, int, int] = (100, 40, 60, 0)
    n_stage1: int | None = None
    phi1: float | None = None
    phi2: float | None = None
    cutoff_tox: float = 0.95
    cutoff_eff: float = 0.9
    futility: bool = True
    prior_a: float = 1.0
    prior_b: float = 1.0

    kind = "uboin"
    uses_efficacy: ClassVar[bool] = True
    uses_tie_uniform: ClassVar[bool] = True

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
        v.boolean("futility", self.futility)
        if self.n_stage1 is None:  # half the trial, in whole cohorts (at least one)
            half = max(self.cohort_size, (self.max_n // 2) // self.cohort_size * self.cohort_size)
            set_(self, "n_stage1", half)
        set_(
            self,
            "n_stage1",
            v.integer(
                "n_stage1",
                self.n_stage1,
                low=1,
                high=self.max_n,
                fix=f"n_stage1 is the number of patients of stage 1, from 1 to max_n = {self.max_n}",
            ),
        )
        set_(self, "prior_a", v.real("prior_a", self.prior_a, low=0.0, low_open=True))
        set_(self, "prior_b", v.real("prior_b", self.prior_b, low=0.0, low_open=True))
        if self.dose_grid is not None:  # pragma: no cover - UBoin has no grid field
            raise SpecError("grid", "U-BOIN is a single-agent design", "drop the grid")

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["utilities"] = list(self.utilities)
        return out

    @property
    def boundaries(self) -> tuple[float, float]:
        return boin_boundaries(self.target, self.phi1, self.phi2)

    def stage1_boin(self) -> Boin:
        """The BOIN design stage 1 runs (its boundaries, elimination and decision table)."""
        return Boin(
            target=self.target,
            max_n=self.max_n,
            n_doses=self.n_doses,
            cohort_size=self.cohort_size,
            start_dose=self.start_dose,
            phi1=self.phi1,
            phi2=self.phi2,
            cutoff_eli=self.cutoff_tox,
        )

    # the utilities score patients, and the truth, as BOIN12's do (the same fields, the same OBD rule)
    utility_sum = Boin12.utility_sum
    true_utilities = Boin12.true_utilities
    acceptable_truth = Boin12.acceptable_truth

    def mean_utility(self, n: int, tox: int, eff: int, both: int) -> float:
        """Posterior mean utility on 0-1 of a dose with these counts."""
        k = self.utility_sum(n, tox, eff, both)
        return (self.prior_a + k / 100.0) / (self.prior_a + self.prior_b + n)

    def futility_table(self, n_cap: int) -> np.ndarray:
        """int8 [n_cap + 1, n_cap + 1]: 1 where e responses of n patients make the dose futile."""
        table = np.zeros((n_cap + 1, n_cap + 1), dtype=np.int8)
        if not self.futility:
            return table
        for n in range(MIN_N_ELIMINATE, n_cap + 1):
            p_fut = 1.0 - prob_above(self.target_eff, n)  # P(p_E < target_eff | e of n), e = 0..n
            table[n, : n + 1] = p_fut > self.cutoff_eff
        return table

    def _compile_base(self, ip, fp, tables, n_cap):
        ip[L.IP_KIND] = DesignKind.UBOIN
        ip[L.IP_UB_N_STAGE1] = self.n_stage1
        ip[L.IP_UB_FUTILITY] = int(self.futility)
        ip[L.IP_UB_U_EFF_NOTOX], ip[L.IP_UB_U_NONE], ip[L.IP_UB_U_BOTH], ip[L.IP_UB_U_TOX_NOEFF] = (
            self.utilities
        )
        ip[L.IP_UB_WORK] = self.n_doses
        fp[L.FP_UB_PRIOR_A] = self.prior_a
        fp[L.FP_UB_PRIOR_B] = self.prior_b
        tables.append(self.stage1_boin().decision_table(n_cap))
        tables.append(self.futility_table(n_cap))
        return np.zeros((1, 1), dtype=np.float64)


def admissible_from_counts(design: UBoin, n_at, tox_at, resp_at, tables=None) -> np.ndarray:
    """Which doses are admissible after the trial's data (each dose's rules read its own counts, which
    change only when it is treated, so this equals the mask the decisions left). ``tables``: the compiled
    design's (saves building them)."""
    n_at = np.asarray(n_at, dtype=np.int64)
    if tables is None:
        n_cap = max(int(n_at.max(initial=0)), 1)
        tox = design.stage1_boin().decision_table(n_cap)
        fut = design.futility_table(n_cap)
    else:
        tox, fut = tables[0], tables[1]
    ok = np.ones(design.n_doses, dtype=bool)
    for d in range(design.n_doses):
        n = int(n_at[d])
        if tox[n, int(tox_at[d])] & L.BOIN_ELIM:
            ok[d:] = False
        if fut[n, int(resp_at[0][d])]:
            ok[d] = False
    return ok


def randomisation_probabilities(design: UBoin, n_at, tox_at, resp_at, admissible) -> np.ndarray:
    """Stage 2's probabilities per dose: proportional to the posterior mean utility over the admissible
    tried doses, 0 elsewhere (all 0 when no admissible dose has been tried)."""
    n_at = np.asarray(n_at)
    w = np.array(
        [
            design.mean_utility(int(n), int(y), int(e), int(b)) if ok and n > 0 else 0.0
            for n, y, e, b, ok in zip(n_at, tox_at, resp_at[0], resp_at[1], admissible, strict=True)
        ]
    )
    total = w.sum()
    return w / total if total > 0 else w
