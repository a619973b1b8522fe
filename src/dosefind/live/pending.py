"""Live decisions with pending patients: the trial's dates read as of a day (``recommend --as-of``).

A trial data file gives each patient's dates (ISO ``YYYY-MM-DD``):

* ``entry_date`` (or ``start_date``, ``treatment_date``): the first day of treatment, required;
* ``dlt_date`` (or ``toxicity_date``): the day a DLT was seen, required on a row with ``dlt = 1``;
* ``end_of_followup_date`` (or ``followup_end_date``): optional, the day the DLT window was completed
  when it was not entry + window (e.g. a delayed assessment).

As of a day A, with window W days, a patient is: a DLT (``dlt = 1`` and ``dlt_date`` <= A; follow-up
ends on the DLT's day); complete (no DLT known, and A - entry >= W, or ``end_of_followup_date`` <= A);
or pending, followed A - entry days (a DLT dated after A is not yet known: the patient is pending on A).

Designs that decide with pending patients (TITE-CRM, TITE-BOIN, rolling six) then decide exactly as in
their simulations, through the same kernels (:func:`dosefind.engine.tite.decide_pending`,
:func:`dosefind.engine.tite.tite_crm_dose`), and the decision is followed forward day by day assuming no
new DLT, to give the first day it changes ("if no DLT is reported by 2026-03-28: escalate"). Other
designs decide on complete cohorts; with ``--as-of`` they are told which patients are still in their
window and until when.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, replace

import numpy as np

from ..constants import Reason, Status
from ..designs import Design
from ..designs.home import home_of
from ..errors import DataError
from ..outcomes import TrialData

ENTRY = ("entry_date", "start_date", "treatment_date")
DLT_DATE = ("dlt_date", "toxicity_date")
END = ("end_of_followup_date", "followup_end_date")


@dataclass(frozen=True)
class PatientClock:
    """One patient as of the day: status ``dlt``, ``complete`` or ``pending``, follow-up in days."""

    patient_id: str
    dose: int  #: 0-based
    line: int | None
    entry: _dt.date
    dlt: bool  #: a DLT recorded (it may be dated after the day)
    dlt_date: _dt.date | None
    end: _dt.date | None
    status: str
    followup_days: float
    efficacy: bool | None = None  #: the response recorded (None: not assessed, or no response column)

    @property
    def window_end(self) -> _dt.date | None:
        return self.end


@dataclass(frozen=True)
class Clock:
    """The trial's patients as of ``as_of`` with a DLT window of ``window_days``."""

    as_of: _dt.date
    window_days: float
    patients: tuple[PatientClock, ...]
    #: built from the notation's follow-up days (``P<days>``), not from dates: ``as_of`` is a nominal day
    nominal: bool = False
    #: backfill patients (designs with [design.backfill]) as of the day, in treatment order
    backfill: tuple[PatientClock, ...] = ()

    def when(self, day: _dt.date) -> str:
        """A day in words: its date, or with a nominal clock the days from now."""
        if not self.nominal:
            return str(day)
        k = (day - self.as_of).days
        return "now" if k == 0 else f"in {k} day{'s' if k != 1 else ''}"

    def arrays(self, n_doses: int):
        """Per dose: patients treated, DLTs seen, pending, and the pending follow-up in windows, summed."""
        n_at = np.zeros(n_doses, dtype=np.int64)
        tox_at = np.zeros(n_doses, dtype=np.int64)
        pend_at = np.zeros(n_doses, dtype=np.int64)
        stft_at = np.zeros(n_doses)
        for p in self.patients:
            n_at[p.dose] += 1
            if p.status == "dlt":
                tox_at[p.dose] += 1
            elif p.status == "pending":
                pend_at[p.dose] += 1
                stft_at[p.dose] += p.followup_days / self.window_days
        return n_at, tox_at, pend_at, stft_at

    def later(self, day: _dt.date) -> Clock:
        """The same patients on a later ``day``, assuming no DLT beyond those seen now."""
        return Clock(
            day,
            self.window_days,
            tuple(_status(p, day, self.window_days, self.as_of) for p in self.patients),
            self.nominal,
            tuple(_status(p, day, self.window_days, self.as_of) for p in self.backfill),
        )

    @property
    def pending(self) -> tuple[PatientClock, ...]:
        return tuple(p for p in self.patients if p.status == "pending")

    def last_window_end(self) -> _dt.date | None:
        """The day the last pending patient completes the window (None: nobody pending)."""
        ends = [_window_end(p, self.window_days) for p in self.pending]
        return max(ends) if ends else None


