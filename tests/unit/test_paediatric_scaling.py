"""Paediatric dose levels from the adult RP2D (dosefind.paediatric.scaling): closed forms of the three
scalings, Mosteller's BSA, rounding to the nearest achievable dose (ties to the lower dose), refusals."""

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosefind.errors import SpecError
from dosefind.paediatric import Band, Formulation, Scaling, mosteller_bsa, paediatric_doses
from dosefind.paediatric.io import input_from_dict

FRACTIONS = (0.5, 0.7, 0.85, 1.0, 1.2)


@given(
    adult=st.floats(0.1, 1000.0),
    weight=st.floats(2.0, 90.0),
    fraction=st.floats(0.05, 3.0),
    kind=st.sampled_from(["weight", "allometric"]),
)
def test_weight_scalings_have_their_closed_forms(adult, weight, fraction, kind):
    r = paediatric_doses(adult, [fraction], Scaling(kind), [Band("b", weight=weight)], digits=12)
    expected = fraction * adult * (weight / 70.0 if kind == "weight" else (weight / 70.0) ** 0.75)
    assert r.rows[0].intended == pytest.approx(expected, rel=1e-10)
    assert r.rows[0].achieved == r.rows[0].intended and r.rows[0].deviation == 0.0  # no formulation
    # the level is the dose per size unit; the adult-equivalent dose of a level is S_a x level
    size = 70.0 if kind == "weight" else 70.0**0.75
    assert r.doses[0] == pytest.approx(fraction * adult / size, rel=1e-11)
    assert Scaling(kind).adult_equivalent(r.doses[0]) == pytest.approx(fraction * adult, rel=1e-11)


def test_linear_scaling_is_proportional_to_weight():
    r = paediatric_doses(
        140, FRACTIONS, Scaling("weight"), [Band("a", weight=10), Band("b", weight=20)], digits=12
    )
    a = [x.intended for x in r.rows if x.band == "a"]
    b = [x.intended for x in r.rows if x.band == "b"]
    assert b == pytest.approx([2 * x for x in a], rel=1e-12)
    assert [x.intended for x in r.rows if x.band == "a"] == pytest.approx(
        [f * 140 * 10 / 70 for f in FRACTIONS]
    )
    assert r.dose_unit == "mg/kg" and r.doses == pytest.approx([f * 2 for f in FRACTIONS])


def test_allometric_exponent_doubling_weight_multiplies_by_2_to_the_075():
    r = paediatric_doses(
        100, [1.0], Scaling("allometric"), [Band("a", weight=12), Band("b", weight=24)], digits=12
    )
    assert r.rows[1].intended / r.rows[0].intended == pytest.approx(2**0.75, rel=1e-12)
    assert r.dose_unit == "mg/kg^0.75"
    assert r.rows[0].intended == pytest.approx(100 * (12 / 70) ** 0.75, rel=1e-11)
    r2 = paediatric_doses(100, [1.0], Scaling("allometric", exponent=0.5), [Band("a", weight=35)], digits=12)
    assert r2.rows[0].intended == pytest.approx(100 * 0.5**0.5, rel=1e-11)
    assert r2.dose_unit == "mg/kg^0.5"


@pytest.mark.parametrize(
    "weight, height, bsa",
    [(80, 180, 2.0), (16, 100, 2 / 3), (70, 170, math.sqrt(170 * 70 / 3600)), (36, 100, 1.0)],
)
def test_mosteller_bsa_textbook_values(weight, height, bsa):
    assert mosteller_bsa(weight, height) == pytest.approx(bsa, rel=1e-12)


def test_bsa_scaling_uses_1_73_and_mosteller_or_a_given_bsa():
    r = paediatric_doses(
        173, [1.0], Scaling("bsa"), [Band("h", weight=16, height=100), Band("s", bsa=0.5)], digits=12
    )
    assert r.doses == (100.0,) and r.dose_unit == "mg/m2"
    assert r.rows[0].intended == pytest.approx(100 * 2 / 3, rel=1e-12)
    assert r.rows[1].intended == pytest.approx(50.0, rel=1e-12)
    r18 = paediatric_doses(180, [1.0], Scaling("bsa", adult_bsa=1.8), [Band("s", bsa=0.9)], digits=12)
    assert r18.rows[0].intended == pytest.approx(90.0)
    with pytest.raises(SpecError, match="bsa.*height"):
        paediatric_doses(173, [1.0], Scaling("bsa"), [Band("w", weight=16)])


def test_levels_are_rounded_to_significant_figures_and_design_lines():
    r = paediatric_doses(10, FRACTIONS, Scaling("bsa"))
    assert r.doses == (2.89, 4.05, 4.91, 5.78, 6.94)
    assert r.design_lines() == 'doses = [2.89, 4.05, 4.91, 5.78, 6.94]\ndose_unit = "mg/m2"'


# ---- rounding to strengths --------------------------------------------------------------------------------
def test_nearest_combination_of_strengths_with_fewest_units():
    f = Formulation(strengths=(1, 2.5, 5), max_units=4)
    assert f.nearest(6.9) == (7.0, "1 x 5 + 2 x 1")
    assert f.nearest(10.0) == (10.0, "2 x 5")  # not 4 x 2.5
    assert f.nearest(40.0) == (20.0, "4 x 5")  # the largest reachable
    assert f.nearest(0.2) == (1.0, "1 x 1")  # never zero


