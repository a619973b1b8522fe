"""The input file of ``dosefind paediatric`` (TOML): the adult RP2D, the scaling, the fractions, the
body sizes and the formulation.

    [adult]
    rp2d = 25               # the adult recommended phase II dose, in dose_unit
    dose_unit = "mg"
    weight = 70             # kg, the reference adult (default 70)
    bsa = 1.73              # m2, the reference adult (default 1.73)

    [paediatric]
    scaling = "bsa"         # "weight" (mg/kg), "bsa" (mg/m2) or "allometric" (mg/kg^0.75)
    fractions = [0.5, 0.7, 0.85, 1.0, 1.2]
    digits = 3              # significant figures of the design's doses
    exponent = 0.75         # allometric scaling only

    [formulation]           # optional: strengths = [...] with max_units, or increment = ...
    strengths = [1, 2.5, 5]
    max_units = 4
    max_deviation = 0.25

    [[bands]]               # body sizes (a weight band by the size its dose is computed for)
    name = "10-20 kg"
    weight = 15
    height = 100            # cm (BSA by Mosteller), or bsa = 0.65

Errors name the file, the field and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..designs import validate as v
from ..errors import SpecError
from .scaling import Band, Formulation, PaediatricDoses, Scaling, paediatric_doses


@dataclass(frozen=True)
class PaediatricInput:
    """What a paediatric input file says (see the module doc)."""

    rp2d: float
    dose_unit: str
    scaling: Scaling
    fractions: tuple[float, ...]
    bands: tuple[Band, ...] = ()
    formulation: Formulation | None = None
    digits: int = 3

    def doses(self) -> PaediatricDoses:
        return paediatric_doses(
            self.rp2d, self.fractions, self.scaling, self.bands, self.formulation, self.dose_unit, self.digits
        )


def _section(data: dict, name: str, allowed: list[str], required: bool) -> dict:
    sec = data.get(name)
    if sec is None:
        if required:
            raise SpecError(name, "missing", f"add a [{name}] section")
        return {}
    if not isinstance(sec, dict):
        raise SpecError(name, f"expected a table, got {sec!r}", f"write a [{name}] section")
    v.no_unknown_keys(name, sec, allowed)
    return sec


def _renamed(section: str, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except SpecError as e:
        field = e.field if e.field.startswith(f"{section}.") else f"{section}.{e.field}"
        raise SpecError(field, e.problem, e.fix) from None


def input_from_dict(data: dict) -> PaediatricInput:
    """A :class:`PaediatricInput` from the parsed TOML (errors name the section and field)."""
    v.no_unknown_keys("file", data, ["adult", "paediatric", "formulation", "bands"])
    adult = _section(data, "adult", ["rp2d", "dose_unit", "weight", "bsa"], True)
    paed = _section(data, "paediatric", ["scaling", "fractions", "digits", "exponent"], True)
    form = _section(data, "formulation", ["strengths", "max_units", "increment", "max_deviation"], False)
    if "rp2d" not in adult:
        raise SpecError("adult.rp2d", "missing", "give the adult RP2D, e.g. rp2d = 25")
    for key in ("scaling", "fractions"):
        if key not in paed:
            raise SpecError(f"paediatric.{key}", "missing", f"add {key} = ... to [paediatric]")
    scaling_kw = {"kind": paed["scaling"]}
    for src, dst in (("weight", "adult_weight"), ("bsa", "adult_bsa")):
        if src in adult:
            scaling_kw[dst] = adult[src]
    if "exponent" in paed:
        scaling_kw["exponent"] = paed["exponent"]
    try:
        scaling = Scaling(**scaling_kw)
    except SpecError as e:
        field = {
            "scaling": "paediatric.scaling",
            "adult_weight": "adult.weight",
            "adult_bsa": "adult.bsa",
        }.get(e.field, f"paediatric.{e.field}")
        raise SpecError(field, e.problem, e.fix) from None
    formulation = None
    if form:
        formulation = Formulation(
            strengths=tuple(form["strengths"])
            if isinstance(form.get("strengths"), list)
            else form.get("strengths"),
            max_units=form.get("max_units", 4),
            increment=form.get("increment"),
            max_deviation=form.get("max_deviation", 0.25),
        )
    bands_raw = data.get("bands", [])
    if not isinstance(bands_raw, list):
        raise SpecError("bands", "expected [[bands]] blocks", "write [[bands]] with name and weight")
    bands = []
    for i, b in enumerate(bands_raw):
        if not isinstance(b, dict):
            raise SpecError(f"bands[{i}]", f"expected a table, got {b!r}", "write [[bands]] blocks")
        v.no_unknown_keys(f"bands[{i}]", b, ["name", "weight", "height", "bsa"])
        name = b.get("name", f"band {i + 1}")
        if not isinstance(name, str):
            raise SpecError(
                f"bands[{i}].name", f"expected text, got {name!r}", 'write e.g. name = "10-20 kg"'
            )
        bands.append(_renamed(f"bands[{i}]", Band, name, b.get("weight"), b.get("height"), b.get("bsa")))
    unit = adult.get("dose_unit", "mg")
    if not isinstance(unit, str):
        raise SpecError("adult.dose_unit", f"expected text, got {unit!r}", 'write e.g. dose_unit = "mg"')
    fractions = paed["fractions"]
    if not isinstance(fractions, list):
        raise SpecError(
            "paediatric.fractions",
            f"expected a list, got {fractions!r}",
            "write e.g. [0.5, 0.7, 0.85, 1.0, 1.2]",
        )
    out = PaediatricInput(
        rp2d=adult["rp2d"],
        dose_unit=unit,
        scaling=scaling,
        fractions=tuple(fractions),
        bands=tuple(bands),
        formulation=formulation,
        digits=paed.get("digits", 3),
    )
    try:
        out.doses()  # every check, now (errors name the fields)
    except SpecError as e:
        if e.field.startswith(("fractions", "digits")):
            raise SpecError(f"paediatric.{e.field}", e.problem, e.fix) from None
        raise
    return out


def load_input(path: str | Path) -> PaediatricInput:
    """A paediatric input file (errors name the file, the field and the fix)."""
    from ..specfile import _read_toml

    path = Path(path)
    data = _read_toml(path)
    try:
        return input_from_dict(data)
    except SpecError as e:
        raise e.with_source(path.name) from None
