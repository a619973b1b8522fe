"""Beta posteriors of the cohorts: the independent analysis and Fujikawa et al.'s (2020) borrowing.

Both are closed form given the data: P(q > q0) of a Beta(A, B) is the regularised incomplete beta
function I_{1 - q0}(B, A) (scipy, evaluated on the upper side so small tails keep their precision). The
only integral is the Jensen-Shannon divergence between two Beta posteriors, computed once per pair of
possible (n, x) states on a fixed quadrature (:func:`jsd_table`) and looked up afterwards.
"""

from __future__ import annotations

import functools

import numpy as np

JSD_NODES_PER_PANEL = 32
JSD_PANELS = 16


def prob_above(a, b, q0) -> np.ndarray:
    """P(q > q0) when q ~ Beta(a, b) (broadcasting)."""
    from scipy.special import betainc

    return betainc(np.asarray(b, float), np.asarray(a, float), 1.0 - np.asarray(q0, float))


def beta_interval(a, b, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed interval of Beta(a, b) with the given coverage."""
    from scipy.special import betaincinv

    lo = (1.0 - level) / 2.0
    return betaincinv(a, b, lo), betaincinv(a, b, 1.0 - lo)


@functools.lru_cache(maxsize=8)
def _u_nodes() -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss-Legendre nodes and weights on u in (0, 1)."""
    z, w = np.polynomial.legendre.leggauss(JSD_NODES_PER_PANEL)
    edges = np.linspace(0.0, 1.0, JSD_PANELS + 1)
    u = ((edges[:-1, None] + edges[1:, None]) / 2 + (edges[1:, None] - edges[:-1, None]) / 2 * z).ravel()
    wu = ((edges[1:, None] - edges[:-1, None]) / 2 * w).ravel()
    return u, wu


def _beta_logpdf_on_grid(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log Beta(a, b) densities at the nodes p = (1 - cos(pi u)) / 2 and the weights dp of the rule.

    The cosine map clusters nodes at 0 and 1, where a Beta density with a or b near 1 is steep."""
    from scipy.special import betaln

    u, wu = _u_nodes()
    p = 0.5 * (1.0 - np.cos(np.pi * u))
    dp = 0.5 * np.pi * np.sin(np.pi * u) * wu
    logp = np.log(p)
    log1p = np.log1p(-p)
    dens = (a[:, None] - 1) * logp + (b[:, None] - 1) * log1p - betaln(a, b)[:, None]
    return dens, dp


def jsd_matrix(a: np.ndarray, b: np.ndarray, base: float = 2.0) -> np.ndarray:
    """Jensen-Shannon divergence (logarithm to ``base``) between every pair of Beta(a_i, b_i)."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    logf, dp = _beta_logpdf_on_grid(a, b)
    f = np.exp(logf)
    s = len(a)
    out = np.zeros((s, s))
    for i in range(s):
        fi, lfi = f[i], logf[i]
        fj, lfj = f[i:], logf[i:]
        lm = np.logaddexp(lfi, lfj) - np.log(2.0)
        kl_i = (fi * (lfi - lm)) @ dp
        kl_j = (fj * (lfj - lm)) @ dp
        out[i, i:] = 0.5 * (kl_i + kl_j) / np.log(base)
    out = np.triu(out, 1)
    out = out + out.T
    return np.clip(out, 0.0, 1.0)


@functools.lru_cache(maxsize=16)
def jsd_table(prior: tuple[float, float], sizes: tuple[int, ...]) -> tuple[np.ndarray, dict[int, int]]:
    """JSD between the independent posteriors of every pair of states (n, x), n in ``sizes``.

    Returns the matrix and ``offset[n]``: the state (n, x) is row ``offset[n] + x``."""
    a0, b0 = prior
    offset: dict[int, int] = {}
    aa, bb = [], []
    for n in sorted(set(sizes)):
        offset[n] = len(aa)
        x = np.arange(n + 1)
        aa.extend(a0 + x)
        bb.extend(b0 + n - x)
    table = jsd_matrix(np.array(aa), np.array(bb))
    table.setflags(write=False)
    return table, offset


def fujikawa_shapes(
    n: np.ndarray,
    x: np.ndarray,
    prior: tuple[float, float],
    epsilon: float,
    tau: float,
    share_prior: bool,
    sizes: tuple[int, ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Borrowed Beta shapes (A, B) and the weight matrices for data arrays ``n``, ``x`` of shape [T, K].

    w_kj = (1 - JSD_kj)^epsilon, set to 0 where <= tau (w_kk = 1)."""
    table, offset = jsd_table(tuple(prior), tuple(sorted(set(sizes))))
    off = np.zeros(max(offset) + 1, dtype=np.int64)
    for size, o in offset.items():
        off[size] = o
    state = off[n] + x
    jsd = table[state[:, :, None], state[:, None, :]]
    w = (1.0 - jsd) ** epsilon
    w[w <= tau] = 0.0
    a0, b0 = prior
    if share_prior:
        A = np.einsum("tkj,tj->tk", w, a0 + x)
        B = np.einsum("tkj,tj->tk", w, b0 + n - x)
    else:
        A = a0 + np.einsum("tkj,tj->tk", w, x)
        B = b0 + np.einsum("tkj,tj->tk", w, n - x)
    return A, B, w
