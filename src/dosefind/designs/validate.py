"""Small validators that raise :class:`SpecError` naming the field and the fix."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..errors import SpecError


def real(field: str, value, *, low=None, high=None, low_open=False, high_open=False, fix: str = "") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(field, f"expected a number, got {value!r}", fix or "write a plain number")
    v = float(value)
    if not math.isfinite(v):
        raise SpecError(field, f"expected a finite number, got {value!r}", fix or "write a finite number")
    if low is not None and (v < low or (low_open and v == low)):
        rel = ">" if low_open else ">="
        raise SpecError(field, f"{v:g} is out of range", fix or f"use a value {rel} {low:g}")
    if high is not None and (v > high or (high_open and v == high)):
        rel = "<" if high_open else "<="
        raise SpecError(field, f"{v:g} is out of range", fix or f"use a value {rel} {high:g}")
    return v


def probability(field: str, value, *, open_interval: bool = False, fix: str = "") -> float:
    interval = "(0, 1)" if open_interval else "[0, 1]"
    return real(
        field,
        value,
        low=0.0,
        high=1.0,
        low_open=open_interval,
        high_open=open_interval,
        fix=fix or f"a probability must lie in {interval}",
    )


def integer(field: str, value, *, low=None, high=None, fix: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise SpecError(field, f"expected a whole number, got {value!r}", fix or "write a whole number")
    if low is not None and value < low:
        raise SpecError(field, f"{value} is too small", fix or f"use a whole number >= {low}")
    if high is not None and value > high:
        raise SpecError(field, f"{value} is too large", fix or f"use a whole number <= {high}")
    return int(value)


def boolean(field: str, value) -> bool:
    if not isinstance(value, bool):
        raise SpecError(field, f"expected true or false, got {value!r}", "write true or false")
    return value


def choice(field: str, value, options: Sequence[str]) -> str:
    if value not in options:
        raise SpecError(
            field, f"unknown value {value!r}", "use one of " + ", ".join(repr(o) for o in options)
        )
    return value


def prob_vector(field: str, values, *, open_interval: bool = False) -> tuple[float, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) == 0:
        raise SpecError(
            field, f"expected a list of probabilities, got {values!r}", "write e.g. [0.05, 0.1, 0.2]"
        )
    return tuple(probability(f"{field}[{i}]", v, open_interval=open_interval) for i, v in enumerate(values))


def no_unknown_keys(section: str, data: dict, allowed: Sequence[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise SpecError(
            f"{section}.{unknown[0]}",
            "unknown field",
            "valid fields are " + ", ".join(sorted(allowed)),
        )


def build(cls, section: str, data: dict):
    """An instance of the frozen dataclass ``cls`` from a TOML table: unknown keys refused, lists read as
    tuples, and an error from the class's own checks given the table's field path (``section.field``)."""
    from dataclasses import MISSING, fields

    no_unknown_keys(section, data, [f.name for f in fields(cls)])
    for f in fields(cls):
        if f.init and f.default is MISSING and f.default_factory is MISSING and f.name not in data:
            raise SpecError(f"{section}.{f.name}", "missing", f"add {f.name} = ... to the table")
    data = {key: tuple(value) if isinstance(value, list) else value for key, value in data.items()}
    try:
        return cls(**data)
    except SpecError as e:
        raise SpecError(f"{section}.{e.field}", e.problem, e.fix) from None
