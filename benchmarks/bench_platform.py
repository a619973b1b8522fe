"""Platform throughput on one core: simulated platform trials per second for the bundled six-arm
platform (examples/platforms/esmart-like.toml: BOIN and 3+3 escalation, a Simon and a BOP2 cohort per
arm, safety monitoring, overlapping biomarkers, least-enrolled allocation), the ratio to the cost of
simulating its six arms alone (each arm's own untimed simulation, the same number of trials), and the
peak memory of the reduction at two run sizes (flat: blocks of PLATFORM_BLOCK platforms).

    python benchmarks/bench_platform.py [--trials 20000] [--repeat 3] [--json out.json]

Issue target (six arms with escalation and expansion, one core): >= 2,000 platform trials/s, judged on
the CPU time of the one numba thread (process time), which a busy machine does not inflate; the wall-clock
rate is printed beside it. Measured in one run, seeded, after a warm-up call that also loads or compiles
the kernels.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

import numba
from bench_engine import best_time, target_verdict

import dosefind
from dosefind.arm import simulate_arm
from dosefind.platforms import load_platform
from dosefind.platforms.oc import PlatformSums
from dosefind.platforms.simulate import PLATFORM_BLOCK, simulate_platform

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "platforms" / "esmart-like.toml"
TARGET = 2_000


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    numba.set_num_threads(1)
    spec = load_platform(EXAMPLE)
    platform, scen = spec.platform, spec.scenarios[0]
    T = args.trials

    def run(n):
        sums = PlatformSums(platform, scen)
        simulate_platform(platform, scen, n, 7, on_block=sums.add, threads=1)
        return sums

    def arms_alone(n):
        for a, s in zip(platform.arms, scen.arm_scenarios, strict=True):
            simulate_arm(a.arm, a.scenario(s), n, 7, threads=1)

    run(200)
    arms_alone(200)
    per = best_time(lambda: run(T), args.repeat) / T
    cpu = []
    for _ in range(args.repeat):
        t0 = time.process_time()
        run(T)
        cpu.append(time.process_time() - t0)
    cpu_per = min(cpu) / T
    alone = best_time(lambda: arms_alone(T), args.repeat) / T
    peaks = []
    for n in (PLATFORM_BLOCK, 4 * PLATFORM_BLOCK):
        tracemalloc.start()
        run(n)
        peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    rows = run(T).rows()
    screened = next(r["value"] for r in rows if r["arm"] == "" and r["metric"] == "mean_screened")
    rate = 1.0 / cpu_per
    print(
        f"one core, {platform.name!r}: {len(platform.arms)} arms, {T} platform trials, "
        f"{screened:.0f} children screened each"
    )
    print(
        f"platform trials/s {rate:,.0f} by CPU time (target {TARGET:,}), {1.0 / per:,.0f} by wall clock; "
        f"x the six arms simulated alone (wall clock, same run) {per / alone:.2f}"
    )
    print(
        f"peak memory of the reduction: {peaks[0]:.1f} MiB at {PLATFORM_BLOCK:,} platforms, "
        f"{peaks[1]:.1f} MiB at {4 * PLATFORM_BLOCK:,}"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "version": dosefind.__version__,
                    "platforms_per_s_cpu": rate,
                    "platforms_per_s_wall": 1.0 / per,
                    "ratio_to_arms_alone": per / alone,
                    "peak_mib": peaks,
                    "mean_screened": screened,
                },
                indent=2,
            )
        )
    return target_verdict([] if rate >= TARGET else [f"platform {rate:,.0f}/s < {TARGET:,}/s"])


if __name__ == "__main__":
    sys.exit(main())