def outcome_day(p: PatientClock, window_days: float) -> _dt.date | None:
    """The day a patient's DLT outcome became known: the DLT's day, or the end of the window (or of
    follow-up) without one; None while the patient is pending."""
    if p.status == "dlt":
        return p.dlt_date
    if p.status == "complete":
        full = p.entry + _dt.timedelta(days=math.ceil(window_days))
        return full if p.end is None else min(p.end, full)
    return None


def _window_end(p: PatientClock, window_days: float) -> _dt.date:
    if p.end is not None:
        return p.end
    return p.entry + _dt.timedelta(days=math.ceil(window_days))


def _status(
    p: PatientClock, day: _dt.date, window_days: float, known_by: _dt.date | None = None
) -> PatientClock:
    """``p`` as of ``day``; DLTs count only if dated on or before ``known_by`` (default: the day)."""
    seen_by = day if known_by is None else known_by
    if p.dlt and p.dlt_date is not None and p.dlt_date <= seen_by:
        status, fu = "dlt", float((p.dlt_date - p.entry).days)
    elif (p.end is not None and p.end <= day) or (day - p.entry).days >= window_days:
        status, fu = "complete", float(window_days)
    else:
        status, fu = "pending", float((day - p.entry).days)
    return PatientClock(
        p.patient_id, p.dose, p.line, p.entry, p.dlt, p.dlt_date, p.end, status, fu, p.efficacy
    )


#: the nominal "today" of a clock built from the notation's follow-up days
NOMINAL_DAY = _dt.date(2000, 1, 1)


def clock_from_notation(data: TrialData, window_days: float) -> Clock:
    """The clock of data written in the notation with pending patients (``P<days>``): a pending patient
    followed that many days, every other patient complete (a DLT's day unknown: the start of its window),
    on a nominal day."""
    if not (isinstance(window_days, (int, float)) and math.isfinite(window_days) and window_days > 0):
        raise DataError(
            f"--window-days: {window_days!r} is not a DLT window; give the window in days, e.g. 28 (or a "
            "[timing] section with dlt_window_days in the design file)"
        )
    out = []
    full = _dt.timedelta(days=math.ceil(window_days))
    for p in data.patients:
        if p.pending_days is not None:
            if p.pending_days >= window_days:
                raise DataError(
                    f"outcomes: patient {p.patient_id} is written pending (P{p.pending_days:g}) but followed "
                    f"the whole {window_days:g}-day window; write N (or T) for a complete patient"
                )
            entry = NOMINAL_DAY - _dt.timedelta(days=int(p.pending_days))
            out.append(
                PatientClock(
                    p.patient_id,
                    p.dose,
                    p.line,
                    entry,
                    False,
                    None,
                    None,
                    "pending",
                    p.pending_days,
                    p.efficacy,
                )
            )
        elif p.dlt:
            entry = NOMINAL_DAY - full
            out.append(
                PatientClock(p.patient_id, p.dose, p.line, entry, True, entry, None, "dlt", 0.0, p.efficacy)
            )
        else:
            entry = NOMINAL_DAY - full
            out.append(
                PatientClock(
                    p.patient_id,
                    p.dose,
                    p.line,
                    entry,
                    False,
                    None,
                    None,
                    "complete",
                    float(window_days),
                    p.efficacy,
                )
            )
    return Clock(NOMINAL_DAY, float(window_days), tuple(out), nominal=True)


