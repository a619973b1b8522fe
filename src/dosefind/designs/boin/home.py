"""BOIN above the engine: its reason codes as sentences, its decision table, and the isotonic estimate its
final selection uses beside the beta-binomial posterior (the spec: :mod:`.spec`; the kernels:
``engine/boin.py``)."""

from __future__ import annotations

import datetime as _dt
import math

import numpy as np

from ...constants import Reason, Status
from ...live.explain import beta_tail, rate_text
from ...report import decision_table as dt
from .. import layout as L
from ..home import DesignHome
from .spec import Boin

R = Reason
#: the codes BOIN's base rule returns
REASONS = (
    R.BOIN_ESCALATE,
    R.BOIN_STAY,
    R.BOIN_DEESCALATE,
    R.BOIN_STAY_TOP,
    R.BOIN_STAY_NEXT_ELIMINATED,
    R.BOIN_STAY_BOTTOM,
    R.BOIN_LOWEST_ELIMINATED,
    R.BOIN_EXTRASAFE,
    R.BOIN_DEESCALATE_ELIMINATED,
    R.BOIN_EARLYSTOP_N,
)
#: what BOIN with backfill adds
BACKFILL_REASONS = (R.BF_POOLED,)

BOIN_LABELS = {
    dt.Action.ESCALATE: "escalate",
    dt.Action.STAY: "stay",
    dt.Action.DEESCALATE: "de-escalate",
    dt.Action.ELIMINATE: "de-escalate and eliminate this and higher doses",
}


