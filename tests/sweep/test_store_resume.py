"""The output folder: resuming after partial runs and kill -9, refusing foreign folders, the dataset files."""

import filecmp
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import dosefind
from dosefind.oc.paired import PAIRED_METRICS
from dosefind.sweep import OutputError, SweepFolder, load_study, run_study
from dosefind.sweep.stats import DOSE_COLUMNS, OC_METRICS, SCALARS, VECTORS
from dosefind.sweep.store import FORMAT, OUTPUTS

from .conftest import DATASET, DESIGNS


def _study(make_study, **kw):
    # 3 blocks (150, 150, 100 trials) x 2 chunks of scenarios = 6 tasks
    settings = dict(n_trials=400, block_trials=150, scenarios_per_task=2, acceptable_band=0.05)
    settings.update(kw)
    return make_study(**settings)


def _parts(out, kind="units"):
    return sorted(p.name for p in (out / "parts").glob(f"task-*.{kind}.parquet"))


def _expected_parts(n_tasks, kind="units"):
    return [f"task-{t:07d}.{kind}.parquet" for t in range(n_tasks)]


def _tmp_files(out):
    return sorted(str(p.relative_to(out)) for p in out.rglob(".tmp-*"))


def _same_files(a, b):
    names = [f"parts/{n}" for n in _parts(a) + _parts(a, "pairs")] + list(OUTPUTS)
    assert names, "nothing to compare"
    for name in names:
        assert filecmp.cmp(a / name, b / name, shallow=False), name


# ---- (a) partial runs --------------------------------------------------------------------------------------
def test_partial_run_then_resume_equals_an_uninterrupted_run(
    tmp_path, make_study, assert_same_dataset, read_manifest
):
    study = _study(make_study)
    assert study.n_tasks == 6
    full = run_study(study, tmp_path / "full", backend="serial")
    assert (full.computed, full.skipped, full.n_tasks) == (6, 0, 6)
    assert full.outputs == tuple(tmp_path / "full" / n for n in OUTPUTS)

    out = tmp_path / "resumed"
    first = run_study(study, out, backend="serial", max_tasks=2)
    assert (first.computed, first.skipped, first.outputs) == (2, 0, ())
    assert _parts(out) == _expected_parts(2)
    assert not any((out / n).exists() for n in OUTPUTS)  # no dataset before every task is done
    assert read_manifest(out)["complete"] is False

    calls = []
    second = run_study(study, out, backend="serial", progress=lambda done, total: calls.append((done, total)))
    assert (second.computed, second.skipped) == (4, 2)
    assert second.outputs == tuple(out / n for n in OUTPUTS)
    assert_same_dataset(tmp_path / "full", out)
    _same_files(tmp_path / "full", out)  # a resumed task writes the same bytes

    # progress: starts at the trials of the skipped tasks, grows, ends at every trial of the study
    per_block = [150, 150, 100]
    done_before = sum(2 * 3 * per_block[b] for b in (0, 1))  # tasks 0 and 1: chunk 0, blocks 0 and 1
    assert calls[0] == (done_before, study.total_trials)
    assert [c[0] for c in calls] == sorted(c[0] for c in calls) and len(calls) == 1 + 4
    assert study.total_trials == 400 * 4 * 3 and calls[-1] == (study.total_trials, study.total_trials)

    manifest = read_manifest(out)
    assert manifest["complete"] is True and manifest["outputs"] == list(OUTPUTS)
    runs = manifest["runs"]
    assert len(runs) == 2
    assert [(r["skipped_tasks"], r["computed_tasks"], r["backend"]) for r in runs] == [
        (0, 2, "serial"),
        (2, 4, "serial"),
    ]
    assert all(r["started"] <= r["ended"] for r in runs)

    # a finished folder: nothing to compute, the same dataset again, one more run record
    third = run_study(study, out, backend="serial")
    assert (third.computed, third.skipped) == (0, 6)
    assert_same_dataset(tmp_path / "full", out)
    assert len(read_manifest(out)["runs"]) == 3


def test_resume_in_several_steps(tmp_path, make_study, assert_same_dataset):
    study = _study(make_study, block_trials=100, scenarios_per_task=1)  # 4 blocks x 4 chunks
    run_study(study, tmp_path / "full", backend="serial")
    out = tmp_path / "steps"
    done = 0
    for step in (1, 5, 3, 100):
        r = run_study(study, out, backend="serial", max_tasks=step)
        assert r.skipped == done
        done += r.computed
        assert r.computed == min(step, study.n_tasks - r.skipped)
    assert done == study.n_tasks
    assert_same_dataset(tmp_path / "full", out)


