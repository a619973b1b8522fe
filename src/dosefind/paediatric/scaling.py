"""Paediatric dose levels from the adult RP2D: fractions of the adult dose scaled by body size, rounded to
the strengths that can be given.

Scalings (the adult dose D, in ``dose_unit``, e.g. mg; a child of weight W kg, height H cm):

* ``"weight"`` (linear in body weight): the child gets f D W / W_a; a level is the dose per kg,
  f D / W_a (mg/kg). W_a = 70 kg by default, the conventional reference adult (ICRP Publication 23,
  1975, "Reference Man"; the weight most adult-to-child scalings assume).
* ``"bsa"`` (body surface area): the child gets f D BSA / BSA_a; a level is the dose per m2,
  f D / BSA_a (mg/m2). BSA_a = 1.73 m2 by default, the conventional adult surface area used to
  normalise renal function and in paediatric dose tables (the mean of the normal adults of McIntosh,
  Moller & Van Slyke 1928, J Clin Invest 6:427, by Du Bois & Du Bois's formula); 1.8 m2 is the other
  common choice. A child's BSA is given, or computed from weight and
  height by Mosteller's formula (Mosteller 1987, N Engl J Med 317:1098): sqrt(H W / 3600).
* ``"allometric"``: the child gets f D (W / W_a)^0.75; a level is the dose per kg^0.75,
  f D / W_a^0.75 (mg/kg^0.75). The exponent 0.75 is the allometric exponent of clearance on weight
  (Kleiber's law; West, Brown & Enquist 1997; Anderson & Holford 2008, Annu Rev Pharmacol Toxicol
  48:303), and is a field (``exponent``) for other choices.

Every scaling is proportional: a child's dose is the level x times the child's size measure S (W, BSA
or W^0.75), and the adult dose exposure-equivalent to level x is g(x) = S_a x, with S_a the adult's
size measure (70, 1.73, 70^0.75). The design's doses are the levels in the size-normalised unit, rounded
to ``digits`` significant figures (default 3): the same numbers serve the design file and, through g,
the mapping of the adult data.

Rounding to available strengths (a :class:`Formulation`): either unit strengths (tablets, capsules:
``strengths = [5, 10, 25]``, any combination of at most ``max_units`` units) or a liquid's increment
(``increment = 0.5``: any positive multiple). Each band's intended dose (the level times the band's
size) goes to the nearest achievable dose; at a tie (exactly half-way) the lower dose is chosen (the
safer one), and among combinations giving the same dose the one with the fewest units (then the larger
strengths). A level whose nearest achievable dose is more than ``max_deviation`` (relative, default
0.25) away from the intended one cannot be given in that band; two levels that round to the same dose
in a band would no longer be distinct doses: both are refused with a :class:`SpecError` naming the band,
the levels and the fix. A weight band is represented by the body size its dose is computed for (e.g.
its midpoint); which one is the user's choice.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from ..designs import validate as v
from ..errors import SpecError

#: the reference adult's weight, kg (ICRP Reference Man)
ADULT_WEIGHT_KG = 70.0
#: the reference adult's body surface area, m2 (the conventional normalisation)
ADULT_BSA_M2 = 1.73
#: the allometric exponent of clearance on weight
ALLOMETRIC_EXPONENT = 0.75
SCALINGS = ("weight", "bsa", "allometric")
#: largest relative distance between the intended and the achieved dose, by default
MAX_DEVIATION = 0.25


def mosteller_bsa(weight_kg: float, height_cm: float) -> float:
    """Body surface area in m2 by Mosteller's formula, sqrt(height_cm x weight_kg / 3600)."""
    return math.sqrt(height_cm * weight_kg / 3600.0)


def _positive(field: str, value, fix: str) -> float:
    return v.real(field, value, low=0.0, low_open=True, fix=fix)


def _numbers(field: str, values, fix: str) -> tuple[float, ...]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or len(values) == 0:
        raise SpecError(field, f"expected a list of numbers, got {values!r}", fix)
    return tuple(_positive(f"{field}[{i}]", x, fix) for i, x in enumerate(values))


