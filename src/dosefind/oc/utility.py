"""True utilities and the optimal biological dose (OBD) of a scenario, for phase I/II designs.

A simulated patient at dose d has a DLT iff z_T < Phi^-1(p_d) and a response iff z_E < Phi^-1(q_d), with
(z_T, z_E) standard bivariate normal with correlation rho (the Gaussian copula of engine/copula.py), so

    P(DLT and response) = b_d = Phi_2(Phi^-1(p_d), Phi^-1(q_d); rho)

(computed by adaptive quadrature of phi(z) Phi((Phi^-1(q) - rho z) / sqrt(1 - rho^2)) over z below
Phi^-1(p), to 1e-12), and the true utility of dose d is

    U_d = u1 (q_d - b_d) + u2 (1 - p_d - q_d + b_d) + u3 b_d + u4 (p_d - b_d)

with BOIN12's utilities (u1: response without DLT, u2: neither, u3: both, u4: DLT only); EffTox scores a
dose by its utility contour at the true (q_d, p_d). Each design says how (``true_utilities``).

The OBD. A dose is acceptable when the design says so of its true probabilities (``acceptable_truth``;
BOIN12: DLT probability at most ``target`` and response probability at least ``target_eff``; EffTox:
below ``tox_limit`` and above ``eff_limit``), to 1e-9. The correct OBD selections are the acceptable
doses whose true utility is within ``utility_band`` (default 0: ties only, to 1e-9) of the highest true
utility among acceptable doses. When no dose is acceptable, selecting no dose is the correct answer.
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import TIE_TOLERANCE


def prob_both(p: float, q: float, rho: float) -> float:
    """P(DLT and response) at a dose with DLT probability p and response probability q (copula rho)."""
    if p <= 0.0 or q <= 0.0:
        return 0.0
    if p >= 1.0:
        return q
    if q >= 1.0:
        return p
    from scipy import integrate
    from scipy.special import ndtr, ndtri

    if rho == 0.0:
        return p * q
    h, k, s = float(ndtri(p)), float(ndtri(q)), math.sqrt(1.0 - rho * rho)
    f = lambda z: math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi) * float(ndtr((k - rho * z) / s))  # noqa: E731
    value, _err = integrate.quad(f, -np.inf, h, epsabs=1e-13, epsrel=1e-12, limit=200)
    return float(min(max(value, 0.0), min(p, q)))


def true_utilities(design, scenario) -> np.ndarray:
    """U_d per dose (module docstring) under ``scenario`` (its true_tox, true_eff and correlation), as the
    design scores them (``design.true_utilities(p, q, b)``; BOIN12: the four outcomes' utilities)."""
    p = np.asarray(scenario.true_tox, dtype=float)
    q = np.asarray(scenario.true_eff, dtype=float)
    b = np.array([prob_both(pd, qd, float(scenario.correlation)) for pd, qd in zip(p, q, strict=True)])
    return np.asarray(design.true_utilities(p, q, b), dtype=float)


def acceptable_doses(design, scenario) -> np.ndarray:
    """Doses the design calls acceptable on the truth (``design.acceptable_truth``, to 1e-9; BOIN12: DLT
    probability <= target and response probability >= target_eff)."""
    p = np.asarray(scenario.true_tox, dtype=float)
    q = np.asarray(scenario.true_eff, dtype=float)
    return np.asarray(design.acceptable_truth(p, q, TIE_TOLERANCE), dtype=bool)


def obd_mask(design, scenario, utility_band: float = 0.0) -> np.ndarray:
    """The correct OBD selections (all False when no dose is acceptable)."""
    ok = acceptable_doses(design, scenario)
    if not ok.any():
        return ok
    u = true_utilities(design, scenario)
    best = u[ok].max()
    return ok & (u >= best - utility_band - TIE_TOLERANCE)
