"""Exact studies of arms and baskets (``exact = true`` in [study] with [[arms]] / [[baskets]]): every unit
computed once exactly, into the same tables as a simulated study, each value equal to the subject's own
exact computation (``simulate --exact`` on the arm file, ``basket simulate --exact``), every MCSE 0;
the serial and local (process pool) backends write the same bytes."""

import filecmp
import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from dosefind.arm.exact import exact_arm_spec
from dosefind.arm.spec import ArmSpec, load_arm
from dosefind.basket.exact import exact_rows
from dosefind.basket.spec import load_basket
from dosefind.sweep import UnitStudy, load_study, run_study

from .test_units import ARM, BASKET

STUDY = """
[study]
name = "exact-units"
exact = true
units_per_task = 2

[[arms]]
file = "arm.toml"
true_eff = [0.1, 0.2, 0.3, 0.4]
correlation = 0.3

[[scenarios]]
name = "steep"
true_tox = [0.1, 0.3, 0.55, 0.7]

[[baskets]]
file = "basket.toml"
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exact-units")
    for name, text in (("arm.toml", ARM), ("basket.toml", BASKET), ("study.toml", STUDY)):
        (folder / name).write_text(text, encoding="utf-8")
    return folder / "study.toml"


@pytest.fixture(scope="module")
def serial(files, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "out"
    run_study(load_study(files), out, backend="serial")
    return out


def test_every_unit_equals_its_own_exact_computation(files, serial):
    st = load_study(files)
    assert isinstance(st, UnitStudy) and st.exact and st.n_tasks == -(-len(st.units) // 2)
    arm_oc = pd.read_parquet(serial / "arm_oc.parquet")
    spec = load_arm(files.parent / "arm.toml")
    (steep,) = [u for u in st.units if u.kind == "arm" and u.scenario == "steep"]
    direct = list(exact_arm_spec(spec).rows) + list(
        exact_arm_spec(ArmSpec(spec.arm, (steep.payload[1],))).rows
    )
    direct = pd.DataFrame(direct)
    pd.testing.assert_frame_equal(arm_oc[list(direct.columns)], direct, check_exact=True)
    assert (arm_oc["mcse"] == 0).all() and (arm_oc["n_trials"] == 0).all() and len(arm_oc) > 0

    basket_oc = pd.read_parquet(serial / "basket_oc.parquet")
    b = load_basket(files.parent / "basket.toml")
    direct = pd.DataFrame([r for d in b.designs for s in b.scenarios for r in exact_rows(d, b.cohorts, s)])
    swept = basket_oc.sort_values(["design", "scenario"], kind="stable").reset_index(drop=True)
    for _, row in direct.iterrows():
        hit = swept[
            (swept["design"] == row["design"])
            & (swept["scenario"] == row["scenario"])
            & (swept["metric"] == row["metric"])
            & (swept["cohort"] == row["cohort"])
        ]
        assert len(hit) == 1
        assert hit["value"].iloc[0] == row["value"] and hit["mcse"].iloc[0] == 0.0

    prov = json.loads(pq.read_schema(serial / "arm_oc.parquet").metadata[b"dosefind"])
    assert prov["method"] == "exact" and prov["n_trials"] == 0, prov


def test_pool_writes_the_same_bytes(files, serial, tmp_path):
    out = tmp_path / "pool"
    run_study(load_study(files), out, backend="local", workers=2)
    for name in ("arm_oc.parquet", "arm_oc.csv", "basket_oc.parquet", "basket_oc.csv"):
        assert filecmp.cmp(serial / name, out / name, shallow=False), name