@dataclass(frozen=True)
class Scaling:
    """How a paediatric dose follows body size (see the module doc)."""

    kind: str = "bsa"
    adult_weight: float = ADULT_WEIGHT_KG
    adult_bsa: float = ADULT_BSA_M2
    exponent: float = ALLOMETRIC_EXPONENT

    def __post_init__(self):
        v.choice("scaling", self.kind, SCALINGS)
        set_ = object.__setattr__
        set_(
            self, "adult_weight", _positive("adult_weight", self.adult_weight, "give the adult weight in kg")
        )
        set_(self, "adult_bsa", _positive("adult_bsa", self.adult_bsa, "give the adult BSA in m2, e.g. 1.73"))
        set_(
            self,
            "exponent",
            _positive("exponent", self.exponent, "give the allometric exponent, e.g. 0.75"),
        )

    @property
    def adult_size(self) -> float:
        """S_a: the adult's size measure (kg, m2 or kg^exponent)."""
        if self.kind == "weight":
            return self.adult_weight
        if self.kind == "bsa":
            return self.adult_bsa
        return self.adult_weight**self.exponent

    def per_size_unit(self, dose_unit: str) -> str:
        """The unit of a size-normalised level ("mg/kg", "mg/m2", "mg/kg^0.75")."""
        unit = dose_unit or "dose"
        if self.kind == "weight":
            return f"{unit}/kg"
        if self.kind == "bsa":
            return f"{unit}/m2"
        return f"{unit}/kg^{self.exponent:g}"

    def adult_equivalent(self, level):
        """g(x) = S_a x: the adult dose exposure-equivalent to the size-normalised level x."""
        return self.adult_size * level

    def level_of(self, adult_dose):
        """g^-1(d) = d / S_a: the size-normalised level exposure-equivalent to the adult dose d."""
        return adult_dose / self.adult_size

    def describe(self) -> str:
        if self.kind == "weight":
            return f"body weight, linearly (adult {self.adult_weight:g} kg)"
        if self.kind == "bsa":
            return f"body surface area (adult {self.adult_bsa:g} m2; child BSA given or by Mosteller)"
        return f"body weight, allometrically ((W / {self.adult_weight:g} kg)^{self.exponent:g})"


@dataclass(frozen=True)
class Band:
    """A body size (or a weight band, by the size its dose is computed for): weight in kg, and for BSA
    scaling the BSA in m2 or the height in cm (BSA by Mosteller)."""

    name: str
    weight: float | None = None
    height: float | None = None
    bsa: float | None = None

    def __post_init__(self):
        set_ = object.__setattr__
        for f, fix in (
            ("weight", "give the weight in kg"),
            ("height", "give the height in cm"),
            ("bsa", "give the body surface area in m2"),
        ):
            if getattr(self, f) is not None:
                set_(self, f, _positive(f, getattr(self, f), fix))

    def size(self, scaling: Scaling, field: str = "bands") -> float:
        """S: this band's size measure under the scaling."""
        if scaling.kind == "bsa":
            if self.bsa is not None:
                return self.bsa
            if self.weight is None or self.height is None:
                raise SpecError(
                    f"{field}.bsa",
                    f"band {self.name!r} has no body surface area (BSA scaling)",
                    "give bsa (m2), or weight (kg) and height (cm) for Mosteller's formula",
                )
            return mosteller_bsa(self.weight, self.height)
        if self.weight is None:
            raise SpecError(
                f"{field}.weight",
                f"band {self.name!r} has no weight ({scaling.kind} scaling)",
                "give weight (kg)",
            )
        return self.weight if scaling.kind == "weight" else self.weight**scaling.exponent


