"""Arm files: parsing, round trip, and errors that name the field and the fix."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from dosefind.arm import Arm, ArmScenario, SafetyMonitor, load_arm
from dosefind.arm.spec import arm_spec_from_dict
from dosefind.designs.grid import DoseGrid, grid_values
from dosefind.errors import SpecError
from dosefind.extension import SimonRule

ARM = {
    "arm": {"name": "A1", "open_min_responses": 1},
    "design": {"kind": "boin", "target": 0.3, "n_doses": 3, "max_n": 18},
    "safety": {"limit": 0.3, "confidence": 0.9},
    "cohorts": [
        {"name": "bio", "rule": "simon", "n1": 16, "r1": 1, "n": 25, "r": 3, "count_escalation": True},
        {"name": "hist", "rule": "simon", "p0": 0.05, "p1": 0.25, "alpha": 0.05, "beta": 0.2},
    ],
    "scenarios": [
        {
            "name": "S1",
            "true_tox": [0.1, 0.2, 0.3],
            "true_eff": [0.1, 0.2, 0.3],
            "correlation": 0.3,
            "cohort_response": {"hist": 0.25, "bio": [0.2, 0.3, 0.4]},
        }
    ],
    "simulation": {"n_trials": 100, "seed": 3},
}


def test_parse_and_round_trip():
    spec = arm_spec_from_dict(ARM)
    arm = spec.arm
    assert arm.name == "A1" and arm.open_min_responses == 1
    assert arm.cohort_names == ("bio", "hist")
    assert arm.cohorts[0].count_escalation and not arm.cohorts[1].count_escalation
    assert arm.cohorts[0].boundaries.looks.tolist() == [16, 25]
    s = spec.scenarios[0]
    assert s.response_of("hist") == (0.25, 0.25, 0.25)
    assert s.response_of("bio") == (0.2, 0.3, 0.4)
    again = arm_spec_from_dict({**arm.to_dict(), "scenarios": [s.to_dict(arm.design)]})
    assert again.arm.config_hash() == arm.config_hash()
    assert again.scenarios[0] == s
    assert spec.n_trials == 100 and spec.seed == 3


def _broken(path, value):
    data = copy.deepcopy(ARM)
    node = data
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    "path, value, field",
    [
        (("cohorts",), [], "cohorts"),
        (("cohorts", 1, "name"), "bio", "cohorts.name"),
        (("cohorts", 1, "count_escalation"), True, "cohorts.count_escalation"),
        (("cohorts", 0, "count_escalation"), "yes", "cohorts[0].count_escalation"),
        (("cohorts", 0, "rule"), "fleming", "cohorts[0].rule"),
        (("safety", "limit"), 1.5, "safety.limit"),
        (("safety", "colour"), 1, "safety.colour"),
        (("arm", "open_min_responses"), -1, "arm.open_min_responses"),
        (("scenarios", 0, "true_eff"), [0.1, 0.2], "scenarios[0].true_eff"),
        (("scenarios", 0, "true_eff", 1), 1.2, "scenarios[0].true_eff[1]"),
        (("scenarios", 0, "correlation"), 1.0, "scenarios[0].correlation"),
        (("scenarios", 0, "cohort_response", "other"), 0.2, "scenarios[0].cohort_response.other"),
        (("scenarios", 0, "true_eff"), KeyError, "scenarios[0].true_eff"),
        (("design",), KeyError, "design"),
    ],
)
def test_errors_name_the_field(path, value, field):
    with pytest.raises(SpecError) as e:
        arm_spec_from_dict(_broken(path, value))
    assert e.value.field == field, str(e.value)
    assert e.value.fix


def test_load_arm_names_the_file(tmp_path):
    p = tmp_path / "arm.toml"
    p.write_text('[design]\nkind = "boin"\ntarget = 0.3\nn_doses = 3\nmax_n = 9\n[[cohorts]]\nname = "a"\n')
    with pytest.raises(SpecError) as e:
        load_arm(p)
    assert "arm.toml" in str(e.value) and "cohorts[0].rule" in str(e.value)


def test_safety_table_is_the_beta_rule():
    from scipy.stats import beta

    s = SafetyMonitor(limit=0.3, confidence=0.9, prior_a=0.5, prior_b=0.5, min_n=4)
    table = s.table(20)
    for n in range(21):
        for y in range(n + 1):
            want = n >= 4 and beta.sf(0.3, 0.5 + y, 0.5 + n - y) > 0.9
            assert bool(table[n, y]) == want
    assert s.stop_boundary(3) is None
    assert s.stop_boundary(10) == int(np.flatnonzero(table[10, :11])[0])


def test_grid_values_and_grid_errors():
    g = DoseGrid(levels_a=("a1", "a2"), levels_b=("b1", "b2", "b3"), excluded=("2.3",))
    assert grid_values("x", [[0.1, 0.2, 0.3], [0.2, 0.3, 0.4]], g) == (0.1, 0.2, 0.3, 0.2, 0.3, 0.4)
    with pytest.raises(SpecError) as e:
        grid_values("x", [[0.1, 0.2], [0.2, 0.3]], g)
    assert e.value.field == "x" and "2 rows of 3" in e.value.problem
    assert g.index("2.1") == 3 and g.label(5) == "2.3" and g.excluded_mask.tolist() == [0, 0, 0, 0, 0, 1]
    for bad, field in (
        (["1.1"], "grid.excluded"),
        (["4.1"], "grid.excluded[0]"),
        (["x"], "grid.excluded[0]"),
    ):
        with pytest.raises(SpecError) as e:
            DoseGrid(levels_a=("a",), levels_b=("b", "c"), excluded=tuple(bad))
        assert e.value.field == field
    assert DoseGrid.from_dict(g.to_dict()) == g


def test_arm_scenario_requires_shapes():
    arm = Arm(arm_spec_from_dict(ARM).arm.design, (arm_spec_from_dict(ARM).arm.cohorts[0],))
    with pytest.raises(SpecError) as e:
        ArmScenario.from_dict({"name": "x", "true_tox": [0.1] * 4, "true_eff": [0.1] * 3}, arm)
    assert e.value.field == "scenario.true_tox"
    assert SimonRule(n1=16, r1=1, n=25, r=3).boundaries().max_n == 25
