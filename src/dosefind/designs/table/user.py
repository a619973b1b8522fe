"""A decision table as a design (``kind = "table"``): the committee's (or any tool's) table of actions for
n patients and y DLTs at the current dose, run by the family's kernel as it was approved.

The table is given inline (``rows = [[n, y, "E"], ...]``) or read from a CSV file (``file = "table.csv"``,
relative to the working directory) with columns ``n_treated``, ``n_dlt`` and ``action`` (also accepted:
``n``/``patients``, ``y``/``dlts``); other columns and lines starting with ``#`` are ignored, so the
output of ``dosefind table --format csv`` of any design is accepted back as it is. A spec written back
(``to_dict``) holds the rows inline, so its hash covers the table's content.

Validation, each a one-line ``SpecError`` naming the first bad row: actions are E, S, D or DU; every
(n, y) the trial can reach is covered (n = k x cohort_size up to ``max_n``, and, when ``max_n`` is not a
multiple of the cohort size, n = k x cohort_size + the last cohort's size); in every row of n the
actions are ordered in y (E before S before D before DU). Cells the trial cannot reach and the file does
not give are S (never read in simulation).

Final selection (``select_*``, as the interval designs): by default the isotonic fit of the observed
rates y/n weighted by n, the dose closest to the target, ties as the BOIN package.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import SpecError
from .. import layout as L
from .interval import check_selection, selection_codes
from .spec import TableDesign

ACTION_CODES = {"E": L.TABLE_ESCALATE, "S": L.TABLE_STAY, "D": L.TABLE_DEESCALATE, "DU": L.TABLE_ELIMINATE}
#: the order actions must follow in y within a row of n
RANK = {"E": 0, "S": 1, "D": 2, "DU": 3}
N_COLUMNS = ("n_treated", "n", "patients")
Y_COLUMNS = ("n_dlt", "y", "dlts", "dlt")


def read_table_csv(path) -> tuple[tuple[int, int, str], ...]:
    """Rows (n, y, action) of a decision-table CSV; errors name the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise SpecError(
            "design.file", f"cannot read {path.name}: {e.strerror}", "give the path of a CSV file"
        ) from None
    return parse_table_csv(text, path.name)


def parse_table_csv(text: str, name: str = "table") -> tuple[tuple[int, int, str], ...]:
    lines = [
        (i + 1, line) for i, line in enumerate(text.splitlines()) if line.strip() and not line.startswith("#")
    ]
    if not lines:
        raise SpecError(
            "design.file", f"{name} has no header and no rows", "write n_treated,n_dlt,action rows"
        )
    header_no, header = lines[0]
    cols = [c.strip().lower() for c in next(csv.reader(io.StringIO(header)))]

    def find(names, what):
        for c in names:
            if c in cols:
                return cols.index(c)
        raise SpecError(
            f"design.file line {header_no}",
            f"{name} has no {what} column (header: {header.strip()})",
            f"name it {names[0]!r}",
        )

    i_n, i_y, i_a = find(N_COLUMNS, "patients"), find(Y_COLUMNS, "DLTs"), find(("action",), "action")
    rows = []
    for no, line in lines[1:]:
        cells = next(csv.reader(io.StringIO(line)))
        where = f"design.file line {no}"
        try:
            n, y, action = int(cells[i_n]), int(cells[i_y]), cells[i_a].strip()
        except (IndexError, ValueError):
            raise SpecError(
                where,
                f"{line.strip()!r} is not a row of whole numbers n, y and an action",
                "write e.g. 3,0,E",
            ) from None
        rows.append(check_row((n, y, action), where))
    return tuple(rows)


def check_row(row, where: str | None = None) -> tuple[int, int, str]:
    """One row (n, y, action), checked; ``where`` names it in errors (a CSV line, or ``design.rows``)."""
    if not isinstance(row, (list, tuple)) or len(row) != 3:
        raise SpecError(where or "design.rows", f"{row!r} is not a row [n, y, action]", 'write [3, 0, "E"]')
    n, y, action = row
    where = where or "design.rows"
    if (
        isinstance(n, bool)
        or isinstance(y, bool)
        or not isinstance(n, (int, np.integer))
        or not isinstance(y, (int, np.integer))
    ):
        raise SpecError(where, f"{row!r}: n and y must be whole numbers", 'write [3, 0, "E"]')
    if n < 1 or not 0 <= y <= n:
        raise SpecError(where, f"n = {n}, y = {y}: need n >= 1 and 0 <= y <= n", "fix the counts of this row")
    if action not in ACTION_CODES:
        raise SpecError(
            where,
            f"n = {n}, y = {y}: action {action!r} is not one of E, S, D, DU",
            "use E (escalate), S (stay), D (de-escalate) or DU (de-escalate and eliminate)",
        )
    return int(n), int(y), str(action)