class BoinHome(DesignHome):
    def reason_codes(self, design):
        return REASONS + (BACKFILL_REASONS if getattr(design, "backfill", None) is not None else ())

    def live_warnings(self, design, data):
        if getattr(design, "backfill", None) is None or not data.cohorts:
            return []
        return [
            "backfill: without dates recommend replays the escalation cohorts as BOIN (BF-BOIN's decision "
            "when no backfill data conflict); give the CSV's dates (and any backfill patients as rows with "
            "phase = backfill) and --as-of for BF-BOIN's decision as of a day"
        ]

    def hold_word(self, design: Boin) -> str:
        return "wait for the cohort" if design.backfill is not None else "suspend"

    def reads_backfill(self, design: Boin) -> bool:
        return design.backfill is not None

    def decide_with_pending(self, design: Boin, clock, compiled):
        """BF-BOIN's decision as of the clock's day, by the simulation's kernels (``engine/backfill.py``):
        while the current cohort (the last ``cohort_size`` escalation patients) has a patient pending,
        the next escalation cohort waits (hold); once it is evaluated, ``bf_decide`` on the escalation
        patients and the backfill patients evaluated by then, its eliminations replayed cohort by cohort
        (each decision on the data known on the next cohort's first entry day)."""
        if design.backfill is None:
            return None
        from ...engine.backfill import bf_decide

        c = compiled
        k = design.cohort_size
        patients = clock.patients
        cur = patients[-1].dose
        weights = tuple(
            1.0 if p.status != "pending" else p.followup_days / clock.window_days for p in patients
        )
        if any(p.status == "pending" for p in patients[-k:]):
            return cur, int(Status.CONTINUE), int(R.NONE), True, weights
        elim = np.zeros(design.n_doses, dtype=np.int64)
        starts = list(range(0, len(patients), k))
        nxt = status = reason = None
        for j, first in enumerate(starts):
            last = min(first + k, len(patients))
            if j + 1 < len(starts):
                day = patients[last].entry  # the decision taken when the next cohort started
            else:
                day = clock.as_of
            esc = patients[:last]
            tot_n, tot_y = _counts(design.n_doses, esc + _evaluated(clock, day))
            esc_n, esc_y = _counts(design.n_doses, esc)
            nxt, status, reason = bf_decide(
                c.ip, c.tables, tot_n, tot_y, esc_n, esc_y, elim, patients[last - 1].dose
            )
        return int(nxt), int(status), int(reason), False, weights

    def pending_lines(self, design: Boin, clock, compiled, hold: bool) -> list[str]:
        """With backfill: while the escalation cohort is under observation, the dose a patient arriving
        that day is backfilled to (``engine.backfill.backfill_dose``, as simulated), or why none is open."""
        if design.backfill is None:
            return []
        k = design.cohort_size
        patients = clock.patients
        cur = patients[-1].dose
        if not hold:
            return []
        ends = [p.entry + _dt.timedelta(days=math.ceil(clock.window_days)) for p in patients[-k:]]
        lines = [
            f"the next escalation cohort starts when cohort {math.ceil(len(patients) / k)} is evaluated "
            f"(by {max(ends)} at the latest); meanwhile arriving patients are backfilled to an open lower "
            "dose"
        ]
        # the doses an arrival can be given (random assignment: each open dose at some u; else one)
        uniforms = [(i + 0.5) / 64 for i in range(64)] if design.backfill.assign == "random" else [0.5]
        doses = sorted({_backfill_dose_today(design, clock, compiled, u) for u in uniforms})
        doses = [d for d in doses if d >= 0]
        if doses and design.backfill.assign == "random":
            listed = ", ".join(design.doses[d] for d in doses)
            lines.append(
                f"a patient arriving on {clock.as_of} is backfilled to one of doses {listed}, at random "
                f"(the open doses below dose {design.doses[cur]}; cap {design.backfill.cap})"
            )
        elif doses:
            lines.append(
                f"a patient arriving on {clock.as_of} is backfilled to dose {design.doses[doses[0]]} "
                f"({design.backfill.assign} open dose below dose {design.doses[cur]}; "
                f"cap {design.backfill.cap})"
            )
        else:
            lines.append(
                f"no dose below dose {design.doses[cur]} is open for backfill on {clock.as_of} (a dose opens "
                "once a response has been seen there, while it is safe and below the cap): an arriving "
                "patient is not treated"
            )
        return lines

    def explain(self, design: Boin, reason, n_at, tox_at, cur, proposed, detail=None):
        lab = design.doses
        t = design.target
        n, y = int(n_at[cur]), int(tox_at[cur])
        here = f"dose {lab[cur]}"
        lam_e, lam_d = design.boundaries
        if n:
            b_e, b_d, b_elim = design.integer_boundaries(n)
        if reason == R.BOIN_ESCALATE:
            return (
                f"observed DLT rate at {here} {rate_text(y, n)} <= lambda_e {lam_e:.3f} "
                f"(escalate when DLTs <= {b_e} of {n}): escalate"
            )
        if reason == R.BOIN_STAY:
            rate = rate_text(y, n)
            return f"lambda_e {lam_e:.3f} < observed DLT rate at {here} {rate} < lambda_d {lam_d:.3f}: stay"
        if reason == R.BOIN_DEESCALATE:
            return (
                f"observed DLT rate at {here} {rate_text(y, n)} >= lambda_d {lam_d:.3f} "
                f"(de-escalate when DLTs >= {b_d} of {n}): de-escalate"
            )
        if reason == R.BOIN_STAY_TOP:
            return (
                f"observed DLT rate at {here} {rate_text(y, n)} <= lambda_e {lam_e:.3f}, "
                "but it is the highest dose: stay"
            )
        if reason == R.BOIN_STAY_NEXT_ELIMINATED:
            return (
                f"observed DLT rate at {here} {rate_text(y, n)} <= lambda_e {lam_e:.3f}, but dose "
                f"{lab[cur + 1]} is eliminated: stay"
            )
        if reason == R.BOIN_STAY_BOTTOM:
            return (
                f"observed DLT rate at {here} {rate_text(y, n)} >= lambda_d {lam_d:.3f}, "
                "but it is the lowest dose: stay"
            )
        if reason in (R.BOIN_DEESCALATE_ELIMINATED, R.BOIN_LOWEST_ELIMINATED):
            p = beta_tail(y, n, t)
            what = "de-escalate" if reason == R.BOIN_DEESCALATE_ELIMINATED else "no dose left: stop"
            return (
                f"{here} and all higher doses eliminated: P(DLT rate > {t:g} | {y}/{n}) = {p:.3f} > "
                f"{design.cutoff_eli:g}; {what}"
            )
        if reason == R.BOIN_EXTRASAFE:
            p = beta_tail(y, n, t)
            return (
                f"extra-safe rule at the lowest dose: P(DLT rate > {t:g} | {y}/{n}) = {p:.3f} > "
                f"{design.cutoff_eli - design.offset:g}; stop"
            )
        if reason == R.BF_POOLED:
            return (
                f"the decision at {here} conflicted with a backfilled lower dose: the data of the doses in "
                "between were pooled and BOIN's boundaries applied to the pool (BF-BOIN)"
            )
        if reason == R.BOIN_EARLYSTOP_N:
            cap = design.n_earlystop
            return f"{n} patients at {here} >= n_earlystop {cap} and the decision is to stay: stop"
        return None

    def elimination_lines(self, design: Boin, n_at, tox_at, newly, step):
        """Why the first newly eliminated dose (and every dose above it) went (the lowest dose's own
        sentence says so already)."""
        if not newly or step.reason == R.BOIN_LOWEST_ELIMINATED:
            return []
        dose = newly[0]
        n, y = int(n_at[dose]), int(tox_at[dose])
        higher = " and all higher doses" if dose < design.n_doses - 1 else ""
        return [
            f"dose {design.doses[dose]}{higher} eliminated: P(DLT rate > {design.target:g} | {y}/{n}) = "
            f"{beta_tail(y, n, design.target):.3f} > {design.cutoff_eli:g}"
        ]

    def posterior_extra(self, design, n_at, tox_at):
        return {"isotonic": isotonic_estimate(n_at, tox_at)}

    def decision_table(self, design: Boin, max_n):
        return boin_table(design, dt.check_max_n(max_n, design.max_n, low=1))


