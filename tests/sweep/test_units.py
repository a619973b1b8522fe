"""Sweeps of arms, platforms and baskets: a sweep cell is the subject simulated directly, backends and
resumes give the same bytes, bad input gets one line naming the field."""

import filecmp
import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest

from dosefind.arm.oc import simulate_arm_spec
from dosefind.arm.spec import load_arm
from dosefind.basket.simulate import simulate_basket
from dosefind.basket.spec import load_basket
from dosefind.errors import SpecError
from dosefind.platforms.oc import simulate_platform_spec
from dosefind.platforms.spec import load_platform
from dosefind.sweep import UnitStudy, load_study, run_study

ARM = """
[arm]
name = "A"
[design]
kind = "boin"
target = 0.3
n_doses = 4
cohort_size = 3
max_n = 12
[[cohorts]]
name = "expansion"
rule = "simon"
n1 = 5
r1 = 0
n = 10
r = 2
[[scenarios]]
name = "active"
true_tox = [0.05, 0.15, 0.3, 0.5]
true_eff = [0.1, 0.2, 0.35, 0.4]
[[scenarios]]
name = "toxic"
true_tox = [0.4, 0.5, 0.6, 0.7]
true_eff = [0.1, 0.1, 0.1, 0.1]
"""

TIMING = """
[timing]
patients_per_month = 4
dlt_window_days = 28
"""

PLATFORM = """
[platform]
name = "P"
allocation = "random"
[timing]
patients_per_month = 10
dlt_window_days = 28
[population]
biomarkers = { X = 0.5, Y = 0.4 }
[[arms]]
name = "A"
file = "arm.toml"
biomarkers = ["X"]
[[arms]]
name = "B"
file = "arm.toml"
biomarkers = ["Y"]
opens_day = 30
[[scenarios]]
name = "both"
arms = { A = "active", B = "active" }
[[scenarios]]
name = "mixed"
arms = { A = "active", B = "toxic" }
"""

BASKET = """
[basket]
name = "B3"
q0 = 0.1
[[cohorts]]
name = "c1"
n = 10
looks = [5, 10]
[[cohorts]]
name = "c2"
n = 10
looks = [5, 10]
[[cohorts]]
name = "c3"
n = 8
looks = [4, 8]
[[designs]]
name = "independent"
kind = "independent"
threshold = 0.9
[[designs]]
name = "fujikawa"
kind = "fujikawa"
threshold = 0.9
[[scenarios]]
name = "null"
rates = [0.1, 0.1, 0.1]
"""

STUDY = """
[study]
name = "units"
n_trials = {n_trials}
seed = 17
block_trials = {block}
units_per_task = {per_task}

[[arms]]
file = "arm.toml"
true_eff = [0.1, 0.2, 0.3, 0.4]

[[scenarios]]
name = "steep"
true_tox = [0.1, 0.3, 0.55, 0.7]

[[platforms]]
file = "platform.toml"

[[platforms]]
name = "P-crossed"
file = "platform.toml"
scenarios = ["mixed"]
cross_arm = "B"
true_eff = [0.2, 0.2, 0.3, 0.3]

[[baskets]]
file = "basket.toml"
active_grid = {{ alternative = 0.35 }}
"""

TABLES = ("arm_oc", "platform_oc", "basket_oc", "units")


