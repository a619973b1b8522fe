"""Basket throughput on one process: simulated seven-cohort basket trials per second for each design of
examples/baskets/rare-seven.toml (an interim look at about half of each cohort, 20-50 patients per cohort),
and the ratio to the floor.

The floor is the cost of drawing the trials' response counts and nothing else
(:func:`dosefind.basket.kernels.response_counts`: every patient's latent uniform). Berry and EXNEX build
their node tables once per design, CBHM calibrates (a, b) and tabulates its likelihood grid once (each
reported separately as ``setup s``); posteriors are computed once per distinct data vector of a look.
Seeded; every number from one run, after a warm-up.

    python benchmarks/bench_basket.py [--trials 20000] [--repeat 2] [--json out.json]

Issue target (seven cohorts, EXNEX): >= 5,000 trials/s.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from bench_engine import best_time, target_verdict

from dosefind.basket import load_basket
from dosefind.basket.cbhm import grid_for
from dosefind.basket.hierarchy import tables_for
from dosefind.basket.kernels import response_counts
from dosefind.basket.simulate import simulate_trials

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "baskets" / "rare-seven.toml"
TARGETS = {"exnex": 5_000}
SEED = 2024


def basket_run(argv, example: Path, scenario: str):
    """The command line (--trials, --repeat, --scenario, --json), the basket file, the scenario's rates and
    the floor's time (drawing the response counts only), as both basket benchmarks start."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--scenario", default=scenario)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    spec = load_basket(example)
    chosen = next(s for s in spec.scenarios if s.name == args.scenario)
    looks = np.array([c.looks for c in spec.cohorts], dtype=np.int64)
    rates = np.asarray(chosen.rates)

    def floor():
        return response_counts(np.int64(SEED), np.int64(0), np.int64(0), args.trials, rates, looks).sum()

    floor()
    return args, spec, rates, best_time(floor, args.repeat)


def main(argv=None):
    args, spec, rates, t_floor = basket_run(argv, EXAMPLE, "three active")
    rows = []
    missed = []
    print(f"seven-cohort basket ({args.scenario}), {args.trials} trials, seed {SEED}")
    print(f"  {'design':<12} {'setup s':>8} {'trials/s':>10} {'x floor':>8}")
    print(f"  {'floor':<12} {'':>8} {args.trials / t_floor:10.0f} {1.0:8.1f}")
    for d in spec.designs:
        t0 = time.perf_counter()
        if d.borrows and d.kind in ("berry", "exnex"):
            tables_for(d, spec.cohorts)
        elif d.kind == "cbhm":
            grid_for(d, spec.cohorts)
        setup = time.perf_counter() - t0
        simulate_trials(d, spec.cohorts, rates, 200, SEED)  # warm-up: compile, caches
        t = best_time(lambda d=d: simulate_trials(d, spec.cohorts, rates, args.trials, SEED), args.repeat)
        rate = args.trials / t
        rows.append(
            {"design": d.name, "kind": d.kind, "setup_s": setup, "trials_per_s": rate, "x_floor": t / t_floor}
        )
        print(f"  {d.name:<12} {setup:8.1f} {rate:10.0f} {t / t_floor:8.1f}")
        if d.kind in TARGETS and rate < TARGETS[d.kind]:
            missed.append(f"{d.name}: {rate:.0f} trials/s < {TARGETS[d.kind]}")
    if args.json:
        args.json.write_text(json.dumps({"trials": args.trials, "seed": SEED, "rows": rows}, indent=2))
    return target_verdict(missed)


if __name__ == "__main__":
    sys.exit(main())
