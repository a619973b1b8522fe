"""A+B (Lin & Shih 2001): the spec below the engine (:mod:`.spec`); what it means in meetings above it
(:mod:`.home`)."""

from .spec import APlusB

__all__ = ["APlusB"]
