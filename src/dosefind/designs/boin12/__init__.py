"""BOIN12 (phase I/II, utility-based): the spec; the home above the engine is ``home.py``."""

from .spec import Boin12

__all__ = ["Boin12"]
