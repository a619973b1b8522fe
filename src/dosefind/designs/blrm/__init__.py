"""BLRM: the spec below the engine (:mod:`.spec`); what it means in meetings above it (:mod:`.home`,
:mod:`.pymc_model`)."""

from .spec import Blrm

__all__ = ["Blrm"]
