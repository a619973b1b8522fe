"""A platform as an immutable spec: arms (arm files or inline arms) that share one stream of children,
each with its eligibility and its opening; the children's profiles; the allocation rule; the clock.

Platform files are TOML::

    [platform]
    name = "paediatric precision platform"
    allocation = "random"            # random | priority (file order) | least_enrolled | probability
    max_children = 100000            # a platform still running after this many arrivals is cut (counted)

    [timing]                         # the platform's clock: accrual of children (scenario/timing.py);
    patients_per_month = 10          # each arm's DLT window and response_days: its arm file's [timing],
    dlt_window_days = 28             # else these
    response_days = 56

    [population]
    biomarkers = { ALK = 0.10, MYCN = 0.20 }       # independent prevalences (a child may have several),
    # or a joint table: [[population.profiles]] biomarkers = ["ALK", "MYCN"], probability = 0.03
    histology = { neuroblastoma = 0.4, other = 0.6 }   # shares that sum to 1 (optional)
    age_group = { child = 0.7, adolescent = 0.3 }      # shares that sum to 1 (optional)

    [[arms]]
    name = "ALK inhibitor"
    file = "alk-arm.toml"            # an arm file, relative to this file; or inline [arms.design],
    biomarkers = ["ALK"]             # [[arms.cohorts]], [arms.safety], [[arms.scenarios]]
    histology = ["neuroblastoma"]    # eligibility: any of the biomarkers (none listed: none needed),
    age_group = ["child"]            # one of the histologies, one of the age groups (none: any)
    opens_day = 0                    # or opens_after = "another arm" (when that arm closes)
    weight = 1.0                     # allocation = "probability"
    [arms.cohort_eligibility]        # optional: a cohort's own eligibility, within the arm's (the
    simon = { histology = ["neuroblastoma"] }   # cohort takes only these children, and counts only
                                     # these escalation patients at the RP2D)

    [[scenarios]]                    # optional: which scenario of each arm (default: the arm's first)
    name = "all active"
    arms = { "ALK inhibitor" = "active" }

    [simulation]
    n_trials = 2000
    seed = 1
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

from ..arm.spec import Arm, ArmScenario, arm_spec_from_dict
from ..designs import validate as v
from ..errors import SpecError
from ..scenario.timing import Timing

ALLOCATIONS = ("random", "priority", "least_enrolled", "probability")
MAX_BIOMARKERS = 62
MAX_ARMS = 64
ARM_KEYS = (
    "name",
    "file",
    "biomarkers",
    "histology",
    "age_group",
    "cohort_eligibility",
    "opens_day",
    "opens_after",
    "weight",
)
ELIGIBILITY_KEYS = ("biomarkers", "histology", "age_group")
INLINE_KEYS = ("open_min_responses", "design", "cohorts", "safety", "scenarios", "timing")


def _shares(field: str, data, must_sum_to_one: bool) -> tuple[tuple[str, float], ...]:
    if not isinstance(data, dict) or not data:
        raise SpecError(field, f"expected a table of name = share, got {data!r}", "write e.g. { A = 0.1 }")
    out = tuple((str(k), v.probability(f"{field}.{k}", x)) for k, x in data.items())
    total = math.fsum(p for _, p in out)
    if must_sum_to_one and abs(total - 1.0) > 1e-9:
        raise SpecError(field, f"the shares sum to {total:g}, not 1", "make the shares add up to 1")
    return out


#: designs that decide with pending patients whose escalation the platform loop runs (engine/platform.py)
PENDING_IN_PLATFORMS = ("rolling_six", "tite_boin", "tite_crm")


def check_platform_design(field: str, design) -> None:
    """Refuse (naming ``field``) a design that decides with pending patients in a way the platform loop
    does not run (the platform file's check, and simulate_platform's for platforms built in Python)."""
    if design.uses_pending and design.kind not in PENDING_IN_PLATFORMS:
        raise SpecError(
            field,
            f"{design.kind}{' with backfill' if design.kind == 'boin' else ''} decides "
            "with pending patients in a way platforms do not run yet (of those designs, they run rolling "
            "six, TITE-BOIN and TITE-CRM)",
            "use rolling_six, tite_boin, tite_crm or a cohort design (3+3, BOIN without backfill, CRM, ...)",
        )


@dataclass(frozen=True)
class Population:
    """The children's profiles: biomarkers (independent prevalences, or a joint table of biomarker sets
    whose probabilities sum to at most 1, the rest having none), histology and age group (categorical)."""

    biomarkers: tuple[tuple[str, float], ...] = ()
    profiles: tuple[tuple[tuple[str, ...], float], ...] = ()
    histology: tuple[tuple[str, float], ...] = ()
    age_group: tuple[tuple[str, float], ...] = ()

    @property
    def biomarker_names(self) -> tuple[str, ...]:
        if self.profiles:
            seen: list[str] = []
            for names, _ in self.profiles:
                seen += [n for n in names if n not in seen]
            return tuple(seen)
        return tuple(n for n, _ in self.biomarkers)

    def prob_any(self, names: tuple[str, ...], also: tuple[str, ...] = ()) -> float:
        """P(the child has at least one of ``names``), and, when ``also`` is given, at least one of
        ``also`` as well."""
        if self.profiles:
            return math.fsum(
                p for s, p in self.profiles if set(s) & set(names) and (not also or set(s) & set(also))
            )

        def none_of(group) -> float:
            q = 1.0
            for n, p in self.biomarkers:
                if n in group:
                    q *= 1.0 - p
            return q

        if not also:
            return 1.0 - none_of(names)
        # inclusion-exclusion over independent biomarkers: 1 - P(none of A) - P(none of B) + P(neither)
        return 1.0 - none_of(names) - none_of(also) + none_of(set(names) | set(also))

    def to_dict(self) -> dict:
        out: dict = {}
        if self.biomarkers:
            out["biomarkers"] = dict(self.biomarkers)
        if self.profiles:
            out["profiles"] = [{"biomarkers": list(s), "probability": p} for s, p in self.profiles]
        if self.histology:
            out["histology"] = dict(self.histology)
        if self.age_group:
            out["age_group"] = dict(self.age_group)
        return out

    @classmethod
    def from_dict(cls, data) -> Population:
        if not isinstance(data, dict):
            raise SpecError("population", f"expected a table, got {data!r}", "write a [population] section")
        v.no_unknown_keys("population", data, ["biomarkers", "profiles", "histology", "age_group"])
        if "biomarkers" in data and "profiles" in data:
            raise SpecError(
                "population.profiles",
                "give independent prevalences (biomarkers) or a joint table (profiles), not both",
                "remove one of them",
            )
        markers = _shares("population.biomarkers", data["biomarkers"], False) if "biomarkers" in data else ()
        profiles: list = []
        if "profiles" in data:
            rows = data["profiles"]
            if not isinstance(rows, list) or not rows:
                raise SpecError(
                    "population.profiles",
                    "expected [[population.profiles]] blocks",
                    "write one per biomarker set",
                )
            for i, r in enumerate(rows):
                f = f"population.profiles[{i}]"
                if not isinstance(r, dict):
                    raise SpecError(
                        f, f"expected a table, got {r!r}", "write biomarkers = [...], probability = p"
                    )
                v.no_unknown_keys(f, r, ["biomarkers", "probability"])
                names = r.get("biomarkers")
                if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
                    raise SpecError(
                        f"{f}.biomarkers", f"expected a list of names, got {names!r}", 'write ["ALK"]'
                    )
                if "probability" not in r:
                    raise SpecError(f"{f}.probability", "missing", "add probability = <share of children>")
                profiles.append((tuple(names), v.probability(f"{f}.probability", r["probability"])))
            total = math.fsum(p for _, p in profiles)
            if total > 1.0 + 1e-9:
                raise SpecError(
                    "population.profiles",
                    f"the probabilities sum to {total:g} > 1",
                    "make them add up to at most 1 (the rest of the children have no listed biomarker)",
                )
        hist = _shares("population.histology", data["histology"], True) if "histology" in data else ()
        age = _shares("population.age_group", data["age_group"], True) if "age_group" in data else ()
        pop = cls(markers, tuple(profiles), hist, age)
        if len(pop.biomarker_names) > MAX_BIOMARKERS:
            raise SpecError("population.biomarkers", "too many biomarkers", f"use at most {MAX_BIOMARKERS}")
        return pop


@dataclass(frozen=True)
class CohortEligibility:
    """A cohort's own eligibility within its arm's: any of ``biomarkers`` (none listed: none needed), one
    of ``histology``, one of ``age_group`` (none listed: any)."""

    cohort: str
    biomarkers: tuple[str, ...] = ()
    histology: tuple[str, ...] = ()
    age_group: tuple[str, ...] = ()
    count_escalation: bool | None = None  #: None: as the arm's cohort says

    @property
    def has_rules(self) -> bool:
        return bool(self.biomarkers or self.histology or self.age_group)

    def to_dict(self) -> dict:
        out: dict = {k: list(getattr(self, k)) for k in ELIGIBILITY_KEYS if getattr(self, k)}
        if self.count_escalation is not None:
            out["count_escalation"] = self.count_escalation
        return out


@dataclass(frozen=True)
class PlatformArm:
    """One arm of a platform: the arm, its scenarios, eligibility, opening and allocation weight."""

    name: str
    arm: Arm
    scenarios: tuple[ArmScenario, ...]
    timing: Timing | None = None
    biomarkers: tuple[str, ...] = ()
    histology: tuple[str, ...] = ()
    age_group: tuple[str, ...] = ()
    opens_day: float = 0.0
    opens_after: str | None = None
    weight: float = 1.0
    file: str | None = None
    cohort_eligibility: tuple[CohortEligibility, ...] = ()

    def counts_escalation(self) -> tuple[bool, ...]:
        """Per cohort, whether it counts the escalation patients at the selected dose (those it admits):
        the platform's ``count_escalation`` for the cohort where given, else the arm's."""
        own = {e.cohort: e.count_escalation for e in self.cohort_eligibility}
        return tuple(
            c.count_escalation if own.get(c.name) is None else bool(own[c.name]) for c in self.arm.cohorts
        )

    def scenario(self, name: str | None) -> ArmScenario:
        if name is None:
            return self.scenarios[0]
        for s in self.scenarios:
            if s.name == name:
                return s
        raise SpecError(
            f"scenarios.arms.{self.name}",
            f"arm {self.name!r} has no scenario {name!r}",
            "use one of " + ", ".join(repr(s.name) for s in self.scenarios),
        )

    def to_dict(self) -> dict:
        out: dict = {"name": self.name, **self.arm.to_dict()}
        out["scenarios"] = [s.to_dict(self.arm.design) for s in self.scenarios]
        if self.timing is not None:
            out["timing"] = self.timing.to_dict()
        for key in ELIGIBILITY_KEYS:
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        if self.cohort_eligibility:
            out["cohort_eligibility"] = {e.cohort: e.to_dict() for e in self.cohort_eligibility}
        if self.opens_after is not None:
            out["opens_after"] = self.opens_after
        else:
            out["opens_day"] = self.opens_day
        out["weight"] = self.weight
        return out


def _names(field: str, data, known: tuple[str, ...], what: str) -> tuple[str, ...]:
    if isinstance(data, str):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
        raise SpecError(
            field, f"expected a list of names, got {data!r}", f"write e.g. [{known[0]!r}]" if known else ""
        )
    for x in data:
        if x not in known:
            fix = (
                f"use one of the {what} in [population]: " + ", ".join(repr(k) for k in known)
                if known
                else (f"declare the {what} in [population]")
            )
            raise SpecError(field, f"unknown {what[:-1] if what.endswith('s') else what} {x!r}", fix)
    return tuple(dict.fromkeys(data))


def _arm_from_dict(
    i: int, data, base: Path | None, pop: Population, clock: dict | None = None
) -> PlatformArm:
    f = f"arms[{i}]"
    if not isinstance(data, dict):
        raise SpecError(f, f"expected a table, got {data!r}", "write [[arms]] blocks")
    v.no_unknown_keys(f, data, ARM_KEYS + INLINE_KEYS)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SpecError(f"{f}.name", f"expected a non-empty name, got {name!r}", 'write name = "arm A"')
    inline = {k: data[k] for k in INLINE_KEYS if k in data}
    if "file" in data:
        if inline:
            raise SpecError(
                f"{f}.file", "an arm is a file or inline, not both", f"remove {sorted(inline)[0]} or file"
            )
        from ..specfile import _read_toml

        p = Path(str(data["file"]))
        if not p.is_absolute() and base is not None:
            p = base / p
        try:
            spec = arm_spec_from_dict(_read_toml(p), str(p))
        except SpecError as e:
            raise SpecError(
                f"{f}.{e.field}" if e.field != "file" else f"{f}.file", e.problem, e.fix
            ) from None
        source = str(data["file"])
    else:
        if "design" not in inline:
            raise SpecError(f, "no arm", 'give file = "arm.toml", or [arms.design] and [[arms.cohorts]]')
        raw = {k: x for k, x in inline.items() if k != "open_min_responses"}
        raw["arm"] = {"name": name}
        if "open_min_responses" in inline:
            raw["arm"]["open_min_responses"] = inline["open_min_responses"]
        # an inline arm without a [timing] of its own runs on the platform's clock (a design that decides
        # with pending patients needs one to be read)
        lent = "timing" not in raw and clock is not None
        try:
            spec = arm_spec_from_dict({**raw, "timing": clock} if lent else raw)
        except SpecError as e:
            raise SpecError(f"{f}.{e.field}", e.problem, e.fix) from None
        if lent:
            spec = dataclasses.replace(spec, timing=None)
        source = None
    check_platform_design(f"{f}.design", spec.arm.design)
    markers = _names(f"{f}.biomarkers", data.get("biomarkers", []), pop.biomarker_names, "biomarkers")
    hist = _names(
        f"{f}.histology", data.get("histology", []), tuple(n for n, _ in pop.histology), "histologies"
    )
    age = _names(
        f"{f}.age_group", data.get("age_group", []), tuple(n for n, _ in pop.age_group), "age groups"
    )
    cohorts = _cohort_eligibility(f, data.get("cohort_eligibility", {}), spec.arm, pop)
    if "opens_day" in data and "opens_after" in data:
        raise SpecError(
            f"{f}.opens_after", "an arm opens on a day or after another arm, not both", "remove one"
        )
    day = v.real(
        f"{f}.opens_day", data.get("opens_day", 0.0), low=0.0, fix="give a day >= 0 from the opening"
    )
    after = data.get("opens_after")
    if after is not None and not isinstance(after, str):
        raise SpecError(
            f"{f}.opens_after", f"expected an arm name, got {after!r}", 'write opens_after = "arm A"'
        )
    weight = v.real(f"{f}.weight", data.get("weight", 1.0), low=0.0, low_open=True, fix="give a weight > 0")
    return PlatformArm(
        name=name,
        arm=spec.arm,
        scenarios=spec.scenarios,
        timing=spec.timing,
        biomarkers=markers,
        histology=hist,
        age_group=age,
        opens_day=day,
        opens_after=after,
        weight=weight,
        file=source,
        cohort_eligibility=cohorts,
    )


def _cohort_eligibility(f: str, data, arm: Arm, pop: Population) -> tuple[CohortEligibility, ...]:
    field = f"{f}.cohort_eligibility"
    if not isinstance(data, dict):
        raise SpecError(
            field,
            f"expected a table of cohort = {{ ... }}, got {data!r}",
            'write e.g. simon = { biomarkers = ["ALK"] }',
        )
    names = [c.name for c in arm.cohorts]
    out = []
    for cohort, rules in data.items():
        g = f"{field}.{cohort}"
        if cohort not in names:
            raise SpecError(
                g, f"the arm has no cohort {cohort!r}", "use one of " + ", ".join(map(repr, names))
            )
        if not isinstance(rules, dict) or not rules:
            raise SpecError(
                g,
                f"expected a table of eligibility rules, got {rules!r}",
                'write e.g. { histology = ["glioma"] }',
            )
        v.no_unknown_keys(g, rules, [*ELIGIBILITY_KEYS, "count_escalation"])
        count = rules.get("count_escalation")
        if count is not None:
            count = v.boolean(f"{g}.count_escalation", count)
        out.append(
            CohortEligibility(
                cohort,
                _names(f"{g}.biomarkers", rules.get("biomarkers", []), pop.biomarker_names, "biomarkers"),
                _names(
                    f"{g}.histology",
                    rules.get("histology", []),
                    tuple(n for n, _ in pop.histology),
                    "histologies",
                ),
                _names(
                    f"{g}.age_group",
                    rules.get("age_group", []),
                    tuple(n for n, _ in pop.age_group),
                    "age groups",
                ),
                count,
            )
        )
    out_t = tuple(out)
    by_name = {e.cohort: e for e in out_t}
    own = {e.cohort: e.count_escalation for e in out_t}
    counting = [
        c.name for c in arm.cohorts if (c.count_escalation if own.get(c.name) is None else own[c.name])
    ]
    if len(counting) > 1:
        bare = [c for c in counting if c not in by_name or not by_name[c].has_rules]
        if bare:
            raise SpecError(
                f"{field}.{bare[0]}",
                f"cohorts {', '.join(map(repr, counting))} all count the escalation patients, and "
                f"{bare[0]!r} admits every child of the arm (each patient at the RP2D would count twice)",
                "give every cohort that counts escalation patients eligibility of its own (biomarkers, "
                "histology or age_group), or let one cohort count them",
            )
    return out_t


@dataclass(frozen=True)
class PlatformScenario:
    """Which scenario each arm is simulated under (by arm, in file order); its name keys the children."""

    name: str
    arm_scenarios: tuple[str, ...]

    @property
    def key(self) -> int:  # the same rule as ArmScenario.key: a platform of one arm sees the arm's patients
        return int(hashlib.sha256(self.name.encode()).hexdigest()[:15], 16)


@dataclass(frozen=True)
class Platform:
    """Arms that share one stream of children (see the module doc)."""

    name: str
    arms: tuple[PlatformArm, ...]
    population: Population
    timing: Timing
    allocation: str = "random"
    max_children: int = 100_000

    def __post_init__(self):
        names = [a.name for a in self.arms]
        if not names:
            raise SpecError("arms", "a platform needs at least one arm", "add [[arms]] blocks")
        if len(names) > MAX_ARMS:
            raise SpecError("arms", f"{len(names)} arms", f"use at most {MAX_ARMS}")
        for i, n in enumerate(names):
            if n in names[:i]:
                raise SpecError(
                    f"arms[{i}].name", f"two arms are named {n!r}", "give every arm a distinct name"
                )
        v.choice("platform.allocation", self.allocation, ALLOCATIONS)
        v.integer("platform.max_children", self.max_children, low=1, high=1 << 24)
        if self.timing.suspension != "turned_away":
            raise SpecError(
                "timing.suspension",
                "in a platform a child who finds no free slot is not treated (children do not wait)",
                "remove suspension and max_wait_days from the platform's [timing]",
            )
        pop = self.population
        for i, a in enumerate(self.arms):
            f = f"arms[{i}]"
            if a.biomarkers and pop.prob_any(a.biomarkers) <= 0.0:
                raise SpecError(
                    f"{f}.biomarkers",
                    f"no child can be eligible for arm {a.name!r}: its biomarkers have prevalence 0",
                    "give one of them a prevalence > 0 in [population], or change the arm's biomarkers",
                )
            for key, shares in (("histology", pop.histology), ("age_group", pop.age_group)):
                allowed = getattr(a, key)
                if allowed and math.fsum(p for n, p in shares if n in allowed) <= 0.0:
                    raise SpecError(
                        f"{f}.{key}",
                        f"no child can be eligible for arm {a.name!r}: its {key} shares are 0",
                        f"give one of them a share > 0 in [population], or change the arm's {key}",
                    )
            for e in a.cohort_eligibility:
                g = f"{f}.cohort_eligibility.{e.cohort}"
                if e.biomarkers and pop.prob_any(e.biomarkers, a.biomarkers) <= 0.0:
                    raise SpecError(
                        f"{g}.biomarkers",
                        f"no child eligible for arm {a.name!r} can enter cohort {e.cohort!r}: no child "
                        "carries one of its biomarkers and one of the arm's",
                        "change the cohort's biomarkers, or give them a prevalence > 0 in [population]",
                    )
                for key, shares in (("histology", pop.histology), ("age_group", pop.age_group)):
                    mine, arms_ = getattr(e, key), getattr(a, key)
                    if (
                        mine
                        and math.fsum(p for n, p in shares if n in mine and (not arms_ or n in arms_)) <= 0
                    ):
                        raise SpecError(
                            f"{g}.{key}",
                            f"no child eligible for arm {a.name!r} can enter cohort {e.cohort!r}: its {key} "
                            "shares are 0 or outside the arm's",
                            f"list a {key} the arm admits, with a share > 0 in [population]",
                        )
            if a.opens_after is not None and a.opens_after not in names:
                raise SpecError(
                    f"{f}.opens_after", f"no arm named {a.opens_after!r}", "use the name of another arm"
                )
        self.opening_order()  # cycles are refused here

    def opening_order(self) -> tuple[int, ...]:
        """Arm indices in an order where each arm comes after the arm it opens after."""
        index = {a.name: i for i, a in enumerate(self.arms)}
        order: list[int] = []
        state = [0] * len(self.arms)  # 0 new, 1 on the path, 2 done
        for start in range(len(self.arms)):
            path = []
            i = start
            while state[i] == 0:
                state[i] = 1
                path.append(i)
                after = self.arms[i].opens_after
                if after is None:
                    break
                i = index[after]
                if state[i] == 1:
                    cycle = [self.arms[j].name for j in path[path.index(i) :]] + [self.arms[i].name]
                    raise SpecError(
                        f"arms[{i}].opens_after",
                        "arms open after each other in a cycle ("
                        + " -> ".join(cycle)
                        + "), so none ever opens",
                        "give one of them opens_day instead of opens_after",
                    )
            for j in reversed(path):
                state[j] = 2
                order.append(j)
        return tuple(order)

    def to_dict(self) -> dict:
        return {
            "platform": {"name": self.name, "allocation": self.allocation, "max_children": self.max_children},
            "timing": self.timing.to_dict(),
            "population": self.population.to_dict(),
            "arms": [a.to_dict() for a in self.arms],
        }

    def config_hash(self) -> str:
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def __hash__(self):
        return hash(self.config_hash())

    def arm_timing(self, i: int) -> Timing:
        """Arm i's clock: the platform's accrual; its own window, DLT time model and response days when
        its arm file has a [timing], else the platform's."""
        own = self.arms[i].timing or self.timing
        p = self.timing
        return Timing(
            patients_per_month=p.patients_per_month,
            dlt_window_days=own.dlt_window_days,
            accrual=p.accrual,
            dlt_time=own.dlt_time,
            late_onset_share=own.late_onset_share,
            response_days=own.response_days,
        )


