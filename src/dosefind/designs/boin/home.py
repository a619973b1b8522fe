"""BOIN above the engine: its reason codes as sentences, its decision table, and the isotonic estimate its
final selection uses beside the beta-binomial posterior (the spec: :mod:`.spec`; the kernels:
``engine/boin.py``)."""

from __future__ import annotations

import numpy as np

from ...constants import Reason
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
            "backfill: recommend replays the escalation cohorts as BOIN; the decision that pools the current "
            "dose with backfilled lower doses (BF-BOIN) is simulated but not yet read from live data"
        ]

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
