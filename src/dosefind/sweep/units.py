"""Sweeps of arms, platforms and baskets: each crossed with its scenarios, run in resumable tasks.

A study file with ``[[arms]]``, ``[[platforms]]`` or ``[[baskets]]`` (instead of ``[[designs]]``)::

    [study]
    name = "arms-and-baskets"
    n_trials = 2000            # simulated arms, platforms or basket trials per unit
    seed = 2026
    block_trials = 1000        # optional: trials per task (default min(n_trials, 10000))
    units_per_task = 4         # optional: units (subject x scenario) per task
    acceptable_band = 0.05     # optional: arms' correct selection within the band of the target

    [[arms]]                   # an arm file (or an inline arm: design, cohorts, safety)
    file = "arm.toml"          # relative to the study file
    name = "A"                 # optional: the arm's own name
    scenarios = ["active"]     # optional: which of the file's [[scenarios]] (default: all of them)
    true_eff = [0.1, 0.2, 0.3, 0.4]   # response per dose for the study's scenarios that give none
    correlation = 0.0          # optional, with true_eff

    [[platforms]]              # a platform file
    file = "platform.toml"
    scenarios = ["default"]    # optional subset of its [[scenarios]]
    cross_arm = "arm B"        # optional: the study's scenarios replace this arm's truth in every
                               # platform scenario (with this entry's true_eff when they give none)
    true_eff = [0.2, 0.3, 0.4]

    [[baskets]]                # a basket file: its designs x its scenarios
    file = "basket.toml"
    designs = ["borrow"]       # optional subsets
    scenarios = ["global null"]
    active_grid = { alternative = 0.35 }   # optional: scenarios "active-0" .. "active-K", the first k
                                           # cohorts at the alternative, the others at their q0

    [[scenarios]], [[scenario_grids]], [[random_scenarios]], scenario_files   # as in single-arm studies:
        crossed with every arm (and with each platform's cross_arm)

A *unit* is one subject (an arm, a platform, a basket design) under one scenario; the unit simulated
here is the subject simulated directly (``simulate_arm``, ``simulate_platform``, ``simulate_trials``) on
trials ``first_trial ..`` of the same seed, reduced by the subject's own sums (``ArmSums``,
``PlatformSums``, ``BasketSums``): their rows are the tidy tables' rows. Counts and sums are exact
(integers, fractions), so blocks add up to the direct run bit for bit; a platform's day sums are floats,
added block after block in the direct run's order (equal to ``simulate_platform_spec`` with the same
``block_trials``).

Arms in calendar time (a [timing] section) keep, as ``ArmSums`` does, their calendar columns' exact
sums and the duration's order statistics (:mod:`dosefind.oc.calendar_sums`), merged exactly across
blocks; the parts hold them per unit and task, not per arm.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..designs import validate as v
from ..errors import EngineError, SpecError
from ..scenario import Scenario
from .study import (
    MAX_SCENARIOS,
    _check_scenario_count,
    _random_scenarios,
    _read_toml,
    _scenario_file,
    _scenario_grid,
    check_grid_shapes,
    trials_seed_block,
)

#: the blocks that make a study a study of arms, platforms or baskets
UNIT_KEYS = ("arms", "platforms", "baskets")
#: simulated trials aimed at per task when grouping units (a platform trial costs more than an arm)
UNIT_TASK_TRIALS = 20_000
STUDY_KEYS = ("name", "n_trials", "seed", "block_trials", "units_per_task", "acceptable_band", "description")
SCENARIO_KEYS = ("scenarios", "scenario_grids", "random_scenarios")
#: output tables, one per kind of subject, each as Parquet and CSV
TABLES = {"arm": "arm_oc", "platform": "platform_oc", "basket": "basket_oc"}
COLUMNS = {
    "arm": ("arm", "scenario", "metric", "level", "value", "mcse"),
    "platform": ("platform", "scenario", "arm", "level", "metric", "value", "mcse"),
    "basket": ("basket", "design", "scenario", "metric", "cohort", "value", "mcse"),
}


@dataclass(frozen=True)
class Unit:
    """One subject under one scenario: ``kind`` arm | platform | basket; ``subject`` its name in the
    tables; ``payload`` what the simulation needs (an arm, its ArmScenario and its Timing or None; a
    platform and its PlatformScenario; a basket design, the cohorts and a BasketScenario)."""

    kind: str
    subject: str
    scenario: str
    payload: tuple
    description: str = ""

    def spec_dict(self) -> dict:
        if self.kind == "arm":
            arm, scen, timing = self.payload
            out = {"arm": arm.to_dict(), "scenario": scen.to_dict(arm.design)}
            if timing is not None:
                out["timing"] = timing.to_dict()
            return out
        if self.kind == "platform":
            platform, scen = self.payload
            return {"platform": platform.to_dict(), "scenario": [scen.name, list(scen.arm_scenarios)]}
        design, cohorts, scen = self.payload
        return {
            "design": design.to_dict(),
            "cohorts": [c.to_dict() for c in cohorts],
            "scenario": scen.to_dict(),
        }

    def config_hash(self) -> str:
        text = json.dumps(self.spec_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def new_sums(self, band):
        if self.kind == "arm":
            from ..arm.oc import ArmSums

            arm, scen, _ = self.payload
            return ArmSums(arm, scen, band)
        if self.kind == "platform":
            from ..platforms.oc import PlatformSums

            return PlatformSums(*self.payload)
        from ..basket.simulate import BasketSums

        design, cohorts, scen = self.payload
        return BasketSums(design.name, scen, cohorts)

    def exact_terms(self, band) -> list[tuple]:
        """The unit's operating characteristics computed exactly (an arm's :func:`~dosefind.arm.exact
        .exact_arm_oc`, a basket design's :func:`~dosefind.basket.exact.exact_rows`) as rows of
        :func:`terms_of`'s shape, kind ``"exact"``: n = 1 and S the value (n = 0 for an undefined one)."""
        if self.kind == "arm":
            from ..arm.exact import exact_arm_oc

            arm, scen, _ = self.payload
            rows, _cost = exact_arm_oc(arm, scen, band)
            keyed = [(r["metric"], r["level"], r["value"]) for r in rows]
        elif self.kind == "basket":
            from ..basket.exact import exact_rows

            design, cohorts, scen = self.payload
            keyed = [(r["metric"], r["cohort"], r["value"]) for r in exact_rows(design, cohorts, scen)]
        else:
            raise ValueError(f"no exact operating characteristics for a {self.kind}")
        return [(a, b, "", "exact", 0 if math.isnan(x) else 1, float(x), 0.0) for a, b, x in keyed]

    def simulate(self, n_trials: int, seed: int, first_trial: int, sums, block_trials: int) -> None:
        """Trials ``first_trial ..`` of the subject under the scenario, added to ``sums``."""
        if self.kind == "arm":
            from ..arm.simulate import simulate_arm

            arm, scen, timing = self.payload
            simulate_arm(
                arm,
                scen,
                n_trials,
                seed,
                first_trial=first_trial,
                on_block=sums.add,
                block_trials=block_trials,
                timing=timing,
            )
        elif self.kind == "platform":
            from ..platforms.simulate import simulate_platform

            platform, scen = self.payload
            simulate_platform(
                platform,
                scen,
                n_trials,
                seed,
                first_trial=first_trial,
                on_block=sums.add,
                block_trials=block_trials,
            )
        else:
            from ..basket.simulate import simulate_trials

            design, cohorts, scen = self.payload
            sums.add(simulate_trials(design, cohorts, scen.rates, n_trials, seed, first_trial=first_trial))


