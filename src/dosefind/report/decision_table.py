"""Decision tables: what a design does with the patients and DLTs observed at the current dose.

A decision table exists for designs whose next move depends only on the data at the current dose. Each
design's home builds its own from the design's compiled arrays (what the engine executes, so a table
cannot differ from the simulated design): BOIN and BOIN for combinations (``designs/boin/home.py``,
``designs/boin_comb/home.py``: the BOIN package's ``get.boundary`` form), 3+3
(``designs/three_plus_three/home.py``: the compiled rule asked at a middle dose) and the table-driven
family (``designs/table/home.py``: the table itself). CRM and PO-CRM have none (their decisions depend on
every dose's data): their homes raise :class:`SpecError` naming dose transition pathways instead.

This module holds the table's shape (:class:`DecisionTable`), the rows every design's table shares (the
``stop_when_too_toxic`` boundaries and the modifiers' notes) and the formatters: text (aligned, for a
terminal), tidy CSV (long form) and JSON.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from .. import __version__
from ..constants import ModifierKind
from ..designs import Design
from ..designs import layout as L
from ..designs import validate as v
from ..designs.home import home_of
from ..designs.modifiers import DontSkip, StopAtN, StopWhenNAtDose, StopWhenTooToxic

#: line width of the text table (blocks of columns and wrapped notes)
TEXT_WIDTH = 100


class Action(str, Enum):
    """What the design does at the current dose (the codes of the BOIN protocol template)."""

    ESCALATE = "E"
    STAY = "S"
    DEESCALATE = "D"
    ELIMINATE = "DU"  #: de-escalate and eliminate the dose and all higher doses (unacceptable toxicity)


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
class PendingRow:
    """What a design that decides with pending patients does with ``n_pending`` of the ``n_treated``
    patients at the current dose still in their window (``n_dlt`` DLTs seen): a fixed ``action``, or
    (``action`` None) a move set by the pending patients' follow-up STFT (their days followed over the
    window, summed): escalate if STFT >= ``escalate_stft_at_least``, de-escalate if STFT <=
    ``deescalate_stft_at_most``, stay otherwise; ``suspend``: accrual is suspended instead."""

    n_treated: int
    n_dlt: int
    n_pending: int
    action: Action | None
    suspend: bool = False
    escalate_stft_at_least: float | None = None
    deescalate_stft_at_most: float | None = None

    def reading(self, labels: dict) -> str:
        if self.suspend:
            return "suspend accrual"
        if self.action is not None:
            return labels.get(self.action, self.action.value)
        parts = []
        if self.escalate_stft_at_least is not None:
            parts.append(f"escalate if STFT >= {self.escalate_stft_at_least:.2f}")
        if self.deescalate_stft_at_most is not None:
            parts.append(f"de-escalate if STFT <= {self.deescalate_stft_at_most:.2f}")
        return ", ".join(parts) + ", stay otherwise"


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
    #: what each action code means for this design (its legend, from the design's home)
    action_labels: dict[Action, str] = field(default_factory=dict)
    #: designs that decide with pending patients: the decision with some of them pending
    pending: tuple[PendingRow, ...] = ()

    @property
    def labels(self) -> dict[Action, str]:
        """What each action code means for this design."""
        return self.action_labels

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


# ---- building ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScoreCell:
    """A phase I/II design's score of a dose with ``n_dlt`` DLTs and ``n_response`` responses among its
    ``n_treated`` patients: admissible or not, the desirability the decisions compare and its rank among
    the admissible cells of the table (BOIN12's rank-based desirability score; None where eliminated)."""

    n_treated: int
    n_dlt: int
    n_response: int
    admissible: bool
    desirability: float
    score: float | None


@dataclass(frozen=True)
class ScoreTable:
    """The decision table of a design that chooses among neighbouring doses by a score of each dose's
    (patients, DLTs, responses) (BOIN12; the paper's Table 3 form): the toxicity boundaries by patients
    (compact rows, as BOIN's) and a (DLTs x responses) grid of scores per number of patients."""

    design: str
    kind: str
    target: float
    max_n: int
    n_treated: tuple[int, ...]  #: the blocks of the grid (and the columns of the compact rows)
    cells: tuple[ScoreCell, ...]  #: by n_treated, then n_dlt, then n_response
    boundaries: tuple[BoundaryRow, ...]
    notes: tuple[str, ...]
    config_hash: str
    score_name: str = "RDS"
    unit: str = "dose"

    def cell(self, n_treated: int, n_dlt: int, n_response: int) -> ScoreCell:
        for c in self.cells:
            if (c.n_treated, c.n_dlt, c.n_response) == (n_treated, n_dlt, n_response):
                return c
        raise KeyError((n_treated, n_dlt, n_response))


def _score_text(table: ScoreTable) -> str:
    lines = [
        f"Decision table: {table.design} ({table.kind}, target {table.target:g}, n <= {table.max_n})",
        f"dosefind {__version__}  config={table.config_hash}",
        "",
    ]
    cols = [n for n in table.n_treated if n > 0]
    if table.boundaries and cols:
        head = "Number of patients treated"
        lw = max([len(head)] + [len(b.label) for b in table.boundaries]) + 2
        cw = max(3, len(str(max(cols))) + 1)
        idx = [table.n_treated.index(n) for n in cols]
        for block in _blocks(len(idx), lw, cw):
            lines.append(f"{head:<{lw}}" + "".join(f"{cols[j]:>{cw}}" for j in block))
            for b in table.boundaries:
                lines.append(f"{b.label:<{lw}}" + "".join(f"{_cell(b.values[idx[j]]):>{cw}}" for j in block))
            lines.append("")
    lines.append(
        f"{table.score_name} by DLTs (rows) and responses (columns) for n patients at the dose "
        "(E: eliminated, too toxic or futile):"
    )
    for n in table.n_treated:
        cells = [c for c in table.cells if c.n_treated == n]
        width = max([4] + [len(f"{c.score:g}") + 1 for c in cells if c.score is not None])
        lines.append(f"n = {n}")
        corner = "DLT \\ resp"
        gl = len(corner) + 2
        for block in _blocks(n + 1, gl, width):
            lines.append(f"{corner:<{gl}}" + "".join(f"{e:>{width}}" for e in block))
            for y in range(n + 1):
                row = {c.n_response: c for c in cells if c.n_dlt == y}
                text = "".join(
                    f"{('E' if row[e].score is None else f'{row[e].score:g}'):>{width}}" for e in block
                )
                lines.append(f"{y:<{gl}}" + text)
        lines.append("")
    lines.append("Notes:")
    for note in table.notes:
        lines += textwrap.wrap(note, TEXT_WIDTH, initial_indent="- ", subsequent_indent="  ")
    return "\n".join(lines) + "\n"


SCORE_CSV_COLUMNS = ("n_treated", "n_dlt", "n_response", "admissible", "desirability", "score")


def _score_csv(table: ScoreTable) -> str:
    buf = io.StringIO()
    for key, value in _provenance(table).items():
        buf.write(f"# {key}: {value}\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(SCORE_CSV_COLUMNS)
    for c in table.cells:
        score = "" if c.score is None else repr(float(c.score))
        w.writerow(
            (c.n_treated, c.n_dlt, c.n_response, int(c.admissible), repr(float(c.desirability)), score)
        )
    return buf.getvalue()


def _score_json(table: ScoreTable) -> str:
    data = {
        "provenance": _provenance(table),
        "design": table.design,
        "kind": table.kind,
        "target": table.target,
        "max_n": table.max_n,
        "unit": table.unit,
        "score": table.score_name,
        "n_treated": list(table.n_treated),
        "boundaries": [{"key": b.key, "label": b.label, "values": list(b.values)} for b in table.boundaries],
        "cells": [
            {
                "n_treated": c.n_treated,
                "n_dlt": c.n_dlt,
                "n_response": c.n_response,
                "admissible": c.admissible,
                "desirability": c.desirability,
                "score": c.score,
            }
            for c in table.cells
        ],
        "notes": list(table.notes),
    }
    return json.dumps(data, indent=2) + "\n"


def decision_table(design: Design, max_n: int | None = None) -> DecisionTable:
    """The decision table of ``design`` for up to ``max_n`` patients at a dose (default ``design.max_n``),
    from the design's home; a design whose next move depends on more than the current dose's data raises
    :class:`SpecError` pointing to dose transition pathways."""
    return home_of(design).decision_table(design, max_n)


def check_max_n(max_n, limit: int, low: int) -> int:
    if max_n is None:
        return limit
    return v.integer(
        "max_n",
        max_n,
        low=low,
        high=limit,
        fix=f"use a whole number from {low} to {limit} (patients treated at one dose)",
    )


def first_flagged(row: np.ndarray, flag: int) -> int | None:
    hits = np.flatnonzero(row & flag)
    return int(hits[0]) if hits.size else None


def too_toxic_rows(design: Design, compiled, ns) -> list[BoundaryRow]:
    """One row per stop_when_too_toxic modifier, read from its compiled table (what the engine reads)."""
    out = []
    for m, row in enumerate(compiled.mods):
        if int(row[L.MOD_KIND]) != ModifierKind.STOP_WHEN_TOO_TOXIC:
            continue
        table = compiled.tables[int(row[L.MOD_TABLE])]
        dose = design.doses[int(row[L.MOD_I0])]
        unit = design.unit
        out.append(
            BoundaryRow(
                f"too_toxic_stop_at_least_{m + 1}",
                f"Stop trial if # of DLT >= ({unit} {dose}, stop_when_too_toxic)",
                tuple(first_flagged(table[n, : n + 1], 1) for n in ns),
            )
        )
    return out


def modifier_notes(design: Design) -> list[str]:
    notes = []
    unit = design.unit
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


def decision_points(design: Design, max_n: int) -> str:
    """When decisions are taken, for a table's first note: after every patient, or at multiples of the
    cohort size."""
    if design.cohort_size == 1:
        return "a decision is taken after every patient."
    at = multiples(design.cohort_size, max_n)
    return f"with cohorts of {design.cohort_size} decisions are taken at n = {at}"


def multiples(step: int, limit: int) -> str:
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


def to_text(table: DecisionTable | ScoreTable) -> str:
    """Aligned tables for a terminal: the compact boundaries, the action grid (or the score grids) and the
    notes."""
    if isinstance(table, ScoreTable):
        return _score_text(table)
    lines = [
        f"Decision table: {table.design} ({table.kind}, target {table.target:g}, n <= {table.max_n})"
        + (" at the current cell" if table.unit == "cell" else ""),
        f"dosefind {__version__}  config={table.config_hash}",
        "",
    ]
    head = "Number of patients treated"
    lw = max([len(head)] + [len(b.label) for b in table.boundaries]) + 2
    cw = max(3, len(str(max(table.n_treated))) + 1)
    for block in _blocks(len(table.n_treated), lw, cw) if table.boundaries else ():
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
    if table.pending:
        stft = any(r.action is None and not r.suspend for r in table.pending)
        lines.append(
            "With patients pending at the current dose (n treated, y DLTs seen, m pending"
            + ("; STFT = the pending patients' follow-up in windows, summed):" if stft else "):")
        )
        lines.append(f"{'n':>4}{'y':>4}{'m':>4}  decision")
        for r in table.pending:
            lines.append(f"{r.n_treated:>4}{r.n_dlt:>4}{r.n_pending:>4}  {r.reading(table.labels)}")
        lines.append("")
    lines.append("Notes:")
    for note in table.notes:
        lines += textwrap.wrap(note, TEXT_WIDTH, initial_indent="- ", subsequent_indent="  ")
    return "\n".join(lines) + "\n"


CSV_COLUMNS = ("n_treated", "n_dlt", "action", "action_label")
#: the columns a table with pending rows adds (complete rows have n_pending 0 and the rest empty)
PENDING_COLUMNS = ("n_pending", "suspend", "escalate_if_stft_at_least", "deescalate_if_stft_at_most")


def _provenance(table: DecisionTable | ScoreTable) -> dict:
    return {
        "package": "dosefind",
        "version": __version__,
        "design": table.design,
        "kind": table.kind,
        "config_hash": table.config_hash,
    }


def to_csv(table: DecisionTable | ScoreTable) -> str:
    """Tidy long form, one row per (n_treated, n_dlt) (a score table: per (n_treated, n_dlt,
    n_response)); provenance in leading '#' lines."""
    if isinstance(table, ScoreTable):
        return _score_csv(table)
    buf = io.StringIO()
    for key, value in _provenance(table).items():
        buf.write(f"# {key}: {value}\n")
    w = csv.writer(buf, lineterminator="\n")
    if not table.pending:
        w.writerow(CSV_COLUMNS)
        for r in table.rows:
            w.writerow((r.n_treated, r.n_dlt, r.action.value, r.action_label))
        return buf.getvalue()
    w.writerow(CSV_COLUMNS + PENDING_COLUMNS)
    for r in table.rows:
        w.writerow((r.n_treated, r.n_dlt, r.action.value, r.action_label, 0, "", "", ""))
    for r in table.pending:
        w.writerow(
            (
                r.n_treated,
                r.n_dlt,
                "" if r.action is None else r.action.value,
                r.reading(table.labels),
                r.n_pending,
                int(r.suspend),
                _num(r.escalate_stft_at_least),
                _num(r.deescalate_stft_at_most),
            )
        )
    return buf.getvalue()


def _num(x) -> str:
    return "" if x is None else repr(round(float(x), 6))


def to_json(table: DecisionTable | ScoreTable) -> str:
    """Both forms, the notes and provenance."""
    if isinstance(table, ScoreTable):
        return _score_json(table)
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
    if table.pending:
        data["pending_rows"] = [
            {
                "n_treated": r.n_treated,
                "n_dlt": r.n_dlt,
                "n_pending": r.n_pending,
                "action": None if r.action is None else r.action.value,
                "suspend": r.suspend,
                "escalate_if_stft_at_least": r.escalate_stft_at_least,
                "deescalate_if_stft_at_most": r.deescalate_stft_at_most,
                "reading": r.reading(table.labels),
            }
            for r in table.pending
        ]
    return json.dumps(data, indent=2)
