"""A phase I/II arm as an immutable spec: an escalation design, expansion cohorts with efficacy rules,
and safety monitoring at the recommended dose; and the arm's scenarios (toxicity, efficacy, correlation).

Arm files are TOML::

    [arm]
    name = "dabrafenib + trametinib"
    open_min_responses = 0         # responses at the selected dose needed to open the extension

    [design]                       # any design (those that decide with pending patients need [timing])
    kind = "boin_comb"
    ...

    [timing]                       # optional: the arm in calendar time (see scenario/timing.py)
    patients_per_month = 2
    dlt_window_days = 28
    response_days = 56             # a response is known this long after entry (default: the window)

    [safety]                       # stop all cohorts if P(DLT rate > limit | data at the dose) > confidence
    limit = 0.30
    confidence = 0.95

    [[cohorts]]                    # one block per expansion cohort
    name = "BRAF V600"
    rule = "simon"                 # simon | bop2 | predictive, with the rule's own fields
    p0 = 0.05
    p1 = 0.25
    alpha = 0.05
    beta = 0.2
    which = "minimax"
    count_escalation = true        # patients treated at the selected dose during escalation count first

    [[scenarios]]
    name = "active"
    true_tox = [[0.05, 0.10, 0.20], [0.10, 0.25, 0.40]]   # a dose vector, or a grid table for combinations
    true_eff = [[0.10, 0.20, 0.30], [0.20, 0.35, 0.45]]   # response probability (escalation population)
    correlation = 0.2                                    # Gaussian copula correlation, toxicity-response
    [scenarios.cohort_response]                          # per cohort: a number, a dose vector or grid
    "BRAF V600" = 0.35                                   # (default: the cohort responds like escalation)

    [simulation]
    n_trials = 20000
    seed = 1
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..designs import Design, design_from_dict
from ..designs import validate as v
from ..designs.grid import grid_values
from ..designs.modifiers import beta_stop_table
from ..errors import SpecError
from ..extension import rule_from_dict
from ..scenario.timing import Timing


@dataclass(frozen=True)
class SafetyMonitor:
    """Stop the extension when P(DLT rate > limit | all patients at the selected dose) > confidence.

    Beta(prior_a, prior_b) prior; checked after every extension patient once at least ``min_n`` patients
    have been treated at the dose. With limit = target, confidence 0.95 and a Beta(1, 1) prior this is
    BOIN's elimination rule carried into the extension.
    """

    limit: float
    confidence: float = 0.95
    prior_a: float = 1.0
    prior_b: float = 1.0
    min_n: int = 3

    def __post_init__(self):
        v.probability("safety.limit", self.limit, open_interval=True)
        v.probability("safety.confidence", self.confidence, open_interval=True)
        v.real("safety.prior_a", self.prior_a, low=0.0, low_open=True)
        v.real("safety.prior_b", self.prior_b, low=0.0, low_open=True)
        v.integer("safety.min_n", self.min_n, low=1)

    def table(self, n_cap: int) -> np.ndarray:
        """int8 [n_cap + 1, n_cap + 1]: 1 where y DLTs in n patients stop the extension."""
        return beta_stop_table(self.prior_a, self.prior_b, self.limit, self.confidence, self.min_n, n_cap)

    def stop_boundary(self, n: int) -> int | None:
        """Smallest number of DLTs in n patients that stops, or None."""
        row = self.table(n)[n, : n + 1]
        hits = np.flatnonzero(row)
        return int(hits[0]) if hits.size else None

    def to_dict(self) -> dict:
        return {
            "limit": self.limit,
            "confidence": self.confidence,
            "prior_a": self.prior_a,
            "prior_b": self.prior_b,
            "min_n": self.min_n,
        }

    @classmethod
    def from_dict(cls, data) -> SafetyMonitor:
        if not isinstance(data, dict):
            raise SpecError(
                "safety", f"expected a table, got {data!r}", "write a [safety] section with limit = ..."
            )
        v.no_unknown_keys("safety", data, ["limit", "confidence", "prior_a", "prior_b", "min_n"])
        if "limit" not in data:
            raise SpecError("safety.limit", "missing", "add limit = <highest acceptable DLT rate>")
        return cls(**data)


@dataclass(frozen=True)
class ExpansionCohort:
    """One expansion cohort: its name, efficacy rule, and whether escalation patients count toward it."""

    name: str
    rule: object
    count_escalation: bool = False

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise SpecError(
                "cohorts.name", f"expected a name, got {self.name!r}", 'write e.g. name = "BRAF V600"'
            )
        v.boolean("cohorts.count_escalation", self.count_escalation)
        if not hasattr(self.rule, "boundaries"):
            raise SpecError(
                "cohorts.rule",
                f"not an extension rule: {self.rule!r}",
                "use rule = simon, bop2 or predictive",
            )

    @property
    def boundaries(self):
        return self.rule.boundaries()

    def to_dict(self) -> dict:
        out = {"name": self.name, **self.rule.to_dict()}
        if self.count_escalation:
            out["count_escalation"] = True
        return out

    @classmethod
    def from_dict(cls, data, field_: str) -> ExpansionCohort:
        if not isinstance(data, dict):
            raise SpecError(
                field_, f"expected a table, got {data!r}", "write [[cohorts]] blocks with name and rule"
            )
        data = dict(data)
        name = data.pop("name", None)
        if name is None:
            raise SpecError(f"{field_}.name", "missing", "give every cohort a name")
        carry = data.pop("count_escalation", False)
        try:
            v.boolean(f"{field_}.count_escalation", carry)
        except SpecError as e:
            raise SpecError(f"{field_}.count_escalation", e.problem, e.fix) from None
        rule = rule_from_dict(data, field_)
        return cls(str(name), rule, carry)


@dataclass(frozen=True)
class Arm:
    """Escalation design + expansion cohorts (+ safety monitoring at the selected dose)."""

    design: Design
    cohorts: tuple[ExpansionCohort, ...]
    safety: SafetyMonitor | None = None
    open_min_responses: int = 0
    name: str = ""

    def __post_init__(self):
        if not isinstance(self.design, Design):
            raise SpecError("design", f"not a design: {self.design!r}", "give a [design] section")
        cohorts = tuple(self.cohorts)
        if not cohorts:
            raise SpecError(
                "cohorts", "an arm needs at least one expansion cohort", "add a [[cohorts]] block"
            )
        names = [c.name for c in cohorts]
        if len(set(names)) != len(names):
            raise SpecError("cohorts.name", "two cohorts share a name", "give every cohort a distinct name")
        if sum(c.count_escalation for c in cohorts) > 1:
            raise SpecError(
                "cohorts.count_escalation",
                "more than one cohort counts the escalation patients (they would be counted twice)",
                "set count_escalation = true in one cohort at most",
            )
        object.__setattr__(self, "cohorts", cohorts)
        v.integer("arm.open_min_responses", self.open_min_responses, low=0)
        if not isinstance(self.name, str):
            raise SpecError("arm.name", f"expected text, got {self.name!r}", 'write e.g. name = "arm A"')
        if not self.name:
            object.__setattr__(self, "name", self.design.name)

    @property
    def grid(self):
        return self.design.dose_grid

    @property
    def cohort_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.cohorts)

    @property
    def max_extension_n(self) -> int:
        return sum(c.boundaries.max_n for c in self.cohorts)

    def to_dict(self) -> dict:
        out: dict = {"arm": {"name": self.name, "open_min_responses": self.open_min_responses}}
        out["design"] = self.design.to_dict()
        if self.safety is not None:
            out["safety"] = self.safety.to_dict()
        out["cohorts"] = [c.to_dict() for c in self.cohorts]
        return out

    def config_hash(self) -> str:
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def __hash__(self):
        return hash(self.config_hash())

    def describe(self) -> str:
        parts = [self.design.describe()]
        for c in self.cohorts:
            carry = ", escalation patients count" if c.count_escalation else ""
            parts.append(f"cohort {c.name!r}: {c.rule.describe()}{carry}")
        if self.safety is not None:
            s = self.safety
            parts.append(f"safety: stop if P(DLT rate > {s.limit:g}) > {s.confidence:g} (n >= {s.min_n})")
        return "; ".join(parts)

    @classmethod
    def from_dict(cls, data: dict) -> Arm:
        arm = data.get("arm", {})
        if not isinstance(arm, dict):
            raise SpecError("arm", f"expected a table, got {arm!r}", "write an [arm] section")
        v.no_unknown_keys("arm", arm, ["name", "open_min_responses"])
        if "design" not in data:
            raise SpecError("design", "missing", "add a [design] section with the escalation design")
        design = design_from_dict(data["design"])
        if design.default_n_cap() > design.max_n:
            raise SpecError(
                "design.backfill",
                "an arm counts the escalation's max_n patients, and backfill treats more: not supported yet",
                "remove [design.backfill] from the arm's design",
            )
        cohorts_data = data.get("cohorts")
        if not isinstance(cohorts_data, list) or not cohorts_data:
            raise SpecError("cohorts", "missing", "add [[cohorts]] blocks (name, rule and the rule's fields)")
        cohorts = tuple(ExpansionCohort.from_dict(c, f"cohorts[{i}]") for i, c in enumerate(cohorts_data))
        safety = SafetyMonitor.from_dict(data["safety"]) if "safety" in data else None
        return cls(
            design=design,
            cohorts=cohorts,
            safety=safety,
            open_min_responses=arm.get("open_min_responses", 0),
            name=arm.get("name", ""),
        )


def _dose_values(field_: str, values, design: Design, what: str) -> tuple[float, ...]:
    if design.dose_grid is not None:
        return grid_values(field_, values, design.dose_grid, what=what)
    out = v.prob_vector(field_, values)
    if len(out) != design.n_doses:
        raise SpecError(field_, f"{len(out)} values for {design.n_doses} doses", f"give one {what} per dose")
    return out


@dataclass(frozen=True)
class ArmScenario:
    """The truth an arm is simulated under: DLT and response probabilities per dose (or cell), the copula
    correlation between toxicity and response, and each cohort's response probability per dose."""

    name: str
    true_tox: tuple[float, ...]
    true_eff: tuple[float, ...]
    correlation: float = 0.0
    cohort_response: tuple[tuple[str, tuple[float, ...]], ...] = field(default=())
    description: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise SpecError("name", f"expected a non-empty name, got {self.name!r}", 'write e.g. name = "S1"')
        object.__setattr__(self, "true_tox", v.prob_vector("true_tox", self.true_tox))
        object.__setattr__(self, "true_eff", v.prob_vector("true_eff", self.true_eff))
        if len(self.true_eff) != len(self.true_tox):
            raise SpecError(
                "true_eff", "not one value per dose of true_tox", "give true_eff the shape of true_tox"
            )
        v.real("correlation", self.correlation, low=-1.0, high=1.0, low_open=True, high_open=True)

    @property
    def key(self) -> int:
        return int(hashlib.sha256(self.name.encode()).hexdigest()[:15], 16)

    def response_of(self, cohort: str) -> tuple[float, ...]:
        for name, values in self.cohort_response:
            if name == cohort:
                return values
        return self.true_eff

    def to_dict(self, design: Design | None = None) -> dict:
        def shape(values):
            if design is not None and design.dose_grid is not None:
                return design.dose_grid.as_matrix(values).tolist()
            return list(values)

        out: dict = {"name": self.name, "true_tox": shape(self.true_tox), "true_eff": shape(self.true_eff)}
        if self.correlation:
            out["correlation"] = self.correlation
        if self.cohort_response:
            out["cohort_response"] = {k: shape(x) for k, x in self.cohort_response}
        if self.description:
            out["description"] = self.description
        return out

    @classmethod
    def from_dict(cls, data, arm: Arm, field_: str = "scenario") -> ArmScenario:
        if not isinstance(data, dict):
            raise SpecError(field_, f"expected a table, got {data!r}", "write [[scenarios]] blocks")
        v.no_unknown_keys(
            field_, data, ["name", "true_tox", "true_eff", "correlation", "cohort_response", "description"]
        )
        for key in ("name", "true_tox", "true_eff"):
            if key not in data:
                raise SpecError(f"{field_}.{key}", "missing", f"add {key} = ... to every [[scenarios]] block")
        d = arm.design
        tox = _dose_values(f"{field_}.true_tox", data["true_tox"], d, "DLT probability")
        eff = _dose_values(f"{field_}.true_eff", data["true_eff"], d, "response probability")
        responses = data.get("cohort_response", {})
        if not isinstance(responses, dict):
            raise SpecError(
                f"{field_}.cohort_response",
                "expected a table",
                'write [scenarios.cohort_response] with "cohort" = rate',
            )
        pairs = []
        for name, value in responses.items():
            if name not in arm.cohort_names:
                raise SpecError(
                    f"{field_}.cohort_response.{name}",
                    "no cohort of that name",
                    "use one of the [[cohorts]] names: " + ", ".join(repr(n) for n in arm.cohort_names),
                )
            sub = f"{field_}.cohort_response.{name}"
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                values = (v.probability(sub, value),) * d.n_doses
            else:
                values = _dose_values(sub, value, d, "response probability")
            pairs.append((name, values))
        try:
            return cls(
                name=data["name"],
                true_tox=tox,
                true_eff=eff,
                correlation=data.get("correlation", 0.0),
                cohort_response=tuple(pairs),
                description=data.get("description", ""),
            )
        except SpecError as e:
            raise SpecError(f"{field_}.{e.field}", e.problem, e.fix) from None