@dataclass(frozen=True)
class PlatformSpec:
    """A platform file: the platform, its scenarios and simulation defaults."""

    platform: Platform
    scenarios: tuple[PlatformScenario, ...]
    n_trials: int | None = None
    seed: int | None = None
    source: str | None = None


def is_platform_file(data: dict) -> bool:
    return "platform" in data


def platform_spec_from_dict(data: dict, source: str | None = None, base: Path | None = None) -> PlatformSpec:
    v.no_unknown_keys("", data, ["platform", "timing", "population", "arms", "scenarios", "simulation"])
    head = data.get("platform", {})
    if not isinstance(head, dict):
        raise SpecError("platform", f"expected a table, got {head!r}", "write a [platform] section")
    v.no_unknown_keys("platform", head, ["name", "allocation", "max_children"])
    if "timing" not in data:
        raise SpecError("timing", "missing", "add a [timing] section (patients_per_month, dlt_window_days)")
    timing = Timing.from_dict(data["timing"], arm=True)
    pop = Population.from_dict(data.get("population", {}))
    raw = data.get("arms")
    if not isinstance(raw, list) or not raw:
        raise SpecError("arms", "missing", "add [[arms]] blocks (name, file or an inline arm, eligibility)")
    arms = tuple(_arm_from_dict(i, a, base, pop, data["timing"]) for i, a in enumerate(raw))
    platform = Platform(
        name=str(head.get("name", "platform")),
        arms=arms,
        population=pop,
        timing=timing,
        allocation=head.get("allocation", "random"),
        max_children=head.get("max_children", 100_000),
    )
    scen = data.get("scenarios", [])
    if not isinstance(scen, list):
        raise SpecError("scenarios", "expected [[scenarios]] blocks", "write [[scenarios]] blocks")
    scenarios = []
    for i, s in enumerate(scen):
        f = f"scenarios[{i}]"
        if not isinstance(s, dict):
            raise SpecError(f, f"expected a table, got {s!r}", "write name and arms")
        v.no_unknown_keys(f, s, ["name", "arms"])
        name = s.get("name")
        if not isinstance(name, str) or not name.strip():
            raise SpecError(f"{f}.name", f"expected a non-empty name, got {name!r}", 'write name = "S1"')
        choice = s.get("arms", {})
        if not isinstance(choice, dict):
            raise SpecError(f"{f}.arms", "expected a table", 'write arms = { "arm A" = "scenario" }')
        for k in choice:
            if k not in [a.name for a in arms]:
                raise SpecError(f"{f}.arms.{k}", "no arm of that name", "use the [[arms]] names")
        try:
            picked = tuple(a.scenario(choice.get(a.name)).name for a in arms)
        except SpecError as e:
            raise SpecError(f"{f}.arms.{e.field.rsplit('.', 1)[-1]}", e.problem, e.fix) from None
        scenarios.append(PlatformScenario(name, picked))
    if not scenarios:
        scenarios.append(PlatformScenario("default", tuple(a.scenarios[0].name for a in arms)))
    if len({s.name for s in scenarios}) != len(scenarios):
        raise SpecError("scenarios.name", "two scenarios share a name", "give every scenario a distinct name")
    sim = data.get("simulation", {})
    v.no_unknown_keys("simulation", sim, ["n_trials", "seed"])
    n_trials = v.integer("simulation.n_trials", sim["n_trials"], low=1) if "n_trials" in sim else None
    seed = v.integer("simulation.seed", sim["seed"], low=0) if "seed" in sim else None
    return PlatformSpec(platform, tuple(scenarios), n_trials, seed, source)


def load_platform(path: str | Path) -> PlatformSpec:
    """Read a platform file (arm files relative to it); errors name the file and the field."""
    from ..specfile import _read_toml

    path = Path(path)
    data = _read_toml(path)
    try:
        return platform_spec_from_dict(data, str(path), path.parent)
    except SpecError as e:
        raise SpecError(e.field, e.problem, e.fix, source=str(path)) from None
