"""Huge studies are refused before any work, with the estimated time and memory (issue 17, item 4): 10^9
random scenarios before they are drawn, 10^12 trials before a task list or an output folder exists."""

import time

import pytest
import tomli_w
from typer.testing import CliRunner

from dosefind.cli import app
from dosefind.errors import SpecError
from dosefind.oc import study as oc_study
from dosefind.sweep import run_study, study_from_dict
from dosefind.sweep import study as study_mod
from dosefind.sweep.run import check_study_size

from .conftest import study_dict

runner = CliRunner()

RANDOM = {"generator": "liu_yuan", "count": 10**9, "seed": 5, "params": {"n_doses": 5, "target": 0.3}}


def test_a_billion_random_scenarios_are_refused_before_they_are_drawn():
    data = study_dict()
    data["random_scenarios"] = [RANDOM]
    start = time.perf_counter()
    with pytest.raises(SpecError) as e:
        study_from_dict(data)
    assert time.perf_counter() - start < 10  # drawing them would take days
    msg = str(e.value)
    assert e.value.field == "random_scenarios[0].count"
    assert "1,000,000,004 scenarios" in msg  # the 4 listed ones plus the billion
    assert "to draw them" in msg and "TiB of memory" in msg and "use at most 999,996 here" in msg


def test_scenario_counts_add_up_over_blocks_and_parameter_lists(monkeypatch):
    monkeypatch.setattr(study_mod, "MAX_SCENARIOS", 30)
    data = study_dict()
    # 2 x 3 parameter combinations of 4 curves each: 24 + 4 listed = 28 scenarios, within 30
    block = {"generator": "liu_yuan", "count": 4, "seed": 5, "params": {"n_doses": 5, "target": [0.25, 0.3]}}
    block["params"]["mu1"] = [0.3, 0.4, 0.5]
    data["random_scenarios"] = [block]
    assert len(study_from_dict(data).scenarios) == 28
    data["random_scenarios"] = [block, dict(block, seed=6, count=1)]  # 6 more: 34 > 30
    with pytest.raises(SpecError, match=r"random_scenarios\[1\]\.count: 6 random scenarios would make 34"):
        study_from_dict(data)
    grid = {
        "model": "logistic",
        "dose_values": [1, 2, 3, 4, 5],
        "intercept": [-4.0, -3.0],
        "slope": [0.5] * 20,
    }
    data = study_dict()
    data["scenario_grids"] = [grid]  # 40 grid scenarios
    with pytest.raises(SpecError, match=r"scenario_grids\[0\]: 40 grid scenarios would make 44"):
        study_from_dict(data)


def test_a_trillion_trials_are_refused_before_the_output_folder_exists(tmp_path):
    path = tmp_path / "huge.toml"
    path.write_text(tomli_w.dumps(study_dict(n_trials=10**12)), encoding="utf-8")
    out = tmp_path / "out"
    r = runner.invoke(app, ["sweep", str(path), "--out", str(out)])
    assert r.exit_code == 2, r.output
    error = [line for line in r.output.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "Traceback" not in r.output
    assert "study.n_trials" in error[0] and "would take at least" in error[0]
    assert "memory: flat in the number of trials" in error[0] and "at most 1,000,000 tasks" in error[0]
    assert not out.exists()


def test_a_long_study_is_refused_by_its_pilot_and_the_largest_allowed_then_runs(tmp_path, monkeypatch):
    st = study_from_dict(study_dict(n_trials=200))
    monkeypatch.setattr(oc_study, "PILOT_MIN_TRIALS", 1)
    monkeypatch.setattr(oc_study, "PILOT_TRIALS", 200)
    monkeypatch.setattr(study_mod, "MAX_SWEEP_SECONDS", 1e-3)
    with pytest.raises(
        SpecError,
        match=r"study\.n_trials: .*\(timed on a pilot run .*memory: flat.*for the scenarios.*use at most \d",
    ):
        check_study_size(st, 1)
    check_study_size(st, 1, local=False)  # on a cluster only the task count is checked
    # with a generous limit the same study runs
    monkeypatch.setattr(study_mod, "MAX_SWEEP_SECONDS", 1e9)
    assert run_study(st, tmp_path / "out", backend="serial").computed == st.n_tasks
