"""Observed trial data: patients grouped into cohorts, in the order they were treated.

Dose indices are 0-based here; the notation and data files use 1-based dose levels or dose labels.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np

#: Outcome letters of the notation (toxicity-only designs use N and T; E and B are reserved for
#: efficacy designs: E = efficacy without DLT, B = both).
NO_DLT, DLT, EFFICACY, BOTH = "N", "T", "E", "B"


@dataclass(frozen=True)
class Patient:
    patient_id: str
    dose: int  #: 0-based dose index
    dlt: bool
    cohort: str | None = None
    efficacy: bool | None = None
    dates: tuple[tuple[str, str], ...] = ()  #: (column, ISO date) pairs kept for the record
    line: int | None = None  #: line of the data file the patient came from

    @property
    def letter(self) -> str:
        if self.efficacy:
            return BOTH if self.dlt else EFFICACY
        return DLT if self.dlt else NO_DLT


@dataclass(frozen=True)
class CohortData:
    dose: int  #: 0-based dose index
    patients: tuple[Patient, ...]

    @property
    def n(self) -> int:
        return len(self.patients)

    @property
    def tox(self) -> int:
        return sum(p.dlt for p in self.patients)

    @property
    def outcomes(self) -> str:
        return "".join(p.letter for p in self.patients)


@dataclass(frozen=True)
class TrialData:
    """Cohorts of a real trial in treatment order, with the dose labels of the design they belong to."""

    dose_labels: tuple[str, ...]
    cohorts: tuple[CohortData, ...]
    source: str = ""  #: where the data came from ("notation" or a file name), for messages and reports

    @property
    def n_doses(self) -> int:
        return len(self.dose_labels)

    @property
    def n_total(self) -> int:
        return sum(c.n for c in self.cohorts)

    @property
    def patients(self) -> tuple[Patient, ...]:
        return tuple(p for c in self.cohorts for p in c.patients)

    def counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Patients and DLTs per dose (0-based arrays)."""
        n_at = np.zeros(self.n_doses, dtype=np.int64)
        tox_at = np.zeros(self.n_doses, dtype=np.int64)
        for c in self.cohorts:
            n_at[c.dose] += c.n
            tox_at[c.dose] += c.tox
        return n_at, tox_at

    def to_notation(self) -> str:
        """The outcome notation of this trial, e.g. ``"1NNN 2NTN"`` (1-based dose levels)."""
        return " ".join(f"{c.dose + 1}{c.outcomes}" for c in self.cohorts)

    def to_dict(self) -> dict:
        return {
            "dose_labels": list(self.dose_labels),
            "cohorts": [
                {
                    "dose": self.dose_labels[c.dose],
                    "level": c.dose + 1,
                    "patients": [
                        {
                            "patient_id": p.patient_id,
                            "dlt": p.dlt,
                            **({"cohort": p.cohort} if p.cohort is not None else {}),
                            **({"efficacy": p.efficacy} if p.efficacy is not None else {}),
                            **({"dates": dict(p.dates)} if p.dates else {}),
                        }
                        for p in c.patients
                    ],
                }
                for c in self.cohorts
            ],
        }

    @property
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of the data (labels, cohorts, patients): the data's identity."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
