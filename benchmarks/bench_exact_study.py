"""An exact study against the same study simulated: the bundled ``scenarios/exact-6dose-study.toml``
(BOIN, CRM, 3+3 of target30-6dose.toml with at most 24 patients, under three of its scenarios) swept
with ``exact = true``, then with ``n_trials`` simulated trials per design and scenario instead
(seeded), both on the serial backend in this process after a warm-up, and the ratio of the two times.
The exact time includes the check that runs each design once on the first scenario before any work
(the state and time limits).

    python benchmarks/bench_exact_study.py [--trials 10000]
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

import numba

from dosefind.sweep import run_study, study_from_dict
from dosefind.sweep.study import _read_toml

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "scenarios" / "exact-6dose-study.toml"


def _timed(study, out: Path) -> float:
    start = time.perf_counter()
    run_study(study, out, backend="serial")
    return time.perf_counter() - start


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=10_000)
    args = ap.parse_args(argv)
    numba.set_num_threads(1)
    data = _read_toml(STUDY)
    exact = study_from_dict(data, STUDY.name, STUDY.parent)
    data["study"].pop("exact")
    data["study"].update(n_trials=args.trials, seed=2026)
    simulated = study_from_dict(data, STUDY.name, STUDY.parent)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        warm = copy.deepcopy(data)
        warm["study"]["n_trials"] = 200
        _timed(study_from_dict(warm, STUDY.name, STUDY.parent), tmp / "warm")  # loads the kernels
        t_exact = _timed(exact, tmp / "exact")
        t_sim = _timed(simulated, tmp / "simulated")
    units = exact.n_tasks
    print(f"{STUDY.name}: {len(exact.scenarios)} scenarios x {len(exact.designs)} designs = {units} units")
    print(f"exact study (serial, one core):            {t_exact:8.1f} s")
    print(f"simulated, {args.trials:,} trials per unit:   {t_sim:8.1f} s")
    print(f"exact / simulated:                          {t_exact / t_sim:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
