"""BLRM throughput on one core, and the ratio to an MCMC-per-update simulator.

The single-agent BLRM (six doses 1-16 mg, reference dose 8 mg, the default weakly informative prior,
cohorts of 3, max n 36, EWOC 0.25, +100% cap) on the six scenarios of ``scenarios/target30-6dose.toml``,
seeded, after a warm-up call that loads or compiles the kernels. The posterior is the engine's
deterministic quadrature with a per-chunk cache of states (as the CRM's): the first trials of a run fill
the cache, so the rate grows with the number of trials; the table gives both a short and the full run.

With ``--pymc``, one NUTS fit of the same model (PyMC, 2 chains x 1000 draws after 500 tuning steps, the
trial's mid-course data) is timed: a simulator that refits by MCMC at every decision spends about that
per decision, and the mean number of decisions per trial gives the ratio per trial.

    python benchmarks/bench_blrm.py [--trials 200000] [--repeat 2] [--pymc]

Issue target (one core, 6 doses, max n 36, cohorts of 3): >= 20,000 trials/s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numba
import numpy as np
from bench_engine import best_time, target_verdict

import dosefind
from dosefind.designs import Blrm
from dosefind.engine.simulate import simulate_one

ROOT = Path(__file__).resolve().parent.parent
TARGET = 20_000
DESIGN = Blrm(doses=(1, 2, 4, 8, 12, 16), reference_dose=8, max_n=36, cohort_size=3, dose_unit="mg")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--pymc", action="store_true")
    args = ap.parse_args(argv)
    numba.set_num_threads(1)
    spec = dosefind.load_spec(ROOT / "scenarios" / "target30-6dose.toml")
    T = args.trials
    print(f"one core, BLRM, {T} trials per scenario (and 10,000 for the short run)")
    print(f"{'scenario':<9} {'trials/s (10k)':>15} {'trials/s':>10} {'decisions/trial':>16}")
    rates = []
    decisions = []
    for scen in spec.scenarios:
        simulate_one(DESIGN, scen, 500, 7, threads=1)  # warm-up
        short = 10_000 / best_time(lambda s=scen: simulate_one(DESIGN, s, 10_000, 7, threads=1), args.repeat)
        rate = T / best_time(lambda s=scen: simulate_one(DESIGN, s, T, 7, threads=1), args.repeat)
        res = simulate_one(DESIGN, scen, 10_000, 7, threads=1)
        per_trial = float(np.ceil(res.n_at_dose.sum(axis=1) / DESIGN.cohort_size).mean())
        rates.append(rate)
        decisions.append(per_trial)
        print(f"{scen.name:<9} {short:15,.0f} {rate:10,.0f} {per_trial:16.1f}")
    hm = len(rates) / sum(1 / r for r in rates)
    ok = "meets" if hm >= TARGET else "BELOW"
    print(f"{'all':<9} {'':>15} {hm:10,.0f}  target {TARGET:,}: {ok}")
    if args.pymc:
        from dosefind.inference import McmcSettings
        from dosefind.inference.mcmc import sample_posterior

        n = np.array([3, 3, 6, 3, 0, 0])
        y = np.array([0, 0, 1, 1, 0, 0])
        settings = McmcSettings(draws=1000, tune=500, chains=2, seed=1)
        sample_posterior(DESIGN, n, y, settings)  # compile once
        t0 = time.perf_counter()
        sample_posterior(DESIGN, n, y, settings)
        fit = time.perf_counter() - t0
        per_trial = fit * float(np.mean(decisions))
        print(
            f"PyMC NUTS per update: {fit:.2f} s; x {np.mean(decisions):.1f} decisions = {per_trial:.1f} s "
            f"per trial; the quadrature engine is {per_trial * hm:,.0f}x faster per trial"
        )
    return target_verdict([] if ok == "meets" else [f"BLRM {hm:,.0f}/s < {TARGET:,}/s"])


if __name__ == "__main__":
    sys.exit(main())
