"""The design spec shared by every base design, and its compiled array form."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields, replace
from typing import ClassVar, NamedTuple

import numpy as np

from ..errors import SpecError
from . import layout as L
from . import validate as v
from .modifiers import Modifier, modifier_from_dict


class CompiledDesign(NamedTuple):
    """Arrays the numba kernels read; see :mod:`dosefind.designs.layout`."""

    ip: np.ndarray
    fp: np.ndarray
    tables: np.ndarray
    grid: np.ndarray
    mods: np.ndarray
    modf: np.ndarray


@dataclass(frozen=True, kw_only=True)
class Design:
    """Fields every design has. Subclasses add their parameters and the base decision rule.

    Dose indices are 0-based inside dosefind; ``start_dose`` and dose labels are 1-based at the edges.
    """

    target: float
    max_n: int
    n_doses: int | None = None
    doses: tuple[str, ...] | None = None
    cohort_size: int = 3
    start_dose: int = 1
    name: str = ""
    modifiers: tuple[Modifier, ...] = field(default_factory=tuple)

    kind: ClassVar[str] = ""
    #: fields a design gained after its files and results were first saved, with their defaults: left out
    #: of ``to_dict`` (so of the config hash) while at the default, so saved hashes and sweep folders of
    #: designs that do not use them stay valid
    later_fields: ClassVar[dict[str, object]] = {}
    # ---- what the rest of the house asks a design (the protocol's lower floor; see designs/home.py) --
    #: what a dose is called in sentences and tables: "dose", or "cell" on a two-drug grid
    unit: ClassVar[str] = "dose"
    #: the spec field that names the starting dose (as error messages and explanations quote it)
    start_field: ClassVar[str] = "start_dose"
    #: whether the engine keeps a posterior cache per chunk of trials for this design (CRM)
    uses_posterior_cache: ClassVar[bool] = False
    #: whether decisions read the design's own uniform ``u_tie`` (random tie-breaks, drawn orderings)
    uses_tie_uniform: ClassVar[bool] = False
    #: whether the design decides at every arrival with pending patients (TITE designs): it is simulated
    #: in calendar time only, by the event-driven loop (engine/tite.py)
    uses_pending: ClassVar[bool] = False
    #: whether the design's decisions read responses (phase I/II designs): its scenarios need ``true_eff``,
    #: the simulation draws each patient's response (engine/copula.py) and live use reads the E/B marks
    uses_efficacy: ClassVar[bool] = False
    #: whether the decision after a cohort is a function of the counts after it and the cohort's dose
    #: alone (nothing carried from earlier decisions: no elimination, no drawn uniform): a replay may then
    #: take a trial's decisions in any order, on both cores (engine/replay.py)
    independent_decisions: ClassVar[bool] = False
    #: fields of the design section that are not design parameters
    _common: ClassVar[tuple[str, ...]] = (
        "target",
        "max_n",
        "n_doses",
        "doses",
        "cohort_size",
        "start_dose",
        "name",
        "modifiers",
    )

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "target", v.probability("target", self.target, open_interval=True))
        if self.doses is not None:
            if isinstance(self.doses, str) or len(self.doses) == 0:
                raise SpecError(
                    "doses",
                    f"expected a list of dose labels, got {self.doses!r}",
                    'write e.g. ["10 mg/m2", "20 mg/m2"]',
                )
            labels = tuple(str(d) for d in self.doses)
            if len(set(labels)) != len(labels):
                raise SpecError("doses", "dose labels repeat", "give every dose a distinct label")
            if self.n_doses is not None and v.integer("n_doses", self.n_doses) != len(labels):
                raise SpecError(
                    "n_doses",
                    f"{self.n_doses} disagrees with the {len(labels)} dose labels",
                    "drop n_doses or make it match doses",
                )
            set_(self, "doses", labels)
            set_(self, "n_doses", len(labels))
        elif self.n_doses is None:
            raise SpecError("n_doses", "missing", "give n_doses = <number of doses> or doses = [labels]")
        else:
            n = v.integer("n_doses", self.n_doses, low=1, high=L.MAX_DOSES)
            set_(self, "n_doses", n)
            set_(self, "doses", tuple(str(i + 1) for i in range(n)))
        v.integer("n_doses", self.n_doses, low=1, high=L.MAX_DOSES)
        set_(self, "cohort_size", v.integer("cohort_size", self.cohort_size, low=1, high=100))
        set_(self, "max_n", v.integer("max_n", self.max_n, low=1, high=2000))
        if self.max_n < self.cohort_size:
            raise SpecError(
                "max_n",
                f"{self.max_n} patients is fewer than one cohort (cohort_size = {self.cohort_size})",
                f"raise max_n to {self.cohort_size} or more (a whole number of cohorts) or lower cohort_size",
            )
        set_(
            self,
            "start_dose",
            v.integer(
                "start_dose",
                self.start_dose,
                low=1,
                high=self.n_doses,
                fix=f"start_dose is a 1-based dose level from 1 to {self.n_doses}",
            ),
        )
        if not isinstance(self.name, str):
            raise SpecError("name", f"expected text, got {self.name!r}", 'write e.g. name = "BOIN 0.3"')
        mods = tuple(self.modifiers)
        for i, m in enumerate(mods):
            if not isinstance(m, Modifier):
                raise SpecError(f"modifiers[{i}]", f"not a modifier: {m!r}", "use dosefind.designs modifiers")
        set_(self, "modifiers", tuple(m.bind(self, f"modifiers[{i}]") for i, m in enumerate(mods)))
        if not self.name:
            set_(self, "name", self.kind)

    @property
    def dose_grid(self):
        """The two-drug grid whose cells are this design's doses (a :class:`~.grid.DoseGrid`), else None."""
        return None

    def decision_row_width(self) -> int:
        """Columns of a posterior-cache row in a replay (live use, pathways, exact OCs): the engine's
        summary row; a design may ask for more (the two-drug BLRM's P(p >= target), shown in meetings)."""
        return L.POST_FIRST + 4 * self.n_doses

    def initial_admissible(self) -> tuple[bool, ...]:
        """Which doses are admissible before any patient (every dose; a grid's excluded cells never are)."""
        return (True,) * self.n_doses

    # ---- phase I/II designs (``uses_efficacy``): how oc/utility.py scores the truth -----------------
    def true_utilities(self, prob_tox, prob_eff, prob_both):
        """The true utility per dose from its DLT, response and joint probabilities (arrays)."""
        raise NotImplementedError(f"design kind {self.kind!r} scores no utilities (it is not phase I/II)")

    def acceptable_truth(self, prob_tox, prob_eff, tol: float):
        """Which doses are acceptable on their true DLT and response probabilities (to ``tol``)."""
        raise NotImplementedError(f"design kind {self.kind!r} has no efficacy acceptability (not phase I/II)")

    def check_dose_reference(self, value, field: str) -> int:
        """A dose named by a modifier: a 1-based dose level number from 1 to ``n_doses`` (returned as is)."""
        if isinstance(value, str):
            raise SpecError(
                field,
                f"{value!r} names a cell of a two-drug grid, but this design has dose levels",
                f"use a 1-based dose level number from 1 to {self.n_doses}",
            )
        return v.integer(field, value, low=1, high=self.n_doses)

    # ---- composition ---------------------------------------------------------------------------------
    def with_modifiers(self, *mods: Modifier) -> Design:
        """A new design: this one with ``mods`` appended to its modifiers."""
        return replace(self, modifiers=self.modifiers + tuple(mods))

    def replace(self, **changes) -> Design:
        return replace(self, **changes)

    # ---- serialisation -------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        out: dict = {"kind": self.kind}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "modifiers":
                if value:
                    out["modifiers"] = [m.to_dict() for m in value]
            elif f.name == "n_doses":
                continue  # implied by doses
            elif f.name in self.later_fields and value == self.later_fields[f.name]:
                continue
            elif value is not None:
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def _repr_html_(self) -> str:
        """Notebook view: the design's fields as its spec file writes them, and its config hash."""
        from ..display import flat_items, html_table

        rows = [[k, val] for k, val in flat_items(self.to_dict())]
        caption = f"{self.name} ({self.kind}), config hash {self.config_hash()}"
        return html_table(["field", "value"], rows, caption=caption, max_rows=200)

    @classmethod
    def from_dict(cls, data: dict) -> Design:
        data = dict(data)
        data.pop("kind", None)
        allowed = [f.name for f in fields(cls)]
        v.no_unknown_keys("design", data, allowed)
        mods = data.pop("modifiers", [])
        if not isinstance(mods, list):
            raise SpecError(
                "design.modifiers",
                "expected a list of modifier tables",
                'write [[design.modifiers]] blocks with kind = "..."',
            )
        data["modifiers"] = tuple(modifier_from_dict(m, f"design.modifiers[{i}]") for i, m in enumerate(mods))
        for key in ("doses", "skeleton"):
            if isinstance(data.get(key), list):
                data[key] = tuple(data[key])
        try:
            return cls(**data)
        except SpecError as e:
            field_ = e.field if e.field.startswith("design") else f"design.{e.field}"
            raise SpecError(field_, e.problem, e.fix) from None
        except TypeError as e:
            missing = [f.name for f in fields(cls) if f.name in str(e)]
            name = missing[0] if missing else "?"
            raise SpecError(
                f"design.{name}", "missing", f"add {name} = ... to the [design] section"
            ) from None

    def config_hash(self) -> str:
        """SHA-256 (first 16 hex digits) of the canonical JSON form: identifies the design exactly."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def __hash__(self):
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    # ---- compilation ---------------------------------------------------------------------------------
    def default_n_cap(self) -> int:
        """The most patients one decision counts at a dose (tables are compiled up to it): ``max_n``."""
        return self.max_n

    def compile(self, n_cap: int | None = None) -> CompiledDesign:
        """The arrays the engine reads. ``n_cap`` bounds the patients at one dose (default ``max_n``)."""
        n_cap = self.default_n_cap() if n_cap is None else max(int(n_cap), self.default_n_cap())
        ip = np.zeros(L.IP_SIZE, dtype=np.int64)
        fp = np.zeros(L.FP_SIZE, dtype=np.float64)
        ip[L.IP_N_DOSES] = self.n_doses
        ip[L.IP_COHORT_SIZE] = self.cohort_size
        ip[L.IP_MAX_N] = self.max_n
        ip[L.IP_START_DOSE] = self.start_dose - 1
        ip[L.IP_N_CAP] = n_cap
        ip[L.IP_USES_TIE] = int(self.uses_tie_uniform)
        ip[L.IP_USES_PENDING] = int(self.uses_pending)
        ip[L.IP_USES_EFF] = int(self.uses_efficacy)
        fp[L.FP_TARGET] = self.target
        tables: list[np.ndarray] = []
        grid = self._compile_base(ip, fp, tables, n_cap)
        rows_i, rows_f = [], []
        for m in self.modifiers:
            ri, rf = m.compile_row(tables, n_cap, self.doses)
            rows_i.append(ri)
            rows_f.append(rf)
        mods = np.array(rows_i, dtype=np.int64).reshape(-1, 4)
        modf = np.array(rows_f, dtype=np.float64).reshape(-1, 4)
        if not tables:
            tables.append(np.zeros((n_cap + 1, n_cap + 1), dtype=np.int8))
        tab = np.ascontiguousarray(np.stack(tables))
        return CompiledDesign(ip, fp, tab, np.ascontiguousarray(grid), mods, modf)

    def _compile_base(self, ip, fp, tables, n_cap) -> np.ndarray:
        raise NotImplementedError

    # ---- description -------------------------------------------------------------------------------
    def describe(self) -> str:
        """One line for tables and logs."""
        mods = "".join(f" + {m.kind}" for m in self.modifiers)
        return f"{self.name} ({self.kind}, target {self.target:g}, max n {self.max_n}){mods}"
