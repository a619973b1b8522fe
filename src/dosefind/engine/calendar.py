"""Calendar time of a trial whose design decides on complete cohorts (see scenario/timing.py).

Such a design's decisions do not depend on when patients arrive: the next cohort always waits until the
current one has completed its DLT window. Its timed trial is therefore its untimed trial (the same
kernels, the same patients, the same decisions) laid on a calendar: patient i of the trial is the i-th
patient treated, whose toxicity value is latent value i of ``STREAM_TOX`` as in every untimed run, and
the arrivals come from ``STREAM_ARRIVAL``. :func:`cohort_calendar` lays one trial out.

Arrays in, values out; no RNG state (the arrival values are drawn from the trial key).
"""

from __future__ import annotations

import math

from ..scenario.timing import DAYS_PER_MONTH
from .jit import kernel
from .rng import STREAM_ARRIVAL, latent_uniform

# columns of the per-trial calendar output
T_DURATION = 0  #: day of the final decision (the last cohort's window completed), from the trial's opening
T_TURNED_AWAY = 1  #: patients who arrived while accrual was suspended and were not treated
T_MEAN_WAIT = 2  #: mean wait of the treated patients (days; 0 unless suspension = "wait")
T_SUSPENDED = 3  #: days with accrual suspended between cohorts
T_TO_SELECTED = 4  #: day the first patient was treated at the selected dose (nan: none selected, or untried)
N_TIME_COLUMNS = 5


@kernel
def next_arrival(t, u, ti, tf):
    """The day of the arrival after one on day ``t``, from the new arrival's latent value u (see
    scenario/timing.py): a gap in expected arrivals, exponential with mean 1 (poisson), U(0, 2)
    (uniform) or 1 (fixed), laid on the calendar through the monthly rates ``tf[4:4 + ti[3]]`` (per day;
    the last continues). With one rate this is t + gap / rate."""
    accrual = ti[0]
    if accrual == 0:
        e = -math.log(u)
    elif accrual == 1:
        e = 2.0 * u
    else:
        e = 1.0
    n = ti[3]
    if n == 1:
        return t + e / tf[4]
    m = min(int(t / DAYS_PER_MONTH), n - 1)
    while True:
        r = tf[4 + m]
        if m == n - 1:
            return t + e / r
        end = (m + 1) * DAYS_PER_MONTH
        room = r * (end - t)
        if r > 0.0 and e <= room:
            return t + e / r
        e -= room
        t = end
        m += 1


@kernel
def cohort_calendar(tk, n_total, cohort, ti, tf, pat_dose, selected, entry, out):
    """Lay out one trial of ``n_total`` patients treated in cohorts of ``cohort`` (the last one possibly
    smaller, as ``max_n`` truncates it): entry days into ``entry``, the calendar columns into ``out``.

    A cohort's patients are treated as they arrive; accrual is then suspended until the last of them has
    completed the window (``tf[1]`` days), when the decision is taken. An arrival during a suspension
    that is followed by another cohort is turned away, or (``ti[1] == 1``) waits and is treated when
    accrual reopens if its wait is at most ``tf[2]`` days. Arrivals during the final window, after which
    the trial ends, are not counted: the trial no longer needed them.
    """
    wait_mode = ti[1] == 1
    window = tf[1]
    max_wait = tf[2]
    t_open = 0.0
    arrival = 0.0
    k = 0
    turned = 0
    waited = 0.0
    suspended = 0.0
    decision = 0.0
    i = 0
    while i < n_total:
        size = min(cohort, n_total - i)
        for _ in range(size):
            while True:
                arrival = next_arrival(arrival, latent_uniform(tk, k, STREAM_ARRIVAL), ti, tf)
                k += 1
                if arrival >= t_open:
                    e = arrival
                    break
                if wait_mode and t_open - arrival <= max_wait:
                    e = t_open
                    waited += t_open - arrival
                    break
                turned += 1
            entry[i] = e
            i += 1
        decision = entry[i - 1] + window
        if i < n_total:
            suspended += decision - entry[i - 1]
            t_open = decision
    mean_wait = waited / n_total if n_total > 0 else 0.0
    store_calendar(out, decision, turned, mean_wait, suspended, pat_dose, entry, n_total, selected)


@kernel
def store_calendar(out, duration, turned_away, mean_wait, suspended, pat_dose, entry, n, selected):
    """Write one trial's calendar columns into ``out``; the day the first of the ``n`` patients was
    treated at the ``selected`` dose (nan: none selected, or a dose nobody was given)."""
    out[T_DURATION] = duration
    out[T_TURNED_AWAY] = turned_away
    out[T_MEAN_WAIT] = mean_wait
    out[T_SUSPENDED] = suspended
    out[T_TO_SELECTED] = math.nan
    if selected >= 0:
        for j in range(n):
            if pat_dose[j] == selected:
                out[T_TO_SELECTED] = entry[j]
                break
