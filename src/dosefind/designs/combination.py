"""The common part of every two-drug (combination) design: a dose grid whose cells are the doses.

A combination design is a :class:`~dosefind.designs.base.Design` whose ``doses`` are the grid's cell
labels (``"1.1"``, ``"1.2"``, ...; index ``j * K + k``), so trial state, modifiers and reports index cells
exactly as they index doses. The grid shape and the excluded cells are compiled into ``ip``
(``IP_GRID_ROWS``, ``IP_GRID_COLS``, ``IP_EXCLUDED_MASK``); excluded cells start, and stay, inadmissible.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SpecError
from . import layout as L
from . import validate as v
from .base import CompiledDesign, Design
from .grid import DoseGrid
from .modifiers import DontSkip


@dataclass(frozen=True, kw_only=True)
class CombinationDesign(Design):
    """Fields shared by combination designs: ``grid`` and the starting cell ``start`` (label ``"j.k"``)."""

    grid: DoseGrid | None = None
    start: str = "1.1"
    max_n: int = 0  # required; 0 means missing (the base class orders fields with defaults)

    unit = "cell"
    start_field = "start"

    def __post_init__(self):
        set_ = object.__setattr__
        if self.grid is None:
            raise SpecError(
                "grid",
                "missing",
                "add a [design.grid] section with levels_a and levels_b (the levels of the two drugs)",
            )
        grid = DoseGrid.from_dict(self.grid) if not isinstance(self.grid, DoseGrid) else self.grid
        set_(self, "grid", grid)
        if self.doses is not None and tuple(self.doses) != grid.cell_labels:
            raise SpecError(
                "doses",
                "a combination design names its cells from the grid",
                "remove doses; use [design.grid]",
            )
        set_(self, "doses", grid.cell_labels)
        set_(self, "n_doses", None)
        start = self.start
        if isinstance(start, (int, float)) and not isinstance(start, bool):
            start = f"{start:.1f}" if isinstance(start, float) else str(start)
        cell = grid.index(start, field="start")
        if grid.excluded_mask[cell]:
            raise SpecError(
                "start", f"the start cell {start} is excluded from the grid", "start at an included cell"
            )
        set_(self, "start", grid.label(cell))
        set_(self, "start_dose", cell + 1)
        if self.max_n == 0:
            raise SpecError("max_n", "missing", "add max_n = <maximum number of patients in escalation>")
        super().__post_init__()
        for i, m in enumerate(self.modifiers):
            if isinstance(m, DontSkip):
                raise SpecError(
                    f"modifiers[{i}]",
                    "dont_skip moves along one dose axis and has no meaning on a two-drug grid",
                    "remove it: combination designs move to adjacent cells by their own rules",
                )

    @property
    def dose_grid(self) -> DoseGrid:
        return self.grid

    def initial_admissible(self) -> tuple[bool, ...]:
        return tuple(not x for x in self.grid.excluded_mask)

    def check_dose_reference(self, value, field: str) -> int | str:
        """A cell named by a modifier: its label ``"j.k"`` (returned in canonical form, ``" 2 . 1"`` ->
        ``"2.1"``) or, as before labels were accepted, its 1-based position in row-major order (returned
        as is). Cells outside the grid or excluded from it are refused."""
        g = self.grid
        if isinstance(value, str):
            cell = g.index(value, field=field)
        else:
            n = v.integer(
                field,
                value,
                low=1,
                high=g.n_cells,
                fix=f'name the cell by its label "j.k" (levels 1..{g.n_rows} of {g.drug_a}, 1..{g.n_cols} '
                f"of {g.drug_b})",
            )
            cell = n - 1
        if g.excluded_mask[cell]:
            shown = f"cell {g.label(cell)}" if isinstance(value, str) else f"{value} (cell {g.label(cell)})"
            raise SpecError(
                field,
                f"{shown} is excluded from the grid, so no patient is ever treated there",
                "name an included cell, or remove the modifier",
            )
        return g.label(cell) if isinstance(value, str) else value

    def to_dict(self) -> dict:
        out = super().to_dict()
        out.pop("doses", None)
        out.pop("start_dose", None)
        out["grid"] = self.grid.to_dict()
        return out

    def compile(self, n_cap: int | None = None) -> CompiledDesign:
        compiled = super().compile(n_cap)
        compiled.ip[L.IP_GRID_ROWS] = self.grid.n_rows
        compiled.ip[L.IP_GRID_COLS] = self.grid.n_cols
        compiled.ip[L.IP_EXCLUDED_MASK] = self.grid.excluded_bits
        return compiled

    def describe(self) -> str:
        g = self.grid
        mods = "".join(f" + {m.kind}" for m in self.modifiers)
        return (
            f"{self.name} ({self.kind}, {g.drug_a} x {g.drug_b} grid {g.n_rows} x {g.n_cols}, "
            f"target {self.target:g}, max n {self.max_n}){mods}"
        )
