"""The table-driven family: designs whose next move is read from a (patients, DLTs) table at the current
dose. The spec base below the engine (:mod:`.spec`); the family's home above it (:mod:`.home`)."""

from .spec import TableDesign

__all__ = ["TableDesign"]
