"""Two-drug dose grids: J levels of drug A times K levels of drug B, some cells possibly excluded.

Inside dosefind a cell is one "dose" of the engine: index ``c = j * K + k`` with 0-based levels j (drug A)
and k (drug B), so every per-dose array (patients, DLTs, responses, admissible) works unchanged. At the
edges a cell is named by its 1-based levels, ``"j.k"`` (``"2.3"``: level 2 of drug A with level 3 of
drug B), the label used in the outcome notation ("2.3NNT"), data files and reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from . import layout as L
from . import validate as v

_CELL = re.compile(r"^\s*(\d+)\s*\.\s*(\d+)\s*$")


def _labels(field: str, value) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or not value:
        raise SpecError(
            field, f"expected a list of dose labels, got {value!r}", 'write e.g. ["0.5 mg/kg", "1 mg/kg"]'
        )
    labels = tuple(str(x) for x in value)
    if len(set(labels)) != len(labels):
        raise SpecError(field, "dose labels repeat", "give every level a distinct label")
    return labels


@dataclass(frozen=True)
class DoseGrid:
    """The levels of the two drugs and the cells left out of the grid (labels ``"j.k"``, 1-based)."""

    levels_a: tuple[str, ...]
    levels_b: tuple[str, ...]
    drug_a: str = "A"
    drug_b: str = "B"
    excluded: tuple[str, ...] = ()

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "levels_a", _labels("grid.levels_a", self.levels_a))
        set_(self, "levels_b", _labels("grid.levels_b", self.levels_b))
        for name in ("drug_a", "drug_b"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise SpecError(
                    f"grid.{name}",
                    f"expected a drug name, got {value!r}",
                    f'write e.g. {name} = "dabrafenib"',
                )
        if self.n_cells > L.MAX_DOSES:
            raise SpecError(
                "grid",
                f"{self.n_rows} x {self.n_cols} = {self.n_cells} cells; at most {L.MAX_DOSES} are supported",
                "use fewer dose levels",
            )
        if isinstance(self.excluded, str) or not isinstance(self.excluded, (list, tuple)):
            raise SpecError(
                "grid.excluded",
                f"expected a list of cell labels, got {self.excluded!r}",
                'write e.g. ["3.3"]',
            )
        cells = []
        for i, label in enumerate(self.excluded):
            cells.append(self.index(label, field=f"grid.excluded[{i}]"))
        if len(set(cells)) != len(cells):
            raise SpecError("grid.excluded", "a cell is listed twice", "list every excluded cell once")
        if 0 in cells:
            raise SpecError(
                "grid.excluded", "the lowest cell 1.1 cannot be excluded", 'remove "1.1" from excluded'
            )
        set_(self, "excluded", tuple(self.label(c) for c in sorted(cells)))

    # ---- shape -------------------------------------------------------------------------------------
    @property
    def n_rows(self) -> int:
        """J, the number of levels of drug A."""
        return len(self.levels_a)

    @property
    def n_cols(self) -> int:
        """K, the number of levels of drug B."""
        return len(self.levels_b)

    @property
    def n_cells(self) -> int:
        return self.n_rows * self.n_cols

    @property
    def cell_labels(self) -> tuple[str, ...]:
        """Labels of all cells in index order (row-major: drug A level, then drug B level)."""
        return tuple(f"{j + 1}.{k + 1}" for j in range(self.n_rows) for k in range(self.n_cols))

    @property
    def excluded_mask(self) -> np.ndarray:
        """bool [n_cells]: True for excluded cells."""
        mask = np.zeros(self.n_cells, dtype=bool)
        for label in self.excluded:
            mask[self.index(label)] = True
        return mask

    @property
    def excluded_bits(self) -> int:
        return sum(1 << self.index(label) for label in self.excluded)

    # ---- cells ---------------------------------------------------------------------------------------
    def index(self, label, field: str = "cell") -> int:
        """0-based cell index of a label ``"j.k"`` (1-based levels)."""
        m = _CELL.match(str(label))
        if m is None:
            raise SpecError(
                field,
                f"{label!r} is not a cell label",
                'name a cell "j.k", e.g. "2.3" (drug A level 2, drug B level 3)',
            )
        j, k = int(m.group(1)), int(m.group(2))
        if not (1 <= j <= self.n_rows and 1 <= k <= self.n_cols):
            raise SpecError(
                field,
                f"cell {label!r} is outside the {self.n_rows} x {self.n_cols} grid",
                f"use levels 1..{self.n_rows} for {self.drug_a} and 1..{self.n_cols} for {self.drug_b}",
            )
        return (j - 1) * self.n_cols + (k - 1)

    def coords(self, cell: int) -> tuple[int, int]:
        """0-based (j, k) of a cell index."""
        return divmod(int(cell), self.n_cols)

    def label(self, cell: int) -> str:
        j, k = self.coords(cell)
        return f"{j + 1}.{k + 1}"

    def describe_cell(self, cell: int) -> str:
        """``"2.3 (dabrafenib 2 mg/kg + trametinib 0.025 mg/kg)"``."""
        j, k = self.coords(cell)
        return f"{j + 1}.{k + 1} ({self.drug_a} {self.levels_a[j]} + {self.drug_b} {self.levels_b[k]})"

    def as_matrix(self, values) -> np.ndarray:
        """Per-cell values as a [J, K] array."""
        return np.asarray(values).reshape(self.n_rows, self.n_cols)

    # ---- serialisation ---------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        out = {
            "drug_a": self.drug_a,
            "drug_b": self.drug_b,
            "levels_a": list(self.levels_a),
            "levels_b": list(self.levels_b),
        }
        if self.excluded:
            out["excluded"] = list(self.excluded)
        return out

    @classmethod
    def from_dict(cls, data, field: str = "grid") -> DoseGrid:
        if isinstance(data, DoseGrid):
            return data
        if not isinstance(data, dict):
            raise SpecError(
                field,
                f"expected a table, got {data!r}",
                "write a [design.grid] section with levels_a and levels_b",
            )
        v.no_unknown_keys(field, data, ["drug_a", "drug_b", "levels_a", "levels_b", "excluded"])
        for key in ("levels_a", "levels_b"):
            if key not in data:
                raise SpecError(
                    f"{field}.{key}", "missing", f"add {key} = [labels of the levels] to [{field}]"
                )
        try:
            return cls(
                levels_a=tuple(data["levels_a"]) if isinstance(data["levels_a"], list) else data["levels_a"],
                levels_b=tuple(data["levels_b"]) if isinstance(data["levels_b"], list) else data["levels_b"],
                drug_a=data.get("drug_a", "A"),
                drug_b=data.get("drug_b", "B"),
                excluded=tuple(data.get("excluded", ())),
            )
        except SpecError as e:
            name = e.field if e.field.startswith(field) else f"{field}.{e.field.removeprefix('grid.')}"
            raise SpecError(name, e.problem, e.fix) from None


def grid_values(field: str, values, grid: DoseGrid, *, what: str = "probability") -> tuple[float, ...]:
    """Per-cell probabilities given as a [J][K] nested list (or a flat list of J * K), in index order."""
    if isinstance(values, (list, tuple)) and values and all(isinstance(r, (list, tuple)) for r in values):
        if len(values) != grid.n_rows or any(len(r) != grid.n_cols for r in values):
            raise SpecError(
                field,
                f"expected {grid.n_rows} rows of {grid.n_cols} values (drug A levels x drug B levels)",
                f"write one row per level of {grid.drug_a}, each with one {what} per level of {grid.drug_b}",
            )
        flat = [x for r in values for x in r]
    else:
        flat = values
    out = v.prob_vector(field, flat)
    if len(out) != grid.n_cells:
        raise SpecError(
            field,
            f"{len(out)} values for {grid.n_cells} cells",
            f"give a {grid.n_rows} x {grid.n_cols} table",
        )
    return out
