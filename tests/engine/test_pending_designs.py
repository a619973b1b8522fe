"""TITE-BOIN and rolling six in calendar time (engine/tite.py ``pending_trial``) against a naive
event-by-event oracle on the same latent values, with independent implementations of the two rules;
their decision grids cell by cell; the promised invariants (nobody pending: the complete-data design;
threads and chunks; no patient at a dose the rule forbids)."""

import math

import numpy as np
import pytest

from dosefind import Boin, Scenario
from dosefind.designs import RollingSix, TiteBoin
from dosefind.designs.rolling_six.home import r6_action
from dosefind.designs.tite_boin.home import pending_rows, stft_thresholds
from dosefind.engine import simulate_one
from dosefind.engine.calendar import T_DURATION, T_MEAN_WAIT, T_SUSPENDED, T_TURNED_AWAY
from dosefind.engine.replay import replay_simulated_trial
from dosefind.engine.rng import STREAM_ARRIVAL, STREAM_EVENT_TIME, latent_uniforms
from dosefind.engine.tite import dlt_fraction
from dosefind.report import decision_table as dt
from dosefind.scenario.timing import Timing
from oracles import pending_cohort_trial, rolling_six_decide, tite_boin_decide, weibull_fraction

SCENARIOS = [
    Scenario("mid", (0.05, 0.12, 0.25, 0.40, 0.55, 0.70)),
    Scenario("high", (0.02, 0.05, 0.09, 0.15, 0.25, 0.40)),
    Scenario("toxic", (0.30, 0.45, 0.60, 0.70, 0.80, 0.90)),
]
NEVER_PENDING = Timing(patients_per_month=1, dlt_window_days=0.0007, accrual="fixed")


def _latent(seed, scen, n_trials, n):
    u_tox = latent_uniforms(seed, scen.key, n_trials, n)
    u_evt = latent_uniforms(seed, scen.key, n_trials, n, stream=STREAM_EVENT_TIME)
    u_arr = latent_uniforms(seed, scen.key, n_trials, 6 * n, stream=STREAM_ARRIVAL)
    return u_tox, u_arr, u_evt


def _check_against_oracle(design, rule, timing, seed=31, n_trials=40, dlt_time=None):
    max_wait = timing.max_wait_days if timing.suspension == "wait" else None
    for scen in SCENARIOS:
        res = simulate_one(design, scen, n_trials, seed, timing=timing)
        u_tox, u_arr, u_evt = _latent(seed, scen, n_trials, design.max_n)
        for t in range(n_trials):
            o = pending_cohort_trial(
                scen.true_tox,
                u_tox[t],
                u_arr[t],
                u_evt[t],
                rule=rule,
                n_doses=design.n_doses,
                cohort=design.cohort_size,
                max_n=design.max_n,
                window=timing.dlt_window_days,
                rate=timing.rate_per_day,
                max_wait=max_wait,
                dlt_time=dlt_time,
            )
            where = (scen.name, t)
            assert list(res.n_at_dose[t]) == o["n"], where
            assert list(res.tox_at_dose[t]) == o["y"], where
            assert res.selected[t] == o["selected"], where
            assert res.time[t, T_TURNED_AWAY] == o["turned"], where
            assert res.time[t, T_DURATION] == pytest.approx(o["duration"], rel=1e-12), where
            assert res.time[t, T_SUSPENDED] == pytest.approx(o["suspended"], rel=1e-9, abs=1e-9), where
            assert res.time[t, T_MEAN_WAIT] == pytest.approx(o["waited"], rel=1e-9, abs=1e-9), where


@pytest.mark.parametrize("version", ["ess", "imputation"])
@pytest.mark.parametrize("suspension", ["turned_away", "wait"])
def test_tite_boin_matches_the_naive_oracle(version, suspension):
    design = TiteBoin(target=0.25, n_doses=6, max_n=24, version=version)
    extra = {"max_wait_days": 20} if suspension == "wait" else {}
    timing = Timing(patients_per_month=5, dlt_window_days=35, suspension=suspension, **extra)
    rule = tite_boin_decide(0.25, version, design.suspend_rule)
    _check_against_oracle(design, rule, timing)


def test_tite_boin_other_suspend_rule_and_weibull_times_match_the_oracle():
    design = TiteBoin(target=0.3, n_doses=6, max_n=21, version="ess", suspend_rule="unless_determined")
    timing = Timing(patients_per_month=4, dlt_window_days=42, dlt_time="weibull", late_onset_share=0.7)
    rule = tite_boin_decide(0.3, "ess", "unless_determined")
    _check_against_oracle(design, rule, timing, dlt_time=lambda v, p: weibull_fraction(v, p, 0.7))


@pytest.mark.parametrize("rules", ["frankel2020", "labja"])
@pytest.mark.parametrize("suspension", ["turned_away", "wait"])
def test_rolling_six_matches_the_naive_oracle(rules, suspension):
    design = RollingSix(target=0.25, n_doses=6, rules=rules)
    extra = {"max_wait_days": 15} if suspension == "wait" else {}
    timing = Timing(patients_per_month=4, dlt_window_days=28, suspension=suspension, **extra)
    _check_against_oracle(design, rolling_six_decide(rules), timing)


