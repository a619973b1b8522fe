"""TITE-CRM against dfcrm's ``titecrm`` (benchmarks/reference/titecrm_reference.R): weights, posterior
mean of b and the recommended dose on 300 random data sets x {linear, adaptive} x {empiric, logistic}.

dfcrm integrates with R's ``integrate`` at its default accuracy; the reference file also holds the posterior
mean at rel.tol = 1e-10 (``estimate_hiacc``), which the engine's quadrature must match to 1e-6 (its
documented accuracy is 1e-7 for means of b). The dose must agree wherever dfcrm's closest dose wins by a
margin (|p - target| difference) above 1e-5; below that the two integrators' errors could decide it.
"""

import csv
import gzip
import math
from pathlib import Path

import numpy as np
import pytest

from dosefind.designs import TiteCrm
from dosefind.engine.tite import tite_crm_estimate

DATA = Path(__file__).parent / "data" / "r_titecrm.csv.gz"
PRIOR = (
    0.083973491305624287,
    0.15674102114263633,
    0.25,
    0.35450042761511191,
    0.4603431110853069,
    0.55970780906646456,
)


def _rows():
    with gzip.open(DATA, "rt") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


ROWS = _rows()


def _nums(text, kind=float):
    return [kind(x) for x in text.split()]


@pytest.mark.parametrize("scheme", ["linear", "adaptive"])
@pytest.mark.parametrize("model", ["empiric", "logistic"])
def test_weights_estimate_and_dose_match_titecrm(scheme, model):
    design = TiteCrm(target=0.25, n_doses=6, skeleton=PRIOR, model=model, scheme=scheme, max_n=30)
    rows = [r for r in ROWS if r["scheme"] == scheme and r["model"] == model]
    assert len(rows) == 300
    decided = 0
    for r in rows:
        level, tox, fu = _nums(r["level"], int), _nums(r["tox"], int), _nums(r["followup"])
        got = tite_crm_estimate(design, level, tox, fu, 28.0)
        assert np.allclose(got["weights"], _nums(r["weights"]), rtol=0, atol=1e-12), r["dataset"]
        assert got["mean_b"] == pytest.approx(float(r["estimate_hiacc"]), abs=1e-6), r["dataset"]
        if float(r["mtd_margin"]) > 1e-5:
            assert got["dose"] + 1 == int(r["mtd"]), r["dataset"]
            decided += 1
    assert decided >= 290


TRACES = Path(__file__).parent / "data" / "r_titesim_traces.csv.gz"
CONFIGS = {  # dosefind's TITE-CRM for each titesim configuration of the traces
    "main": dict(),
    "adaptive": dict(scheme="adaptive"),
    "logistic": dict(model="logistic"),
    "fixed": dict(),  # accrual = "fixed": only the arrival days differ, and they come from R
    "norestrict": dict(no_skip_escalation=False),
}


def _trials():
    with gzip.open(TRACES, "rt") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    trials: dict = {}
    for r in rows:
        trials.setdefault((r["config"], int(r["seed"])), []).append(r)
    return trials


def test_titesim_trials_replayed_on_rs_patients():
    """Every titesim trial (5 configurations x 3 scenarios x 20 seeds, 36 patients each), replayed on R's
    own patients (arrival days, DLTs and DLT days): at each arrival the data as of that day (a DLT counts
    once its day has come, follow-up capped at the window) go through dosefind's TITE-CRM estimate, the
    dose is restricted as titesim restricts it, and every patient's dose and the final MTD must be R's."""
    trials = _trials()
    assert len(trials) == 300
    for (config, seed), pats in trials.items():
        variant = config.rsplit("_", 1)[0]
        design = TiteCrm(target=0.25, n_doses=6, skeleton=PRIOR, max_n=36, **CONFIGS[variant])
        arrival = np.array([float(p["arrival"]) for p in pats])
        tdlt = np.array([float(p["toxicity_time"]) for p in pats])  # inf: no DLT
        level = [int(p["level"]) for p in pats]
        cur = 1
        for i in range(1, len(pats)):
            t = arrival[i]
            seen = arrival[:i] + tdlt[:i] <= t
            followup = np.minimum(np.minimum(t, arrival[:i] + tdlt[:i]) - arrival[:i], 28.0)
            dose = tite_crm_estimate(design, level[:i], seen.astype(int), followup, 28.0)["dose"] + 1
            cur = min(dose, cur + 1) if design.no_skip_escalation else dose
            assert cur == level[i], (config, seed, i + 1)
        tox = [int(p["tox"]) for p in pats]
        final = tite_crm_estimate(design, level, tox, np.full(len(pats), 28.0), 28.0)["dose"] + 1
        assert final == int(pats[0]["mtd"]), (config, seed)


OC = Path(__file__).parent / "data" / "r_titesim_oc.csv"
OC_SCENARIOS = {
    "S1": (0.05, 0.12, 0.25, 0.40, 0.55, 0.70),
    "S2": (0.02, 0.05, 0.09, 0.15, 0.25, 0.40),
    "S3": (0.30, 0.45, 0.60, 0.70, 0.80, 0.90),
}