def parse_day(value: str, field: str = "--as-of") -> _dt.date:
    try:
        return _dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise DataError(f"{field}: {value!r} is not a date; write YYYY-MM-DD, e.g. 2026-03-14") from None


def check_window(window_days) -> None:
    """A DataError unless ``window_days`` is a DLT window (a positive number of days)."""
    if not (isinstance(window_days, (int, float)) and math.isfinite(window_days) and window_days > 0):
        raise DataError(
            f"--window-days: {window_days!r} is not a DLT window; give the window in days, e.g. 28 (or a "
            "[timing] section with dlt_window_days in the design file)"
        )


def read_clock(data: TrialData, as_of: _dt.date, window_days: float) -> Clock:
    """Every escalation patient's status as of ``as_of`` (see the module docstring), or a DataError naming
    the patient, its line and the fix."""
    check_window(window_days)
    src = data.source or "data"
    out = []
    last = None
    for p in data.patients:
        where = f"{src}, line {p.line}" if p.line is not None else f"{src}, patient {p.patient_id}"
        c = patient_clock(p, as_of, window_days, src)
        if last is not None and c.entry < last[1]:
            raise DataError(
                f"{where}: patient {p.patient_id} entered on {c.entry}, before patient {last[0]} ({last[1]}) "
                "listed above; list patients in the order they were treated, or correct the date"
            )
        last = (p.patient_id, c.entry)
        out.append(c)
    backfill = tuple(patient_clock(p, as_of, window_days, src) for p in data.backfill)
    return Clock(as_of, float(window_days), tuple(out), backfill=backfill)


def patient_clock(p, as_of: _dt.date, window_days: float, src: str = "data") -> PatientClock:
    """One patient's status as of ``as_of`` from their dates, or a DataError naming the patient, its line
    (in ``src``) and the fix."""
    where = f"{src}, line {p.line}" if p.line is not None else f"{src}, patient {p.patient_id}"
    dates = dict(p.dates)
    entry = _pick(dates, ENTRY)
    if entry is None:
        raise DataError(
            f"{where}: patient {p.patient_id} has no entry date; add a column 'entry_date' (YYYY-MM-DD) "
            "with every patient's first day of treatment"
        )
    entry = _dt.date.fromisoformat(entry)
    if entry > as_of:
        raise DataError(
            f"--as-of {as_of} is before patient {p.patient_id}'s entry on {entry} ({where}); give a day "
            "on or after the last entry"
        )
    dlt_text = _pick(dates, DLT_DATE)
    dlt_date = _dt.date.fromisoformat(dlt_text) if dlt_text else None
    if p.dlt and dlt_date is None:
        raise DataError(
            f"{where}: patient {p.patient_id} has a DLT but no dlt_date; add the day the DLT was seen "
            "(column 'dlt_date', YYYY-MM-DD)"
        )
    if not p.dlt and dlt_date is not None:
        raise DataError(
            f"{where}: patient {p.patient_id} has a dlt_date ({dlt_date}) but dlt = 0; set dlt = 1 or "
            "clear the date"
        )
    if dlt_date is not None:
        if dlt_date < entry:
            raise DataError(
                f"{where}: patient {p.patient_id}'s DLT date {dlt_date} is before the entry date "
                f"{entry}; "
                "correct one of them"
            )
        if (dlt_date - entry).days >= window_days:
            raise DataError(
                f"{where}: patient {p.patient_id}'s DLT on {dlt_date} is {(dlt_date - entry).days} days "
                f"after entry, outside the {window_days:g}-day DLT window; correct the date, or record "
                "it as not a DLT"
            )
    end_text = _pick(dates, END)
    end = _dt.date.fromisoformat(end_text) if end_text else None
    if end is not None and end < entry:
        raise DataError(
            f"{where}: patient {p.patient_id}'s end of follow-up {end} is before the entry date {entry}; "
            "correct one of them"
        )
    base = PatientClock(p.patient_id, p.dose, p.line, entry, p.dlt, dlt_date, end, "", 0.0, p.efficacy)
    return _status(base, as_of, window_days)


