"""The two-drug BLRM's home (spec below the engine, home above it)."""

from .spec import BlrmComb

__all__ = ["BlrmComb"]
