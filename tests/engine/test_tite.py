"""TITE-CRM in calendar time (engine/tite.py) against the naive titesim-style oracle on the same latent
values, and the promised invariants: with no one ever pending it is the CRM with cohorts of 1 (trial for
trial), results do not depend on threads or chunks, and a TITE design is never simulated without a clock.
"""

import numpy as np
import pytest

from dosefind import Crm, Scenario
from dosefind.designs import TiteCrm
from dosefind.designs import layout as L
from dosefind.engine import PosteriorCache, simulate_one
from dosefind.engine.calendar import T_DURATION, T_TURNED_AWAY
from dosefind.engine.posterior import crm_posterior_pending, new_known_cache
from dosefind.engine.replay import replay_simulated_trial
from dosefind.engine.rng import STREAM_ARRIVAL, STREAM_EVENT_TIME, latent_uniforms
from dosefind.errors import SpecError
from dosefind.scenario.timing import Timing
from oracles import tite_crm_trial

SKELETON = (0.04, 0.09, 0.16, 0.25, 0.35, 0.46)
SCENARIOS = [
    Scenario("mid", (0.05, 0.12, 0.25, 0.40, 0.55, 0.70)),
    Scenario("high", (0.02, 0.05, 0.09, 0.15, 0.25, 0.40)),
    Scenario("toxic", (0.30, 0.45, 0.60, 0.70, 0.80, 0.90)),
]


def _check_against_oracle(design, timing, **oracle) -> float:
    """Every trial against the titesim-style oracle on the same latent values; returns the patients
    turned away over all trials."""
    n_trials = 12
    turned = 0.0
    for scen in SCENARIOS:
        res = simulate_one(design, scen, n_trials, 21, timing=timing)
        u_tox = latent_uniforms(21, scen.key, n_trials, 15)
        u_arr = latent_uniforms(21, scen.key, n_trials, 200, stream=STREAM_ARRIVAL)
        u_evt = latent_uniforms(21, scen.key, n_trials, 15, stream=STREAM_EVENT_TIME)
        for t in range(n_trials):
            sel, n, y, _doses, entry = tite_crm_trial(
                scen.true_tox,
                u_tox[t],
                u_arr[t],
                u_evt[t],
                skeleton=SKELETON,
                target=0.25,
                max_n=15,
                window=28.0,
                rate=timing.rate_per_day,
                **oracle,
            )
            assert list(res.n_at_dose[t]) == n, (scen.name, t)
            assert list(res.tox_at_dose[t]) == y, (scen.name, t)
            assert res.selected[t] == sel, (scen.name, t)
            assert res.time[t, T_DURATION] == pytest.approx(entry[-1] + 28.0, rel=1e-12)
            turned += res.time[t, T_TURNED_AWAY]
    return turned


@pytest.mark.parametrize("scheme", ["linear", "adaptive"])
def test_tite_crm_matches_the_naive_oracle(scheme):
    design = TiteCrm(target=0.25, n_doses=6, skeleton=SKELETON, max_n=15, scheme=scheme)
    timing = Timing(patients_per_month=4, dlt_window_days=28)
    assert _check_against_oracle(design, timing, scheme=scheme) == 0  # TITE-CRM never turns anyone away


def test_no_one_pending_is_the_crm_with_cohorts_of_one():
    """Patients a month apart and a one-minute window: every outcome is known at the next arrival, so
    the TITE-CRM's trials are the complete-data CRM's (cohorts of 1, same toxicity values)."""
    tite = TiteCrm(target=0.25, n_doses=6, skeleton=SKELETON, max_n=18)
    crm = Crm(target=0.25, n_doses=6, skeleton=SKELETON, max_n=18, cohort_size=1, coherence="off")
    timing = Timing(patients_per_month=1, dlt_window_days=0.0007, accrual="fixed")
    for scen in SCENARIOS:
        res = simulate_one(tite, scen, 300, 8, timing=timing)
        ref = simulate_one(crm, scen, 300, 8)
        assert np.array_equal(res.selected, ref.selected)
        assert np.array_equal(res.n_at_dose, ref.n_at_dose)
        assert np.array_equal(res.tox_at_dose, ref.tox_at_dose)
        for t in range(5):  # and the replay (no clock: complete data) is the same trial
            trace = replay_simulated_trial(tite, scen, 8, t)
            assert list(trace.n_at) == list(res.n_at_dose[t]) and trace.selected == res.selected[t]