def reachable_n(max_n: int, cohort_size: int) -> list[int]:
    """Patients at one dose after a cohort: k x cohort_size up to max_n, and k x cohort_size + r when the
    last cohort is shorter (r = max_n mod cohort_size)."""
    out = set(range(cohort_size, max_n + 1, cohort_size))
    r = max_n % cohort_size
    if r:
        out |= set(range(r, max_n + 1, cohort_size))
    return sorted(out)


@dataclass(frozen=True, kw_only=True)
class DecisionTableDesign(TableDesign):
    rows: tuple[tuple[int, int, str], ...] = ()
    select_prior_a: float = 0.0
    select_prior_b: float = 0.0
    select_weights: str = "n"
    select_ties: str = "increment"

    kind = "table"

    def __post_init__(self):
        super().__post_init__()
        set_ = object.__setattr__
        if isinstance(self.rows, (str, Path)):
            raise SpecError("rows", "expected rows [n, y, action]", 'use file = "..." for a CSV file')
        rows = tuple(check_row(r) for r in self.rows)
        if not rows:
            raise SpecError(
                "rows", "the decision table is empty", 'give file = "table.csv" or rows = [[n, y, "E"], ...]'
            )
        cells: dict[tuple[int, int], str] = {}
        for n, y, action in rows:
            if (n, y) in cells:
                raise SpecError("rows", f"n = {n}, y = {y} appears twice", "keep one row per (n, y)")
            cells[(n, y)] = action
        for n in reachable_n(self.max_n, self.cohort_size):
            for y in range(n + 1):
                if (n, y) not in cells:
                    raise SpecError(
                        "rows",
                        f"no action for n = {n} patients and y = {y} DLTs (the trial can reach it: "
                        f"cohorts of {self.cohort_size} up to max_n = {self.max_n})",
                        f"add the row {n},{y},<E|S|D|DU> for every y = 0..{n}",
                    )
        for n in sorted({n for n, _ in cells}):
            prev = None
            for y in range(n + 1):
                a = cells.get((n, y))
                if a is None:
                    continue
                if prev is not None and RANK[a] < RANK[prev[1]]:
                    raise SpecError(
                        "rows",
                        f"n = {n}, y = {y} says {a} after {prev[1]} at y = {prev[0]}: actions must be "
                        "ordered in y (E before S before D before DU)",
                        "fix this row so that more DLTs never lead to a bolder move",
                    )
                prev = (y, a)
        set_(self, "rows", tuple(sorted(rows)))
        check_selection(self)

    @classmethod
    def from_csv(cls, path, **fields) -> DecisionTableDesign:
        return cls(rows=read_table_csv(path), **fields)

    @classmethod
    def from_dict(cls, data: dict) -> DecisionTableDesign:
        data = dict(data)
        if "file" in data:
            if "rows" in data:
                raise SpecError("design.file", "both file and rows are given", "keep one of them")
            path = data.pop("file")
            if not isinstance(path, str):
                raise SpecError("design.file", f"expected a path, got {path!r}", 'write file = "table.csv"')
            data["rows"] = read_table_csv(path)
        if isinstance(data.get("rows"), list):
            data["rows"] = tuple(tuple(r) if isinstance(r, list) else r for r in data["rows"])
        return super().from_dict(data)

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["rows"] = [list(r) for r in self.rows]
        return out

    def action_table(self, n_cap: int) -> np.ndarray:
        table = np.full((n_cap + 1, n_cap + 1), L.TABLE_STAY, dtype=np.int8)
        for n, y, action in self.rows:
            if n <= n_cap:
                table[n, y] = ACTION_CODES[action]
        return table

    def tabulated_n(self, max_n: int) -> tuple[int, ...]:
        """The numbers of patients the table gives (the others are never reached)."""
        return tuple(sorted({n for n, _, _ in self.rows if n <= max_n}))

    def selection(self):
        return selection_codes(self)
