"""Exact operating characteristics (``simulate --exact``): time and distinct trial states per design and
scenario, and the ratio to the time a 10,000-trial simulation of the same design takes here (one core,
seeded, after a warm-up that loads or compiles the kernels).

The designs of ``scenarios/target30-6dose.toml`` (BOIN, CRM, 3+3; 6 doses, max n 36, cohorts of 3).

    python benchmarks/bench_exact.py [--repeat 1]

Issue targets (one core, 6 doses, max n 36, cohorts of 3): exact BOIN under 1 s, exact CRM under 10 s.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numba
from bench_engine import best_time, target_verdict

import dosefind
from dosefind.engine.simulate import simulate_one
from dosefind.oc.exact_states import exact_operating_characteristics

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"boin": 1.0, "crm": 10.0}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    numba.set_num_threads(1)
    spec = dosefind.load_spec(ROOT / "scenarios" / "target30-6dose.toml")
    designs = list(spec.designs)
    print(f"{'design':<8} {'scenario':<9} {'states':>8} {'exact s':>8} {'10k sim s':>10} {'exact/sim':>10}")
    missed = []
    for d in designs:
        worst = 0.0
        for scen in spec.scenarios:
            simulate_one(d, scen, 500, 7, threads=1)  # warm-up
            exact_operating_characteristics(d, scen)
            t_exact = best_time(lambda d=d, s=scen: exact_operating_characteristics(d, s), args.repeat)
            t_sim = best_time(lambda d=d, s=scen: simulate_one(d, s, 10_000, 7, threads=1), args.repeat)
            _oc, info = exact_operating_characteristics(d, scen)
            worst = max(worst, t_exact)
            print(
                f"{d.name:<8} {scen.name:<9} {info.states:>8,} {t_exact:>8.2f} {t_sim:>10.3f} "
                f"{t_exact / t_sim:>10.1f}"
            )
        limit = TARGETS.get(d.kind)
        if limit is not None:
            verdict = "meets" if worst <= limit else "BELOW"
            print(f"{d.name}: slowest scenario {worst:.2f} s, target {limit:g} s: {verdict}")
            if worst > limit:
                missed.append(f"exact {d.kind} {worst:.2f} s > {limit:g} s")
    return target_verdict(missed)


if __name__ == "__main__":
    sys.exit(main())
