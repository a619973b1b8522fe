"""The go threshold calibrated to a type I error (basket/calibrate.py): the rule it returns meets the
target on the simulated trials and the next stricter-to-looser step does not; without borrowing and with
one look, the type I error at the calibrated threshold agrees with the exact binomial tail within MCSE."""

import math

import numpy as np
import pytest
from scipy import stats

from dosefind.basket.calibrate import DIGITS, calibrate, null_scenario
from dosefind.basket.decide import CohortStatus
from dosefind.basket.simulate import simulate_trials
from dosefind.basket.spec import spec_from_dict
from dosefind.errors import SpecError

T = 6000


def _spec(looks=False, efficacy=None):
    design = {"name": "ind", "kind": "independent", "prior": [0.5, 0.5], "threshold": 0.9}
    if efficacy is not None:
        design["efficacy"] = efficacy
    return spec_from_dict(
        {
            "basket": {"name": "t", "q0": 0.15},
            "cohorts": [
                {"name": "a", "n": 20, **({"looks": [10, 20]} if looks else {})},
                {"name": "b", "n": 25, "q0": 0.2, **({"looks": [12, 25]} if looks else {})},
                {"name": "c", "n": 15, **({"looks": [8, 15]} if looks else {})},
            ],
            "designs": [design, {"name": "fuj", "kind": "fujikawa", "threshold": 0.9, "tau": 0.3}],
            "scenarios": [{"name": "mixed", "rates": [0.15, 0.4, 0.15]}],
        }
    )


def _rates(spec, cal, threshold):
    """Type I errors recomputed from a fresh look at the same simulated trials."""
    tr = simulate_trials(cal.design, spec.cohorts, cal.scenario.rates, cal.n_trials, cal.seed)
    null = [k for k, (r, c) in enumerate(zip(cal.scenario.rates, spec.cohorts, strict=True)) if r <= c.q0]
    final = np.isin(tr.status, [CohortStatus.GO, CohortStatus.NO_GO])
    go = (tr.status == CohortStatus.STOP_EFFICACY) | (final & (tr.prob > threshold))
    return go[:, null].mean(axis=0), go[:, null].any(axis=1).mean()


@pytest.mark.parametrize("design", ["ind", "fuj"])
@pytest.mark.parametrize("criterion", ["cohort", "family"])
def test_calibrated_threshold_is_the_smallest_that_meets_the_target(design, criterion):
    spec = _spec(looks=True)
    cal = calibrate(spec, spec.design(design), 0.1, criterion=criterion, n_trials=T, seed=3)
    assert cal.scenario.name == "global null (q0)" and len(cal.type1) == 3
    per, fwer = _rates(spec, cal, cal.threshold)
    np.testing.assert_allclose(per, list(cal.type1.values()))
    assert math.isclose(fwer, cal.fwer)
    worst = per.max() if criterion == "cohort" else fwer
    assert worst <= 0.1
    per_lower, fwer_lower = _rates(spec, cal, cal.threshold - 10.0**-DIGITS)  # one step looser
    assert (per_lower.max() if criterion == "cohort" else fwer_lower) > 0.1


def test_without_borrowing_the_type_one_error_is_the_binomial_tail():
    """One look, no borrowing: cohort k goes iff its posterior P(q > q0) exceeds the threshold, i.e. iff
    x_k is at least the smallest such count; the simulated rate at the calibrated threshold is within 4
    MCSE of that binomial tail under q0."""
    spec = _spec()
    cal = calibrate(spec, spec.design("ind"), 0.05, n_trials=T, seed=5)
    for c in spec.cohorts:
        x = np.arange(c.n + 1)
        post = stats.beta.sf(c.q0, 0.5 + x, 0.5 + c.n - x)
        exact = stats.binom.pmf(x, c.n, c.q0)[post > cal.threshold].sum()
        assert abs(cal.type1[c.name] - exact) < 4 * cal.mcse(exact), c.name


def test_the_named_scenario_counts_only_its_null_cohorts():
    spec = _spec()
    cal = calibrate(spec, spec.design("ind"), 0.1, scenario="mixed", n_trials=1000)
    assert list(cal.type1) == ["a", "c"]
    assert null_scenario(spec, None).rates == (0.15, 0.2, 0.15)


def test_bad_requests_are_refused_with_the_field():
    spec = _spec(looks=True, efficacy=0.5)
    with pytest.raises(SpecError) as e:
        calibrate(spec, spec.design("ind"), 0.1, n_trials=1000)
    assert e.value.field == "--alpha" and "efficacy" in e.value.problem
    spec = _spec()
    for kwargs, field in [
        ({"alpha": 0.0}, "--alpha"),
        ({"alpha": 0.1, "criterion": "trial"}, "--criterion"),
        ({"alpha": 0.1, "scenario": "nope"}, "--scenario"),
        ({"alpha": 0.1, "n_trials": 10}, "--trials"),
    ]:
        alpha = kwargs.pop("alpha")
        with pytest.raises(SpecError) as e:
            calibrate(spec, spec.design("ind"), alpha, **kwargs)
        assert e.value.field == field
    alt = spec_from_dict(
        {
            "basket": {"name": "t", "q0": 0.15},
            "cohorts": [{"name": "a", "n": 20, "looks": [10, 20]}],
            "designs": [{"name": "s", "kind": "simon", "rule": {"n1": 10, "r1": 1, "n": 20, "r": 4}}],
            "scenarios": [{"name": "alt", "rates": [0.4]}],
        }
    )
    with pytest.raises(SpecError) as e:
        calibrate(alt, alt.design("s"), 0.1, n_trials=1000)
    assert e.value.field == "--design-name"


def test_every_design_says_whether_it_can_be_calibrated():
    """Each design answers for itself: posterior designs can be calibrated, rule designs, a predictive
    interim and an enrichment design's own pooled threshold cannot (the refusal names the fix)."""
    from dosefind.basket.spec import Enrichment, Fujikawa, Independent, Simon

    assert Independent(name="i").calibration_refusal() is None
    assert Fujikawa(name="f").calibration_refusal() is None
    assert Enrichment(name="e").calibration_refusal() is None
    for design, word in [
        (Simon(name="s", rule={"n1": 10, "r1": 1, "n": 20, "r": 4}), "boundaries"),
        (Fujikawa(name="f", interim="predictive", futility=0.1), "predictive"),
        (Enrichment(name="e", pooled_threshold=0.9), "pooled_threshold"),
    ]:
        problem, fix = design.calibration_refusal()
        assert word in problem and fix
