"""Decision tables: what a design does with the patients and DLTs observed at the current dose.

A decision table exists for designs whose next move depends only on the data at the current dose:

* BOIN: for n = 1..max_n patients treated at the dose and y DLTs among them, escalate (E), stay (S),
  de-escalate (D) or de-escalate and eliminate the dose and all higher doses (DU). The compact form is
  the BOIN R package's ``get.boundary`` table (escalate if y <=, de-escalate if y >=, eliminate if
  y >=). The numbers are read from the design's own compiled table and ``Boin.integer_boundaries``,
  which are what the engine executes, so the table cannot differ from the simulated design.
* BOIN for combinations: the same table at the current cell of the grid (the design compiles the
  single-agent BOIN's table and its kernel reads it). E and D move to an adjacent cell that the design
  chooses when the decision is taken (by the candidates' own data, ties at random; see
  :mod:`dosefind.designs.boin_comb`), so the table gives the action and its notes the choice rule; an
  elimination closes the cell and every cell at least as high in both drugs.
* 3+3: the classic rule table for n in {3, 6}, obtained by asking the engine's compiled 3+3 rule what
  it does at a middle dose.
* CRM and PO-CRM have no table (their decisions depend on every dose's data): :class:`SpecError`
  naming dose transition pathways instead.

Formatters return text (aligned, for a terminal), tidy CSV (long form) and JSON.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from dataclasses import dataclass
from enum import Enum

import numpy as np

from .. import __version__
from ..constants import ModifierKind, Status
from ..designs import Boin, BoinComb, Design, ThreePlusThree
from ..designs import layout as L
from ..designs import validate as v
from ..designs.modifiers import DontSkip, StopAtN, StopWhenNAtDose, StopWhenTooToxic
from ..engine.replay import DecisionContext
from ..errors import SpecError

#: largest number of patients at one dose in a 3+3 design
TPT_N_PER_DOSE = 6
#: line width of the text table (blocks of columns and wrapped notes)
TEXT_WIDTH = 100


class Action(str, Enum):
    """What the design does at the current dose (the codes of the BOIN protocol template)."""

    ESCALATE = "E"
    STAY = "S"
    DEESCALATE = "D"
    ELIMINATE = "DU"  #: de-escalate and eliminate the dose and all higher doses (unacceptable toxicity)


BOIN_LABELS = {
    Action.ESCALATE: "escalate",
    Action.STAY: "stay",
    Action.DEESCALATE: "de-escalate",
    Action.ELIMINATE: "de-escalate and eliminate this and higher doses",
}
BOIN_COMB_LABELS = {
    Action.ESCALATE: "escalate to an adjacent cell (chosen by the design)",
    Action.STAY: "stay",
    Action.DEESCALATE: "de-escalate to an adjacent cell (chosen by the design)",
    Action.ELIMINATE: "de-escalate and eliminate this cell and every cell at least as high in both drugs",
}
TPT_LABELS = {
    Action.ESCALATE: "escalate",
    Action.STAY: "stay: treat 3 more at this dose",
    Action.DEESCALATE: "dose exceeds the MTD: de-escalate or stop",
}


@dataclass(frozen=True)
class DecisionRow:
    """Long form: the action for n_treated patients with n_dlt DLTs at the current dose."""

    n_treated: int
    n_dlt: int
    action: Action
    action_label: str


@dataclass(frozen=True)
class BoundaryRow:
    """Compact form: one boundary per column of ``DecisionTable.n_treated`` (None: no such boundary)."""

    key: str  #: machine name, e.g. ``escalate_at_most``
    label: str  #: the protocol wording, e.g. ``Escalate if # of DLT <=``
    values: tuple[int | None, ...]


@dataclass(frozen=True)
class DecisionTable:
    design: str  #: the design's name
    kind: str  #: its kind (``boin``, ``three_plus_three``)
    target: float
    max_n: int  #: largest number of patients at the dose shown
    n_treated: tuple[int, ...]  #: the columns of the compact form
    rows: tuple[DecisionRow, ...]  #: long form, by n_treated then n_dlt (n_dlt <= n_treated)
    boundaries: tuple[BoundaryRow, ...]
    notes: tuple[str, ...]
    config_hash: str  #: the design's config hash (provenance)
    unit: str = "dose"  #: what the design treats at: "dose", or "cell" on a two-drug grid

    @property
    def labels(self) -> dict[Action, str]:
        """What each action code means for this design."""
        return action_labels(self.kind)

    def action(self, n_treated: int, n_dlt: int) -> Action:
        """The action for n_dlt DLTs in n_treated patients (KeyError if not in the table)."""
        for r in self.rows:
            if r.n_treated == n_treated and r.n_dlt == n_dlt:
                return r.action
        raise KeyError((n_treated, n_dlt))

    def grid(self) -> list[list[Action | None]]:
        """Actions as grid[y][j] for y = 0..max(n_treated) DLTs and column j of n_treated (None: y > n)."""
        col = {n: j for j, n in enumerate(self.n_treated)}
        out: list[list[Action | None]] = [
            [None] * len(self.n_treated) for _ in range(max(self.n_treated) + 1)
        ]
        for r in self.rows:
            out[r.n_dlt][col[r.n_treated]] = r.action
        return out


def action_labels(kind: str) -> dict[Action, str]:
    """The action legend of a design kind (BOIN, BOIN for combinations, 3+3)."""
    return {"boin": BOIN_LABELS, "boin_comb": BOIN_COMB_LABELS}.get(kind, TPT_LABELS)


# ---- building ---------------------------------------------------------------------------------------
def decision_table(design: Design, max_n: int | None = None) -> DecisionTable:
    """The decision table of ``design`` for up to ``max_n`` patients at a dose (default ``design.max_n``)."""
    if isinstance(design, Boin):
        return _boin_table(design, _check_max_n(max_n, design.max_n, low=1))
    if isinstance(design, BoinComb):
        return _boin_comb_table(design, _check_max_n(max_n, design.max_n, low=1))
    if isinstance(design, ThreePlusThree):
        limit = min(design.max_n, TPT_N_PER_DOSE)
        if limit < 3:
            raise SpecError(
                "design.max_n", f"{design.max_n} is below one cohort of 3", "use max_n >= 3 for a 3+3 design"
            )
        return _tpt_table(design, _check_max_n(max_n, limit, low=3))
    if getattr(design, "kind", "") == "crm":
        problem = (
            "CRM has no decision table: its next dose depends on the data at every dose, "
            "not only at the current one"
        )
    elif getattr(design, "kind", "") == "pocrm":
        problem = (
            "PO-CRM has no decision table: its next cell depends on the data at every cell of the grid "
            "(through the model fitted under each ordering), not only at the current one"
        )
    else:
        problem = f"no decision table for design kind {getattr(design, 'kind', type(design).__name__)!r}"
    raise SpecError("design.kind", problem, "use `dosefind paths` for dose transition pathways")


def _check_max_n(max_n, limit: int, low: int) -> int:
    if max_n is None:
        return limit
    return v.integer(
        "max_n",
        max_n,
        low=low,
        high=limit,
        fix=f"use a whole number from {low} to {limit} (patients treated at one dose)",
    )


def _boin_rows(design, max_n: int, labels: dict):
    """BOIN's per-(n, y) actions and integer boundaries, read from the compiled table ``decide`` reads
    (shared by BOIN and BOIN for combinations): (compiled, flags, ns, rows, boundaries)."""
    compiled = design.compile(max_n)
    flags = compiled.tables[0]
    ns = tuple(range(1, max_n + 1))
    rows = []
    for n in ns:
        for y in range(n + 1):
            action = _boin_action(int(flags[n, y]))
            rows.append(DecisionRow(n, y, action, labels[action]))
    bounds = [design.integer_boundaries(n) for n in ns]
    boundaries = [
        BoundaryRow("escalate_at_most", "Escalate if # of DLT <=", tuple(b[0] for b in bounds)),
        BoundaryRow("deescalate_at_least", "De-escalate if # of DLT >=", tuple(b[1] for b in bounds)),
        BoundaryRow("eliminate_at_least", "Eliminate if # of DLT >=", tuple(b[2] for b in bounds)),
    ]
    return compiled, flags, ns, rows, boundaries


def _boin_table(design: Boin, max_n: int) -> DecisionTable:
    compiled, flags, ns, rows, boundaries = _boin_rows(design, max_n, BOIN_LABELS)
    if design.extrasafe:
        boundaries.append(
            BoundaryRow(
                "extrasafe_stop_at_least",
                "Stop trial if # of DLT >= (lowest dose, extrasafe)",
                tuple(_first_flagged(flags[n, : n + 1], L.BOIN_EXTRASAFE_STOP) for n in ns),
            )
        )
    boundaries += _too_toxic_rows(design, compiled, ns)
    lam_e, lam_d = design.boundaries
    notes = [
        "n is the number of patients treated at the current dose and y the DLTs among them; "
        + (
            "a decision is taken after every patient."
            if design.cohort_size == 1
            else f"with cohorts of {design.cohort_size} decisions are taken at n = "
            f"{_multiples(design.cohort_size, max_n)}"
        ),
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
    notes += _modifier_notes(design)
    notes.append(f"The trial stops when {design.max_n} patients in total have been treated (max_n).")
    return DecisionTable(
        design.name,
        design.kind,
        design.target,
        max_n,
        ns,
        tuple(rows),
        tuple(boundaries),
        tuple(notes),
        design.config_hash(),
    )


def _boin_comb_table(design: BoinComb, max_n: int) -> DecisionTable:
    """BOIN for combinations: the single-agent boundaries at the current cell, read from the compiled
    design (``tables[0]`` is what ``decide_boin_comb`` reads), and notes on how the next cell is chosen."""
    compiled, flags, ns, rows, boundaries = _boin_rows(design, max_n, BOIN_COMB_LABELS)
    if design.extrasafe:  # the kernel checks it only where an elimination boundary exists for n
        boundaries.append(
            BoundaryRow(
                "extrasafe_stop_at_least",
                "Stop trial if # of DLT >= (cell 1.1, extrasafe)",
                tuple(
                    _first_flagged(flags[n, : n + 1], L.BOIN_EXTRASAFE_STOP)
                    if flags[n, n] & L.BOIN_ELIM
                    else None
                    for n in ns
                ),
            )
        )
    boundaries += _too_toxic_rows(design, compiled, ns)
    lam_e, lam_d = design.boundaries
    g = design.grid
    next_comb = design.rules == "next.comb"
    notes = [
        f"n is the number of patients treated at the current cell of the {g.n_rows} x {g.n_cols} grid "
        f"({g.drug_a} level j, {g.drug_b} level k: cell j.k) and y the DLTs among them; "
        + (
            "a decision is taken after every patient."
            if design.cohort_size == 1
            else f"with cohorts of {design.cohort_size} decisions are taken at n = "
            f"{_multiples(design.cohort_size, max_n)}"
        ),
        f"Escalate if y <= floor({lam_e:.4f} n), de-escalate if y > {lam_d:.4f} n (lambda_e, lambda_d "
        f"for phi1 = {design.phi1:g}, phi2 = {design.phi2:g}); stay otherwise: BOIN's boundaries, as for "
        "a single drug.",
        "Which cell: E goes to (j+1, k) or (j, k+1), D to (j-1, k) or (j, k-1), among those inside the grid "
        "and admissible (not eliminated, not excluded). The design chooses when the decision is taken: "
        f"the candidate with the larger P({lam_e:.4f} < DLT rate < {lam_d:.4f}) under a Beta(y' + 1/2, "
        "n' - y' + 1/2) posterior on its own data (n' patients, y' DLTs) plus n'/2000; exact ties are "
        "broken at random, each candidate with equal chance (`dosefind paths` shows both branches). With "
        "no candidate the design stays (e.g. E at the highest cell, D at cell 1.1).",
        f"Eliminate (DU) if n >= 3 and P(DLT rate > {design.target:g} | data) > {design.cutoff_eli:g} "
        "(Beta(1, 1) prior): the cell and every cell at least as high in both drugs are removed for the "
        "rest of the trial, and the next cohort goes to an adjacent lower cell as for D; at cell 1.1 the "
        "trial stops with no cell selected. The de-escalation boundary is capped at the elimination "
        "boundary (BOIN R package convention).",
    ]
    if next_comb:
        notes.append(
            f'rules = "next.comb": no escalation to (j+1, k) when a cell (j+1, k\' <= k) has an observed DLT '
            f"rate >= {lam_d:.4f}, nor to (j, k+1) when a cell (j' <= j, k+1) has."
        )
    where = (
        f"n >= {design.n_earlystop}"
        if design.n_earlystop <= max_n
        else f"n >= {design.n_earlystop}, beyond the columns shown"
    )
    if next_comb:
        notes.append(
            f"n_earlystop = {design.n_earlystop}: with {where} at the current cell the trial stops and "
            'selects the MTD, whatever the decision (rules = "next.comb").'
        )
    else:
        notes.append(
            f"n_earlystop = {design.n_earlystop}: with {where}, a decision to stay at the cell just treated "
            "(S, or E or D with no candidate cell) stops the trial and selects the MTD."
        )
    if design.extrasafe:
        notes.append(
            f"extrasafe (offset {design.offset:g}): at cell 1.1 only, the trial stops with no cell "
            f"selected when n >= 3 and P(DLT rate > {design.target:g} | data) > "
            f"{design.cutoff_eli - design.offset:g} (the 'extrasafe' row; only for n with an elimination "
            "boundary, as the BOIN package)."
        )
    notes += _modifier_notes(design)
    notes.append(f"The trial stops when {design.max_n} patients in total have been treated (max_n).")
    return DecisionTable(
        design.name,
        design.kind,
        design.target,
        max_n,
        ns,
        tuple(rows),
        tuple(boundaries),
        tuple(notes),
        design.config_hash(),
        "cell",
    )


def _boin_action(flags: int) -> Action:
    """The action at a middle dose, in the precedence the engine's BOIN kernel gives the flags."""
    if flags & L.BOIN_ELIM:  # de-escalation is implied: the boundary is capped at elimination
        return Action.ELIMINATE
    if flags & L.BOIN_ESC:
        return Action.ESCALATE
    if flags & L.BOIN_DEESC:
        return Action.DEESCALATE
    return Action.STAY


