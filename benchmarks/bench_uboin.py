"""U-BOIN's throughput, one core: trials per second and the ratio to BOIN12 on the same patients, in one
run.

Six doses, max n 36, cohorts of 3, target 0.35, target_eff 0.25, stage 1 of 18 patients, the three
scenarios of ``scenarios/uboin-6dose.toml``, seeded; the designs are measured interleaved (round r measures
each design once per scenario), best of the rounds, so machine load hits them alike. Both draw every
patient's response (the copula); U-BOIN also draws one design uniform per decision.

    python benchmarks/bench_uboin.py [--trials 200000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numba

import dosefind
from dosefind.designs import Boin12, UBoin
from dosefind.engine.simulate import simulate_one

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    numba.set_num_threads(1)
    scenarios = dosefind.load_spec(ROOT / "scenarios" / "uboin-6dose.toml").scenarios
    common = {"n_doses": 6, "max_n": 36, "cohort_size": 3, "target": 0.35, "target_eff": 0.25}
    ds = {"U-BOIN": UBoin(n_stage1=18, **common), "BOIN12": Boin12(**common)}
    T = args.trials
    for d in ds.values():
        for s in scenarios:
            simulate_one(d, s, 1000, 7, threads=1)  # warm-up: compile or load the kernels
    best = {(name, s.name): float("inf") for name in ds for s in scenarios}
    for _ in range(args.rounds):
        for s in scenarios:
            for name, d in ds.items():
                t0 = time.perf_counter()
                simulate_one(d, s, T, 7, threads=1)
                best[name, s.name] = min(best[name, s.name], time.perf_counter() - t0)
    print(f"one core, {T} trials per scenario, best of {args.rounds} interleaved rounds")
    print(f"{'design':<10} {'trials/s':>10} {'vs BOIN12':>9}  per scenario")
    ref = sum(best["BOIN12", s.name] for s in scenarios)
    for name in ds:
        total = sum(best[name, s.name] for s in scenarios)
        rate = len(scenarios) * T / total
        per = "  ".join(f"{s.name}: {T / best[name, s.name]:,.0f}" for s in scenarios)
        print(f"{name:<10} {rate:>10,.0f} {ref / total:>9.2f}  {per}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
