"""Bayesian predictive probability monitoring (Lee & Liu 2008, Clinical Trials 5:93-106).

Prior p ~ Beta(a, b). At the end (N = n_max patients) the treatment is declared active iff
Pr(p > p0 | z responses of N) > theta_T, which holds iff z >= z_T (the posterior rises with z). At an
interim look with x responses of n, the predictive probability of that final success is

    PP(x, n) = sum over y of Pr(Y = y | x, n) * 1[x + y >= z_T],
    Y | x ~ BetaBinomial(N - n, a + x, b + n - x),

and the arm stops for futility iff PP < theta_L (and, optionally, for efficacy iff PP > theta_U; by
default there is no efficacy stop). PP rises with x, so both rules are count boundaries.

The search of :func:`predictive_search` follows the paper for a given N: every (theta_T, theta_L) on a
grid whose exact type I error under p0 is <= alpha and power under p1 >= 1 - beta is feasible; the
design chosen has the smallest EN under p0 (ties: larger power, then the first pair in grid order,
theta_T ascending then theta_L ascending).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from ._prob import beta_cdf, betabinom_pmf
from .boundaries import Boundaries, oc_many

THETA_T_GRID: tuple[float, ...] = tuple(np.round(np.arange(0.80, 0.9951, 0.005), 4).tolist())
THETA_L_GRID: tuple[float, ...] = (0.001, 0.005) + tuple(np.round(np.arange(0.01, 0.3001, 0.01), 4).tolist())
TOL = 1e-12


def final_success_count(p0: float, theta_t: float, n_max: int, prior: tuple[float, float]) -> int:
    """z_T: the fewest responses of n_max with Pr(p > p0 | data) > theta_T (n_max + 1 if none)."""
    z = np.arange(n_max + 1)
    post = 1.0 - beta_cdf(p0, prior[0] + z, prior[1] + n_max - z)
    # strict, as the rule is written; > and >= differ only where a posterior equals theta_T exactly in
    # floating point, which no tested design reaches (an equivalent mutant in mutation testing)
    hit = np.nonzero(post > theta_t)[0]
    return int(hit[0]) if hit.size else n_max + 1


def predictive_probability(x, n: int, n_max: int, p0: float, theta_t: float, prior: tuple[float, float]):
    """PP of final success given x responses (scalar or array) of n patients (Lee & Liu 2008, eq. 1)."""
    z_t = final_success_count(p0, theta_t, n_max, prior)
    return _pp_given_zt(np.asarray(x), n, n_max, z_t, prior)


def _pp_given_zt(x, n: int, n_max: int, z_t: int, prior) -> np.ndarray:
    m = n_max - n
    y = np.arange(m + 1)
    xs = np.atleast_1d(x)
    pmf = betabinom_pmf(y[None, :], m, prior[0] + xs[:, None], prior[1] + n - xs[:, None])
    success = (xs[:, None] + y[None, :]) >= z_t
    pp = np.clip(np.where(success, pmf, 0.0).sum(axis=1), 0.0, 1.0)
    return pp if np.ndim(x) else float(pp[0])


def pp_table(looks: tuple[int, ...], n_max: int, z_t: int, prior) -> list[np.ndarray]:
    """PP(x, n) for x = 0..n at every interim look n (the last look excluded)."""
    return [_pp_given_zt(np.arange(n + 1), n, n_max, z_t, prior) for n in looks[:-1]]


def boundaries_from_pp(pps, looks, z_t: int, theta_l, theta_u: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Futility and efficacy counts, shape (K, L), for K values of theta_L (PP non-decreasing in x)."""
    theta_l = np.atleast_1d(np.asarray(theta_l, dtype=float))
    n_looks = len(looks)
    fut = np.empty((theta_l.size, n_looks), dtype=np.int64)
    eff = np.empty((theta_l.size, n_looks), dtype=np.int64)
    for i, pp in enumerate(pps):
        # futility: x with PP < theta_L are x = 0..f; efficacy: first x with PP > theta_U
        fut[:, i] = np.searchsorted(pp, theta_l, side="left") - 1
        if theta_u is None:
            eff[:, i] = looks[i] + 1
        else:
            eff[:, i] = np.searchsorted(pp, theta_u, side="right")
    fut[:, -1] = z_t - 1
    eff[:, -1] = z_t
    return fut, eff


