"""The web app's speed (issue 18): the meeting page's answer to a new cohort, warm, and a comparison of
three designs against the same run through the library call `dosefind simulate` makes (a ratio in one run).

    python benchmarks/bench_app.py [--trials 20000] [--repeat 5]

Budgets: a new cohort answered in under 1 s warm (recommendation, pathways of 2 cohorts and the decision
table, as the page computes them); the comparison with its progress and cancel checks within 1.5x of
`simulate_spec`. Exits 1 when a budget is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from dosefind.app import core  # noqa: E402
from dosefind.oc.study import simulate_spec  # noqa: E402
from dosefind.specfile import load_spec  # noqa: E402

SPEC = ROOT / "scenarios" / "target30-6dose.toml"
DESIGN = ROOT / "examples" / "meeting" / "arm-a.toml"
DATA = ROOT / "examples" / "meeting" / "arm-a.csv"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    design, data = DESIGN.read_text(), DATA.read_text()
    times = []
    for i in range(args.repeat + 1):
        inputs = core.MeetingInputs(
            design, DESIGN.name, data, DATA.name, what_if=f"2N{'T' if i % 2 else 'N'}N"
        )
        t0 = time.perf_counter()
        view = core.meeting(inputs)
        core.decision_table_text(view)
        view.recommendation._repr_html_()
        view.paths._repr_html_()
        if i:
            times.append(time.perf_counter() - t0)
    meeting = statistics.median(times)

    text = SPEC.read_text()
    spec = load_spec(SPEC)
    simulate_spec(spec, 200, 1)  # compile
    t0 = time.perf_counter()
    simulate_spec(spec, args.trials, 1)
    library = time.perf_counter() - t0
    t0 = time.perf_counter()
    core.compare(text, args.trials, 1, core.Comparison())
    app = time.perf_counter() - t0
    ratio = app / library

    print(f"meeting page, a new cohort (median of {args.repeat}): {meeting:.3f} s (budget 1 s)")
    print(
        f"comparison, 3 designs x 6 scenarios x {args.trials:,} trials: app {app:.2f} s, simulate_spec "
        f"{library:.2f} s, ratio {ratio:.2f} (budget 1.5)"
    )
    missed = [name for name, ok in (("meeting", meeting < 1.0), ("comparison", ratio < 1.5)) if not ok]
    if missed:
        print(f"BELOW BUDGET: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
