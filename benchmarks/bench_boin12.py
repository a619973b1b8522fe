"""BOIN12's throughput, one core: trials per second against the issue's target (300,000) and against BOIN
on the same patients' toxicity values, in one run.

Six doses, max n 36, cohorts of 3, target 0.35, target_eff 0.25 (BOIN: target 0.35), the three scenarios of
``scenarios/boin12-6dose.toml``, seeded; the designs are measured interleaved (round r measures each
design once per scenario), best of the rounds, so machine load hits them alike. BOIN12 also draws every
patient's response (the copula), which BOIN does not.

    python benchmarks/bench_boin12.py [--trials 200000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numba

import dosefind
from dosefind.designs import Boin, Boin12
from dosefind.engine.simulate import simulate_one

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATE = 300_000


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    numba.set_num_threads(1)
    scenarios = dosefind.load_spec(ROOT / "scenarios" / "boin12-6dose.toml").scenarios
    common = {"n_doses": 6, "max_n": 36, "cohort_size": 3, "target": 0.35}
    ds = {
        "BOIN12": Boin12(target_eff=0.25, **common),
        "BOIN12 (escalation's rules)": Boin12(target_eff=0.25, rules="escalation", **common),
        "BOIN": Boin(**common),
    }
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
    print(f"{'design':<28} {'trials/s':>10} {'vs BOIN':>8}  per scenario")
    boin_total = sum(best["BOIN", s.name] for s in scenarios)
    ok = True
    for name in ds:
        total = sum(best[name, s.name] for s in scenarios)
        rate = len(scenarios) * T / total
        per = "  ".join(f"{s.name}: {T / best[name, s.name]:,.0f}" for s in scenarios)
        print(f"{name:<28} {rate:>10,.0f} {boin_total / total:>8.2f}  {per}")
        if name.startswith("BOIN12") and rate < TARGET_RATE:
            ok = False
    print(f"target: BOIN12 at least {TARGET_RATE:,} trials/s: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
