"""EffTox's spec: the utility contour against trialr's documented values, validation (one-line errors
naming the field and the fix), the TOML round trip, and the fast posterior against a reference
integration (fresh Monte Carlo draws, tolerance: the rule's measured error plus four reference SEs)."""

import numpy as np
import pytest

from dosefind.designs import EffTox
from dosefind.designs.registry import design_from_dict
from dosefind.engine.efftox import efftox_summary
from dosefind.errors import SpecError
from oracles import efftox_reference

PRIOR = dict(
    prior_mean=(-7.9593, 1.5482, 0.7367, 3.4181, 0.0, 0.0),
    prior_sd=(3.5487, 3.5018, 2.5423, 2.4406, 0.2, 1.0),
)
DOSES = (1, 2, 4, 6.6, 10)


def _design(**kw):
    base = dict(doses=DOSES, max_n=39, **PRIOR)
    base.update(kw)
    return EffTox(**base)


def test_contour_matches_trialr_examples():
    """trialr's efftox_solve_p / efftox_utility / efftox_get_tox documentation examples."""
    d = _design()
    assert d.utility(0.7, 0.25) == pytest.approx(0.0, abs=1e-9)  # (eff_star, tox_star) on the 0 contour
    assert d.utility(0.5, 0.0) == pytest.approx(0.0, abs=1e-9)
    assert d.utility(1.0, 0.65) == pytest.approx(0.0, abs=1e-9)
    assert np.round(d.utility([0.6, 0.7, 0.8], [0.1, 0.2, 0.3]), 2).tolist() == [0.04, 0.08, 0.12]
    assert d.x == pytest.approx(np.log(DOSES) - np.log(DOSES).mean())


@pytest.mark.parametrize(
    "kw, field",
    [
        (dict(doses=None), "doses"),
        (dict(doses=(2, 1, 3)), "doses"),
        (dict(doses=(0, 1, 3)), "doses[0]"),
        (dict(tox_limit=1.2), "tox_limit"),
        (dict(eff_limit=0.0), "eff_limit"),
        (dict(p_tox=1.0), "p_tox"),
        (dict(eff_star=0.4), "eff_star"),
        (dict(tox_star=0.7), "tox_star"),
        (dict(prior_mean=(0, 0, 0)), "prior_mean"),
        (dict(prior_sd=(1, 1, 1, 1, 1, 0)), "prior_sd"),
        (dict(prior_sd=None), "prior_sd"),
        (dict(max_n=300), "max_n"),
    ],
)
def test_bad_input_names_the_field(kw, field):
    with pytest.raises(SpecError) as e:
        _design(**kw)
    assert e.value.field == field
    assert "\n" not in str(e.value)


def test_toml_round_trip_and_hash():
    d = _design(dose_unit="mcL/kg", name="E")
    again = design_from_dict(d.to_dict())
    assert again == d and again.config_hash() == d.config_hash()
    assert d.target == d.tox_limit  # the toxicity-only metrics' reference


CASES = {
    "1NNE 2EEB": ([3, 3, 0, 0, 0], [0, 1, 0, 0, 0], [[1, 3, 0, 0, 0], [0, 1, 0, 0, 0]]),
    "no data": ([0] * 5, [0] * 5, [[0] * 5, [0] * 5]),
    "1N 2E 3B": ([1, 1, 1, 0, 0], [0, 0, 1, 0, 0], [[0, 1, 1, 0, 0], [0, 0, 1, 0, 0]]),
    "24 patients": ([3, 6, 9, 6, 0], [0, 1, 2, 3, 0], [[1, 3, 6, 5, 0], [0, 1, 1, 2, 0]]),
}
#: the rule's largest error measured in docs/notes/efftox-conventions.md (1,024 points and the Laplace
#: control variate, 70 data sets: 0.0097, 0.0063, 0.0195, 0.0204) times 1.25, rounded up
RULE_ERROR = {"prob_tox": 0.012, "prob_eff": 0.008, "prob_acc_tox": 0.025, "prob_acc_eff": 0.025}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_posterior_against_reference(case):
    d = _design()
    n, y, r = CASES[case]
    fast = efftox_summary(d, n, y, r)
    ref = efftox_reference(d, n, y, r, draws=200_000, seed=11)
    for key, bound in RULE_ERROR.items():
        est, se = ref[key]
        assert np.all(np.abs(fast[key] - est) <= bound + 4 * se), (key, fast[key], est, se)
    assert fast["ess"] > 100


def test_posterior_table_reads_p_above_target_from_the_toxicity_hurdle():
    from dosefind.designs.efftox.home import efftox_posterior_table

    n, y, r = CASES["24 patients"]
    d = _design()
    table = efftox_posterior_table(d, n, y, r)
    s = efftox_summary(d, n, y, r)
    # the default target is tox_limit: the table's P(pi_T > target) and the hurdle the decision reads agree
    assert np.array_equal(table.prob_above_target, 1.0 - s["prob_acc_tox"])
    assert np.all((table.lower <= table.mean) & (table.mean <= table.upper))
    # another target: a sum over the weighted points, higher for a lower target
    lower_target = efftox_posterior_table(_design(target=0.2), n, y, r)
    assert np.all(lower_target.prob_above_target >= table.prob_above_target - RULE_ERROR["prob_acc_tox"])
