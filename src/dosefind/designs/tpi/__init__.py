"""Tpi: a member of the table-driven family (spec below the engine; the family home serves it)."""

from .spec import Tpi

__all__ = ["Tpi"]
