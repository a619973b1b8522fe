"""The outcome notation: ``"1NNN 2NTN"`` is a cohort of three at dose level 1 without DLT, then a
cohort of three at level 2 where the second patient had a DLT.

Each space-separated token is a 1-based dose level followed by one letter per patient: N (no DLT),
T (DLT). E (efficacy, no DLT) and B (both) are reserved for efficacy designs and rejected by the
toxicity-only designs. Letters are case-insensitive. An empty string is a trial with no patients yet.
"""

from __future__ import annotations

import re

from ..errors import DataError
from .trial import BOTH, DLT, EFFICACY, NO_DLT, CohortData, Patient, TrialData

_TOKEN = re.compile(r"^(\d+)([A-Za-z]*)$")


def parse_outcomes(text: str, dose_labels: tuple[str, ...] | int, efficacy: bool = False) -> TrialData:
    """Parse the outcome notation for a design with the given dose labels (or number of doses).

    Patients are given ids ``"c<cohort>p<position>"`` (1-based). With ``efficacy`` false, E and B are
    refused with a message saying they belong to efficacy designs.
    """
    if isinstance(dose_labels, int):
        dose_labels = tuple(str(i + 1) for i in range(dose_labels))
    D = len(dose_labels)
    if not isinstance(text, str):
        raise DataError(f"outcomes: expected text such as '1NNN 2NTN', got {text!r}")
    cohorts = []
    for k, token in enumerate(text.split(), start=1):
        where = f"outcomes, cohort {k} ('{token}')"
        m = _TOKEN.match(token)
        if m is None:
            raise DataError(
                f"{where}: expected a dose level then one letter per patient, e.g. '2NTN'; "
                "separate cohorts with spaces"
            )
        level, letters = int(m.group(1)), m.group(2).upper()
        if not 1 <= level <= D:
            raise DataError(f"{where}: dose level {level} does not exist; this design has levels 1 to {D}")
        if not letters:
            raise DataError(f"{where}: no patients; add one letter per patient (N = no DLT, T = DLT)")
        patients = []
        for i, ch in enumerate(letters, start=1):
            if ch in (EFFICACY, BOTH) and not efficacy:
                raise DataError(
                    f"{where}: '{ch}' records efficacy, which this toxicity-only design does not use; "
                    "write N (no DLT) or T (DLT)"
                )
            if ch not in (NO_DLT, DLT, EFFICACY, BOTH):
                raise DataError(f"{where}: '{ch}' is not an outcome; write N (no DLT) or T (DLT)")
            patients.append(
                Patient(
                    patient_id=f"c{k}p{i}",
                    dose=level - 1,
                    dlt=ch in (DLT, BOTH),
                    cohort=str(k),
                    efficacy=(ch in (EFFICACY, BOTH)) if efficacy else None,
                )
            )
        cohorts.append(CohortData(level - 1, tuple(patients)))
    return TrialData(tuple(dose_labels), tuple(cohorts), source="notation")
