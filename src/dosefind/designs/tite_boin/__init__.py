"""TITE-BOIN: the spec below the engine (:mod:`.spec`); what it means in meetings above it (:mod:`.home`)."""

from .spec import SUSPEND_RULES, VERSIONS, TiteBoin

__all__ = ["SUSPEND_RULES", "VERSIONS", "TiteBoin"]
