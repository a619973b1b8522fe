"""Modifiers that take a dose name a cell "j.k" on two-drug grids: checked against the grid, written back
as labels (specs round-trip), and equivalent to the cell's 1-based position; single-agent designs keep
their 1-based level numbers exactly as before."""

import numpy as np
import pytest
import tomllib

from dosefind import Boin, Scenario, SpecError, StopAtN, StopWhenNAtDose, StopWhenTooToxic
from dosefind.constants import Reason
from dosefind.designs import BoinComb, PoCrm, design_from_dict
from dosefind.designs import layout as L
from dosefind.designs.grid import DoseGrid
from dosefind.engine import simulate_one
from dosefind.live.recommend import recommend
from dosefind.outcomes import parse_outcomes
from dosefind.specfile import Spec, dumps, spec_from_dict

GRID = DoseGrid(("1 mg", "2 mg"), ("10 mg", "20 mg", "40 mg"), excluded=("2.3",))  # 2.1 is cell 4


def comb(*mods, **kw):
    return BoinComb(target=0.3, grid=GRID, max_n=24, modifiers=mods, **kw)


def pocrm(*mods):
    return PoCrm(target=0.3, grid=GRID, max_n=24, skeleton=(0.05, 0.12, 0.25, 0.4, 0.55), modifiers=mods)


def toml_design(mods: list[dict], kind="boin_comb"):
    design = comb().to_dict() if kind == "boin_comb" else pocrm().to_dict()
    design["modifiers"] = mods
    return spec_from_dict({"design": design}, "spec.toml", require_scenarios=False).designs[0]


# ---- round trip -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [comb, pocrm])
def test_labels_are_kept_and_round_trip(make):
    design = make(StopWhenNAtDose(n=9, dose="1.2"), StopWhenTooToxic(threshold=0.3, dose="2.1"))
    assert [m.dose for m in design.modifiers] == ["1.2", "2.1"]
    d = design.to_dict()
    assert [m["dose"] for m in d["modifiers"]] == ["1.2", "2.1"]
    assert design_from_dict(d) == design
    assert design_from_dict(d).config_hash() == design.config_hash()
    # through a TOML file
    text = dumps(Spec((design,), (Scenario("s", (0.1,) * 6),)))
    assert 'dose = "2.1"' in text
    back = spec_from_dict(tomllib.loads(text), "spec.toml").designs[0]
    assert back == design and back.to_dict() == d


def test_labels_are_written_canonically_and_numbers_stay_numbers():
    design = comb(StopWhenTooToxic(threshold=0.3, dose=" 02 . 1"), StopWhenNAtDose(n=9, dose=2))
    assert [m.dose for m in design.modifiers] == ["2.1", 2]  # a number is kept as written (cell 1.2)
    assert [m["dose"] for m in design.to_dict()["modifiers"]] == ["2.1", 2]
    assert [m.dose_index(design.doses) for m in design.modifiers] == [3, 1]
    from_toml = toml_design([{"kind": "stop_when_too_toxic", "threshold": 0.3, "dose": "2.1"}])
    assert from_toml.modifiers[0].dose == "2.1"


def test_single_agent_designs_keep_level_numbers():
    design = Boin(
        target=0.3,
        n_doses=3,
        max_n=18,
        modifiers=(StopWhenNAtDose(n=9, dose=3), StopWhenTooToxic(threshold=0.35), StopAtN(n=15)),
    )
    assert [m["dose"] for m in design.to_dict()["modifiers"][:2]] == [3, 1]
    rows = design.compile().mods
    assert rows[0, L.MOD_I1] == 2 and rows[1, L.MOD_I0] == 0
    spec = spec_from_dict(
        {
            "design": {
                "kind": "boin",
                "target": 0.3,
                "n_doses": 3,
                "max_n": 18,
                "modifiers": [{"kind": "stop_when_n_at_dose", "n": 9, "dose": 3}],
            }
        },
        require_scenarios=False,
    )
    assert spec.designs[0].modifiers[0].dose == 3