@dataclass(frozen=True)
class ArmSpec:
    """An arm file: the arm, its scenarios and simulation defaults."""

    arm: Arm
    scenarios: tuple[ArmScenario, ...]
    n_trials: int | None = None
    seed: int | None = None
    source: str | None = None
    #: calendar time of the arm (the [timing] section; None: untimed)
    timing: Timing | None = None
    #: ``[simulation] exact = true``: compute the operating characteristics exactly (arm/exact.py)
    exact: bool = False


def is_arm_file(data: dict) -> bool:
    """An arm file has [[cohorts]] (or an [arm] section)."""
    return "cohorts" in data or "arm" in data


def arm_spec_from_dict(data: dict, source: str | None = None, require_scenarios: bool = True) -> ArmSpec:
    v.no_unknown_keys("", data, ["arm", "design", "safety", "cohorts", "scenarios", "simulation", "timing"])
    arm = Arm.from_dict(data)
    timing = Timing.from_dict(data["timing"], arm=True) if "timing" in data else None
    if arm.design.uses_pending and timing is None:
        raise SpecError(
            "timing",
            f"the arm's design ({arm.design.kind}) decides with pending patients, which needs a clock",
            "add a [timing] section (patients_per_month, dlt_window_days) to the arm file",
        )
    raw = data.get("scenarios", [])
    if not isinstance(raw, list):
        raise SpecError("scenarios", "expected [[scenarios]] blocks", "write [[scenarios]] blocks")
    if require_scenarios and not raw:
        raise SpecError("scenarios", "missing", "add [[scenarios]] blocks with name, true_tox and true_eff")
    scenarios = tuple(ArmScenario.from_dict(s, arm, f"scenarios[{i}]") for i, s in enumerate(raw))
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise SpecError("scenarios.name", "two scenarios share a name", "give every scenario a distinct name")
    sim = data.get("simulation", {})
    if not isinstance(sim, dict):
        raise SpecError("simulation", "expected a table", "write a [simulation] section with n_trials = ...")
    v.no_unknown_keys("simulation", sim, ["n_trials", "seed", "exact"])
    exact = v.boolean("simulation.exact", sim["exact"]) if "exact" in sim else False
    n_trials = v.integer("simulation.n_trials", sim["n_trials"], low=1) if "n_trials" in sim else None
    seed = v.integer("simulation.seed", sim["seed"], low=0) if "seed" in sim else None
    if exact:
        from .exact import exact_arm_supported

        why = exact_arm_supported(arm, timing is not None)
        if why is not None:
            raise SpecError("simulation.exact", why, "remove exact = true and simulate the arm")
    return ArmSpec(arm, scenarios, n_trials, seed, source, timing, exact)


def load_arm(path: str | Path, require_scenarios: bool = True) -> ArmSpec:
    """Read an arm file; errors name the file and the field."""
    from ..specfile import _read_toml

    path = Path(path)
    data = _read_toml(path)
    try:
        return arm_spec_from_dict(data, str(path), require_scenarios)
    except SpecError as e:
        raise SpecError(e.field, e.problem, e.fix, source=str(path)) from None
