"""Two-drug BLRM throughput on one core, and the ratio to an MCMC-per-update simulator.

The two-drug BLRM of ``examples/designs/blrm-comb.toml`` (3 x 3 grid, cohorts of 3, max n 36) on the
"diagonal" scenario of ``scenarios/combo-3x3.toml``, seeded, after a warm-up call that loads or compiles
the kernels; the posterior cache is per run (no state is shared between the timed runs' first trials).
With ``--pymc`` one NUTS fit of the same model (2 chains x 1000 draws after 500 tuning steps, mid-trial
data) is timed, and the ratio per trial uses the mean number of decisions per trial.

    python benchmarks/bench_blrm_comb.py [--trials 20] [--pymc]

Issue target (one core, 3 x 3 grid, max n 36, cohorts of 3): >= 2,000 trials/s (not met; see
docs/notes/blrm-comb-quadrature.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numba
import numpy as np
from bench_engine import target_verdict

import dosefind
from dosefind.engine.simulate import simulate_one

ROOT = Path(__file__).resolve().parent.parent
TARGET = 2_000


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--pymc", action="store_true")
    args = ap.parse_args(argv)
    numba.set_num_threads(1)
    design = dosefind.load_spec(
        ROOT / "examples" / "designs" / "blrm-comb.toml", require_scenarios=False
    ).designs[0]
    scen = next(
        s for s in dosefind.load_spec(ROOT / "scenarios" / "combo-3x3.toml").scenarios if s.name == "diagonal"
    )
    simulate_one(design, scen, 1, 99, threads=1)  # warm-up: kernels
    t0 = time.perf_counter()
    res = simulate_one(design, scen, args.trials, 7, threads=1)
    rate = args.trials / (time.perf_counter() - t0)
    per_trial = float(np.ceil(res.n_at_dose.sum(axis=1) / design.cohort_size).mean())
    ok = "meets" if rate >= TARGET else "BELOW"
    print(f"one core, two-drug BLRM, {args.trials} trials: {rate:.3f} trials/s ({1 / rate:.1f} s a trial), ")
    print(f"{per_trial:.1f} decisions a trial; target {TARGET:,}/s: {ok}")
    if args.pymc:
        from dosefind.inference import McmcSettings
        from dosefind.inference.mcmc import sample_posterior

        n = np.array([3, 3, 0, 3, 6, 0, 0, 0, 0])
        y = np.array([0, 0, 0, 0, 1, 0, 0, 0, 0])
        settings = McmcSettings(draws=1000, tune=500, chains=2, seed=1)
        sample_posterior(design, n, y, settings)  # compile once
        t0 = time.perf_counter()
        sample_posterior(design, n, y, settings)
        fit = time.perf_counter() - t0
        mcmc_trial = fit * per_trial
        print(
            f"PyMC NUTS per update: {fit:.2f} s; x {per_trial:.1f} decisions = {mcmc_trial:.1f} s per trial; "
            f"the quadrature engine is {mcmc_trial * rate:.1f}x faster per trial"
        )
    return target_verdict([] if ok == "meets" else [f"two-drug BLRM {rate:.2f}/s < {TARGET:,}/s"])


if __name__ == "__main__":
    sys.exit(main())