# ---- sums <-> exact text -------------------------------------------------------------------------------
def _enc(x) -> str:
    """An exact text of an int, a Fraction or a float (hex), for the parts files."""
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(x)
    if isinstance(x, (float, np.floating)):
        return "f" + float(x).hex()
    if isinstance(x, Fraction):
        return "q" + str(x)
    return "i" + str(int(x))


def _dec(text: str):
    tag, body = text[0], text[1:]
    if tag == "f":
        return float.fromhex(body)
    if tag == "q":
        return Fraction(body)
    if tag == "i":
        return int(body)
    raise ValueError(f"unknown value {text!r}")


def terms_of(kind: str, sums) -> list[tuple]:
    """The sums' statistics as rows (a, b, c, kind, n, S, Q): arms' (metric, level, ""), platforms'
    (arm, level, metric), baskets' (metric, cohort, "")."""
    if kind == "arm":
        return [(m, lv, "", k, n, s, q) for m, lv, k, n, s, q in (sums.terms or [])]
    if kind == "platform":
        return [(*key, k, n, s, q) for key, (k, n, s, q) in sums.terms.items()]
    return [(m, c, "", k, n, s, q) for (m, c), (k, n, s, q) in sums.terms.items()]


def arrays_of(kind: str, sums):
    """A timed arm's calendar sums (:class:`~dosefind.oc.calendar_sums.ColumnSums` of its calendar
    columns and of its cohorts' decision days), a platform's day sums (and no second table); None
    otherwise."""
    if kind == "platform" and sums.days is not None:
        from ..oc.calendar_sums import ColumnSums

        return sums.days, ColumnSums(0)
    if kind != "arm" or sums.time is None:
        return None
    return sums.time, sums.cohort_day


