"""CRM skeleton calibration by the indifference-interval method (Lee & Cheung 2009).

Given the target theta, a half-width delta and the prior MTD level nu (1-based), the skeleton is built
so that the model's dose choice switches from dose k-1 to dose k exactly where the two doses' model
probabilities are theta - delta and theta + delta: start with p_nu = theta at b = 0 and walk outwards,
solving each boundary's parameter value in closed form.

Empiric (power) model p_k(b) = s_k ** exp(b); logistic model p_k(b) = expit(a0 + exp(b) x_k) with the
skeleton recovered as s_k = expit(a0 + x_k).

Which half-widths are feasible. With the model coefficient c(p) = log p (empiric) or logit(p) - a0
(logistic), each boundary multiplies the coefficient by the same ratio, so the walk has the closed form

    c_k = c(theta) * r ** (nu - k),    r(delta) = c(theta - delta) / c(theta + delta) > 1,

and s_k = exp(c_k) (empiric) or expit(a0 + c_k) (logistic). In exact arithmetic every delta in
(0, min(theta, 1 - theta)) (logistic: also theta + delta < expit(a0)) gives a strictly increasing
skeleton inside (0, 1). But the values below nu fall towards 0, and those above nu rise towards the
model's ceiling (1, or expit(a0)), like powers of r, and r grows without bound as delta approaches the
end of its range: a wide half-width over many levels underflows to 0 or rounds to the ceiling in
double precision. dosefind accepts a calibration when

* the lowest value is a normal double (no underflow): |c_1| = |c(theta)| r^(nu-1) <= L_low, with
  L_low = -log(tiny) (empiric) or a0 - logit(tiny) (logistic), tiny = 2^-1022 = 2.2e-308;
* the highest value lies at least a machine epsilon (relative) below the ceiling:
  |c_n| = |c(theta)| r^-(n-nu) >= L_high, with L_high = eps (empiric) or eps / (1 - expit(a0))
  (logistic), eps = 2^-52;

that is r(delta) <= r_max = min((L_low / |c(theta)|)^(1/(nu-1)), (|c(theta)| / L_high)^(1/(n-nu))) (a
bound drops out when nu = 1 or nu = n). r(delta) increases strictly with delta (|c(theta - delta)| grows,
|c(theta + delta)| shrinks), from 1 at delta = 0 to infinity at the end of the range, so the feasible
half-widths are exactly delta <= delta_max, the root of r(delta) = r_max, found by bisection to the
last bit (:func:`max_skeleton_halfwidth`). The bounds are applied to the closed form; the walk computes
the same values up to rounding, so at delta_max the lowest value is 2.2e-308 to within a few units in
the last place (never 0) and the highest is about eps below the ceiling. Wider half-widths are refused
with a SpecError on ``skeleton_halfwidth`` that gives delta_max and the ``skeleton_nu`` values that work.
(dfcrm's ``getprior`` walks the same way without any check: its skeleton silently underflows to 0.)
"""

from __future__ import annotations

import math
import sys
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from ..errors import SpecError

MODELS = ("empiric", "logistic")

#: The smallest normal double: the lowest skeleton value may not fall below it (underflow).
TINY = sys.float_info.min
#: Machine epsilon: the highest skeleton value stays at least this far (relative) below the ceiling.
EPS = sys.float_info.epsilon


