"""EffTox: the Bayesian phase I/II design of Thall & Cook (2004, Biometrics 60:684-693), which chooses
doses by the trade-off between efficacy and toxicity; priors as in Thall, Herrick, Nguyen, Venier &
Norris (2014, Clinical Trials 11:657-666), given as numbers.

Doses are real amounts (``doses``, in ``dose_unit``), standardised as x_j = log d_j - mean(log d).
Model: logit pi_T(x) = mu_T + beta_T x, logit pi_E(x) = mu_E + beta_E1 x + beta_E2 x^2, and efficacy and
toxicity of a patient joined by the association parameter psi (Thall & Cook's pi_ab formula,
engine/efftox.py). Independent normal priors on (mu_T, beta_T, mu_E, beta_E1, beta_E2, psi):
``prior_mean`` and ``prior_sd``, six numbers each in that order (trialr's alpha, beta, gamma, zeta, eta,
psi). The example of Thall et al. (2014), trialr's ``efftox_parameters_demo``, is
``examples/designs/efftox.toml``. Or elicited, as Thall et al. (2014) derive them: ``prior_tox`` and
``prior_eff`` (the prior mean probabilities at each dose) and ``prior_ess`` (the effective sample size
of each sub-model's prior, one number or [toxicity, efficacy]; default 0.9), solved by
:mod:`dosefind.designs.efftox.prior` (``examples/designs/efftox-elicited.toml``).

Acceptable dose: P(pi_T < ``tox_limit`` | data) > ``p_tox`` and P(pi_E > ``eff_limit`` | data) > ``p_eff``
(the two hurdles; 0.1 and 0.1 in Thall et al. 2014). With ``no_skip = true`` (default, trialr's rule)
a dose is acceptable only if it is at most one level below the lowest dose tried and one above the
highest tried, so untried doses are never skipped.

Utility of a dose: the desirability of its posterior mean probabilities, 1 - ||((1 - pi_E) / (1 - eff0),
pi_T / tox1)||_p, the L^p contour of utility 0 through (``eff0``, 0), (1, ``tox1``) and (``eff_star``,
``tox_star``) (p solves ((1 - eff_star) / (1 - eff0))^p + (tox_star / tox1)^p = 1), as trialr and the MD
Anderson software.

After each cohort the next dose is the acceptable dose with the highest utility (ties: the lower dose);
no acceptable dose: stop, no dose selected. At ``max_n`` the selected dose is the one the same rule gives
on the final data. ``target`` (default ``tox_limit``) is not used by the decisions; operating
characteristics use it for the toxicity-only metrics.

Posterior: a deterministic rule (Laplace mode + importance sampling on a fixed scrambled Sobol set from
a multivariate t, with the Laplace Gaussian as a control variate, engine/efftox.py), measured against a
reference integration and PyMC in docs/notes/efftox-conventions.md.
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

PARAMETERS = ("mu_T", "beta_T", "mu_E", "beta_E1", "beta_E2", "psi")
#: the largest max_n: a dose's (patients, DLTs) and (responses, both) are packed into int16 cache keys
MAX_PATIENTS = 180
#: importance-sampling points (a power of two: a scrambled Sobol set); measured in the conventions note
N_POINTS = 1024
SOBOL_SEED = 20040915
#: degrees of freedom of the multivariate t the points follow
T_DF = 5.0
#: ... placed at the posterior mode with this scale on the Laplace covariance's Cholesky factor
T_SCALE = 1.25


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


def _six(field: str, value, positive: bool) -> tuple[float, ...]:
    fix = f"write {field} = [six numbers for {', '.join(PARAMETERS)}]"
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 6:
        raise SpecError(field, f"expected six numbers, got {value!r}", fix)
    out = tuple(_number(f"{field}[{i}]", x, fix) for i, x in enumerate(value))
    if positive and any(x <= 0 for x in out):
        raise SpecError(field, f"expected positive standard deviations, got {list(out)}", fix)
    return out


def solve_p(eff0: float, tox1: float, eff_star: float, tox_star: float) -> float:
    """The L^p exponent whose utility-0 contour passes through (eff0, 0), (1, tox1), (eff_star, tox_star):
    the root of a^p + b^p = 1, a = (1 - eff_star) / (1 - eff0), b = tox_star / tox1 (bisection)."""
    a = (1.0 - eff_star) / (1.0 - eff0)
    b = tox_star / tox1
    lo, hi = 1e-9, 1.0
    while a**hi + b**hi > 1.0:
        hi *= 2.0
        if hi > 1e6:  # pragma: no cover - excluded by validation (a, b < 1)
            raise SpecError("eff_star", "the contour through the three points has no exponent", "")
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if a**mid + b**mid > 1.0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@lru_cache(maxsize=8)
def point_set(n_points: int, df: float, scale: float = T_SCALE) -> np.ndarray:
    """[n_points, 8]: scrambled Sobol points (fixed seed) mapped to a standard 6-variate t with ``df``
    degrees of freedom (columns 0-5), the log of its density there up to a constant (column 6), and the
    self-normalised weights of the Laplace Gaussian at the points placed with ``scale`` (column 7: density
    exp(-scale^2 |t|^2 / 2) over the t's; the control variate's weights, the same for every state)."""
    from scipy.special import chdtri, ndtri
    from scipy.stats import qmc

    u = qmc.Sobol(d=7, scramble=True, seed=SOBOL_SEED).random(n_points)
    u = np.clip(u, 1e-12, 1.0 - 1e-12)
    z = ndtri(u[:, :6])
    w = chdtri(df, u[:, 6])  # upper-tail quantile: a chi-square(df) variate
    t = z / np.sqrt(w / df)[:, None]
    out = np.zeros((n_points, 8))
    out[:, :6] = t
    out[:, 6] = -0.5 * (df + 6.0) * np.log1p((t * t).sum(axis=1) / df)
    log_g = -0.5 * scale * scale * (t * t).sum(axis=1) - out[:, 6]
    g = np.exp(log_g - log_g.max())
    out[:, 7] = g / g.sum()
    out.setflags(write=False)
    return out


@dataclass(frozen=True, kw_only=True)
class EffTox(Design):
    #: toxicity-only operating characteristics measure against it (default: tox_limit); decisions ignore it
    target: float | None = None
    dose_unit: str = ""
    tox_limit: float = 0.3
    eff_limit: float = 0.5
    p_tox: float = 0.1
    p_eff: float = 0.1
    eff0: float = 0.5
    tox1: float = 0.65
    eff_star: float = 0.7
    tox_star: float = 0.25
    prior_mean: tuple[float, ...] | None = None
    prior_sd: tuple[float, ...] | None = None
    #: or elicited: prior mean probabilities per dose and the target effective sample size (prior.py)
    prior_tox: tuple[float, ...] | None = None
    prior_eff: tuple[float, ...] | None = None
    prior_ess: float | tuple[float, float] | None = None
    no_skip: bool = True

    kind = "efftox"
    uses_efficacy: ClassVar[bool] = True
    uses_posterior_cache: ClassVar[bool] = True

    def __post_init__(self):
        if self.doses is None:
            raise SpecError(
                "doses",
                "missing: EffTox models real doses (x = log dose - mean log dose)",
                "give doses = [numbers in dose_unit], e.g. doses = [1, 2, 4, 6.6, 10]",
            )
        if isinstance(self.doses, str) or not hasattr(self.doses, "__len__") or len(self.doses) < 2:
            raise SpecError(
                "doses", f"expected a list of two or more dose amounts, got {self.doses!r}", "e.g. [1, 2, 4]"
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
        set_ = object.__setattr__
        for name in ("tox_limit", "eff_limit", "p_tox", "p_eff"):
            set_(
                self,
                name,
                v.probability(
                    name, getattr(self, name), open_interval=True, fix=f"give {name} strictly between 0 and 1"
                ),
            )
        if self.target is None:
            set_(self, "target", self.tox_limit)
        super().__post_init__()
        if not isinstance(self.dose_unit, str):
            raise SpecError(
                "dose_unit", f"expected text, got {self.dose_unit!r}", 'write e.g. dose_unit = "mg"'
            )
        for name in ("eff0", "tox1", "eff_star", "tox_star"):
            set_(
                self,
                name,
                v.probability(
                    name,
                    getattr(self, name),
                    open_interval=True,
                    fix=f"give {name} strictly between 0 and 1 (a point of the utility contour)",
                ),
            )
        if not self.eff0 < self.eff_star:
            raise SpecError(
                "eff_star",
                f"{self.eff_star:g} is not above eff0 = {self.eff0:g}",
                "the intermediate point needs more efficacy than (eff0, 0)",
            )
        if not self.tox_star < self.tox1:
            raise SpecError(
                "tox_star",
                f"{self.tox_star:g} is not below tox1 = {self.tox1:g}",
                "the intermediate point needs less toxicity than (1, tox1)",
            )
        elicited = (self.prior_tox, self.prior_eff, self.prior_ess)
        if any(e is not None for e in elicited):
            if self.prior_mean is not None or self.prior_sd is not None:
                given = "prior_mean" if self.prior_mean is not None else "prior_sd"
                raise SpecError(
                    given,
                    "given together with elicited priors (prior_tox, prior_eff, prior_ess)",
                    f"remove {given}, or remove prior_tox, prior_eff and prior_ess",
                )
            self._elicit_prior()
        if self.prior_mean is None or self.prior_sd is None:
            missing = "prior_mean" if self.prior_mean is None else "prior_sd"
            raise SpecError(
                missing,
                "missing: EffTox needs normal priors on its six parameters",
                f"give {missing} = [six numbers for {', '.join(PARAMETERS)}] (e.g. Thall et al. 2014's, "
                "examples/designs/efftox.toml), or elicit them: prior_tox and prior_eff (mean probabilities "
                "per dose) with prior_ess (examples/designs/efftox-elicited.toml)",
            )
        set_(self, "prior_mean", _six("prior_mean", self.prior_mean, positive=False))
        set_(self, "prior_sd", _six("prior_sd", self.prior_sd, positive=True))
        v.boolean("no_skip", self.no_skip)
        if self.max_n > MAX_PATIENTS:
            raise SpecError(
                "max_n", f"{self.max_n} is more than EffTox allows", f"use max_n <= {MAX_PATIENTS}"
            )
        if self.modifiers:
            raise SpecError(
                "modifiers",
                "EffTox has its own rules (acceptability, no_skip, max_n)",
                "remove [[design.modifiers]] and use EffTox's fields",
            )

    def _elicit_prior(self) -> None:
        """prior_mean and prior_sd from prior_tox, prior_eff and prior_ess (Thall et al. 2014)."""
        from .prior import elicit_prior

        D = len(self.doses)
        probs = {}
        for name in ("prior_tox", "prior_eff"):
            value = getattr(self, name)
            fix = f"give {name} = [{D} prior mean probabilities, one per dose, each strictly between 0 and 1]"
            if value is None:
                raise SpecError(name, "missing: elicited priors need prior_tox and prior_eff", fix)
            if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != D:
                raise SpecError(name, f"expected {D} probabilities (one per dose), got {value!r}", fix)
            probs[name] = tuple(
                v.probability(f"{name}[{i}]", x, open_interval=True, fix=fix) for i, x in enumerate(value)
            )
        ess = 0.9 if self.prior_ess is None else self.prior_ess
        fix = "give prior_ess = a positive number (e.g. 0.9), or [for toxicity, for efficacy]"
        if isinstance(ess, (list, tuple)):
            if len(ess) != 2:
                raise SpecError("prior_ess", f"expected one number or two, got {ess!r}", fix)
            pair = tuple(_number(f"prior_ess[{i}]", x, fix) for i, x in enumerate(ess))
        else:
            pair = (_number("prior_ess", ess, fix),) * 2
        if any(x <= 0 or x > 100 for x in pair):
            raise SpecError("prior_ess", f"{list(pair)} is not an effective sample size in (0, 100]", fix)
        set_ = object.__setattr__
        set_(self, "prior_tox", probs["prior_tox"])
        set_(self, "prior_eff", probs["prior_eff"])
        set_(self, "prior_ess", pair[0] if pair[0] == pair[1] else pair)
        found = elicit_prior(tuple(float(a) for a in self.x), probs["prior_tox"], probs["prior_eff"], *pair)
        set_(self, "prior_mean", found.prior_mean)
        set_(self, "prior_sd", found.prior_sd)

    @property
    def elicited_prior(self):
        """How the elicited priors meet prior_tox, prior_eff and prior_ess
        (:class:`~dosefind.designs.efftox.prior.ElicitedPrior`), or None when the priors were given."""
        if self.prior_tox is None:
            return None
        from .prior import elicit_prior

        return elicit_prior(
            tuple(float(a) for a in self.x), self.prior_tox, self.prior_eff, *self.prior_ess_pair
        )

    @property
    def prior_ess_pair(self) -> tuple[float, float] | None:
        """The target ESS of the toxicity and the efficacy sub-model (None when the priors were given)."""
        if self.prior_ess is None:
            return None
        return self.prior_ess if isinstance(self.prior_ess, tuple) else (self.prior_ess, self.prior_ess)

    # ---- model -------------------------------------------------------------------------------------
    @property
    def dose_values(self) -> np.ndarray:
        return np.array([float(x) for x in self.doses])

    @property
    def x(self) -> np.ndarray:
        """Standardised doses log d - mean(log d)."""
        lg = np.log(self.dose_values)
        return lg - lg.mean()

    @property
    def p(self) -> float:
        """The L^p exponent of the utility contours."""
        return solve_p(self.eff0, self.tox1, self.eff_star, self.tox_star)

    def utility(self, prob_eff, prob_tox):
        """1 - ||((1 - pi_E) / (1 - eff0), pi_T / tox1)||_p (arrays broadcast)."""
        p = self.p
        a = (1.0 - np.asarray(prob_eff, dtype=float)) / (1.0 - self.eff0)
        b = np.asarray(prob_tox, dtype=float) / self.tox1
        return 1.0 - (a**p + b**p) ** (1.0 / p)

    def probabilities(self, theta) -> tuple[np.ndarray, np.ndarray]:
        """(pi_T, pi_E) per dose at parameter vectors ``theta`` [..., 6] (result [..., D])."""
        th = np.asarray(theta, dtype=float)
        x = self.x
        et = th[..., 0:1] + th[..., 1:2] * x
        ee = th[..., 2:3] + th[..., 3:4] * x + th[..., 4:5] * x * x
        return 1.0 / (1.0 + np.exp(-et)), 1.0 / (1.0 + np.exp(-ee))

    # ---- the phase I/II protocol (oc/utility.py) ---------------------------------------------------
    def true_utilities(self, prob_tox, prob_eff, prob_both):
        """The true utility per dose: the utility of the true marginal probabilities."""
        return self.utility(prob_eff, prob_tox)

    def acceptable_truth(self, prob_tox, prob_eff, tol: float):
        """Doses whose true probabilities pass both limits (to ``tol``)."""
        p = np.asarray(prob_tox, dtype=float)
        q = np.asarray(prob_eff, dtype=float)
        return (p < self.tox_limit + tol) & (q > self.eff_limit - tol)

    def _compile_base(self, ip, fp, tables, n_cap):
        D = self.n_doses
        ip[L.IP_KIND] = DesignKind.EFFTOX
        ip[L.IP_EFT_N_POINTS] = N_POINTS
        ip[L.IP_EFT_NO_SKIP] = int(self.no_skip)
        ip[L.IP_EFT_WORK] = N_POINTS + 6 * D
        fp[L.FP_EFT_LOGIT_TOX_LIMIT] = math.log(self.tox_limit / (1 - self.tox_limit))
        fp[L.FP_EFT_LOGIT_EFF_LIMIT] = math.log(self.eff_limit / (1 - self.eff_limit))
        fp[L.FP_EFT_P_TOX] = self.p_tox
        fp[L.FP_EFT_P_EFF] = self.p_eff
        fp[L.FP_EFT_EFF0] = self.eff0
        fp[L.FP_EFT_TOX1] = self.tox1
        fp[L.FP_EFT_P] = self.p
        fp[L.FP_EFT_PRIOR_MEAN : L.FP_EFT_PRIOR_MEAN + 6] = self.prior_mean
        fp[L.FP_EFT_PRIOR_SD : L.FP_EFT_PRIOR_SD + 6] = self.prior_sd
        fp[L.FP_EFT_X : L.FP_EFT_X + D] = self.x
        fp[L.FP_EFT_T_SCALE] = T_SCALE
        return point_set(N_POINTS, T_DF).copy()

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["doses"] = [float(x) for x in self.doses]
        if self.prior_tox is not None:  # the elicited inputs, which give back the same priors
            del out["prior_mean"], out["prior_sd"]
        return out

    def describe(self) -> str:
        unit = f" {self.dose_unit}" if self.dose_unit else ""
        return (
            f"{self.name} (efftox, P(pi_T < {self.tox_limit:g}) > {self.p_tox:g}, "
            f"P(pi_E > {self.eff_limit:g}) > {self.p_eff:g}, doses {', '.join(self.doses)}{unit}, "
            f"max n {self.max_n})"
        )
