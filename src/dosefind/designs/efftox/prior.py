"""EffTox priors from elicited probabilities and a target effective sample size (Thall, Herrick, Nguyen,
Venier & Norris 2014, Clinical Trials 11:657-666).

The elicited inputs are the prior mean probabilities of toxicity and of efficacy at each dose and the
effective sample size (ESS) the prior should carry. The hyperparameters of the normal priors on
(mu_T, beta_T, mu_E, beta_E1) minimise the paper's penalised least squares, in the form trialr's
``get_efftox_priors`` implements (beta_E2 ~ N(0, 0.2^2) and psi ~ N(0, 1) fixed):

    sum_j (E pi_T(x_j) - tox_j)^2 + sum_j (E pi_E(x_j) - eff_j)^2
      + 0.1 ((ESS_T - ess_tox)^2 + (ESS_E - ess_eff)^2)
      + 0.2 ((sd mu_T - sd beta_T)^2 + (sd mu_E - sd beta_E1)^2)

where ESS_T is the mean over doses of the ESS of pi_T(x_j), each taken as the beta distribution with the
same mean m and variance v (ESS = a + b = m (1 - m) / v - 1), and likewise ESS_E.

Where trialr (and the paper's program) estimate E pi and Var pi from 10^4 random draws, here they are
exact up to quadrature: pi(x) = expit(Z) with Z normal (mean mu + beta x (+ beta_E2 x^2), variance
sd_mu^2 + sd_beta^2 x^2 (+ 0.2^2 x^4)), so each moment is a one-dimensional integral (Gauss-Legendre
panels over the unsaturated part of the sigmoid; Gauss-Hermite nodes fail here: at sd 20 the sigmoid is
a step between two nodes). The minimum is found by Nelder-Mead from fixed starts, each sub-model apart
(the objective separates), so the same inputs always give the same priors. Checked in tests against
adaptive quadrature and the paper's published hyperparameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

#: fixed prior standard deviations of beta_E2 and psi (the paper's and trialr's)
SD_BETA_E2 = 0.2
SD_PSI = 1.0
#: penalty weights of the paper's objective (ESS misfit, unequal intercept and slope sds)
W_ESS = 0.1
W_SD = 0.2
#: the moment integrals (in t = mean + sd z): Gauss-Legendre panels over the part of
#: [mean - Z_MAX sd, mean + Z_MAX sd] where the sigmoid is not saturated (|t| < T_SAT), panels no wider
#: than half the smaller of 1 and sd; beyond T_SAT expit is 0 or 1 to e^-40 and the normal tail is exact
#: (1e-12 in tests against adaptive quadrature, for sds from 0.05 to 25 and beyond)
Z_MAX = 10.0
T_SAT = 40.0
N_GAUSS = 8


@lru_cache(maxsize=1)
def _legendre() -> tuple[np.ndarray, np.ndarray]:
    u, w = np.polynomial.legendre.leggauss(N_GAUSS)
    return 0.5 * (u + 1.0), 0.5 * w  # on [0, 1]


def logistic_normal_moments(mean, sd) -> tuple[np.ndarray, np.ndarray]:
    """E expit(Z) and Var expit(Z) for Z ~ N(mean, sd^2), elementwise (1-D arrays or scalars)."""
    from scipy.special import ndtr

    shape = np.broadcast(np.asarray(mean), np.asarray(sd)).shape
    m = np.broadcast_to(np.asarray(mean, dtype=float), shape).ravel()
    s = np.broadcast_to(np.asarray(sd, dtype=float), shape).ravel()
    lo = np.maximum(m - Z_MAX * s, -T_SAT)
    hi = np.maximum(np.minimum(m + Z_MAX * s, T_SAT), lo)
    panels = int(np.ceil(np.max((hi - lo) / (0.5 * np.minimum(1.0, s))))) if m.size else 0
    panels = max(panels, 1)
    u, w = _legendre()
    width = (hi - lo) / panels
    starts = lo[:, None] + width[:, None] * np.arange(panels)[None, :]
    t = (starts[:, :, None] + width[:, None, None] * u[None, None, :]).reshape(m.size, -1)
    z = (t - m[:, None]) / s[:, None]
    weights = (
        width[:, None]
        * np.tile(w, panels)[None, :]
        * np.exp(-0.5 * z * z)
        / (np.sqrt(2 * np.pi) * s[:, None])
    )
    p = 0.5 * (1.0 + np.tanh(0.5 * t))  # expit without overflow
    # above hi expit is 1 (hi = T_SAT) or the normal mass negligible (hi = mean + Z_MAX sd); below lo, 0
    upper = ndtr((m - hi) / s)
    e1 = (p * weights).sum(axis=1) + upper
    e2 = (p * p * weights).sum(axis=1) + upper
    return e1.reshape(shape), np.maximum(e2 - e1 * e1, 0.0).reshape(shape)


def beta_ess(mean, var) -> np.ndarray:
    """The ESS a + b of the beta distribution with this mean and variance: m (1 - m) / v - 1."""
    m = np.asarray(mean, dtype=float)
    v = np.asarray(var, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):  # no variance left: a point mass, infinite ESS
        return np.where(v > 0.0, m * (1.0 - m) / v - 1.0, np.inf)


def prior_moments(x, prior_mean, prior_sd) -> dict:
    """Per dose, the prior mean and variance of pi_T and pi_E, and the mean ESS of each, for the normal
    priors (six means and sds in ``PARAMETERS`` order) at standardised doses ``x``."""
    x = np.asarray(x, dtype=float)
    mt, bt, me, b1, b2, _ = (float(a) for a in prior_mean)
    st, sbt, se, sb1, sb2, _ = (float(a) for a in prior_sd)
    tox_m, tox_v = logistic_normal_moments(mt + bt * x, np.sqrt(st**2 + (sbt * x) ** 2))
    eff_m, eff_v = logistic_normal_moments(
        me + b1 * x + b2 * x * x, np.sqrt(se**2 + (sb1 * x) ** 2 + (sb2 * x * x) ** 2)
    )
    return {
        "tox_mean": tox_m,
        "tox_var": tox_v,
        "eff_mean": eff_m,
        "eff_var": eff_v,
        "ess_tox": float(np.mean(beta_ess(tox_m, tox_v))),
        "ess_eff": float(np.mean(beta_ess(eff_m, eff_v))),
    }


@dataclass(frozen=True)
class ElicitedPrior:
    """The priors found, and how well they meet the elicited values."""

    prior_mean: tuple[float, ...]
    prior_sd: tuple[float, ...]
    tox_mean: tuple[float, ...]  # the prior's mean pi_T per dose
    eff_mean: tuple[float, ...]
    ess_tox: float
    ess_eff: float
    objective: float


def _theta(v: np.ndarray) -> tuple[tuple, tuple]:
    mean = (v[0], v[2], v[4], v[6], 0.0, 0.0)
    sd = (abs(v[1]), abs(v[3]), abs(v[5]), abs(v[7]), SD_BETA_E2, SD_PSI)
    return mean, sd


def objective(x, prior_tox, prior_eff, ess_tox, ess_eff, prior_mean, prior_sd) -> float:
    """The paper's penalised least squares (module docstring) at the given priors."""
    m = prior_moments(x, prior_mean, prior_sd)
    sq = float(np.sum((m["tox_mean"] - prior_tox) ** 2) + np.sum((m["eff_mean"] - prior_eff) ** 2))
    ess = (m["ess_tox"] - ess_tox) ** 2 + (m["ess_eff"] - ess_eff) ** 2
    sds = (prior_sd[0] - prior_sd[1]) ** 2 + (prior_sd[2] - prior_sd[3]) ** 2
    return sq + W_ESS * ess + W_SD * sds


