"""Lee & Cheung (2009) indifference-interval skeletons."""

import math
import re
import sys

import numpy as np
import pytest
import tomli_w
import tomllib
from scipy.optimize import brentq

from dosefind import Crm
from dosefind.designs import PoCrm, calibrate_skeleton, design_from_dict, max_skeleton_halfwidth
from dosefind.designs.grid import DoseGrid
from dosefind.errors import SpecError


@pytest.mark.parametrize("model", ["empiric", "logistic"])
@pytest.mark.parametrize(
    "target, hw, nu, k", [(0.25, 0.05, 3, 5), (0.3, 0.05, 3, 6), (0.2, 0.07, 4, 6), (0.3, 0.04, 1, 5)]
)
def test_indifference_intervals(model, target, hw, nu, k):
    """At the parameter value where the model's dose choice switches from dose j to j+1, the two doses'
    DLT probabilities are exactly target + hw and target - hw; and s_nu = target."""
    sk = calibrate_skeleton(target, hw, nu, k, model)
    design = Crm(target=target, n_doses=k, max_n=30, skeleton=sk, model=model)
    assert sk[nu - 1] == pytest.approx(target, abs=1e-14)
    assert all(b > a for a, b in zip(sk, sk[1:], strict=False))
    for j in range(k - 1):
        b = design.b_at(target + hw)[j + 1]  # where dose j+1 hits target + hw ...
        p = design.prob_tox(b)
        assert p[j] == pytest.approx(target - hw, abs=1e-12)  # ... dose j is at target - hw


def test_calibration_in_spec_and_roundtrip():
    d = Crm(target=0.3, n_doses=6, max_n=36, skeleton_halfwidth=0.05, skeleton_nu=3)
    again = Crm.from_dict(d.to_dict())
    assert again == d
    assert np.allclose(d.skeleton, calibrate_skeleton(0.3, 0.05, 3, 6))


def test_calibration_errors():
    with pytest.raises(SpecError, match="skeleton_halfwidth"):
        calibrate_skeleton(0.3, 0.4, 3, 6)
    with pytest.raises(SpecError, match="skeleton_nu"):
        Crm(target=0.3, n_doses=6, max_n=36, skeleton_halfwidth=0.05)
    with pytest.raises(SpecError, match="strictly increasing"):
        Crm(target=0.3, n_doses=3, max_n=36, skeleton=(0.1, 0.3, 0.2))
    with pytest.raises(SpecError, match="one skeleton value per dose"):
        Crm(target=0.3, n_doses=4, max_n=36, skeleton=(0.1, 0.2, 0.3))
    assert math.isfinite(calibrate_skeleton(0.3, 0.05, 6, 6)[0])


# ---- which half-widths are feasible --------------------------------------------------------------------
TINY = sys.float_info.min
EPS = sys.float_info.epsilon
GRID_2X4 = DoseGrid(levels_a=("a0", "a1"), levels_b=("b0", "b1", "b2", "b3"))


def naive_max_halfwidth(target, nu, n, model="empiric", a0=3.0):
    """delta_max from the closed form written out here: c_k = c(theta) r^(nu - k), r = c(theta - delta) /
    c(theta + delta); the lowest value must stay >= the smallest normal double and the highest at least
    eps (relative) below the ceiling; solved for delta with scipy's brentq."""
    if model == "empiric":
        c, top = math.log, 1.0
        low, high = -math.log(TINY), EPS
    else:
        top = 1 / (1 + math.exp(-a0))
        c = lambda p: math.log(p / (1 - p)) - a0  # noqa: E731
        low, high = a0 - math.log(TINY / (1 - TINY)), EPS / (1 - top)
    ct = abs(c(target))
    r_max = min(
        (low / ct) ** (1 / (nu - 1)) if nu > 1 else math.inf,
        (ct / high) ** (1 / (n - nu)) if nu < n else math.inf,
    )
    end = min(target, 1 - target, top - target)
    if math.isinf(r_max):
        return end
    return brentq(lambda d: c(target - d) / c(target + d) - r_max, 1e-12, end * (1 - 1e-15), xtol=1e-15)


