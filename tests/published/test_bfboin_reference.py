"""BOIN with backfill against the bfboin R package 0.1.1 (``get.oc.bf``; benchmarks/reference/bfboin_oc.R,
settings in the data file's '#' lines): target 0.25, 6 doses, 12 cohorts of 3, cap 12, the highest open
dose, 2 patients a month with bfboin's default uniform gaps U(0, 2/rate), a 28-day window, bfboin's
Weibull DLT times (half of the DLTs in the window's second half), responses independent of toxicity.

Selection, patients per dose (escalation and backfill patients evaluated by the end, as bfboin counts
them), DLTs per dose, no-MTD and the mean duration, within 4.5 combined standard errors (bfboin: 10,000
trials; dosefind: 20,000). bfboin's first patient enters on day 0 and dosefind's at the first arrival, so
dosefind's duration is longer by the mean first gap, exactly 1/rate days.
"""

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from dosefind import Boin, Scenario
from dosefind.designs.boin.spec import Backfill
from dosefind.engine import simulate_one
from dosefind.engine.calendar import T_DURATION
from dosefind.scenario.timing import DAYS_PER_MONTH, Timing

DATA = Path(__file__).parent / "data" / "r_bfboin_oc_uniform.csv"


def _rows():
    with DATA.open() as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["S1", "S2", "S3"])
def test_bf_boin_matches_get_oc_bf(scenario):
    rows = sorted((r for r in _rows() if r["scenario"] == scenario), key=lambda r: int(r["dose"]))
    tox = tuple(float(r["p_tox"]) for r in rows)
    eff = tuple(float(r["p_eff"]) for r in rows)
    design = Boin(
        target=0.25, n_doses=6, max_n=36, cohort_size=3, backfill=Backfill(cap=12, assign="highest")
    )
    timing = Timing(
        patients_per_month=2, accrual="uniform", dlt_window_days=28, dlt_time="weibull", late_onset_share=0.5
    )
    T = 20000
    n_r = 10000
    res = simulate_one(design, Scenario(scenario, tox, true_eff=eff), T, 7, timing=timing)
    zmax = 0.0
    for d, r in enumerate(rows):
        p_r = float(r["sel_pct"]) / 100
        p_d = float(np.mean(res.selected == d))
        se = math.sqrt(p_r * (1 - p_r) / n_r + p_d * (1 - p_d) / T)
        zmax = max(zmax, abs(p_d - p_r) / max(se, 1e-3))
        for col, sd_col, x in (
            ("npatients", "npatients_sd", res.n_at_dose[:, d]),
            ("ntox", "ntox_se", res.tox_at_dose[:, d]),
        ):
            sd_r = float(r[sd_col]) * (math.sqrt(n_r) if col == "ntox" else 1.0)
            se_x = math.sqrt(sd_r**2 / n_r + float(np.var(x)) / T)
            zmax = max(zmax, abs(float(np.mean(x)) - float(r[col])) / max(se_x, 1e-3))
    none_r = float(rows[0]["pct_stop_no_mtd"]) / 100
    none_d = float(np.mean(res.selected < 0))
    se = math.sqrt(none_r * (1 - none_r) / n_r + none_d * (1 - none_d) / T)
    zmax = max(zmax, abs(none_d - none_r) / max(se, 1e-3))
    first_gap = 1 / timing.rate_per_day  # U(0, 2/rate) has mean 1/rate
    dur = res.time[:, T_DURATION] - first_gap
    sd_r = float(rows[0]["duration_sd"]) * DAYS_PER_MONTH
    se_dur = math.sqrt(sd_r**2 / n_r + float(np.var(dur)) / T)
    zmax = max(zmax, abs(float(np.mean(dur)) - float(rows[0]["duration_days"])) / se_dur)
    print(scenario, "max |z|", round(zmax, 2))
    assert zmax < 4.5, zmax
