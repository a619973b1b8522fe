"""Two-drug BLRM with escalation with overdose control (Neuenschwander, Matano, Tang, Roychoudhury, Wandel
& Bailey 2014), on a grid of two drugs' doses, as OncoBayes2's ``blrm_exnex`` models one trial.

Model: per drug i (A: rows of the grid, B: columns), logit p_i(d) = log alpha_i + beta_i log(d / d_i*)
with real doses (``doses_a``, ``doses_b``, numbers in ``dose_unit_a`` / ``dose_unit_b``) and reference
doses ``reference_dose_a`` / ``reference_dose_b``; no interaction: p0 = 1 - (1 - p_A)(1 - p_B); the
combination's odds are odds(p0) exp(eta h(dA, dB)) with ``interaction = "linear"`` (default, the 2014
paper and OncoBayes2's ``blrm_formula_linear``): h = (dA / dA*)(dB / dB*), or ``"saturating"``
(OncoBayes2's ``blrm_formula_saturating``, ``blrm_trial``'s default): h = 2 g / (1 + g) with g that
product. Prior: (log alpha_i, log beta_i) bivariate normal per drug (``prior_mean_a = [mean log alpha,
mean log beta]``, ``prior_sd_a``, ``prior_corr_a``; the same for b), eta ~ N(``prior_eta_mean``,
``prior_eta_sd``^2), independent. Defaults: the weakly informative prior of Neuenschwander et al. (2015)
per drug, log alpha ~ N(logit(target), 2^2), log beta ~ N(0, 1), and eta ~ N(0, 1.121^2) (OncoBayes2's
``example-combo2``).

Decision, per cell as the single-agent BLRM per dose: interval probabilities under ``intervals = [0.16,
0.33]`` (underdosing, target, overdosing); a cell is admissible when P(overdosing) <= ``ewoc`` (0.25);
the next cell is, among the admissible cells within the escalation cap, the one with the highest
P(target) (the lowest index on ties: lower drug A level, then drug B). The cap, relative to the current
cell (the last cell given): each drug at most ``max_increment_a`` / ``max_increment_b`` (1.0: +100%)
above its current dose; ``no_skip = true`` (default): no level of either drug more than one above the
highest level of that drug tried; ``no_diagonal = true`` (default false): no escalation of both drugs
at once. (OncoBayes2 flags EWOC per cell and leaves the choice to its users; these are the choices its
vignettes and Neuenschwander et al. 2014 describe.) No admissible cell within the cap: stop without a
dose. Stop and select the recommended cell when it has at least ``mtd_min_n`` patients (6) and
P(target) >= ``mtd_min_prob_target`` (0.5) or the trial has ``mtd_min_total`` patients. At ``max_n`` the
final selection is, among the cells tried, the admissible one with the highest P(target).

Posterior: deterministic quadrature around the mode (engine/blrm_comb.py): exact cuts along lines through
the prefixes (:data:`LEVELS`) of one scrambled Sobol sequence on the 4-D complement; decisions on the
cheapest level whose margins exceed :data:`SAFETY` times its error estimate (the change from the level
before), refined otherwise. Its error is measured in docs/notes/blrm-comb-quadrature.md: the accurate rule
is within 5e-5 of a four-times-larger rule (two scramblings) without data and with 15 patients, 1.7e-4
with 36 patients (not yet 1e-4 there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import numpy as np

from ...constants import DesignKind
from ...errors import SpecError
from .. import layout as L
from .. import validate as v
from ..blrm.spec import PriorComponent, _number, basis_integrals
from ..combination import CombinationDesign

#: the two-drug BLRM's own reason codes (engine/blrm_comb.py)
REASON_NAMES = {
    104: "BLRM_COMB_TARGET",
    105: "BLRM_COMB_CAPPED",
    106: "BLRM_COMB_NO_SAFE_CELL",
    107: "BLRM_COMB_MTD",
}
INTERACTIONS = ("linear", "saturating")
#: along each line: panels over +-V_RANGE conditional sds, Gauss-Legendre nodes per panel
N_PANELS = 6
V_RANGE = 7.0
N_GL = 8
#: the outer rule: one sequence of scrambled Sobol points (a fixed seed) through the normal quantile,
#: spread OUTER_SCALE times the Laplace covariance; its levels are prefixes of it (see BlrmComb.levels)
OUTER_SCALE = 1.3
#: the levels' sizes: level 0, the accurate rule (tables, and the decisions no cheaper level certifies),
#: to the cheapest level every decision tries first, then the base prefix the cheapest level's error
#: estimate is measured against
LEVELS = (16384, 4096, 1024, 256, 64)
#: a decision on level s > 0 needs every compared quantity more than SAFETY times the level's error
#: estimate (the largest change of any P(target) or P(overdosing) from the level before) from its
#: threshold or rival, the estimate taken at least EST_FLOOR: a level's largest distance to level 0 was
#: at most 3.0 times its estimate on 1,134 level-states (random states and a simulation's), so 5 leaves
#: a factor 1.7 (docs/notes/blrm-comb-quadrature.md)
SAFETY = 5.0
EST_FLOOR = 1e-5
#: eta's prior sd in OncoBayes2's example-combo2
ETA_SD = 1.121


def _amounts(field: str, values, n: int, what: str) -> tuple[float, ...]:
    if values is None:
        raise SpecError(
            field, "missing: the two-drug BLRM models real doses", f"give {field} = [{n} amounts]"
        )
    if isinstance(values, str) or not hasattr(values, "__len__"):
        raise SpecError(field, f"expected a list of dose amounts, got {values!r}", "write e.g. [1, 2.5, 5]")
    out = tuple(
        _number(f"{field}[{i}]", x, "give every dose as a positive number") for i, x in enumerate(values)
    )
    if len(out) != n:
        raise SpecError(
            field, f"{len(out)} doses for {n} levels of {what}", f"give one amount per level ({n})"
        )
    for i, x in enumerate(out):
        if x <= 0:
            raise SpecError(f"{field}[{i}]", f"{x:g} is not a positive dose", "give positive dose amounts")
    if any(b <= a for a, b in zip(out, out[1:], strict=False)):
        raise SpecError(field, f"must increase strictly, got {list(out)}", "sort the dose amounts")
    return out


@dataclass(frozen=True, kw_only=True)
class BlrmComb(CombinationDesign):
    target: float | None = None
    doses_a: tuple[float, ...] | None = None
    doses_b: tuple[float, ...] | None = None
    dose_unit_a: str = ""
    dose_unit_b: str = ""
    reference_dose_a: float | None = None
    reference_dose_b: float | None = None
    prior_mean_a: tuple[float, float] | None = None
    prior_sd_a: tuple[float, float] = (2.0, 1.0)
    prior_corr_a: float = 0.0
    prior_mean_b: tuple[float, float] | None = None
    prior_sd_b: tuple[float, float] = (2.0, 1.0)
    prior_corr_b: float = 0.0
    prior_eta_mean: float = 0.0
    prior_eta_sd: float = ETA_SD
    interaction: str = "linear"
    intervals: tuple[float, float] = (0.16, 0.33)
    ewoc: float = 0.25
    max_increment_a: float | None = 1.0
    max_increment_b: float | None = 1.0
    no_skip: bool = True
    no_diagonal: bool = False
    mtd_min_n: int = 6
    mtd_min_prob_target: float = 0.5
    mtd_min_total: int | None = None

    kind = "blrm_comb"
    uses_posterior_cache = True
    #: a decision reads only the counts after its cohort and the cohort's cell (no modifiers are allowed,
    #: no cell is eliminated, no uniform is drawn)
    independent_decisions = True
    declared_reasons: ClassVar[dict[int, str]] = REASON_NAMES

    def __post_init__(self):
        set_ = object.__setattr__
        if self.target is None:
            lo, hi = _pair("intervals", self.intervals, positive=True)
            set_(self, "target", 0.5 * (lo + hi))
        super().__post_init__()
        g = self.grid
        set_(self, "doses_a", _amounts("doses_a", self.doses_a, g.n_rows, f"drug A ({g.drug_a})"))
        set_(self, "doses_b", _amounts("doses_b", self.doses_b, g.n_cols, f"drug B ({g.drug_b})"))
        for name in ("dose_unit_a", "dose_unit_b"):
            if not isinstance(getattr(self, name), str):
                raise SpecError(
                    name, f"expected text, got {getattr(self, name)!r}", f'write e.g. {name} = "mg"'
                )
        for drug in ("a", "b"):
            field = f"reference_dose_{drug}"
            doses = getattr(self, f"doses_{drug}")
            if getattr(self, field) is None:
                raise SpecError(
                    field,
                    f"missing: drug {drug.upper()}'s reference dose d* (logit p(d*) = log alpha)",
                    f"give {field} = one of the doses, e.g. {doses[-1]:g}",
                )
            ref = _number(field, getattr(self, field), f"give {field} as a number")
            if not doses[0] <= ref <= doses[-1]:
                raise SpecError(
                    field,
                    f"{ref:g} is outside the dose range {doses[0]:g}-{doses[-1]:g}",
                    "choose a reference dose within the doses (often the anticipated MTD)",
                )
            set_(self, field, ref)
            mean = getattr(self, f"prior_mean_{drug}")
            if mean is None:
                mean = (math.log(self.target / (1 - self.target)), 0.0)
            try:
                comp = PriorComponent(
                    1.0, mean, getattr(self, f"prior_sd_{drug}"), getattr(self, f"prior_corr_{drug}")
                )
            except SpecError as e:
                raise SpecError(f"prior_{e.field}_{drug}", e.problem, e.fix) from None
            set_(self, f"prior_mean_{drug}", comp.mean)
            set_(self, f"prior_sd_{drug}", comp.sd)
            set_(self, f"prior_corr_{drug}", comp.corr)
        set_(self, "prior_eta_mean", _number("prior_eta_mean", self.prior_eta_mean, "give eta's prior mean"))
        set_(
            self,
            "prior_eta_sd",
            v.real(
                "prior_eta_sd", self.prior_eta_sd, low=0.0, low_open=True, fix="give eta's prior sd (> 0)"
            ),
        )
        v.choice("interaction", self.interaction, list(INTERACTIONS))
        lo, hi = _pair("intervals", self.intervals, positive=True)
        if not 0.0 < lo < hi < 1.0:
            raise SpecError(
                "intervals",
                f"[{lo:g}, {hi:g}] is not two increasing probabilities strictly between 0 and 1",
                "write e.g. intervals = [0.16, 0.33]",
            )
        set_(self, "intervals", (lo, hi))
        set_(self, "ewoc", v.probability("ewoc", self.ewoc, open_interval=True))
        for name in ("max_increment_a", "max_increment_b"):
            if getattr(self, name) is not None:
                set_(
                    self,
                    name,
                    v.real(
                        name,
                        getattr(self, name),
                        low=0.0,
                        fix="give the largest relative dose increase, e.g. 1.0 for +100% (or leave it out)",
                    ),
                )
        v.boolean("no_skip", self.no_skip)
        v.boolean("no_diagonal", self.no_diagonal)
        set_(self, "mtd_min_n", v.integer("mtd_min_n", self.mtd_min_n, low=0))
        set_(self, "mtd_min_prob_target", v.probability("mtd_min_prob_target", self.mtd_min_prob_target))
        if self.mtd_min_total is not None:
            set_(self, "mtd_min_total", v.integer("mtd_min_total", self.mtd_min_total, low=1))
        if self.modifiers:
            raise SpecError(
                "modifiers",
                "the two-drug BLRM has its own stopping rules and cap (mtd_min_n, max_increment_a/b)",
                "remove [[design.modifiers]] and use the design's fields",
            )

    # ---- model -------------------------------------------------------------------------------------
    @property
    def xa(self) -> np.ndarray:
        return np.log(np.asarray(self.doses_a) / self.reference_dose_a)

    @property
    def xb(self) -> np.ndarray:
        return np.log(np.asarray(self.doses_b) / self.reference_dose_b)

    @property
    def interaction_dose(self) -> np.ndarray:
        """h_jk [J, K]: the dose function eta multiplies."""
        g = np.outer(
            np.asarray(self.doses_a) / self.reference_dose_a, np.asarray(self.doses_b) / self.reference_dose_b
        )
        return g if self.interaction == "linear" else 2.0 * g / (1.0 + g)

    @property
    def prior_mean(self) -> np.ndarray:
        return np.array([*self.prior_mean_a, *self.prior_mean_b, self.prior_eta_mean])

    @property
    def prior_cov(self) -> np.ndarray:
        cov = np.zeros((5, 5))
        for i, drug in ((0, "a"), (2, "b")):
            s1, s2 = getattr(self, f"prior_sd_{drug}")
            r = getattr(self, f"prior_corr_{drug}")
            cov[i : i + 2, i : i + 2] = [[s1 * s1, r * s1 * s2], [r * s1 * s2, s2 * s2]]
        cov[4, 4] = self.prior_eta_sd**2
        return cov

    def logits(self, theta) -> np.ndarray:
        """logit p_jk for every cell (flat, row-major) at theta [..., 5] = (log alpha_A, log beta_A,
        log alpha_B, log beta_B, eta)."""
        th = np.asarray(theta, dtype=float)
        la = th[..., 0, None] + np.exp(th[..., 1])[..., None] * self.xa
        lb = th[..., 2, None] + np.exp(th[..., 3])[..., None] * self.xb
        s = np.logaddexp(0.0, la)[..., :, None] + np.logaddexp(0.0, lb)[..., None, :]
        s = np.maximum(s, 1e-300)
        lg = s + np.log(-np.expm1(-s)) + th[..., 4, None, None] * self.interaction_dose
        return lg.reshape(*th.shape[:-1], -1)

    def prob_tox(self, theta) -> np.ndarray:
        """p_jk for every cell (flat, row-major) at theta [..., 5]."""
        lg = self.logits(theta)
        e = np.exp(-np.abs(lg))
        return np.where(lg >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def decision_row_width(self) -> int:
        """The summary row and P(p >= target) per cell (engine/blrm_comb.py's ``extend_row``: a third cut
        on the same lines, the other columns unchanged to the last bit), so a meeting's table reads the
        last decision's row."""
        return L.POST_FIRST + 5 * self.n_doses

    def levels(self) -> tuple[int, ...]:
        """The outer rule's levels: prefixes of one point sequence, level 0 (the accurate rule) first, the
        base prefix (no decision is taken on it) last; at most five."""
        return LEVELS

    def _compile_base(self, ip, fp, tables, n_cap):
        J, K = self.grid.n_rows, self.grid.n_cols
        *levels, base = self.levels()
        z, lw = outer_points(levels[0])
        ip[L.IP_KIND] = DesignKind.BLRM_COMB
        ip[L.IP_BLRMC_NODES] = 0
        ip[L.IP_BLRMC_N_PANELS] = N_PANELS
        ip[L.IP_BLRMC_N_GL] = N_GL
        ip[L.IP_BLRMC_NO_SKIP] = int(self.no_skip)
        ip[L.IP_BLRMC_NO_DIAGONAL] = int(self.no_diagonal)
        ip[L.IP_BLRMC_WORK] = 1
        ip[L.IP_BLRMC_MTD_N] = self.mtd_min_n
        ip[L.IP_BLRMC_MTD_TOTAL] = self.mtd_min_total or 0
        ip[L.IP_BLRMC_N_SETS] = len(levels)
        lo, hi = self.intervals
        fp[L.FP_BLRMC_LOGIT_LOW] = math.log(lo / (1 - lo))
        fp[L.FP_BLRMC_LOGIT_HIGH] = math.log(hi / (1 - hi))
        fp[L.FP_BLRMC_EWOC] = self.ewoc
        fp[L.FP_BLRMC_MTD_PROB] = self.mtd_min_prob_target
        fp[L.FP_BLRMC_V_RANGE] = V_RANGE
        for s, size in enumerate(levels):
            fp[L.FP_BLRMC_SET_SIZE + s] = size
        fp[L.FP_BLRMC_SCALE] = OUTER_SCALE
        fp[L.FP_BLRMC_BASE_SIZE] = base
        fp[L.FP_BLRMC_SAFETY] = SAFETY
        fp[L.FP_BLRMC_EST_FLOOR] = EST_FLOOR
        width = max(J * K, 5, N_GL + 1, len(z))
        r0 = 14 + N_GL
        grid = np.zeros((r0 + 5, width))
        grid[0, :5] = self.prior_mean
        grid[1:6, :5] = np.linalg.inv(self.prior_cov)
        grid[6, :J] = self.xa
        grid[7, :K] = self.xb
        grid[8, : J * K] = self.interaction_dose.ravel()
        grid[9, :J] = self.doses_a
        grid[10, :K] = self.doses_b
        grid[11, 0] = -1.0 if self.max_increment_a is None else self.max_increment_a
        grid[11, 1] = -1.0 if self.max_increment_b is None else self.max_increment_b
        nodes, weights = np.polynomial.legendre.leggauss(N_GL)
        grid[12, :N_GL] = nodes
        grid[13, :N_GL] = weights
        grid[14 : 14 + N_GL, : N_GL + 1] = basis_integrals(nodes)
        grid[r0 : r0 + 4, : len(z)] = z.T
        grid[r0 + 4, : len(z)] = lw
        return grid

    def to_dict(self) -> dict:
        out = super().to_dict()
        for name in ("doses_a", "doses_b"):
            out[name] = list(getattr(self, name))
        return out

    def describe(self) -> str:
        g = self.grid
        return (
            f"{self.name} (blrm_comb, {g.drug_a} x {g.drug_b} grid {g.n_rows} x {g.n_cols}, target interval "
            f"[{self.intervals[0]:g}, {self.intervals[1]:g}), EWOC {self.ewoc:g}, {self.interaction} "
            f"interaction, max n {self.max_n})"
        )