def test_tite_crm_is_thread_and_chunk_invariant():
    design = TiteCrm(target=0.25, n_doses=6, skeleton=SKELETON, max_n=18, scheme="adaptive")
    timing = Timing(patients_per_month=3, dlt_window_days=42)
    a = simulate_one(design, SCENARIOS[0], 1200, 4, timing=timing, threads=1, chunks=1)
    b = simulate_one(design, SCENARIOS[0], 1200, 4, timing=timing, chunks=5, block_trials=500)
    c = simulate_one(design, SCENARIOS[0], 400, 4, timing=timing, first_trial=800)
    assert np.array_equal(a.selected, b.selected) and np.array_equal(a.time, b.time, equal_nan=True)
    assert np.array_equal(a.n_at_dose[800:], c.n_at_dose) and np.array_equal(
        a.time[800:], c.time, equal_nan=True
    )


def _pending_posterior(c, n_at, tox_at, pend_dose, pend_w, keys, vals):
    D = n_at.shape[0]
    out = np.zeros((1, L.POST_FIRST + 4 * D))
    work = np.zeros(int(c.ip[L.IP_CRM_N_NODES]))
    crm_posterior_pending(
        c.ip, c.fp, c.grid, n_at, tox_at, pend_dose, pend_w, pend_dose.shape[0], out, 0, work, keys, vals
    )
    return out[0]


def _random_pending_data(rng, D):
    n_at = rng.integers(0, 7, D) * (rng.random(D) < 0.6)
    tox_at = np.array([rng.integers(0, n + 1) for n in n_at], dtype=np.int64)
    n_pend = rng.integers(0, 6)
    pend_dose = rng.integers(0, D, n_pend).astype(np.int64)
    pend_w = rng.random(n_pend) ** rng.choice([1.0, 0.05])  # weights near 1 now and then
    return n_at.astype(np.int64), tox_at, pend_dose, pend_w


@pytest.mark.parametrize("model", ["empiric", "logistic"])
def test_known_density_table_never_changes_a_posterior(model):
    """The simulation keeps the known patients' density at the nodes in a small table by state (evicting
    on collisions); live use computes it afresh. Same numbers, bit for bit, whatever the table held."""
    design = TiteCrm(target=0.25, n_doses=6, skeleton=SKELETON, max_n=36, model=model, safety_confidence=0.9)
    c = design.compile()
    K = int(c.ip[L.IP_CRM_N_NODES])
    keys, vals = new_known_cache(6, 4, K)  # 4 rows: states collide and evict each other
    rng = np.random.default_rng(5)
    data = [_random_pending_data(rng, 6) for _ in range(40)]
    for i in rng.integers(0, len(data), 400):  # states seen again, after others
        fresh = _pending_posterior(c, *data[i], *new_known_cache(6, 0, K))
        kept = _pending_posterior(c, *data[i], keys, vals)
        assert np.array_equal(fresh, kept), i


def test_pending_posterior_is_the_weighted_likelihood_on_the_nodes():
    """The pending factors multiply the known patients' density (no log per node): the same posterior
    mean as the log-domain sum log prior + log likelihood + sum_j log(1 - w_j p_j) on the nodes."""
    design = TiteCrm(target=0.25, n_doses=6, skeleton=SKELETON, max_n=36)
    c = design.compile()
    K, D, F = int(c.ip[L.IP_CRM_N_NODES]), 6, L.GRID_FIRST
    g = c.grid[:K]
    rng = np.random.default_rng(11)
    for _ in range(300):
        n_at, tox_at, pend_dose, pend_w = _random_pending_data(rng, D)
        logpost = g[:, L.GRID_LOGPRIOR] + (
            tox_at * g[:, F : F + D] + (n_at - tox_at) * g[:, F + D : F + 2 * D]
        ).sum(1)
        for d, w in zip(pend_dose, pend_w, strict=True):
            logpost = logpost + np.log1p(-w * g[:, F + 2 * D + d])
        dens = np.exp(logpost - logpost.max())
        dens[dens < np.exp(-60.0)] = 0.0
        mean = (g[:, L.GRID_W] * dens * g[:, L.GRID_B]).sum() / (g[:, L.GRID_W] * dens).sum()
        got = _pending_posterior(c, n_at, tox_at, pend_dose, pend_w, *new_known_cache(D, 0, K))
        assert got[L.POST_MEAN_B] == pytest.approx(mean, rel=1e-12, abs=1e-12)


