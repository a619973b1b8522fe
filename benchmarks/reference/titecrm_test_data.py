"""Turn the outputs of titecrm_reference.R and titesim_traces.R (in OUT_DIR, default titecrm-reference)
into the compact test data tests/published/test_titecrm_reference.py reads:
tests/published/data/r_titecrm.csv.gz and r_titesim_traces.csv.gz.

    DFCRM_LIB=<R library with dfcrm> Rscript benchmarks/reference/titecrm_reference.R
    DFCRM_LIB=<R library with dfcrm> Rscript benchmarks/reference/titesim_traces.R
    python benchmarks/reference/titecrm_test_data.py
"""

from __future__ import annotations

import csv
import gzip
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = Path(os.environ.get("OUT_DIR", "titecrm-reference"))
DATA = ROOT / "tests" / "published" / "data"


def _csv(path: Path) -> list[dict]:
    with path.open() as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def titecrm_fits() -> None:
    runs = json.loads((SRC / "titecrm_random.json").read_text())
    meta = json.loads((SRC / "titecrm_meta.json").read_text())["meta"]
    rows = []
    for ds in runs["datasets"]:
        for f in ds["fits"]:
            rows.append(
                {
                    "dataset": ds["dataset"],
                    "scheme": f["scheme"],
                    "model": f["model"],
                    "level": " ".join(map(str, ds["level"])),
                    "tox": " ".join(map(str, ds["tox"])),
                    "followup": " ".join(repr(float(x)) for x in ds["followup"]),
                    "weights": " ".join(repr(float(x)) for x in f["weights"]),
                    "estimate": repr(f["estimate"]),
                    "estimate_hiacc": repr(f["estimate_hiacc"]),
                    "mtd": f["mtd"],
                    "mtd_margin": repr(f["mtd_margin"]),
                }
            )
    with gzip.open(DATA / "r_titecrm.csv.gz", "wt", newline="") as fh:
        fh.write(
            f"# dfcrm {meta['dfcrm_version']} on {meta['r_version']}; titecrm(prior, target = 0.25, tox, "
            "level, followup, obswin = 28, scheme, model, intcpt = 3, scale = sqrt(1.34)); prior = "
            "getprior(0.05, 0.25, 3, 6) for both models; estimate_hiacc: the posterior mean of b by "
            "integrate(rel.tol = 1e-10); regenerate with benchmarks/reference/titecrm_reference.R\n"
        )
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def titesim_traces() -> None:
    patients = _csv(SRC / "titesim_traces_patients.csv")
    trials = {(r["config"], r["seed"]): r for r in _csv(SRC / "titesim_traces_trials.csv")}
    with gzip.open(DATA / "r_titesim_traces.csv.gz", "wt", newline="") as fh:
        fh.write(
            "# dfcrm 0.2.2.1 on R 4.2.2: titesim(PI, prior = getprior(0.05, 0.25, 3, 6), target = 0.25, "
            "n = 36, x0 = 1, nsim = 1, restrict, obswin = 28, rate = 2, accrual, surv = 'uniform', scheme, "
            "method = 'bayes', model, intcpt = 3, scale = sqrt(1.34), seed = seed); configs: main (linear, "
            "empiric, poisson, restrict), adaptive, logistic, fixed (accrual), norestrict; S1-S3 true DLT "
            "probabilities in the test; one row per patient: arrival day, days to DLT (inf: none), DLT, dose "
            "level, and the trial's final MTD; regenerate with benchmarks/reference/titesim_traces.R\n"
        )
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["config", "seed", "patient", "arrival", "toxicity_time", "tox", "level", "mtd"])
        for r in patients:
            if r["config"].startswith("twostage"):
                continue  # the two-stage start-up is not implemented in dosefind yet
            mtd = trials[(r["config"], r["seed"])]["MTD"]
            w.writerow(
                [
                    r["config"],
                    r["seed"],
                    r["patient"],
                    r["arrival"],
                    r["toxicity_time"],
                    r["tox"],
                    r["level"],
                    mtd,
                ]
            )


if __name__ == "__main__":
    titecrm_fits()
    titesim_traces()
