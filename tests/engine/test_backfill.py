"""BOIN with backfill (engine/backfill.py): with no response anywhere nobody is backfilled and the trials
are BOIN's, trial for trial; the backfill cap and the doses backfilled; thread and chunk invariance;
inputs refused with the field and the fix. The agreement with the bfboin R package is in
tests/published/test_bfboin_reference.py."""

import numpy as np
import pytest

from dosefind import Boin, Scenario
from dosefind.designs import TiteBoin, design_from_dict
from dosefind.designs.boin.spec import Backfill
from dosefind.engine import simulate_one
from dosefind.engine.calendar import N_TIME_COLUMNS, T_DURATION, T_TURNED_AWAY
from dosefind.errors import SpecError
from dosefind.oc import operating_characteristics
from dosefind.scenario.timing import Timing

TOX = (0.05, 0.12, 0.25, 0.40, 0.55, 0.70)
EFF = (0.10, 0.20, 0.30, 0.40, 0.45, 0.50)
TIMING = Timing(patients_per_month=4, dlt_window_days=28)


def test_without_responses_nobody_is_backfilled_and_the_trials_are_boins():
    bf = Boin(target=0.25, n_doses=6, max_n=36, backfill=Backfill())
    boin = Boin(target=0.25, n_doses=6, max_n=36)
    for tox in (TOX, (0.3, 0.45, 0.6, 0.7, 0.8, 0.9), (0.02, 0.05, 0.09, 0.15, 0.25, 0.4)):
        scen = Scenario("s", tox, true_eff=(0.0,) * 6)
        a = simulate_one(bf, scen, 2000, 3, timing=TIMING)
        b = simulate_one(boin, scen, 2000, 3)
        assert np.array_equal(a.n_at_dose, b.n_at_dose)
        assert np.array_equal(a.tox_at_dose, b.tox_at_dose)
        assert np.array_equal(a.selected, b.selected)
        assert np.array_equal(a.status, b.status)
        assert np.all(a.time[:, N_TIME_COLUMNS:] == 0)


@pytest.mark.parametrize("assign", ["highest", "lowest", "random"])
def test_backfill_fills_doses_below_the_current_one_within_the_cap(assign):
    cap = 5
    design = Boin(target=0.25, n_doses=6, max_n=36, backfill=Backfill(cap=cap, assign=assign))
    scen = Scenario("s", TOX, true_eff=(0.6,) * 6)
    res = simulate_one(design, scen, 3000, 11, timing=Timing(patients_per_month=10, dlt_window_days=42))
    bf = res.time[:, N_TIME_COLUMNS:]
    assert bf.sum() > 1000  # backfill happens
    # at most cap + 1 patients reach a dose through backfill (bfboin checks the cap before adding one)
    assert bf.max() <= cap + 1
    escalation = res.n_at_dose - bf
    assert np.all(escalation.sum(axis=1) <= 36) and np.all(escalation % 3 == 0)
    # never beyond the highest dose the escalation reached
    reached = np.array([np.flatnonzero(row).max() for row in escalation])
    for t in range(len(bf)):
        assert np.all(bf[t, reached[t] + 1 :] == 0)
    oc = operating_characteristics(res)
    assert np.allclose(oc.values["mean_n_backfill_at_dose"], bf.mean(axis=0))
    if assign == "lowest":
        assert bf[:, 0].mean() > bf[:, 2].mean()


def test_backfill_trials_do_not_depend_on_threads_or_chunks():
    design = Boin(target=0.25, n_doses=6, max_n=36, backfill=Backfill(assign="random"))
    scen = Scenario("s", TOX, true_eff=EFF)
    a = simulate_one(design, scen, 1200, 4, timing=TIMING, threads=1, chunks=1)
    b = simulate_one(design, scen, 1200, 4, timing=TIMING, chunks=5, block_trials=500)
    c = simulate_one(design, scen, 400, 4, timing=TIMING, first_trial=800)
    assert np.array_equal(a.selected, b.selected) and np.array_equal(a.time, b.time, equal_nan=True)
    assert np.array_equal(a.n_at_dose[800:], c.n_at_dose) and np.array_equal(
        a.time[800:], c.time, equal_nan=True
    )
    assert np.all(a.time[:, T_DURATION] > 0) and a.time[:, T_TURNED_AWAY].mean() >= 0


