"""Scenarios: the true dose-toxicity curve a design is simulated under."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..designs import validate as v
from ..designs.grid import grid_values
from ..errors import SpecError


@dataclass(frozen=True)
class Scenario:
    """A named truth: the DLT probability at each dose (dose 1 first).

    Non-monotone curves are allowed (they are legitimate stress cases) and reported by
    :meth:`notes`; probabilities outside [0, 1] are errors.
    """

    name: str
    true_tox: tuple[float, ...]
    description: str = ""
    #: response probability at each dose (designs whose decisions read responses: backfill); optional
    true_eff: tuple[float, ...] | None = None
    #: (rows, columns) when the doses are the cells of a two-drug grid, in index order (drug A levels x
    #: drug B levels): monotonicity is then read along rows and columns
    grid_shape: tuple[int, int] | None = None
    #: Gaussian-copula correlation between a simulated patient's toxicity and response (phase I/II
    #: designs; engine/copula.py), as in arm scenarios
    correlation: float = 0.0

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise SpecError("name", f"expected a non-empty name, got {self.name!r}", 'write e.g. name = "S1"')
        object.__setattr__(self, "true_tox", v.prob_vector("true_tox", self.true_tox))
        if self.true_eff is not None:
            eff = v.prob_vector("true_eff", self.true_eff)
            if len(eff) != len(self.true_tox):
                raise SpecError(
                    "true_eff",
                    f"{len(eff)} response probabilities for {len(self.true_tox)} doses",
                    "give one response probability per dose, as for true_tox",
                )
            object.__setattr__(self, "true_eff", eff)
        if not isinstance(self.description, str):
            raise SpecError("description", "expected text", "write a short description in quotes")
        object.__setattr__(
            self,
            "correlation",
            v.real(
                "correlation",
                self.correlation,
                low=-1.0,
                high=1.0,
                low_open=True,
                high_open=True,
                fix="give the toxicity-response correlation strictly between -1 and 1 (0: independent)",
            ),
        )
        if self.correlation and self.true_eff is None:
            raise SpecError(
                "correlation",
                "a toxicity-response correlation without response probabilities",
                "add true_eff = [one response probability per dose], or drop correlation",
            )

    @property
    def n_doses(self) -> int:
        return len(self.true_tox)

    @property
    def is_monotone(self) -> bool:
        return self._first_decrease() is None

    def _first_decrease(self) -> str | None:
        """Where the truth first decreases as a dose increases, in words (None when it never does)."""
        p = self.true_tox
        if self.grid_shape is None:
            for d in range(len(p) - 1):
                if p[d + 1] < p[d]:
                    return f"dose {d + 2} ({p[d + 1]:g}) is below dose {d + 1} ({p[d]:g})"
            return None
        rows, cols = self.grid_shape
        for j in range(rows):
            for k in range(cols):
                here = p[j * cols + k]
                if k + 1 < cols and p[j * cols + k + 1] < here:
                    return (
                        f"cell {j + 1}.{k + 2} ({p[j * cols + k + 1]:g}) is below cell {j + 1}.{k + 1} "
                        f"({here:g}) along drug B"
                    )
                if j + 1 < rows and p[(j + 1) * cols + k] < here:
                    return (
                        f"cell {j + 2}.{k + 1} ({p[(j + 1) * cols + k]:g}) is below cell {j + 1}.{k + 1} "
                        f"({here:g}) along drug A"
                    )
        return None

    def notes(self) -> list[str]:
        """Flags worth showing to the user (non-monotone truth, with the first place it decreases)."""
        where = self._first_decrease()
        if where is None:
            return []
        return [
            f"scenario {self.name!r}: true DLT probabilities are not non-decreasing in dose: {where}; "
            "kept as a stress case"
        ]

    @property
    def key(self) -> int:
        """Stable 63-bit key from the name: the scenario coordinate of every patient's latent values."""
        return int(hashlib.sha256(self.name.encode()).hexdigest()[:15], 16)

    def to_dict(self) -> dict:
        out = {"name": self.name, "true_tox": list(self.true_tox)}  # flat (cells in index order): hashes
        if self.true_eff is not None:
            out["true_eff"] = list(self.true_eff)
        if self.correlation:
            out["correlation"] = self.correlation
        if self.description:
            out["description"] = self.description
        return out

    def _repr_html_(self) -> str:
        """Notebook view: the true rates per dose (cell)."""
        from ..display import html_table, number

        header = ["dose", "true DLT rate"] + (["true response rate"] if self.true_eff is not None else [])
        rows = []
        for d, p in enumerate(self.true_tox):
            row = [d + 1, number(p, 3)]
            if self.true_eff is not None:
                row.append(number(self.true_eff[d], 3))
            rows.append(row)
        caption = f"scenario {self.name}" + (f": {self.description}" if self.description else "")
        return html_table(header, rows, caption=caption, max_rows=200)

    @classmethod
    def from_dict(cls, data: dict, field: str = "scenario", grid=None) -> Scenario:
        """A scenario from its TOML table. With ``grid`` (the designs' two-drug :class:`DoseGrid`),
        ``true_tox`` and ``true_eff`` may be tables of rows (drug A levels) of cells (drug B levels) or
        flat lists in index order; without one, a table of rows is refused with the reason."""
        if not isinstance(data, dict):
            raise SpecError(
                field, f"expected a table, got {data!r}", "write [[scenarios]] with name and true_tox"
            )
        v.no_unknown_keys(field, data, ["name", "true_tox", "true_eff", "correlation", "description"])
        for key in ("name", "true_tox"):
            if key not in data:
                raise SpecError(f"{field}.{key}", "missing", f"add {key} = ... to every [[scenarios]] block")
        try:
            tox = _values("true_tox", data["true_tox"], grid)
            eff = _values("true_eff", data["true_eff"], grid) if "true_eff" in data else None
            shape = None
            if grid is not None and len(tox) == grid.n_cells:
                shape = (grid.n_rows, grid.n_cols)
            return cls(
                name=data["name"],
                true_tox=tox,
                description=data.get("description", ""),
                true_eff=eff,
                grid_shape=shape,
                correlation=data.get("correlation", 0.0),
            )
        except SpecError as e:
            raise SpecError(f"{field}.{e.field}", e.problem, e.fix) from None