def test_leftovers_of_a_killed_writer_are_cleaned_and_recomputed(tmp_path, make_study, assert_same_dataset):
    """What kill -9 can leave: temporary files, and a pairs part whose units part (the done mark) is
    missing. Both are deterministic here; the next test kills a real process at a random instant."""
    study = _study(make_study)
    run_study(study, tmp_path / "full", backend="serial")
    out = tmp_path / "out"
    run_study(study, out, backend="serial", max_tasks=2)
    (out / "parts" / ".tmp-task-0000002.units.parquet.x1").write_bytes(b"half a file")
    (out / ".tmp-oc.parquet.x2").write_bytes(b"half a dataset")
    (out / ".tmp-manifest.json.x3").write_bytes(b"{")
    (out / "parts" / "task-0000003.pairs.parquet").write_bytes(b"not parquet")  # no units part: not done
    r = run_study(study, out, backend="serial")
    assert (r.skipped, r.computed) == (2, 4)
    assert _tmp_files(out) == []
    assert_same_dataset(tmp_path / "full", out)
    _same_files(tmp_path / "full", out)


# ---- (b) kill -9 -------------------------------------------------------------------------------------------
CHILD = textwrap.dedent(
    """
    import sys
    from dosefind.sweep import load_study, run_study
    run_study(load_study(sys.argv[1]), sys.argv[2], backend="serial")
    """
)

KILL_STUDY = """
[study]
name = "kill-me"
n_trials = 100
seed = 99
scenarios_per_task = 1
acceptable_band = 0.05

[[designs]]
name = "BOIN"
kind = "boin"
target = 0.3
n_doses = 5
max_n = 24

[[designs]]
name = "BOIN-c1"
kind = "boin"
target = 0.3
n_doses = 5
max_n = 24
cohort_size = 1

[[random_scenarios]]
generator = "liu_yuan"
count = 60
seed = 5
params = { n_doses = 5, target = 0.3 }
"""


def test_kill_9_then_resume_equals_an_uninterrupted_run(tmp_path, assert_same_dataset, read_manifest):
    path = tmp_path / "kill.toml"
    path.write_text(KILL_STUDY, encoding="utf-8")
    study = load_study(path)
    assert study.n_tasks == 60
    out = tmp_path / "killed"
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(out)], env=env)
    try:
        deadline = time.monotonic() + 60
        while len(_parts(out) if (out / "parts").exists() else []) < 3:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "the sweep wrote no parts within 60 s"
            time.sleep(0.002)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:  # an assertion above failed: do not leave the child running
            proc.kill()
            proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    done = _parts(out)
    assert 3 <= len(done) < study.n_tasks, "kill -9 came too late to interrupt the sweep"
    assert not (out / "oc.parquet").exists()
    assert read_manifest(out)["runs"] == []  # the killed run never got to record itself

    r = run_study(study, out, backend="serial")
    assert r.skipped == len(done) and r.computed == study.n_tasks - len(done)
    assert _tmp_files(out) == []
    assert _parts(out) == _expected_parts(study.n_tasks)
    assert _parts(out, "pairs") == _expected_parts(study.n_tasks, "pairs")
    runs = read_manifest(out)["runs"]
    assert [(x["skipped_tasks"], x["computed_tasks"]) for x in runs] == [(len(done), r.computed)]

    run_study(study, tmp_path / "clean", backend="serial")
    assert_same_dataset(tmp_path / "clean", out)
    _same_files(tmp_path / "clean", out)
    # every task's statistics appear once: the parts of each (scenario, design) add up to n_trials
    units = ds.dataset(sorted((out / "parts").glob("task-*.units.parquet")), format="parquet").to_table()
    n = units.group_by(["scenario_index", "design_index"]).aggregate([("n", "sum"), ("n", "count")])
    assert n.num_rows == 60 * 2
    assert set(n.column("n_sum").to_pylist()) == {100.0} and set(n.column("n_count").to_pylist()) == {1}


