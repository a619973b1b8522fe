"""BOIN for combinations: the spec below the engine (:mod:`.spec`); what it means in meetings above it
(:mod:`.home`)."""

from .spec import RULES, BoinComb, work_size

__all__ = ["RULES", "BoinComb", "work_size"]
