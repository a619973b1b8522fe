"""Calendar time of cohort designs (engine/calendar.py) against a naive event-by-event oracle, closed
forms, and the invariants the timed model promises: the same trials as untimed, thread and chunk
invariance, durations that never shrink when the window grows (common random numbers)."""

import math

import numpy as np
import pytest

from dosefind import Boin, Crm, Scenario, ThreePlusThree
from dosefind.engine import simulate_one
from dosefind.engine.calendar import T_DURATION, T_MEAN_WAIT, T_SUSPENDED, T_TO_SELECTED, T_TURNED_AWAY
from dosefind.engine.rng import STREAM_ARRIVAL, latent_uniforms
from dosefind.errors import SpecError
from dosefind.oc import operating_characteristics
from dosefind.scenario.timing import DAYS_PER_MONTH, Timing

SCEN = Scenario("mid", (0.05, 0.1, 0.2, 0.3, 0.45, 0.6))
DESIGNS = [
    Boin(target=0.25, n_doses=6, max_n=24),
    ThreePlusThree(target=0.25, n_doses=6, max_n=36),
    Crm(target=0.25, n_doses=6, skeleton=(0.05, 0.1, 0.2, 0.3, 0.45, 0.6), max_n=18, cohort_size=2),
]
TIMINGS = [
    Timing(patients_per_month=2, dlt_window_days=28),
    Timing(patients_per_month=(0.5, 0, 2, 3), dlt_window_days=28),
    Timing(
        patients_per_month=(1, 3), dlt_window_days=21, accrual="uniform", suspension="wait", max_wait_days=7
    ),
    Timing(patients_per_month=3, dlt_window_days=42, accrual="uniform"),
    Timing(patients_per_month=1.5, dlt_window_days=28, accrual="fixed", suspension="wait", max_wait_days=10),
    Timing(patients_per_month=4, dlt_window_days=21, suspension="wait", max_wait_days=30),
]


def naive_gap_and_cumulative(timing):
    """The gap in expected arrivals from a latent value (exponential mean 1, U(0, 2) or 1), and the
    expected arrivals by day t (monthly rates, the last continuing)."""
    month = 365.25 / 12
    rates = timing.patients_per_month
    rates = list(rates) if isinstance(rates, tuple) else [rates]
    gap = {"poisson": lambda u: -math.log(u), "uniform": lambda u: 2 * u, "fixed": lambda u: 1.0}[
        timing.accrual
    ]

    def cumulative(t):
        total, m = 0.0, 0
        while True:
            r = rates[min(m, len(rates) - 1)] / month
            if m >= len(rates) - 1 or t <= (m + 1) * month:
                return total + r * (t - m * month)
            total += r * month
            m += 1

    return gap, cumulative


def naive_arrivals(u_arrival, timing):
    """Arrival days, one at a time as they are asked for: gaps in expected arrivals summed, then the day
    on which the cumulative rate reaches each sum, by bisection down to adjacent floats."""
    gap, cumulative = naive_gap_and_cumulative(timing)
    for s in np.cumsum([gap(u) for u in u_arrival]):
        lo, hi = 0.0, 1.0
        while cumulative(hi) < s:
            hi *= 2
        for _ in range(200):
            mid = (lo + hi) / 2
            if mid in (lo, hi):  # lo and hi adjacent: no further step changes them
                break
            lo, hi = (mid, hi) if cumulative(mid) < s else (lo, mid)
        yield hi


def naive_calendar(u_arrival, n_total, cohort, timing, doses, selected):
    """Event by event, from the documented rules (scenario/timing.py), in plain Python."""
    arrivals = iter(naive_arrivals(u_arrival, timing))
    entries, waits, turned, suspended, t_open, decision = [], [], 0, 0.0, 0.0, 0.0
    cohorts = [min(cohort, n_total - i) for i in range(0, n_total, cohort)]
    for c, size in enumerate(cohorts):
        for _ in range(size):
            while True:
                a = next(arrivals)
                if a >= t_open:
                    entries.append(a)
                    waits.append(0.0)
                    break
                if timing.suspension == "wait" and t_open - a <= timing.max_wait_days:
                    entries.append(t_open)
                    waits.append(t_open - a)
                    break
                turned += 1
        decision = entries[-1] + timing.dlt_window_days
        if c < len(cohorts) - 1:
            suspended += decision - entries[-1]
            t_open = decision
    first = [entries[i] for i in range(n_total) if doses[i] == selected]
    to_sel = first[0] if first else math.nan  # none selected, or a dose never given (CRM)
    return decision, turned, sum(waits) / n_total, suspended, to_sel


