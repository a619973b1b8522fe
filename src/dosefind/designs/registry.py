"""Design kinds by name, each with its home; construction from a spec dictionary.

A registered design is a spec class (below the engine) and its home (above it: a
:class:`~dosefind.designs.home.DesignHome`, named here by ``"module:Class"`` so that this module imports
nothing above the designs' lower floor). :func:`register_design` is how a new design joins: the spec
files, ``simulate``, ``recommend``, ``paths``, ``table`` and ``report`` then find it by its kind.
"""

from __future__ import annotations

from ..constants import declare_reason
from ..errors import SpecError
from .a_plus_b import APlusB
from .base import Design
from .blrm import Blrm
from .blrm_comb import BlrmComb
from .boin import Boin
from .boin12 import Boin12
from .boin_comb import BoinComb
from .crm import Crm
from .efftox import EffTox
from .i3plus3 import I3Plus3
from .keyboard import Keyboard
from .mtpi import Mtpi
from .mtpi2 import Mtpi2
from .pocrm import PoCrm
from .rolling_six import RollingSix
from .table.user import DecisionTableDesign
from .three_plus_three import ThreePlusThree
from .tite_boin import TiteBoin
from .tite_crm import TiteCrm
from .tpi import Tpi
from .uboin import UBoin

DESIGNS: dict[str, type[Design]] = {}
#: kind -> the home: "module:Class" until first asked for, then the instance
_HOMES: dict[str, object] = {}


def register_design(spec: type[Design], home) -> type[Design]:
    """Register a spec class under its ``kind`` with its home (a DesignHome subclass or instance, or
    ``"module:Class"``). Reason codes the spec declares (``spec.declared_reasons``: code -> name) are
    declared too. Registering a kind again replaces it (tests use :func:`unregister_design` to undo)."""
    kind = getattr(spec, "kind", "")
    if not isinstance(kind, str) or not kind or not kind.replace("_", "").isalnum():
        raise SpecError("kind", f"{kind!r} is not a design kind name", "give the spec class kind = 'name'")
    for code, name in getattr(spec, "declared_reasons", {}).items():
        declare_reason(code, name)
    DESIGNS[kind] = spec
    _HOMES[kind] = home
    return spec


def unregister_design(kind: str) -> None:
    DESIGNS.pop(kind, None)
    _HOMES.pop(kind, None)


def home_ref(kind: str):
    try:
        return _HOMES[kind]
    except KeyError:
        raise SpecError(
            "design.kind", f"unknown design {kind!r}", "use one of " + ", ".join(repr(k) for k in DESIGNS)
        ) from None


def cache_home(kind: str, home) -> None:
    _HOMES[kind] = home


for _spec, _home in (
    (ThreePlusThree, "ThreePlusThreeHome"),
    (Boin, "BoinHome"),
    (Crm, "CrmHome"),
    (PoCrm, "PoCrmHome"),
    (BoinComb, "BoinCombHome"),
    (TiteCrm, "TiteCrmHome"),
    (TiteBoin, "TiteBoinHome"),
    (RollingSix, "RollingSixHome"),
    (Blrm, "BlrmHome"),
    (APlusB, "APlusBHome"),
    (Boin12, "Boin12Home"),
    (BlrmComb, "BlrmCombHome"),
    (EffTox, "EffToxHome"),
    (UBoin, "UBoinHome"),
):
    register_design(_spec, f"dosefind.designs.{_spec.kind}.home:{_home}")
# members of the table-driven family with no home of their own: the family's home serves them
for _spec in (Tpi, Mtpi, Mtpi2, Keyboard, I3Plus3, DecisionTableDesign):
    register_design(_spec, "dosefind.designs.table.home:TableDesignHome")


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
