"""CRM: the continual reassessment method (O'Quigley, Pepe & Fisher 1990; Cheung 2011).

One-parameter dose-toxicity models with skeleton s_1 < ... < s_D and a N(0, prior_sd^2) prior on b:

* ``model = "empiric"`` (power): p_d(b) = s_d ** exp(b)
* ``model = "logistic"`` (fixed intercept a0): p_d(b) = 1 / (1 + exp(-(a0 + exp(b) x_d))),
  x_d = logit(s_d) - a0, so p_d(0) = s_d.

The posterior of b is computed by quadrature on an equally spaced grid over +-``prior_range`` prior
standard deviations (trapezoid rule, exponentially accurate for these smooth integrands; tail
probabilities P(p_d > x) = P(b < b_x) by Gauss-Legendre on each side of the cut point b_x, over the
posterior's effective support, with exact integrand values). Defaults follow dfcrm
(Cheung 2011): prior_sd = sqrt(1.34), intercept 3. The number of nodes grows with the patient cap
(see :meth:`Crm.nodes_for`) so that posterior means and variances are accurate to 1e-7.

Dose choice (``dose_choice``): ``"plugin"`` (default, dfcrm) takes p_d at the posterior mean of b;
``"posterior_mean"`` takes the posterior mean of each p_d. The model dose is the one whose estimate is
closest to the target (lowest on ties). Restrictions applied to the model dose, in this order:

* ``no_skip_escalation`` (default true): at most one level above the reference dose, which is
  ``skip_reference = "last_dose"`` (default, dfcrm: the dose given to the last cohort) or
  ``"highest_tried"``.
* ``coherence``: ``"last_cohort"`` (default): no escalation above the last dose right after a cohort
  with a DLT; ``"last_cohort_rate"`` (dfcrm's ``restrict``): no escalation when the last cohort's
  DLT rate is at least the target (the same rule when cohort size x target <= 1); ``"off"``.
* ``safety_confidence`` (off by default, as in dfcrm): stop with no dose when
  P(p_1 > safety_threshold | data) > safety_confidence, once ``safety_min_n`` patients had dose 1.

Final selection: the model dose by the same dose-choice rule, unrestricted (dfcrm), or only among
tried doses with ``select_tried_only = true``.
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
from ..skeleton import calibrate_skeleton, resolve_skeleton

DFCRM_PRIOR_SD = math.sqrt(1.34)


@dataclass(frozen=True, kw_only=True)
class Crm(Design):
    skeleton: tuple[float, ...] | None = None
    skeleton_halfwidth: float | None = None
    skeleton_nu: int | None = None
    model: str = "empiric"
    intercept: float = 3.0
    prior_sd: float = DFCRM_PRIOR_SD
    dose_choice: str = "plugin"
    no_skip_escalation: bool = True
    skip_reference: str = "last_dose"
    coherence: str = "last_cohort"
    safety_confidence: float | None = None
    safety_threshold: float | None = None
    safety_min_n: int = 1
    select_tried_only: bool = False
    n_nodes: int | None = None
    prior_range: float = 8.0

    kind = "crm"
    uses_posterior_cache = True

    def __post_init__(self):
        super().__post_init__()
        set_ = object.__setattr__
        v.choice("model", self.model, ["empiric", "logistic"])
        set_(self, "intercept", v.real("intercept", self.intercept))
        skeleton = resolve_skeleton(
            self.skeleton,
            self.skeleton_halfwidth,
            self.skeleton_nu,
            self.n_doses,
            lambda hw, nu: calibrate_skeleton(self.target, hw, nu, self.n_doses, self.model, self.intercept),
            missing_fix="give skeleton = [p1, p2, ...] or skeleton_halfwidth and skeleton_nu "
            "(Lee & Cheung calibration)",
        )
        set_(self, "skeleton", skeleton)
        sk = self.skeleton
        if len(sk) != self.n_doses:
            raise SpecError(
                "skeleton",
                f"has {len(sk)} values for {self.n_doses} doses",
                "give one skeleton value per dose",
            )
        if any(b <= a for a, b in zip(sk, sk[1:], strict=False)):
            raise SpecError(
                "skeleton",
                f"must be strictly increasing, got {list(sk)}",
                "sort the values or recalibrate with skeleton_halfwidth/skeleton_nu",
            )
        if self.model == "logistic":
            top = 1.0 / (1.0 + math.exp(-self.intercept))
            if sk[-1] >= top or self.target >= top:
                raise SpecError(
                    "skeleton",
                    f"the logistic model with intercept {self.intercept:g} needs skeleton "
                    f"values and target below {top:.4g}",
                    "raise intercept or lower the skeleton",
                )
        set_(self, "prior_sd", v.real("prior_sd", self.prior_sd, low=0.0, low_open=True))
        v.choice("dose_choice", self.dose_choice, ["plugin", "posterior_mean"])
        v.boolean("no_skip_escalation", self.no_skip_escalation)
        v.choice("skip_reference", self.skip_reference, ["last_dose", "highest_tried"])
        v.choice("coherence", self.coherence, ["last_cohort", "last_cohort_rate", "off"])
        if self.safety_confidence is not None:
            set_(
                self,
                "safety_confidence",
                v.probability("safety_confidence", self.safety_confidence, open_interval=True),
            )
        if self.safety_threshold is not None:
            set_(
                self,
                "safety_threshold",
                v.probability("safety_threshold", self.safety_threshold, open_interval=True),
            )
        set_(self, "safety_min_n", v.integer("safety_min_n", self.safety_min_n, low=0))
        v.boolean("select_tried_only", self.select_tried_only)
        if self.n_nodes is not None:
            set_(self, "n_nodes", v.integer("n_nodes", self.n_nodes, low=33, high=20001))
        set_(self, "prior_range", v.real("prior_range", self.prior_range, low=4.0, high=40.0))

    # ---- model -------------------------------------------------------------------------------------
    def coefficients(self) -> np.ndarray:
        """log s_d (empiric) or x_d = logit(s_d) - a0 (logistic)."""
        s = np.asarray(self.skeleton)
        if self.model == "empiric":
            return np.log(s)
        return np.log(s / (1 - s)) - self.intercept

    def prob_tox(self, b) -> np.ndarray:
        """p_d(b) for every dose; b scalar or array (result [..., D])."""
        b = np.asarray(b, dtype=float)[..., None]
        c = self.coefficients()
        if self.model == "empiric":
            return np.exp(np.exp(b) * c)
        return 1.0 / (1.0 + np.exp(-(self.intercept + np.exp(b) * c)))

    def log_prob_tox(self, b) -> tuple[np.ndarray, np.ndarray]:
        """(log p_d(b), log(1 - p_d(b))) for b an array [K], computed stably; results [K, D]."""
        b = np.asarray(b, dtype=float)
        c = self.coefficients()
        if self.model == "empiric":
            logp = np.exp(b)[:, None] * c[None, :]
            logq = np.log(-np.expm1(logp))
        else:
            eta = self.intercept + np.exp(b)[:, None] * c[None, :]
            logp = -np.logaddexp(0.0, -eta)
            logq = -np.logaddexp(0.0, eta)
        return logp, logq

    def b_at(self, prob: float) -> np.ndarray:
        """Per dose, the parameter value b at which p_d(b) = prob (p_d decreases in b)."""
        c = self.coefficients()
        if self.model == "empiric":
            return np.log(math.log(prob) / c)
        return np.log((math.log(prob / (1 - prob)) - self.intercept) / c)

    def plugin_boundaries(self) -> np.ndarray:
        """Empiric model: per pair of neighbouring doses j, j + 1, the b at which p_j(b) + p_{j+1}(b) = 2
        target, where the plug-in choice moves from dose j to j + 1 as the posterior mean of b rises (p_d
        falls in b); bisection to the last bit. The certified decision path reads them
        (engine/crm_certify.py)."""
        c = self.coefficients()
        out = np.empty(self.n_doses - 1)
        for j in range(self.n_doses - 1):
            lo, hi = -60.0, 60.0  # p near 1 at lo, 0 at hi
            while True:
                mid = 0.5 * (lo + hi)
                if mid <= lo or mid >= hi:
                    break
                eb = math.exp(mid)
                if math.exp(eb * c[j]) + math.exp(eb * c[j + 1]) > 2.0 * self.target:
                    lo = mid
                else:
                    hi = mid
            out[j] = lo
        return out

    def _compile_base(self, ip, fp, tables, n_cap):
        D = self.n_doses
        ip[L.IP_KIND] = DesignKind.CRM
        ip[L.IP_CRM_DOSE_CHOICE] = 0 if self.dose_choice == "plugin" else 1
        ip[L.IP_CRM_NO_SKIP_ESC] = int(self.no_skip_escalation)
        ip[L.IP_CRM_SKIP_REFERENCE] = 0 if self.skip_reference == "last_dose" else 1
        ip[L.IP_CRM_COHERENCE] = {"off": 0, "last_cohort": 1, "last_cohort_rate": 2}[self.coherence]
        ip[L.IP_CRM_SAFETY] = int(self.safety_confidence is not None)
        grid = self.quadrature_grid(n_cap)
        ip[L.IP_CRM_N_NODES] = grid.shape[0]
        ip[L.IP_CRM_SELECT_TRIED] = int(self.select_tried_only)
        ip[L.IP_CRM_SAFETY_MIN_N] = self.safety_min_n
        ip[L.IP_CRM_MODEL] = 0 if self.model == "empiric" else 1
        fp[L.FP_CRM_INTERCEPT] = self.intercept
        fp[L.FP_CRM_PRIOR_SD] = self.prior_sd
        safety_threshold = self.safety_threshold if self.safety_threshold is not None else self.target
        fp[L.FP_CRM_SAFETY_CONFIDENCE] = self.safety_confidence if self.safety_confidence is not None else 2.0
        fp[L.FP_CRM_SAFETY_THRESHOLD] = safety_threshold
        fp[L.FP_CRM_BSTAR : L.FP_CRM_BSTAR + D] = self.b_at(self.target)
        fp[L.FP_CRM_BSAFE : L.FP_CRM_BSAFE + D] = self.b_at(safety_threshold)
        fp[L.FP_CRM_COEF : L.FP_CRM_COEF + D] = self.coefficients()
        fp[L.FP_CRM_LP_MAX] = float(np.max(np.abs(grid[:, L.GRID_LOGPRIOR])))
        if self.model == "empiric":
            fp[L.FP_CRM_MID : L.FP_CRM_MID + D - 1] = self.plugin_boundaries()
        nodes, weights = np.polynomial.legendre.leggauss(L.N_GL)
        fp[L.FP_GL_NODES : L.FP_GL_NODES + L.N_GL] = nodes
        fp[L.FP_GL_WEIGHTS : L.FP_GL_WEIGHTS + L.N_GL] = weights
        return grid

    def nodes_for(self, n_cap: int) -> int:
        """Quadrature nodes: the given ``n_nodes``, else enough for 1e-7 accuracy with n_cap patients.

        The posterior of b narrows like 1/sqrt(n) (faster for the logistic model), and the trapezoid
        rule's error falls like exp(-2 pi^2 sd^2 / h^2); the constants were measured against adaptive
        quadrature (tests/unit/test_crm_posterior.py).
        """
        if self.n_nodes is not None:
            return self.n_nodes
        per_root_n = 16.0 if self.model == "empiric" else 32.0
        k = int(math.ceil(per_root_n * math.sqrt(max(n_cap, 36)) / 32.0)) * 32
        return k + 1

    def quadrature_grid(self, n_cap: int | None = None) -> np.ndarray:
        D = self.n_doses
        K = self.nodes_for(self.max_n if n_cap is None else n_cap)
        half = self.prior_range * self.prior_sd
        b = np.linspace(-half, half, K)
        h = b[1] - b[0]
        grid = np.empty((K, L.GRID_FIRST + 3 * D))
        grid[:, L.GRID_LOGPRIOR] = -0.5 * (b / self.prior_sd) ** 2 - math.log(
            self.prior_sd * math.sqrt(2 * math.pi)
        )
        grid[:, L.GRID_B] = b
        w = np.full(K, h)
        w[0] = w[-1] = h / 2
        grid[:, L.GRID_W] = w
        logp, logq = self.log_prob_tox(b)
        F = L.GRID_FIRST
        grid[:, F : F + D] = logp
        grid[:, F + D : F + 2 * D] = logq
        grid[:, F + 2 * D : F + 3 * D] = np.exp(logp)
        return grid
