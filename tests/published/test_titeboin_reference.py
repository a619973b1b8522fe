"""TITE-BOIN (ESS version) against the TITEgBOIN package 0.4.0 (benchmarks/reference/titeboin_reference.R
and titeboin_oc.R; settings in the data files' '#' lines).

* ``next_TITE_QuasiBOIN`` on a grid: targets 0.25 and 0.30, n = 1..12 at the current dose, every y and
  m, 41 values of STFT in [0, m): the next dose, the suspension and the elimination, call by call.
* ``next_TITE_QuasiBOIN`` on 400 random multi-dose states (4-6 doses, previous eliminations,
  n.earlystop 12 or off): the same, plus the stop flags.
* ``get_oc_TITE_QuasiBOIN`` operating characteristics (50,000 trials per scenario; the package's Weibull
  DLT times, exponential arrivals) against dosefind's simulation of the same settings, within Monte
  Carlo error. The package's first patient enters on day 0 and dosefind's at the first arrival, so the
  mean duration differs by exactly the mean first gap, 1/rate.
"""

import csv
import functools
import gzip
import math
from pathlib import Path

import numpy as np
import pytest

from dosefind import Scenario
from dosefind.constants import Status
from dosefind.designs import TiteBoin
from dosefind.engine import simulate_one
from dosefind.engine.calendar import T_DURATION
from dosefind.engine.tite_boin import decide_tite_boin
from dosefind.scenario.timing import DAYS_PER_MONTH, Timing

DATA = Path(__file__).parent / "data"
MAXT = 28.0


def _csv(name):
    path = DATA / name
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def _vec(text, kind=int):
    return [kind(float(x)) if kind is int else kind(x) for x in text.split(";")]


@functools.cache
def _compiled(design):
    return design.compile(36)


def _decide(design, n, y, m, ft, cur, eliminated=None):
    c = _compiled(design)  # once per design: the grid checks decide 12,000 states of one design
    D = len(n)
    adm = np.ones(D, dtype=np.int8) if eliminated is None else (1 - np.asarray(eliminated)).astype(np.int8)
    out = decide_tite_boin(
        c.ip,
        c.fp,
        c.tables,
        np.asarray(n, dtype=np.int64),
        np.asarray(y, dtype=np.int64),
        np.asarray(m, dtype=np.int64),
        np.asarray(ft, dtype=float) / MAXT,
        adm,
        cur,
    )
    return out, adm


@pytest.mark.parametrize("target", [0.25, 0.3])
def test_decisions_on_the_grid_match_next_tite_quasiboin(target):
    rows = [r for r in _csv("r_titeboin_table.csv.gz") if float(r["target"]) == target]
    assert len(rows) > 12_000
    design = TiteBoin(target=target, n_doses=3, max_n=36)
    for r in rows:
        n, y, m = int(r["n"]), int(r["y"]), int(r["m"])
        (nxt, status, _reason, hold), adm = _decide(
            design, [3, n, 0], [0, y, 0], [0, m, 0], [0, float(r["ft"]), 0], 1
        )
        where = (n, y, m, r["stft"])
        assert hold == int(r["pending"]), where
        assert list(1 - adm) == _vec(r["elimi"]), where
        if int(r["earlystop"]):
            assert status == Status.STOP_NO_DOSE, where
        else:
            assert status == Status.CONTINUE and nxt + 1 == int(r["next_d"]), where


def test_decisions_on_random_states_match_next_tite_quasiboin():
    rows = _csv("r_titeboin_states.csv")
    assert len(rows) == 400
    kinds = {"suspend": 0, "stop": 0, "early": 0, "move": 0}
    for r in rows:
        target, cur = float(r["target"]), int(r["d"]) - 1
        n_early = int(float(r["n.earlystop"]))
        design = TiteBoin(target=target, n_doses=int(r["ndose"]), max_n=36, n_earlystop=n_early)
        elim_in = None if r["elimination_in"] == "NA" else _vec(r["elimination_in"])
        (nxt, status, _reason, hold), adm = _decide(
            design, _vec(r["n"]), _vec(r["y"]), _vec(r["npend"]), _vec(r["ft"], float), cur, elim_in
        )
        where = r["id"]
        assert hold == int(r["pending"]), where
        assert list(1 - adm) == _vec(r["elimi"]), where
        if int(r["earlystop"]):
            assert status == Status.STOP_NO_DOSE, where
            kinds["early"] += 1
        elif int(r["stop"]):
            assert status == Status.STOP_SELECT, where
            kinds["stop"] += 1
        else:
            assert status == Status.CONTINUE and nxt + 1 == int(r["next_d"]), where
            kinds["suspend" if hold else "move"] += 1
    # suspensions, eliminations of dose 1 and moves are all exercised (no state reaches n.earlystop = 12
    # with a stay, so the stop flag is checked where it is 0)
    assert min(kinds["suspend"], kinds["early"], kinds["move"]) >= 30, kinds


SCENARIOS = {
    "S1": (0.05, 0.12, 0.25, 0.40, 0.55, 0.70),
    "S2": (0.02, 0.05, 0.09, 0.15, 0.25, 0.40),
    "S3": (0.30, 0.45, 0.60, 0.70, 0.80, 0.90),
}


@pytest.mark.slow
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_operating_characteristics_match_get_oc(scenario):
    rows = [r for r in _csv("r_titeboin_oc.csv") if r["scenario"] == scenario]
    assert len(rows) == 6
    n_r = int(rows[0]["ntrial"])
    T = 40_000
    rate = 2 / 30  # per day, as get_oc's accrual
    timing = Timing(
        patients_per_month=rate * DAYS_PER_MONTH,
        dlt_window_days=MAXT,
        dlt_time="weibull",
        late_onset_share=0.5,
    )
    design = TiteBoin(target=0.25, n_doses=6, max_n=36, cohort_size=3)
    res = simulate_one(design, Scenario(scenario, SCENARIOS[scenario]), T, 100, timing=timing)
    zmax = 0.0
    for d, r in enumerate(rows):
        p_r = float(r["sel_pct"]) / 100
        p_d = float(np.mean(res.selected == d))
        se = math.sqrt(p_r * (1 - p_r) / n_r + p_d * (1 - p_d) / T)
        zmax = max(zmax, abs(p_d - p_r) / max(se, 1e-9))
        n_d = res.n_at_dose[:, d]
        # the package reports means only: its SE is taken as dosefind's sd over sqrt(its trials)
        se_n = float(np.std(n_d)) * math.sqrt(1 / n_r + 1 / T)
        zmax = max(zmax, abs(float(np.mean(n_d)) - float(r["mean_patients"])) / max(se_n, 1e-9))
    none_r = float(rows[0]["pct_no_mtd"]) / 100
    none_d = float(np.mean(res.selected < 0))
    se = math.sqrt(none_r * (1 - none_r) / n_r + none_d * (1 - none_d) / T)
    zmax = max(zmax, abs(none_d - none_r) / max(se, 1e-9))
    dur = res.time[:, T_DURATION] - 1 / rate  # the package's first patient enters on day 0
    sd_r = float(rows[0]["duration_sd_days"])
    se_dur = math.sqrt(sd_r**2 / n_r + float(np.var(dur)) / T)
    zmax = max(zmax, abs(float(np.mean(dur)) - float(rows[0]["duration_mean_days"])) / se_dur)
    print(scenario, "max |z|", round(zmax, 2))
    assert zmax < 4.5, zmax