@dataclass(frozen=True)
class Formulation:
    """What can be given: unit ``strengths`` (at most ``max_units`` units per dose) or a liquid's
    ``increment`` (any positive multiple), and the largest relative deviation accepted."""

    strengths: tuple[float, ...] | None = None
    max_units: int = 4
    increment: float | None = None
    max_deviation: float = MAX_DEVIATION

    def __post_init__(self):
        set_ = object.__setattr__
        if (self.strengths is None) == (self.increment is None):
            raise SpecError(
                "formulation",
                "give either strengths (tablets, capsules) or increment (a liquid), not both or neither",
                "write strengths = [5, 10, 25] with max_units = 4, or increment = 0.5",
            )
        if self.strengths is not None:
            s = _numbers("formulation.strengths", self.strengths, "give unit strengths, e.g. [5, 10, 25]")
            set_(self, "strengths", tuple(sorted(set(s))))
        set_(self, "max_units", v.integer("formulation.max_units", self.max_units, low=1, high=20))
        if self.increment is not None:
            set_(
                self,
                "increment",
                _positive("formulation.increment", self.increment, "give the smallest measurable step"),
            )
        set_(
            self,
            "max_deviation",
            v.real(
                "formulation.max_deviation",
                self.max_deviation,
                low=0.0,
                low_open=True,
                high=1.0,
                high_open=True,
                fix="give the largest relative deviation accepted, e.g. 0.25",
            ),
        )

    def nearest(self, dose: float) -> tuple[float, str]:
        """(achieved dose, composition): the achievable dose nearest to ``dose`` (ties: the lower one)."""
        if self.increment is not None:
            inc = self.increment
            k = max(math.floor(dose / inc + 1e-9), 0)  # k inc <= dose < (k + 1) inc, up to rounding
            if k == 0 or _closer((k + 1) * inc, k * inc, dose):
                k += 1
            return k * inc, f"{k} x {inc:g}"
        best = None
        for total, comp in _combinations(self.strengths, self.max_units):
            if best is None or _closer(total, best[0], dose):
                best = (total, comp)
        return best

    def describe(self) -> str:
        if self.increment is not None:
            return f"a liquid in steps of {self.increment:g}"
        return f"strengths {', '.join(f'{s:g}' for s in self.strengths)}, at most {self.max_units} units"


def _closer(a: float, b: float, dose: float) -> bool:
    """Whether achievable dose a is a better choice than b for ``dose``: nearer, or as near and lower."""
    da, db = abs(a - dose), abs(b - dose)
    tol = 1e-12 * max(dose, 1.0)
    if da < db - tol:
        return True
    if da > db + tol:
        return False
    return a < b - tol


def _combinations(strengths: tuple[float, ...], max_units: int):
    """(total, composition) for every dose of 1..max_units units; the fewest units (then the larger
    strengths) first for each total."""
    seen: dict[float, str] = {}
    out = []
    for count in range(1, max_units + 1):
        for combo in itertools.combinations_with_replacement(sorted(strengths, reverse=True), count):
            total = math.fsum(combo)
            key = round(total, 9)
            if key in seen:
                continue
            parts = [f"{combo.count(s)} x {s:g}" for s in sorted(set(combo), reverse=True)]
            seen[key] = " + ".join(parts)
            out.append((total, seen[key]))
    return out


@dataclass(frozen=True)
class DoseRow:
    """One level in one band: the intended dose, the achieved one and how far apart they are."""

    level: int  # 1-based
    fraction: float
    dose_per_size: float  # the design's dose (size-normalised)
    band: str
    size: float  # the band's size measure
    intended: float  # dose_per_size x size, in dose_unit
    achieved: float
    composition: str
    deviation: float  # (achieved - intended) / intended

    @property
    def achieved_per_size(self) -> float:
        return self.achieved / self.size


@dataclass(frozen=True)
class PaediatricDoses:
    """Paediatric levels: the design's doses (size-normalised, ``dose_unit``) and, per band, the doses
    given."""

    adult_dose: float
    adult_unit: str
    fractions: tuple[float, ...]
    scaling: Scaling
    doses: tuple[float, ...]
    dose_unit: str
    rows: tuple[DoseRow, ...]
    formulation: Formulation | None

    def design_lines(self) -> str:
        """The ``doses`` and ``dose_unit`` lines of a design file."""
        return f"doses = [{', '.join(f'{d:g}' for d in self.doses)}]\ndose_unit = {self.dose_unit!r}".replace(
            "'", '"'
        )


