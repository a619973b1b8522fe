"""TITE-CRM: the spec below the engine (:mod:`.spec`); what it means in meetings above it (:mod:`.home`)."""

from .spec import SCHEMES, TiteCrm

__all__ = ["SCHEMES", "TiteCrm"]
