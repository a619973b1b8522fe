"""Trim the BLRM reference outputs (out/*.csv, written by the scripts in scripts/) into the test fixture
tests/published/data/blrm_reference.csv: one row per (source, dataset, prior, dose, quantity) with the
value and its error (MCSE for the MCMC packages, the grid-refinement error for the own integration), the
package versions and settings in leading '#' lines.

    python benchmarks/reference/blrm/to_fixture.py [--out-dir benchmarks/reference/blrm/out]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
KEEP = {
    "mean",
    "q02.5",
    "q97.5",
    "prob_underdose",
    "prob_target",
    "prob_overdose",
    "ewoc_ok",
    "ncrm_prob_target",
    "ncrm_prob_overdose",
}
PRIOR_FIELDS = ("prior_m1", "prior_m2", "prior_s1", "prior_s2", "prior_r", "dref")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out-dir", type=Path, default=HERE / "out")
    args = ap.parse_args(argv)
    rows, notes = [], {}
    for name in ("own_integration", "oncobayes2", "crmpack"):
        with open(args.out_dir / f"{name}.csv", newline="") as f:
            for r in csv.DictReader(f):
                q = r["quantity"]
                if not (q in KEEP or q.startswith("next_dose[")):
                    continue
                notes[r["source"]] = f"{r['package_version']}; {r['settings']}"
                err = r.get("mcse") or r.get("num_err") or ""
                rows.append(
                    {
                        "source": r["source"],
                        "dataset": r["dataset"],
                        "prior": r["prior"],
                        **{k: r[k] for k in PRIOR_FIELDS},
                        "dose": r["dose"],
                        "n": r["n"],
                        "r": r["r"],
                        "quantity": q,
                        "value": r["value"],
                        "err": err,
                    }
                )
    target = ROOT / "tests" / "published" / "data" / "blrm_reference.csv"
    with open(target, "w", newline="") as f:
        f.write(
            "# BLRM reference values: benchmarks/reference/blrm (README there); regenerate: to_fixture.py\n"
        )
        for source, note in sorted(notes.items()):
            f.write(f"# {source}: {note}\n")
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"{len(rows)} rows -> {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
