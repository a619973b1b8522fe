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

from ..errors import EngineError, SpecError
from .kernels import cbhm_posterior, cbhm_sigma2, response_counts
from .spec import Cbhm, Cohort

#: acc in the kernel: the trapezoid rules' step is acc / sqrt(curvature bound); exp(-2 pi^2 / acc^2) = e^-25
ACCURACY = math.sqrt(2.0 * math.pi**2 / 25.0)
NODE_CAP = 20_000
GRID_REACH = 30.0  # the grid covers [-30, 30] (and every cut +- 1); beyond it the binomial is log-linear


def _data_rows(a) -> np.ndarray:
    """Counts as a C-contiguous int64 array of data vectors [V, K] (one layout: the kernels compile once)."""
    return np.atleast_2d(np.ascontiguousarray(a, dtype=np.int64))


def chi_square(n, x) -> np.ndarray:
    """Pearson's chi-square of each data vector's 2 x K table (0 when the pooled rate is 0 or 1)."""
    n = _data_rows(n)
    x = _data_rows(x)
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
    n = _data_rows(n)
    x = _data_rows(x)
    return cbhm_sigma2(n, x, a, b, design.sigma2_min, design.sigma2_max)


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


#: the finest tabulated step (finer steps, for sigma^2 below about 6e-4, evaluate the likelihood directly)
TABLE_STEP = 1.0 / 64.0
COARSEST_STEP = 0.5


@dataclass(frozen=True)
class CbhmGrid:
    """The grid theta_i = c0 + (i - i0) h_fine (i < n_fine) and, for every level whose step 2^L h_fine is at
    least TABLE_STEP, the scaled binomial likelihood of every (n, x) row and expit on that level's points,
    one contiguous block per level (``flat``, ``ex``; see :func:`kernels.cbhm_posterior`)."""

    c0: float
    h_fine: float
    i0: int
    n_fine: int
    pairs: tuple  # (n, x) of each row
    row: dict  # (n, x) -> row
    flat: np.ndarray
    ex: np.ndarray
    ex_off: np.ndarray
    lev_off: np.ndarray
    lev_len: np.ndarray
    lev_zero: np.ndarray
    lev_first: int
    lmax: np.ndarray
    support: np.ndarray  # [rows, 2]: where x theta - n log(1 + e^theta) is within SUPPORT_DROP of lmax


def _h_target(s2: float, n_max: float, k: int, sd0: float) -> float:
    """The smallest step the kernel can ask for at this sigma^2 (its curvature bounds, largest info)."""
    return ACCURACY / math.sqrt(max(n_max / 4.0 + 1.0 / s2, (2.0 + k) / s2 + 1.0 / sd0**2))


SUPPORT_DROP = 60.0


def row_support(pairs, lmax) -> np.ndarray:
    """[lo, hi] of each row's likelihood above exp(-SUPPORT_DROP) of its peak (+-1e300 where it never
    drops: x = 0 below, x = n above), to 1e-3 (bisection on the concave log likelihood)."""
    out = np.empty((len(pairs), 2))
    for i, (nn, xx) in enumerate(pairs):

        def drop(t, nn=nn, xx=xx, m=lmax[i]):
            return xx * t - nn * np.logaddexp(0.0, t) - m + SUPPORT_DROP

        mode = math.log(xx / (nn - xx)) if 0 < xx < nn else 0.0
        for side, (sign, never) in enumerate(((-1.0, xx == 0), (1.0, xx == nn))):
            if never or nn == 0:
                out[i, side] = sign * 1e300
                continue
            a, step = mode, 1.0
            while drop(a + sign * step) > 0:
                step *= 2.0
            b = a + sign * step
            for _ in range(60):
                mid = 0.5 * (a + b)
                if drop(mid) > 0:
                    a = mid
                else:
                    b = mid
            out[i, side] = b
    return out


def row_lmax(pairs) -> np.ndarray:
    """max over theta of x theta - n log(1 + e^theta): x log(x / n) + (n - x) log(1 - x / n)."""
    out = np.zeros(len(pairs))
    for i, (nn, xx) in enumerate(pairs):
        if 0 < xx < nn:
            out[i] = xx * math.log(xx / nn) + (nn - xx) * math.log1p(-xx / nn)
    return out


