"""BOIN: the spec below the engine (:mod:`.spec`); what it means in meetings above it (:mod:`.home`)."""

from .spec import Boin, boin_boundaries, prob_above

__all__ = ["Boin", "boin_boundaries", "prob_above"]