@pytest.mark.parametrize("model", ["empiric", "logistic"])
@pytest.mark.parametrize(
    "target, nu, n",
    [(0.2, 7, 8), (0.2, 8, 8), (0.3, 12, 12), (0.25, 4, 8), (0.25, 6, 12), (0.5, 1, 30), (1 / 3, 10, 16)],
)
def test_max_halfwidth_is_the_root_of_the_closed_form(model, target, nu, n):
    got = max_skeleton_halfwidth(target, nu, n, model)
    assert got == pytest.approx(naive_max_halfwidth(target, nu, n, model), rel=1e-10)
    sk = calibrate_skeleton(target, got, nu, n, model)  # just feasible: strictly inside, increasing
    top = 1.0 if model == "empiric" else 1 / (1 + math.exp(-3.0))
    assert 0 < sk[0] and sk[-1] < top and all(b > a for a, b in zip(sk, sk[1:], strict=False))
    # and on the edge: the lowest value at the smallest normal double or the highest eps below the top
    at_bottom = sk[0] == pytest.approx(TINY, rel=1e-9)
    at_top = (top - sk[-1]) / top == pytest.approx(EPS, rel=1e-3)
    assert at_bottom or at_top, (sk[0], top - sk[-1])
    with pytest.raises(SpecError) as info:
        calibrate_skeleton(target, math.nextafter(got, 1.0), nu, n, model)
    assert info.value.field == "skeleton_halfwidth" and "too wide" in info.value.problem


def test_the_reported_limit_for_the_property_test_case():
    """Target 0.2, prior MTD at 7 of 8: r_max = (-log(2^-1022) / -log 0.2)^(1/6) = 2.75804, so
    log(0.2 - delta) / log(0.2 + delta) = 2.75804 at delta_max = 0.1463158 (0.15625 gives r = 3.03)."""
    assert max_skeleton_halfwidth(0.2, 7, 8) == pytest.approx(0.14631577280347674, rel=1e-12)
    r_max = (-math.log(TINY) / -math.log(0.2)) ** (1 / 6)
    assert r_max == pytest.approx(2.758038694380872, rel=1e-12)


def refused(make, field="skeleton_halfwidth"):
    with pytest.raises(SpecError) as info:
        make()
    err = info.value
    assert err.field == field, err
    return err


@pytest.mark.parametrize("halfwidth", [0.15625, 0.171875])
def test_crm_and_pocrm_refuse_a_degenerate_calibration_naming_the_field(halfwidth):
    """The property test's case: the skeleton underflowed to 0 (accepted, then refused at compile on
    skeleton[0]) or raised a bare ValueError (math domain error)."""
    for make in (
        lambda: Crm(target=0.2, n_doses=8, max_n=24, skeleton_halfwidth=halfwidth, skeleton_nu=7),
        lambda: PoCrm(target=0.2, grid=GRID_2X4, max_n=24, skeleton_halfwidth=halfwidth, skeleton_nu=7),
    ):
        err = refused(make)
        assert "too wide" in err.problem and "underflow" in err.problem
        assert "skeleton_halfwidth <= 0.146315" in err.fix
    assert (
        "8 included cells"
        in refused(
            lambda: PoCrm(target=0.2, grid=GRID_2X4, max_n=24, skeleton_halfwidth=0.15625, skeleton_nu=7)
        ).problem
    )


def _limit_in(fix: str) -> float:
    return float(re.search(r"skeleton_halfwidth <= ([0-9.e+-]+)", fix).group(1))


