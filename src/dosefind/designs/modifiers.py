"""Modifiers: the grammar that composes with any base design.

A design is one base rule plus an ordered tuple of modifiers. After the base rule has proposed
(next dose, status), the modifiers are applied first to last; each sees the proposal left by the ones
before it and may change only the next dose, the stop decision and its reason. The maximum sample size
``max_n`` of the design is applied after all modifiers. Consequences of the order:

* ``dont_skip`` acts on continuing proposals only; a stop proposed earlier stands.
* ``stop_at_n`` and ``stop_when_n_at_dose`` turn a continuing proposal into "stop and select"; they do
  not change a stop already proposed.
* ``stop_when_too_toxic`` turns any proposal (continuing or stop-and-select) into "stop, no dose".
  Put it last so no later modifier sees a trial it has stopped.

Dose fields (``stop_when_n_at_dose``'s and ``stop_when_too_toxic``'s ``dose``): on a single-agent design
a 1-based dose level number, as everywhere at the edges. On a two-drug grid a cell label ``"j.k"`` (level j
of drug A, level k of drug B, 1-based), validated against the grid when the modifier is attached to a
design (outside the grid or excluded: a SpecError naming the field); a whole number is still read as the
cell's 1-based position in the grid's row-major order (``(j - 1) K + k``), as before labels were
accepted. The value is kept as written, so ``to_dict`` writes a label back as a label and specs
round-trip; :meth:`Modifier.dose_index` turns either form into the engine's 0-based index.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import ClassVar

import numpy as np

from ..constants import ModifierKind
from ..errors import SpecError
from . import layout as L
from . import validate as v

#: A cell label "j.k" as a modifier's dose (surrounding spaces allowed, as in grid.index).
_CELL_LABEL = re.compile(r"^\s*\d+\s*\.\s*\d+\s*$")


def _dose_value(value, keywords: tuple[str, ...] = ()):
    """Check the form of a dose field when the modifier is built (the design checks the value itself):
    a 1-based level number (a whole float becomes an int), a cell label "j.k", or one of ``keywords``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and (value in keywords or _CELL_LABEL.match(value)):
        return value
    words = "".join(f'"{k}", ' for k in keywords)
    if isinstance(value, float):
        problem = f"{value!r} is a number with a decimal point"
        label = f'the cell label in quotes (dose = "{value}")'
    else:
        problem = f"{value!r} is not a dose"
        label = 'a cell label "j.k" (dose = "2.1")'
    raise SpecError(
        "dose",
        problem,
        f"write a 1-based dose level number (dose = 2), {words}or, on a two-drug grid, {label}",
    )


@dataclass(frozen=True)
class Modifier:
    kind: ClassVar[str] = ""

    def to_dict(self) -> dict:
        return {"kind": self.kind, **asdict(self)}

    def bind(self, design, field: str) -> Modifier:
        """Validate against the design the modifier is attached to; returns the modifier to keep (itself)."""
        return self

    def dose_index(self, doses: tuple[str, ...]) -> int:
        """0-based index of the modifier's ``dose`` among the design's ``doses``: a level number's
        position (``dose - 1``), or a cell label's place among a grid's cell labels."""
        dose = self.dose
        if isinstance(dose, int):
            return dose - 1
        j, k = (int(x) for x in dose.split("."))
        return doses.index(f"{j}.{k}")

    def compile_row(self, tables: list, n_cap: int, doses: tuple[str, ...]) -> tuple[list[int], list[float]]:
        raise NotImplementedError


def _bind_dose(mod: Modifier, design, field: str, keywords: tuple[str, ...] = ()) -> Modifier:
    """The modifier with its dose checked against ``design`` (see the module docstring)."""
    dose = mod.dose
    if isinstance(dose, str) and dose in keywords:
        return mod
    checked = design.check_dose_reference(dose, f"{field}.dose")
    return mod if checked == dose else replace(mod, dose=checked)


@dataclass(frozen=True)
class StopAtN(Modifier):
    """Stop (and select a dose) once ``n`` patients have been treated."""

    n: int
    kind: ClassVar[str] = "stop_at_n"

    def __post_init__(self):
        v.integer("n", self.n, low=1)

    def compile_row(self, tables, n_cap, doses):
        return [ModifierKind.STOP_AT_N, self.n, 0, -1], [0.0] * 4


