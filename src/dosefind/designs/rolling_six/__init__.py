"""Rolling six: the spec below the engine (:mod:`.spec`); what it means in meetings above (:mod:`.home`)."""

from .spec import RULES, RollingSix

__all__ = ["RULES", "RollingSix"]
