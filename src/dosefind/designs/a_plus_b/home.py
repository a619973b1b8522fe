"""A+B above the engine: its reason codes as sentences and its decision table (the spec: :mod:`.spec`;
the kernels: ``engine/a_plus_b.py``). Its posterior table is the house default (beta-binomial)."""

from __future__ import annotations

from ...constants import Reason
from ...errors import SpecError
from ...report import decision_table as dt
from ..home import DesignHome
from ..three_plus_three.home import probe_rows
from .spec import APlusB

R = Reason
REASONS = (R.APB_STAGE, R.TPT_ESCALATE, R.TPT_EXPAND, R.TPT_DEESCALATE, R.TPT_MTD_FOUND, R.TPT_ALL_TOXIC)


def _labels(design: APlusB) -> dict:
    return {
        dt.Action.ESCALATE: "escalate",
        dt.Action.STAY: f"stay: treat {design.b} more at this dose",
        dt.Action.DEESCALATE: "dose exceeds the MTD: de-escalate or stop",
    }


class APlusBHome(DesignHome):
    def reason_codes(self, design):
        return REASONS

    def explain(self, design, reason, n_at, tox_at, cur, proposed, detail=None):
        lab = design.doses
        n, y = int(n_at[cur]), int(tox_at[cur])
        here = f"dose {lab[cur]}"
        rule = f"{design.a}+{design.b}"
        if reason == R.APB_STAGE:
            stage = design.a if n < design.a else design.a + design.b
            return f"{n} of the {stage} patients of this stage treated at {here}: treat more at {here}"
        if reason == R.TPT_ESCALATE:
            return f"{y} DLT(s) in {n} patients at {here}: escalate ({rule})"
        if reason == R.TPT_EXPAND:
            return f"{y} DLT(s) in {n} patients at {here}: treat {design.b} more at {here}"
        if reason == R.TPT_DEESCALATE:
            return (
                f"{y} DLTs in {n} patients at {here}: MTD exceeded, de-escalate to treat {design.b} more at "
                f"dose {lab[cur - 1]}"
            )
        if reason == R.TPT_MTD_FOUND:
            return f"{y} DLT(s) in {n} patients at {here}: MTD determined, stop"
        if reason == R.TPT_ALL_TOXIC:
            return f"{y} DLTs in {n} patients at the lowest dose: no tolerable dose, stop"
        return None

    def decision_table(self, design: APlusB, max_n):
        a, ab = design.stage_sizes()
        limit = min(design.max_n, ab)
        if limit < a:
            raise SpecError(
                "design.max_n",
                f"{design.max_n} is below the first stage of A = {a}",
                f"use max_n >= {a} for this A+B design",
            )
        return apb_table(design, dt.check_max_n(max_n, limit, low=a))


def apb_table(design: APlusB, max_n: int) -> dt.DecisionTable:
    a, ab = design.stage_sizes()
    ns = tuple(n for n in (a, ab) if n <= max_n)
    labels = _labels(design)
    # the engine's compiled rule: a middle dose of three, the dose below it tried with 0 of A
    table_rows = probe_rows(design, ns, a, labels, 1000)

    def ys(n, action):
        return [r.n_dlt for r in table_rows if r.n_treated == n and r.action is action]

    boundaries = [
        dt.BoundaryRow(
            "escalate_at_most",
            "Escalate if # of DLT <=",
            tuple(max(ys(n, dt.Action.ESCALATE), default=None) for n in ns),
        ),
        dt.BoundaryRow(
            "stay_if_at_most",
            f"Treat {design.b} more if # of DLT <=",
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
            f"with deescalation, the next {design.b} patients go to the dose below if it has {a} "
            f"(expanding it to {ab}); if it already has {ab} the trial stops and declares it the MTD"
        )
    else:
        exceeded = "without deescalation, the trial stops and declares the dose below the MTD"
    top = (
        f"fewer than C = {design.c} DLTs in {a} treats {design.b} more at the dose instead of escalating"
        if design.expand_top_dose
        else f"fewer than C = {design.c} DLTs in {a} stops the trial and declares the highest dose the MTD"
    )
    notes = [
        f"A+B design (Lin & Shih 2001) with A = {a}, B = {design.b}, C = {design.c}, D = {design.d}, "
        f"E = {design.e}: n is the number of patients treated at the current dose and y the DLTs among "
        "them.",
        f"MTD exceeded (> D of A, or > E of A + B): {exceeded}; at the lowest dose the trial stops with "
        "no MTD.",
        f"At the highest dose {top}; when the dose above has exceeded the MTD (after de-escalation) "
        f"fewer than C in {a} treats {design.b} more; at most E of {ab} there stops the trial and declares "
        "the dose the MTD.",
        f"At n = {ab} the first {a} patients had at most D = {design.d} DLTs (fewer than C = {design.c} when "
        f"the dose was expanded after de-escalation), so y > {design.d + design.b} cannot occur.",
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
        action_labels=labels,
    )