def _values(key: str, values, grid):
    """A scenario's probabilities as a flat tuple: a table of rows read through the grid (ragged rows
    named), a flat list as it is."""
    nested = isinstance(values, list) and any(isinstance(r, list) for r in values)
    if not nested:
        return tuple(values) if isinstance(values, list) else values
    if grid is None:
        raise SpecError(
            key,
            "a table of rows is the shape of a two-drug grid, and the design has one dose axis",
            "give one probability per dose, or add [design.grid] to a two-drug design",
        )
    if not all(isinstance(r, list) for r in values):
        raise SpecError(key, "mixes rows and single numbers", "write every row as a list [..]")
    if len(values) != grid.n_rows:
        raise SpecError(
            key,
            f"{len(values)} rows for {grid.n_rows} levels of {grid.drug_a}",
            f"write one row per level of {grid.drug_a} ({grid.n_rows} rows of {grid.n_cols})",
        )
    for j, row in enumerate(values):
        if len(row) != grid.n_cols:
            raise SpecError(
                f"{key}[{j}]",
                f"row {j + 1} has {len(row)} values for {grid.n_cols} levels of {grid.drug_b}",
                f"give every row one probability per level of {grid.drug_b}",
            )
    return grid_values(key, values, grid)


def check_against(scenarios, n_doses: int) -> None:
    """Every scenario must give one probability per dose of the design."""
    names = set()
    for i, s in enumerate(scenarios):
        if s.n_doses != n_doses:
            raise SpecError(
                f"scenarios[{i}].true_tox",
                f"scenario {s.name!r} has {s.n_doses} doses but the design has {n_doses}",
                "give one true DLT probability per dose",
            )
        if s.name in names:
            raise SpecError(
                f"scenarios[{i}].name",
                f"duplicate scenario name {s.name!r}",
                "give every scenario a distinct name",
            )
        names.add(s.name)