def _counts(n_doses: int, patients) -> tuple[np.ndarray, np.ndarray]:
    """Patients and DLTs per dose (a patient counts a DLT when its status is 'dlt')."""
    n = np.zeros(n_doses, dtype=np.int64)
    y = np.zeros(n_doses, dtype=np.int64)
    for p in patients:
        n[p.dose] += 1
        y[p.dose] += p.status == "dlt"
    return n, y


def _evaluated(clock, day) -> tuple:
    """The backfill patients whose outcome was known before ``day`` (the engine's ``evaluated``)."""
    from ...live.pending import outcome_day

    out = []
    for p in getattr(clock, "backfill", ()):
        known = outcome_day(p, clock.window_days)
        if known is not None and known < day:
            out.append(p)
    return tuple(out)


def _backfill_dose_today(design: Boin, clock, c, u: float = 0.5) -> int:
    """``engine.backfill.backfill_dose`` on the data as of the clock's day (days counted from the first
    entry; a response seen at entry + window, as bfboin): the dose an arrival that day is given, -1 none."""
    from ...engine.backfill import backfill_dose

    patients = clock.patients
    backfill = tuple(getattr(clock, "backfill", ()))
    t0 = patients[0].entry
    everyone = patients + backfill
    D = design.n_doses
    k = design.cohort_size
    n_esc = len(patients) - k  # completed escalation cohorts; the current cohort is the last k
    cur = patients[-1].dose
    window = float(clock.window_days)
    dose = np.array([p.dose for p in everyone], dtype=np.int64)
    entry = np.array([float((p.entry - t0).days) for p in everyone])
    dlt = np.array([1 if p.status == "dlt" else 0 for p in everyone], dtype=np.int64)
    tdlt = np.array([float((p.dlt_date - p.entry).days) if p.status == "dlt" else 0.0 for p in everyone])
    bf = np.array([0] * len(patients) + [1] * len(backfill), dtype=np.int64)
    esc_n, esc_y = _counts(D, patients[:n_esc])
    cohort_n, cohort_y = _counts(D, [p for p in patients[n_esc:] if p.status != "pending"])
    first_resp = np.full(D, math.inf)
    for p in patients:
        if p.efficacy:
            first_resp[p.dose] = min(first_resp[p.dose], (p.entry - t0).days + window)
    assigned = np.zeros(D, dtype=np.int64)
    for p in backfill:
        assigned[p.dose] += 1
    t = float((clock.as_of - t0).days)
    return int(
        backfill_dose(
            c.ip,
            c.tables,
            t,
            cur,
            len(everyone),
            dose,
            entry,
            dlt,
            tdlt,
            bf,
            window,
            esc_n,
            esc_y,
            int(cohort_n[cur]),
            int(cohort_y[cur]),
            first_resp,
            assigned,
            np.zeros(D, dtype=np.int64),
            np.zeros(D, dtype=np.int64),
            u,
        )
    )


def isotonic_estimate(n_at, tox_at) -> np.ndarray:
    """BOIN's final-selection estimate over the treated doses (NaN where untried).

    Weighted PAVA of (y + 0.05) / (n + 0.1) with the BOIN package's weights; the engine's own
    :func:`~dosefind.engine.isotonic.pava` kernel does the pooling.
    """
    from ...engine.isotonic import pava

    n_at = np.asarray(n_at, dtype=float)
    tox_at = np.asarray(tox_at, dtype=float)
    tried = np.flatnonzero(n_at > 0)
    out = np.full(n_at.shape, np.nan)
    m = tried.size
    if m == 0:
        return out
    n = n_at[tried] + 0.1
    y = tox_at[tried] + 0.05
    weights = 1.0 / ((y * (n_at[tried] - tox_at[tried] + 0.05)) / (n * n * (n + 1.0)))
    est = np.zeros(m)
    pava(y / n, weights, m, est, np.zeros(m), np.zeros(m))
    out[tried] = est
    return out


