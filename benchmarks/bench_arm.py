"""Arm throughput on one core: simulated arms (escalation + Simon extension) per second, and the ratio
to the floor.

The floor is the cost of drawing the arm's latent values and nothing else: for every patient of a
full-size arm (the escalation's max_n plus the extension's largest sample size) the toxicity and the
efficacy uniforms, summed so the work is not optimised away. Everything is measured in one run, seeded,
after a warm-up call that also loads or compiles the kernels.

    python benchmarks/bench_arm.py [--arms 200000] [--repeat 3] [--json out.json]

Issue targets (3 x 4 grid, Simon extension, one core): BOIN for combinations >= 200,000 arms/s; the
model-based combination design (PO-CRM) >= 10,000 arms/s.

Timed rows run the same arm in calendar time (2 patients a month, a 28-day DLT window, responses known
after 56 days): "BOIN 6 doses, timed" and "rolling six, timed" (the paediatric standard, which has no
untimed run); ``x floor`` is against the same floor.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numba
from bench_engine import best_time, target_verdict  # the same timing rule as the engine benchmark

import dosefind
from dosefind.arm import Arm, ArmScenario, ExpansionCohort, SafetyMonitor, simulate_arm
from dosefind.designs import design_from_dict
from dosefind.engine.jit import kernel
from dosefind.engine.rng import latent_uniform, trial_key
from dosefind.extension import SimonRule
from dosefind.scenario.timing import Timing

GRID = {"levels_a": ["1", "2", "3"], "levels_b": ["1", "2", "3", "4"]}
TOX = (0.04, 0.08, 0.12, 0.20, 0.08, 0.15, 0.30, 0.45, 0.15, 0.30, 0.45, 0.60)
EFF = (0.05, 0.10, 0.15, 0.25, 0.10, 0.20, 0.30, 0.40, 0.20, 0.30, 0.40, 0.50)
DESIGNS = {
    "BOIN 6 doses": {"kind": "boin", "target": 0.3, "n_doses": 6, "max_n": 36},
    "BOIN-comb 3x4": {"kind": "boin_comb", "target": 0.3, "max_n": 36, "grid": GRID},
    "PO-CRM 3x4": {
        "kind": "pocrm",
        "target": 0.3,
        "max_n": 36,
        "grid": GRID,
        "skeleton_halfwidth": 0.05,
        "skeleton_nu": 6,
    },
}
TARGETS = {"BOIN-comb 3x4": 200_000, "PO-CRM 3x4": 10_000}
TIMING = Timing(patients_per_month=2, dlt_window_days=28, response_days=56)
#: timed rows: (row name, design spec)
TIMED = {
    "BOIN 6 doses, timed": DESIGNS["BOIN 6 doses"],
    "rolling six, timed": {"kind": "rolling_six", "target": 0.3, "n_doses": 6},
}
SIMON = SimonRule(p0=0.10, p1=0.30, alpha=0.10, beta=0.10, which="minimax")


@kernel
def _floor(seed, scenario_key, n_trials, n_patients):
    acc = 0.0
    for t in range(n_trials):
        k = trial_key(seed, scenario_key, t)
        for i in range(n_patients):
            acc += latent_uniform(k, i, 0) + latent_uniform(k, i, 1)
    return acc


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--arms", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--correlation", type=float, default=0.3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    numba.set_num_threads(1)
    T = args.arms
    n_patients = 36 + SIMON.boundaries().max_n
    _floor(7, 1, 10, n_patients)
    floor = best_time(lambda: _floor(7, 1, T, n_patients), args.repeat) / T
    print(
        f"one core, {T} arms per design, floor (draw 2 x {n_patients} latent uniforms): "
        f"{floor * 1e9:.0f} ns/arm; toxicity-response correlation {args.correlation:g}"
    )
    print(f"{'design':<20} {'arms/s':>10} {'x floor':>8} {'target':>9}  mean n  P(open)")
    rows = []
    runs = [(name, spec, None) for name, spec in DESIGNS.items()]
    runs += [(name, spec, TIMING) for name, spec in TIMED.items()]
    for name, spec, timing in runs:
        design = design_from_dict(spec)
        arm = Arm(design, (ExpansionCohort("cohort", SIMON, True),), SafetyMonitor(limit=0.3))
        if design.n_doses == 6:
            scen = ArmScenario("S", (0.05, 0.1, 0.2, 0.3, 0.45, 0.6), (0.1, 0.15, 0.2, 0.3, 0.4, 0.5))
        else:
            scen = ArmScenario("S", TOX, EFF, args.correlation)
        scen = ArmScenario(scen.name, scen.true_tox, scen.true_eff, args.correlation)
        n = T if "PO-CRM" not in name else max(T // 20, 1000)
        res = simulate_arm(arm, scen, 1000, 7, threads=1, timing=timing)  # warm-up
        per_arm = (
            best_time(
                lambda a=arm, s=scen, n=n, tm=timing: simulate_arm(a, s, n, 7, threads=1, timing=tm),
                args.repeat,
            )
            / n
        )
        res = simulate_arm(arm, scen, n, 7, threads=1, timing=timing)
        rate = 1.0 / per_arm
        target = TARGETS.get(name)
        rows.append(
            {
                "design": name,
                "arms": n,
                "arms_per_s": rate,
                "ratio_to_floor": per_arm / floor,
                "target": target,
                "mean_total_n": float(res.total_n.mean()),
                "prob_open": float(res.opened.mean()),
            }
        )
        tgt = f"{target:>9,}" if target else f"{'-':>9}"
        print(
            f"{name:<20} {rate:>10,.0f} {per_arm / floor:>8.1f} {tgt}  {res.total_n.mean():6.1f}  "
            f"{res.opened.mean():.3f}"
        )
    if args.json:
        args.json.write_text(
            json.dumps({"version": dosefind.__version__, "floor_ns": floor * 1e9, "rows": rows}, indent=2)
        )
    missed = [
        f"{r['design']} {r['arms_per_s']:,.0f}/s < {r['target']:,}/s"
        for r in rows
        if r["target"] is not None and r["arms_per_s"] < r["target"]
    ]
    return target_verdict(missed)


if __name__ == "__main__":
    sys.exit(main())
