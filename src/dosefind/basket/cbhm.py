"""The calibrated Bayesian hierarchical model of Chu & Yuan (2018): the tuning (a, b) of sigma^2 = exp(a +
b log T), and the posterior given sigma^2 (one outer integral over the hierarchy's mean mu).

Calibration (``coefficients``): every cohort's final data are simulated ``calibration_trials`` times under
the homogeneous scenario (every rate q1) and under the K - 1 heterogeneous ones (the first i cohorts at their
q0, the rest at q1), patient i of cohort k responding iff the latent uniform of (``calibration_seed``,
scenario i, trial, k * 2^20 + i) is below the rate (:func:`kernels.response_counts`). T_H is the median of T
(Pearson's chi-square, 0 when nobody or everybody responded) under the homogeneous scenario, T_L the
smallest (or the median) of the heterogeneous medians, and

    b = log(sigma2_weak / sigma2_strong) / log(T_L / T_H),    a = log(sigma2_strong) - b log T_H,

so that sigma^2(T_H) = sigma2_strong and sigma^2(T_L) = sigma2_weak.

Posterior (``cbhm_probabilities``): the likelihood of every reachable (n, x) is tabulated once per design
and cohorts on a fine grid of theta anchored at a cut logit q0; each data vector then costs one pass of
:func:`kernels.cbhm_posterior` (the rule and its error terms are in its docstring).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from .kernels import cbhm_posterior, cbhm_sigma2, response_counts
from .spec import SIGMA2_MIN, Cbhm, Cohort

#: acc in the kernel: the trapezoid rules' step is acc / sqrt(curvature bound); exp(-2 pi^2 / acc^2) = e^-25
ACCURACY = math.sqrt(2.0 * math.pi**2 / 25.0)
NODE_CAP = 20_000
GRID_REACH = 30.0  # the grid covers [-30, 30] (and every cut +- 1); beyond it the binomial is log-linear


def chi_square(n, x) -> np.ndarray:
    """Pearson's chi-square of each data vector's 2 x K table (0 when the pooled rate is 0 or 1)."""
    n = np.atleast_2d(np.asarray(n, dtype=np.int64))
    x = np.atleast_2d(np.asarray(x, dtype=np.int64))
    _, t = cbhm_sigma2(n, x, 0.0, 0.0, 0.0, 1.0)
    return t


@dataclass(frozen=True)
class Calibration:
    a: float
    b: float
    t_homogeneous: float
    t_heterogeneous: float
    medians: tuple[float, ...]  # the heterogeneous scenarios' medians, i = 1..K-1 cohorts at q0


def calibrate(design: Cbhm, cohorts: tuple[Cohort, ...]) -> Calibration:
    """T_H, T_L and the (a, b) that map them to sigma2_strong and sigma2_weak (see the module doc)."""
    k = len(cohorts)
    sizes = np.array([[c.n] for c in cohorts], dtype=np.int64)
    n = np.repeat(sizes[:, 0][None, :], design.calibration_trials, axis=0)
    q0 = np.array([c.q0 for c in cohorts])

    def median_t(key: int, rates) -> float:
        counts = response_counts(
            np.int64(design.calibration_seed),
            np.int64(key),
            np.int64(0),
            design.calibration_trials,
            np.asarray(rates, dtype=float),
            sizes,
        )
        return float(np.median(chi_square(n, counts[:, :, 0])))

    t_h = median_t(0, np.full(k, design.q1))
    medians = tuple(median_t(i, np.where(np.arange(k) < i, q0, design.q1)) for i in range(1, k))
    t_l = min(medians) if design.heterogeneous == "min" else float(np.median(medians))
    if not (t_h > 0 and t_l > t_h):
        raise SpecError(
            "q1",
            f"the calibration's medians of T are {t_h:.3g} (homogeneous) and {t_l:.3g} (heterogeneous)",
            "raise q1 above q0 or the cohort sizes so that heterogeneity shows in T, or give a and b",
        )
    b = math.log(design.sigma2_weak / design.sigma2_strong) / math.log(t_l / t_h)
    a = math.log(design.sigma2_strong) - b * math.log(t_h)
    return Calibration(a, b, t_h, t_l, medians)


@functools.lru_cache(maxsize=16)
def _calibration(design: Cbhm, cohorts: tuple[Cohort, ...]) -> Calibration:
    return calibrate(design, cohorts)


def coefficients(design: Cbhm, cohorts: tuple[Cohort, ...]) -> tuple[float, float]:
    """(a, b): the design's own or calibrated (cached per design and cohorts)."""
    if design.a is not None:
        return design.a, design.b
    c = _calibration(design, cohorts)
    return c.a, c.b


def sigma2_of(design: Cbhm, cohorts: tuple[Cohort, ...], n, x) -> tuple[np.ndarray, np.ndarray]:
    """(sigma^2, T) for each data vector."""
    a, b = coefficients(design, cohorts)
    n = np.atleast_2d(np.asarray(n, dtype=np.int64))
    x = np.atleast_2d(np.asarray(x, dtype=np.int64))
    return cbhm_sigma2(n, x, a, b, SIGMA2_MIN, design.sigma2_max)


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


@dataclass(frozen=True)
class CbhmGrid:
    """The fine theta grid theta_i = c0 + (i - i0) h_fine and the scaled binomial likelihood per (n, x)."""

    c0: float
    h_fine: float
    i0: int
    theta: np.ndarray
    expit: np.ndarray
    row: dict  # (n, x) -> row
    lik: np.ndarray
    lmax: np.ndarray


