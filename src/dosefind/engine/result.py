"""SimResult: one row per simulated trial, columnar."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..designs import Design
from ..scenario import Scenario
from ..scenario.timing import Timing

#: the calendar columns of a timed run, in engine/calendar.py's order (T_DURATION, ...); backfill runs
#: add one column per dose (backfill patients)
TIME_COLUMN_NAMES = (
    "duration_days",
    "turned_away",
    "mean_wait_days",
    "days_suspended",
    "day_to_selected_dose",
)


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

    def to_frame(self):
        """One row per trial: trial (its global index), selected dose label ('' for none), status and reason
        names, patients and DLTs in total and per dose (``n_<label>``, ``dlt_<label>``), and the calendar
        columns of a timed run."""
        from ..constants import Status, reason_from_code
        from ..display import frame

        labels = self.design.doses
        names = {int(s): s.name.lower() for s in Status}
        cols = {
            "trial": np.arange(self.first_trial, self.first_trial + self.n_trials),
            "selected": [labels[d] if d >= 0 else "" for d in self.selected],
            "status": [names.get(int(s), str(int(s))) for s in self.status],
            "reason": [reason_from_code(int(r)).name for r in self.reason],
            "n": self.n_total,
            "dlt": self.tox_total,
        }
        for d, lab in enumerate(labels):
            cols[f"n_{lab}"] = self.n_at_dose[:, d]
        for d, lab in enumerate(labels):
            cols[f"dlt_{lab}"] = self.tox_at_dose[:, d]
        if self.time is not None:
            for j, name in enumerate(TIME_COLUMN_NAMES):
                cols[name] = self.time[:, j]
            for d, lab in enumerate(labels[: self.time.shape[1] - len(TIME_COLUMN_NAMES)]):
                cols[f"n_backfill_{lab}"] = self.time[:, len(TIME_COLUMN_NAMES) + d]
        df = frame((), attrs={"design": self.design.name, "scenario": self.scenario.name, "seed": self.seed})
        for k, v in cols.items():
            df[k] = v
        return df

    @property
    def n_trials(self) -> int:
        return int(self.selected.shape[0])

    @property
    def n_total(self) -> np.ndarray:
        return self.n_at_dose.sum(axis=1)

    @property
    def tox_total(self) -> np.ndarray:
        return self.tox_at_dose.sum(axis=1)