# ---- (c) refusals ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("change", [dict(seed=2027), dict(n_trials=401), dict(acceptable_band=None)])
def test_folder_of_another_study_is_refused(tmp_path, make_study, read_manifest, change):
    out = tmp_path / "out"
    study = _study(make_study)
    run_study(study, out, backend="serial", max_tasks=1)
    before = read_manifest(out)
    other = _study(make_study, **change)
    with pytest.raises(OutputError, match="another study") as info:
        run_study(other, out, backend="serial")
    assert study.study_hash() in str(info.value) and other.study_hash() in str(info.value)
    assert read_manifest(out) == before and _parts(out) == _expected_parts(1)
    run_study(study, out, backend="serial")  # the right study still resumes


def test_non_empty_folder_without_manifest_is_refused(tmp_path, make_study):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="manifest.json missing"):
        run_study(_study(make_study), out, backend="serial")
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="is a file"):
        run_study(_study(make_study), afile, backend="serial")


def test_empty_or_lock_only_folder_is_accepted(tmp_path, make_study):
    study = _study(make_study, n_trials=50, block_trials=50)
    (tmp_path / "empty").mkdir()
    assert run_study(study, tmp_path / "empty", backend="serial").computed == study.n_tasks
    (tmp_path / "lock-only").mkdir()
    (tmp_path / "lock-only" / ".lock").touch()  # what a run killed before its manifest leaves
    assert run_study(study, tmp_path / "lock-only", backend="serial").computed == study.n_tasks


