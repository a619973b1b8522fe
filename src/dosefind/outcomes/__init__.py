"""Observed trial data: the outcome notation, trial data files and the cohort history."""

from .datafile import parse_trial_csv, read_trial_csv
from .notation import parse_outcomes
from .trial import CohortData, Patient, Phase, TrialData

__all__ = [
    "CohortData",
    "Patient",
    "Phase",
    "TrialData",
    "parse_outcomes",
    "parse_trial_csv",
    "read_trial_csv",
]
