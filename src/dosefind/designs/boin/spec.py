"""BOIN: the Bayesian optimal interval design (Liu & Yuan 2015).

Escalate when the observed DLT rate at the current dose is <= lambda_e, de-escalate when it is above
lambda_d, stay otherwise, where (phi = target, phi1 = highest rate deemed underdosing, phi2 = lowest
rate deemed overdosing)::

    lambda_e = log((1 - phi1) / (1 - phi)) / log(phi (1 - phi1) / (phi1 (1 - phi)))
    lambda_d = log((1 - phi) / (1 - phi2)) / log(phi2 (1 - phi) / (phi (1 - phi2)))

Dose elimination: with at least 3 patients at a dose and P(p > target | data) > cutoff_eli under a
Beta(1, 1) prior, that dose and all higher doses are eliminated; if the lowest dose is eliminated the
trial stops with no dose selected. With ``extrasafe`` the trial also stops when
P(p_1 > target) > cutoff_eli - offset at the lowest dose (at least 3 patients).
``n_earlystop``: the trial stops (and selects) when the dose just treated has at least this many
patients and the decision is to stay there (including a blocked escalation or de-escalation).
Final selection: isotonic (pool-adjacent-violators) estimates over the tried, non-eliminated doses,
the dose with the estimate closest to the target; with ``bound_mtd`` only doses whose estimate is at
most lambda_d qualify (none: no dose is selected).

The integer boundaries follow the BOIN R package (version 2.7.2) exactly: escalate iff
#DLT <= floor(lambda_e n); de-escalate iff #DLT > lambda_d n (so exactly at lambda_d the dose stays);
the de-escalation boundary is capped at the elimination boundary. These decisions and the final
selection were checked trial by trial against the package (tests/published).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...constants import DesignKind
from ...errors import SpecError
from .. import layout as L
from .. import validate as v
from ..base import Design

_LOG_FACTORIALS = np.zeros(1)


def _log_factorials(m: int) -> np.ndarray:
    """log j! for j = 0..m (at least), as math.lgamma(j + 1) gives them; kept and extended as needed, so
    a table over n = 1..N costs O(N^2) additions rather than O(N^2) lgamma calls."""
    global _LOG_FACTORIALS
    have = _LOG_FACTORIALS.shape[0]
    if have <= m:
        more = np.array([math.lgamma(j + 1) for j in range(have, 2 * m + 2)])
        _LOG_FACTORIALS = np.concatenate([_LOG_FACTORIALS, more])
    return _LOG_FACTORIALS


def prob_above(target: float, n: int) -> np.ndarray:
    """For y = 0..n: P(p > target | y DLTs in n patients, Beta(1, 1) prior) = P(Binomial(n + 1, target) <= y).

    The identity between the Beta(1 + y, 1 + n - y) upper tail and the binomial lower tail is exact for
    integer counts. The binomial probabilities are formed in log space (no overflow for large n) and
    accumulated once for all y, so no special functions are needed.
    """
    k = np.arange(n + 2)
    lf = _log_factorials(n + 1)
    log_pmf = (
        math.lgamma(n + 2)
        - (lf[k] + lf[n + 1 - k])
        + k * math.log(target)
        + (n + 1 - k) * math.log1p(-target)
    )
    return np.minimum(np.cumsum(np.exp(log_pmf))[: n + 1], 1.0)


def boin_boundaries(
    target: float, phi1: float | None = None, phi2: float | None = None
) -> tuple[float, float]:
    """(lambda_e, lambda_d) of Liu & Yuan (2015)."""
    phi = target
    phi1 = 0.6 * phi if phi1 is None else phi1
    phi2 = 1.4 * phi if phi2 is None else phi2
    lam_e = math.log((1 - phi1) / (1 - phi)) / math.log(phi * (1 - phi1) / (phi1 * (1 - phi)))
    lam_d = math.log((1 - phi) / (1 - phi2)) / math.log(phi2 * (1 - phi) / (phi * (1 - phi2)))
    return lam_e, lam_d


ASSIGNS = ("highest", "lowest", "random")


@dataclass(frozen=True)
class Backfill:
    """Backfill (BF-BOIN, Zhao, Yuan, Korn & Freidlin 2024, as the bfboin R package simulates it): while
    the escalation cohort is under observation, an arriving patient goes to an open dose below the
    current one (``assign``: the highest, the lowest, or one at random); a dose is open when a response
    has been seen there, it is not in BOIN's de-escalation zone on its own data or pooled with the dose
    above, and it has at most ``cap`` patients (escalation and backfill; bfboin's ``n.cap``, checked
    before the patient is added). See ``engine/backfill.py`` for the decisions that pool backfill data."""

    cap: int = 12
    assign: str = "highest"

    def __post_init__(self):
        object.__setattr__(self, "cap", v.integer("backfill.cap", self.cap, low=1, high=1000))
        v.choice("backfill.assign", self.assign, ASSIGNS)

    def to_dict(self) -> dict:
        return {"cap": self.cap, "assign": self.assign}

    @classmethod
    def from_value(cls, value) -> Backfill:
        if isinstance(value, cls):
            return value
        if not isinstance(value, dict):
            raise SpecError(
                "backfill",
                f"expected a [design.backfill] table, got {value!r}",
                'write cap = 12, assign = "highest"',
            )
        v.no_unknown_keys("backfill", value, ["cap", "assign"])
        return cls(**value)


@dataclass(frozen=True, kw_only=True)
class Boin(Design):
    phi1: float | None = None
    phi2: float | None = None
    cutoff_eli: float = 0.95
    extrasafe: bool = False
    offset: float = 0.05
    n_earlystop: int | None = None
    bound_mtd: bool = False
    backfill: Backfill | None = None

    kind = "boin"

    @property
    def uses_pending(self) -> bool:  # backfill happens while a cohort is pending: calendar time only
        return self.backfill is not None

    def default_n_cap(self) -> int:
        """Patients one pooled decision can count: with backfill, the escalation's and every dose's cap."""
        if self.backfill is None:
            return self.max_n
        return self.max_n + self.n_doses * (self.backfill.cap + 1)

    def to_dict(self) -> dict:
        out = super().to_dict()
        if self.backfill is not None:
            out["backfill"] = self.backfill.to_dict()
        return out

    def __post_init__(self):
        super().__post_init__()
        set_ = object.__setattr__
        phi1, phi2 = checked_phis(self.target, self.phi1, self.phi2)
        set_(self, "phi1", phi1)
        set_(self, "phi2", phi2)
        set_(self, "cutoff_eli", v.probability("cutoff_eli", self.cutoff_eli, open_interval=True))
        v.boolean("extrasafe", self.extrasafe)
        v.boolean("bound_mtd", self.bound_mtd)
        set_(
            self,
            "offset",
            v.real("offset", self.offset, low=0.0, high=self.cutoff_eli, low_open=True, high_open=True),
        )
        if self.n_earlystop is not None:
            set_(self, "n_earlystop", v.integer("n_earlystop", self.n_earlystop, low=1))
        if self.backfill is not None:
            set_(self, "backfill", Backfill.from_value(self.backfill))
            if self.modifiers:
                raise SpecError(
                    "modifiers",
                    "modifiers are not applied with backfill",
                    "remove the [[design.modifiers]] blocks (n_earlystop and extrasafe are BOIN's own)",
                )
            if self.cohort_size < 3:
                raise SpecError(
                    "cohort_size", "backfill needs cohorts of at least 3 (as bfboin)", "set cohort_size = 3"
                )
        lam_e, lam_d = self.boundaries
        if not lam_e < self.target < lam_d:  # pragma: no cover - guaranteed by phi1 < target < phi2
            raise SpecError("phi1", "boundaries do not bracket the target", "move phi1/phi2 apart")

    @property
    def boundaries(self) -> tuple[float, float]:
        return boin_boundaries(self.target, self.phi1, self.phi2)

    def decision_table(self, n_cap: int) -> np.ndarray:
        """int8 [n_cap+1, n_cap+1] of BOIN_* bit flags for n patients and y DLTs at a dose."""
        table = np.zeros((n_cap + 1, n_cap + 1), dtype=np.int8)
        for n in range(1, n_cap + 1):
            b_e, b_d, b_elim, p_over = self._boundaries_at(n)
            y = np.arange(n + 1)
            flags = np.where(y <= b_e, L.BOIN_ESC, 0) | np.where(y >= b_d, L.BOIN_DEESC, 0)
            if b_elim is not None:
                flags |= np.where(y >= b_elim, L.BOIN_ELIM, 0)
            if b_elim is not None and b_elim <= b_e:
                raise SpecError(
                    "cutoff_eli",
                    f"with {n} patients and {b_elim} DLTs a dose would be both escalated from "
                    f"(DLTs <= {b_e}) and eliminated (P(DLT rate > {self.target:g}) > {self.cutoff_eli:g})",
                    "raise cutoff_eli (the BOIN default is 0.95) or lower phi1",
                )
            if self.extrasafe and n >= 3:
                flags |= np.where(p_over > self.cutoff_eli - self.offset, L.BOIN_EXTRASAFE_STOP, 0)
            table[n, : n + 1] = flags
        return table

    def integer_boundaries(self, n: int) -> tuple[int, int, int | None]:
        """(escalate if #DLT <=, de-escalate if #DLT >=, eliminate if #DLT >= or None) for n patients."""
        return self._boundaries_at(n)[:3]

    def _boundaries_at(self, n: int):
        """Integer boundaries for n patients and P(p > target | y) for y = 0..n (one computation)."""
        lam_e, lam_d = self.boundaries
        b_e = math.floor(lam_e * n)
        x = lam_d * n
        # de-escalate when y >= lambda_d n; an exact integer lambda_d n needs y above it. That branch is
        # never taken with the default phi1, phi2 at targets 0.05-0.5 and n <= 100 (lambda_d n is never an
        # integer there; checked), so mutating it survives the suite: kept for user-given phi1, phi2
        b_d = round(x) + 1 if abs(round(x) - x) < 1e-12 else math.ceil(x)
        p_over = prob_above(self.target, n)
        b_elim = None
        if n >= 3:
            over = np.flatnonzero(p_over[1:] > self.cutoff_eli)
            if over.size:
                b_elim = int(over[0]) + 1
                b_d = min(b_d, b_elim)
        return b_e, b_d, b_elim, p_over

    def _compile_base(self, ip, fp, tables, n_cap):
        ip[L.IP_KIND] = DesignKind.BOIN
        if self.backfill is not None:
            ip[L.IP_BACKFILL_CAP] = self.backfill.cap
            ip[L.IP_BACKFILL_ASSIGN] = ASSIGNS.index(self.backfill.assign)
        ip[L.IP_BOIN_N_EARLYSTOP] = self.n_earlystop if self.n_earlystop is not None else 1 << 40
        ip[L.IP_BOIN_EXTRASAFE] = int(self.extrasafe)
        ip[L.IP_BOIN_BOUND_MTD] = int(self.bound_mtd)
        fp[L.FP_BOIN_LAMBDA_D] = self.boundaries[1]
        tables.append(self.decision_table(n_cap))
        return np.zeros((1, 1), dtype=np.float64)


def checked_phis(target: float, phi1: float | None, phi2: float | None) -> tuple[float, float]:
    """BOIN's phi1 and phi2 (defaults 0.6 and 1.4 times the target, as the BOIN package), each checked to
    lie strictly between 0 and the target, and between the target and 1 (BOIN and BOIN12 share them)."""
    phi1 = 0.6 * target if phi1 is None else phi1
    phi2 = 1.4 * target if phi2 is None else phi2
    phi1 = v.real(
        "phi1",
        phi1,
        low=0.0,
        high=target,
        low_open=True,
        high_open=True,
        fix=f"phi1 must lie strictly between 0 and the target {target:g}",
    )
    phi2 = v.real(
        "phi2",
        phi2,
        low=target,
        high=1.0,
        low_open=True,
        high_open=True,
        fix=f"phi2 must lie strictly between the target {target:g} and 1",
    )
    return phi1, phi2
