"""Side-by-side operating characteristics: dosefind vs the BOIN and dfcrm R packages.

R's numbers ship with the package (dosefind/conformance/data/r_reference_oc.csv; see
benchmarks/reference/README.md for the exact R calls). This script simulates the same designs with
dosefind and prints a Markdown table of selection percentages with each side's Monte Carlo standard
error and the z-score of the difference.

    python benchmarks/compare_r.py [--trials 100000] [--seed 2024] > benchmarks/reference/comparison.md
"""

from __future__ import annotations

import argparse
import csv
import math
import sys

from dosefind import Scenario, operating_characteristics, simulate_one
from dosefind.conformance.checks import R_TRIALS, SCENARIOS, boin_design, crm_design, data_text

RUNS = {
    "B1": "BOIN, default (n_earlystop none / R 100)",
    "B2": "BOIN, n_earlystop = 12",
    "B3": "BOIN, extrasafe",
    "C1": "CRM empiric (dfcrm crmsim, restrict = TRUE)",
    "C2": "CRM logistic, intercept 3 (dfcrm crmsim)",
}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args(argv)
    lines = [ln for ln in data_text("r_reference_oc.csv").splitlines() if not ln.startswith("#")]
    ref: dict = {}
    for r in csv.DictReader(lines):
        ref.setdefault((r["run"], r["scenario"]), {})[r["dose"]] = r
    T = args.trials
    out = [
        f"dosefind: {T} trials per scenario, seed {args.seed}. Cells: dosefind % / R % (z of the difference,"
        " with the pooled binomial standard error).",
        "",
    ]
    worst = 0.0
    for run, title in RUNS.items():
        nr = R_TRIALS[run]
        out += [
            f"### {run}: {title}; R {nr} trials",
            "",
            "| scenario | d1 | d2 | d3 | d4 | d5 | d6 | none |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, curve in SCENARIOS.items():
            design = (
                boin_design(run)
                if run.startswith("B")
                else crm_design("empiric" if run == "C1" else "logistic")
            )
            oc = operating_characteristics(simulate_one(design, Scenario(name, curve), T, args.seed))
            ours = oc.values["prob_select"] + [oc.values["prob_select_none"]]
            r = ref[(run, name)]
            theirs = [float(r[str(d + 1)]["sel_pct"]) / 100 for d in range(6)]
            theirs.append(float(r["none"]["sel_pct"]) / 100 if "none" in r else 0.0)
            cells = []
            for a, b in zip(ours, theirs, strict=True):
                pooled = (a * T + b * nr) / (T + nr)  # pooled under "same probability": sound for rare cells
                se = math.sqrt(pooled * (1 - pooled) * (1 / T + 1 / nr))
                z = (a - b) / se if se > 0 else 0.0
                worst = max(worst, abs(z))
                cells.append(f"{100 * a:.1f} / {100 * b:.1f} ({z:+.1f})")
            out.append(f"| {name} | " + " | ".join(cells) + " |")
        out.append("")
    out.append(f"Largest |z| over all {5 * 6 * 7} cells: {worst:.2f}.")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
