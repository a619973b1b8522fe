"""Interval designs' throughput against BOIN's, in one run, one core: trials per second and the ratio.

Six doses, target 0.30, max n 36, cohorts of 3, the six scenarios of ``scenarios/target30-6dose.toml``,
seeded; the designs are measured interleaved (round r measures every design once), best of the rounds,
so machine load hits them alike. Issue target: every interval design within 10% of BOIN (ratio >= 0.9).

    python benchmarks/bench_interval.py [--trials 200000] [--rounds 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numba

import dosefind
from dosefind.designs import Boin, DecisionTableDesign, I3Plus3, Keyboard, Mtpi, Mtpi2, Tpi
from dosefind.engine.simulate import simulate_one

ROOT = Path(__file__).resolve().parent.parent
COMMON = {"target": 0.3, "n_doses": 6, "max_n": 36, "cohort_size": 3}


def designs():
    boin = Boin(**COMMON)
    out = {
        "BOIN": boin,
        "TPI": Tpi(**COMMON),
        "mTPI": Mtpi(**COMMON),
        "mTPI-2": Mtpi2(**COMMON),
        "Keyboard": Keyboard(**COMMON),
        "i3+3": I3Plus3(**COMMON),
    }
    # BOIN's table as a committee table (the round trip of `dosefind table --format csv`)
    table = boin.compile().tables[0]
    from dosefind.designs import layout as L

    rows = []
    for n in range(1, 37):
        for y in range(n + 1):
            f = int(table[n, y])
            a = "DU" if f & L.BOIN_ELIM else "D" if f & L.BOIN_DEESC else "E" if f & L.BOIN_ESC else "S"
            rows.append((n, y, a))
    out["table (BOIN's)"] = DecisionTableDesign(rows=tuple(rows), **COMMON)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    numba.set_num_threads(1)
    scenarios = dosefind.load_spec(ROOT / "scenarios" / "target30-6dose.toml").scenarios
    ds = designs()
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
    rows = []
    print(f"one core, {T} trials per scenario, best of {args.rounds} interleaved rounds")
    print(f"{'design':<16} {'trials/s':>12} {'vs BOIN':>8}  per scenario (vs BOIN)")
    boin_total = sum(best["BOIN", s.name] for s in scenarios)
    missed = []
    for name in ds:
        total = sum(best[name, s.name] for s in scenarios)
        rate = len(scenarios) * T / total
        ratio = boin_total / total
        per = [best["BOIN", s.name] / best[name, s.name] for s in scenarios]
        rows.append({"design": name, "trials_per_s": rate, "ratio_to_boin": ratio, "per_scenario": per})
        print(f"{name:<16} {rate:>12,.0f} {ratio:>8.3f}  " + " ".join(f"{r:.2f}" for r in per))
        if ratio < 0.9:
            missed.append(name)
    if args.json:
        args.json.write_text(json.dumps({"trials": T, "rounds": args.rounds, "rows": rows}, indent=2))
    if missed:
        print("below 0.9 x BOIN:", ", ".join(missed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
