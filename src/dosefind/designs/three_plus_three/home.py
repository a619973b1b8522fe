"""3+3 above the engine: its reason codes as sentences and its decision table (the spec: :mod:`.spec`; the
kernels: ``engine/three_plus_three.py``). Its posterior table is the house default (beta-binomial)."""

from __future__ import annotations

from ...constants import Reason, Status
from ...engine.replay import DecisionContext
from ...errors import SpecError
from ...report import decision_table as dt
from ..home import DesignHome
from .spec import ThreePlusThree

R = Reason
REASONS = (R.TPT_ESCALATE, R.TPT_EXPAND, R.TPT_DEESCALATE, R.TPT_MTD_FOUND, R.TPT_ALL_TOXIC)

#: largest number of patients at one dose in a 3+3 design
TPT_N_PER_DOSE = 6

TPT_LABELS = {
    dt.Action.ESCALATE: "escalate",
    dt.Action.STAY: "stay: treat 3 more at this dose",
    dt.Action.DEESCALATE: "dose exceeds the MTD: de-escalate or stop",
}


class ThreePlusThreeHome(DesignHome):
    def reason_codes(self, design):
        return REASONS

    def explain(self, design, reason, n_at, tox_at, cur, proposed, detail=None):
        lab = design.doses
        n, y = int(n_at[cur]), int(tox_at[cur])
        here = f"dose {lab[cur]}"
        if reason == R.TPT_ESCALATE:
            return f"{y} DLT(s) in {n} patients at {here}: escalate"
        if reason == R.TPT_EXPAND:
            return f"{y} DLT(s) in {n} patients at {here}: treat 3 more at {here}"
        if reason == R.TPT_DEESCALATE:
            return (
                f"{y} DLTs in {n} patients at {here}: MTD exceeded, de-escalate to expand dose {lab[cur - 1]}"
            )
        if reason == R.TPT_MTD_FOUND:
            return f"{y} DLT(s) in {n} patients at {here}: MTD determined, stop"
        if reason == R.TPT_ALL_TOXIC:
            return f"{y} DLTs in {n} patients at the lowest dose: no tolerable dose, stop"
        return None

    def decision_table(self, design: ThreePlusThree, max_n):
        limit = min(design.max_n, TPT_N_PER_DOSE)
        if limit < 3:
            raise SpecError(
                "design.max_n", f"{design.max_n} is below one cohort of 3", "use max_n >= 3 for a 3+3 design"
            )
        return tpt_table(design, dt.check_max_n(max_n, limit, low=3))


def probe_rows(design, ns, below: int, labels, max_n: int) -> tuple[dt.DecisionRow, ...]:
    """The decision rows of a 3+3-like design, read from the engine's compiled rule: a middle dose of three
    (n patients, y DLTs, for n in ``ns``), the dose below it tried with ``below`` patients free of DLT, the
    dose above untried, no modifiers (A+B shares this)."""
    probe = design.replace(n_doses=3, doses=None, start_dose=1, max_n=max_n, modifiers=())
    rows = []
    for n in ns:
        for y in range(n + 1):
            ctx = DecisionContext(probe)
            ctx.n_at[0] = below
            step = ctx.treat(1, n, y, full=False)
            if step.next_dose > 1:
                action = dt.Action.ESCALATE
            elif step.next_dose == 1 and step.status == Status.CONTINUE:
                action = dt.Action.STAY
            else:
                action = dt.Action.DEESCALATE
            rows.append(dt.DecisionRow(n, y, action, labels[action]))
    return tuple(rows)


def tpt_table(design: ThreePlusThree, max_n: int) -> dt.DecisionTable:
    ns = tuple(n for n in (3, 6) if n <= max_n)
    table_rows = probe_rows(design, ns, 3, TPT_LABELS, 100)

    def ys(n, action):
        return [r.n_dlt for r in table_rows if r.n_treated == n and r.action is action]

    boundaries = [
        dt.BoundaryRow(
            "escalate_at_most",
            "Escalate if # of DLT <=",
            tuple(max(ys(n, dt.Action.ESCALATE), default=None) for n in ns),
        ),
        dt.BoundaryRow(
            "stay_if",
            "Treat 3 more if # of DLT =",
            tuple(max(ys(n, dt.Action.STAY), default=None) for n in ns),
        ),
        dt.BoundaryRow(
            "deescalate_at_least",
            "MTD exceeded if # of DLT >=",
            tuple(min(ys(n, dt.Action.DEESCALATE), default=None) for n in ns),
        ),
    ]
    compiled = design.compile()
    boundaries += dt.too_toxic_rows(design, compiled, ns)
    if design.deescalation:
        exceeded = (
            "with deescalation, the next cohort goes to the dose below if it has 3 patients (expanding "
            "it to 6); if it already has 6 the trial stops and declares it the MTD"
        )
    else:
        exceeded = "without deescalation, the trial stops and declares the dose below the MTD"
    notes = [
        "n is the number of patients treated at the current dose and y the DLTs among them (cohorts of 3).",
        f"MTD exceeded (>= 2 DLTs): {exceeded}; at the lowest dose the trial stops with no MTD.",
        (
            "At the highest dose, or when the dose above has already shown >= 2 DLTs, 0/3 treats 3 more at "
            "the dose instead of escalating, and <= 1/6 stops the trial and declares the dose the MTD."
            if design.expand_top_dose
            else "At the highest dose 0/3 stops the trial and declares it the MTD (expand_top_dose = false); "
            "when the dose above has already shown >= 2 DLTs, 0/3 treats 3 more at the dose instead of "
            "escalating; <= 1/6 there, or at the highest dose, stops the trial and declares the dose the MTD."
        ),
        "At n = 6 the first 3 patients had at most 1 DLT, so y = 5 and y = 6 cannot occur.",
    ]
    notes += dt.modifier_notes(design)
    return dt.DecisionTable(
        design.name,
        design.kind,
        design.target,
        max_n,
        ns,
        table_rows,
        tuple(boundaries),
        tuple(notes),
        design.config_hash(),
        action_labels=TPT_LABELS,
    )
