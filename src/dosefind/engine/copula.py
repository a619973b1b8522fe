"""Efficacy outcomes correlated with toxicity through a Gaussian copula on the patient's latent values.

A patient has two latent uniforms: ``u_tox`` (stream ``STREAM_TOX``) and ``u_eff`` (stream ``STREAM_EFF``).
At a dose with DLT probability p and response probability q:

* DLT iff ``u_tox < p`` (unchanged from single-outcome simulation, so toxicity is common to both);
* response iff ``rho * z_tox + sqrt(1 - rho^2) * z_eff < Phi^-1(q)``, with ``z = Phi^-1(u)``.

So (z_tox, z_resp) is standard bivariate normal with correlation rho, P(response) = q exactly, and
P(DLT and response) = Phi_2(Phi^-1(p), Phi^-1(q); rho). With rho > 0 toxicity and response go together.
With rho = 0 the rule is ``u_eff < q``.

Deciding a patient. Given u_tox, the patient responds iff ``u_eff < g(u_tox)`` with
``g(u) = Phi((Phi^-1(q) - rho * Phi^-1(u)) / sqrt(1 - rho^2))``, monotone in u. :func:`response_table`
tabulates g at ``u = b / B`` (B = RESPONSE_BINS) for each response probability before the simulation;
:func:`responds_tab` looks up the two ends of u_tox's bin, which bound g over the bin, and decides at once
when u_eff is outside them (all but about 1 / B of patients). Inside, it falls back to :func:`responds`,
which computes the quantiles: a rational approximation (Abramowitz & Stegun 26.2.23, error below 4.5e-4
in z) decides away from the threshold, and both quantiles are refined to double precision by Halley
steps on ``math.erfc`` only near it. Every path gives the exact copula decision (tests compare the
paths with each other and with scipy's quantile); the table only saves the quantiles.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr
from scipy.special import ndtri as _ndtri_scipy

from .jit import kernel

_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)
#: bound on the error of the A&S 26.2.23 quantile in z (the published bound is 4.5e-4)
APPROX_Z_ERROR = 1e-3
#: bins of the response table over u_tox (about 1 / RESPONSE_BINS of patients need the quantiles)
RESPONSE_BINS = 256
#: the table's values are within a few ulp of g; decisions closer than this to a bound compute quantiles
TABLE_MARGIN = 1e-12


@kernel
def norm_cdf(x):
    return 0.5 * math.erfc(-x / _SQRT2)


@kernel
def ndtri_approx(u):
    """Standard normal quantile to about 4.5e-4 (Abramowitz & Stegun 26.2.23), u in (0, 1)."""
    p = u if u < 0.5 else 1.0 - u
    t = math.sqrt(-2.0 * math.log(p))
    z = t - (2.515517 + t * (0.802853 + t * 0.010328)) / (
        1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))
    )
    return -z if u < 0.5 else z


@kernel
def ndtri_refine(u, z):
    """Halley steps on Phi(z) - u from a start within 1e-3: double precision after two steps."""
    for _ in range(3):
        if u < 0.5:
            e = norm_cdf(z) - u
        else:  # Phi(z) - u written with upper tails, accurate near 1
            e = (1.0 - u) - 0.5 * math.erfc(z / _SQRT2)
        d = e * _SQRT2PI * math.exp(0.5 * z * z)
        z = z - d / (1.0 + 0.5 * z * d)
    return z


@kernel
def ndtri(u):
    """Standard normal quantile to double precision (for compile-time use and tests)."""
    return ndtri_refine(u, ndtri_approx(u))


@kernel
def responds(u_tox, u_eff, z_q, q, rho):
    """Whether a patient with latent values (u_tox, u_eff) responds at a dose with response probability q.

    ``z_q`` is Phi^-1(q) (``-inf`` for q = 0, ``inf`` for q = 1), ``rho`` the copula correlation.
    """
    if q <= 0.0:
        return False
    if q >= 1.0:
        return True
    if rho == 0.0:
        return u_eff < q
    s = math.sqrt(1.0 - rho * rho)
    zt = ndtri_approx(u_tox)
    ze = ndtri_approx(u_eff)
    margin = z_q - (rho * zt + s * ze)
    if abs(margin) > (abs(rho) + s) * APPROX_Z_ERROR + 1e-12:
        return margin > 0.0
    zt = ndtri_refine(u_tox, zt)
    ze = ndtri_refine(u_eff, ze)
    return rho * zt + s * ze < z_q


def response_table(q, rho: float) -> np.ndarray:
    """``g`` at ``u = b / RESPONSE_BINS``, b = 0..RESPONSE_BINS, for each response probability in ``q``
    (any shape; the table gets one more axis). Only read when rho != 0."""
    q = np.clip(np.asarray(q, dtype=np.float64), 0.0, 1.0)
    u = np.arange(RESPONSE_BINS + 1) / RESPONSE_BINS
    s = math.sqrt(1.0 - rho * rho)
    with np.errstate(divide="ignore", invalid="ignore"):
        zq = _ndtri_scipy(q)[..., None]
        zu = _ndtri_scipy(u)
        arg = (zq - rho * zu) / s if rho != 0.0 else np.broadcast_to(zq, q.shape + u.shape)
        g = ndtr(arg)
    # q = 0 or 1 is decided before the table is read; keep the entries finite and in [0, 1] all the same
    return np.ascontiguousarray(np.nan_to_num(np.clip(g, 0.0, 1.0), nan=0.0))


@kernel
def responds_tab(u_tox, u_eff, tab, d, q, rho):
    """:func:`responds` at dose d with ``tab = response_table(q_by_dose, rho)``, without quantiles for all
    but the patients whose u_eff falls between the table's bounds for u_tox's bin."""
    if rho == 0.0 or q <= 0.0 or q >= 1.0:
        return responds(u_tox, u_eff, 0.0, q, rho)  # decided without z_q or the table
    B = tab.shape[1] - 1
    b = int(u_tox * B)
    if b >= B:
        b = B - 1
    g0 = tab[d, b]
    g1 = tab[d, b + 1]
    if u_eff < min(g0, g1) - TABLE_MARGIN:
        return True
    if u_eff >= max(g0, g1) + TABLE_MARGIN:
        return False
    return responds(u_tox, u_eff, ndtri(q), q, rho)
