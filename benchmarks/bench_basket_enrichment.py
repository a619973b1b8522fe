"""Two-stage enrichment basket throughput on one process: simulated trials per second of
examples/baskets/enrichment-seven.toml (seven cohorts of 20-50 patients; stage 1 at half; two stated groups
pooled on Fisher's exact test, or reallocated) for each design of the file, the ratio to the floor (drawing
the trials' response counts only, :func:`dosefind.basket.kernels.response_counts`), and the time of the
exact operating characteristics of one scenario against 10,000 simulated trials. Seeded; every number from
one run, after a warm-up.

    python benchmarks/bench_basket_enrichment.py [--trials 20000] [--repeat 2] [--json out.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench_basket import SEED, basket_run
from bench_engine import best_time

from dosefind.basket.exact import exact_rows
from dosefind.basket.simulate import simulate_trials

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "baskets" / "enrichment-seven.toml"


def main(argv=None):
    args, spec, rates, t_floor = basket_run(argv, EXAMPLE, "sarcomas active")
    scenario = next(s for s in spec.scenarios if s.name == args.scenario)
    rows = []
    print(f"seven-cohort enrichment basket ({args.scenario}), {args.trials} trials, seed {SEED}")
    print(f"  {'design':<18} {'trials/s':>10} {'x floor':>8} {'exact s':>8} {'x 10k sims':>10}")
    print(f"  {'floor':<18} {args.trials / t_floor:10.0f} {1.0:8.1f}")
    for d in spec.designs:
        simulate_trials(d, spec.cohorts, rates, 200, SEED)  # warm-up: compile, caches
        t = best_time(lambda d=d: simulate_trials(d, spec.cohorts, rates, args.trials, SEED), args.repeat)
        exact_rows(d, spec.cohorts, scenario)  # warm-up: the Fisher tables
        t_exact = best_time(lambda d=d: exact_rows(d, spec.cohorts, scenario), args.repeat)
        per_10k = t_exact / (t * 10_000 / args.trials)
        rows.append(
            {
                "design": d.name,
                "kind": d.kind,
                "trials_per_s": args.trials / t,
                "x_floor": t / t_floor,
                "exact_s": t_exact,
                "exact_over_10k_sims": per_10k,
            }
        )
        print(f"  {d.name:<18} {args.trials / t:10.0f} {t / t_floor:8.1f} {t_exact:8.3f} {per_10k:10.2f}")
    if args.json:
        args.json.write_text(json.dumps({"trials": args.trials, "seed": SEED, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