@pytest.mark.parametrize("model", ["empiric", "logistic"])
@pytest.mark.parametrize("nu", [1, 5, 8])
def test_crm_boundary(model, nu):
    """Just feasible is accepted (compiles, round-trips through TOML); one bit wider is refused with the
    field named, the printed limit (rounded down) is accepted, and so is every skeleton_nu the message
    offers for the refused half-width, and no other."""
    kw = dict(target=0.25, n_doses=8, max_n=30, model=model, skeleton_nu=nu)
    limit = max_skeleton_halfwidth(0.25, nu, 8, model)
    d = Crm(skeleton_halfwidth=limit, **kw)
    d.compile()
    assert design_from_dict(tomllib.loads(tomli_w.dumps({"design": d.to_dict()}))["design"]) == d
    wider = math.nextafter(limit, 1.0)
    if wider >= min(0.25, 0.75, 1 / (1 + math.exp(-3)) - 0.25):  # nu = 1: only the range's open end
        refused(lambda: Crm(skeleton_halfwidth=wider, **kw))
        return
    err = refused(lambda: Crm(skeleton_halfwidth=wider, **kw))
    Crm(skeleton_halfwidth=_limit_in(err.fix), **kw)
    spec = {**d.to_dict(), "skeleton_halfwidth": wider}
    del spec["skeleton"]
    assert refused(lambda: design_from_dict(spec), "design.skeleton_halfwidth")
    offered = re.search(r"or skeleton_nu = (\d+)(?: to (\d+))? with this half-width", err.fix)
    ok = {m for m in range(1, 9) if wider <= max_skeleton_halfwidth(0.25, m, 8, model)}
    if offered:
        a, b = int(offered.group(1)), int(offered.group(2) or offered.group(1))
        assert ok == set(range(a, b + 1))
        Crm(**{**kw, "skeleton_nu": a}, skeleton_halfwidth=wider)
    else:
        assert not ok


@pytest.mark.parametrize("nu", [1, 4, 8])
@pytest.mark.parametrize("estimation", ["bayes", "likelihood"])
def test_pocrm_boundary(nu, estimation):
    kw = dict(target=0.2, grid=GRID_2X4, max_n=24, skeleton_nu=nu, estimation=estimation)
    limit = max_skeleton_halfwidth(0.2, nu, 8)
    d = PoCrm(skeleton_halfwidth=limit, **kw)
    d.compile()
    assert d.skeleton[0] > 0 and d.skeleton[-1] < 1
    assert design_from_dict(tomllib.loads(tomli_w.dumps({"design": d.to_dict()}))["design"]) == d
    err = refused(lambda: PoCrm(skeleton_halfwidth=math.nextafter(limit, 1.0), **kw))
    if nu > 1:
        assert "too wide" in err.problem
        PoCrm(skeleton_halfwidth=_limit_in(err.fix), **kw)


def test_near_one_and_too_narrow_and_logistic_ceiling():
    # above the prior MTD the values approach 1: 30 levels at target 0.5 from nu = 1
    err = refused(lambda: Crm(target=0.5, n_doses=30, max_n=30, skeleton_halfwidth=0.45, skeleton_nu=1))
    assert "machine epsilon of 1" in err.problem
    Crm(target=0.5, n_doses=30, max_n=30, skeleton_halfwidth=_limit_in(err.fix), skeleton_nu=1)
    # a half-width below the resolution of doubles gives equal values
    err = refused(lambda: Crm(target=0.3, n_doses=6, max_n=30, skeleton_halfwidth=1e-17, skeleton_nu=3))
    assert "too narrow" in err.problem
    least = float(err.fix.rsplit(" ", 1)[1])
    Crm(target=0.3, n_doses=6, max_n=30, skeleton_halfwidth=least, skeleton_nu=3)
    # the logistic model cannot reach a target above expit(intercept)
    err = refused(
        lambda: Crm(
            target=0.96, n_doses=3, max_n=30, model="logistic", skeleton_halfwidth=0.01, skeleton_nu=1
        ),
        "intercept",
    )
    assert "raise intercept" in err.fix
