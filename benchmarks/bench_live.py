"""Live-meeting latency: wall time of the CLI commands a statistician runs, against the process floor.

Each command runs as a fresh process (as at a meeting), with numba's compile cache warm (one unmeasured
run first). The floor is a fresh process that imports numba and calls one cached njit function: the
fixed cost any numba-based command pays (interpreter, numpy, numba import, first-call cache load).

    python benchmarks/bench_live.py [--repeat 5] [--mcmc] [--json out.json]

Issue budgets: recommend (fast posterior) < 1 s; paths --cohorts 3 for a 6-dose CRM < 2 s;
recommend --posterior mcmc < 60 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "meeting"
SPEC = ROOT / "scenarios" / "target30-6dose.toml"
BUDGETS = {"recommend": 1.0, "paths --cohorts 3 (CRM, 6 doses)": 2.0, "recommend --posterior mcmc": 60.0}

FLOOR_MODULE = """
from numba import njit

@njit(cache=True)
def f(x):
    return x + 1
"""


def wall(cmd: list[str], repeat: int, cwd: Path | None = None) -> float:
    subprocess.run(cmd, check=True, capture_output=True, cwd=cwd)  # warm the caches
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=cwd)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


IN_PROCESS = """
import time
from pathlib import Path
t0 = time.perf_counter()
from dosefind.live.recommend import recommend
from dosefind.outcomes import read_trial_csv
from dosefind.specfile import select_design
t1 = time.perf_counter()
design = select_design(Path(r"{design}"))
data = read_trial_csv(Path(r"{data}"), design.doses, design.cohort_size)
t2 = time.perf_counter()
recommend(design, data)
t3 = time.perf_counter()
recommend(design, data)
t4 = time.perf_counter()
print(t1 - t0, t3 - t2, t4 - t3)
"""


def in_process(repeat: int) -> tuple[float, float, float]:
    """(imports, first recommend call, second call) inside one Python process, medians over runs."""
    code = IN_PROCESS.format(design=EXAMPLE / "arm-a.toml", data=EXAMPLE / "arm-a.csv")
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
        runs.append([float(x) for x in out.stdout.split()])
    return tuple(statistics.median(col) for col in zip(*runs, strict=True))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--mcmc", action="store_true", help="also time --posterior mcmc (about a minute)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    py = sys.executable
    dosefind = [py, "-m", "dosefind.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "floor_mod.py").write_text(FLOOR_MODULE)
        floor = wall([py, "-c", "import floor_mod; floor_mod.f(1)"], args.repeat, cwd=Path(tmp))
    design = ["--design", str(EXAMPLE / "arm-a.toml"), "--data", str(EXAMPLE / "arm-a.csv")]
    crm = ["--design", str(SPEC), "--name", "CRM", "--outcomes", "1NNN 2NNN 3NTN"]
    runs = {
        "recommend": wall([*dosefind, "recommend", *design, "--no-log"], args.repeat),
        "paths --cohorts 3 (CRM, 6 doses)": wall([*dosefind, "paths", *crm, "--cohorts", "3"], args.repeat),
    }
    if args.mcmc:
        runs["recommend --posterior mcmc"] = wall(
            [*dosefind, "recommend", *design, "--no-log", "--posterior", "mcmc"], 1
        )
    print(f"floor (python + numba import + one cached njit call): {floor:.2f} s")
    print(f"{'command':<36} {'median s':>9} {'x floor':>8} {'budget s':>9}  within budget")
    for name, t in runs.items():
        ok = "yes" if t < BUDGETS[name] else "NO"
        print(f"{name:<36} {t:>9.2f} {t / floor:>8.2f} {BUDGETS[name]:>9.1f}  {ok}")
    imports, first, again = in_process(args.repeat)
    print(
        f"in one Python process: imports {imports:.2f} s, first recommend {first:.3f} s "
        f"(loads the cached kernels), next recommend {again * 1000:.1f} ms"
    )
    if args.json:
        report = {
            "floor_s": floor,
            "runs_s": runs,
            "budgets_s": BUDGETS,
            "in_process_s": [imports, first, again],
        }
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