def _tables(c0, h_fine, i0, n_fine, pairs, lmax):
    ns = np.array([p[0] for p in pairs], dtype=float)[:, None]
    xs = np.array([p[1] for p in pairs], dtype=float)[:, None]
    blocks, eblocks, off, eoff, length, zero = [], [], [], [], [], []
    first = None
    level, stride, start, estart = 0, 1, 0, 0
    while stride * h_fine <= COARSEST_STEP * 1.000001 and stride <= i0:
        v_min = -(i0 // stride)
        v_max = (n_fine - 1 - i0) // stride
        off.append(start)
        eoff.append(estart)
        length.append(v_max - v_min + 1)
        zero.append(-v_min)
        if stride * h_fine >= TABLE_STEP * 0.999999:
            first = level if first is None else first
            theta = c0 + np.arange(v_min, v_max + 1) * stride * h_fine
            table = np.exp(xs * theta[None, :] - ns * np.logaddexp(0.0, theta[None, :]) - lmax[:, None])
            blocks.append(table.ravel())
            eblocks.append(1.0 / (1.0 + np.exp(-theta)))
            start += table.size
            estart += theta.size
        level += 1
        stride *= 2
    if first is None:
        first = level
    flat = np.concatenate(blocks) if blocks else np.zeros(1)
    ex = np.concatenate(eblocks) if eblocks else np.zeros(1)
    arr = [np.array(a, np.int64) for a in (eoff, off, length, zero)]
    return flat, ex, *arr, first


def build_grid(design: Cbhm, cohorts: tuple[Cohort, ...], s2_min: float, n_max: int, pairs=None) -> CbhmGrid:
    cuts = [_logit(c.q0) for c in cohorts]
    c0 = max(set(cuts), key=cuts.count)
    h_fine = COARSEST_STEP
    while h_fine > _h_target(s2_min, n_max, len(cohorts), design.mu_sd):
        h_fine /= 2.0
    lo = min(-GRID_REACH, min(cuts) - 1.0)
    hi = max(GRID_REACH, max(cuts) + 1.0)
    # c0 sits on every level: i0 is a multiple of the coarsest stride
    coarsest = int(round(COARSEST_STEP / h_fine))
    i0 = int(math.ceil((c0 - lo) / (coarsest * h_fine))) * coarsest
    n_fine = i0 + int(math.ceil((hi - c0) / h_fine)) + 1
    if pairs is None:
        pairs = sorted({(nn, xx) for c in cohorts for nn in c.looks for xx in range(nn + 1)})
    pairs = tuple(pairs)
    lmax = row_lmax(pairs)
    flat, ex, ex_off, off, length, zero, first = _tables(c0, h_fine, i0, n_fine, pairs, lmax)
    row = {p: i for i, p in enumerate(pairs)}
    support = row_support(pairs, lmax)
    return CbhmGrid(
        c0, h_fine, i0, n_fine, pairs, row, flat, ex, ex_off, off, length, zero, first, lmax, support
    )


def _s2_range(design: Cbhm, cohorts: tuple[Cohort, ...]) -> float:
    """The smallest sigma^2 any data can give (T lies in [1, total n])."""
    a, b = coefficients(design, cohorts)
    t_max = max(sum(c.n for c in cohorts), 1)
    low = min(math.exp(min(a, 700.0)), math.exp(min(a + b * math.log(t_max), 700.0)))
    return min(max(low, design.sigma2_min), design.sigma2_max)


@functools.lru_cache(maxsize=8)
def grid_for(design: Cbhm, cohorts: tuple[Cohort, ...]) -> CbhmGrid:
    return build_grid(design, cohorts, _s2_range(design, cohorts), max(c.n for c in cohorts))


def kernel_grid(grid: CbhmGrid) -> tuple:
    """The grid's arguments of :func:`kernels.cbhm_posterior`, in its order."""
    g = grid
    return (
        g.flat,
        g.ex,
        g.ex_off,
        g.lev_off,
        g.lev_len,
        g.lev_zero,
        g.lev_first,
        g.lmax,
        g.support,
        g.c0,
        g.h_fine,
        g.i0,
        g.n_fine,
    )


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
    n = _data_rows(n)
    x = _data_rows(x)
    if n.shape[0] == 0:
        return np.zeros(n.shape), np.zeros(n.shape)
    both = np.concatenate([n, x], axis=1)
    uniq, inverse = np.unique(both, axis=0, return_inverse=True)
    k = n.shape[1]
    # contiguous copies: a column slice would compile the kernels a second time for strided arrays
    un, ux = np.ascontiguousarray(uniq[:, :k]), np.ascontiguousarray(uniq[:, k:])
    if sigma2 is None:
        s2, _ = sigma2_of(design, cohorts, un, ux)
        grid = grid_for(design, cohorts)
    else:
        s2 = np.full(un.shape[0], float(sigma2))
        grid = build_grid(design, cohorts, min(float(sigma2), _s2_range(design, cohorts)), int(un.max()))
    pairs = {(int(a), int(b)) for a, b in zip(un.ravel(), ux.ravel(), strict=True)}
    if not pairs <= set(grid.row):  # data off the looks (a live analysis between looks): tables for these
        s2_low = min(float(s2.min()), _s2_range(design, cohorts))
        grid = build_grid(design, cohorts, s2_low, max(int(un.max()), 1), sorted(pairs | set(grid.row)))
    rows = np.array(
        [
            [grid.row[(int(a), int(b))] for a, b in zip(rn, rx, strict=True)]
            for rn, rx in zip(un, ux, strict=True)
        ]
    )
    if cuts is None:
        cuts = [_logit(c.q0) for c in cohorts]
    prob, mean, _ = cbhm_posterior(
        un,
        ux,
        rows.astype(np.int64),
        np.asarray(s2, dtype=float),
        np.asarray(cuts, dtype=float),
        *kernel_grid(grid),
        design.mu_mean_for(cohorts),
        design.mu_sd,
        ACCURACY,
        NODE_CAP,
    )
    if np.isnan(prob).any():  # pragma: no cover - the node cap is far above what the rule asks
        raise EngineError(
            "CBHM posterior: the outer rule needed more than NODE_CAP nodes; report this data set"
        )
    inverse = inverse.reshape(-1)
    return prob[inverse], mean[inverse]
