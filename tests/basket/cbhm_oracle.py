"""A reference integration of the CBHM posterior given sigma^2, independent of dosefind's kernel: nested
adaptive quadrature (scipy's ``quad`` inside ``quad_vec``), in the order the model is written: for each mu,
L_k(mu) = integral of Binomial(x_k | expit theta) N(theta; mu, s2) over theta (split at the integrand's
mode and at the cut, each piece on an infinite or finite range), then mu's posterior prior(mu) prod_k L_k(mu)
integrated over mu on pieces around its mode. Plain numpy and scipy; slow (seconds per data vector).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import quad, quad_vec
from scipy.optimize import brentq, minimize_scalar
from scipy.special import expit, log_expit


def _log_f(theta, n, x, mu, s2):
    return x * log_expit(theta) + (n - x) * log_expit(-theta) - 0.5 * (theta - mu) ** 2 / s2


def _mode(n, x, mu, s2):
    def grad(t):
        return x - n * expit(t) - (t - mu) / s2

    lo, hi = -1.0, 1.0
    while grad(lo) < 0:
        lo *= 2
    while grad(hi) > 0:
        hi *= 2
    return brentq(grad, lo, hi, xtol=1e-12)


def _pieces(a, b, n, x, mu, s2, ref):
    tot = 0.0
    if a < b:
        val, _ = quad(
            lambda t: math.exp(_log_f(t, n, x, mu, s2) - ref), a, b, epsabs=0, epsrel=1e-12, limit=400
        )
        tot += val
    return tot


def inner(n, x, mu, s2, cut):
    """(log L, P(theta > cut | x, mu), E expit(theta) | x, mu)."""
    t = _mode(n, x, mu, s2)
    ref = _log_f(t, n, x, mu, s2)
    s = math.sqrt(s2)
    width = 1.0 / math.sqrt(n * expit(t) * (1 - expit(t)) + 1.0 / s2)
    # the integrand drops below exp(-60) of its peak within +-11 s of the mode (curvature >= 1 / s2)
    lo, hi = t - 11.0 * s, t + 11.0 * s
    pts = sorted({lo, t - 3 * width, t, t + 3 * width, hi} | ({cut} if lo < cut < hi else set()))
    pts = [p for p in pts if lo <= p <= hi]
    total = above = mean = 0.0
    for a, b in zip(pts, pts[1:], strict=False):
        val = _pieces(a, b, n, x, mu, s2, ref)
        total += val
        if a >= cut:
            above += val
        m, _ = quad(
            lambda th: expit(th) * math.exp(_log_f(th, n, x, mu, s2) - ref),
            a,
            b,
            epsabs=0,
            epsrel=1e-12,
            limit=400,
        )
        mean += m
    return ref + math.log(total), above / total, mean / total


def reference_posterior(n, x, q0, s2, mu_mean, mu_sd):
    """(P(q_k > q0_k | data), E q_k | data) for every cohort, sigma^2 = s2 given."""
    n = np.asarray(n, float)
    x = np.asarray(x, float)
    cuts = np.log(np.asarray(q0, float) / (1 - np.asarray(q0, float)))
    k = len(n)

    def log_post(mu):
        return -0.5 * ((mu - mu_mean) / mu_sd) ** 2 + sum(
            inner(n[j], x[j], mu, s2, cuts[j])[0] for j in range(k)
        )

    best = minimize_scalar(lambda m: -log_post(m), bracket=(mu_mean - 1, mu_mean + 1), tol=1e-10)
    mode = best.x
    ref = log_post(mode)
    sd = math.sqrt(s2 / k + 0.05)
    # the mu range where the log posterior is within 60 of its peak
    lo, hi = mode - sd, mode + sd
    while log_post(lo) > ref - 60:
        lo -= sd
    while log_post(hi) > ref - 60:
        hi += sd

    def vec(mu):
        parts = [inner(n[j], x[j], mu, s2, cuts[j]) for j in range(k)]
        w = math.exp(-0.5 * ((mu - mu_mean) / mu_sd) ** 2 + sum(p[0] for p in parts) - ref)
        return np.array([w] + [w * p[1] for p in parts] + [w * p[2] for p in parts])

    pts = np.linspace(lo, hi, 9)
    total = np.zeros(1 + 2 * k)
    for a, b in zip(pts, pts[1:], strict=False):
        val, _ = quad_vec(vec, a, b, epsabs=0, epsrel=1e-11, limit=400)
        total += val
    return total[1 : 1 + k] / total[0], total[1 + k :] / total[0]
