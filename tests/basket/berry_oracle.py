"""A brute-force oracle for the normal hierarchy on logits (Berry et al. 2013 with sigma^2 ~ InvGamma), by a
different order of integration than dosefind's (nu, scale) node tables.

For cohort k, P(eta_k > c | data) is integrated over eta_k itself: for each scale s on a fine trapezoid rule
in log s,

    A(eta) = integral of phi(z) H(eta - s z) dz,   H(nu) = prior(nu) prod_{j != k} L_j(nu, s),

(z on a fine trapezoid rule, H from a cubic spline of log H on a 0.02-spaced nu grid), then
Binomial(x_k | eta) A(eta) is integrated over eta on Gauss-Legendre panels split at c. The tail's cut is a
fixed coordinate here, so the small-scale regime (where P(eta_k > c | nu, s) is a step in nu) costs
nothing special. L_j(nu, s) is the integral over theta of Binomial(x_j | theta) N(theta; nu, s^2):
Gauss-Hermite for s < 0.1, a 0.05-spaced theta grid otherwise. Plain numpy and scipy; slow.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.special import expit, gammaln, log_expit


def _log_binom(x, n, theta):
    return x * log_expit(theta) + (n - x) * log_expit(-theta)


def _log_l(x, n, nus, s):
    if s < 0.1:
        t, w = np.polynomial.hermite.hermgauss(60)
        vals = _log_binom(x, n, nus[:, None] + math.sqrt(2) * s * t[None, :]) + np.log(w / math.sqrt(math.pi))
        m = vals.max(axis=1, keepdims=True)
        return (m + np.log(np.exp(vals - m).sum(axis=1, keepdims=True)))[:, 0]
    # the theta grid, rows of nu a block at a time in one buffer (the full nu x theta table is 16 million
    # values: memory-bound, and this is the oracle's cost)
    theta = np.arange(-40.0, 40.0, 0.05)
    lb = _log_binom(x, n, theta) - math.log(s * math.sqrt(2 * math.pi)) + math.log(0.05)
    out = np.empty(nus.size)
    rows = 64
    buf = np.empty((rows, theta.size))
    for a in range(0, nus.size, rows):
        b = min(a + rows, nus.size)
        v = buf[: b - a]
        np.subtract(theta[None, :], nus[a:b, None], out=v)
        v /= s
        np.square(v, out=v)
        v *= -0.5
        v += lb[None, :]
        m = v.max(axis=1, keepdims=True)
        v -= m
        np.exp(v, out=v)
        out[a:b] = m[:, 0] + np.log(v.sum(axis=1))
    return out


def berry_oracle(n, x, q0, center, prior_sd, shape, scale, k, lstep=0.05, fun=None, zstep=0.05):
    """(P(q_k > q0_k | data), E q_k | data) for eta_j ~ N(nu, s^2), nu ~ N(center, prior_sd^2),
    s^2 ~ InvGamma(shape, scale); with ``fun`` (a function of eta_k, vectorised) also E[fun(eta_k) | data]."""
    n = np.asarray(n, float)
    x = np.asarray(x, float)
    c = math.log(q0 / (1 - q0))
    others = [j for j in range(len(n)) if j != k]
    lo = 0.5 * math.log(scale / 48.0)
    hi = min(1.5 + 40.0 / max(len(n) - 1, 1), 14.0)
    ls = np.arange(lo, hi + lstep / 2, lstep)
    log_prior_l = math.log(2) + shape * math.log(scale) - gammaln(shape)
    log_prior_l = log_prior_l - 2 * shape * ls - scale * np.exp(-2 * ls)
    nu_grid = np.arange(center - 10 * prior_sd, center + 10 * prior_sd, 0.02)
    z = np.arange(-9.0, 9.0 + zstep / 2, zstep)
    wz = np.exp(-0.5 * z**2) / math.sqrt(2 * math.pi) * zstep
    gz, gw = np.polynomial.legendre.leggauss(20)

    def panels(a, b, m):
        edges = np.linspace(a, b, m + 1)
        half = np.diff(edges) / 2
        mid = edges[:-1] + half
        return (mid[:, None] + half[:, None] * gz).ravel(), (half[:, None] * gw).ravel()

    eta_lo, eta_hi = min(c, -30.0), max(c, 20.0)
    e1, w1 = panels(eta_lo, c, 60)
    e2, w2 = panels(c, eta_hi, 60)
    eta = np.concatenate([e1, e2])
    weta = np.concatenate([w1, w2])
    above = np.concatenate([np.zeros(e1.size, bool), np.ones(e2.size, bool)])
    log_bin_k = _log_binom(x[k], n[k], eta)
    terms = []
    for lp, l_ in zip(log_prior_l, ls, strict=True):
        s = math.exp(l_)
        log_h = -0.5 * ((nu_grid - center) / prior_sd) ** 2 - math.log(prior_sd * math.sqrt(2 * math.pi))
        for j in others:
            log_h = log_h + _log_l(x[j], n[j], nu_grid, s)
        spline = CubicSpline(nu_grid, log_h)
        nus = eta[:, None] - s * z[None, :]
        inside = (nus >= nu_grid[0]) & (nus <= nu_grid[-1])
        vals = np.where(inside, spline(np.clip(nus, nu_grid[0], nu_grid[-1])), -np.inf)
        ref = vals.max()
        a = np.exp(vals - ref) @ wz
        f = np.exp(log_bin_k - log_bin_k.max()) * a * weta
        extra = (f * fun(eta)).sum() if fun is not None else 0.0
        terms.append((lp + ref + log_bin_k.max(), f.sum(), f[above].sum(), (f * expit(eta)).sum(), extra))
    logs = np.array([t[0] for t in terms]) + math.log(lstep)
    ends = np.ones(len(terms))
    ends[[0, -1]] = 0.5
    w = np.exp(logs - logs.max()) * ends
    total = np.array([t[1] for t in terms])
    tail = np.array([t[2] for t in terms])
    mean = np.array([t[3] for t in terms])
    out = (float((w * tail).sum() / (w * total).sum()), float((w * mean).sum() / (w * total).sum()))
    if fun is None:
        return out
    extra = np.array([t[4] for t in terms])
    return (*out, float((w * extra).sum() / (w * total).sum()))