@pytest.mark.slow
@pytest.mark.parametrize("scheme, design_name", [("linear", "main"), ("adaptive", "adaptive")])
def test_operating_characteristics_match_titesim(scheme, design_name):
    """dosefind's simulated TITE-CRM (its own patients: 20,000 trials) against titesim's operating
    characteristics (R's patients): selection per dose within 4.5 combined standard errors (18
    comparisons per scheme), mean patients per dose within 4.5 standard errors (dosefind's per-trial sd
    for both sides), mean duration within 4.5 standard errors of the difference."""
    from dosefind import Scenario
    from dosefind.engine import simulate_one
    from dosefind.scenario.timing import DAYS_PER_MONTH, Timing

    with OC.open() as fh:
        ref = [r for r in csv.DictReader(line for line in fh if not line.startswith("#"))]
    design = TiteCrm(target=0.25, n_doses=6, skeleton=PRIOR, max_n=36, scheme=scheme)
    timing = Timing(patients_per_month=2 * DAYS_PER_MONTH / 28, dlt_window_days=28)  # titesim's rate = 2
    T = 20000
    for name, tox in OC_SCENARIOS.items():
        rows = sorted(
            (r for r in ref if r["design"] == design_name and r["scenario"] == name),
            key=lambda r: int(r["dose"]),
        )
        n_r = int(rows[0]["nsim"])
        res = simulate_one(design, Scenario(name, tox), T, 2024, timing=timing)
        for d, r in enumerate(rows):
            p_r, p_d = float(r["prop_selected"]), float(np.mean(res.selected == d))
            se = math.sqrt(p_r * (1 - p_r) / n_r + p_d * (1 - p_d) / T)
            assert abs(p_r - p_d) <= 4.5 * max(se, 1e-3), (name, d + 1, p_r, p_d)
            n_at = res.n_at_dose[:, d].astype(float)
            se_n = float(n_at.std(ddof=1)) * math.sqrt(1 / n_r + 1 / T)
            assert abs(float(r["mean_n_treated"]) - n_at.mean()) <= 4.5 * max(se_n, 1e-3), (name, d + 1)
        dur = res.time[:, 0]
        se_t = float(dur.std(ddof=1)) * math.sqrt(1 / n_r + 1 / T)
        assert abs(float(rows[0]["mean_duration"]) - dur.mean()) <= 4.5 * se_t, name


OC_X0 = Path(__file__).parent / "data" / "r_titesim_x0_oc.csv"
X0_DESIGNS = {  # titesim's two-stage runs (benchmarks/reference/titesim_x0_oc.R)
    "A": dict(x0=(1,) * 3 + (2,) * 3 + (3,) * 3 + (4,) * 3 + (5,) * 3 + (6,) * 21),
    "B": dict(x0=(1, 2, 3, 4, 5) + (6,) * 31, tgrp_days=14.0),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(X0_DESIGNS))
def test_two_stage_operating_characteristics_match_titesim(name):
    """dfcrm's two-stage start (x0, tgrp) against titesim's OCs (4,000 trials): selection, mean patients
    per dose and mean duration within 4.5 combined standard errors (dosefind: 20,000 trials)."""
    from dosefind import Scenario
    from dosefind.engine import simulate_one
    from dosefind.scenario.timing import DAYS_PER_MONTH, Timing

    with OC_X0.open() as fh:
        ref = [
            r for r in csv.DictReader(line for line in fh if not line.startswith("#")) if r["design"] == name
        ]
    design = TiteCrm(target=0.25, n_doses=6, skeleton=PRIOR, max_n=36, **X0_DESIGNS[name])
    timing = Timing(patients_per_month=2 * DAYS_PER_MONTH / 28, dlt_window_days=28)
    T = 20000
    zmax = 0.0
    for scen, tox in OC_SCENARIOS.items():
        rows = sorted((r for r in ref if r["scenario"] == scen), key=lambda r: int(r["dose"]))
        n_r = int(rows[0]["nsim"])
        res = simulate_one(design, Scenario(scen, tox), T, 2027, timing=timing)
        for d, r in enumerate(rows):
            p_r, p_d = float(r["prop_selected"]), float(np.mean(res.selected == d))
            se = math.sqrt(p_r * (1 - p_r) / n_r + p_d * (1 - p_d) / T)
            zmax = max(zmax, abs(p_r - p_d) / max(se, 1e-3))
            n_at = res.n_at_dose[:, d].astype(float)
            se_n = float(n_at.std(ddof=1)) * math.sqrt(1 / n_r + 1 / T)
            zmax = max(zmax, abs(float(r["mean_n_treated"]) - n_at.mean()) / max(se_n, 1e-3))
        dur = res.time[:, 0]
        se_t = math.sqrt(float(rows[0]["sd_duration"]) ** 2 / n_r + float(dur.var(ddof=1)) / T)
        zmax = max(zmax, abs(float(rows[0]["mean_duration"]) - dur.mean()) / se_t)
    print(name, "max |z|", round(zmax, 2))
    assert zmax < 4.5, zmax
