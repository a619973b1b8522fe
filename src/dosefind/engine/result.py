"""SimResult: one row per simulated trial, columnar."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..designs import Design
from ..scenario import Scenario
from ..scenario.timing import Timing


@dataclass(frozen=True, eq=False)
class SimResult:
    """Per-trial outcomes of one design in one scenario.

    ``selected`` is the 0-based selected dose (-1: none); ``n_at_dose``/``tox_at_dose`` are
    [n_trials, n_doses]; ``status`` is a :class:`dosefind.constants.Status` code and ``reason`` the
    :class:`dosefind.constants.Reason` code of the rule that ended the trial.
    """

    design: Design
    scenario: Scenario
    seed: int
    selected: np.ndarray
    n_at_dose: np.ndarray
    tox_at_dose: np.ndarray
    status: np.ndarray
    reason: np.ndarray
    first_trial: int = 0  #: global index of row 0 (trials are numbered per seed and scenario)
    timing: Timing | None = None  #: the calendar model the trials were laid on (None: untimed)
    #: [n_trials, 5] calendar columns (engine/calendar.py: duration, turned away, mean wait, days
    #: suspended, day of the first patient at the selected dose), or None when untimed
    time: np.ndarray | None = None
    #: [n_trials, n_doses] responses per dose, for designs whose decisions read responses (else None)
    eff_at_dose: np.ndarray | None = None

    @property
    def n_trials(self) -> int:
        return int(self.selected.shape[0])

    @property
    def n_total(self) -> np.ndarray:
        return self.n_at_dose.sum(axis=1)

    @property
    def tox_total(self) -> np.ndarray:
        return self.tox_at_dose.sum(axis=1)