def boin_action(flags: int) -> dt.Action:
    """The action at a middle dose, in the precedence the engine's BOIN kernel gives the flags."""
    if flags & L.BOIN_ELIM:  # de-escalation is implied: the boundary is capped at elimination
        return dt.Action.ELIMINATE
    if flags & L.BOIN_ESC:
        return dt.Action.ESCALATE
    if flags & L.BOIN_DEESC:
        return dt.Action.DEESCALATE
    return dt.Action.STAY


def boin_rows(design, max_n: int, labels: dict):
    """BOIN's per-(n, y) actions and integer boundaries, read from the compiled table ``decide`` reads
    (shared by BOIN and BOIN for combinations): (compiled, flags, ns, rows, boundaries)."""
    compiled = design.compile(max_n)
    flags = compiled.tables[0]
    ns = tuple(range(1, max_n + 1))
    rows = []
    for n in ns:
        for y in range(n + 1):
            action = boin_action(int(flags[n, y]))
            rows.append(dt.DecisionRow(n, y, action, labels[action]))
    bounds = [design.integer_boundaries(n) for n in ns]
    boundaries = [
        dt.BoundaryRow("escalate_at_most", "Escalate if # of DLT <=", tuple(b[0] for b in bounds)),
        dt.BoundaryRow("deescalate_at_least", "De-escalate if # of DLT >=", tuple(b[1] for b in bounds)),
        dt.BoundaryRow("eliminate_at_least", "Eliminate if # of DLT >=", tuple(b[2] for b in bounds)),
    ]
    return compiled, flags, ns, rows, boundaries


def boin_table(design: Boin, max_n: int) -> dt.DecisionTable:
    compiled, flags, ns, rows, boundaries = boin_rows(design, max_n, BOIN_LABELS)
    if design.extrasafe:
        boundaries.append(
            dt.BoundaryRow(
                "extrasafe_stop_at_least",
                "Stop trial if # of DLT >= (lowest dose, extrasafe)",
                tuple(dt.first_flagged(flags[n, : n + 1], L.BOIN_EXTRASAFE_STOP) for n in ns),
            )
        )
    boundaries += dt.too_toxic_rows(design, compiled, ns)
    lam_e, lam_d = design.boundaries
    notes = [
        "n is the number of patients treated at the current dose and y the DLTs among them; "
        + dt.decision_points(design, max_n),
        f"Escalate if y <= floor({lam_e:.4f} n), de-escalate if y > {lam_d:.4f} n (lambda_e, lambda_d "
        f"for phi1 = {design.phi1:g}, phi2 = {design.phi2:g}); stay otherwise.",
        f"Eliminate (DU) if n >= 3 and P(DLT rate > {design.target:g} | data) > {design.cutoff_eli:g} "
        "(Beta(1, 1) prior): the dose and all higher doses are removed and the next cohort goes one dose "
        "lower; at the lowest dose the trial stops with no dose selected. The de-escalation boundary is "
        "capped at the elimination boundary (BOIN R package convention).",
        "At the highest dose E means stay; at the lowest dose D means stay; E also means stay when the "
        "next higher dose has been eliminated.",
    ]
    if design.n_earlystop is not None:
        where = (
            f"n >= {design.n_earlystop}"
            if design.n_earlystop <= max_n
            else f"n >= {design.n_earlystop}, beyond the columns shown"
        )
        notes.append(
            f"n_earlystop = {design.n_earlystop}: with {where}, a decision to stay at the dose just treated "
            "(S, or E blocked at the highest dose or by an eliminated dose, or D blocked at the lowest "
            "dose) stops the trial and selects the MTD."
        )
    if design.extrasafe:
        notes.append(
            f"extrasafe (offset {design.offset:g}): at the lowest dose only, the trial stops with no dose "
            f"selected when n >= 3 and P(DLT rate > {design.target:g} | data) > "
            f"{design.cutoff_eli - design.offset:g} (the 'extrasafe' row); other doses are unaffected."
        )
    notes += dt.modifier_notes(design)
    notes.append(f"The trial stops when {design.max_n} patients in total have been treated (max_n).")
    return dt.DecisionTable(
        design.name,
        design.kind,
        design.target,
        max_n,
        ns,
        tuple(rows),
        tuple(boundaries),
        tuple(notes),
        design.config_hash(),
        action_labels=BOIN_LABELS,
    )
