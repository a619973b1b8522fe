"""`dosefind simulate` end to end against the engine alone, and its peak memory.

The engine time is :func:`dosefind.engine.simulate_one` on 2,000,000 BOIN trials (6 doses, max n 36,
cohorts of 3; scenario S3 of `scenarios/target30-6dose.toml`): the kernels writing one row per trial,
nothing else. The command time is `dosefind simulate` in this process on the same trials and seed (read
the spec, run the trials reduced block by block, operating characteristics with MCSE, JSON written
atomically). Both are measured alternately in one run, best of `--repeat`, after a warm-up that loads
the kernels; the ratio command / engine is the result (target <= 1.3). Peak memory is the maximum
resident set of a child process running the command on `--memory-trials` trials (10^7: target
< 400 MB), once untimed and once in calendar time (the same spec with a [timing] section: 2 patients a
month, a 28-day window), whose duration percentiles come from a bounded sketch
(:mod:`dosefind.oc.calendar_sums`) instead of every trial's columns.

    python benchmarks/bench_simulate.py [--trials 2000000] [--repeat 3] [--memory-trials 10000000]
                                        [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

import dosefind
from dosefind.cli import app
from dosefind.engine.simulate import simulate_one

ROOT = Path(__file__).resolve().parent.parent
SEED = 7
RATIO_TARGET = 1.3
MEMORY_TARGET_MB = 400
SPEC = """\
[design]
name = "BOIN"
kind = "boin"
target = 0.30
n_doses = 6
cohort_size = 3
max_n = 36
start_dose = 1
cutoff_eli = 0.95

[[scenarios]]
name = "S3"
true_tox = [0.09, 0.16, 0.23, 0.34, 0.51, 0.74]
"""
TIMING = """
[timing]
accrual = "poisson"
patients_per_month = 2
dlt_window_days = 28
suspension = "turned_away"
"""


def child_peak_mb(cmd: list[str]) -> tuple[float, float]:
    """Peak resident memory (MB) of a child process running ``cmd``, and its wall time."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {proc.returncode}")
    return usage.ru_maxrss * 1024 / 1e6, time.perf_counter() - t0  # ru_maxrss is in kB on Linux


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--memory-trials", type=int, default=10_000_000, help="0: skip the memory run")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    T = args.trials
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as tmp:
        spec_path = Path(tmp) / "boin.toml"
        spec_path.write_text(SPEC)
        out = Path(tmp) / "oc.json"
        spec = dosefind.load_spec(spec_path)
        design, scen = spec.designs[0], spec.scenarios[0]

        def engine():
            simulate_one(design, scen, T, SEED)

        def command():
            r = runner.invoke(
                app,
                ["simulate", str(spec_path), "-n", str(T), "--seed", str(SEED), "-q"]
                + ["-f", "json", "-o", str(out)],
            )
            if r.exit_code != 0:
                raise SystemExit(f"simulate failed: {r.output}")

        simulate_one(design, scen, 1000, SEED)  # warm-up: loads (or compiles) the kernels
        command()
        times = {"engine": [], "command": []}
        for _ in range(args.repeat):  # alternately, so both see the same machine load
            for name, fn in (("engine", engine), ("command", command)):
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
        te, tc = min(times["engine"]), min(times["command"])
        ratio = tc / te
        print(f"{T:,} BOIN trials, seed {SEED}, best of {args.repeat}")
        print(f"engine  (simulate_one, one row per trial): {te:6.2f} s  {T / te:12,.0f} trials/s")
        print(f"command (dosefind simulate, JSON out):     {tc:6.2f} s  {T / tc:12,.0f} trials/s")
        print(f"ratio command / engine: {ratio:.2f} (target <= {RATIO_TARGET})")
        missed = []
        if ratio > RATIO_TARGET:
            missed.append(f"command/engine {ratio:.2f} > {RATIO_TARGET}")
        peak_mb = None
        peaks = {}
        if args.memory_trials:
            timed_path = Path(tmp) / "boin-timed.toml"
            timed_path.write_text(SPEC + TIMING)
            for label, path in (("untimed", spec_path), ("timed", timed_path)):
                cmd = [
                    sys.executable,
                    "-m",
                    "dosefind.cli",
                    "simulate",
                    str(path),
                    "-n",
                    str(args.memory_trials),
                ]
                cmd += ["--seed", str(SEED), "-q", "-f", "json", "-o", str(out)]
                peaks[label], wall = child_peak_mb(cmd)
                print(
                    f"peak memory of the command on {args.memory_trials:,} {label} trials: "
                    f"{peaks[label]:.0f} MB ({wall:.1f} s end to end, start-up included; "
                    f"target < {MEMORY_TARGET_MB} MB)"
                )
                if peaks[label] >= MEMORY_TARGET_MB:
                    missed.append(f"peak memory ({label}) {peaks[label]:.0f} MB >= {MEMORY_TARGET_MB} MB")
            peak_mb = max(peaks.values())
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "trials": T,
                    "engine_s": te,
                    "command_s": tc,
                    "ratio": ratio,
                    "memory_trials": args.memory_trials,
                    "peak_mb": peak_mb,
                    "peak_mb_by_run": peaks,
                    "version": dosefind.__version__,
                },
                indent=2,
            )
        )
    if missed:
        print("targets missed: " + "; ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
