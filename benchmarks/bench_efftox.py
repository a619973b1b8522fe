"""EffTox's throughput, one core: trials per second against the issue's target (20,000) and the ratio to
BOIN12 on the same patients in one run; the profile of a run (distinct states per trial, the cache's hit
rate, time per new state); and the cost of one posterior (a cache miss) split into Newton's mode and the
pass over the points.

Five doses (Thall et al. 2014's 1, 2, 4, 6.6, 10), cohorts of 3 up to 36 patients (the issue asks six
doses: ``--doses 6`` adds 14), the scenarios of ``scenarios/efftox-5dose.toml``, seeded; each design is
measured once per round, interleaved, best of the rounds, so machine load hits them alike. Each EffTox
trial starts with a warm cache (states seen in earlier trials of the run are not recomputed), as in a
simulation.

    python benchmarks/bench_efftox.py [--trials 2000] [--rounds 2] [--doses 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numba
import numpy as np

import dosefind
from dosefind.designs import Boin12, EffTox
from dosefind.designs import layout as L
from dosefind.engine.efftox import counts_of, efftox_posterior, posterior_mode
from dosefind.engine.simulate import PosteriorCache, simulate_one

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATE = 20_000
PRIOR = dict(
    prior_mean=(-7.9593, 1.5482, 0.7367, 3.4181, 0.0, 0.0),
    prior_sd=(3.5487, 3.5018, 2.5423, 2.4406, 0.2, 1.0),
)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--doses", type=int, default=5, choices=(5, 6))
    args = ap.parse_args(argv)
    numba.set_num_threads(1)
    doses = (1.0, 2.0, 4.0, 6.6, 10.0, 14.0)[: args.doses]
    scenarios = dosefind.load_spec(ROOT / "scenarios" / "efftox-5dose.toml").scenarios
    if args.doses == 6:
        scenarios = [
            dosefind.Scenario(
                s.name,
                (*s.true_tox, min(1.0, s.true_tox[-1] + 0.1)),
                true_eff=(*s.true_eff, s.true_eff[-1]),
                correlation=s.correlation,
            )
            for s in scenarios
        ]
    ds = {
        "EffTox": EffTox(doses=doses, max_n=36, cohort_size=3, **PRIOR),
        "BOIN12": Boin12(target=0.3, target_eff=0.5, n_doses=len(doses), max_n=36),
    }
    T = args.trials
    t0 = time.perf_counter()
    simulate_one(ds["EffTox"], scenarios[0], 1, 7, threads=1)
    first = time.perf_counter() - t0
    for d in ds.values():
        for s in scenarios:
            simulate_one(d, s, 20, 7, threads=1)  # warm-up: compile or load the kernels
    best = {(name, s.name): float("inf") for name in ds for s in scenarios}
    for _ in range(args.rounds):
        for s in scenarios:
            for name, d in ds.items():
                t0 = time.perf_counter()
                simulate_one(d, s, T, 7, threads=1)
                best[name, s.name] = min(best[name, s.name], time.perf_counter() - t0)
    print(f"one core, {len(doses)} doses, {T} trials per scenario, best of {args.rounds} interleaved rounds")
    print(f"{'design':<8} {'trials/s':>10} {'vs BOIN12':>10}  per scenario")
    b12 = sum(best["BOIN12", s.name] for s in scenarios)
    rate = {}
    for name in ds:
        total = sum(best[name, s.name] for s in scenarios)
        rate[name] = len(scenarios) * T / total
        per = "  ".join(f"{s.name}: {T / best[name, s.name]:,.0f}" for s in scenarios)
        print(f"{name:<8} {rate[name]:>10,.0f} {b12 / total:>10.4f}  {per}")
    print(f"first call (loading or compiling the kernels; not in the rates): {first:.1f} s")
    # the profile: one run per scenario with a cache kept outside, to count its states
    d = ds["EffTox"]
    print("profile (one run of each scenario, no warm cache):")
    for s in scenarios:
        cache = PosteriorCache.for_design(d)
        t0 = time.perf_counter()
        res = simulate_one(d, s, T, 7, cache=cache)
        dt = time.perf_counter() - t0
        states = int((cache.keys[:, 0] >= 0).sum())
        looks = int(np.ceil(res.n_at_dose.sum(axis=1) / d.cohort_size).sum()) + T  # decisions + selections
        print(
            f"  {s.name}: {states / T:.2f} new states per trial, hit rate {1 - states / looks:.2f}, "
            f"{dt / states * 1e6:,.0f} us of run time per new state"
        )
    # one posterior (a cache miss): 24 patients over four doses
    c = d.compile()
    D = len(doses)
    n = np.array([3, 6, 9, 6, 0, 0][:D])
    y = np.array([0, 1, 2, 3, 0, 0][:D])
    r = np.array([[1, 3, 6, 5, 0, 0][:D], [0, 1, 1, 2, 0, 0][:D]])
    cnt = np.zeros((4, D), dtype=np.int64)
    counts_of(n, y, r, cnt)
    out = np.zeros(L.POST_FIRST + 4 * D)
    work = np.zeros(int(c.ip[L.IP_EFT_WORK]))
    mode, chol = np.zeros(6), np.zeros((6, 6))
    K = 200
    efftox_posterior(c.ip, c.fp, c.grid, n, y, r, out, work)
    t0 = time.perf_counter()
    for _ in range(K):
        efftox_posterior(c.ip, c.fp, c.grid, n, y, r, out, work)
    us = (time.perf_counter() - t0) / K * 1e6
    posterior_mode(c.fp, D, cnt, mode, chol)
    t0 = time.perf_counter()
    for _ in range(K):
        posterior_mode(c.fp, D, cnt, mode, chol)
    us_mode = (time.perf_counter() - t0) / K * 1e6
    print(
        f"one posterior (24 patients, {int(c.ip[L.IP_EFT_N_POINTS])} points): {us:,.0f} us, of which "
        f"Newton's mode {us_mode:,.0f} us ({int(out[2])} iterations), the points' pass the rest"
    )
    ok = rate["EffTox"] >= TARGET_RATE
    print(f"target: EffTox at least {TARGET_RATE:,} trials/s: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
