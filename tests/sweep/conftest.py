"""Small studies shared by the sweep tests (a few scenarios x 2-3 designs x a few hundred trials)."""

import copy
import json
from pathlib import Path

import numba
import pandas as pd
import pytest

from dosefind.sweep import study_from_dict

#: 5-dose designs: BOIN and CRM share the target (so they are paired), 3+3 has another one (not paired)
DESIGNS = [
    {"name": "BOIN", "kind": "boin", "target": 0.3, "n_doses": 5, "max_n": 24},
    {
        "name": "CRM",
        "kind": "crm",
        "target": 0.3,
        "n_doses": 5,
        "max_n": 24,
        "skeleton_halfwidth": 0.05,
        "skeleton_nu": 3,
    },
    {"name": "3+3", "kind": "three_plus_three", "target": 0.25, "n_doses": 5},
]

#: MTD inside, two doses tied around the target, everything toxic (early stops), everything safe
SCENARIOS = [
    {"name": "inside", "true_tox": [0.05, 0.12, 0.26, 0.33, 0.5]},
    {"name": "tied", "true_tox": [0.25, 0.35, 0.45, 0.6, 0.7]},
    {"name": "toxic", "true_tox": [0.55, 0.65, 0.75, 0.8, 0.9]},
    {"name": "safe", "true_tox": [0.02, 0.04, 0.06, 0.08, 0.12]},
]

DATASET = ("oc", "oc_dose", "paired", "scenarios", "designs")


@pytest.fixture(autouse=True)
def _restore_numba_threads():
    """Sweeps must not change the caller's numba thread count; never let one leak into later tests."""
    before = numba.get_num_threads()
    yield
    numba.set_num_threads(before)


def study_dict(designs=None, scenarios=None, **settings) -> dict:
    """A study dictionary (the parsed TOML) with the shared designs and scenarios by default."""
    st = {"name": "sweep-test", "n_trials": 300, "seed": 2026}
    st.update(settings)
    return {
        "study": st,
        "designs": copy.deepcopy(DESIGNS if designs is None else designs),
        "scenarios": copy.deepcopy(SCENARIOS if scenarios is None else scenarios),
    }


@pytest.fixture
def make_study():
    """make_study(designs=None, scenarios=None, **study_settings) -> Study."""

    def make(designs=None, scenarios=None, **settings):
        return study_from_dict(study_dict(designs, scenarios, **settings))

    return make


def _read_dataset(out) -> dict[str, pd.DataFrame]:
    out = Path(out)
    return {name: pd.read_parquet(out / f"{name}.parquet") for name in DATASET}


def _read_manifest(out) -> dict:
    return json.loads((Path(out) / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture
def read_dataset():
    """read_dataset(out) -> {"oc": DataFrame, "oc_dose": ..., "paired": ..., "scenarios": ..., ...}."""
    return _read_dataset


@pytest.fixture
def read_manifest():
    return _read_manifest


@pytest.fixture
def assert_same_dataset():
    """Every output table of two folders is exactly equal (values, dtypes, order)."""

    def check(out_a, out_b, names=DATASET):
        a, b = _read_dataset(out_a), _read_dataset(out_b)
        for name in names:
            assert a[name].equals(b[name]), name

    return check
