"""Backends: the same study gives bit-identical results in this process, on a process pool and on Dask."""

import filecmp
import gc
import socket
import warnings

import numba
import pytest

from dosefind.errors import EngineError
from dosefind.sweep import BACKENDS, run_study
from dosefind.sweep.store import OUTPUTS


@pytest.fixture
def study(make_study):
    # 3 blocks x 2 chunks of scenarios = 6 tasks, more than 2 workers keep in flight (2 each)
    return make_study(n_trials=300, block_trials=120, scenarios_per_task=2, acceptable_band=0.05)


@pytest.fixture
def serial_run(tmp_path, study):
    run = run_study(study, tmp_path / "serial", backend="serial")
    assert run.computed == study.n_tasks == 6
    return tmp_path / "serial"


def _same_bytes(a, b):
    names = [f"parts/{p.name}" for p in sorted((a / "parts").glob("task-*.parquet"))] + list(OUTPUTS)
    assert len(names) > len(OUTPUTS)
    for name in names:
        assert filecmp.cmp(a / name, b / name, shallow=False), name


def test_local_pool_equals_serial(tmp_path, study, serial_run, assert_same_dataset, read_manifest):
    out = tmp_path / "local"
    run = run_study(study, out, backend="local", workers=2)
    assert (run.backend, run.workers, run.computed) == ("local", 2, study.n_tasks)
    assert_same_dataset(serial_run, out)
    _same_bytes(serial_run, out)
    (record,) = read_manifest(out)["runs"]
    assert (record["backend"], record["workers"], record["computed_tasks"]) == ("local", 2, study.n_tasks)


def test_resume_on_another_backend(tmp_path, study, serial_run, assert_same_dataset, read_manifest):
    out = tmp_path / "mixed"
    run_study(study, out, backend="serial", max_tasks=3)
    run = run_study(study, out, backend="local", workers=2)
    assert (run.skipped, run.computed) == (3, study.n_tasks - 3)
    assert_same_dataset(serial_run, out)
    assert [r["backend"] for r in read_manifest(out)["runs"]] == ["serial", "local"]


# distributed binds the scheduler's HTTP server to port 8787 even without a dashboard and warns when the
# port is taken, leaving the socket of its failed attempt unclosed (see
# test_dask_backend_does_not_depend_on_port_8787); here that must not make the equality check flaky
@pytest.mark.filterwarnings("ignore:Port 8787 is already in use:UserWarning")
@pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")
def test_dask_local_cluster_equals_serial(tmp_path, study, serial_run, assert_same_dataset, read_manifest):
    pytest.importorskip("distributed")
    out = tmp_path / "dask"
    run = run_study(study, out, backend="dask", workers=2)
    assert (run.backend, run.workers, run.computed) == ("dask", 2, study.n_tasks)
    assert_same_dataset(serial_run, out)
    _same_bytes(serial_run, out)
    (record,) = read_manifest(out)["runs"]
    assert (record["backend"], record["workers"]) == ("dask", 2)


def test_dask_backend_does_not_depend_on_port_8787(tmp_path, study, serial_run, assert_same_dataset):
    """Another Dask cluster, a Jupyter dashboard or a second sweep may hold the default dashboard port;
    a sweep that asks for no dashboard must neither warn about it nor (with warnings as errors) fail."""
    pytest.importorskip("distributed")
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        holder.bind(("0.0.0.0", 8787))
        holder.listen()
    except OSError:
        pass  # someone else holds it already: the same situation
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run_study(study, tmp_path / "dask", backend="dask", workers=2)
            gc.collect()  # sockets distributed left open warn now, not in a later test
    finally:
        holder.close()
    assert_same_dataset(serial_run, tmp_path / "dask")
    about_port = [str(w.message) for w in caught if "8787" in str(w.message)]
    assert about_port == []


def test_serial_backend_leaves_numba_threads_alone(tmp_path, study):
    """The serial backend runs tasks in the caller's process: the caller's numba thread count (used by
    every later simulate call) must be the same afterwards."""
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs at least 2 numba threads")
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    run_study(study, tmp_path / "serial", backend="serial", max_tasks=1)
    assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS


def test_unknown_backend_and_bad_worker_counts(tmp_path, study):
    assert set(BACKENDS) == {"serial", "local", "dask"}
    with pytest.raises(EngineError, match="backend 'threads' is unknown"):
        run_study(study, tmp_path / "a", backend="threads")
    with pytest.raises(EngineError, match="workers=0"):
        run_study(study, tmp_path / "b", backend="local", workers=0)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
