"""Binomial, beta and beta-binomial probabilities.

Binomial probabilities use only numpy (log-factorials from ``math.lgamma``; upper tails summed from the
top, so small tail probabilities keep their relative precision), so a Simon search imports no scipy.
Beta and beta-binomial probabilities use ``scipy.special``, imported inside the functions
(``scipy.stats`` alone costs about a second of start-up, which the CLI would pay on every call).
"""

from __future__ import annotations

import functools
import math

import numpy as np


@functools.lru_cache(maxsize=64)
def _log_factorials(n: int) -> np.ndarray:
    return np.array([math.lgamma(i + 1) for i in range(n + 1)])


def binom_pmf(k, n, p: float) -> np.ndarray:
    """P(Binomial(n, p) = k), broadcasting k and n; 0 outside 0..n; exact at p = 0 and p = 1."""
    k = np.asarray(k, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    k, n = np.broadcast_arrays(k, n)
    inside = (k >= 0) & (k <= n)
    kk = np.where(inside, k, 0)
    nn = np.where(inside, n, 0)
    lf = _log_factorials(int(nn.max(initial=0)))
    log = lf[nn] - lf[kk] - lf[nn - kk]
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 * log(0) is taken as 0 below
        log_p, log_q = np.log(p), np.log1p(-p)
        log = log + np.where(kk > 0, kk * log_p, 0.0) + np.where(nn - kk > 0, (nn - kk) * log_q, 0.0)
    return np.where(inside, np.exp(log), 0.0)


@functools.lru_cache(maxsize=64)
def _sf_table(n_max: int, p: float) -> np.ndarray:
    """T[m, k] = P(Binomial(m, p) > k) for m, k = 0..n_max, summed from the upper tail (small terms first)."""
    m = np.arange(n_max + 1)
    pmf = binom_pmf(m[None, :], m[:, None], p)
    upper = np.flip(np.cumsum(np.flip(pmf, axis=1), axis=1), axis=1)  # P(X >= k)
    table = np.zeros_like(upper)
    table[:, :-1] = upper[:, 1:]
    table.setflags(write=False)
    return table


def binom_sf(k, n, p: float) -> np.ndarray:
    """P(Binomial(n, p) > k), broadcasting; 1 for k < 0 and 0 for k >= n."""
    k = np.asarray(k, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    k, n = np.broadcast_arrays(k, n)
    n_max = int(n.max(initial=0))
    table = _sf_table(n_max, float(p))
    value = table[n, np.clip(k, 0, n_max)]
    return np.where(k < 0, 1.0, np.where(k >= n, 0.0, value))


def binom_cdf(k, n, p: float) -> np.ndarray:
    """P(Binomial(n, p) <= k)."""
    return 1.0 - binom_sf(k, n, p)


def beta_cdf(x: float, a, b) -> np.ndarray:
    """P(Beta(a, b) <= x), broadcasting a and b."""
    from scipy.special import betainc

    return betainc(np.asarray(a, dtype=float), np.asarray(b, dtype=float), x)


def betabinom_pmf(y, m: int, a, b) -> np.ndarray:
    """P(Y = y) for Y ~ BetaBinomial(m, a, b) (the predictive count of m future patients)."""
    from scipy.special import betaln, gammaln

    y = np.asarray(y, dtype=float)
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    log = gammaln(m + 1) - gammaln(y + 1) - gammaln(m - y + 1) + betaln(a + y, b + m - y) - betaln(a, b)
    return np.exp(log)
