"""BOP2 for a binary endpoint (Zhou, Lee & Yuan 2017, Statistics in Medicine 36:3302-3314).

Prior p ~ Beta(a, b), by default Beta(p0, 1 - p0) (prior mean p0, one patient's worth of information).
At look i with n_i of N patients evaluated and x responses, the arm stops for futility iff

    Pr(p <= p0 | x, n_i) > C(n_i) = 1 - lambda * (n_i / N) ** gamma,

and at the final look (n_L = N) the treatment is declared promising iff Pr(p <= p0 | x, N) <= C(N)
(the same inequality decides every look; the final one decides both ways). The posterior probability
falls as x grows, so each rule is a count boundary: stop iff x <= f_i.

(lambda, gamma) are calibrated on a grid by exact binomial computation: the pair with the largest power
under p1 among those whose exact type I error under p0 is <= alpha (ties: smaller EN under p0, then
the first pair in grid order, lambda ascending then gamma ascending). Many pairs give the same
boundaries, so each distinct set of boundaries is evaluated once, all of them in one vectorised pass.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from ._prob import beta_cdf
from .boundaries import Boundaries, oc_many

#: default calibration grids (lambda: the final threshold Pr(p > p0 | data) >= lambda; gamma: its shape)
LAMBDA_GRID: tuple[float, ...] = tuple(np.round(np.arange(0.05, 1.0, 0.0025), 4).tolist())
GAMMA_GRID: tuple[float, ...] = tuple(np.round(np.arange(0.0, 3.0001, 0.05), 4).tolist())
TOL = 1e-12


def null_posterior(p0: float, a: float, b: float, n: int) -> np.ndarray:
    """Pr(p <= p0 | x responses of n) for x = 0..n under a Beta(a, b) prior (non-increasing in x)."""
    x = np.arange(n + 1)
    return beta_cdf(p0, a + x, b + n - x)


def futility_counts(p0: float, prior: tuple[float, float], looks: tuple[int, ...], lam, gam) -> np.ndarray:
    """Futility boundaries f_i (stop iff x <= f_i; -1: never) for each (lambda, gamma): shape (K, L)."""
    lam = np.atleast_1d(np.asarray(lam, dtype=float))
    gam = np.atleast_1d(np.asarray(gam, dtype=float))
    n_max = looks[-1]
    out = np.empty((lam.size, len(looks)), dtype=np.int64)
    for i, n in enumerate(looks):
        post = null_posterior(p0, prior[0], prior[1], n)  # non-increasing in x
        cut = 1.0 - lam * (n / n_max) ** gam
        # number of x with post > cut, minus one (post is non-increasing, so these are x = 0..f)
        out[:, i] = np.searchsorted(-post, -cut, side="left") - 1
    return out


def bop2_boundaries(p0: float, prior: tuple[float, float], looks: tuple[int, ...], lam: float, gam: float):
    """The :class:`Boundaries` of BOP2 with parameters (lambda, gamma)."""
    fut = futility_counts(p0, prior, looks, lam, gam)[0]
    eff = np.array(looks, dtype=np.int64) + 1
    eff[-1] = fut[-1] + 1
    return Boundaries(looks=list(looks), futility=fut, efficacy=eff)


@dataclass(frozen=True)
class Bop2Calibration:
    lam: float
    gam: float
    boundaries: Boundaries
    type_one_error: float
    power: float
    en_p0: float
    en_p1: float
    n_candidates: int  # distinct boundary sets evaluated


@functools.lru_cache(maxsize=128)
def calibrate_bop2(
    p0: float,
    p1: float,
    looks: tuple[int, ...],
    alpha: float,
    prior: tuple[float, float],
    lambda_grid: tuple[float, ...] = LAMBDA_GRID,
    gamma_grid: tuple[float, ...] = GAMMA_GRID,
) -> Bop2Calibration:
    """Exact grid calibration of (lambda, gamma): maximum power under p1 with type I error <= alpha."""
    lam = np.repeat(np.asarray(lambda_grid, dtype=float), len(gamma_grid))
    gam = np.tile(np.asarray(gamma_grid, dtype=float), len(lambda_grid))
    fut = futility_counts(p0, prior, looks, lam, gam)
    uniq, first = np.unique(fut, axis=0, return_index=True)
    eff = np.tile(np.array(looks, dtype=np.int64) + 1, (len(uniq), 1))
    eff[:, -1] = uniq[:, -1] + 1
    act0, en0 = oc_many(looks, uniq, eff, p0)
    act1, en1 = oc_many(looks, uniq, eff, p1)
    ok = act0 <= alpha + TOL
    if not ok.any():
        raise SpecError(
            "alpha",
            f"no (lambda, gamma) on the grid keeps the type I error <= {alpha:g}",
            "raise alpha or extend the lambda grid towards 1",
        )
    best_power = act1[ok].max()
    cand = np.nonzero(ok & (act1 >= best_power - TOL))[0]
    best_en = en0[cand].min()
    cand = cand[en0[cand] <= best_en + TOL]
    # first grid pair (lambda then gamma ascending) giving these boundaries: pairs that give the same
    # boundaries give the same design and OCs, so this tie-break only chooses which (lambda, gamma) is
    # reported (another order is an equivalent mutant: no OC can tell)
    k = cand[np.argmin(first[cand])]
    j = int(first[k])
    bnd = Boundaries(looks=list(looks), futility=uniq[k], efficacy=eff[k])
    return Bop2Calibration(
        lam=float(lam[j]),
        gam=float(gam[j]),
        boundaries=bnd,
        type_one_error=float(act0[k]),
        power=float(act1[k]),
        en_p0=float(en0[k]),
        en_p1=float(en1[k]),
        n_candidates=len(uniq),
    )
