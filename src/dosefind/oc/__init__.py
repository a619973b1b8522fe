"""Operating characteristics with Monte Carlo standard errors."""

from .metrics import (
    DOSE_METRICS,
    SCALAR_METRICS,
    TIME_METRICS,
    OperatingCharacteristics,
    correct_doses,
    correct_selection,
    included_doses,
    no_acceptable_dose,
    operating_characteristics,
)
from .study import StudyResult, provenance, simulate_spec

__all__ = [
    "DOSE_METRICS",
    "SCALAR_METRICS",
    "TIME_METRICS",
    "OperatingCharacteristics",
    "StudyResult",
    "correct_doses",
    "correct_selection",
    "included_doses",
    "no_acceptable_dose",
    "operating_characteristics",
    "provenance",
    "simulate_spec",
]
