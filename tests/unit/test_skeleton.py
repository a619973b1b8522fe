"""Lee & Cheung (2009) indifference-interval skeletons."""

import math

import numpy as np
import pytest

from dosefind import Crm
from dosefind.designs import calibrate_skeleton
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
