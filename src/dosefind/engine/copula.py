"""Efficacy outcomes correlated with toxicity through a Gaussian copula on the patient's latent values.

A patient has two latent uniforms: ``u_tox`` (stream ``STREAM_TOX``) and ``u_eff`` (stream ``STREAM_EFF``).
At a dose with DLT probability p and response probability q:

* DLT iff ``u_tox < p`` (unchanged from single-outcome simulation, so toxicity is common to both);
* response iff ``rho * z_tox + sqrt(1 - rho^2) * z_eff < Phi^-1(q)``, with ``z = Phi^-1(u)``.

So (z_tox, z_resp) is standard bivariate normal with correlation rho, P(response) = q exactly, and
P(DLT and response) = Phi_2(Phi^-1(p), Phi^-1(q); rho). With rho > 0 toxicity and response go together.
With rho = 0 the rule is ``u_eff < q``.

The normal quantile is needed per patient, which would dominate the simulation if computed to full
precision every time. :func:`responds` first uses the rational approximation of Abramowitz & Stegun
26.2.23 (absolute error below 4.5e-4 in z) and decides directly when the latent value is further than a
safe margin from the threshold; only near the threshold does it refine both quantiles to double
precision by Halley steps on ``math.erfc``. The decision is therefore the exact copula decision, at the
cost of the cheap approximation almost always (tests compare with scipy's quantile on every path).
"""

from __future__ import annotations

import math

from .jit import kernel

_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)
#: bound on the error of the A&S 26.2.23 quantile in z (the published bound is 4.5e-4)
APPROX_Z_ERROR = 1e-3


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
