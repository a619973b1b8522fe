"""Calendar time on one core: timed trials per second, and the ratio to the same design untimed.

Issue setting: 6 doses, max n 36, cohorts of 3 (TITE-CRM: one patient at a time), a 28-day DLT window,
2 patients a month (Poisson). The scenario is S3 of ``scenarios/target30-6dose.toml``. Everything is
measured in one run, seeded, after a warm-up call that also loads or compiles the kernels; the ratio to
the untimed run of the same design is the cost of the calendar.

    python benchmarks/bench_timed.py [--trials 200000] [--repeat 3]

Issue targets (trials/s, one core): timed BOIN and rolling six >= 300,000; TITE-CRM >= 30,000. TITE-BOIN
and BF-BOIN are compared with BOIN untimed, rolling six (which has no untimed run) with 3+3 untimed;
BF-BOIN >= 100,000.
"""

from __future__ import annotations

import argparse
import sys

import numba
from bench_engine import best_time, target_verdict

from dosefind import Boin, Crm, Scenario, ThreePlusThree
from dosefind.designs import RollingSix, TiteBoin, TiteCrm
from dosefind.designs.boin.spec import Backfill
from dosefind.engine.simulate import simulate_one
from dosefind.scenario.timing import Timing

SCENARIO = Scenario(
    "S3", (0.09, 0.16, 0.23, 0.34, 0.51, 0.74), true_eff=(0.1, 0.2, 0.3, 0.4, 0.45, 0.5)
)  # responses open doses for BF-BOIN's backfill
TIMING = Timing(patients_per_month=2, dlt_window_days=28)
TARGETS = {"BOIN": 300_000, "TITE-CRM": 30_000, "rolling 6": 300_000, "BF-BOIN": 100_000}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    numba.set_num_threads(1)
    T = args.trials
    designs = [
        ("BOIN", Boin(target=0.3, n_doses=6, max_n=36), None),
        ("3+3", ThreePlusThree(target=0.3, n_doses=6), None),
        ("CRM", Crm(target=0.3, n_doses=6, max_n=36, skeleton_halfwidth=0.05, skeleton_nu=3), None),
        (
            "TITE-CRM",
            TiteCrm(target=0.3, n_doses=6, max_n=36, skeleton_halfwidth=0.05, skeleton_nu=3),
            Crm(target=0.3, n_doses=6, max_n=36, skeleton_halfwidth=0.05, skeleton_nu=3, cohort_size=1),
        ),
        ("TITE-BOIN", TiteBoin(target=0.3, n_doses=6, max_n=36), Boin(target=0.3, n_doses=6, max_n=36)),
        ("rolling 6", RollingSix(target=0.3, n_doses=6), ThreePlusThree(target=0.3, n_doses=6)),
        (
            "BF-BOIN",
            Boin(target=0.3, n_doses=6, max_n=36, backfill=Backfill()),
            Boin(target=0.3, n_doses=6, max_n=36),
        ),
    ]
    print(f"one core, {T} trials, scenario {SCENARIO.name}, 2 patients a month, 28-day window")
    print(
        f"{'design':<9} {'timed trials/s':>15} {'untimed trials/s':>17} {'timed/untimed':>14} {'target':>9}"
    )
    missed: list[str] = []
    for name, design, untimed_design in designs:
        untimed_design = untimed_design or design
        simulate_one(design, SCENARIO, 1000, 7, threads=1, timing=TIMING)  # warm-up
        simulate_one(untimed_design, SCENARIO, 1000, 7, threads=1)
        timed = best_time(
            lambda d=design: simulate_one(d, SCENARIO, T, 7, threads=1, timing=TIMING), args.repeat
        )
        plain = best_time(lambda d=untimed_design: simulate_one(d, SCENARIO, T, 7, threads=1), args.repeat)
        target = TARGETS.get(name)
        verdict = "" if target is None else ("meets" if T / timed >= target else "BELOW")
        if verdict == "BELOW":
            missed.append(f"{name} {T / timed:,.0f}/s < {target:,}/s")
        print(
            f"{name:<9} {T / timed:15,.0f} {T / plain:17,.0f} {timed / plain:14.2f} "
            f"{(f'{target:,}' if target else ''):>9} {verdict}"
        )
    return target_verdict(missed)


if __name__ == "__main__":
    sys.exit(main())