def _pick(dates: dict, names) -> str | None:
    for name in names:
        if dates.get(name):
            return dates[name]
    return None


@dataclass(frozen=True)
class PastDecision:
    """The design's decision on the day patient ``index`` (0-based) entered, on the patients before it."""

    index: int
    patient_id: str
    day: _dt.date
    given: int  #: 0-based dose the patient was treated at
    design_next: int | None  #: the design's dose (None: it had stopped)
    suspended: bool  #: accrual was suspended that day

    @property
    def followed(self) -> bool:
        return self.design_next == self.given and not self.suspended


@dataclass(frozen=True)
class PendingDecision:
    """A design's decision on the data as of a day, with pending patients."""

    clock: Clock
    cur: int  #: 0-based dose of the last patient
    next_dose: int | None  #: None: the trial stops
    status: Status
    reason: Reason | int
    suspend: bool
    decision: str  #: "escalate", "stay", "de-escalate", "stop", "suspend", "complete the cohort"
    lines: tuple[str, ...]  #: what the numbers were
    change_day: _dt.date | None  #: first day the decision changes if no new DLT is reported
    change_to: str | None  #: the decision then
    weights: tuple[float, ...] = ()  #: each patient's weight in the likelihood (1: DLT or complete)
    history: tuple[PastDecision, ...] = ()  #: the design's decision at each earlier decision point
    #: ``lines[0]`` is the design's own sentence for a decision with pending patients (its home's
    #: ``pending_sentence``), which replaces the reason sentence that reads only the counts
    explained: bool = False

    def to_dict(self, design: Design) -> dict:
        n_at, tox_at, pend_at, stft_at = self.clock.arrays(design.n_doses)
        return {
            "as_of": self.clock.as_of.isoformat(),
            "window_days": self.clock.window_days,
            "accrual_suspended": self.suspend,
            "decision": self.decision,
            "next_change_date": None if self.change_day is None else self.change_day.isoformat(),
            "next_change_decision": self.change_to,
            "last_window_end": _iso(self.clock.last_window_end()),
            "doses": [
                {
                    "label": design.doses[d],
                    "n": int(n_at[d]),
                    "dlt_seen": int(tox_at[d]),
                    "pending": int(pend_at[d]),
                    "pending_followup_windows": float(stft_at[d]),
                }
                for d in range(design.n_doses)
            ],
            "patients": [
                {
                    "patient_id": p.patient_id,
                    "dose": design.doses[p.dose],
                    "entry_date": p.entry.isoformat(),
                    "status": p.status,
                    "followup_days": p.followup_days,
                    "weight": self.weights[i] if self.weights else None,
                }
                for i, p in enumerate(self.clock.patients)
            ],
            **(
                {
                    "backfill": [
                        {
                            "patient_id": p.patient_id,
                            "dose": design.doses[p.dose],
                            "entry_date": p.entry.isoformat(),
                            "status": p.status,
                            "followup_days": p.followup_days,
                        }
                        for p in self.clock.backfill
                    ]
                }
                if self.clock.backfill
                else {}
            ),
        }


def _iso(day):
    return None if day is None else day.isoformat()


def _move(status, cur, nxt, suspend) -> str:
    if suspend:
        return "suspend"
    if status != Status.CONTINUE:
        return "stop"
    return "escalate" if nxt > cur else ("de-escalate" if nxt < cur else "stay")