def _h_target(s2: float, n_max: float, k: int, sd0: float) -> float:
    """The smallest step the kernel can ask for at this sigma^2 (its curvature bounds, largest info)."""
    return ACCURACY / math.sqrt(max(n_max / 4.0 + 1.0 / s2, (2.0 + k) / s2 + 1.0 / sd0**2))


def _lik_rows(theta: np.ndarray, pairs) -> tuple[np.ndarray, np.ndarray]:
    ns = np.array([p[0] for p in pairs], dtype=float)[:, None]
    xs = np.array([p[1] for p in pairs], dtype=float)[:, None]
    log_lik = xs * theta[None, :] - ns * np.logaddexp(0.0, theta[None, :])
    lmax = log_lik.max(axis=1)
    return np.exp(log_lik - lmax[:, None]), lmax


def build_grid(design: Cbhm, cohorts: tuple[Cohort, ...], s2_min: float, n_max: int) -> CbhmGrid:
    cuts = [_logit(c.q0) for c in cohorts]
    c0 = max(set(cuts), key=cuts.count)
    h_fine = 0.5
    while h_fine > _h_target(s2_min, n_max, len(cohorts), design.mu_sd):
        h_fine /= 2.0
    lo = min(-GRID_REACH, min(cuts) - 1.0)
    hi = max(GRID_REACH, max(cuts) + 1.0)
    i0 = int(math.ceil((c0 - lo) / h_fine))
    m = i0 + int(math.ceil((hi - c0) / h_fine)) + 1
    theta = c0 + (np.arange(m) - i0) * h_fine
    pairs = sorted({(nn, xx) for c in cohorts for nn in c.looks for xx in range(nn + 1)})
    lik, lmax = _lik_rows(theta, pairs)
    row = {p: i for i, p in enumerate(pairs)}
    return CbhmGrid(c0, h_fine, i0, theta, 1.0 / (1.0 + np.exp(-theta)), row, lik, lmax)


def _s2_range(design: Cbhm, cohorts: tuple[Cohort, ...]) -> float:
    """The smallest sigma^2 any data can give (T lies in [1, total n])."""
    a, b = coefficients(design, cohorts)
    t_max = max(sum(c.n for c in cohorts), 1)
    low = min(math.exp(min(a, 700.0)), math.exp(min(a + b * math.log(t_max), 700.0)))
    return min(max(low, SIGMA2_MIN), design.sigma2_max)


@functools.lru_cache(maxsize=8)
def grid_for(design: Cbhm, cohorts: tuple[Cohort, ...]) -> CbhmGrid:
    return build_grid(design, cohorts, _s2_range(design, cohorts), max(c.n for c in cohorts))


def cbhm_probabilities(
    design: Cbhm,
    cohorts: tuple[Cohort, ...],
    n,
    x,
    cuts=None,
    sigma2=None,
) -> tuple[np.ndarray, np.ndarray]:
    """P(theta_k > cut_k | data) (cut_k = logit q0_k unless ``cuts`` is given) and the posterior mean of
    q_k for data arrays n, x of shape [V, K]; ``sigma2`` (one value for all vectors) replaces the
    calibrated sigma^2(T) (the limits' tests use it). Repeated data vectors are computed once."""
    n = np.atleast_2d(np.asarray(n, dtype=np.int64))
    x = np.atleast_2d(np.asarray(x, dtype=np.int64))
    if n.shape[0] == 0:
        return np.zeros(n.shape), np.zeros(n.shape)
    both = np.concatenate([n, x], axis=1)
    uniq, inverse = np.unique(both, axis=0, return_inverse=True)
    k = n.shape[1]
    un, ux = uniq[:, :k], uniq[:, k:]
    if sigma2 is None:
        s2, _ = sigma2_of(design, cohorts, un, ux)
        grid = grid_for(design, cohorts)
    else:
        s2 = np.full(un.shape[0], float(sigma2))
        grid = build_grid(design, cohorts, min(float(sigma2), _s2_range(design, cohorts)), int(un.max()))
    pairs = {(int(a), int(b)) for a, b in zip(un.ravel(), ux.ravel(), strict=True)}
    missing = sorted(pairs - set(grid.row))
    lik, lmax, row = grid.lik, grid.lmax, grid.row
    if missing:  # data off the looks (a live analysis between looks): rows for these counts only
        extra, extra_max = _lik_rows(grid.theta, missing)
        row = dict(row)
        row.update({p: len(lmax) + i for i, p in enumerate(missing)})
        lik = np.concatenate([lik, extra])
        lmax = np.concatenate([lmax, extra_max])
    rows = np.array(
        [[row[(int(a), int(b))] for a, b in zip(rn, rx, strict=True)] for rn, rx in zip(un, ux, strict=True)]
    )
    if cuts is None:
        cuts = [_logit(c.q0) for c in cohorts]
    prob, mean, _ = cbhm_posterior(
        un,
        ux,
        rows.astype(np.int64),
        np.asarray(s2, dtype=float),
        np.asarray(cuts, dtype=float),
        lik,
        lmax,
        grid.expit,
        grid.c0,
        grid.h_fine,
        grid.i0,
        design.mu_mean_for(cohorts),
        design.mu_sd,
        ACCURACY,
        NODE_CAP,
    )
    if np.isnan(prob).any():  # pragma: no cover - the node cap is far above what the rule asks
        raise RuntimeError("CBHM posterior: the outer rule needed more than NODE_CAP nodes")
    inverse = inverse.reshape(-1)
    return prob[inverse], mean[inverse]
