"""BLRM: the Bayesian logistic regression model with escalation with overdose control (Neuenschwander,
Branson & Gsponer 2008), one drug.

Model: logit p(d) = log alpha + beta log(d / d*), with real doses d (``doses``, numbers, in
``dose_unit``) and a reference dose d* (``reference_dose``); (log alpha, log beta) bivariate normal
a priori: ``prior_mean = [mean log alpha, mean log beta]``, ``prior_sd = [sd, sd]``, ``prior_corr``;
or a mixture of bivariate normals, ``[[design.prior]]`` blocks with ``weight``, ``mean``, ``sd`` and
``corr`` (weights summing to 1; e.g. an informative component from adult data robustified by a weakly
informative one). The posterior under a mixture is the mixture of the components' posteriors with
weights proportional to w_k times the evidence of the data under component k (exact).
Default prior: the weakly informative one of Neuenschwander et al. (2015): log alpha ~ N(logit(target),
2^2), log beta ~ N(0, 1), independent.

Decision (the conventions of OncoBayes2's ``blrm_trial`` and crmPack's ``NextBestNCRM``): each dose's
interval probabilities of p(d) under ``intervals = [0.16, 0.33]``: underdosing [0, 0.16), target
[0.16, 0.33), overdosing [0.33, 1]. A dose is admissible when P(overdosing) <= ``ewoc`` (0.25); the next
dose is, among the admissible doses no higher than the escalation cap, the one with the highest
P(target) (the lower on ties). The cap: at most ``max_increment`` (1.0: +100%) above the reference of
the increment (``increment_reference = "last_dose"``, default, or ``"highest_tried"``), and with
``no_skip = true`` (default) at most one untried dose above the highest tried. No admissible dose within
the cap: stop without a dose. Stop and select the recommended dose when it has at least
``mtd_min_n`` patients (6) and either P(target) >= ``mtd_min_prob_target`` (0.5) or the trial has
``mtd_min_total`` patients (off by default): the OncoBayes2 vignette's rule. ``target_floor = 0.05``
reproduces crmPack's ``NextBestNCRM``: when no eligible dose has P(target) above it, the highest
eligible dose (OncoBayes2 chooses no next dose; its users take the highest P(target), the default).
At ``max_n`` the final selection is, among the doses tried, the admissible dose with the highest
P(target).

Posterior: deterministic quadrature around the posterior mode (engine/blrm.py), within 1e-6 of adaptive
integration on the tested data sets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ...constants import DesignKind
from ...errors import SpecError
from .. import layout as L
from .. import validate as v
from ..base import Design

#: the BLRM's own reason codes (engine/blrm.py)
REASON_NAMES = {
    100: "BLRM_TARGET",
    101: "BLRM_CAPPED",
    102: "BLRM_NO_SAFE_DOSE",
    103: "BLRM_MTD",
}
#: quadrature: u nodes over +-U_RANGE (trapezoid), v panels over +-V_RANGE, GL nodes per panel
N_U = 61
U_RANGE = 10.0
N_PANELS = 8
V_RANGE = 8.0
N_GL = 8


def basis_integrals(nodes: np.ndarray) -> np.ndarray:
    """C[q, k]: the coefficient of x^k in the integral from -1 to x of the Lagrange basis polynomial of
    node q (so the integral of the interpolating polynomial through values f_q is sum_q f_q C[q] . x^k)."""
    Q = len(nodes)
    V = np.vander(nodes, Q, increasing=True)  # V[i, k] = nodes[i]^k
    basis = np.linalg.inv(V)  # column q: coefficients (by power) of the basis polynomial of node q
    out = np.zeros((Q, Q + 1))
    for q in range(Q):
        a = basis[:, q]
        integ = np.concatenate([[0.0], a / np.arange(1, Q + 1)])  # antiderivative, zero at x = 0
        integ[0] = -np.polyval(integ[::-1], -1.0)  # zero at x = -1
        out[q] = integ
    return out


def _number(field: str, value, fix: str) -> float:
    if isinstance(value, bool):
        raise SpecError(field, f"expected a number, got {value!r}", fix)
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise SpecError(field, f"expected a number, got {value!r}", fix) from None
    if not math.isfinite(x):
        raise SpecError(field, f"expected a finite number, got {value!r}", fix)
    return x


@dataclass(frozen=True)
class PriorComponent:
    """One bivariate normal component of a BLRM prior on (log alpha, log beta), with its weight."""

    weight: float
    mean: tuple[float, float]
    sd: tuple[float, float]
    corr: float = 0.0

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "weight", v.real("weight", self.weight, low=0.0, low_open=True, high=1.0))
        set_(self, "mean", Blrm._pair("mean", self.mean, positive=False))
        set_(self, "sd", Blrm._pair("sd", self.sd, positive=True))
        set_(
            self,
            "corr",
            v.real(
                "corr",
                self.corr,
                low=-1.0,
                high=1.0,
                low_open=True,
                high_open=True,
                fix="give a correlation strictly between -1 and 1 (the covariance must be positive definite)",
            ),
        )

    @property
    def cov(self) -> np.ndarray:
        s1, s2 = self.sd
        r = self.corr
        return np.array([[s1 * s1, r * s1 * s2], [r * s1 * s2, s2 * s2]])

    def to_dict(self) -> dict:
        return {"weight": self.weight, "mean": list(self.mean), "sd": list(self.sd), "corr": self.corr}

    @classmethod
    def from_value(cls, value, field: str) -> PriorComponent:
        if isinstance(value, PriorComponent):
            return value
        if not isinstance(value, dict):
            raise SpecError(field, f"expected a table, got {value!r}", "write [[design.prior]] blocks")
        v.no_unknown_keys(field, value, ["weight", "mean", "sd", "corr"])
        for key in ("weight", "mean", "sd"):
            if key not in value:
                raise SpecError(f"{field}.{key}", "missing", f"add {key} = ... to each [[design.prior]]")
        try:
            return cls(**value)
        except SpecError as e:
            raise SpecError(f"{field}.{e.field}", e.problem, e.fix) from None


@dataclass(frozen=True, kw_only=True)
class Blrm(Design):
    #: the DLT rate operating characteristics measure against (default: the target interval's midpoint)
    target: float | None = None
    reference_dose: float | None = None
    dose_unit: str = ""
    prior_mean: tuple[float, float] | None = None
    prior_sd: tuple[float, float] | None = None
    prior_corr: float | None = None
    #: a mixture of bivariate normal components instead of prior_mean/prior_sd/prior_corr
    prior: tuple[PriorComponent, ...] | None = None
    intervals: tuple[float, float] = (0.16, 0.33)
    ewoc: float = 0.25
    max_increment: float | None = 1.0
    increment_reference: str = "last_dose"
    no_skip: bool = True
    mtd_min_n: int = 6
    mtd_min_prob_target: float = 0.5
    mtd_min_total: int | None = None
    target_floor: float | None = None

    kind = "blrm"
    uses_posterior_cache = True
    declared_reasons: ClassVar[dict[int, str]] = REASON_NAMES

    def __post_init__(self):
        if self.doses is None:
            raise SpecError(
                "doses",
                "missing: the BLRM models real doses",
                "give doses = [numbers in dose_unit], e.g. doses = [1, 2.5, 5, 10]",
            )
        if isinstance(self.doses, str) or not hasattr(self.doses, "__len__"):
            raise SpecError(
                "doses", f"expected a list of dose amounts, got {self.doses!r}", "write e.g. [1, 2.5, 5]"
            )
        values = tuple(
            _number(f"doses[{i}]", x, "give every dose as a positive number in dose_unit")
            for i, x in enumerate(self.doses)
        )
        for i, x in enumerate(values):
            if x <= 0:
                raise SpecError(f"doses[{i}]", f"{x:g} is not a positive dose", "give positive dose amounts")
        if any(b <= a for a, b in zip(values, values[1:], strict=False)):
            raise SpecError("doses", f"must increase strictly, got {list(values)}", "sort the dose amounts")
        object.__setattr__(self, "doses", tuple(f"{x:.12g}" for x in values))
        if self.target is None:
            lo, hi = self._pair("intervals", self.intervals, positive=True)
            object.__setattr__(self, "target", 0.5 * (lo + hi))
        super().__post_init__()
        set_ = object.__setattr__
        if not isinstance(self.dose_unit, str):
            raise SpecError(
                "dose_unit", f"expected text, got {self.dose_unit!r}", 'write e.g. dose_unit = "mg"'
            )
        if self.reference_dose is None:
            raise SpecError(
                "reference_dose",
                "missing: the model's reference dose d* (logit p(d*) = log alpha)",
                f"give reference_dose = one of the doses, e.g. {self.doses[-1]}",
            )
        ref = _number("reference_dose", self.reference_dose, "give the reference dose d* as a number")
        if not values[0] <= ref <= values[-1]:
            raise SpecError(
                "reference_dose",
                f"{ref:g} is outside the dose range {values[0]:g}-{values[-1]:g}",
                "choose a reference dose within the doses (often the anticipated MTD)",
            )
        set_(self, "reference_dose", ref)
        if self.prior is not None:
            given = [f for f in ("prior_mean", "prior_sd", "prior_corr") if getattr(self, f) is not None]
            if given:
                raise SpecError(
                    given[0],
                    "given with a prior mixture ([[design.prior]])",
                    "give either the components or prior_mean/prior_sd/prior_corr, not both",
                )
            if isinstance(self.prior, (str, dict)) or not hasattr(self.prior, "__len__") or not self.prior:
                raise SpecError("prior", "expected a list of components", "write [[design.prior]] blocks")
            if len(self.prior) > L.BLRM_MAX_COMP:
                raise SpecError(
                    "prior",
                    f"{len(self.prior)} components",
                    f"use at most {L.BLRM_MAX_COMP} (merge or drop the lightest)",
                )
            comps = tuple(PriorComponent.from_value(c, f"prior[{i}]") for i, c in enumerate(self.prior))
            total = sum(c.weight for c in comps)
            if abs(total - 1.0) > 1e-6:
                raise SpecError(
                    "prior",
                    f"the component weights sum to {total:.6g}",
                    "make the weights sum to 1 (e.g. 0.8 informative + 0.2 weakly informative)",
                )
            set_(self, "prior", comps)
        else:
            if self.prior_mean is None:
                set_(self, "prior_mean", (math.log(self.target / (1 - self.target)), 0.0))
            set_(self, "prior_mean", self._pair("prior_mean", self.prior_mean, positive=False))
            set_(
                self,
                "prior_sd",
                self._pair("prior_sd", (2.0, 1.0) if self.prior_sd is None else self.prior_sd, positive=True),
            )
            try:
                single = PriorComponent(
                    1.0, self.prior_mean, self.prior_sd, 0.0 if self.prior_corr is None else self.prior_corr
                )
            except SpecError as e:
                raise SpecError(f"prior_{e.field}", e.problem, e.fix) from None
            set_(self, "prior_corr", single.corr)
        lo, hi = self._pair("intervals", self.intervals, positive=True)
        if not 0.0 < lo < hi < 1.0:
            raise SpecError(
                "intervals",
                f"[{lo:g}, {hi:g}] is not two increasing probabilities strictly between 0 and 1",
                "write e.g. intervals = [0.16, 0.33]",
            )
        set_(self, "intervals", (lo, hi))
        set_(self, "ewoc", v.probability("ewoc", self.ewoc, open_interval=True))
        if self.max_increment is not None:
            set_(
                self,
                "max_increment",
                v.real(
                    "max_increment",
                    self.max_increment,
                    low=0.0,
                    fix="give the largest relative dose increase, e.g. 1.0 for +100% (or leave it out)",
                ),
            )
        v.choice("increment_reference", self.increment_reference, ["last_dose", "highest_tried"])
        v.boolean("no_skip", self.no_skip)
        set_(self, "mtd_min_n", v.integer("mtd_min_n", self.mtd_min_n, low=0))
        set_(self, "mtd_min_prob_target", v.probability("mtd_min_prob_target", self.mtd_min_prob_target))
        if self.mtd_min_total is not None:
            set_(self, "mtd_min_total", v.integer("mtd_min_total", self.mtd_min_total, low=1))
        if self.target_floor is not None:
            set_(self, "target_floor", v.probability("target_floor", self.target_floor, open_interval=True))
        if self.modifiers:
            raise SpecError(
                "modifiers",
                "the BLRM has its own stopping rules and cap (mtd_min_n, max_increment, no_skip)",
                "remove [[design.modifiers]] and use the BLRM's fields",
            )

    @staticmethod
    def _pair(field: str, value, positive: bool) -> tuple[float, float]:
        if isinstance(value, str) or not hasattr(value, "__len__") or len(value) != 2:
            raise SpecError(field, f"expected two numbers, got {value!r}", f"write {field} = [a, b]")
        out = tuple(_number(f"{field}[{i}]", x, f"give {field} as two numbers") for i, x in enumerate(value))
        if positive and any(x <= 0 for x in out):
            raise SpecError(field, f"expected positive numbers, got {list(out)}", f"give positive {field}")
        return out  # type: ignore[return-value]

    # ---- model -------------------------------------------------------------------------------------
    @property
    def dose_values(self) -> np.ndarray:
        return np.array([float(x) for x in self.doses])

    @property
    def x(self) -> np.ndarray:
        """log(d / d*) per dose."""
        return np.log(self.dose_values / self.reference_dose)

    @property
    def components(self) -> tuple[PriorComponent, ...]:
        """The prior as a mixture (one component when prior_mean/prior_sd/prior_corr were given)."""
        if self.prior is not None:
            return self.prior
        return (PriorComponent(1.0, self.prior_mean, self.prior_sd, self.prior_corr),)

    @property
    def prior_cov(self) -> np.ndarray:
        """The covariance of a one-component prior."""
        if len(self.components) != 1:
            raise ValueError("a mixture prior has one covariance per component: see .components")
        return self.components[0].cov

    def prob_tox(self, log_alpha, log_beta) -> np.ndarray:
        """p(d) for every dose at (log alpha, log beta) (arrays broadcast; result [..., D])."""
        la = np.asarray(log_alpha, dtype=float)[..., None]
        lb = np.asarray(log_beta, dtype=float)[..., None]
        return 1.0 / (1.0 + np.exp(-(la + np.exp(lb) * self.x)))

    def _compile_base(self, ip, fp, tables, n_cap):
        D = self.n_doses
        ip[L.IP_KIND] = DesignKind.BLRM
        ip[L.IP_BLRM_N_U] = N_U
        ip[L.IP_BLRM_N_PANELS] = N_PANELS
        ip[L.IP_BLRM_N_GL] = N_GL
        ip[L.IP_BLRM_NO_SKIP] = int(self.no_skip)
        ip[L.IP_BLRM_INC_REF] = 0 if self.increment_reference == "last_dose" else 1
        ip[L.IP_BLRM_WORK] = 5 + N_PANELS + N_PANELS * N_GL
        ip[L.IP_BLRM_MTD_N] = self.mtd_min_n
        ip[L.IP_BLRM_MTD_TOTAL] = self.mtd_min_total or 0
        ip[L.IP_BLRM_N_COMP] = len(self.components)
        for k, comp in enumerate(self.components):
            c0 = L.FP_BLRM_COMP + L.BLRM_COMP_SIZE * k
            cov = comp.cov
            prec = np.linalg.inv(cov)
            fp[c0 : c0 + 2] = comp.mean
            fp[c0 + 2] = prec[0, 0]
            fp[c0 + 3] = prec[0, 1]
            fp[c0 + 4] = prec[1, 1]
            fp[c0 + 5] = -math.log(2 * math.pi) - 0.5 * math.log(np.linalg.det(cov))
            fp[c0 + 6] = comp.weight
        lo, hi = self.intervals
        fp[L.FP_BLRM_LOGIT_LOW] = math.log(lo / (1 - lo))
        fp[L.FP_BLRM_LOGIT_HIGH] = math.log(hi / (1 - hi))
        fp[L.FP_BLRM_EWOC] = self.ewoc
        fp[L.FP_BLRM_MAX_INC] = self.max_increment if self.max_increment is not None else -1.0
        fp[L.FP_BLRM_MTD_PROB] = self.mtd_min_prob_target
        fp[L.FP_BLRM_V_RANGE] = V_RANGE
        fp[L.FP_BLRM_TARGET_FLOOR] = self.target_floor if self.target_floor is not None else -1.0
        fp[L.FP_BLRM_X : L.FP_BLRM_X + D] = self.x
        fp[L.FP_BLRM_DOSE : L.FP_BLRM_DOSE + D] = self.dose_values
        width = max(N_U, N_GL + 1)
        grid = np.zeros((4 + N_GL, width))
        u = np.linspace(-U_RANGE, U_RANGE, N_U)
        w = np.full(N_U, u[1] - u[0])
        w[0] = w[-1] = 0.5 * (u[1] - u[0])
        grid[0, :N_U] = u
        grid[1, :N_U] = w
        nodes, weights = np.polynomial.legendre.leggauss(N_GL)
        grid[2, :N_GL] = nodes
        grid[3, :N_GL] = weights
        grid[4:, : N_GL + 1] = basis_integrals(nodes)
        return grid

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["doses"] = [float(x) for x in self.doses]  # amounts, as written
        if self.prior is not None:
            out["prior"] = [c.to_dict() for c in self.prior]
        return out

    def describe(self) -> str:
        unit = f" {self.dose_unit}" if self.dose_unit else ""
        return (
            f"{self.name} (blrm, target interval [{self.intervals[0]:g}, {self.intervals[1]:g}), EWOC "
            f"{self.ewoc:g}, reference dose {self.reference_dose:g}{unit}, max n {self.max_n})"
        )
