"""Study specs: scenarios x designs x trials, read from TOML, and their split into work units.

    [study]
    name = "random-6dose"
    n_trials = 2000            # trials per (scenario, design)
    seed = 2026                # one seed: every design sees the same patients (common random numbers)
    block_trials = 2000        # optional: trials per work unit (default min(n_trials, 10000))
    acceptable_band = 0.05     # optional: doses with |p - target| <= band count as correct
    scenario_files = ["target30-6dose.toml"]   # optional: [[scenarios]] of other files (relative paths)
    reference = "BOIN"         # optional: paired comparisons against this design (default: all pairs)

    [[designs]]                # explicit designs, as in a spec file
    name = "BOIN"
    kind = "boin"
    ...

    [[design_grids]]           # the cartesian product of the `vary` lists, each applied to `base`
    name = "CRM-{model}-c{cohort_size}"        # optional template; {i} is the combination number
    base = { kind = "crm", target = 0.3, n_doses = 6, max_n = 36, skeleton_nu = 3 }
    vary = { model = ["empiric", "logistic"], cohort_size = [1, 3] }

    [[scenarios]]              # explicit truths
    name = "S1"
    true_tox = [0.26, 0.34, 0.47, 0.64, 0.66, 0.77]

    [[scenario_grids]]         # parametric curves over a product of parameters
    model = "logistic"         # p_d = 1 / (1 + exp(-(intercept + slope * x_d)))
    dose_values = [-2, -1, 0, 1, 2, 3]
    intercept = [-1.5, -1.0]
    slope = [0.5, 1.0]         # or model = "power": p_d = skeleton_d ^ exp(a), with skeleton and a

    [[random_scenarios]]       # random-curve generators (dosefind.scenario.generators)
    generator = "liu_yuan"     # or "clertant_oquigley"; "two_drug" for two-drug grids (rows, cols, target)
    count = 1000
    seed = 11
    prefix = "ly"              # names ly-0, ly-1, ...
    params = { n_doses = 6, target = 0.3, mu1 = [0.3, 0.6], mu2 = [0.3, 0.6] }   # lists: products

    [timing]                   # optional: every trial in calendar time (as in spec files); the results add
    patients_per_month = 2     # the mean duration, patients turned away, days suspended and mean wait
    dlt_window_days = 28       # (with MCSE); designs that decide with pending patients need it

Lists in ``params`` of a random-scenario block are crossed; combination k gets scenario indices
k*count .. (k+1)*count - 1 (distinct random streams, distinct names). Parameters whose value is itself
a list (none of the generators' so far) cannot be varied this way.

Scenario names key the simulated patients (see :attr:`dosefind.scenario.Scenario.key`), so every scenario
name in a study must be unique; so must every design name.

With ``exact = true`` in ``[study]`` (and no ``n_trials``, ``seed``, ``block_trials``,
``scenarios_per_task`` or ``[timing]``, which are refused: nothing is simulated) every design under
every scenario is computed exactly, once, by ``simulate --exact``'s programme
(:mod:`dosefind.sweep.exact`); designs without exact operating characteristics are refused.

A study file with ``[[arms]]``, ``[[platforms]]`` or ``[[baskets]]`` instead of designs is read by
:mod:`dosefind.sweep.units` (:func:`load_study` hands it over).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from ..designs import Design, design_from_dict
from ..designs import validate as v
from ..errors import SpecError
from ..scenario import Scenario, check_against
from ..scenario.generators import GENERATORS, generate
from ..scenario.timing import Timing
from ..specfile import check_design_names, designs_from_dict

#: default cap on trials per work unit (larger runs are split into blocks of trials)
DEFAULT_BLOCK_TRIALS = 10_000
#: aim for about this many simulated trials (summed over designs) per task when grouping scenarios
TASK_TRIALS = 200_000
#: designs beyond which paired comparisons default to "against the first design" instead of all pairs
MAX_ALL_PAIRS_DESIGNS = 6
#: scenarios one study may hold: each is drawn and kept in memory before any trial runs
MAX_SCENARIOS = 1_000_000
#: memory per scenario: the curve and its name (about 0.6 KiB for six doses) and its rows in the results
SCENARIO_BYTES = 2048
#: tasks one study may have: each is a file in the output folder and an entry in the work list
MAX_TASKS = 1_000_000
#: a sweep estimated to take longer than this on the local workers is refused up front
MAX_SWEEP_SECONDS = 30 * 86400

STUDY_KEYS = [
    "name",
    "n_trials",
    "seed",
    "block_trials",
    "acceptable_band",
    "scenario_files",
    "reference",
    "scenarios_per_task",
    "description",
]
TOP_KEYS = [
    "study",
    "design",
    "designs",
    "design_grids",
    "scenarios",
    "scenario_grids",
    "random_scenarios",
    "timing",
]


def design_pairs(designs, reference: str | None) -> tuple[tuple[int, int], ...]:
    """Design index pairs (a, b) compared as a - b (same target only): each against ``reference``, else
    all pairs of up to ``MAX_ALL_PAIRS_DESIGNS`` designs, else each against the first."""
    idx = range(len(designs))
    if reference is not None:
        ref = [d.name for d in designs].index(reference)
        cand = [(i, ref) for i in idx if i != ref]
    elif len(designs) <= MAX_ALL_PAIRS_DESIGNS:
        cand = list(itertools.combinations(idx, 2))
    else:
        cand = [(i, 0) for i in idx if i != 0]
    return tuple((a, b) for a, b in cand if designs[a].target == designs[b].target)


@dataclass(frozen=True)
class Task:
    """One work unit group: every design on a run of scenarios, for one block of trials.

    Results depend only on the task's fields (never on the worker or backend that runs it).
    """

    task_id: int
    chunk: int
    block: int
    first_trial: int
    n_trials: int
    seed: int
    acceptable_band: float | None
    first_scenario: int
    scenarios: tuple[Scenario, ...]
    designs: tuple[Design, ...]
    pairs: tuple[tuple[int, int], ...]
    timing: Timing | None = None  #: calendar time of every trial (None: untimed)

    @property
    def trials(self) -> int:
        """Simulated trials in the task (every design on every scenario of the block)."""
        return len(self.scenarios) * len(self.designs) * self.n_trials


@dataclass(frozen=True)
class Study:
    """A validated study: every design under every scenario, ``n_trials`` trials each, one seed."""

    name: str
    n_trials: int
    seed: int
    designs: tuple[Design, ...]
    scenarios: tuple[Scenario, ...]
    block_trials: int
    acceptable_band: float | None = None
    reference: str | None = None
    scenarios_per_task: int = 0
    description: str = ""
    source: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    timing: Timing | None = None  #: the [timing] section: every trial in calendar time (None: untimed)

    def __post_init__(self):
        if self.scenarios_per_task <= 0:
            per_scenario = self.block_trials * max(len(self.designs), 1)
            object.__setattr__(self, "scenarios_per_task", max(1, TASK_TRIALS // per_scenario))

    # ---- layout ------------------------------------------------------------------------------------------
    @property
    def n_doses(self) -> int:
        return self.designs[0].n_doses

    @property
    def n_blocks(self) -> int:
        return math.ceil(self.n_trials / self.block_trials)

    @property
    def n_chunks(self) -> int:
        return math.ceil(len(self.scenarios) / self.scenarios_per_task)

    @property
    def n_tasks(self) -> int:
        return self.n_chunks * self.n_blocks

    @property
    def pairs(self) -> tuple[tuple[int, int], ...]:
        """Design index pairs (a, b) compared as a - b on common random numbers (same target only)."""
        return design_pairs(self.designs, self.reference)

    def task(self, task_id: int) -> Task:
        if not 0 <= task_id < self.n_tasks:
            raise IndexError(task_id)
        chunk, block = divmod(task_id, self.n_blocks)
        first = block * self.block_trials
        s0 = chunk * self.scenarios_per_task
        return Task(
            task_id=task_id,
            chunk=chunk,
            block=block,
            first_trial=first,
            n_trials=min(self.block_trials, self.n_trials - first),
            seed=self.seed,
            acceptable_band=self.acceptable_band,
            first_scenario=s0,
            scenarios=self.scenarios[s0 : s0 + self.scenarios_per_task],
            designs=self.designs,
            pairs=self.pairs,
            timing=self.timing,
        )

    @property
    def total_trials(self) -> int:
        return self.n_trials * len(self.scenarios) * len(self.designs)

    # ---- identity ----------------------------------------------------------------------------------------
    def settings(self) -> dict:
        """Everything that determines the results (also the manifest's record of the study). The timing
        appears only when given, so untimed studies keep their hash."""
        timing = {"timing": self.timing.to_dict()} if self.timing is not None else {}
        return {
            **timing,
            "name": self.name,
            "n_trials": self.n_trials,
            "seed": self.seed,
            "block_trials": self.block_trials,
            "acceptable_band": self.acceptable_band,
            "reference": self.reference,
            "scenarios_per_task": self.scenarios_per_task,
            "n_scenarios": len(self.scenarios),
            "designs": [d.to_dict() for d in self.designs],
        }

    def study_hash(self) -> str:
        """SHA-256 (first 16 hex digits) of the settings, every design and every scenario."""
        h = hashlib.sha256()
        h.update(json.dumps(self.settings(), sort_keys=True, separators=(",", ":")).encode())
        for s in self.scenarios:
            h.update(json.dumps([s.name, list(s.true_tox)], separators=(",", ":")).encode())
        return h.hexdigest()[:16]


# ---- reading -------------------------------------------------------------------------------------------
def _read_toml(path: Path, field_name: str = "file") -> dict:
    from ..specfile import _read_toml as read

    try:
        return read(path)
    except SpecError as e:
        if field_name == "file":
            raise  # the study file itself: the error names it already
        problem = e.problem if path.name in e.problem else f"{path.name}: {e.problem}"
        raise SpecError(field_name, problem, e.fix, e.source) from None


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _product(field_name: str, vary: dict) -> list[dict]:
    if not isinstance(vary, dict) or not vary:
        raise SpecError(field_name, "expected a table of lists", "write e.g. vary = { target = [0.25, 0.3] }")
    for key, values in vary.items():
        if not isinstance(values, list) or not values:
            raise SpecError(
                f"{field_name}.{key}",
                f"expected a non-empty list of alternatives, got {values!r}",
                f"write e.g. {key} = [a, b] (a list of lists for list-valued fields)",
            )
    keys = list(vary)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(vary[k] for k in keys))]


def _grid_name(field_name: str, template: str | None, base_name: str, combo: dict, vary: dict, i: int) -> str:
    if template is not None:
        if not isinstance(template, str) or not template:
            raise SpecError(
                f"{field_name}.name", "expected a text template", 'write e.g. name = "BOIN-{target}"'
            )
        try:
            return template.format(i=i, **{k: _fmt(x) for k, x in combo.items()})
        except (KeyError, IndexError, ValueError, AttributeError, TypeError) as e:
            raise SpecError(
                f"{field_name}.name",
                f"template {template!r} cannot be filled ({e!r})",
                "use only {i} and the names of the varied fields in braces",
            ) from None
    parts = []
    for k, x in combo.items():
        label = f"#{vary[k].index(x) + 1}" if isinstance(x, (list, dict)) else _fmt(x)
        parts.append(f"{k}={label}")
    return f"{base_name}[{','.join(parts)}]"


def _design_grid(i: int, raw: dict) -> list[Design]:
    field_name = f"design_grids[{i}]"
    if not isinstance(raw, dict):
        raise SpecError(field_name, "expected a table", "write [[design_grids]] with base and vary")
    v.no_unknown_keys(field_name, raw, ["name", "base", "vary"])
    for key in ("base", "vary"):
        if key not in raw:
            raise SpecError(
                f"{field_name}.{key}", "missing", "a design grid needs base = {...} and vary = {...}"
            )
    base = raw["base"]
    if not isinstance(base, dict):
        raise SpecError(f"{field_name}.base", "expected a table", "write base = { kind = ..., ... }")
    combos = _product(f"{field_name}.vary", raw["vary"])
    out = []
    for k, combo in enumerate(combos):
        spec = dict(base)
        spec.update(combo)
        spec["name"] = _grid_name(
            field_name, raw.get("name"), base.get("name", base.get("kind", "design")), combo, raw["vary"], k
        )
        try:
            out.append(design_from_dict(spec))
        except SpecError as e:
            raise SpecError(
                e.field.replace("design", field_name, 1), f"{e.problem} (combination {spec['name']!r})", e.fix
            ) from None
    return out


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


SCENARIO_MODELS = {
    # model: (list parameters fixed per grid, scalar parameters varied)
    "logistic": (["dose_values"], ["intercept", "slope"]),
    "power": (["skeleton"], ["a"]),
}


def _scenario_grid(i: int, raw: dict) -> list[Scenario]:
    field_name = f"scenario_grids[{i}]"
    if not isinstance(raw, dict):
        raise SpecError(field_name, "expected a table", 'write [[scenario_grids]] with model = "logistic"')
    model = v.choice(f"{field_name}.model", raw.get("model"), list(SCENARIO_MODELS))
    fixed, varied = SCENARIO_MODELS[model]
    v.no_unknown_keys(field_name, raw, ["model", "name", "description", *fixed, *varied])
    for key in fixed + varied:
        if key not in raw:
            raise SpecError(
                f"{field_name}.{key}", "missing", f"the {model!r} model needs {', '.join(fixed + varied)}"
            )
    values = raw[fixed[0]]
    if not isinstance(values, list) or len(values) < 2:
        raise SpecError(
            f"{field_name}.{fixed[0]}", "expected a list with one value per dose", "write e.g. [1, 2, 3]"
        )
    if model == "logistic":
        xs = [v.real(f"{field_name}.dose_values[{j}]", x) for j, x in enumerate(values)]
    else:
        xs = list(v.prob_vector(f"{field_name}.skeleton", values, open_interval=True))
    vary = {k: raw[k] if isinstance(raw[k], list) else [raw[k]] for k in varied}
    out = []
    for k, combo in enumerate(_product(field_name, vary)):
        pars = {key: v.real(f"{field_name}.{key}", val) for key, val in combo.items()}
        if model == "logistic":
            p = [_logistic(pars["intercept"] + pars["slope"] * x) for x in xs]
        else:
            p = [s ** math.exp(pars["a"]) for s in xs]
        name = _grid_name(field_name, raw.get("name"), model, combo, vary, k)
        text = ", ".join(f"{key}={_fmt(val)}" for key, val in combo.items())
        out.append(Scenario(name, tuple(p), raw.get("description", f"{model}({text})")))
    return out


def _n_combinations(vary) -> int:
    """How many combinations :func:`_product` would make of ``vary`` (0 when it is not a table of lists:
    the reader then says what is wrong)."""
    if not isinstance(vary, dict):
        return 0
    n = 1
    for values in vary.values():
        n *= len(values) if isinstance(values, list) else 1
    return n


def _check_scenario_count(key: str, i: int, raw, before: int) -> None:
    """Refuse, before drawing them, a scenario block that would take the study above ``MAX_SCENARIOS``
    scenarios, with the time to draw them and their memory."""
    if not isinstance(raw, dict):
        return
    if key == "random_scenarios":
        count = raw.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            return  # the reader says what is wrong
        params = raw.get("params", {})
        n = count * max(
            _n_combinations({k: x if isinstance(x, list) else [x] for k, x in params.items()})
            if isinstance(params, dict)
            else 1,
            1,
        )
        field_name, what = f"random_scenarios[{i}].count", "random scenarios"
    else:
        model = raw.get("model")
        varied = SCENARIO_MODELS[model][1] if model in SCENARIO_MODELS else []
        n = _n_combinations({k: raw[k] if isinstance(raw[k], list) else [raw[k]] for k in varied if k in raw})
        field_name, what = f"scenario_grids[{i}]", "grid scenarios"
    total = before + n
    if total <= MAX_SCENARIOS:
        return
    from ..engine.simulate import _bytes
    from ..oc.study import _duration

    seconds = ""
    if key == "random_scenarios":
        import time

        gen = raw.get("generator")
        probe = min(count, 50)
        try:
            start = time.perf_counter()
            generate(
                gen,
                probe,
                0,
                prefix="probe",
                **{k: (x[0] if isinstance(x, list) else x) for k, x in raw.get("params", {}).items()},
            )
            per = (time.perf_counter() - start) / probe
            seconds = f", about {_duration(per * n)} to draw them"
        except Exception:  # noqa: BLE001 - the estimate is optional; the reader reports a bad block
            seconds = ""
    raise SpecError(
        field_name,
        f"{n:,} {what} would make {total:,} scenarios in the study{seconds} and about "
        f"{_bytes(total * SCENARIO_BYTES)} of memory before any trial runs; a study holds at most "
        f"{MAX_SCENARIOS:,}",
        f"use at most {max(MAX_SCENARIOS - before, 0):,} here, or split the study into several",
    )


def _random_scenarios(i: int, raw: dict) -> list[Scenario]:
    field_name = f"random_scenarios[{i}]"
    if not isinstance(raw, dict):
        raise SpecError(
            field_name, "expected a table", 'write [[random_scenarios]] with generator = "liu_yuan"'
        )
    v.no_unknown_keys(field_name, raw, ["generator", "count", "seed", "prefix", "params"])
    gen = v.choice(f"{field_name}.generator", raw.get("generator"), sorted(GENERATORS))
    count = v.integer(f"{field_name}.count", raw.get("count"), low=1, fix="write e.g. count = 1000")
    seed = v.integer(f"{field_name}.seed", raw.get("seed"), low=0, fix="write e.g. seed = 11")
    prefix = raw.get("prefix", gen)
    if not isinstance(prefix, str) or not prefix:
        raise SpecError(f"{field_name}.prefix", "expected a non-empty text", 'write e.g. prefix = "ly"')
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise SpecError(
            f"{field_name}.params", "expected a table", "write params = { n_doses = 6, target = 0.3 }"
        )
    vary = {k: (x if isinstance(x, list) else [x]) for k, x in params.items()}
    out = []
    for k, combo in enumerate(_product(f"{field_name}.params", vary) if vary else [{}]):
        try:
            out.extend(generate(gen, count, seed, start=k * count, prefix=prefix, **combo))
        except SpecError as e:
            raise SpecError(f"{field_name}.params.{e.field.split('.')[-1]}", e.problem, e.fix) from None
    return out


def _scenario_file(i: int, base_dir: Path, name, grid=None) -> list[Scenario]:
    field_name = f"study.scenario_files[{i}]"
    if not isinstance(name, str):
        raise SpecError(
            field_name, f"expected a file name, got {name!r}", 'write e.g. ["target30-6dose.toml"]'
        )
    path = base_dir / name
    data = _read_toml(path, field_name)
    raw = data.get("scenarios")
    if not isinstance(raw, list) or not raw:
        raise SpecError(
            field_name, f"{name} has no [[scenarios]] blocks", "point to a file with [[scenarios]]"
        )
    try:
        return [Scenario.from_dict(s, f"scenarios[{j}]", grid) for j, s in enumerate(raw)]
    except SpecError as e:
        raise SpecError(field_name, f"{name}: {e.field}: {e.problem}", e.fix) from None


def check_grid_shapes(scenarios, grid) -> None:
    """A generated two-drug scenario (its ``grid_shape`` set) must have the designs' grid shape: a 3 x 4
    grid has as many cells as a 4 x 3 one, but not the same order."""
    for i, s in enumerate(scenarios):
        shape = s.grid_shape
        if shape is None:
            continue
        if grid is None:
            raise SpecError(
                f"scenarios[{i}]",
                f"scenario {s.name!r} is a {shape[0]} x {shape[1]} two-drug grid and the designs have one "
                "dose axis",
                "use two-drug designs ([design.grid]) or a single-agent generator",
            )
        if shape != (grid.n_rows, grid.n_cols):
            raise SpecError(
                f"scenarios[{i}]",
                f"scenario {s.name!r} is a {shape[0]} x {shape[1]} grid and the designs' grid is "
                f"{grid.n_rows} x {grid.n_cols}",
                f"generate rows = {grid.n_rows}, cols = {grid.n_cols}",
            )


def _check_exact_designs(designs) -> None:
    """Every design of an exact study must have exact operating characteristics (one-line refusal)."""
    from ..oc.exact_states import exact_supported

    for d in designs:
        why = exact_supported(d)
        if why is not None:
            raise SpecError(
                "study.exact",
                f"design {d.name!r} ({d.kind}) has no exact operating characteristics: {why}",
                f"remove design {d.name!r} from the study, or drop exact = true and give n_trials and seed",
            )


def _check_exact_scenarios(designs, scenarios) -> None:
    """A phase I/II design's exact operating characteristics need every scenario's response rates."""
    for d in designs:
        if not d.uses_efficacy:
            continue
        for s in scenarios:
            if s.true_eff is None:
                raise SpecError(
                    "scenarios.true_eff",
                    f"scenario {s.name!r} has no response probabilities and design {d.name!r} ({d.kind}) "
                    "decides on responses",
                    f"give true_eff in scenario {s.name!r}, or remove design {d.name!r} from the study",
                )


def trials_seed_block(st: dict) -> tuple[int, int, int]:
    """[study]'s n_trials and seed (both required) and block_trials (default: all trials, at most
    DEFAULT_BLOCK_TRIALS), validated."""
    for key in ("n_trials", "seed"):
        if key not in st:
            raise SpecError(f"study.{key}", "missing", f"add {key} = ... to [study]")
    n_trials = v.integer("study.n_trials", st["n_trials"], low=1, fix="write e.g. n_trials = 2000")
    seed = v.integer("study.seed", st["seed"], low=0, high=2**63 - 1, fix="write e.g. seed = 2026")
    block = v.integer(
        "study.block_trials",
        st.get("block_trials", min(n_trials, DEFAULT_BLOCK_TRIALS)),
        low=1,
        fix="write e.g. block_trials = 10000",
    )
    return n_trials, seed, min(block, n_trials)


def study_from_dict(data: dict, source: str | None = None, base_dir: Path | None = None):
    """Validate a study dictionary (the parsed TOML); ``base_dir`` resolves scenario_files. A
    :class:`Study`, or with ``exact = true`` a :class:`dosefind.sweep.exact.ExactStudy`."""
    try:
        if not isinstance(data, dict):
            raise SpecError("study", "expected a table", "write a [study] section")
        v.no_unknown_keys("study file", data, TOP_KEYS)
        if "study" not in data:
            raise SpecError("study", "missing", "add a [study] section with n_trials and seed")
        st = data["study"]
        if not isinstance(st, dict):
            raise SpecError("study", "expected a table", "write a [study] section")
        v.no_unknown_keys("study", st, [*STUDY_KEYS, "exact"])
        exact = v.boolean("study.exact", st.get("exact", False))
        if exact:
            for key in ("n_trials", "seed", "block_trials", "scenarios_per_task"):
                if key in st:
                    raise SpecError(
                        f"study.{key}",
                        "given with exact = true: an exact study simulates no trials (one exact computation "
                        "per design and scenario)",
                        f"remove {key}, or set exact = false",
                    )
            if "timing" in data:
                raise SpecError(
                    "timing",
                    "exact operating characteristics are computed for trials without calendar time",
                    "remove the [timing] section, or drop exact = true and give n_trials and seed",
                )
            n_trials, seed, block = 0, 0, 1
        else:
            n_trials, seed, block = trials_seed_block(st)
        band = st.get("acceptable_band")
        if band is not None:
            band = v.real("study.acceptable_band", band, low=0.0, high=1.0, high_open=True)
        spt = v.integer("study.scenarios_per_task", st.get("scenarios_per_task", 0), low=0)
        name = st.get("name", Path(source).stem if source else "study")
        if not isinstance(name, str) or not name:
            raise SpecError("study.name", "expected a non-empty text", 'write e.g. name = "random-6dose"')
        description = st.get("description", "")
        if not isinstance(description, str):
            raise SpecError("study.description", "expected text", "write a short description in quotes")

        designs = designs_from_dict(data)
        grids = data.get("design_grids", [])
        if not isinstance(grids, list):
            raise SpecError("design_grids", "expected [[design_grids]] blocks", "write [[design_grids]]")
        for i, raw in enumerate(grids):
            designs.extend(_design_grid(i, raw))
        if not designs:
            raise SpecError("designs", "missing", "add [[designs]] or [[design_grids]] blocks")
        check_design_names(designs)
        timing = Timing.from_dict(data["timing"]) if "timing" in data else None
        if exact:
            _check_exact_designs(designs)
        for d in designs:
            if d.uses_pending and timing is None:
                raise SpecError(
                    "designs.kind",
                    f"design {d.name!r} ({d.kind}) decides with pending patients, so it is simulated in "
                    "calendar time only",
                    "add a [timing] section (patients_per_month, dlt_window_days) to the study file",
                )
        names = [d.name for d in designs]
        n_doses = {d.n_doses for d in designs}
        if len(n_doses) > 1:
            raise SpecError(
                "designs.n_doses",
                f"designs have different numbers of doses {sorted(n_doses)}",
                "one study, one dose range",
            )
        reference = st.get("reference")
        if reference is not None and reference not in names:
            raise SpecError(
                "study.reference",
                f"no design named {reference!r}",
                "use one of " + ", ".join(repr(n) for n in names),
            )

        # scenarios
        scenarios: list[Scenario] = []
        raw_scen = data.get("scenarios", [])
        if not isinstance(raw_scen, list):
            raise SpecError(
                "scenarios", "expected [[scenarios]] blocks", "write one [[scenarios]] block per scenario"
            )
        grid = next((d.dose_grid for d in designs if d.dose_grid is not None), None)
        scenarios.extend(Scenario.from_dict(s, f"scenarios[{i}]", grid) for i, s in enumerate(raw_scen))
        files = st.get("scenario_files", [])
        if not isinstance(files, list):
            raise SpecError("study.scenario_files", "expected a list of file names", 'write ["file.toml"]')
        for i, name_ in enumerate(files):
            scenarios.extend(_scenario_file(i, base_dir or Path("."), name_, grid))
        for key, reader in (("scenario_grids", _scenario_grid), ("random_scenarios", _random_scenarios)):
            blocks = data.get(key, [])
            if not isinstance(blocks, list):
                raise SpecError(key, f"expected [[{key}]] blocks", f"write [[{key}]]")
            for i, raw in enumerate(blocks):
                _check_scenario_count(key, i, raw, len(scenarios))
                scenarios.extend(reader(i, raw))
        if not scenarios:
            raise SpecError(
                "scenarios",
                "missing",
                "add [[scenarios]], [[scenario_grids]], [[random_scenarios]] or scenario_files",
            )
        check_against(scenarios, designs[0].n_doses)
        check_grid_shapes(scenarios, grid)
        if exact:
            _check_exact_scenarios(designs, scenarios)
    except SpecError as e:
        raise (e.with_source(source) if source else e) from None
    notes = tuple(n for s in scenarios for n in s.notes())
    common = dict(
        name=name,
        designs=tuple(designs),
        scenarios=tuple(scenarios),
        acceptable_band=band,
        reference=reference,
        description=description,
        source=source,
        notes=notes,
    )
    if exact:
        from .exact import ExactStudy

        return ExactStudy(**common)
    return Study(
        **common,
        n_trials=n_trials,
        seed=seed,
        block_trials=block,
        scenarios_per_task=spt,
        timing=timing,
    )


def load_study(path: str | Path):
    """Read a study file (a :class:`Study` of designs, or with ``[[arms]]``, ``[[platforms]]`` or
    ``[[baskets]]`` a :class:`dosefind.sweep.units.UnitStudy`); errors name the file, field and fix."""
    from .units import is_unit_study, unit_study_from_dict

    path = Path(path)
    data = _read_toml(path)
    if is_unit_study(data):
        return unit_study_from_dict(data, path.name, path.parent)
    return study_from_dict(data, path.name, path.parent)
