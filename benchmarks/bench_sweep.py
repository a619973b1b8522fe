"""Sweep throughput, peak memory and Dask overhead (issue target: 10,000 random scenarios x BOIN, CRM,
3+3 x 2,000 trials in under 10 minutes on 2 cores, peak memory under 2 GB, Dask overhead under 20%).

    python benchmarks/bench_sweep.py                       # the full target study, local pool, all cores
    python benchmarks/bench_sweep.py --scenarios 1000      # smaller
    python benchmarks/bench_sweep.py --dask --scenarios 1000   # pool vs local Dask cluster, same study

Peak memory is the largest sum of resident set sizes of this process and all its children, sampled
every 0.2 s (psutil). Each run writes to a fresh temporary folder; the Dask comparison checks that both
backends wrote identical oc.parquet files.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

import psutil

from dosefind.sweep import run_study, study_from_dict

DESIGNS = [
    {"name": "BOIN", "kind": "boin", "target": 0.3, "n_doses": 6, "cohort_size": 3, "max_n": 36},
    {
        "name": "CRM",
        "kind": "crm",
        "target": 0.3,
        "n_doses": 6,
        "cohort_size": 3,
        "max_n": 36,
        "model": "empiric",
        "skeleton_halfwidth": 0.05,
        "skeleton_nu": 3,
    },
    {"name": "3+3", "kind": "three_plus_three", "target": 0.3, "n_doses": 6, "deescalation": True},
]


def make_study(n_scenarios: int, n_trials: int, seed: int = 2026):
    data = {
        "study": {"name": f"bench-{n_scenarios}x{n_trials}", "n_trials": n_trials, "seed": seed},
        "designs": DESIGNS,
        "random_scenarios": [
            {
                "generator": "liu_yuan",
                "count": n_scenarios,
                "seed": 1,
                "prefix": "ly",
                "params": {"n_doses": 6, "target": 0.3},
            }
        ],
    }
    return study_from_dict(data, "bench")


class PeakMemory:
    """Largest RSS of this process plus its descendants, sampled in a background thread."""

    def __init__(self, every: float = 0.2):
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def timed_run(study, backend: str, workers: int | None, out: Path) -> tuple[float, int]:
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        run_study(study, out, backend=backend, workers=workers)
        seconds = time.perf_counter() - t0
    return seconds, mem.peak


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=10_000)
    ap.add_argument("--trials", type=int, default=2_000)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--dask", action="store_true", help="also run on a local Dask cluster and compare")
    args = ap.parse_args()
    t0 = time.perf_counter()
    study = make_study(args.scenarios, args.trials)
    t_gen = time.perf_counter() - t0
    workers = args.workers or os.cpu_count()
    print(
        f"{len(study.scenarios):,} scenarios x {len(study.designs)} designs x {study.n_trials:,} trials = "
        f"{study.total_trials:,} trials, {study.n_tasks:,} tasks; {workers} workers; "
        f"scenario generation {t_gen:.1f} s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        secs, peak = timed_run(study, "local", workers, Path(tmp) / "pool")
        print(
            f"local pool: {secs:.1f} s ({study.total_trials / secs / 1e6:.2f}M trials/s), "
            f"peak memory {peak / 2**30:.2f} GiB"
        )
        if args.dask:
            dsecs, dpeak = timed_run(study, "dask", workers, Path(tmp) / "dask")
            same = (Path(tmp) / "pool" / "oc.parquet").read_bytes() == (
                Path(tmp) / "dask" / "oc.parquet"
            ).read_bytes()
            print(
                f"dask LocalCluster: {dsecs:.1f} s, peak memory {dpeak / 2**30:.2f} GiB; "
                f"overhead {100 * (dsecs / secs - 1):+.1f}% vs pool; identical oc.parquet: {same}"
            )


if __name__ == "__main__":
    main()
