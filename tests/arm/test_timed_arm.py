"""Arms in calendar time (engine/arm.py, ``timed_extension``) against a naive event-queue oracle, the
untimed arm (a window and a response time of 0 give the untimed arm trial for trial; without the safety
monitor every cohort decides as untimed), and invariance to threads, chunks and blocks."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest

from dosefind import Boin
from dosefind.arm import Arm, ArmScenario, ExpansionCohort, SafetyMonitor, simulate_arm
from dosefind.arm.spec import arm_spec_from_dict
from dosefind.constants import CohortDecision
from dosefind.designs import RollingSix, TiteBoin
from dosefind.engine.arm import (
    A_DURATION,
    A_ESCALATION,
    A_MEAN_WAIT,
    A_OPEN,
    A_TO_SELECTED,
    A_TURNED_AWAY,
    EXT_BASE,
)
from dosefind.engine.copula import responds
from dosefind.engine.rng import (
    STREAM_ARRIVAL,
    STREAM_EFF,
    STREAM_EVENT_TIME,
    STREAM_TOX,
    latent_uniform,
    trial_key,
)
from dosefind.errors import SpecError
from dosefind.extension import SimonRule
from dosefind.scenario.timing import Timing
from tests.arm.test_arm_engine import _z, oracle_escalation
from tests.engine.test_calendar import naive_arrivals, naive_gap_and_cumulative

BOIN = Boin(target=0.3, n_doses=5, max_n=24, cohort_size=3)
SIMON = SimonRule(n1=9, r1=1, n=17, r=3)
SIMON2 = SimonRule(n1=6, r1=0, n=12, r=2)
SCEN = ArmScenario(
    "mixed",
    (0.05, 0.12, 0.25, 0.40, 0.55),
    (0.10, 0.20, 0.30, 0.35, 0.40),
    0.3,
    (("biomarker", (0.15, 0.2, 0.3, 0.35, 0.4)),),
)
SAFETY = SafetyMonitor(limit=0.25, confidence=0.7)


def _arm(safety=None, carry=True, design=BOIN, open_min=0):
    cohorts = (ExpansionCohort("biomarker", SIMON, False), ExpansionCohort("histology", SIMON2, carry))
    return Arm(design, cohorts, safety, open_min)


TIMINGS = [
    Timing(patients_per_month=2, dlt_window_days=28, response_days=56),
    Timing(patients_per_month=6, dlt_window_days=42, response_days=21, accrual="uniform"),
    Timing(patients_per_month=5, dlt_window_days=28, response_days=84, suspension="wait", max_wait_days=20),
    Timing(patients_per_month=[1, 3], dlt_window_days=21, response_days=30, accrual="fixed"),
]


def _entries(tk, n_total, cohort, timing):
    """Escalation entry days, its last decision day, patients turned away and total wait, from the
    documented cohort rule."""
    u = [latent_uniform(tk, k, STREAM_ARRIVAL) for k in range(20 * n_total + 200)]
    arrivals = iter(naive_arrivals(u, timing))
    entries, t_open, decision, turned, waited = [], 0.0, 0.0, 0, 0.0
    for start in range(0, n_total, cohort):
        for _ in range(min(cohort, n_total - start)):
            while True:
                a = next(arrivals)
                if a >= t_open:
                    entries.append(a)
                    break
                if timing.suspension == "wait" and t_open - a <= timing.max_wait_days:
                    entries.append(t_open)
                    waited += t_open - a
                    break
                turned += 1
        decision = entries[-1] + timing.dlt_window_days
        t_open = decision
    return entries, decision, turned, waited


def oracle_timed_arm(arm: Arm, sc: ArmScenario, seed: int, t: int, timing: Timing) -> dict:
    """One timed arm from the rules in scenario/timing.py, with a heap of events (a look before a safety
    count before an arrival on the same day) and a queue of waiting patients."""
    tk = np.uint64(trial_key(seed, sc.key, t))
    patients, sel = oracle_escalation(arm, sc, tk)
    entries, esc_end, turned, waited = _entries(tk, len(patients), arm.design.cohort_size, timing)
    C = len(arm.cohorts)
    out = {"decision": [int(CohortDecision.NOT_OPENED)] * C, "new_n": [0] * C, "safety_stop": False}
    out["turned_away"] = turned
    out["mean_wait"] = waited / len(patients)
    out["escalation"] = esc_end
    out["cohort_day"] = [math.nan] * C
    resp_days = timing.response_assessment_days
    open_day = esc_end
    if sel >= 0:
        open_day = max(
            [esc_end] + [e + resp_days for (d, _, _), e in zip(patients, entries, strict=True) if d == sel]
        )
    out["duration"] = open_day
    if sel < 0 or sum(r for d, _, r in patients if d == sel) < arm.open_min_responses:
        return out
    counted = [[] for _ in range(C)]
    decided: list = [None] * C

    def look(c):
        b = arm.cohorts[c].boundaries
        x, m = sum(counted[c]), len(counted[c])
        for i, n in enumerate(b.looks):
            if n == m:
                if x <= b.futility[i]:
                    return CohortDecision.FUTILE, True
                if x >= b.efficacy[i]:
                    return CohortDecision.ACTIVE, True
                return None, True
        return None, False

    for c, cohort in enumerate(arm.cohorts):
        if cohort.count_escalation:
            for d, _, r in patients:
                if d == sel and decided[c] is None:
                    counted[c].append(r)
                    decided[c] = look(c)[0]
            if decided[c] is not None:
                out["cohort_day"][c] = open_day
    n_safe = sum(1 for d, _, _ in patients if d == sel)
    y_safe = sum(1 for d, y, _ in patients if d == sel and y)
    table = arm.safety.table(200) if arm.safety else None
    window = timing.dlt_window_days
    p = sc.true_tox[sel]
    paused = [False] * C
    heap: list = []  # (day, priority, sequence, kind, payload)
    seq = 0

    def push(day, prio, kind, payload):
        nonlocal seq
        heapq.heappush(heap, (day, prio, seq, kind, payload))
        seq += 1

    push(_next_after(open_day, timing, tk, 0), 2, "arrival", 0)  # arrivals start again at the opening
    waiting: list = []
    last_c = C - 1
    end = open_day

    def enrol(day, arrived):
        nonlocal last_c, waited
        for step in range(1, C + 1):
            c = (last_c + step) % C
            if decided[c] is None and not paused[c]:
                break
        else:
            return False
        last_c = c
        waited += day - arrived
        i = EXT_BASE * (c + 1) + out["new_n"][c]
        qc = sc.response_of(arm.cohorts[c].name)[sel]
        u = latent_uniform(tk, i, STREAM_TOX)
        r = responds(u, latent_uniform(tk, i, STREAM_EFF), _z(qc), qc, sc.correlation)
        out["new_n"][c] += 1
        counted[c].append(bool(r))
        verdict, at_look = look(c)
        if at_look:
            paused[c] = True
            push(day + resp_days, 0, "look", (c, verdict))
        if table is not None:
            dlt = u < p
            v = latent_uniform(tk, i, STREAM_EVENT_TIME)
            push(day + (window * v if dlt else window), 1, "outcome", bool(dlt))
        return True

    while any(x is None for x in decided):
        day, _, _, kind, payload = heapq.heappop(heap)
        if kind == "look":
            c, verdict = payload
            paused[c] = False
            if verdict is not None:
                decided[c] = verdict
                out["cohort_day"][c] = day
                end = day
                if all(x is not None for x in decided):  # outcomes of that same day still count
                    while heap and heap[0][0] <= day and heap[0][3] == "outcome":
                        _d, _, _, _, dlt = heapq.heappop(heap)
                        n_safe, y_safe = n_safe + 1, y_safe + dlt
                        if table[n_safe, y_safe]:
                            out["safety_stop"] = True
                            break
                    break
            while waiting:
                if day - waiting[0] > timing.max_wait_days:
                    waiting.pop(0)
                    turned += 1
                elif enrol(day, waiting[0]):
                    waiting.pop(0)
                else:
                    break
        elif kind == "outcome":
            n_safe, y_safe = n_safe + 1, y_safe + payload
            if table[n_safe, y_safe]:
                out["safety_stop"] = True
                for c in range(C):
                    if decided[c] is None:
                        decided[c] = CohortDecision.SAFETY
                        out["cohort_day"][c] = day
                end = day
                break
        else:
            j = payload
            push(_next_after(open_day, timing, tk, j + 1), 2, "arrival", j + 1)
            if not enrol(day, day):
                if timing.suspension == "wait":
                    waiting.append(day)
                else:
                    turned += 1
    # a patient still waiting when the arm ends was not treated; one whose wait ran out was turned away
    turned += len(waiting)
    out["decision"] = [int(x) for x in decided]
    out["duration"] = end
    out["turned_away"] = turned
    out["mean_wait"] = waited / (len(patients) + sum(out["new_n"]))
    return out


def _next_after(open_day, timing, tk, j):
    """Extension arrival j: the arrival process from the opening day, gaps from arrival values EXT_BASE +
    0..j, laid on the calendar by the cumulative rate (monthly rates counted from the arm's opening)."""
    gap, cumulative = naive_gap_and_cumulative(timing)
    target = cumulative(open_day) + sum(
        gap(latent_uniform(tk, EXT_BASE + k, STREAM_ARRIVAL)) for k in range(j + 1)
    )
    lo, hi = open_day, open_day + 1.0
    while cumulative(hi) < target:
        hi = open_day + 2 * (hi - open_day)
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cumulative(mid) < target else (lo, mid)
    return hi


@pytest.mark.parametrize("timing", TIMINGS, ids=["poisson", "uniform", "wait", "monthly-fixed"])
@pytest.mark.parametrize("safety", [None, SAFETY], ids=["no-safety", "safety"])
def test_timed_arm_equals_the_oracle(timing, safety):
    arm = _arm(safety)
    res = simulate_arm(arm, SCEN, 80, 5, timing=timing)
    stops = 0
    for t in range(80):
        o = oracle_timed_arm(arm, SCEN, 5, t, timing)
        assert res.decision[t].tolist() == o["decision"], t
        assert res.new_n[t].tolist() == o["new_n"], t
        assert bool(res.safety_stop[t]) == o["safety_stop"], t
        assert res.time[t, A_ESCALATION] == pytest.approx(o["escalation"], rel=1e-9, abs=1e-7), t
        assert res.time[t, A_DURATION] == pytest.approx(o["duration"], rel=1e-9, abs=1e-7), t
        np.testing.assert_allclose(res.cohort_day[t], o["cohort_day"], rtol=1e-9, atol=1e-7, err_msg=str(t))
        if res.opened[t]:
            assert res.time[t, A_OPEN] <= res.time[t, A_DURATION]
        stops += o["safety_stop"]
    if safety is not None:
        assert stops > 0  # the comparison exercised safety stops


@pytest.mark.parametrize("timing", TIMINGS[:3], ids=["poisson", "uniform", "wait"])
def test_turned_away_and_waits_match_the_oracle(timing):
    """Patients turned away and the mean wait, escalation and extension together."""
    arm = _arm(SAFETY)
    res = simulate_arm(arm, SCEN, 80, 8, timing=timing)
    seen = 0
    for t in range(80):
        o = oracle_timed_arm(arm, SCEN, 8, t, timing)
        assert res.time[t, A_TURNED_AWAY] == o["turned_away"], t
        assert res.time[t, A_MEAN_WAIT] == pytest.approx(o["mean_wait"], rel=1e-9, abs=1e-9), t
        seen += o["turned_away"] > 0
    assert seen > 0


@pytest.mark.parametrize("safety", [None, SAFETY], ids=["no-safety", "safety"])
def test_instant_window_and_response_give_the_untimed_arm(safety):
    arm = _arm(safety)
    untimed = simulate_arm(arm, SCEN, 3000, 2)
    timed = simulate_arm(
        arm, SCEN, 3000, 2, timing=Timing(patients_per_month=3, dlt_window_days=0, response_days=0)
    )
    for name in ("selected", "n_at_dose", "eff_at_dose", "opened", "new_n", "counted", "responses", "tox"):
        np.testing.assert_array_equal(getattr(untimed, name), getattr(timed, name), err_msg=name)
    for name in ("decision", "look", "safety_stop"):
        np.testing.assert_array_equal(getattr(untimed, name), getattr(timed, name), err_msg=name)


def test_without_safety_the_cohorts_decide_as_untimed():
    """A cohort's patients are the same latent patients whenever they come: only the days change."""
    arm = _arm(None)
    untimed = simulate_arm(arm, SCEN, 3000, 4)
    timed = simulate_arm(arm, SCEN, 3000, 4, timing=TIMINGS[2])
    for name in ("selected", "opened", "new_n", "counted", "responses", "decision", "look"):
        np.testing.assert_array_equal(getattr(untimed, name), getattr(timed, name), err_msg=name)
    # the arm ends at its last look: the last counted patient's entry + response time, after the opening
    opened = timed.opened
    assert np.all(timed.time[opened, A_DURATION] >= timed.time[opened, A_OPEN])
    assert np.all(np.isnan(timed.cohort_day[~opened]))
    assert np.all(np.isnan(timed.time[~opened, A_OPEN]))


def test_longer_response_time_lengthens_the_arm():
    """On common random numbers the mean duration grows with the response time (not every arm does: a
    cohort paused longer lets the other cohort take the next patients and finish sooner); an arm that
    enrolled extension patients ends at least a response time after its opening."""
    arm = _arm(None)
    means = []
    for r in (0, 28, 56, 112):
        res = simulate_arm(
            arm, SCEN, 2000, 6, timing=Timing(patients_per_month=2, dlt_window_days=28, response_days=r)
        )
        means.append(res.time[:, A_DURATION].mean())
        enrolled = res.new_n.sum(axis=1) > 0
        assert np.all(res.time[enrolled, A_DURATION] >= res.time[enrolled, A_OPEN] + r)
    assert means == sorted(means) and means[-1] > means[0] + 60


def test_timed_arm_is_thread_chunk_and_block_invariant():
    arm = _arm(SAFETY)
    timing = TIMINGS[2]
    ref = simulate_arm(arm, SCEN, 2000, 9, threads=1, chunks=1, timing=timing)
    names = ["selected", "decision", "new_n", "safety_stop", "time", "cohort_day"]
    for kw in (dict(threads=2, chunks=5), dict(threads=1, chunks=3, block_trials=501)):
        other = simulate_arm(arm, SCEN, 2000, 9, timing=timing, **kw)
        for name in names:
            np.testing.assert_array_equal(getattr(ref, name), getattr(other, name), err_msg=name)
    tail = simulate_arm(arm, SCEN, 500, 9, first_trial=1500, timing=timing)
    for name in names:
        np.testing.assert_array_equal(getattr(ref, name)[1500:], getattr(tail, name), err_msg=name)


def test_escalation_is_the_timed_single_outcome_trial():
    """The timed arm's escalation is simulate_one's timed trial on the same patients, for designs that
    decide on complete cohorts and for those that decide with pending patients."""
    from dosefind import Scenario
    from dosefind.engine import simulate_one
    from dosefind.engine.calendar import T_DURATION, T_TO_SELECTED

    timing = Timing(patients_per_month=2, dlt_window_days=28, response_days=56)
    for design in (BOIN, TiteBoin(target=0.3, n_doses=5, max_n=24), RollingSix(target=0.3, n_doses=5)):
        res = simulate_arm(_arm(design=design), SCEN, 1500, 4, timing=timing)
        one = simulate_one(design, Scenario(SCEN.name, SCEN.true_tox), 1500, 4, timing=timing)
        np.testing.assert_array_equal(res.selected, one.selected)
        np.testing.assert_array_equal(res.n_at_dose, one.n_at_dose)
        np.testing.assert_array_equal(res.tox_at_dose, one.tox_at_dose)
        np.testing.assert_array_equal(res.time[:, A_ESCALATION], one.time[:, T_DURATION])
        np.testing.assert_array_equal(res.time[:, A_TO_SELECTED], one.time[:, T_TO_SELECTED])
        assert res.opened.any()
        assert np.all(res.time[:, A_MEAN_WAIT] >= 0)


def test_arm_files_read_timing_and_refuse_what_they_cannot_run():
    base = {
        "design": {"kind": "tite_boin", "target": 0.3, "n_doses": 5, "max_n": 24},
        "cohorts": [{"name": "a", "rule": "simon", "n1": 9, "r1": 1, "n": 17, "r": 3}],
        "scenarios": [{"name": "s", "true_tox": [0.1] * 5, "true_eff": [0.2] * 5}],
    }
    with pytest.raises(SpecError, match="timing"):
        arm_spec_from_dict(base)
    spec = arm_spec_from_dict(
        {**base, "timing": {"patients_per_month": 2, "dlt_window_days": 28, "response_days": 56}}
    )
    assert spec.timing.response_assessment_days == 56
    with pytest.raises(SpecError, match="timing.response_days"):
        arm_spec_from_dict(
            {**base, "timing": {"patients_per_month": 2, "dlt_window_days": 28, "response_days": -1}}
        )
    bf = dict(base, design={"kind": "boin", "target": 0.3, "n_doses": 5, "max_n": 24, "backfill": {}})
    with pytest.raises(SpecError, match="backfill"):
        arm_spec_from_dict({**bf, "timing": {"patients_per_month": 2, "dlt_window_days": 28}})
    with pytest.raises(SpecError, match="arm files only"):
        Timing.from_dict({"patients_per_month": 2, "dlt_window_days": 28, "response_days": 30})