#: the outer rule's uniforms, frozen: 16,384 x 4 integers k, the points are k / 2^30 (see
#: :func:`sobol_uniforms`, which wrote the file with scipy 1.17). Read from the file rather than generated,
#: so the rule does not depend on the installed scipy's scrambling and a meeting does not import
#: scipy.stats (about a second).
UNIFORMS_FILE = Path(__file__).with_name("outer_uniforms.npy")
UNIFORMS_SEED = 20261202


def sobol_uniforms(size: int) -> np.ndarray:
    """The outer rule's uniforms as scipy generates them (scrambled Sobol in 4 dimensions, 30 bits, seed
    :data:`UNIFORMS_SEED`), as integers k (the points are k / 2^30): what :data:`UNIFORMS_FILE` holds."""
    from scipy.stats import qmc

    u = qmc.Sobol(4, scramble=True, seed=UNIFORMS_SEED).random(size)
    return np.round(u * 2.0**30).astype(np.uint32)


@lru_cache(maxsize=4)
def outer_points(size: int):
    """(z [size, 4], log weight [size]): the outer rule's point sequence (scrambled Sobol, a fixed seed,
    through the normal quantile; every prefix of a power-of-two length is a net of its own) in standard
    normal coordinates, and the log of each point's weight divided by the standard normal density there."""
    from scipy.special import ndtri

    k = np.load(UNIFORMS_FILE)
    if size > len(k):
        raise ValueError(f"the outer rule has {len(k)} points, not {size}")
    z = ndtri(k[:size] / 2.0**30)
    return z, 0.5 * (z * z).sum(1)


def _pair(field: str, value, positive: bool) -> tuple[float, float]:
    if isinstance(value, str) or not hasattr(value, "__len__") or len(value) != 2:
        raise SpecError(field, f"expected two numbers, got {value!r}", f"write {field} = [a, b]")
    out = tuple(_number(f"{field}[{i}]", x, f"give {field} as two numbers") for i, x in enumerate(value))
    if positive and any(x <= 0 for x in out):
        raise SpecError(field, f"expected positive numbers, got {list(out)}", f"give positive {field}")
    return out  # type: ignore[return-value]