#: Nelder-Mead's stopping rule (both must hold) and its bound on iterations per run
OPTIONS = {"xatol": 1e-6, "fatol": 1e-12, "maxiter": 4000}


def _submodel(x, target, ess, quadratic_sd):
    """The (intercept mean, sd, slope mean, sd) of one sub-model minimising its part of the objective
    (the objective is a sum of a toxicity part and an efficacy part with no parameter in common)."""
    from scipy.optimize import minimize

    def f(v):
        sd = np.sqrt(v[1] ** 2 + (v[3] * x) ** 2 + (quadratic_sd * x * x) ** 2)
        mean, var = logistic_normal_moments(v[0] + v[2] * x, sd)
        fit = float(np.sum((mean - target) ** 2))
        return fit + W_ESS * (float(np.mean(beta_ess(mean, var))) - ess) ** 2 + W_SD * (v[1] - v[3]) ** 2

    logit = np.log(target / (1.0 - target))
    slope, intercept = np.polyfit(x, logit, 1)
    best = None
    for start in ([0.0, 1.0, 0.0, 1.0], [intercept, 1.0, slope, 1.0]):  # trialr's start; the logit fit
        r = minimize(f, start, method="Nelder-Mead", options=OPTIONS)
        r = minimize(f, r.x, method="Nelder-Mead", options=OPTIONS)
        if best is None or r.fun < best.fun:
            best = r
    return best.x


@lru_cache(maxsize=64)
def elicit_prior(
    x: tuple[float, ...],
    prior_tox: tuple[float, ...],
    prior_eff: tuple[float, ...],
    ess_tox: float,
    ess_eff: float,
) -> ElicitedPrior:
    """The normal priors of the six EffTox parameters that minimise the paper's objective for the
    elicited mean probabilities at standardised doses ``x`` and the target ESS of each sub-model
    (Nelder-Mead from trialr's start and from the least-squares line through the elicited logits,
    restarted once, the better kept; the two sub-models are solved apart, as the objective separates)."""
    xs = np.asarray(x, dtype=float)
    tox = np.asarray(prior_tox, dtype=float)
    eff = np.asarray(prior_eff, dtype=float)
    vt = _submodel(xs, tox, ess_tox, 0.0)
    ve = _submodel(xs, eff, ess_eff, SD_BETA_E2)
    mean, sd = _theta(np.r_[vt, ve])
    m = prior_moments(xs, mean, sd)
    return ElicitedPrior(
        tuple(float(a) for a in mean),
        tuple(float(a) for a in sd),
        tuple(float(a) for a in m["tox_mean"]),
        tuple(float(a) for a in m["eff_mean"]),
        m["ess_tox"],
        m["ess_eff"],
        objective(xs, tox, eff, ess_tox, ess_eff, mean, sd),
    )