def add_arrays(kind: str, sums, arrays) -> None:
    """Add a timed arm's calendar sums, or a platform's day sums, read back from a part."""
    if arrays is None:
        return
    if kind == "platform":
        sums.add_days(arrays[0])
        return
    if sums.time is None:
        sums.time, sums.cohort_day = arrays
    else:
        sums.time.merge(arrays[0])
        sums.cohort_day.merge(arrays[1])


def add_terms(kind: str, sums, rows: list[tuple]) -> None:
    """Add statistics read back from a part to ``sums`` (in the order they were produced)."""
    if kind == "arm":
        if sums.terms is None:
            sums.terms = [[a, b, k, n, s, q] for a, b, _, k, n, s, q in rows]
        else:
            for mine, (a, b, _, _k, n, s, q) in zip(sums.terms, rows, strict=True):
                if (mine[0], mine[1]) != (a, b):
                    raise ValueError(f"statistic {a!r} {b!r} out of order")
                mine[3] += n
                mine[4] += s
                mine[5] += q
        return
    for a, b, c, k, n, s, q in rows:
        key = (a, b, c) if kind == "platform" else (a, b)
        t = sums.terms.setdefault(key, [k, 0, 0, 0])
        t[1] += n
        t[2] += s
        t[3] += q


# ---- the study -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UnitTask:
    """Units ``first_unit ..`` of the study, one block of trials: a pure function of its fields."""

    task_id: int
    chunk: int
    block: int
    first_trial: int
    n_trials: int
    seed: int
    acceptable_band: float | None
    first_unit: int
    units: tuple[Unit, ...]
    exact: bool = False

    @property
    def trials(self) -> int:
        return len(self.units) * self.n_trials

    def compute(self) -> list[tuple]:
        """Per unit, the rows of its sums (:func:`terms_of`) over this block of trials and a timed arm's
        calendar columns (:func:`arrays_of`, else None); in an exact study, the unit's exact values
        (:meth:`Unit.exact_terms`)."""
        out = []
        if self.exact:
            return [(u.exact_terms(self.acceptable_band), None) for u in self.units]
        for u in self.units:
            sums = u.new_sums(self.acceptable_band)
            u.simulate(self.n_trials, self.seed, self.first_trial, sums, self.n_trials)
            out.append((terms_of(u.kind, sums), arrays_of(u.kind, sums)))
        return out


