"""Design and scenario specs: validation messages, immutability, TOML round trip."""

import dataclasses

import pytest
import tomli_w

from dosefind import Boin, Crm, DontSkip, Scenario, StopAtN, StopWhenNAtDose, StopWhenTooToxic, ThreePlusThree
from dosefind.errors import SpecError
from dosefind.specfile import Spec, dumps, spec_from_dict

DESIGNS = [
    ThreePlusThree(n_doses=4, deescalation=False, modifiers=(StopAtN(n=12),)),
    Boin(
        target=0.25,
        doses=("10 mg", "20 mg", "40 mg"),
        max_n=24,
        cohort_size=2,
        n_earlystop=9,
        extrasafe=True,
        modifiers=(StopWhenTooToxic(threshold=0.3, confidence=0.9), DontSkip(deescalation=True)),
    ),
    Crm(
        target=0.3,
        n_doses=5,
        max_n=30,
        skeleton_halfwidth=0.05,
        skeleton_nu=2,
        model="logistic",
        safety_confidence=0.9,
        modifiers=(StopWhenNAtDose(n=9, dose=3),),
    ),
]


@pytest.mark.parametrize("design", DESIGNS, ids=lambda d: d.kind)
def test_toml_round_trip(design):
    spec = Spec((design,), (Scenario("a", tuple([0.1] * design.n_doses)),))
    text = dumps(spec)
    import tomllib

    again = spec_from_dict(tomllib.loads(text))
    assert again.designs[0] == design
    assert again.designs[0].config_hash() == design.config_hash()
    assert hash(again.designs[0]) == hash(design)


def test_designs_are_immutable():
    d = DESIGNS[1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.target = 0.3
    e = d.with_modifiers(StopAtN(n=10))
    assert len(e.modifiers) == len(d.modifiers) + 1 and d.modifiers == DESIGNS[1].modifiers


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(target=0.0, n_doses=3, max_n=9), "target"),
        (dict(target=0.3, max_n=9), "n_doses"),
        (dict(target=0.3, n_doses=3, max_n=9, start_dose=0), "start_dose"),
        (dict(target=0.3, n_doses=3, max_n=0), "max_n"),
        (dict(target=0.3, n_doses=3, max_n=9, cohort_size=0), "cohort_size"),
        (dict(target=0.3, doses=("a", "a"), max_n=9), "doses"),
        (dict(target=0.3, n_doses=3, max_n=9, cutoff_eli=1.0), "cutoff_eli"),
    ],
)
def test_boin_errors_name_the_field(kwargs, field):
    with pytest.raises(SpecError) as info:
        Boin(**kwargs)
    assert info.value.field == field
    assert info.value.fix  # every error says how to fix it


def test_modifier_errors_name_the_field():
    with pytest.raises(SpecError, match=r"design.modifiers\[0\].kind"):
        spec_from_dict(
            {
                "design": {
                    "kind": "boin",
                    "target": 0.3,
                    "n_doses": 3,
                    "max_n": 9,
                    "modifiers": [{"kind": "nope"}],
                },
                "scenarios": [{"name": "a", "true_tox": [0.1, 0.2, 0.3]}],
            }
        )
    with pytest.raises(SpecError, match=r"modifiers\[0\].dose"):
        Boin(target=0.3, n_doses=3, max_n=9, modifiers=(StopWhenTooToxic(threshold=0.3, dose=4),))


def test_scenario_validation_and_flags():
    with pytest.raises(SpecError, match="true_tox"):
        Scenario("x", (0.1, -0.2))
    assert Scenario("ok", (0.1, 0.2)).notes() == []
    assert "not non-decreasing" in Scenario("bump", (0.3, 0.2)).notes()[0]
    assert Scenario("a", (0.1,)).key != Scenario("b", (0.1,)).key


def test_three_plus_three_requires_cohorts_of_three():
    with pytest.raises(SpecError, match="cohort_size"):
        ThreePlusThree(n_doses=3, cohort_size=2)
    assert ThreePlusThree(n_doses=4).max_n == 24


def test_tomli_w_available_for_round_trip():
    assert tomli_w.dumps({"a": 1}).strip() == "a = 1"
