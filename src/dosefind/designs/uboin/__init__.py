"""U-BOIN (phase I/II: BOIN, then randomisation by utility): the spec; the home above the engine is
``home.py``."""

from .spec import UBoin

__all__ = ["UBoin"]