def _doses(res, t):
    """The dose of each patient of trial t in treatment order, rebuilt by replaying it."""
    from dosefind.engine.replay import replay_simulated_trial

    trace = replay_simulated_trial(res.design, res.scenario, res.seed, t)
    return [c.dose for c in trace.cohorts for _ in range(c.n)]


@pytest.mark.parametrize("design", DESIGNS, ids=lambda d: d.kind)
@pytest.mark.parametrize("timing", TIMINGS, ids=lambda t: f"{t.accrual}-{t.suspension}")
def test_calendar_matches_the_naive_oracle(design, timing):
    n_trials = 60
    res = simulate_one(design, SCEN, n_trials, 9, timing=timing)
    untimed = simulate_one(design, SCEN, n_trials, 9)
    for field in ("selected", "n_at_dose", "tox_at_dose", "status", "reason"):
        assert np.array_equal(getattr(res, field), getattr(untimed, field)), field
    u = latent_uniforms(9, SCEN.key, n_trials, 400, stream=STREAM_ARRIVAL)
    for t in range(n_trials):
        n = int(res.n_total[t])
        want = naive_calendar(u[t], n, design.cohort_size, timing, _doses(res, t), int(res.selected[t]))
        got = res.time[t]
        cols = (T_DURATION, T_TURNED_AWAY, T_MEAN_WAIT, T_SUSPENDED, T_TO_SELECTED)
        for col, w in zip(cols, want, strict=True):
            if math.isnan(w):
                assert math.isnan(got[col])
            else:
                assert got[col] == pytest.approx(w, rel=1e-9, abs=1e-7), (t, col)


def test_fixed_accrual_closed_form():
    """One patient every 10 days, a 25-day window, cohorts of 3, 24 patients (BOIN never stops early
    here): cohort c enters on days 10 + 50c, 20 + 50c, 30 + 50c and is decided on day 55 + 50c; the
    arrivals on days 40 + 50c and 50 + 50c are turned away after each of the first 7 cohorts."""
    timing = Timing(patients_per_month=DAYS_PER_MONTH / 10, dlt_window_days=25, accrual="fixed")
    scen = Scenario("safe", (0.01, 0.02, 0.03, 0.04, 0.05, 0.06))
    res = simulate_one(Boin(target=0.25, n_doses=6, max_n=24), scen, 50, 1, timing=timing)
    assert np.all(res.n_total == 24)
    assert np.allclose(res.time[:, T_DURATION], 55 + 50 * 7)
    assert np.all(res.time[:, T_TURNED_AWAY] == 14)
    assert np.allclose(res.time[:, T_SUSPENDED], 7 * 25)
    oc = operating_characteristics(res)
    assert oc.values["duration_days"] == pytest.approx(405) and oc.mcse["duration_days"] == 0


@pytest.mark.parametrize("accrual", ["poisson", "uniform"])
def test_mean_duration_without_window_is_n_over_rate(accrual):
    """With a window of 0 no one waits or is turned away and the duration is the arrival of the n-th
    patient: mean n / rate for both accruals (mean gap 1 / rate); checked within 4 MCSE."""
    timing = Timing(patients_per_month=2, dlt_window_days=0, accrual=accrual)
    scen = Scenario("safe", (0.01, 0.02, 0.03, 0.04, 0.05, 0.06))
    res = simulate_one(Boin(target=0.25, n_doses=6, max_n=24), scen, 20000, 2, timing=timing)
    assert np.all(res.time[:, T_TURNED_AWAY] == 0) and np.all(res.time[:, T_SUSPENDED] == 0)
    oc = operating_characteristics(res)
    expected = 24 / timing.rate_per_day
    assert abs(oc.values["duration_days"] - expected) < 4 * oc.mcse["duration_days"]


