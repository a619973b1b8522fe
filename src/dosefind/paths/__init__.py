"""Dose transition pathways: exact enumeration of future cohorts and their probabilities."""

from .pathways import DosePaths, PathNode, dose_paths

__all__ = ["DosePaths", "PathNode", "dose_paths"]