def _decide(design: Design, clock: Clock, c):
    """(next dose, status, reason, suspend, weights) by the design's kernel (compiled: ``c``) on the data
    as of the clock: the design home's own (TITE-CRM's), else ``engine.tite.decide_pending`` and the
    modifiers."""
    from ..engine.decisions import apply_modifiers
    from ..engine.tite import decide_pending

    home = home_of(design)
    own = home.decide_with_pending(design, clock, c)
    if own is not None:
        nxt, status, reason, hold, weights = own
        return int(nxt), Status(int(status)), _reason(int(reason)), bool(hold), weights
    patients = clock.patients
    cur = patients[-1].dose
    n_at, tox_at, pend_at, stft_at = clock.arrays(design.n_doses)
    admissible = home.admissible_as_of(design, tox_at, cur)
    nxt, status, reason, hold = decide_pending(
        c.ip, c.fp, c.tables, n_at, tox_at, pend_at, stft_at, admissible, cur
    )
    if hold == 0 and c.mods.shape[0] > 0:
        nxt, status, reason = apply_modifiers(
            c.mods, c.tables, n_at, tox_at, cur, nxt, status, reason, len(patients)
        )
    w = tuple(1.0 if p.status != "pending" else p.followup_days / clock.window_days for p in patients)
    return int(nxt), Status(int(status)), _reason(int(reason)), bool(hold), w


def _reason(code: int):
    from ..constants import reason_from_code

    return reason_from_code(code)


def pending_decision(design: Design, data: TrialData, clock: Clock) -> PendingDecision:
    """The decision of a design that decides with pending patients (``uses_pending``) on the data as of
    the clock's day, and the first later day it changes if no new DLT is reported."""
    if not data.cohorts:
        raise DataError("--as-of: the data have no patients yet; the first patient starts at the start dose")
    patients = clock.patients
    cur = patients[-1].dose
    unit = design.unit
    lab = design.doses
    c = design.compile(max(design.max_n, data.n_total))
    history = () if clock.nominal else past_decisions(design, data, clock, c)
    if data.n_total >= design.max_n:
        end = clock.last_window_end()
        line = (
            f"{data.n_total} patients treated = max_n {design.max_n}: no more patients; the final selection "
            "is "
            + (f"made once every window is complete ({end})" if end else "made on the complete data now")
        )
        return PendingDecision(
            clock,
            cur,
            None,
            Status.STOP_SELECT,
            Reason.MAX_N,
            False,
            "stop",
            (line,),
            end,
            "select",
            (),
            history,
        )
    if design.cohort_size > 1 and data.cohorts[-1].n < design.cohort_size:
        last = data.cohorts[-1]
        line = (
            f"the last cohort has {last.n} of {design.cohort_size} patients: the next patient completes it "
            "at "
            f"{unit} {lab[cur]} (decisions are taken when a cohort is complete)"
        )
        return PendingDecision(
            clock,
            cur,
            cur,
            Status.CONTINUE,
            Reason.NONE,
            False,
            "complete the cohort",
            (line,),
            None,
            None,
            (),
            history,
        )
    nxt, status, reason, hold, weights = _decide(design, clock, c)
    decision = _move(status, cur, nxt, hold)
    if hold:
        decision = home_of(design).hold_word(design)
    n_at, tox_at, pend_at, stft_at = clock.arrays(design.n_doses)
    lines = []
    sentence = None
    if pend_at[cur] > 0 and not hold and status == Status.CONTINUE:
        sentence = home_of(design).pending_sentence(
            design, int(n_at[cur]), int(tox_at[cur]), int(pend_at[cur]), float(stft_at[cur]), decision
        )
        if sentence:
            lines.append(sentence)
    lines += [
        f"{'now' if clock.nominal else f'as of {clock.as_of}'}: at {unit} {lab[cur]}, {n_at[cur]} treated, "
        f"{tox_at[cur]} DLT(s) seen, "
        f"{pend_at[cur]} pending (follow-up {stft_at[cur]:.2f} windows in total, window "
        f"{clock.window_days:g} days)"
    ]
    own_lines = home_of(design).pending_lines(design, clock, c, hold)
    if own_lines:
        lines += own_lines
    elif hold:
        lines.append("accrual is suspended: the next patient cannot be treated until results come in")
    # follow the decision forward, assuming no new DLT, to the first day it changes
    change_day = change_to = None
    end = clock.last_window_end()
    if end is not None and status == Status.CONTINUE:
        day = clock.as_of
        while day < end:
            day = day + _dt.timedelta(days=1)
            later = clock.later(day)
            n2, s2, _r2, h2, _w = _decide(design, later, c)
            move = _move(s2, cur, n2, h2)
            if (n2, h2, s2) != (nxt, hold, status):
                change_day = day
                word = "at" if move == "stay" else "to"
                change_to = move if move in ("suspend", "stop") else f"{move} {word} {unit} {lab[n2]}"
                break
        if change_day is not None:
            by = f"within {(change_day - clock.as_of).days} days" if clock.nominal else f"by {change_day}"
            lines.append(f"if no DLT is reported {by}: {change_to}")
        else:
            lines.append(
                f"no change as the pending patients complete their windows (the last on {end}) unless a DLT "
                "is reported"
            )
    return PendingDecision(
        clock,
        cur,
        nxt if status == Status.CONTINUE else None,
        status,
        reason,
        hold,
        decision,
        tuple(lines),
        change_day,
        change_to,
        weights,
        history,
        sentence is not None,
    )