def calibrate_skeleton(
    target: float,
    halfwidth: float,
    nu: int,
    n_doses: int,
    model: str = "empiric",
    intercept: float = 3.0,
    *,
    unit: str = "doses",
) -> tuple[float, ...]:
    """Lee & Cheung's skeleton for ``n_doses`` levels with prior MTD level ``nu`` (1-based).

    Raises :class:`SpecError` on ``skeleton_halfwidth`` when the half-width is outside its range or too
    wide for this target, ``nu`` and number of levels (see the module docstring); ``unit`` names the
    levels in messages ("doses", "included cells").
    """
    if model not in MODELS:
        raise SpecError("model", f"unknown model {model!r}", "use 'empiric' or 'logistic'")
    if model == "logistic" and target >= _ceiling(model, intercept):
        raise SpecError(
            "intercept",
            f"the logistic model with intercept {intercept:g} stays below {_ceiling(model, intercept):.4g}, "
            f"under the target {target:g}",
            f"raise intercept above logit(target) = {math.log(target / (1 - target)):.4g}",
        )
    end = _halfwidth_end(target, model, intercept)
    if not 0 < halfwidth < end:
        raise SpecError(
            "skeleton_halfwidth", f"{halfwidth:g} is out of range", f"use a half-width in (0, {end:g})"
        )
    if not 1 <= nu <= n_doses:
        raise SpecError("skeleton_nu", f"{nu} is not a dose level", f"use a level from 1 to {n_doses}")
    limit = max_skeleton_halfwidth(target, nu, n_doses, model, intercept)
    if halfwidth > limit:
        raise _too_wide(target, halfwidth, nu, n_doses, model, intercept, unit, limit)
    s = _walk(target, halfwidth, nu, n_doses, model, intercept)
    if not _usable(s, model, intercept):
        # only a half-width so narrow that neighbouring values coincide in double precision gets here
        low = _min_distinct_halfwidth(target, nu, n_doses, model, intercept, limit)
        raise SpecError(
            "skeleton_halfwidth",
            f"{halfwidth:g} is too narrow: the calibrated skeleton's values coincide in double precision",
            f"use a half-width of at least {_decimal(low, ROUND_CEILING)}",
        )
    return s


def max_skeleton_halfwidth(
    target: float, nu: int, n_doses: int, model: str = "empiric", intercept: float = 3.0
) -> float:
    """The largest half-width whose Lee & Cheung skeleton (target, prior MTD level ``nu`` of
    ``n_doses``) stays strictly inside (0, 1) and increasing in double precision: the lowest value a
    normal double, the highest at least a machine epsilon below the model's ceiling (module docstring).

    Half-widths up to and including this value are accepted by :func:`calibrate_skeleton` (and by the
    designs' ``skeleton_halfwidth``); it is 0.0 when none is. With a single level (nothing to walk) it is
    the largest double below the end of the half-width range.
    """
    end = _halfwidth_end(target, model, intercept)
    if end <= 0:
        return 0.0
    r_max = _max_ratio(target, nu, n_doses, model, intercept)
    lo, hi = 0.0, end  # invariant: r(lo) <= r_max (r(0) = 1) and hi infeasible or the open end
    if r_max <= 1.0:
        return 0.0
    while True:
        mid = 0.5 * (lo + hi)
        if not lo < mid < hi:
            return lo
        if _ratio(target, mid, model, intercept) <= r_max:
            lo = mid
        else:
            hi = mid


# ---- the walk and its bounds ---------------------------------------------------------------------------
def _walk(target, halfwidth, nu, n_doses, model, intercept) -> tuple[float, ...]:
    """The boundary-by-boundary walk (dfcrm's getprior), unchecked."""
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


def _ceiling(model, intercept) -> float:
    """The supremum of the model's DLT probabilities: 1, or expit(a0) for the logistic model."""
    return 1.0 if model == "empiric" else 1.0 / (1.0 + math.exp(-intercept))


def _halfwidth_end(target, model, intercept) -> float:
    """The open upper end of the half-width range: theta - delta > 0, theta + delta below the ceiling."""
    return min(target, 1 - target, _ceiling(model, intercept) - target)


def _coef(p, model, intercept) -> float:
    """c(p) = log p (empiric) or logit(p) - a0 (logistic): negative below the ceiling."""
    if model == "empiric":
        return math.log(p)
    return math.log(p / (1 - p)) - intercept


def _ratio(target, halfwidth, model, intercept) -> float:
    """r(delta) = c(theta - delta) / c(theta + delta): the factor between neighbouring coefficients."""
    hi = target + halfwidth
    if hi >= _ceiling(model, intercept):
        return math.inf
    den = _coef(hi, model, intercept)
    return math.inf if den >= 0 else _coef(target - halfwidth, model, intercept) / den