def test_tite_crm_trials_do_not_depend_on_the_known_density_table():
    design = TiteCrm(target=0.25, n_doses=6, skeleton=SKELETON, max_n=18, scheme="adaptive")
    timing = Timing(patients_per_month=3, dlt_window_days=42)
    for scen in SCENARIOS:
        a = simulate_one(design, scen, 600, 4, timing=timing)
        # a posterior cache without capacity: no CRM cache, no known-density table either
        b = simulate_one(
            design, scen, 600, 4, timing=timing, cache=PosteriorCache.for_design(design, capacity=0)
        )
        assert np.array_equal(a.selected, b.selected) and np.array_equal(a.n_at_dose, b.n_at_dose)
        assert np.array_equal(a.tox_at_dose, b.tox_at_dose) and np.array_equal(a.time, b.time, equal_nan=True)


def test_tite_designs_need_a_clock_and_a_window():
    design = TiteCrm(target=0.25, n_doses=6, skeleton=SKELETON, max_n=12)
    with pytest.raises(SpecError, match="timing: tite_crm decides with pending patients"):
        simulate_one(design, SCENARIOS[0], 10, 1)
    with pytest.raises(SpecError, match="timing.dlt_window_days"):
        simulate_one(design, SCENARIOS[0], 10, 1, timing=Timing(patients_per_month=2, dlt_window_days=0))


@pytest.mark.parametrize(
    "changes, field",
    [
        (dict(cohort_size=3), "cohort_size"),
        (dict(coherence="last_cohort"), "coherence"),
        (dict(scheme="quadratic"), "scheme"),
    ],
)
def test_tite_crm_refuses_what_it_does_not_have(changes, field):
    with pytest.raises(SpecError) as e:
        TiteCrm(target=0.25, n_doses=6, skeleton=SKELETON, max_n=12, **changes)
    assert e.value.field == field


def test_recommend_reads_complete_data_and_says_so():
    from dosefind.live.recommend import recommend
    from dosefind.outcomes import parse_outcomes

    design = TiteCrm(target=0.25, n_doses=6, skeleton=SKELETON, max_n=12)
    crm = Crm(target=0.25, n_doses=6, skeleton=SKELETON, max_n=12, cohort_size=1, coherence="off")
    data = parse_outcomes("1N 2N 3T 2N", design.doses)
    rec, ref = recommend(design, data), recommend(crm, data)
    assert (rec.next_dose, rec.reason) == (ref.next_dose, ref.reason)
    assert any("read as having completed the DLT window" in w for w in rec.warnings)


def test_late_onset_dlt_times_match_the_oracle_and_their_share():
    """Late-onset DLT times (a share of DLTs in the window's second half): the kernel's trials equal the
    oracle's, and the map from the event-time value puts exactly that share of its mass in the second
    half, uniformly within each half."""
    from dosefind.engine.tite import dlt_time_fraction

    v = (np.arange(100000) + 0.5) / 100000
    g = np.array([dlt_time_fraction(x, 1, 0.7) for x in v])
    assert np.mean(g >= 0.5) == pytest.approx(0.7, abs=1e-5)
    assert np.all(np.diff(g) > 0) and g[0] > 0 and g[-1] < 1
    assert np.histogram(g[g < 0.5], bins=5)[0].std() < 2 and np.histogram(g[g >= 0.5], bins=5)[0].std() < 2
    design = TiteCrm(target=0.25, n_doses=6, skeleton=SKELETON, max_n=12, scheme="adaptive")
    timing = Timing(patients_per_month=4, dlt_window_days=28, dlt_time="late_onset", late_onset_share=0.7)
    scen = SCENARIOS[0]
    res = simulate_one(design, scen, 10, 3, timing=timing)
    u = [latent_uniforms(3, scen.key, 10, 12, stream=s) for s in (0, STREAM_ARRIVAL, STREAM_EVENT_TIME)]
    for t in range(10):
        sel, n, y, _doses, _entry = tite_crm_trial(
            scen.true_tox,
            u[0][t],
            u[1][t],
            u[2][t],
            skeleton=SKELETON,
            target=0.25,
            max_n=12,
            window=28.0,
            rate=timing.rate_per_day,
            scheme="adaptive",
            late_share=0.7,
        )
        assert (list(res.n_at_dose[t]), res.selected[t]) == (n, sel), t