def past_decisions(design: Design, data: TrialData, clock: Clock, c) -> tuple[PastDecision, ...]:
    """At each earlier decision point (the first patient of each cohort after the first; every patient
    with cohorts of 1), the design's decision on the patients before, as of that patient's entry day
    (DLTs known by then)."""
    out = []
    starts = []
    i = 0
    for cohort in data.cohorts:
        starts.append(i)
        i += cohort.n
    every = design.cohort_size == 1
    points = range(1, len(clock.patients)) if every else starts[1:]
    for k in points:
        p = clock.patients[k]
        before = Clock(
            p.entry,
            clock.window_days,
            tuple(_status(q, p.entry, clock.window_days) for q in clock.patients[:k]),
        )
        nxt, status, _reason, hold, _w = _decide(design, before, c)
        out.append(
            PastDecision(k, p.patient_id, p.entry, p.dose, nxt if status == Status.CONTINUE else None, hold)
        )
    return tuple(out)


def still_in_window(design: Design, clock: Clock) -> list[str]:
    """For a design that decides on complete cohorts: the patients still in their window as of the day."""
    pend = clock.pending
    if not pend:
        return []
    ids = ", ".join(f"{p.patient_id} (until {_window_end(p, clock.window_days)})" for p in pend)
    return [
        f"as of {clock.as_of}, {len(pend)} patient(s) are still in their DLT window: {ids}; "
        f"{design.kind} decides "
        "on complete cohorts, so this decision holds once their windows are complete without a DLT"
    ]


@dataclass(frozen=True)
class PendingOutcome:
    """One way the pending patients can end: ``dlts[d]`` of those pending at dose d have a DLT."""

    dlts: tuple[int, ...]
    next_dose: int | None  #: the design's dose once every window is complete (None: it stops)
    decision: str
    prob: float | None  #: under the scenario, given no DLT so far (None: no scenario)