def test_duration_never_shrinks_with_a_longer_window():
    design = DESIGNS[0]
    prev = None
    for window in (0, 7, 28, 56):
        res = simulate_one(design, SCEN, 300, 4, timing=Timing(patients_per_month=2, dlt_window_days=window))
        if prev is not None:
            assert np.all(res.time[:, T_DURATION] >= prev - 1e-9)
        prev = res.time[:, T_DURATION]


def test_calendar_is_thread_and_chunk_invariant():
    timing = TIMINGS[0]
    a = simulate_one(DESIGNS[2], SCEN, 3000, 5, timing=timing, threads=1, chunks=1)
    b = simulate_one(DESIGNS[2], SCEN, 3000, 5, timing=timing, chunks=7, block_trials=1000)
    c = simulate_one(DESIGNS[2], SCEN, 1000, 5, timing=timing, first_trial=2000)
    assert np.array_equal(a.time, b.time, equal_nan=True)
    assert np.array_equal(a.time[2000:], c.time, equal_nan=True)


@pytest.mark.parametrize(
    "changes, field",
    [
        (dict(patients_per_month=0), "patients_per_month"),
        (dict(patients_per_month=-1), "patients_per_month"),
        (dict(dlt_window_days=-3), "dlt_window_days"),
        (dict(accrual="weekly"), "accrual"),
        (dict(suspension="wait"), "max_wait_days"),
        (dict(max_wait_days=5), "max_wait_days"),
    ],
)
def test_bad_timing_names_the_field(changes, field):
    kw = dict(patients_per_month=2, dlt_window_days=28)
    kw.update(changes)
    with pytest.raises(SpecError) as e:
        Timing(**kw)
    assert e.value.field == field


def test_timing_from_dict_names_the_section():
    with pytest.raises(SpecError, match=r"timing\.dlt_window_days: missing"):
        Timing.from_dict({"patients_per_month": 2})
    with pytest.raises(SpecError, match=r"timing\.rate: unknown field"):
        Timing.from_dict({"patients_per_month": 2, "dlt_window_days": 28, "rate": 3})
    t = Timing.from_dict(
        {"patients_per_month": 2, "dlt_window_days": 28, "suspension": "wait", "max_wait_days": 7}
    )
    assert Timing.from_dict(t.to_dict()) == t


def test_monthly_rates_closed_form():
    """Fixed accrual at one expected arrival per 20 days in month 1, then one per 10 days: the first
    arrival is on day 20; the second needs 1 expected arrival, of which month 1 has (30.4375 - 20) / 20
    left, the rest taking (1 - 0.521875) x 10 days of month 2: day 35.21875; then every 10 days."""
    timing = Timing(
        patients_per_month=(DAYS_PER_MONTH / 20, DAYS_PER_MONTH / 10), dlt_window_days=0, accrual="fixed"
    )
    scen = Scenario("safe", (0.01, 0.02, 0.03, 0.04, 0.05, 0.06))
    res = simulate_one(Boin(target=0.25, n_doses=6, max_n=6), scen, 5, 1, timing=timing)
    assert np.allclose(res.time[:, T_DURATION], 35.21875 + 4 * 10, rtol=0, atol=1e-9)


def test_monthly_rates_validated():
    with pytest.raises(SpecError) as e:
        Timing(patients_per_month=(2, 0), dlt_window_days=28)
    assert e.value.field == "patients_per_month[1]"
    with pytest.raises(SpecError) as e:
        Timing(patients_per_month=(2, -1, 3), dlt_window_days=28)
    assert e.value.field == "patients_per_month[1]"
    t = Timing.from_dict({"patients_per_month": [1, 2], "dlt_window_days": 28})
    assert t.patients_per_month == (1.0, 2.0) and Timing.from_dict(t.to_dict()) == t
    assert Timing(patients_per_month=[2], dlt_window_days=28).patients_per_month == 2.0