def test_nobody_pending_is_the_complete_data_design():
    """Patients a month apart and a one-minute window: TITE-BOIN's trials are BOIN's, trial for trial
    (same toxicity values), and rolling six's are its complete-data replays."""
    tite = TiteBoin(target=0.25, n_doses=6, max_n=24)
    boin = Boin(target=0.25, n_doses=6, max_n=24)
    for scen in SCENARIOS:
        res = simulate_one(tite, scen, 300, 8, timing=NEVER_PENDING)
        ref = simulate_one(boin, scen, 300, 8)
        assert np.array_equal(res.selected, ref.selected)
        assert np.array_equal(res.n_at_dose, ref.n_at_dose)
        assert np.array_equal(res.tox_at_dose, ref.tox_at_dose)
        assert np.array_equal(res.status, ref.status)
        assert np.all(res.time[:, T_TURNED_AWAY] == 0) and np.all(res.time[:, T_SUSPENDED] == 0)
    r6 = RollingSix(target=0.25, n_doses=6)
    for scen in SCENARIOS:
        res = simulate_one(r6, scen, 60, 9, timing=NEVER_PENDING)
        for t in range(60):
            trace = replay_simulated_trial(r6, scen, 9, t)
            assert list(trace.n_at) == list(res.n_at_dose[t]) and trace.selected == res.selected[t]
            assert int(trace.status) == int(res.status[t])


@pytest.mark.parametrize("design", [TiteBoin(target=0.25, n_doses=6, max_n=27), RollingSix(n_doses=6)])
def test_pending_designs_are_thread_and_chunk_invariant(design):
    timing = Timing(patients_per_month=3, dlt_window_days=42, suspension="wait", max_wait_days=10)
    a = simulate_one(design, SCENARIOS[0], 1200, 4, timing=timing, threads=1, chunks=1)
    b = simulate_one(design, SCENARIOS[0], 1200, 4, timing=timing, chunks=5, block_trials=500)
    c = simulate_one(design, SCENARIOS[0], 400, 4, timing=timing, first_trial=800)
    assert np.array_equal(a.selected, b.selected) and np.array_equal(a.time, b.time, equal_nan=True)
    assert np.array_equal(a.n_at_dose[800:], c.n_at_dose) and np.array_equal(
        a.time[800:], c.time, equal_nan=True
    )


def test_rolling_six_never_puts_more_than_six_at_a_level():
    timing = Timing(patients_per_month=8, dlt_window_days=56)
    for rules in ("frankel2020", "labja"):
        design = RollingSix(n_doses=5, rules=rules)
        for scen in SCENARIOS:
            res = simulate_one(design, Scenario(scen.name, scen.true_tox[:5]), 2000, 3, timing=timing)
            assert res.n_at_dose.max() <= 6
            # no level is selected with 2 or more DLTs, and none above a level with >= 2 DLTs is selected
            sel = res.selected
            ok = sel >= 0
            assert np.all(res.tox_at_dose[ok, sel[ok]] <= 1)


# ---- the grids, cell by cell ---------------------------------------------------------------------
#: docs/notes/rolling-six-rules.md, section 1b, at a level whose neighbours are open: the cells where the
#: versions differ; every other cell is the same in both
DIFFER = {(4, 0, 1): ("S", "E"), (5, 0, 1): ("S", "E"), (5, 0, 2): ("S", "E"), (6, 0, 1): ("E", "H")}


def _documented(n, d, p, rules):
    """The grid as section 1b of the note writes it (E escalate, S same level, H hold, D de-escalate)."""
    if (n, d, p) in DIFFER:
        return DIFFER[(n, d, p)][0 if rules == "frankel2020" else 1]
    if d >= 2:
        return "D"
    if n < 6:
        return "E" if (n >= 3 and d == 0 and p == 0) else "S"
    return "E" if (p == 0 and d <= 1) else "H"


@pytest.mark.parametrize("rules", ["frankel2020", "labja"])
def test_rolling_six_grid_cell_by_cell(rules):
    design = RollingSix(n_doses=5, rules=rules)
    code = {dt.Action.ESCALATE: "E", dt.Action.STAY: "S", dt.Action.ELIMINATE: "D"}
    for n in range(1, 7):
        for d in range(n + 1):
            for p in range(n - d + 1):
                action, hold = r6_action(design, n, d, p)
                got = "H" if hold else code[action]
                assert got == _documented(n, d, p, rules), (n, d, p)


def test_tite_boin_imputation_thresholds_reproduce_the_published_table():
    """Target 0.20, 9 patients (PMC9260438 Table 1, the TITE-BOIN column): escalate with 1 DLT and 3 or 4
    pending if STFT >= 0.77 / 2.15; de-escalate with 2 DLTs and 1..4 pending if STFT <= 0.52, 1.59, 2.66,
    3.73."""
    design = TiteBoin(target=0.2, n_doses=5, max_n=18, version="imputation")
    lam_e, lam_d = design.boundaries
    esc = [stft_thresholds(design, 9, 1, m, lam_e, lam_d)[0] for m in (3, 4)]
    deesc = [stft_thresholds(design, 9, 2, m, lam_e, lam_d)[1] for m in (1, 2, 3, 4)]
    assert [round(x, 2) for x in esc] == [0.77, 2.15]
    assert [round(x, 2) for x in deesc] == [0.52, 1.59, 2.66, 3.73]