def round_significant(x: float, digits: int) -> float:
    if x == 0:
        return 0.0
    return float(f"{x:.{digits}g}")


def paediatric_doses(
    adult_dose: float,
    fractions,
    scaling: Scaling,
    bands=(),
    formulation: Formulation | None = None,
    adult_unit: str = "mg",
    digits: int = 3,
) -> PaediatricDoses:
    """The paediatric levels f_i x adult_dose / S_a (``digits`` significant figures) and, for each band,
    the dose intended (level x the band's size) and achieved with the formulation (see the module doc).

    Raises :class:`SpecError` on a non-positive adult dose, fractions that are not positive and strictly
    increasing, a band without the size the scaling needs, a level the formulation cannot reach within
    ``max_deviation``, and two levels that coincide once rounded.
    """
    adult_dose = _positive("adult.rp2d", adult_dose, "give the adult RP2D as a positive dose")
    fr = _numbers("fractions", fractions, "give fractions of the adult dose, e.g. [0.5, 0.7, 0.85, 1.0, 1.2]")
    for i in range(1, len(fr)):
        if fr[i] <= fr[i - 1]:
            raise SpecError(
                f"fractions[{i}]",
                f"{fr[i]:g} does not increase on {fr[i - 1]:g}",
                "give strictly increasing fractions, e.g. [0.5, 0.7, 0.85, 1.0, 1.2]",
            )
    digits = v.integer("digits", digits, low=1, high=12)
    if not isinstance(adult_unit, str):
        raise SpecError("adult.dose_unit", f"expected text, got {adult_unit!r}", 'write e.g. "mg"')
    doses = tuple(round_significant(f * adult_dose / scaling.adult_size, digits) for f in fr)
    for i in range(1, len(doses)):
        if doses[i] <= doses[i - 1]:
            raise SpecError(
                "digits",
                f"levels {i} and {i + 1} both read {doses[i]:g} with {digits} significant figures",
                "raise digits or space the fractions further apart",
            )
    rows = []
    names = set()
    for b, band in enumerate(bands):
        if band.name in names:
            raise SpecError(f"bands[{b}].name", f"{band.name!r} given twice", "give each band its own name")
        names.add(band.name)
        size = band.size(scaling, f"bands[{b}]")
        band_rows = []
        for i, (f, x) in enumerate(zip(fr, doses, strict=True)):
            intended = x * size
            if formulation is None:
                achieved, comp = intended, ""
            else:
                achieved, comp = formulation.nearest(intended)
            dev = (achieved - intended) / intended
            if formulation is not None and abs(dev) > formulation.max_deviation:
                raise SpecError(
                    "formulation",
                    f"band {band.name!r}, level {i + 1} ({f:g} x adult): the intended {intended:.4g} "
                    f"{adult_unit} is {abs(dev):.0%} from the nearest achievable {achieved:.4g} {adult_unit} "
                    f"(max_deviation {formulation.max_deviation:g})",
                    "add a strength that reaches it, allow more units (max_units), use a liquid increment, "
                    "or raise max_deviation",
                )
            band_rows.append(DoseRow(i + 1, f, x, band.name, size, intended, achieved, comp, dev))
        for r0, r1 in zip(band_rows, band_rows[1:], strict=False):
            if r1.achieved <= r0.achieved * (1 + 1e-12):
                raise SpecError(
                    "formulation",
                    f"band {band.name!r}: levels {r0.level} and {r1.level} both round to {r0.achieved:g} "
                    f"{adult_unit} ({r0.composition}), so they are no longer distinct doses",
                    "space the fractions further apart, or add smaller strengths (or a liquid increment) for "
                    "this band",
                )
        rows += band_rows
    return PaediatricDoses(
        adult_dose,
        adult_unit,
        fr,
        scaling,
        doses,
        scaling.per_size_unit(adult_unit),
        tuple(rows),
        formulation,
    )
