"""I3Plus3: a member of the table-driven family (spec below the engine; the family home serves it)."""

from .spec import I3Plus3

__all__ = ["I3Plus3"]