# ---- errors ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "mod, problem, fix",
    [
        (StopWhenTooToxic(threshold=0.3, dose="2.3"), "cell 2.3 is excluded from the grid", "included cell"),
        (StopWhenNAtDose(n=9, dose=6), "6 (cell 2.3) is excluded from the grid", "included cell"),
        (StopWhenNAtDose(n=9, dose="3.1"), "'3.1' is outside the 2 x 3 grid", "levels 1..2 for A"),
        (StopWhenTooToxic(threshold=0.3, dose=7), "7 is too large", 'by its label "j.k"'),
        (StopWhenTooToxic(threshold=0.3, dose=0), "0 is too small", 'by its label "j.k"'),
    ],
)
def test_bad_cells_are_refused_naming_the_field_and_the_fix(mod, problem, fix):
    for make in (comb, pocrm):
        with pytest.raises(SpecError) as err:
            make(StopAtN(n=12), mod)
        assert err.value.field == "modifiers[1].dose"
        assert problem in err.value.problem and fix in err.value.fix


def test_toml_errors_name_the_field():
    with pytest.raises(SpecError) as err:
        toml_design([{"kind": "stop_when_too_toxic", "threshold": 0.3, "dose": "2.3"}], kind="pocrm")
    assert err.value.field == "design.modifiers[0].dose" and "excluded" in err.value.problem
    assert str(err.value).startswith("spec.toml")
    with pytest.raises(SpecError) as err:  # TOML float: the label must be quoted
        toml_design([{"kind": "stop_when_n_at_dose", "n": 9, "dose": 2.1}])
    assert err.value.field == "design.modifiers[0].dose"
    assert 'the cell label in quotes (dose = "2.1")' in err.value.fix
    with pytest.raises(SpecError, match=r"design.modifiers\[0\].dose: 'second' is not a dose"):
        toml_design([{"kind": "stop_when_n_at_dose", "n": 9, "dose": "second"}])


def test_a_label_on_a_single_agent_design_is_refused():
    with pytest.raises(SpecError) as err:
        Boin(target=0.3, n_doses=3, max_n=18, modifiers=(StopWhenTooToxic(threshold=0.3, dose="1.2"),))
    assert err.value.field == "modifiers[0].dose"
    assert "names a cell of a two-drug grid" in err.value.problem
    assert "1-based dose level number from 1 to 3" in err.value.fix


# ---- a label and the equivalent number are the same modifier --------------------------------------------
SCENARIO = Scenario("grid", (0.05, 0.15, 0.3, 0.45, 0.6, 0.8))  # 2.1 (cell 4) above the target


@pytest.mark.parametrize("make", [comb, pocrm])
def test_label_and_number_give_identical_simulations(make):
    by_label = make(
        StopWhenNAtDose(n=9, dose="1.2"), StopWhenTooToxic(threshold=0.3, confidence=0.8, dose="2.1")
    )
    by_number = make(StopWhenNAtDose(n=9, dose=2), StopWhenTooToxic(threshold=0.3, confidence=0.8, dose=4))
    assert by_label != by_number  # as written, so each round-trips as its author wrote it
    a, b = by_label.compile(), by_number.compile()
    for key in ("ip", "fp", "tables", "grid", "mods", "modf"):
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key), err_msg=key)
    ra = simulate_one(by_label, SCENARIO, 2000, 5)
    rb = simulate_one(by_number, SCENARIO, 2000, 5)
    for key in ("selected", "n_at_dose", "tox_at_dose", "status", "reason"):
        np.testing.assert_array_equal(getattr(ra, key), getattr(rb, key), err_msg=key)
    # both modifiers end trials here, so the comparison covers them
    assert (ra.reason == Reason.TOO_TOXIC).any() and (ra.reason == Reason.STOP_N_AT_DOSE).any()


# ---- explanations name the cell -------------------------------------------------------------------------
def test_recommendation_names_the_modifiers_cell():
    design = comb(StopWhenTooToxic(threshold=0.3, dose="2.1"))
    rec = recommend(design, parse_outcomes("1.1NNN 2.1TTT", design.doses, cells=True))
    p = 1 - 0.3**4  # Beta(1 + 3, 1) tail above 0.3
    assert rec.reason == Reason.TOO_TOXIC
    assert (
        f"stop_when_too_toxic: P(DLT rate at cell 2.1 > 0.3 | 3/3) = {p:.3f} > 0.95: stop, no cell selected"
        in rec.explanation
    )
    design = comb(StopWhenNAtDose(n=9, dose="1.1"))
    rec = recommend(design, parse_outcomes("1.1NNN 1.1NNN 1.1NTN", design.doses, cells=True))
    assert rec.reason == Reason.STOP_N_AT_DOSE
    assert "stop_when_n_at_dose: cell 1.1 has 9 patients (n = 9): stop" in rec.explanation
