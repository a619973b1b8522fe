"""CRM skeleton calibration by the indifference-interval method (Lee & Cheung 2009).

Given the target theta, a half-width delta and the prior MTD level nu (1-based), the skeleton is built
so that the model's dose choice switches from dose k-1 to dose k exactly where the two doses' model
probabilities are theta - delta and theta + delta: start with p_nu = theta at b = 0 and walk outwards,
solving each boundary's parameter value in closed form.

Empiric (power) model p_k(b) = s_k ** exp(b); logistic model p_k(b) = expit(a0 + exp(b) x_k) with the
skeleton recovered as s_k = expit(a0 + x_k).
"""

from __future__ import annotations

import math

from ..errors import SpecError


def calibrate_skeleton(
    target: float, halfwidth: float, nu: int, n_doses: int, model: str = "empiric", intercept: float = 3.0
) -> tuple[float, ...]:
    if not 0 < halfwidth < min(target, 1 - target):
        raise SpecError(
            "skeleton_halfwidth",
            f"{halfwidth:g} is out of range",
            f"use a half-width in (0, {min(target, 1 - target):g})",
        )
    if not 1 <= nu <= n_doses:
        raise SpecError("skeleton_nu", f"{nu} is not a dose level", f"use a level from 1 to {n_doses}")
    lo, hi = target - halfwidth, target + halfwidth
    k0 = nu - 1
    if model == "empiric":
        s = [0.0] * n_doses
        s[k0] = target
        for k in range(k0, 0, -1):  # downwards: boundary where p_k = theta + delta
            eb = math.log(hi) / math.log(s[k])
            s[k - 1] = math.exp(math.log(lo) / eb)
        for k in range(k0, n_doses - 1):  # upwards: boundary where p_k = theta - delta
            eb = math.log(lo) / math.log(s[k])
            s[k + 1] = math.exp(math.log(hi) / eb)
        return tuple(s)
    if model == "logistic":
        logit = lambda p: math.log(p / (1 - p))  # noqa: E731
        x = [0.0] * n_doses
        x[k0] = logit(target) - intercept
        for k in range(k0, 0, -1):
            eb = (logit(hi) - intercept) / x[k]
            x[k - 1] = (logit(lo) - intercept) / eb
        for k in range(k0, n_doses - 1):
            eb = (logit(lo) - intercept) / x[k]
            x[k + 1] = (logit(hi) - intercept) / eb
        return tuple(1.0 / (1.0 + math.exp(-intercept - xk)) for xk in x)
    raise SpecError("model", f"unknown model {model!r}", "use 'empiric' or 'logistic'")


def resolve_skeleton(
    skeleton, halfwidth, nu, n: int, calibrate, *, missing_fix: str, nu_fix: str = ""
) -> tuple[float, ...]:
    """The skeleton of a design: the explicit ``skeleton``, or the one ``calibrate(halfwidth, nu)`` gives
    (Lee & Cheung), or both when they agree to 1e-9. ``n`` is the number of skeleton values (the highest
    valid ``nu``). Length and order are checked by the design, whose messages say what a value stands for.
    """
    from . import validate as v

    calibrated = None
    if halfwidth is not None or nu is not None:
        if halfwidth is None or nu is None:
            raise SpecError(
                "skeleton_halfwidth",
                "calibration needs both skeleton_halfwidth and skeleton_nu",
                "give both, or give skeleton = [...] instead",
            )
        hw = v.real("skeleton_halfwidth", halfwidth, low=0.0, low_open=True)
        calibrated = calibrate(hw, v.integer("skeleton_nu", nu, low=1, high=n, fix=nu_fix))
    if skeleton is None:
        if calibrated is None:
            raise SpecError("skeleton", "missing", missing_fix)
        return calibrated
    sk = v.prob_vector("skeleton", skeleton, open_interval=True)
    if calibrated is not None and max(abs(a - b) for a, b in zip(sk, calibrated, strict=False)) > 1e-9:
        raise SpecError(
            "skeleton",
            "disagrees with the skeleton calibrated from skeleton_halfwidth and skeleton_nu",
            "give either an explicit skeleton or the calibration, not both",
        )
    return sk
