"""Exact operating characteristics of arms (``simulate ARM --exact``, ``dosefind.arm.exact``): time and
states (escalation states plus extension states) per scenario of each untimed bundled arm file, and the
ratio to the time 10,000 simulated arms of the same scenario take here (one core, seeded, after a
warm-up that loads or compiles the kernels). The issue sets no speed target for arms: this records
what exactness costs.

    python benchmarks/bench_exact_arm.py [--repeat 1]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numba
from bench_engine import best_time

from dosefind.arm.exact import exact_arm_oc
from dosefind.arm.simulate import simulate_arm
from dosefind.arm.spec import load_arm

ROOT = Path(__file__).resolve().parent.parent
FILES = ("arm-boin.toml", "arm-combo.toml")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    numba.set_num_threads(1)
    print(
        f"{'arm file':<16} {'scenario':<12} {'states':>11} {'exact s':>8} {'10k sim s':>10} {'exact/sim':>10}"
    )
    for name in FILES:
        spec = load_arm(ROOT / "scenarios" / name)
        for scen in spec.scenarios:
            simulate_arm(spec.arm, scen, 500, 7, threads=1)  # warm-up
            t_exact = best_time(lambda a=spec.arm, s=scen: exact_arm_oc(a, s), args.repeat)
            t_sim = best_time(
                lambda a=spec.arm, s=scen: simulate_arm(a, s, 10_000, 7, threads=1), args.repeat
            )
            _rows, cost = exact_arm_oc(spec.arm, scen)
            print(
                f"{name:<16} {scen.name:<12} {cost['states']:>11,} {t_exact:>8.2f} {t_sim:>10.3f} "
                f"{t_exact / t_sim:>10.1f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