def _tpt_table(design: ThreePlusThree, max_n: int) -> DecisionTable:
    ns = tuple(n for n in (3, 6) if n <= max_n)
    # ask the engine's compiled 3+3 rule: a middle dose of three, the dose below it tried with 0/3, the
    # dose above untried, no modifiers
    probe = design.replace(n_doses=3, doses=None, start_dose=1, max_n=100, modifiers=())
    rows = []
    for n in ns:
        for y in range(n + 1):
            ctx = DecisionContext(probe)
            ctx.n_at[0] = 3
            step = ctx.treat(1, n, y, full=False)
            if step.next_dose > 1:
                action = Action.ESCALATE
            elif step.next_dose == 1 and step.status == Status.CONTINUE:
                action = Action.STAY
            else:
                action = Action.DEESCALATE
            rows.append(DecisionRow(n, y, action, TPT_LABELS[action]))
    table_rows = tuple(rows)

    def ys(n, action):
        return [r.n_dlt for r in table_rows if r.n_treated == n and r.action is action]

    boundaries = [
        BoundaryRow(
            "escalate_at_most",
            "Escalate if # of DLT <=",
            tuple(max(ys(n, Action.ESCALATE), default=None) for n in ns),
        ),
        BoundaryRow(
            "stay_if", "Treat 3 more if # of DLT =", tuple(max(ys(n, Action.STAY), default=None) for n in ns)
        ),
        BoundaryRow(
            "deescalate_at_least",
            "MTD exceeded if # of DLT >=",
            tuple(min(ys(n, Action.DEESCALATE), default=None) for n in ns),
        ),
    ]
    compiled = design.compile()
    boundaries += _too_toxic_rows(design, compiled, ns)
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
        "At the highest dose, or when the dose above has already shown >= 2 DLTs, 0/3 treats 3 more at "
        "the dose instead of escalating, and <= 1/6 stops the trial and declares the dose the MTD.",
        "At n = 6 the first 3 patients had at most 1 DLT, so y = 5 and y = 6 cannot occur.",
    ]
    notes += _modifier_notes(design)
    return DecisionTable(
        design.name,
        design.kind,
        design.target,
        max_n,
        ns,
        table_rows,
        tuple(boundaries),
        tuple(notes),
        design.config_hash(),
    )