def _bounds(model, intercept) -> tuple[float, float]:
    """(L_low, L_high): the largest |c_1| (lowest value a normal double) and the smallest |c_n| (highest
    value a machine epsilon below the ceiling)."""
    if model == "empiric":
        return -math.log(TINY), EPS
    return intercept - math.log(TINY / (1 - TINY)), EPS / (1 - _ceiling(model, intercept))


def _max_ratio(target, nu, n_doses, model, intercept) -> float:
    """r_max: the largest ratio r for which c(theta) r^(nu-k), k = 1..n, keeps both bounds."""
    c = abs(_coef(target, model, intercept))
    low, high = _bounds(model, intercept)
    r = math.inf
    if nu > 1:
        r = min(r, (low / c) ** (1.0 / (nu - 1)))
    if nu < n_doses:
        r = min(r, (c / high) ** (1.0 / (n_doses - nu)))
    return r


def _usable(s, model, intercept) -> bool:
    """Strictly inside (0, ceiling) and strictly increasing, as doubles."""
    top = _ceiling(model, intercept)
    return all(0.0 < x < top for x in s) and all(b > a for a, b in zip(s, s[1:], strict=False))


def _min_distinct_halfwidth(target, nu, n_doses, model, intercept, limit) -> float:
    """The smallest half-width (to the last bit) whose walk gives distinct values: bisection below
    ``limit``, where the walk is usable."""
    lo, hi = 0.0, limit
    while True:
        mid = 0.5 * (lo + hi)
        if not lo < mid < hi:
            return hi
        if _usable(_walk(target, mid, nu, n_doses, model, intercept), model, intercept):
            hi = mid
        else:
            lo = mid


def _decimal(x: float, rounding: str, digits: int = 6) -> str:
    """``x`` to ``digits`` significant digits, rounded down (ROUND_FLOOR) or up (ROUND_CEILING), so the
    printed value is on the feasible side of ``x``."""
    d = Decimal(x)
    return f"{float(d.quantize(Decimal(1).scaleb(d.adjusted() - digits + 1), rounding=rounding)):.{digits}g}"


def _too_wide(target, halfwidth, nu, n_doses, model, intercept, unit, limit) -> SpecError:
    log_r = math.log(_ratio(target, halfwidth, model, intercept))
    log_c = math.log(abs(_coef(target, model, intercept)))
    low, _ = _bounds(model, intercept)
    if nu > 1 and log_c + (nu - 1) * log_r > math.log(low):
        what = f"its lowest value would underflow below {TINY:.3g}"
    else:
        top = "1" if model == "empiric" else f"the logistic model's ceiling expit({intercept:g})"
        what = f"its highest value would come within machine epsilon of {top}"
    ok_nu = [
        m
        for m in range(1, n_doses + 1)
        if halfwidth <= max_skeleton_halfwidth(target, m, n_doses, model, intercept)
    ]
    if limit > 0:
        fix = (
            f"use skeleton_halfwidth <= {_decimal(limit, ROUND_FLOOR)} (the widest that keeps the skeleton "
            f"strictly inside (0, 1) and increasing for target {target:g}, skeleton_nu = {nu} and "
            f"{n_doses} {unit})"
        )
    else:
        fix = f"no half-width works for target {target:g} with skeleton_nu = {nu} and {n_doses} {unit}"
    if ok_nu:
        span = f"{ok_nu[0]}" if len(ok_nu) == 1 else f"{ok_nu[0]} to {ok_nu[-1]}"
        fix += f", or skeleton_nu = {span} with this half-width"
    return SpecError(
        "skeleton_halfwidth",
        f"{halfwidth:g} is too wide for skeleton_nu = {nu} of {n_doses} {unit} at target {target:g}: "
        f"in double precision Lee & Cheung's calibrated skeleton leaves (0, 1): {what}",
        fix + ", or give skeleton = [...] explicitly",
    )


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
