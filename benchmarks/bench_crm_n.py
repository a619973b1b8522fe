"""CRM at larger sample sizes on one core: time per trial at max n 72 and 144 as a ratio to max n 36.

Issue 17 item 5: a CRM trial of max n 72 should cost at most 3x, and one of max n 144 at most 8x, a trial
of max n 36 (6 doses, target 0.30, cohorts of 3, the calibrated skeleton of
``scenarios/target30-6dose.toml``; the number of decisions per trial alone grows 2x and 4x). The three
sample sizes are timed in interleaved rounds in one run, seeded, after a warm-up call that also loads or
compiles the kernels; the best round of each counts. Times are CPU times of this process (one thread),
which other jobs on a shared machine disturb less than wall-clock times. Scenarios S2, S3 and S5 of that
file; every sample size runs the same trial indices.

    python benchmarks/bench_crm_n.py [--trials 20000] [--repeat 3]

Exits 1, after a line naming the misses, when a ratio is above its target.
"""

from __future__ import annotations

import argparse
import sys
import time

import numba
from bench_engine import target_verdict

from dosefind import Crm, Scenario
from dosefind.engine.simulate import simulate_one

SCENARIOS = (
    Scenario("S2", (0.18, 0.25, 0.32, 0.36, 0.60, 0.69)),
    Scenario("S3", (0.09, 0.16, 0.23, 0.34, 0.51, 0.74)),
    Scenario("S5", (0.03, 0.09, 0.16, 0.25, 0.32, 0.40)),
)
SIZES = (36, 72, 144)
TARGETS = {72: 3.0, 144: 8.0}  # time per trial relative to max n 36


def design(max_n: int) -> Crm:
    return Crm(target=0.3, n_doses=6, max_n=max_n, skeleton_halfwidth=0.05, skeleton_nu=3)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    numba.set_num_threads(1)
    T = args.trials
    designs = {n: design(n) for n in SIZES}
    best = {n: float("inf") for n in SIZES}
    for n in SIZES:  # warm-up
        simulate_one(designs[n], SCENARIOS[0], 200, 7, threads=1)
    for _ in range(args.repeat):
        for n in SIZES:
            t0 = time.process_time()
            for s in SCENARIOS:
                simulate_one(designs[n], s, T, 7, threads=1)
            best[n] = min(best[n], (time.process_time() - t0) / (T * len(SCENARIOS)))
    print(f"one core, CRM (6 doses, cohorts of 3), {T} trials in each of {len(SCENARIOS)} scenarios")
    print(f"{'max n':>5} {'nodes':>6} {'us/trial':>9} {'x max n 36':>11} {'target':>7}")
    missed: list[str] = []
    for n in SIZES:
        ratio = best[n] / best[SIZES[0]]
        target = TARGETS.get(n)
        verdict = "" if target is None else ("meets" if ratio <= target else "ABOVE")
        if verdict == "ABOVE":
            missed.append(f"max n {n}: {ratio:.2f}x > {target:g}x")
        print(
            f"{n:5d} {designs[n].nodes_for(n):6d} {best[n] * 1e6:9.2f} {ratio:11.2f} "
            f"{(f'{target:g}x' if target else ''):>7} {verdict}"
        )
    return target_verdict(missed)


if __name__ == "__main__":
    sys.exit(main())