@pytest.mark.parametrize("version", ["ess", "imputation"])
def test_tite_boin_table_thresholds_agree_with_the_kernel(version):
    """Every pending row of the table, asked of the kernel on a fine STFT grid: the stated thresholds,
    suspensions and fixed actions are what the simulation does."""
    from dosefind.designs import layout as L
    from dosefind.engine.tite_boin import decide_tite_boin

    design = TiteBoin(target=0.3, n_doses=5, max_n=12, version=version)
    c = design.compile()
    ip = c.ip.copy()
    ip[L.IP_N_DOSES] = 3
    rows = pending_rows(design, range(1, 13))
    assert len(rows) == sum(n - y for n in range(1, 13) for y in range(n))
    for r in rows:
        for s in np.linspace(0, r.n_pending, 23)[:-1]:
            adm = np.ones(3, dtype=np.int8)
            nxt, status, reason, hold = decide_tite_boin(
                ip,
                c.fp,
                c.tables,
                np.array([0, r.n_treated, 0]),
                np.array([0, r.n_dlt, 0]),
                np.array([0, r.n_pending, 0]),
                np.array([0.0, s, 0.0]),
                adm,
                1,
            )
            if r.action == dt.Action.ELIMINATE:
                assert adm[1] == 0
                continue
            if r.suspend:
                assert hold == 1
                continue
            assert hold == 0
            if r.action is not None:
                want = {dt.Action.ESCALATE: 2, dt.Action.STAY: 1, dt.Action.DEESCALATE: 0}[r.action]
            else:
                e, d = r.escalate_stft_at_least, r.deescalate_stft_at_most
                want = 2 if (e is not None and s >= e) else (0 if (d is not None and s <= d) else 1)
            assert nxt == want, (r, s)


def test_weibull_dlt_times():
    """TITEgBOIN's generator: a share of the DLTs in the window's second half, for any dose."""
    ti = np.array([0, 0, 2, 1])
    for share in (0.5, 0.7):
        tf = np.array([0.1, 28.0, 0.0, share, 0.1])
        for p in (0.05, 0.3, 0.8):
            assert dlt_fraction(1 - share, ti, tf, p) == pytest.approx(0.5, abs=1e-12)
            for v in (0.01, 0.4, 0.93):
                assert dlt_fraction(v, ti, tf, p) == pytest.approx(weibull_fraction(v, p, share), abs=1e-10)
    assert math.isclose(
        dlt_fraction(0.999999, ti, np.array([0.1, 28.0, 0.0, 0.5, 0.1]), 0.3), 1.0, abs_tol=1e-5
    )


def test_modifiers_with_nobody_pending_act_as_on_the_complete_data_designs():
    """Modifiers on TITE-BOIN and TITE-CRM: with nobody ever pending, trial for trial the untimed BOIN and
    CRM (cohorts of 1) with the same modifiers."""
    from dosefind import Crm, StopAtN, StopWhenNAtDose, StopWhenTooToxic
    from dosefind.designs import TiteCrm
    from dosefind.designs.modifiers import DontSkip

    mods = (
        StopWhenNAtDose(n=9, dose="recommended"),
        StopWhenTooToxic(dose=1, threshold=0.35, confidence=0.8),
    )
    pairs = [
        (
            TiteBoin(target=0.25, n_doses=6, max_n=30, modifiers=mods),
            Boin(target=0.25, n_doses=6, max_n=30, modifiers=mods),
        ),
        (
            TiteCrm(
                target=0.25,
                n_doses=6,
                skeleton_halfwidth=0.05,
                skeleton_nu=3,
                max_n=20,
                no_skip_escalation=False,
                modifiers=(StopAtN(n=14), DontSkip()),
            ),
            Crm(
                target=0.25,
                n_doses=6,
                skeleton_halfwidth=0.05,
                skeleton_nu=3,
                max_n=20,
                cohort_size=1,
                coherence="off",
                no_skip_escalation=False,
                modifiers=(StopAtN(n=14), DontSkip()),
            ),
        ),
    ]
    for timed, plain in pairs:
        for scen in SCENARIOS:
            a = simulate_one(timed, scen, 300, 5, timing=NEVER_PENDING)
            b = simulate_one(plain, scen, 300, 5)
            assert np.array_equal(a.n_at_dose, b.n_at_dose), (timed.kind, scen.name)
            assert np.array_equal(a.tox_at_dose, b.tox_at_dose)
            assert np.array_equal(a.selected, b.selected)
            assert np.array_equal(a.status, b.status) and np.array_equal(a.reason, b.reason)
    # and in calendar time a stop_at_n stops at n patients
    res = simulate_one(
        pairs[1][0], SCENARIOS[1], 500, 5, timing=Timing(patients_per_month=4, dlt_window_days=28)
    )
    assert res.n_at_dose.sum(axis=1).max() <= 14