def _first_flagged(row: np.ndarray, flag: int) -> int | None:
    hits = np.flatnonzero(row & flag)
    return int(hits[0]) if hits.size else None


def _too_toxic_rows(design: Design, compiled, ns) -> list[BoundaryRow]:
    """One row per stop_when_too_toxic modifier, read from its compiled table (what the engine reads)."""
    out = []
    for m, row in enumerate(compiled.mods):
        if int(row[L.MOD_KIND]) != ModifierKind.STOP_WHEN_TOO_TOXIC:
            continue
        table = compiled.tables[int(row[L.MOD_TABLE])]
        dose = design.doses[int(row[L.MOD_I0])]
        unit = "cell" if isinstance(design, BoinComb) else "dose"
        out.append(
            BoundaryRow(
                f"too_toxic_stop_at_least_{m + 1}",
                f"Stop trial if # of DLT >= ({unit} {dose}, stop_when_too_toxic)",
                tuple(_first_flagged(table[n, : n + 1], 1) for n in ns),
            )
        )
    return out


def _modifier_notes(design: Design) -> list[str]:
    notes = []
    unit = "cell" if isinstance(design, BoinComb) else "dose"
    for m in design.modifiers:
        if isinstance(m, StopWhenTooToxic):
            notes.append(
                f"stop_when_too_toxic: when n >= {m.min_n} at {unit} {_dose_label(design, m.dose)} and "
                f"P(DLT rate > {m.threshold:g} | data) > {m.confidence:g} (Beta({m.prior_a:g}, "
                f"{m.prior_b:g}) prior), the trial stops with no {unit} selected (the "
                f"'stop_when_too_toxic' row; it applies to that {unit} only)."
            )
        elif isinstance(m, DontSkip):
            notes.append("dont_skip: moves are one dose level at a time (the table is unchanged).")
        elif isinstance(m, StopAtN):
            notes.append(f"stop_at_n: the trial stops and selects a {unit} once {m.n} patients are treated.")
        elif isinstance(m, StopWhenNAtDose):
            where = {"recommended": f"the {unit} proposed next", "any": f"any {unit}"}.get(
                str(m.dose), f"cell {_dose_label(design, m.dose)}" if unit == "cell" else f"dose {m.dose}"
            )
            notes.append(
                f"stop_when_n_at_dose: the trial stops and selects a {unit} once {m.n} patients have been "
                f"treated at {where}."
            )
        else:  # pragma: no cover - a modifier added later
            notes.append(f"modifier {m.kind}: {m.to_dict()}")
    return notes


