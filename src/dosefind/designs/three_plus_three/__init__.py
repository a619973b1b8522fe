"""3+3: the spec below the engine (:mod:`.spec`); what it means in meetings above it (:mod:`.home`)."""

from .spec import ThreePlusThree

__all__ = ["ThreePlusThree"]
