"""Basket files: validation errors name the field and the fix."""

import pytest

from dosefind.basket import load_basket, spec_from_dict
from dosefind.basket.live import read_basket_csv
from dosefind.errors import DataError, SpecError

from ..conftest import ROOT

EXAMPLE = ROOT / "examples" / "baskets" / "rare-seven.toml"


def _base():
    return {
        "basket": {"q0": 0.1},
        "cohorts": [{"name": "a", "n": 10}, {"name": "b", "n": 12}],
        "designs": [{"kind": "independent"}],
        "scenarios": [{"name": "null", "rates": [0.1, 0.1]}],
    }


def test_the_bundled_basket_loads():
    spec = load_basket(EXAMPLE)
    assert len(spec.cohorts) == 7
    assert all(20 <= c.n <= 50 for c in spec.cohorts)
    assert {d.kind for d in spec.designs} >= {"independent", "fujikawa", "berry"}


@pytest.mark.parametrize(
    "edit, field, words",
    [
        (lambda d: d["scenarios"][0].update(rates=[0.1, 1.2]), "scenarios[0].rates[1]", "[0, 1]"),
        (lambda d: d["scenarios"][0].update(rates=[0.1]), "scenarios[0].rates", "one true rate per cohort"),
        (lambda d: d["designs"][0].update(threshold=1.0), "designs[0].threshold", "(0, 1)"),
        (lambda d: d["designs"][0].update(threshold=0.0), "designs[0].threshold", "(0, 1)"),
        (lambda d: d["designs"][0].update(futility=0.99), "designs[0].futility", "futility < threshold"),
        (lambda d: d.update(cohorts=[]), "cohorts", "add at least one"),
        (lambda d: d["cohorts"][1].update(name="a"), "cohorts[1].name", "its own name"),
        (lambda d: d["cohorts"][0].update(looks=[5, 8]), "cohorts[0].looks", "end the looks at n = 10"),
        (lambda d: d["cohorts"][0].update(looks=[5, 10]), "cohorts[1].looks", "same number of looks"),
        (lambda d: d["cohorts"][0].update(q0=0.0), "cohorts[0].q0", "(0, 1)"),
        (lambda d: d["designs"][0].update(kind="magic"), "designs[0].kind", "fujikawa"),
        (lambda d: d["designs"][0].update(epsilon=2), "designs[0].epsilon", "unknown field"),
        (lambda d: d["designs"].append({"kind": "fujikawa", "tau": 1.0}), "designs[1].tau", "[0, 1)"),
        (
            lambda d: d["designs"].append({"kind": "simon", "rule": {"n1": 5, "r1": 0, "n": 10, "r": 2}}),
            "cohorts[0].looks",
            "looks = [5, 10]",
        ),
    ],
)
def test_errors_name_the_field_and_the_fix(edit, field, words):
    data = _base()
    edit(data)
    with pytest.raises(SpecError) as e:
        spec_from_dict(data, "b.toml")
    msg = str(e.value)
    assert msg.startswith(f"b.toml: {field}:"), msg
    assert words in msg
    assert "\n" not in msg


def test_a_simon_rule_runs_when_the_looks_match():
    data = _base()
    data["cohorts"] = [{"name": "a", "n": 10, "looks": [5, 10]}, {"name": "b", "n": 10, "looks": [5, 10]}]
    data["designs"] = [{"kind": "simon", "rule": {"n1": 5, "r1": 0, "n": 10, "r": 2}}]
    spec = spec_from_dict(data)
    assert spec.designs[0].boundaries().max_n == 10


@pytest.mark.parametrize(
    "text, words",
    [
        ("cohort,n,responses\na,5,6\n", "responses cannot exceed n"),
        ("cohort,n,responses\nz,5,1\n", "unknown cohort 'z'"),
        ("cohort,n,responses\na,5,1\na,6,1\n", "one row per cohort"),
        ("cohort,n,responses\na,11,1\n", "has n = 10"),
        ("cohort,n,responses\na,x,1\n", "whole numbers"),
        ("cohort,patients\na,5\n", "cohort,n,responses"),
    ],
)
def test_bad_data_files(tmp_path, text, words):
    spec = spec_from_dict(_base())
    path = tmp_path / "d.csv"
    path.write_text(text)
    with pytest.raises(DataError) as e:
        read_basket_csv(path, spec)
    assert words in str(e.value)
    assert "\n" not in str(e.value)