def _dose_label(design: Design, dose) -> str:
    """A modifier's dose as the design labels it: a 1-based level number, or a grid cell "j.k"."""
    if isinstance(dose, str):
        j, k = (int(x) for x in dose.split("."))
        return f"{j}.{k}"
    return design.doses[dose - 1]


def _multiples(step: int, limit: int) -> str:
    ns = list(range(step, limit + 1, step))
    if not ns:
        return f"{step} (beyond the columns shown)."
    return ", ".join(map(str, ns[:3])) + (", ... only." if len(ns) > 3 else " only.")


def _legend(table: DecisionTable) -> str:
    labels = table.labels
    used = {r.action for r in table.rows}
    return ", ".join(f"{a.value} {label}" for a, label in labels.items() if a in used)


def _cell(value) -> str:
    return "-" if value is None else str(value)


def _blocks(n_cols: int, label_width: int, cell_width: int, width: int = TEXT_WIDTH) -> list[range]:
    per = max(1, (width - label_width) // cell_width)
    return [range(i, min(i + per, n_cols)) for i in range(0, n_cols, per)]


def to_text(table: DecisionTable) -> str:
    """Aligned tables for a terminal: the compact boundaries, the action grid and the notes."""
    lines = [
        f"Decision table: {table.design} ({table.kind}, target {table.target:g}, n <= {table.max_n})"
        + (" at the current cell" if table.unit == "cell" else ""),
        f"dosefind {__version__}  config={table.config_hash}",
        "",
    ]
    head = "Number of patients treated"
    lw = max(len(head), *(len(b.label) for b in table.boundaries)) + 2
    cw = max(3, len(str(max(table.n_treated))) + 1)
    for block in _blocks(len(table.n_treated), lw, cw):
        lines.append(f"{head:<{lw}}" + "".join(f"{table.n_treated[j]:>{cw}}" for j in block))
        for b in table.boundaries:
            lines.append(f"{b.label:<{lw}}" + "".join(f"{_cell(b.values[j]):>{cw}}" for j in block))
        lines.append("")
    lines.append("Action by DLTs y (rows) and patients treated n (columns):")
    lines += textwrap.wrap(_legend(table), TEXT_WIDTH, initial_indent="  ", subsequent_indent="  ")
    grid = table.grid()
    corner = "y \\ n"
    gl = len(corner) + 2
    gw = max(cw, 3)
    for block in _blocks(len(table.n_treated), gl, gw):
        lines.append(f"{corner:<{gl}}" + "".join(f"{table.n_treated[j]:>{gw}}" for j in block))
        last = max(table.n_treated[j] for j in block)
        # below the last row with anything but eliminations, one all-DU row then a summary line
        busy = [y for y in range(last + 1) if any(grid[y][j] not in (None, Action.ELIMINATE) for j in block)]
        shown = min(last, max(busy, default=-1) + 1)
        for y in range(shown + 1):
            cells = "".join(f"{(grid[y][j].value if grid[y][j] else ''):>{gw}}" for j in block)
            lines.append(f"{y:<{gl}}" + cells)
        if shown < last:
            lines.append(f"{f'{shown + 1}-{last}':<{gl}}DU wherever y <= n")
        lines.append("")
    lines.append("Notes:")
    for note in table.notes:
        lines += textwrap.wrap(note, TEXT_WIDTH, initial_indent="- ", subsequent_indent="  ")
    return "\n".join(lines) + "\n"


CSV_COLUMNS = ("n_treated", "n_dlt", "action", "action_label")


def _provenance(table: DecisionTable) -> dict:
    return {
        "package": "dosefind",
        "version": __version__,
        "design": table.design,
        "kind": table.kind,
        "config_hash": table.config_hash,
    }


def to_csv(table: DecisionTable) -> str:
    """Tidy long form, one row per (n_treated, n_dlt); provenance in leading '#' lines."""
    buf = io.StringIO()
    for key, value in _provenance(table).items():
        buf.write(f"# {key}: {value}\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in table.rows:
        w.writerow((r.n_treated, r.n_dlt, r.action.value, r.action_label))
    return buf.getvalue()


def to_json(table: DecisionTable) -> str:
    """Both forms, the notes and provenance."""
    data = {
        "provenance": _provenance(table),
        "design": table.design,
        "kind": table.kind,
        "target": table.target,
        "max_n": table.max_n,
        "unit": table.unit,
        "actions": {a.value: lbl for a, lbl in table.labels.items()},
        "n_treated": list(table.n_treated),
        "boundaries": [{"key": b.key, "label": b.label, "values": list(b.values)} for b in table.boundaries],
        "rows": [
            {
                "n_treated": r.n_treated,
                "n_dlt": r.n_dlt,
                "action": r.action.value,
                "action_label": r.action_label,
            }
            for r in table.rows
        ],
        "notes": list(table.notes),
    }
    return json.dumps(data, indent=2)
