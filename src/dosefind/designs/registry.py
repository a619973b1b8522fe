"""Design kinds by name, and construction from a spec dictionary."""

from __future__ import annotations

from ..errors import SpecError
from .base import Design
from .boin import Boin
from .boin_comb import BoinComb
from .crm import Crm
from .pocrm import PoCrm
from .three_plus_three import ThreePlusThree

DESIGNS: dict[str, type[Design]] = {cls.kind: cls for cls in (ThreePlusThree, Boin, Crm, PoCrm, BoinComb)}


def design_from_dict(data: dict) -> Design:
    if not isinstance(data, dict):
        raise SpecError("design", f"expected a table, got {data!r}", "write a [design] section")
    kind = data.get("kind")
    if kind is None:
        raise SpecError("design.kind", "missing", "set kind to one of " + ", ".join(repr(k) for k in DESIGNS))
    cls = DESIGNS.get(kind)
    if cls is None:
        raise SpecError(
            "design.kind", f"unknown design {kind!r}", "use one of " + ", ".join(repr(k) for k in DESIGNS)
        )
    return cls.from_dict(data)