def pending_outcomes(
    design: Design, data: TrialData, clock: Clock, true_tox=None
) -> tuple[PendingOutcome, ...]:
    """Every way the pending patients' DLT windows can end (how many of those pending at each dose have a
    DLT) and the design's decision once they are all complete, through the simulation kernel (backfill
    patients, which are not enumerated, counted with no DLT beyond those seen by the day). With
    ``true_tox``, each outcome's probability given that no DLT was seen so far: with uniform DLT times a
    patient followed u of W days has a DLT still to come with probability p (1 - u/W) / (1 - p u/W)."""
    import itertools

    D = design.n_doses
    c = design.compile(max(design.max_n, data.n_total))
    pend = [[p for p in clock.pending if p.dose == d] for d in range(D)]
    doses = [d for d in range(D) if pend[d]]
    chance = None
    if true_tox is not None:  # per dose, the distribution of the number of DLTs still to come
        chance = {}
        for d in doses:
            dist = np.array([1.0])
            for p in pend[d]:
                f = min(p.followup_days / clock.window_days, 1.0)
                q = true_tox[d] * (1 - f) / (1 - true_tox[d] * f) if true_tox[d] * f < 1 else 0.0
                dist = np.convolve(dist, [1 - q, q])
            chance[d] = dist
    cur = clock.patients[-1].dose
    out = []
    for ks in itertools.product(*(range(len(pend[d]) + 1) for d in doses)):
        dlts = [0] * D
        for d, k in zip(doses, ks, strict=True):
            dlts[d] = k
        # resolve: the first k pending patients at each dose have a DLT, the others complete the window
        resolved = []
        left = list(dlts)
        for p in clock.patients:
            if p.status != "pending":
                resolved.append(p)
            elif left[p.dose] > 0:
                left[p.dose] -= 1
                resolved.append(_replace_status(p, "dlt", p.followup_days))
            else:
                resolved.append(_replace_status(p, "complete", clock.window_days))
        day = clock.last_window_end() or clock.as_of
        # backfill patients on that day, with no DLT beyond those seen now (they are not enumerated)
        backfill = tuple(_status(p, day, clock.window_days, clock.as_of) for p in clock.backfill)
        end = Clock(day, clock.window_days, tuple(resolved), backfill=backfill)
        if data.n_total >= design.max_n:
            nxt, status, hold = None, Status.STOP_SELECT, False
        else:
            nxt, status, _r, hold, _w = _decide(design, end, c)
        word = _move(status, cur, nxt if nxt is not None else cur, hold)
        prob = None
        if chance is not None:
            prob = float(np.prod([chance[d][k] for d, k in zip(doses, ks, strict=True)]))
        out.append(PendingOutcome(tuple(dlts), nxt if status == Status.CONTINUE else None, word, prob))
    return tuple(out)


def _replace_status(p: PatientClock, status: str, followup: float) -> PatientClock:
    return replace(p, status=status, followup_days=followup)


def pending_outcomes_json(design: Design, data: TrialData, clock: Clock, rows) -> str:
    """JSON: provenance, the day, the window and one entry per outcome (DLTs at each dose with patients
    pending)."""
    import json

    from .. import __version__

    doses = sorted({p.dose for p in clock.pending})
    return json.dumps(
        {
            "provenance": {
                "package": "dosefind",
                "version": __version__,
                "design": design.name,
                "config_hash": design.config_hash(),
                "data_hash": data.content_hash,
                "data_source": data.source,
            },
            "as_of": clock.as_of.isoformat(),
            "window_days": clock.window_days,
            "outcomes": [
                {
                    "dlts": {design.doses[d]: r.dlts[d] for d in doses},
                    "decision": r.decision,
                    "next_dose": None if r.next_dose is None else design.doses[r.next_dose],
                    "prob": r.prob,
                }
                for r in rows
            ],
        },
        indent=2,
    )


def format_pending_outcomes(design: Design, clock: Clock, rows) -> str:
    """Text: one line per outcome of the pending patients, with the decision once they are complete."""
    unit = design.unit
    lab = design.doses
    doses = sorted({p.dose for p in clock.pending})
    if not doses:
        return f"as of {clock.as_of} nobody is pending: the decision is the one recommend gives"
    head = ", ".join(f"{sum(1 for p in clock.pending if p.dose == d)} at {unit} {lab[d]}" for d in doses)
    lines = [
        f"Pending patients as of {clock.as_of}: {head}; the last window ends {clock.last_window_end()}.",
        "DLTs among them, and the design's decision once every window is complete:",
    ]
    for r in rows:
        what = ", ".join(f"{r.dlts[d]} DLT(s) at {unit} {lab[d]}" for d in doses)
        nxt = ""
        if r.next_dose is not None:
            word = "at" if r.decision == "stay" else "to"
            nxt = f" {word} {unit} {lab[r.next_dose]}"
        prob = "" if r.prob is None else f"   P = {r.prob:.3f}"
        lines.append(f"  {what} -> {r.decision}{nxt}{prob}")
    return "\n".join(lines)