def _damage(path, how):
    if how == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    else:  # a whole Parquet file with rows missing
        table = pq.read_table(path)
        pq.write_table(table.slice(0, table.num_rows // 2), path)


@pytest.mark.parametrize("how", ["truncated", "rows missing"])
@pytest.mark.parametrize("kind", ["units", "pairs"])
def test_damaged_part_is_named(tmp_path, make_study, assert_same_dataset, kind, how):
    study = _study(make_study)
    out = tmp_path / "out"
    run_study(study, out, backend="serial")
    name = f"task-0000004.{kind}.parquet"
    intact = f"task-0000004.{'pairs' if kind == 'units' else 'units'}.parquet"
    _damage(out / "parts" / name, how)
    with pytest.raises(OutputError) as info:
        run_study(study, out, backend="serial")
    message = str(info.value)
    assert name in message, message
    assert f"{intact}: damaged" not in message, message  # the intact file is not the one blamed
    # the advice works: delete that task's parts and run again
    assert "delete parts/task-0000004.*" in message
    for p in (out / "parts").glob("task-0000004.*"):
        p.unlink()
    r = run_study(study, out, backend="serial")
    assert (r.computed, r.skipped) == (1, 5)
    run_study(study, tmp_path / "clean", backend="serial")
    assert_same_dataset(tmp_path / "clean", out)


def test_part_of_another_layout_is_refused(tmp_path, make_study):
    study = _study(make_study)
    out = tmp_path / "out"
    run_study(study, out, backend="serial")
    # a units file whose rows belong to another chunk of scenarios
    units = pq.read_table(out / "parts" / "task-0000004.units.parquet")
    idx = units.schema.get_field_index("scenario_index")
    moved = units.set_column(idx, "scenario_index", pa.array(np.zeros(units.num_rows, dtype=np.int64)))
    pq.write_table(moved, out / "parts" / "task-0000004.units.parquet")
    with pytest.raises(OutputError, match=r"task-0000004\.units\.parquet: damaged or from another layout"):
        run_study(study, out, backend="serial")


def test_second_writer_is_locked_out(tmp_path, make_study):
    study = _study(make_study)
    out = tmp_path / "out"
    with SweepFolder(out, study) as first:
        assert first.done_tasks() == set()
        with pytest.raises(OutputError, match="another dosefind sweep is writing"):
            SweepFolder(out, study).open()
        with pytest.raises(OutputError, match="another dosefind sweep is writing"):
            run_study(study, out, backend="serial")
        assert _parts(out) == []
    r = run_study(study, out, backend="serial")  # released on exit
    assert r.computed == study.n_tasks


def test_unreadable_or_foreign_version_manifest_is_refused(tmp_path, make_study):
    study = _study(make_study)
    out = tmp_path / "out"
    run_study(study, out, backend="serial", max_tasks=1)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    (out / "manifest.json").write_text(json.dumps({**manifest, "version": "0.0.1"}), encoding="utf-8")
    with pytest.raises(OutputError, match="cannot be resumed"):
        run_study(study, out, backend="serial")
    (out / "manifest.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(OutputError, match="unreadable"):
        run_study(study, out, backend="serial")


# ---- (d) the files -----------------------------------------------------------------------------------------
def test_dataset_files_are_readable_and_complete(tmp_path, make_study, read_dataset, read_manifest):
    study = _study(make_study)
    out = tmp_path / "out"
    run_study(study, out, backend="serial")
    S, K, D, P = len(study.scenarios), len(study.designs), study.n_doses, len(study.pairs)

    tables = {name: ds.dataset(out / f"{name}.parquet", format="parquet").to_table() for name in DATASET}
    assert tables["oc"].num_rows == S * K
    assert tables["oc_dose"].num_rows == S * K * D
    assert tables["paired"].num_rows == S * P * len(PAIRED_METRICS)
    assert tables["scenarios"].num_rows == S and tables["designs"].num_rows == K
    for m in OC_METRICS:
        assert tables["oc"].schema.field(m).type == pa.float64()
        assert tables["oc"].schema.field(m + "_mcse").type == pa.float64()
    for c in DOSE_COLUMNS:
        assert tables["oc_dose"].schema.field(c + "_mcse").type == pa.float64()

    data = read_dataset(out)
    oc = data["oc"]
    assert oc.groupby(["scenario", "design"]).size().eq(1).all()
    assert set(zip(oc["scenario"], oc["design"], strict=True)) == {
        (s.name, d.name) for s in study.scenarios for d in study.designs
    }
    assert list(oc["scenario_index"]) == [i for i in range(S) for _ in range(K)]
    assert (oc["n_trials"] == study.n_trials).all()
    assert data["oc_dose"].groupby(["scenario", "design", "dose"]).size().eq(1).all()
    assert set(data["paired"]["metric"]) == set(PAIRED_METRICS)
    assert set(zip(data["paired"]["design_a"], data["paired"]["design_b"], strict=True)) == {("BOIN", "CRM")}

    scen = data["scenarios"]
    assert list(scen["scenario"]) == [s.name for s in study.scenarios]
    assert [tuple(x) for x in scen["true_tox"]] == [s.true_tox for s in study.scenarios]
    des = data["designs"]
    assert list(des["design"]) == [d.name for d in study.designs]
    assert list(des["config_hash"]) == [d.config_hash() for d in study.designs]
    assert [json.loads(x) for x in des["spec"]] == [d.to_dict() for d in study.designs]
    assert list(des["max_n"]) == [d.max_n for d in study.designs]

    # the parts are a dataset too: one row per (scenario, design) and block, with every statistic
    units = ds.dataset(sorted((out / "parts").glob("*.units.parquet")), format="parquet").to_table()
    assert units.num_rows == S * K * study.n_blocks
    assert set(SCALARS + VECTORS) <= set(units.column_names)
    total = units.group_by(["scenario_index", "design_index"]).aggregate([("n", "sum")])
    assert set(total.column("n_sum").to_pylist()) == {float(study.n_trials)}

    manifest = read_manifest(out)
    assert manifest["version"] == dosefind.__version__ and manifest["package"] == "dosefind"
    assert manifest["study_hash"] == study.study_hash()
    assert manifest["seed"] == study.seed and manifest["n_trials"] == study.n_trials
    assert (
        manifest["n_tasks"] == study.n_tasks and manifest["n_scenarios"] == S and manifest["n_designs"] == K
    )
    assert manifest["study"] == json.loads(json.dumps(study.settings()))
    assert manifest["complete"] is True and manifest["format"] == FORMAT
    for key in ("python", "numpy", "numba", "pyarrow", "created", "finalized"):
        assert manifest[key]
    assert sorted(p.name for p in out.iterdir()) == sorted([*OUTPUTS, "manifest.json", "parts", ".lock"])


def test_study_without_pairs_writes_an_empty_paired_table(tmp_path, make_study, read_dataset):
    study = make_study(designs=[DESIGNS[0], DESIGNS[2]], n_trials=120, block_trials=50)  # targets differ
    assert study.pairs == ()
    run_study(study, tmp_path / "out", backend="serial")
    data = read_dataset(tmp_path / "out")
    assert len(data["paired"]) == 0
    assert list(data["paired"].columns)[:5] == ["scenario", "design_a", "design_b", "metric", "n_trials"]
    assert len(data["oc"]) == len(study.scenarios) * 2
