"""MEM basket throughput on one process: simulated trials per second of examples/baskets/mem-five.toml (five
cohorts of 8-14 patients, an interim look at half, the MEM's 1,024 exchangeability matrices) for the MEM
and the independent analysis of the same file, and the ratio to the floor (drawing the trials' response
counts only, :func:`dosefind.basket.kernels.response_counts`). Then the cost of one MEM analysis per number
of cohorts K = 3..7 (2^(K(K-1)/2) matrices), on distinct data vectors, against the time estimate that
exact runs and the refusal beyond seven cohorts use. Seeded; every number from one run, after a warm-up.

    python benchmarks/bench_basket_mem.py [--trials 20000] [--repeat 2] [--json out.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from bench_basket import SEED, basket_run
from bench_engine import best_time

from dosefind.basket import Cohort, Mem
from dosefind.basket.exact import seconds_per_vector
from dosefind.basket.mem import mem_probabilities
from dosefind.basket.simulate import simulate_trials

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "baskets" / "mem-five.toml"
VECTORS = {3: 20_000, 4: 20_000, 5: 5_000, 6: 1_000, 7: 40}


def main(argv=None):
    args, spec, rates, t_floor = basket_run(argv, EXAMPLE, "two active")
    rows = []
    print(f"five-cohort MEM basket ({args.scenario}), {args.trials} trials, seed {SEED}")
    print(f"  {'design':<12} {'trials/s':>10} {'x floor':>8}")
    print(f"  {'floor':<12} {args.trials / t_floor:10.0f} {1.0:8.1f}")
    for d in spec.designs:
        simulate_trials(d, spec.cohorts, rates, 200, SEED)  # warm-up: compile
        t = best_time(lambda d=d: simulate_trials(d, spec.cohorts, rates, args.trials, SEED), args.repeat)
        rate = args.trials / t
        rows.append({"design": d.name, "kind": d.kind, "trials_per_s": rate, "x_floor": t / t_floor})
        print(f"  {d.name:<12} {args.trials / t:10.0f} {t / t_floor:8.1f}")
    print("one MEM analysis per distinct data vector (20 patients per cohort)")
    print(f"  {'K':>2} {'matrices':>10} {'s/vector':>10} {'estimate':>10}")
    rng = np.random.default_rng(SEED)
    per_k = []
    for k, count in VECTORS.items():
        design = Mem()
        cohorts = tuple(Cohort(f"c{i}", 20, 0.2) for i in range(k))
        n = np.full((count, k), 20)
        x = rng.integers(0, 21, (count, k))
        mem_probabilities(design, cohorts, n[:2], x[:2])
        t = best_time(lambda d=design, c=cohorts, n=n, x=x: mem_probabilities(d, c, n, x), 1)
        est = seconds_per_vector(design, k)
        per_k.append({"k": k, "seconds_per_vector": t / count, "estimate": est})
        print(f"  {k:>2} {2 ** (k * (k - 1) // 2):>10} {t / count:10.3g} {est:10.3g}")
    if args.json:
        args.json.write_text(
            json.dumps({"trials": args.trials, "seed": SEED, "rows": rows, "per_k": per_k}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