def test_backfill_inputs_are_checked():
    with pytest.raises(SpecError, match="backfill.assign"):
        Boin(target=0.25, n_doses=6, max_n=36, backfill=Backfill(assign="middle"))
    with pytest.raises(SpecError, match="backfill.cap"):
        Backfill(cap=0)
    with pytest.raises(SpecError, match="backfill"):
        design_from_dict({"kind": "boin", "target": 0.25, "n_doses": 6, "max_n": 36, "backfill": {"caps": 3}})
    with pytest.raises(SpecError, match="backfill"):
        TiteBoin(target=0.25, n_doses=6, max_n=36, backfill=Backfill())
    d = design_from_dict(
        {
            "kind": "boin",
            "target": 0.25,
            "n_doses": 6,
            "max_n": 36,
            "backfill": {"cap": 9, "assign": "lowest"},
        }
    )
    assert d.backfill == Backfill(cap=9, assign="lowest") and d.uses_pending
    assert design_from_dict(d.to_dict()) == d
    # a backfill design needs the scenario's response probabilities, and calendar time
    with pytest.raises(SpecError, match="true_eff"):
        simulate_one(d, Scenario("s", TOX), 10, 1, timing=TIMING)
    with pytest.raises(SpecError):
        simulate_one(d, Scenario("s", TOX, true_eff=EFF), 10, 1)
    with pytest.raises(SpecError, match="true_eff"):
        Scenario("s", TOX, true_eff=(0.1, 0.2))


@pytest.mark.parametrize("assign", ["highest", "lowest", "random"])
def test_backfill_matches_the_naive_oracle(assign):
    """bfboin's rules written out arrival by arrival (tests/oracles.py) on the same latent values."""
    from dosefind.engine.rng import (
        STREAM_ARRIVAL,
        STREAM_DESIGN,
        STREAM_EFF,
        STREAM_EVENT_TIME,
        latent_uniforms,
    )
    from oracles import bf_boin_trial

    design = Boin(target=0.25, n_doses=5, max_n=30, backfill=Backfill(cap=6, assign=assign))
    timing = Timing(patients_per_month=6, accrual="uniform", dlt_window_days=35)
    n_trials = 40
    scenarios = [
        Scenario("mid", (0.05, 0.12, 0.25, 0.40, 0.55), true_eff=(0.3, 0.4, 0.5, 0.5, 0.5)),
        Scenario("toxic", (0.25, 0.40, 0.55, 0.70, 0.80), true_eff=(0.5,) * 5),
        Scenario("safe", (0.02, 0.04, 0.06, 0.10, 0.20), true_eff=(0.2, 0.3, 0.4, 0.5, 0.6)),
    ]
    backfilled = 0
    for scen in scenarios:
        res = simulate_one(design, scen, n_trials, 13, timing=timing)
        n_max = 30 + 5 * 7
        u = {
            s: latent_uniforms(13, scen.key, n_trials, n_max, stream=s)
            for s in (0, STREAM_EFF, STREAM_EVENT_TIME)
        }
        arr = latent_uniforms(13, scen.key, n_trials, 600, stream=STREAM_ARRIVAL)
        des = latent_uniforms(13, scen.key, n_trials, 600, stream=STREAM_DESIGN)
        for t in range(n_trials):
            o = bf_boin_trial(
                scen.true_tox,
                scen.true_eff,
                u[0][t],
                u[STREAM_EFF][t],
                u[STREAM_EVENT_TIME][t],
                arr[t],
                des[t],
                target=0.25,
                n_cohorts=10,
                cohort=3,
                window=35.0,
                rate=timing.rate_per_day,
                cap=6,
                assign=assign,
            )
            where = (scen.name, t)
            assert list(res.n_at_dose[t]) == o["n"], where
            assert list(res.tox_at_dose[t]) == o["y"], where
            assert list(res.time[t, N_TIME_COLUMNS:]) == o["bf"], where
            assert res.selected[t] == o["selected"], where
            assert res.time[t, T_DURATION] == pytest.approx(o["duration"], rel=1e-12), where
            assert res.time[t, T_TURNED_AWAY] == o["turned"], where
            backfilled += sum(o["bf"])
    assert backfilled > 100