def test_ties_go_to_the_lower_dose():
    assert Formulation(strengths=(2,), max_units=3).nearest(3.0)[0] == 2.0
    assert Formulation(increment=0.5).nearest(1.25) == (1.0, "2 x 0.5")
    assert Formulation(increment=0.5).nearest(1.26) == (1.5, "3 x 0.5")
    assert Formulation(increment=0.1).nearest(0.3) == pytest.approx(
        (0.3, "3 x 0.1")
    )  # 0.3 / 0.1 < 3 in floats
    assert Formulation(increment=0.5).nearest(0.1) == (0.5, "1 x 0.5")  # never zero


@given(
    strengths=st.lists(st.sampled_from([0.5, 1.0, 2.0, 2.5, 5.0, 10.0]), min_size=1, max_size=3, unique=True),
    max_units=st.integers(1, 4),
    dose=st.floats(0.1, 50.0),
)
def test_rounding_picks_the_nearest_achievable_dose(strengths, max_units, dose):
    achievable = {
        math.fsum(c)
        for k in range(1, max_units + 1)
        for c in itertools.combinations_with_replacement(strengths, k)
    }
    best = min(achievable, key=lambda a: (abs(a - dose), a))
    got, comp = Formulation(strengths=tuple(strengths), max_units=max_units).nearest(dose)
    assert abs(got - dose) <= abs(best - dose) + 1e-12
    assert got == pytest.approx(best) or abs(abs(got - dose) - abs(best - dose)) < 1e-9
    parts = [p.split(" x ") for p in comp.split(" + ")]
    assert sum(int(k) for k, _ in parts) <= max_units
    assert math.fsum(int(k) * float(s) for k, s in parts) == pytest.approx(got)


def test_band_rows_report_achieved_dose_and_deviation():
    r = paediatric_doses(
        10,
        FRACTIONS,
        Scaling("bsa"),
        [Band("15 kg", weight=15, height=98)],
        Formulation(strengths=(0.5, 1, 2.5)),
    )
    row = r.rows[0]
    assert row.size == pytest.approx(mosteller_bsa(15, 98))
    assert row.intended == pytest.approx(2.89 * row.size)
    assert row.achieved == 2.0 and row.deviation == pytest.approx(2.0 / row.intended - 1)
    assert row.achieved_per_size == pytest.approx(2.0 / row.size)
    assert [x.level for x in r.rows] == [1, 2, 3, 4, 5]


def test_levels_that_coincide_after_rounding_are_refused():
    with pytest.raises(SpecError, match="levels 1 and 2 both round to 5") as e:
        paediatric_doses(
            70,
            [0.9, 1.0],
            Scaling("weight"),
            [Band("x", weight=5.5)],
            Formulation(strengths=(5,), max_units=4),
        )
    assert e.value.field == "formulation" and "space the fractions" in str(e.value)


def test_strengths_that_cannot_reach_a_level_are_refused():
    with pytest.raises(SpecError, match="level 1 .*nearest achievable") as e:
        paediatric_doses(
            10,
            [0.5, 1.0],
            Scaling("weight"),
            [Band("tiny", weight=5)],
            Formulation(strengths=(5,), max_units=2),
        )
    assert "add a strength" in str(e.value)


@pytest.mark.parametrize(
    "args, field",
    [
        (dict(adult_dose=0, fractions=[0.5, 1]), "adult.rp2d"),
        (dict(adult_dose=-5, fractions=[0.5, 1]), "adult.rp2d"),
        (dict(adult_dose=10, fractions=[0.7, 0.5]), "fractions[1]"),
        (dict(adult_dose=10, fractions=[0.5, 0.5]), "fractions[1]"),
        (dict(adult_dose=10, fractions=[0, 0.5]), "fractions[0]"),
        (dict(adult_dose=10, fractions=[]), "fractions"),
        (dict(adult_dose=10, fractions=[1.0, 1.001]), "digits"),
    ],
)
def test_bad_levels_name_the_field(args, field):
    with pytest.raises(SpecError) as e:
        paediatric_doses(scaling=Scaling("weight"), **args)
    assert e.value.field == field and e.value.fix


def test_bad_scaling_and_formulation():
    with pytest.raises(SpecError, match="scaling: unknown value 'height'"):
        Scaling("height")
    with pytest.raises(SpecError, match="either strengths"):
        Formulation()
    with pytest.raises(SpecError, match="either strengths"):
        Formulation(strengths=(1,), increment=0.5)
    with pytest.raises(SpecError, match=r"formulation.strengths\[0\]"):
        Formulation(strengths=(0,))


def test_input_file_errors_name_the_section():
    good = {"adult": {"rp2d": 10}, "paediatric": {"scaling": "bsa", "fractions": [0.5, 1.0]}}
    assert input_from_dict(good).doses().doses == (2.89, 5.78)
    with pytest.raises(SpecError) as e:
        input_from_dict({**good, "paediatric": {"scaling": "bsa", "fractions": [1.0, 0.5]}})
    assert e.value.field == "paediatric.fractions[1]"
    with pytest.raises(SpecError) as e:
        input_from_dict({**good, "paediatric": {"scaling": "mg", "fractions": [0.5]}})
    assert e.value.field == "paediatric.scaling"
    with pytest.raises(SpecError) as e:
        input_from_dict({"adult": {"rp2d": 10, "weight": -1}, "paediatric": good["paediatric"]})
    assert e.value.field == "adult.weight"
    with pytest.raises(SpecError) as e:
        input_from_dict({**good, "bands": [{"name": "a", "weight": 10, "colour": 1}]})
    assert e.value.field == "bands[0].colour"