def write_files(folder, n_trials=60, block=30, per_task=3, study=STUDY):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("arm.toml", ARM), ("platform.toml", PLATFORM), ("basket.toml", BASKET)):
        (folder / name).write_text(text, encoding="utf-8")
    path = folder / "study.toml"
    path.write_text(study.format(n_trials=n_trials, block=block, per_task=per_task), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_files(tmp_path_factory.mktemp("units"))


@pytest.fixture(scope="module")
def serial(files, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "out"
    run_study(load_study(files), out, backend="serial")
    return out


def _tables(out):
    return {t: pd.read_parquet(out / f"{t}.parquet") for t in TABLES}


def _same_bytes(a, b):
    names = [f"parts/{p.name}" for p in sorted((a / "parts").glob("task-*.parquet"))]
    names += [f"{t}.{ext}" for t in TABLES for ext in ("parquet", "csv")]
    for name in names:
        assert filecmp.cmp(a / name, b / name, shallow=False), name


def test_the_study_and_its_units(files):
    st = load_study(files)
    assert isinstance(st, UnitStudy)
    keys = [(u.kind, u.subject, u.scenario) for u in st.units]
    assert keys[:3] == [("arm", "A", "active"), ("arm", "A", "toxic"), ("arm", "A", "steep")]
    assert ("platform", "P", "both") in keys and ("platform", "P-crossed", "mixed/steep") in keys
    assert sum(k[0] == "basket" for k in keys) == 2 * (1 + 4)  # designs x (null + active-0..3)
    assert st.n_tasks == 2 * -(-len(st.units) // 3)


def test_sweep_cells_equal_the_subjects_simulated_directly(files, serial):
    t = _tables(serial)
    st = load_study(files)
    arm = simulate_arm_spec(load_arm(files.parent / "arm.toml"), 60, 17)
    direct = pd.DataFrame(list(arm.rows))
    swept = t["arm_oc"][t["arm_oc"]["scenario"].isin(["active", "toxic"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(swept[list(direct.columns)], direct, check_exact=True)

    # the arm under the study's scenario: the same arm simulated on that truth, the given response curve
    (unit,) = [u for u in st.units if u.kind == "arm" and u.scenario == "steep"]
    from dosefind.arm.spec import ArmSpec

    spec = ArmSpec(unit.payload[0], (unit.payload[1],))
    direct = pd.DataFrame(list(simulate_arm_spec(spec, 60, 17).rows))
    swept = t["arm_oc"][t["arm_oc"]["scenario"] == "steep"].reset_index(drop=True)
    pd.testing.assert_frame_equal(swept[list(direct.columns)], direct, check_exact=True)
    assert unit.payload[1].true_eff == (0.1, 0.2, 0.3, 0.4)

    platform = simulate_platform_spec(load_platform(files.parent / "platform.toml"), 60, 17, block_trials=30)
    direct = pd.DataFrame(list(platform.rows))
    swept = t["platform_oc"][t["platform_oc"]["platform"] == "P"].reset_index(drop=True)
    pd.testing.assert_frame_equal(swept[list(direct.columns)], direct, check_exact=True)

    basket = simulate_basket(load_basket(files.parent / "basket.toml"), 60, 17)
    direct = pd.DataFrame(list(basket.rows))
    swept = t["basket_oc"][t["basket_oc"]["scenario"] == "null"].reset_index(drop=True)
    pd.testing.assert_frame_equal(swept[list(direct.columns)], direct, check_exact=True)


def test_tables_have_mcse_provenance_and_csv(files, serial, read_manifest):
    t = _tables(serial)
    import pyarrow.parquet as pq

    for name in TABLES:
        meta = pq.read_schema(serial / f"{name}.parquet").metadata[b"dosefind"]
        assert b'"seed": 17' in meta and b"study_hash" in meta
        csv = pd.read_csv(serial / f"{name}.csv", keep_default_na=False, na_values=[""])
        assert len(csv) == len(t[name])
    for name in ("arm_oc", "platform_oc", "basket_oc"):
        assert {"value", "mcse", "n_trials"} <= set(t[name].columns)
    crossed = t["platform_oc"][t["platform_oc"]["platform"] == "P-crossed"]
    assert set(crossed["scenario"]) == {"mixed/steep"}
    assert set(t["basket_oc"]["scenario"]) == {"null", "active-0", "active-1", "active-2", "active-3"}
    m = read_manifest(serial)
    assert m["complete"] and m["n_units"] == len(t["units"]) and m["outputs"][0] == "arm_oc.parquet"


def test_pool_and_dask_give_the_same_bytes(files, serial, tmp_path):
    run = run_study(load_study(files), tmp_path / "pool", backend="local", workers=2)
    assert run.workers == 2
    _same_bytes(serial, tmp_path / "pool")
    pytest.importorskip("distributed")
    run_study(load_study(files), tmp_path / "dask", backend="dask", workers=2)
    _same_bytes(serial, tmp_path / "dask")


CHILD = textwrap.dedent(
    """
    import sys
    from dosefind.sweep import load_study, run_study
    run_study(load_study(sys.argv[1]), sys.argv[2], backend="serial")
    """
)


def test_kill_9_then_resume_equals_an_uninterrupted_run(tmp_path):
    path = write_files(tmp_path / "files", n_trials=100, block=10, per_task=1)
    study = load_study(path)
    out = tmp_path / "killed"
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(out)], env=env)
    try:
        deadline = time.monotonic() + 120
        while len(list((out / "parts").glob("*.units.parquet")) if (out / "parts").exists() else []) < 3:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "the sweep wrote no parts within 120 s"
            time.sleep(0.002)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    done = len(list((out / "parts").glob("*.units.parquet")))
    assert 3 <= done < study.n_tasks and not (out / "arm_oc.parquet").exists()
    r = run_study(study, out, backend="serial")
    assert (r.skipped, r.computed) == (done, study.n_tasks - done)
    assert not list(out.rglob(".tmp*"))
    run_study(study, tmp_path / "clean", backend="serial")
    _same_bytes(tmp_path / "clean", out)


def test_partial_runs_resume(files, serial, tmp_path):
    st = load_study(files)
    first = run_study(st, tmp_path / "out", backend="serial", max_tasks=2)
    assert first.outputs == () and first.computed == 2
    second = run_study(st, tmp_path / "out", backend="serial")
    assert (second.skipped, second.computed) == (2, st.n_tasks - 2)
    _same_bytes(serial, tmp_path / "out")


RANDOM_GRID = """[[random_scenarios]]
generator = "two_drug"
count = 1
seed = 1
params = {{ rows = 2, cols = 2, target = 0.3 }}

"""


@pytest.mark.parametrize(
    "edit, field, words",
    [
        (('file = "arm.toml"\ntrue_eff', 'file = "nope.toml"\ntrue_eff'), "arms[0].file", "does not exist"),
        (("[0.1, 0.3, 0.55, 0.7]", "[0.1, 0.3, 0.55]"), "scenarios[0].true_tox", "3 doses"),
        (('cross_arm = "B"', 'cross_arm = "C"'), "platforms[1].cross_arm", "no arm named 'C'"),
        (("true_eff = [0.1, 0.2, 0.3, 0.4]\n", ""), "arms[0].true_eff", "gives no response"),
        (('scenarios = ["mixed"]', 'scenarios = ["other"]'), "platforms[1].scenarios", "no scenario named"),
        (("[study]", '[[designs]]\nkind = "boin"\n[study]'), "designs", "either designs or arms"),
        (("alternative = 0.35", "alternative = 1.5"), "baskets[0].active_grid.alternative", ""),
        (
            ("[[baskets]]", RANDOM_GRID + "[[baskets]]"),
            "scenarios[1]",
            "2 x 2 two-drug grid and the designs have one dose axis (arms[0], arm 'A')",
        ),
    ],
)
def test_bad_input_names_the_field(tmp_path, edit, field, words):
    text = STUDY.replace(*edit)
    assert text != STUDY
    path = write_files(tmp_path, study=text)
    with pytest.raises(SpecError) as info:
        load_study(path)
    assert info.value.field == field, str(info.value)
    assert words in str(info.value) and info.value.fix
    assert "\n" not in str(info.value)


def test_too_large_a_study_is_refused_with_an_estimate(tmp_path):
    path = write_files(tmp_path, n_trials=10**12, block=10**7, per_task=1)
    with pytest.raises(SpecError, match=r"would take at least .* on \d+ cores") as info:
        run_study(load_study(path), tmp_path / "out", backend="serial")
    assert info.value.field == "study.n_trials" and not (tmp_path / "out").exists()


def test_cli_sweeps_the_units_and_prints_their_overview(files, serial, tmp_path):
    from typer.testing import CliRunner

    from dosefind.cli import app

    runner = CliRunner()
    out = tmp_path / "cli"
    r = runner.invoke(app, ["sweep", str(files), "--out", str(out), "--serial", "--quiet"])
    assert r.exit_code == 0, r.output
    assert "units (" in r.output and "arm_oc.parquet" in r.output
    for heading in ("Arms across scenarios", "Platform 'P' by scenario", "Basket 'B3': designs"):
        assert heading in r.output  # the first table of each kind (summarize shows them all)
    _same_bytes(serial, out)


def test_a_timed_arm_sweeps_with_its_duration_percentiles(tmp_path):
    (tmp_path / "timed.toml").write_text(ARM + TIMING, encoding="utf-8")
    study = '[study]\nn_trials = 60\nseed = 17\nblock_trials = 25\n\n[[arms]]\nfile = "timed.toml"\n'
    (tmp_path / "study.toml").write_text(study, encoding="utf-8")
    st = load_study(tmp_path / "study.toml")
    run_study(st, tmp_path / "out", backend="serial")
    assert len(list((tmp_path / "out" / "parts").glob("*.time.parquet"))) == st.n_tasks == 3
    swept = pd.read_parquet(tmp_path / "out" / "arm_oc.parquet")
    direct = pd.DataFrame(list(simulate_arm_spec(load_arm(tmp_path / "timed.toml"), 60, 17).rows))
    pd.testing.assert_frame_equal(swept[list(direct.columns)], direct, check_exact=True)
    assert {"duration_days_q50", "decision_day"} <= set(swept["metric"])