@dataclass(frozen=True)
class UnitStudy:
    """Arms, platforms and baskets, each under its scenarios (units), ``n_trials`` trials each."""

    name: str
    n_trials: int
    seed: int
    units: tuple[Unit, ...]
    block_trials: int
    units_per_task: int = 0
    acceptable_band: float | None = None
    description: str = ""
    source: str | None = None
    notes: tuple[str, ...] = ()
    #: ``exact = true``: each unit computed once exactly (one task per unit group, no trials)
    exact: bool = False

    def __post_init__(self):
        if self.exact:
            object.__setattr__(self, "units_per_task", max(self.units_per_task, 1))
        if self.units_per_task <= 0:
            object.__setattr__(self, "units_per_task", max(1, UNIT_TASK_TRIALS // self.block_trials))

    @property
    def n_blocks(self) -> int:
        return math.ceil(self.n_trials / self.block_trials)

    @property
    def n_chunks(self) -> int:
        return math.ceil(len(self.units) / self.units_per_task)

    @property
    def n_tasks(self) -> int:
        return self.n_chunks * self.n_blocks

    @property
    def total_trials(self) -> int:
        return self.n_trials * len(self.units)

    def kinds(self) -> tuple[str, ...]:
        return tuple(k for k in TABLES if any(u.kind == k for u in self.units))

    def task(self, task_id: int) -> UnitTask:
        if not 0 <= task_id < self.n_tasks:
            raise IndexError(task_id)
        chunk, block = divmod(task_id, self.n_blocks)
        first = block * self.block_trials
        u0 = chunk * self.units_per_task
        return UnitTask(
            task_id=task_id,
            chunk=chunk,
            block=block,
            first_trial=first,
            n_trials=min(self.block_trials, self.n_trials - first),
            seed=self.seed,
            acceptable_band=self.acceptable_band,
            first_unit=u0,
            units=self.units[u0 : u0 + self.units_per_task],
            exact=self.exact,
        )

    def counts(self) -> dict:
        """What the manifest and every table's provenance say about the study's size."""
        return {
            "n_units": len(self.units),
            **{f"n_{k}_units": sum(u.kind == k for u in self.units) for k in TABLES},
        }

    def settings(self) -> dict:
        return {
            "kind": "units",
            "name": self.name,
            "n_trials": self.n_trials,
            "seed": self.seed,
            "block_trials": self.block_trials,
            "units_per_task": self.units_per_task,
            "acceptable_band": self.acceptable_band,
            **self.counts(),
            **({"exact": True} if self.exact else {}),  # simulated studies keep the hash they had
        }

    def study_hash(self) -> str:
        """SHA-256 (first 16 hex digits) of the settings and every unit's full spec."""
        h = hashlib.sha256()
        h.update(json.dumps(self.settings(), sort_keys=True, separators=(",", ":")).encode())
        for u in self.units:
            h.update(json.dumps([u.kind, u.subject, u.scenario, u.config_hash()]).encode())
        return h.hexdigest()[:16]

    def folder(self, out):
        from .unit_store import UnitFolder

        return UnitFolder(out, self)

    def check_size(self, workers: int | None = None, local: bool = True) -> None:
        """Refuse, before any work, more than ``MAX_TASKS`` tasks or (on local workers) a study estimated
        at more than ``MAX_SWEEP_SECONDS``, timing one unit of each subject (as single-arm sweeps do)."""
        import os

        from ..oc.study import FASTEST_TRIALS_PER_CORE, _duration, check_run_time
        from .study import MAX_SWEEP_SECONDS, MAX_TASKS

        cores = workers or os.cpu_count() or 1
        if self.n_tasks > MAX_TASKS:
            floor = self.total_trials / (FASTEST_TRIALS_PER_CORE * cores)
            raise SpecError(
                "study.n_trials",
                f"{self.total_trials:,} simulated trials in {self.n_tasks:,} tasks (files in the output "
                f"folder) would take at least {_duration(floor)} on {cores} cores; a study has at most "
                f"{MAX_TASKS:,} tasks",
                "use fewer trials or scenarios, or a larger study.block_trials or study.units_per_task",
            )
        if not local:
            return
        first: dict[tuple[str, str], Unit] = {}
        for u in self.units:
            first.setdefault((u.kind, u.subject), u)
        if self.exact:
            self._check_exact_time(first, cores)
            return

        def pilot(u: Unit):
            return lambda k: u.simulate(k, self.seed, 0, u.new_sums(self.acceptable_band), min(k, 10_000))

        check_run_time(
            self.n_trials,
            math.ceil(len(self.units) / len(first)),
            [pilot(u) for u in first.values()],
            flat_bytes=0,
            threads=cores,
            max_seconds=MAX_SWEEP_SECONDS,
            instead="or split the study into several",
            field="study.n_trials",
            memory="flat in the number of trials: one block of trials per worker",
        )

    def _check_exact_time(self, first: dict, cores: int) -> None:
        """Time one exact unit of each subject and refuse a study projected past ``MAX_SWEEP_SECONDS``."""
        import time

        from ..oc.study import _duration
        from .study import MAX_SWEEP_SECONDS

        seconds = {}
        for key, u in first.items():
            t0 = time.perf_counter()
            u.exact_terms(self.acceptable_band)
            seconds[key] = time.perf_counter() - t0
        total = sum(seconds[(u.kind, u.subject)] for u in self.units) / cores
        if total > MAX_SWEEP_SECONDS:
            slowest = max(seconds, key=seconds.get)
            raise SpecError(
                "study.exact",
                f"{len(self.units):,} exact units would take about {_duration(total)} on {cores} cores "
                f"({slowest[0]} {slowest[1]!r}: {seconds[slowest]:.1f} s a unit)",
                "use fewer scenarios, split the study, or drop exact = true and give n_trials and seed",
            )


# ---- reading -------------------------------------------------------------------------------------------
def _subset(field_: str, raw, known: list[str], what: str) -> list[str]:
    if raw is None:
        return known
    if not isinstance(raw, list) or not raw or not all(isinstance(x, str) for x in raw):
        raise SpecError(
            field_, f"expected a list of {what} names, got {raw!r}", f'write e.g. {field_} = ["S1"]'
        )
    for x in raw:
        if x not in known:
            raise SpecError(
                field_, f"no {what} named {x!r}", "use one of " + ", ".join(repr(k) for k in known)
            )
    return list(raw)


def _file_data(field_: str, entry: dict, base: Path) -> tuple[dict, Path | None]:
    """The entry's file (parsed, and its folder) or, without ``file``, the entry itself (inline)."""
    name = entry.get("file")
    if name is None:
        return entry, None
    if not isinstance(name, str) or not name:
        raise SpecError(f"{field_}.file", f"expected a file name, got {name!r}", 'write file = "arm.toml"')
    path = base / name
    if not path.is_file():
        raise SpecError(
            f"{field_}.file",
            f"{name} does not exist (looked in {base.name or '.'}/ next to the study file)",
            "give the path relative to the study file",
        )
    return _read_toml(path, f"{field_}.file"), path


def _nested(field_: str, e: SpecError) -> SpecError:
    return SpecError(f"{field_}.{e.field}" if e.field else field_, e.problem, e.fix)


def _response(field_: str, entry: dict, scen: Scenario, n_doses: int, what: str) -> tuple:
    """(true_eff, correlation) for a study scenario: its own, or the entry's."""
    if scen.true_eff is not None:
        return scen.true_eff, scen.correlation
    if "true_eff" not in entry:
        raise SpecError(
            f"{field_}.true_eff",
            f"the study's scenario {scen.name!r} gives no response probabilities and {what} needs them",
            f"add true_eff = [one response probability per dose ({n_doses})] to this block, or true_eff "
            "to the scenarios",
        )
    eff = v.prob_vector(f"{field_}.true_eff", entry["true_eff"])
    if len(eff) != n_doses:
        raise SpecError(
            f"{field_}.true_eff",
            f"{len(eff)} values for {n_doses} doses",
            "give one response probability per dose",
        )
    corr = entry.get("correlation", 0.0)
    return eff, corr


def _arm_scenario(field_: str, entry: dict, scen: Scenario, arm, si: int):
    from ..arm.spec import ArmScenario

    D = arm.design.n_doses
    if scen.n_doses != D:
        raise SpecError(
            f"scenarios[{si}].true_tox",
            f"scenario {scen.name!r} has {scen.n_doses} doses and {field_} ({arm.name!r}) has {D}",
            f"give the study's scenarios {D} doses, or sweep arms of another dose count in another study",
        )
    try:
        check_grid_shapes([scen], arm.design.dose_grid)
    except SpecError as e:
        raise SpecError(f"scenarios[{si}]", f"{e.problem} ({field_}, arm {arm.name!r})", e.fix) from None
    eff, corr = _response(field_, entry, scen, D, f"arm {arm.name!r}")
    try:
        return ArmScenario(scen.name, scen.true_tox, eff, corr, description=scen.description)
    except SpecError as e:
        raise _nested(field_, e) from None


def _arm_units(i: int, entry, base: Path, scenarios: list[Scenario]) -> list[Unit]:
    from ..arm.spec import arm_spec_from_dict

    field_ = f"arms[{i}]"
    if not isinstance(entry, dict):
        raise SpecError(field_, "expected a table", 'write [[arms]] with file = "arm.toml"')
    own = ["file", "name", "scenarios", "true_eff", "correlation"]
    data, path = _file_data(field_, entry, base)
    if path is not None:
        v.no_unknown_keys(field_, entry, own)
    else:
        data = {k: x for k, x in entry.items() if k not in own}
    try:
        spec = arm_spec_from_dict(data, str(path) if path else None, require_scenarios=False)
    except SpecError as e:
        raise SpecError(f"{field_}.file" if path else field_, f"{e.field}: {e.problem}", e.fix) from None
    arm = spec.arm
    if "name" in entry:
        if not isinstance(entry["name"], str) or not entry["name"]:
            raise SpecError(f"{field_}.name", "expected a non-empty name", 'write name = "arm A"')
        arm = replace(arm, name=entry["name"])
    names = [s.name for s in spec.scenarios]
    if "scenarios" in entry:
        picked = _subset(f"{field_}.scenarios", entry["scenarios"], names, "scenario")
    else:
        picked = names
    timing = spec.timing
    out = [
        Unit("arm", arm.name, s.name, (arm, s, timing), s.description)
        for s in spec.scenarios
        if s.name in picked
    ]
    for si, scen in enumerate(scenarios):
        a_scen = _arm_scenario(field_, entry, scen, arm, si)
        out.append(Unit("arm", arm.name, scen.name, (arm, a_scen, timing), scen.description))
    if not out:
        raise SpecError(
            f"{field_}.scenarios",
            f"arm {arm.name!r} has no scenario to run",
            "add [[scenarios]] to the arm file or to the study",
        )
    return out


def _platform_units(i: int, entry, base: Path, scenarios: list[Scenario]) -> list[Unit]:
    from ..platforms.spec import PlatformScenario, platform_spec_from_dict

    field_ = f"platforms[{i}]"
    if not isinstance(entry, dict):
        raise SpecError(field_, "expected a table", 'write [[platforms]] with file = "platform.toml"')
    v.no_unknown_keys(field_, entry, ["file", "name", "scenarios", "cross_arm", "true_eff", "correlation"])
    if "file" not in entry:
        raise SpecError(f"{field_}.file", "missing", 'give the platform file: file = "platform.toml"')
    data, path = _file_data(field_, entry, base)
    try:
        spec = platform_spec_from_dict(data, str(path), path.parent)
    except SpecError as e:
        raise SpecError(f"{field_}.file", f"{path.name}: {e.field}: {e.problem}", e.fix) from None
    platform = spec.platform
    if "name" in entry:
        if not isinstance(entry["name"], str) or not entry["name"]:
            raise SpecError(f"{field_}.name", "expected a non-empty name", 'write name = "P1"')
        platform = replace(platform, name=entry["name"])
    names = [s.name for s in spec.scenarios]
    picked = _subset(f"{field_}.scenarios", entry.get("scenarios"), names, "scenario")
    base_scen = [s for s in spec.scenarios if s.name in picked]
    cross = entry.get("cross_arm")
    if cross is None:
        if "true_eff" in entry or "correlation" in entry:
            raise SpecError(
                f"{field_}.true_eff",
                "a response curve for the study's scenarios, but no arm is crossed with them",
                'add cross_arm = "<arm name>", or remove true_eff',
            )
        return [Unit("platform", platform.name, s.name, (platform, s)) for s in base_scen]
    arm_names = [a.name for a in platform.arms]
    if cross not in arm_names:
        raise SpecError(
            f"{field_}.cross_arm",
            f"the platform has no arm named {cross!r}",
            "use one of " + ", ".join(repr(n) for n in arm_names),
        )
    if not scenarios:
        raise SpecError(
            f"{field_}.cross_arm",
            "the study has no scenarios to cross the arm with",
            "add [[scenarios]], [[scenario_grids]] or [[random_scenarios]] to the study, or remove cross_arm",
        )
    k = arm_names.index(cross)
    pa = platform.arms[k]
    out = []
    for si, scen in enumerate(scenarios):
        a_scen = _arm_scenario(f"{field_}.cross_arm", entry, scen, pa.arm, si)
        a_scen = replace(a_scen, name=f"study:{scen.name}")
        arms = list(platform.arms)
        arms[k] = replace(pa, scenarios=(*pa.scenarios, a_scen))
        try:
            p2 = replace(platform, arms=tuple(arms))
        except SpecError as e:
            raise _nested(field_, e) from None
        for ps in base_scen:
            picks = list(ps.arm_scenarios)
            picks[k] = a_scen.name
            name = f"{ps.name}/{scen.name}"
            out.append(
                Unit(
                    "platform",
                    platform.name,
                    name,
                    (p2, PlatformScenario(name, tuple(picks))),
                    scen.description,
                )
            )
    return out


def _basket_units(i: int, entry, base: Path) -> list[Unit]:
    from ..basket.spec import BasketScenario, spec_from_dict

    field_ = f"baskets[{i}]"
    if not isinstance(entry, dict):
        raise SpecError(field_, "expected a table", 'write [[baskets]] with file = "basket.toml"')
    v.no_unknown_keys(field_, entry, ["file", "name", "designs", "scenarios", "active_grid"])
    if "file" not in entry:
        raise SpecError(f"{field_}.file", "missing", 'give the basket file: file = "basket.toml"')
    data, path = _file_data(field_, entry, base)
    try:
        spec = spec_from_dict(data, str(path), require_scenarios=False)
    except SpecError as e:
        raise SpecError(f"{field_}.file", f"{path.name}: {e.field}: {e.problem}", e.fix) from None
    name = entry.get("name", spec.name)
    if not isinstance(name, str) or not name:
        raise SpecError(f"{field_}.name", "expected a non-empty name", 'write name = "rare-seven"')
    designs = _subset(f"{field_}.designs", entry.get("designs"), [d.name for d in spec.designs], "design")
    picked = _subset(
        f"{field_}.scenarios", entry.get("scenarios"), [s.name for s in spec.scenarios], "scenario"
    )
    scens = [s for s in spec.scenarios if s.name in picked]
    grid = entry.get("active_grid")
    if grid is not None:
        if not isinstance(grid, dict):
            raise SpecError(
                f"{field_}.active_grid", "expected a table", "write active_grid = { alternative = 0.35 }"
            )
        v.no_unknown_keys(f"{field_}.active_grid", grid, ["alternative"])
        if "alternative" not in grid:
            raise SpecError(f"{field_}.active_grid.alternative", "missing", "write e.g. alternative = 0.35")
        alt = v.probability(f"{field_}.active_grid.alternative", grid["alternative"])
        K = len(spec.cohorts)
        for k in range(K + 1):
            rates = tuple(alt if j < k else c.q0 for j, c in enumerate(spec.cohorts))
            scens.append(BasketScenario(f"active-{k}", rates))
        seen = [s.name for s in scens]
        if len(set(seen)) != len(seen):
            raise SpecError(
                f"{field_}.active_grid",
                "the basket file has a scenario named active-<k> already",
                "rename that scenario, or leave it out with scenarios = [...]",
            )
    if not scens:
        raise SpecError(
            f"{field_}.scenarios", f"basket {name!r} has no scenario", "add [[scenarios]] or active_grid"
        )
    by_name = {d.name: d for d in spec.designs}
    return [
        Unit("basket", name, s.name, (by_name[d], spec.cohorts, s), f"design {d}; rates {list(s.rates)}")
        for d in designs
        for s in scens
    ]


def is_unit_study(data) -> bool:
    return isinstance(data, dict) and any(k in data for k in UNIT_KEYS)


def unit_study_from_dict(data: dict, source: str | None = None, base_dir: Path | None = None) -> UnitStudy:
    """Validate a study of arms, platforms and baskets (the parsed TOML); ``base_dir`` resolves files."""
    base = base_dir or Path(".")
    try:
        mixed = [k for k in ("design", "designs", "design_grids") if k in data]
        if mixed:
            raise SpecError(
                mixed[0],
                "a study sweeps either designs or arms, platforms and baskets, not both",
                "split it into two study files",
            )
        v.no_unknown_keys("study file", data, ["study", *UNIT_KEYS, *SCENARIO_KEYS])
        st = data.get("study")
        if not isinstance(st, dict):
            raise SpecError("study", "missing", "add a [study] section with n_trials and seed")
        v.no_unknown_keys("study", st, [*STUDY_KEYS, "scenario_files", "exact"])
        exact = v.boolean("study.exact", st.get("exact", False))
        if exact:
            if data.get("platforms"):
                raise SpecError(
                    "study.exact",
                    "platforms run in calendar time, so their operating characteristics are simulated; "
                    "exact = true applies to arms and baskets",
                    "remove exact = true, or put the platforms in a study of their own",
                )
            for key in ("n_trials", "seed", "block_trials"):
                if key in st:
                    raise SpecError(
                        f"study.{key}",
                        "given with exact = true: an exact study simulates no trials (one exact computation "
                        "per unit)",
                        f"remove {key}, or set exact = false",
                    )
            n_trials, seed, block = 1, 0, 1
        else:
            n_trials, seed, block = trials_seed_block(st)
        upt = v.integer("study.units_per_task", st.get("units_per_task", 0), low=0)
        band = st.get("acceptable_band")
        if band is not None:
            band = v.real("study.acceptable_band", band, low=0.0, high=1.0, high_open=True)
        name = st.get("name", Path(source).stem if source else "study")
        if not isinstance(name, str) or not name:
            raise SpecError("study.name", "expected a non-empty text", 'write e.g. name = "arms"')
        description = st.get("description", "")
        if not isinstance(description, str):
            raise SpecError("study.description", "expected text", "write a short description in quotes")

        scenarios: list[Scenario] = []
        raw = data.get("scenarios", [])
        if not isinstance(raw, list):
            raise SpecError(
                "scenarios", "expected [[scenarios]] blocks", "write one [[scenarios]] block each"
            )
        scenarios.extend(Scenario.from_dict(s, f"scenarios[{i}]") for i, s in enumerate(raw))
        files = st.get("scenario_files", [])
        if not isinstance(files, list):
            raise SpecError("study.scenario_files", "expected a list of file names", 'write ["file.toml"]')
        for i, f in enumerate(files):
            scenarios.extend(_scenario_file(i, base, f))
        for key, reader in (("scenario_grids", _scenario_grid), ("random_scenarios", _random_scenarios)):
            blocks = data.get(key, [])
            if not isinstance(blocks, list):
                raise SpecError(key, f"expected [[{key}]] blocks", f"write [[{key}]]")
            for i, rb in enumerate(blocks):
                _check_scenario_count(key, i, rb, len(scenarios))
                scenarios.extend(reader(i, rb))
        seen: set[str] = set()
        for i, s in enumerate(scenarios):
            if s.name in seen:
                raise SpecError(
                    f"scenarios[{i}].name",
                    f"duplicate scenario name {s.name!r}",
                    "give every scenario a distinct name",
                )
            seen.add(s.name)
        if len(scenarios) > MAX_SCENARIOS:
            raise SpecError("scenarios", f"{len(scenarios):,} scenarios", f"use at most {MAX_SCENARIOS:,}")

        units: list[Unit] = []
        blocks = {k: data.get(k, []) for k in UNIT_KEYS}
        for k, b in blocks.items():
            if not isinstance(b, list):
                raise SpecError(k, f"expected [[{k}]] blocks", f"write one [[{k}]] block per file")
        for i, e in enumerate(blocks["arms"]):
            units.extend(_arm_units(i, e, base, scenarios))
        crossing = False
        for i, e in enumerate(blocks["platforms"]):
            crossing = crossing or (isinstance(e, dict) and "cross_arm" in e)
            units.extend(_platform_units(i, e, base, scenarios))
        for i, e in enumerate(blocks["baskets"]):
            units.extend(_basket_units(i, e, base))
        if scenarios and not blocks["arms"] and not crossing:
            raise SpecError(
                "scenarios",
                "the study's scenarios (DLT curves) are crossed with [[arms]] and a platform's cross_arm "
                "only, and this study has neither",
                "remove the scenarios, add [[arms]], or add cross_arm to a [[platforms]] block",
            )
        if not units:
            raise SpecError("arms", "missing", "add [[arms]], [[platforms]] or [[baskets]] blocks")
        keys = [
            (u.kind, u.subject, u.scenario, u.payload[0].name if u.kind == "basket" else "") for u in units
        ]
        for j, key in enumerate(keys):
            if key in keys[:j]:
                raise SpecError(
                    f"{key[0]}s",
                    f"{key[0]} {key[1]!r} appears twice under scenario {key[2]!r}",
                    "give each block a distinct name (name = ...), and the study's scenarios names that "
                    "its arms' own scenarios do not use",
                )
        if exact:
            _check_exact_units(units)
    except SpecError as e:
        raise (e.with_source(source) if source else e) from None
    notes = tuple(n for s in scenarios for n in s.notes())
    return UnitStudy(
        name=name,
        n_trials=n_trials,
        seed=seed,
        units=tuple(units),
        block_trials=block,
        units_per_task=upt,
        acceptable_band=band,
        description=description,
        source=source,
        notes=notes,
        exact=exact,
    )


def _check_exact_units(units: list[Unit]) -> None:
    """Every unit of an exact study must have exact operating characteristics (one-line refusal)."""
    from ..arm.exact import exact_arm_supported
    from ..basket.exact import check_exact

    for u in units:
        if u.kind == "arm":
            arm, _scen, timing = u.payload
            why = exact_arm_supported(arm, timing is not None)
            if why is not None:
                raise SpecError(
                    "study.exact",
                    f"arm {u.subject!r} has no exact operating characteristics: {why}",
                    f"remove arm {u.subject!r}, or drop exact = true and give n_trials and seed",
                )
        else:
            design, cohorts, _scen = u.payload
            try:
                check_exact(design, cohorts)
            except EngineError as e:
                raise SpecError(
                    "study.exact",
                    f"basket {u.subject!r}, design {design.name!r}: {e}",
                    "remove that design (designs = [...] in its [[baskets]] block), or drop exact = true",
                ) from None
