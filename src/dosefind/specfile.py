"""Spec files in TOML: one or more designs, scenarios and simulation settings.

    [design]                 # or [[designs]] blocks to compare several designs on the same patients
    kind = "boin"
    target = 0.30
    n_doses = 6              # or doses = ["10 mg/m2", ...]
    cohort_size = 3
    max_n = 36
    start_dose = 1
    [[design.modifiers]]
    kind = "dont_skip"

    [[scenarios]]
    name = "S1"
    true_tox = [0.26, 0.34, 0.47, 0.64, 0.66, 0.77]

    [simulation]             # optional defaults for the CLI
    n_trials = 10000
    seed = 1

    [timing]                 # optional: calendar time (accrual, DLT window; see scenario/timing.py)
    accrual = "poisson"
    patients_per_month = 2
    dlt_window_days = 28

Errors name the file, the field and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import tomli_w
import tomllib

from .designs import Design, design_from_dict
from .designs import validate as v
from .errors import SpecError
from .scenario import Scenario, Timing, check_against


@dataclass(frozen=True)
class Spec:
    designs: tuple[Design, ...] = ()
    scenarios: tuple[Scenario, ...] = ()
    n_trials: int | None = None
    seed: int | None = None
    source: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    timing: Timing | None = None
    #: ``[simulation] exact = true``: operating characteristics computed exactly (``simulate --exact``)
    exact: bool = False

    def to_dict(self) -> dict:
        out: dict = {}
        if len(self.designs) == 1:
            out["design"] = self.designs[0].to_dict()
        elif self.designs:
            out["designs"] = [d.to_dict() for d in self.designs]
        if self.scenarios:
            out["scenarios"] = [s.to_dict() for s in self.scenarios]
        sim = {k: getattr(self, k) for k in ("n_trials", "seed") if getattr(self, k) is not None}
        if self.exact:
            sim["exact"] = True
        if sim:
            out["simulation"] = sim
        if self.timing is not None:
            out["timing"] = self.timing.to_dict()
        return out


def _read_toml(path: Path) -> dict:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SpecError("file", f"{path.name} not found", "check the path") from None
    except OSError as e:
        raise SpecError(
            "file", f"cannot read {path.name}: {e.strerror}", "check the path and permissions"
        ) from None
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark (Windows editors) is not part of the TOML
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise SpecError(
            "file",
            f"not UTF-8 text (byte 0x{raw[e.start]:02x} on line {line})",
            "save the file as UTF-8 (in the editor's Save As, choose the encoding UTF-8)",
            path.name,
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(
            "file", f"not valid TOML ({e})", "fix the TOML syntax at that line", path.name
        ) from None


def designs_from_dict(data: dict) -> list[Design]:
    """The designs of a ``[design]`` section or of ``[[designs]]`` blocks (errors name ``designs[i]``)."""
    if "design" in data and "designs" in data:
        raise SpecError("designs", "both [design] and [[designs]] given", "use one of them")
    blocks = "design" not in data
    raw_designs = data.get("designs", []) if blocks else [data["design"]]
    if not isinstance(raw_designs, list):
        raise SpecError("designs", "expected [[designs]] blocks", "write one [[designs]] block per design")
    designs = []
    for i, raw in enumerate(raw_designs):
        try:
            designs.append(design_from_dict(raw))
        except SpecError as e:
            if not blocks:
                raise
            raise SpecError(e.field.replace("design", f"designs[{i}]", 1), e.problem, e.fix) from None
    return designs


def check_design_names(designs) -> None:
    """Design names key results and comparisons: each must be unique."""
    names = [d.name for d in designs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise SpecError(
            "designs.name",
            f"design name {dup[0]!r} is used twice",
            'give each design a distinct name = "..."',
        )


def spec_from_dict(data: dict, source: str | None = None, require_scenarios: bool = True) -> Spec:
    try:
        v.no_unknown_keys("spec", data, ["design", "designs", "scenarios", "simulation", "timing"])
        designs = designs_from_dict(data)
        check_design_names(designs)
        raw_scen = data.get("scenarios", [])
        if not isinstance(raw_scen, list):
            raise SpecError(
                "scenarios", "expected [[scenarios]] blocks", "write one [[scenarios]] block per scenario"
            )
        grid = next((d.dose_grid for d in designs if d.dose_grid is not None), None)
        scenarios = tuple(Scenario.from_dict(s, f"scenarios[{i}]", grid) for i, s in enumerate(raw_scen))
        if require_scenarios and not scenarios:
            raise SpecError(
                "scenarios", "missing", "add at least one [[scenarios]] block with name and true_tox"
            )
        for d in designs:
            check_against(scenarios, d.n_doses)
            for i, sc in enumerate(scenarios):
                if d.uses_efficacy and sc.true_eff is None:
                    raise SpecError(
                        f"scenarios[{i}].true_eff",
                        f"missing: design {d.name!r} ({d.kind}) decides on responses",
                        "add true_eff = [one response probability per dose] to the scenario",
                    )
        sim = data.get("simulation", {})
        v.no_unknown_keys("simulation", sim, ["n_trials", "seed", "exact"])
        n_trials = v.integer("simulation.n_trials", sim["n_trials"], low=1) if "n_trials" in sim else None
        seed = v.integer("simulation.seed", sim["seed"], low=0) if "seed" in sim else None
        exact = v.boolean("simulation.exact", sim.get("exact", False))
        if exact:
            given = [k for k in ("n_trials", "seed") if k in sim]
            if given:
                raise SpecError(
                    f"simulation.{given[0]}",
                    "given with exact = true: exact operating characteristics simulate no trials",
                    f"remove {given[0]}, or set exact = false",
                )
        timing = Timing.from_dict(data["timing"]) if "timing" in data else None
    except SpecError as e:
        raise (e.with_source(source) if source else e) from None
    notes = tuple(n for s in scenarios for n in s.notes())
    return Spec(tuple(designs), scenarios, n_trials, seed, source, notes, timing, exact)


def load_spec(path: str | Path, require_scenarios: bool = True) -> Spec:
    """Read a spec file; errors name the file, the field and the fix."""
    path = Path(path)
    return spec_from_dict(_read_toml(path), path.name, require_scenarios)


def load_design(path: str | Path) -> tuple[Design, ...]:
    """Designs from a file holding only [design] or [[designs]]."""
    spec = load_spec(path, require_scenarios=False)
    if not spec.designs:
        raise SpecError("design", "missing", "add a [design] section", Path(path).name)
    return spec.designs


def select_design(path: str | Path, name: str | None = None) -> Design:
    """The one design of a file, or the one called ``name`` when the file holds several."""
    designs = load_design(path)
    source = Path(path).name
    if name is not None:
        for d in designs:
            if d.name == name:
                return d
        names = ", ".join(repr(d.name) for d in designs)
        raise SpecError("design.name", f"no design named {name!r}; the file has {names}", "", source)
    if len(designs) > 1:
        names = ", ".join(repr(d.name) for d in designs)
        raise SpecError(
            "designs", f"the file holds {len(designs)} designs ({names})", "choose one with --name", source
        )
    return designs[0]


def dumps(spec: Spec) -> str:
    return tomli_w.dumps(spec.to_dict())