def predictive_boundaries(
    p0: float,
    n_max: int,
    looks: tuple[int, ...],
    theta_t: float,
    theta_l: float,
    theta_u: float | None,
    prior: tuple[float, float],
) -> Boundaries:
    z_t = final_success_count(p0, theta_t, n_max, prior)
    if z_t > n_max:
        raise SpecError(
            "theta_t",
            f"even {n_max} responses of {n_max} do not give Pr(p > p0) > {theta_t:g}",
            "lower theta_t or raise n_max",
        )
    fut, eff = boundaries_from_pp(pp_table(looks, n_max, z_t, prior), looks, z_t, theta_l, theta_u)
    return Boundaries(looks=list(looks), futility=fut[0], efficacy=eff[0])


@dataclass(frozen=True)
class PredictiveSearch:
    theta_t: float
    theta_l: float
    boundaries: Boundaries
    type_one_error: float
    power: float
    en_p0: float
    en_p1: float
    n_feasible: int


@functools.lru_cache(maxsize=128)
def predictive_search(
    p0: float,
    p1: float,
    n_max: int,
    looks: tuple[int, ...],
    alpha: float,
    beta: float,
    prior: tuple[float, float],
    theta_u: float | None = None,
    theta_t_grid: tuple[float, ...] = THETA_T_GRID,
    theta_l_grid: tuple[float, ...] = THETA_L_GRID,
) -> PredictiveSearch:
    """(theta_T, theta_L) on the grid meeting alpha and beta with the smallest EN under p0 (exact)."""
    rows = []  # (theta_t, theta_l, fut, eff)
    by_zt: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for tt in theta_t_grid:
        z_t = final_success_count(p0, tt, n_max, prior)
        if z_t > n_max:
            continue
        if z_t not in by_zt:
            pps = pp_table(looks, n_max, z_t, prior)
            by_zt[z_t] = boundaries_from_pp(pps, looks, z_t, theta_l_grid, theta_u)
        fut, eff = by_zt[z_t]
        for j, tl in enumerate(theta_l_grid):
            rows.append((tt, tl, fut[j], eff[j]))
    if not rows:
        raise SpecError("theta_t", "no theta_T on the grid can be reached at n_max", "raise n_max")
    fut_all = np.array([r[2] for r in rows])
    eff_all = np.array([r[3] for r in rows])
    both = np.concatenate([fut_all, eff_all], axis=1)
    uniq, first, inverse = np.unique(both, axis=0, return_index=True, return_inverse=True)
    n_looks = len(looks)
    uf, ue = uniq[:, :n_looks], uniq[:, n_looks:]
    act0, en0 = oc_many(looks, uf, ue, p0)
    act1, en1 = oc_many(looks, uf, ue, p1)
    ok = (act0 <= alpha + TOL) & (act1 >= 1 - beta - TOL)
    if not ok.any():
        raise SpecError(
            "n_max",
            f"no (theta_T, theta_L) on the grid gives type I error <= {alpha:g} and power >= {1 - beta:g} "
            f"with n_max = {n_max}",
            "raise n_max, or relax alpha / beta",
        )
    cand = np.nonzero(ok)[0]
    best_en = en0[cand].min()
    cand = cand[en0[cand] <= best_en + TOL]
    best_pow = act1[cand].max()
    cand = cand[act1[cand] >= best_pow - TOL]
    k = cand[np.argmin(first[cand])]
    tt, tl = rows[int(first[k])][:2]
    del inverse
    return PredictiveSearch(
        theta_t=tt,
        theta_l=tl,
        boundaries=Boundaries(looks=list(looks), futility=uf[k], efficacy=ue[k]),
        type_one_error=float(act0[k]),
        power=float(act1[k]),
        en_p0=float(en0[k]),
        en_p1=float(en1[k]),
        n_feasible=int(ok.sum()),
    )
