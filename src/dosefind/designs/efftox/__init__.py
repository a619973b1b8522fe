"""EffTox (phase I/II, Thall & Cook 2004): the spec; the home above the engine is ``home.py``."""

from .spec import EffTox

__all__ = ["EffTox"]