def test_late_onset_needs_its_share():
    with pytest.raises(SpecError, match="late_onset_share: missing"):
        Timing(patients_per_month=2, dlt_window_days=28, dlt_time="late_onset")
    with pytest.raises(SpecError, match="late_onset_share: only applies"):
        Timing(patients_per_month=2, dlt_window_days=28, late_onset_share=0.6)
    t = Timing(patients_per_month=2, dlt_window_days=28, dlt_time="late_onset", late_onset_share=0.6)
    assert Timing.from_dict(t.to_dict()) == t
    assert "dlt_time" not in Timing(patients_per_month=2, dlt_window_days=28).to_dict()


@pytest.mark.parametrize("tgrp", [None, 10.0])
def test_two_stage_start_matches_the_naive_oracle(tgrp):
    """dfcrm's x0/tgrp: the initial design until the first DLT is seen, a new level only tgrp days after
    the previous entry (arrivals before it are turned away), then the model."""
    x0 = (1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 6, 6, 6)
    design = TiteCrm(target=0.25, n_doses=6, skeleton=SKELETON, max_n=15, x0=x0, tgrp_days=tgrp)
    timing = Timing(patients_per_month=4, dlt_window_days=28)
    assert _check_against_oracle(design, timing, x0=x0, tgrp=tgrp) > 0  # the waits were exercised


def test_two_stage_start_is_validated():
    base = dict(target=0.25, n_doses=6, skeleton=SKELETON, max_n=6)
    with pytest.raises(SpecError, match="x0"):
        TiteCrm(**base, x0=(1, 2, 3))
    with pytest.raises(SpecError, match=r"x0\[1\]"):
        TiteCrm(**base, x0=(1, 9, 3, 4, 5, 6))
    with pytest.raises(SpecError, match="tgrp_days"):
        TiteCrm(**base, tgrp_days=7)


def test_safety_stop_matches_the_naive_oracle():
    """The CRM's safety stop on the weighted posterior at each arrival, and on the complete data at the
    end: trial for trial against the oracle (scipy's adaptive quadrature for the tail probability)."""
    design = TiteCrm(
        target=0.25, n_doses=6, skeleton=SKELETON, max_n=15, safety_confidence=0.8, safety_min_n=2
    )
    timing = Timing(patients_per_month=4, dlt_window_days=28)
    toxic = [Scenario("toxic-1", (0.45, 0.55, 0.65, 0.75, 0.85, 0.9)), SCENARIOS[2]]
    stops = 0
    for scen in toxic:
        res = simulate_one(design, scen, 12, 21, timing=timing)
        u_tox = latent_uniforms(21, scen.key, 12, 15)
        u_arr = latent_uniforms(21, scen.key, 12, 200, stream=STREAM_ARRIVAL)
        u_evt = latent_uniforms(21, scen.key, 12, 15, stream=STREAM_EVENT_TIME)
        for t in range(12):
            sel, n, y, _doses, _entry = tite_crm_trial(
                scen.true_tox,
                u_tox[t],
                u_arr[t],
                u_evt[t],
                skeleton=SKELETON,
                target=0.25,
                max_n=15,
                window=28.0,
                rate=timing.rate_per_day,
                safety=(0.8, 0.25, 2),
            )
            assert list(res.n_at_dose[t]) == n and list(res.tox_at_dose[t]) == y, (scen.name, t)
            assert res.selected[t] == sel, (scen.name, t)
            stops += sel < 0
    assert stops >= 5
