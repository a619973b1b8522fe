"""Two-drug BLRM throughput on one core, against the single-agent BLRM in the same process; its
certified decisions' refinement share and the posterior cache's hit rate; the live recommendation's
wall time; with ``--pymc`` the ratio to an MCMC-per-update simulator.

The two-drug BLRM of ``examples/designs/blrm-comb.toml`` (3 x 3 grid, cohorts of 3, max n 36) on the
"diagonal" scenario of ``scenarios/combo-3x3.toml``, seeded, after a warm-up call that loads or compiles
the kernels, in two halves that share one posterior cache (the rate grows as the cache fills). The
single-agent BLRM of ``bench_blrm.py`` (6 doses, max n 36, cohorts of 3) runs in the same process as the
yardstick (machine load changes both alike). Lookups of the cache: one per decision and one for the final
selection (cohorts + 1 per trial); states computed: the cache's rows; refinement share: the states whose
row was refined beyond the cheapest level (the level each ended on).

The live recommendation: ``dosefind recommend`` on the example's outcomes (3 cohorts) and on a 12-cohort
trial, in a fresh process with warm compile caches (as from the command line) and as the second call in
a warm process (as the local app serves it); the replay's decisions and the interval ends on both cores.

    python benchmarks/bench_blrm_comb.py [--trials 200] [--pymc] [--no-live]

Issue targets (one core, 3 x 3 grid, max n 36, cohorts of 3): >= 2,000 trials/s (not met; see
docs/notes/blrm-comb-quadrature.md); a live recommendation in under 2 s warm.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numba
import numpy as np
from bench_blrm import DESIGN as SINGLE_AGENT
from bench_engine import target_verdict

import dosefind
from dosefind.engine.simulate import PosteriorCache, simulate_one

ROOT = Path(__file__).resolve().parent.parent
TARGET = 2_000
LIVE_BUDGET = 2.0
OUTCOMES = "1.1NNN 2.1NNN 2.2NNT"


#: a longer trial for the live timing: twelve cohorts, 36 patients (the benchmark's max n)
OUTCOMES_LONG = "1.1NNN 2.1NNN 2.2NNT 2.2NNN 3.2NNN 3.2NTN 2.3NNN 2.3TNN 3.2NNN 3.3NTT 3.2NNN 3.2NNN"

IN_PROCESS = """
import time
from pathlib import Path
from dosefind.live.inputs import trial_data_for
from dosefind.live.recommend import recommend
from dosefind.specfile import select_design
design = select_design(Path(r"{design}"))
data = trial_data_for(design, None, "{outcomes}", None)
recommend(design, data)
t0 = time.perf_counter()
recommend(design, data)
print(time.perf_counter() - t0)
"""


def live_seconds(outcomes: str, repeat: int = 3) -> tuple[float, float]:
    """(fresh process, a warm process's second call): the best of ``repeat`` runs each."""
    design = ROOT / "examples" / "designs" / "blrm-comb.toml"
    cmd = [
        sys.executable,
        "-c",
        "from dosefind.cli import main; main()",
        "recommend",
        "--design",
        str(design),
        "--outcomes",
        outcomes,
        "--no-log",
    ]
    subprocess.run(cmd, check=True, capture_output=True)  # warm the compile caches
    fresh = []
    warm = []
    code = IN_PROCESS.format(design=design, outcomes=outcomes)
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        fresh.append(time.perf_counter() - t0)
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
        warm.append(float(out.stdout.split()[-1]))
    return min(fresh), min(warm)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--pymc", action="store_true")
    ap.add_argument("--no-live", action="store_true")
    args = ap.parse_args(argv)
    numba.set_num_threads(1)
    design = dosefind.load_spec(
        ROOT / "examples" / "designs" / "blrm-comb.toml", require_scenarios=False
    ).designs[0]
    scen = next(
        s for s in dosefind.load_spec(ROOT / "scenarios" / "combo-3x3.toml").scenarios if s.name == "diagonal"
    )
    single_scen = dosefind.load_spec(ROOT / "scenarios" / "target30-6dose.toml").scenarios[0]
    simulate_one(design, scen, 1, 99, threads=1)  # warm-up: kernels
    simulate_one(SINGLE_AGENT, single_scen, 500, 99, threads=1)
    t0 = time.perf_counter()
    simulate_one(SINGLE_AGENT, single_scen, 20_000, 7, threads=1)
    single_rate = 20_000 / (time.perf_counter() - t0)

    cache = PosteriorCache.for_design(design)
    T = args.trials
    half = T // 2
    t0 = time.perf_counter()
    first = simulate_one(design, scen, half, 7, threads=1, cache=cache)
    t1 = time.perf_counter()
    second = simulate_one(design, scen, T - half, 7, threads=1, cache=cache, first_trial=half)
    t2 = time.perf_counter()
    rate = T / (t2 - t0)
    n_total = np.concatenate([first.n_at_dose.sum(axis=1), second.n_at_dose.sum(axis=1)])
    lookups = float((np.ceil(n_total / design.cohort_size) + 1).sum())
    used = cache.keys[:, 0] >= 0
    states = int(used.sum())
    levels = np.rint(cache.values[:-1][used, 0]).astype(int)
    n_levels = len(design.levels()) - 1
    shares = ", ".join(
        f"level {s} ({design.levels()[s]:,} lines) {np.mean(levels == s):.1%}"
        for s in range(n_levels - 1, -1, -1)
    )
    ok = rate >= TARGET
    print(f"one core; single-agent BLRM (6 doses) in the same process: {single_rate:,.0f} trials/s")
    print(
        f"two-drug BLRM, {T} trials: {rate:.2f} trials/s (first {half}: {half / (t1 - t0):.2f}/s, next "
        f"{T - half}: {(T - half) / (t2 - t1):.2f}/s); {single_rate / rate:,.0f}x below the single-agent"
    )
    print(
        f"cache: {lookups:.0f} lookups, {states} states computed: hit rate {1 - states / lookups:.1%}; "
        f"states ending on {shares}"
    )
    print(f"target {TARGET:,}/s: {'meets' if ok else 'BELOW'}")
    failures = [] if ok else [f"two-drug BLRM {rate:.2f}/s < {TARGET:,}/s"]
    if not args.no_live:
        for label, outcomes in (("3 cohorts", OUTCOMES), ("12 cohorts, 36 patients", OUTCOMES_LONG)):
            fresh, warm = live_seconds(outcomes)
            print(
                f"live recommendation, {label}: {fresh:.2f} s in a fresh process (warm compile caches), "
                f"{warm:.2f} s in a warm process; budget {LIVE_BUDGET:g} s"
            )
            if warm > LIVE_BUDGET:
                failures.append(f"live recommendation ({label}) {warm:.2f} s > {LIVE_BUDGET:g} s")
    if args.pymc:
        from dosefind.inference import McmcSettings
        from dosefind.inference.mcmc import sample_posterior

        per_trial = lookups / T
        n = np.array([3, 3, 0, 3, 6, 0, 0, 0, 0])
        y = np.array([0, 0, 0, 0, 1, 0, 0, 0, 0])
        settings = McmcSettings(draws=1000, tune=500, chains=2, seed=1)
        sample_posterior(design, n, y, settings)  # compile once
        t0 = time.perf_counter()
        sample_posterior(design, n, y, settings)
        fit = time.perf_counter() - t0
        mcmc_trial = fit * per_trial
        print(
            f"PyMC NUTS per update: {fit:.2f} s; x {per_trial:.1f} lookups = {mcmc_trial:.1f} s per trial; "
            f"the quadrature engine is {mcmc_trial * rate:.1f}x faster per trial"
        )
    return target_verdict(failures)


if __name__ == "__main__":
    sys.exit(main())
