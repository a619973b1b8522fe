"""Sweeps: studies of many scenarios x designs (or arms, platforms, baskets), run in resumable work units on a
local pool or Dask."""

from .exact import ExactStudy, ExactTask
from .run import BACKENDS, SweepRun, run_study
from .store import OutputError, SweepFolder
from .study import Study, Task, load_study, study_from_dict
from .units import UnitStudy, UnitTask, unit_study_from_dict

__all__ = [
    "BACKENDS",
    "ExactStudy",
    "ExactTask",
    "OutputError",
    "Study",
    "SweepFolder",
    "SweepRun",
    "Task",
    "UnitStudy",
    "UnitTask",
    "load_study",
    "run_study",
    "study_from_dict",
    "unit_study_from_dict",
]