@dataclass(frozen=True)
class StopWhenNAtDose(Modifier):
    """Stop (and select) once ``n`` patients have been treated at ``dose``.

    ``dose`` is ``"recommended"`` (the dose proposed for the next cohort, as in escalation's
    stop_when_n_at_dose), ``"any"``, a 1-based dose level number, or on a two-drug grid a cell label
    ``"j.k"`` (see the module docstring).
    """

    n: int
    dose: str | int = "recommended"
    kind: ClassVar[str] = "stop_when_n_at_dose"

    KEYWORDS: ClassVar[tuple[str, ...]] = ("recommended", "any")

    def __post_init__(self):
        v.integer("n", self.n, low=1)
        object.__setattr__(self, "dose", _dose_value(self.dose, self.KEYWORDS))

    def bind(self, design, field):
        return _bind_dose(self, design, field, self.KEYWORDS)

    def compile_row(self, tables, n_cap, doses):
        if self.dose == "recommended":
            code = L.N_AT_RECOMMENDED
        elif self.dose == "any":
            code = L.N_AT_ANY
        else:
            code = self.dose_index(doses)
        return [ModifierKind.STOP_WHEN_N_AT_DOSE, self.n, code, -1], [0.0] * 4


@dataclass(frozen=True)
class DontSkip(Modifier):
    """Never move more than one level from the current dose (when escalating and/or de-escalating)."""

    escalation: bool = True
    deescalation: bool = False
    kind: ClassVar[str] = "dont_skip"

    def __post_init__(self):
        v.boolean("escalation", self.escalation)
        v.boolean("deescalation", self.deescalation)

    def compile_row(self, tables, n_cap, doses):
        return [ModifierKind.DONT_SKIP, int(self.escalation), int(self.deescalation), -1], [0.0] * 4


def beta_stop_table(prior_a, prior_b, threshold, confidence, min_n, n_cap) -> np.ndarray:
    """int8 [n_cap + 1, n_cap + 1]: 1 where y DLTs in n >= min_n patients give
    P(DLT rate > threshold | y, n) > confidence under a Beta(prior_a, prior_b) prior."""
    from scipy.special import betaincc  # general Beta tail; imported only when a stop rule is compiled

    table = np.zeros((n_cap + 1, n_cap + 1), dtype=np.int8)
    for n in range(min_n, n_cap + 1):
        y = np.arange(n + 1)
        table[n, : n + 1] = betaincc(prior_a + y, prior_b + n - y, threshold) > confidence
    return table


@dataclass(frozen=True)
class StopWhenTooToxic(Modifier):
    """Stop with no dose selected when P(p_dose > threshold | data) > confidence.

    The probability is computed from a Beta(prior_a, prior_b) prior on the DLT rate of ``dose`` alone
    (1-based level number, default the lowest; on a two-drug grid a cell label ``"j.k"``, see the module
    docstring), updated with the patients treated at that dose, and the rule is only checked once at
    least ``min_n`` patients have been treated there.
    """

    threshold: float
    confidence: float = 0.95
    dose: int | str = 1
    prior_a: float = 1.0
    prior_b: float = 1.0
    min_n: int = 3
    kind: ClassVar[str] = "stop_when_too_toxic"

    def __post_init__(self):
        v.probability("threshold", self.threshold, open_interval=True)
        v.probability("confidence", self.confidence, open_interval=True)
        v.real("prior_a", self.prior_a, low=0.0, low_open=True)
        v.real("prior_b", self.prior_b, low=0.0, low_open=True)
        v.integer("min_n", self.min_n, low=1)
        object.__setattr__(self, "dose", _dose_value(self.dose))

    def bind(self, design, field):
        return _bind_dose(self, design, field)

    def compile_row(self, tables, n_cap, doses):
        tables.append(
            beta_stop_table(self.prior_a, self.prior_b, self.threshold, self.confidence, self.min_n, n_cap)
        )
        return [ModifierKind.STOP_WHEN_TOO_TOXIC, self.dose_index(doses), 0, len(tables) - 1], [
            self.threshold,
            self.confidence,
            0.0,
            0.0,
        ]


MODIFIERS: dict[str, type[Modifier]] = {
    m.kind: m for m in (StopAtN, StopWhenNAtDose, DontSkip, StopWhenTooToxic)
}


def modifier_from_dict(data: dict, field: str) -> Modifier:
    if not isinstance(data, dict):
        raise SpecError(field, f"expected a table, got {data!r}", 'write e.g. {kind = "dont_skip"}')
    data = dict(data)
    kind = data.pop("kind", None)
    if kind is None:
        raise SpecError(f"{field}.kind", "missing", "name the modifier: " + ", ".join(MODIFIERS))
    cls = MODIFIERS.get(kind)
    if cls is None:
        raise SpecError(f"{field}.kind", f"unknown modifier {kind!r}", "use one of " + ", ".join(MODIFIERS))
    allowed = [f for f in cls.__dataclass_fields__]
    v.no_unknown_keys(field, data, allowed)
    try:
        return cls(**data)
    except SpecError as e:
        raise SpecError(f"{field}.{e.field}", e.problem, e.fix) from None
    except TypeError:
        required = [
            f.name
            for f in cls.__dataclass_fields__.values()
            if f.default is f.default_factory  # both MISSING
        ]
        raise SpecError(
            field, f"modifier {kind!r} is missing a field", "give " + ", ".join(required)
        ) from None
