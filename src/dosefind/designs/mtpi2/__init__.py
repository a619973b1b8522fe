"""Mtpi2: a member of the table-driven family (spec below the engine; the family home serves it)."""

from .spec import Mtpi2

__all__ = ["Mtpi2"]
