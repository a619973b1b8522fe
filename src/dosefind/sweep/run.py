"""Run a study: tasks on a backend, parts written as they finish, then the final dataset.

Backends (results are bit-identical on all of them, whatever the number of workers):

* ``"serial"``: tasks in this process, one after another (numba threads as configured);
* ``"local"`` (default): a pool of worker processes, one numba thread each, all cores by default;
* ``"dask"``: dask.distributed, either an existing scheduler (``scheduler="tcp://host:8786"``) or a
  LocalCluster of ``dask_workers`` single-threaded worker processes started for the run.

The driver keeps at most a few tasks per worker in flight and writes each task's statistics as soon
as it returns, so memory stays bounded whatever the size of the study, and an interrupted run keeps every
finished task.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import EngineError, MissingExtraError, OutputError
from .stats import compute_task
from .store import SweepFolder, _now
from .study import Study
from .units import UnitStudy

BACKENDS = ("local", "serial", "dask")
IN_FLIGHT_PER_WORKER = 2

#: seconds to wait for an existing Dask scheduler to answer before saying it did not
CONNECT_TIMEOUT = 10


def check_study_size(study: Study, workers: int | None = None, local: bool = True) -> None:
    """Refuse, before any work, a study with more than ``MAX_TASKS`` tasks (each a file in the output
    folder) or (run on ``workers`` local processes, ``local``) estimated to take longer than
    ``MAX_SWEEP_SECONDS``: a SpecError naming study.n_trials with the estimated time and memory
    (:func:`dosefind.oc.study.check_run_time`: an optimistic bound, then a pilot run of each design on the
    first scenario for large studies)."""
    from ..engine.simulate import BLOCK_TRIALS, _bytes, bytes_per_trial, simulate_one
    from ..errors import SpecError
    from ..oc.study import FASTEST_TRIALS_PER_CORE, _duration, check_run_time
    from .study import MAX_SWEEP_SECONDS, MAX_TASKS, SCENARIO_BYTES

    cores = workers or os.cpu_count() or 1
    block = min(study.block_trials, BLOCK_TRIALS)
    flat = max(block * bytes_per_trial(d, study.timing) for d in study.designs) * cores
    memory = (
        f"flat in the number of trials, about {_bytes(flat)} for one block of trials per worker and "
        f"{_bytes(len(study.scenarios) * SCENARIO_BYTES)} for the scenarios"
    )
    if study.n_tasks > MAX_TASKS:
        floor = study.total_trials / (FASTEST_TRIALS_PER_CORE * cores)
        raise SpecError(
            "study.n_trials",
            f"{study.total_trials:,} simulated trials in {study.n_tasks:,} tasks (files in the output "
            f"folder) would take at least {_duration(floor)} on {cores} cores (memory: {memory}); a study "
            f"has at most {MAX_TASKS:,} tasks",
            "use fewer trials or scenarios, or a larger study.block_trials",
        )
    if not local:
        return
    pilots = [
        (lambda k, d=d: simulate_one(d, study.scenarios[0], k, study.seed, timing=study.timing))
        for d in study.designs
    ]
    check_run_time(
        study.n_trials,
        len(study.scenarios),
        pilots,
        flat_bytes=flat,
        threads=cores,
        max_seconds=MAX_SWEEP_SECONDS,
        instead="or split the study into several",
        field="study.n_trials",
        memory=memory,
    )


@dataclass(frozen=True)
class SweepRun:
    out: Path
    n_tasks: int
    skipped: int
    computed: int
    seconds: float
    backend: str
    workers: int
    outputs: tuple[Path, ...]


def _compute(task):
    """A task's statistics: a task of designs through :func:`compute_task`, a task of arms, platforms or
    baskets (:class:`dosefind.sweep.units.UnitTask`) through its own ``compute``."""
    own = getattr(task, "compute", None)
    return own() if own is not None else compute_task(task)


def _one_thread(task):
    """Worker entry point: one numba thread per worker process, then the task."""
    import numba

    if numba.get_num_threads() != 1:
        numba.set_num_threads(1)
    return task.task_id, _compute(task)


def _worker_init():
    """Pool workers leave Ctrl-C to the driver, which cancels the queue and keeps finished tasks."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def _env(**values: str):
    """Environment for the worker processes started inside the block (restored afterwards)."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class _Serial:
    workers = 1

    def map_unordered(self, tasks) -> Iterator:
        for t in tasks:  # compute_task runs single-threaded without touching numba's thread setting
            yield t.task_id, _compute(t)

    def close(self, cancel: bool = False):
        pass


class _Pool:
    def __init__(self, workers: int):
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers
        # spawn, not fork: numba's thread pool is not fork-safe; the environment gives each worker one
        # numba thread from its first import
        with _env(NUMBA_NUM_THREADS="1"):
            self.pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=mp.get_context("spawn"), initializer=_worker_init
            )
            self._warm = [self.pool.submit(os.getpid) for _ in range(workers)]
            for f in self._warm:
                f.result()

    def map_unordered(self, tasks) -> Iterator:
        from concurrent.futures import FIRST_COMPLETED, wait

        tasks = iter(tasks)
        running = set()
        limit = self.workers * IN_FLIGHT_PER_WORKER
        while True:
            while len(running) < limit:
                t = next(tasks, None)
                if t is None:
                    break
                running.add(self.pool.submit(_one_thread, t))
            if not running:
                return
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for f in finished:
                yield f.result()

    def close(self, cancel: bool = False):
        self.pool.shutdown(wait=not cancel, cancel_futures=cancel)


class _Dask:
    def __init__(self, scheduler: str | None, workers: int | None):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise MissingExtraError(
                "the Dask backend needs dask.distributed: pip install 'dosefind[dask]'"
            ) from None
        self.cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, set_as_default=False, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as e:  # nothing listening, a wrong address, a refused connection
                raise OutputError(
                    f"--scheduler: the Dask scheduler at {scheduler} did not answer within "
                    f"{CONNECT_TIMEOUT} s ({type(e).__name__}); start it (dask scheduler) or check the "
                    "address, or leave --scheduler out to run on this machine"
                ) from None
        else:
            import dask

            # the workers' statistical profiler samples the running task's stack every 10 ms: about a fifth
            # of a core on these compute-bound tasks; the config is handed to the spawned workers
            quiet = {"distributed.worker.profile.enabled": False}
            with _env(NUMBA_NUM_THREADS="1"), dask.config.set(quiet):
                self.cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # a free port: never clash with another cluster
                    silence_logs=40,
                )
            self.client = Client(self.cluster, set_as_default=False)
        self.workers = max(1, sum(self.client.nthreads().values()))

    def map_unordered(self, tasks) -> Iterator:
        from distributed import as_completed

        tasks = iter(tasks)
        limit = self.workers * IN_FLIGHT_PER_WORKER
        first = []
        for t in tasks:
            first.append(self.client.submit(_one_thread, t, pure=False))
            if len(first) >= limit:
                break
        pending = as_completed(first, loop=self.client.loop)
        for f in pending:
            result = f.result()
            f.release()
            t = next(tasks, None)
            if t is not None:
                pending.add(self.client.submit(_one_thread, t, pure=False))
            yield result

    def close(self, cancel: bool = False):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def run_study(
    study: Study | UnitStudy,
    out: str | Path,
    *,
    backend: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    max_tasks: int | None = None,
) -> SweepRun:
    """Run (or resume) ``study`` into the folder ``out``; see the module docstring for the backends.

    ``progress(done_trials, total_trials)`` is called after every finished task (skipped tasks count as
    done from the start). ``max_tasks`` stops after that many new tasks (for tests and partial runs); the
    dataset is finalized only when every task is done.
    """
    if backend not in BACKENDS:
        raise EngineError(f"backend {backend!r} is unknown; use one of {', '.join(BACKENDS)}")
    if workers is not None and workers < 1:
        raise EngineError(f"workers={workers}: use 1 or more")
    own_check = getattr(study, "check_size", None)  # a UnitStudy checks its own units
    if own_check is not None:
        own_check(workers, local=backend != "dask")
    else:
        check_study_size(study, workers, local=backend != "dask")
    t0 = time.perf_counter()
    own_folder = getattr(study, "folder", None)
    with own_folder(out) if own_folder is not None else SweepFolder(out, study) as folder:
        done = folder.done_tasks()
        todo = [t for t in range(study.n_tasks) if t not in done]
        if max_tasks is not None:
            todo = todo[:max_tasks]
        total = study.total_trials
        finished = sum(study.task(t).trials for t in done)
        if progress is not None:
            progress(finished, total)
        n_workers = workers or os.cpu_count() or 1
        executor = None
        record = {"started": _now(), "backend": backend, "skipped_tasks": len(done), "computed_tasks": 0}
        if scheduler:
            record["scheduler"] = scheduler
        computed = 0
        cancel = False
        try:
            if todo:
                if backend == "serial":
                    executor = _Serial()
                elif backend == "local":
                    executor = _Pool(min(n_workers, len(todo)))
                else:
                    executor = _Dask(scheduler, n_workers)
                record["workers"] = executor.workers
                for task_id, stats in executor.map_unordered(study.task(t) for t in todo):
                    folder.write_task(task_id, stats)
                    computed += 1
                    finished += study.task(task_id).trials
                    if progress is not None:
                        progress(finished, total)
        except BaseException:
            cancel = True  # Ctrl-C or a failed task: drop the queued tasks, keep the finished ones
            raise
        finally:
            if executor is not None:
                executor.close(cancel=cancel)
            record["computed_tasks"] = computed
            record["ended"] = _now()
            folder.manifest.setdefault("runs", []).append(record)
            folder.write_manifest()
        outputs: tuple[Path, ...] = ()
        if len(folder.done_tasks()) == study.n_tasks:
            outputs = tuple(folder.finalize())
    return SweepRun(
        out=Path(out),
        n_tasks=study.n_tasks,
        skipped=len(done),
        computed=computed,
        seconds=time.perf_counter() - t0,
        backend=backend,
        workers=record.get("workers", 0),
        outputs=outputs,
    )
