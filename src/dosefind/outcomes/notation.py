"""The outcome notation: ``"1NNN 2NTN"`` is a cohort of three at dose level 1 without DLT, then a
cohort of three at level 2 where the second patient had a DLT.

Each space-separated token names a dose, then gives one letter per patient. Letters are
case-insensitive; an empty string is a trial with no patients yet.

* Dose: the 1-based dose level (``"2NTN"``); for a two-drug (combination) design the cell label
  ``"j.k"``, drug A level then drug B level, both 1-based (``"2.1NTN"``: level 2 of drug A with level 1 of
  drug B).
* Letters, toxicity-only designs: N (no DLT), T (DLT). E and B are refused.
* Letters, phase I/II data (``efficacy=True``, brockk/escalation's convention): E (response, no DLT),
  T (DLT, no response), N (neither), B (both). Whether responses are recorded at all is read from the
  text: if any E or B appears, every patient's response is recorded (N and T then mean "no response");
  if none does, responses are absent (unknown for every patient), never taken as "no response". A trial
  in which truly nobody has responded yet is therefore written as a data file with a response column of
  zeros.
"""

from __future__ import annotations

import re

from ..errors import DataError
from .trial import BOTH, DLT, EFFICACY, NO_DLT, CohortData, Patient, TrialData

_TOKEN = re.compile(r"^(\d+(?:\.\d+)?)([A-Za-z]*)$")


def parse_outcomes(
    text: str, dose_labels: tuple[str, ...] | int, efficacy: bool = False, cells: bool = False
) -> TrialData:
    """Parse the outcome notation for a design with the given dose labels (or number of doses).

    Patients are given ids ``"c<cohort>p<position>"`` (1-based). With ``efficacy`` false, E and B are
    refused with a message saying they belong to phase I/II (efficacy) data. With ``cells`` the dose
    labels are a grid's cell labels ``"j.k"`` and tokens name cells by label.
    """
    if isinstance(dose_labels, int):
        dose_labels = tuple(str(i + 1) for i in range(dose_labels))
    if not isinstance(text, str):
        raise DataError(f"outcomes: expected text such as '1NNN 2NTN', got {text!r}")
    tokens = text.split()
    responses = efficacy and any(ch in (EFFICACY, BOTH) for ch in text.upper())
    letters_hint = "N = neither, T = DLT, E = response, B = both" if efficacy else "N = no DLT, T = DLT"
    example = "2.1NTN" if cells else "2NTN"
    cohorts = []
    for k, token in enumerate(tokens, start=1):
        where = f"outcomes, cohort {k} ('{token}')"
        m = _TOKEN.match(token)
        if m is None:
            what = "a cell j.k" if cells else "a dose level"
            raise DataError(
                f"{where}: expected {what} then one letter per patient, e.g. '{example}'; "
                "separate cohorts with spaces"
            )
        dose = _dose(m.group(1), dose_labels, cells, where)
        letters = m.group(2).upper()
        if not letters:
            raise DataError(f"{where}: no patients; add one letter per patient ({letters_hint})")
        patients = []
        for i, ch in enumerate(letters, start=1):
            if ch in (EFFICACY, BOTH) and not efficacy:
                raise DataError(
                    f"{where}: '{ch}' records a response (efficacy), which this toxicity-only design "
                    "does not use; write N (no DLT) or T (DLT)"
                )
            if ch not in (NO_DLT, DLT, EFFICACY, BOTH):
                raise DataError(f"{where}: '{ch}' is not an outcome; write {letters_hint}")
            patients.append(
                Patient(
                    patient_id=f"c{k}p{i}",
                    dose=dose,
                    dlt=ch in (DLT, BOTH),
                    cohort=str(k),
                    efficacy=(ch in (EFFICACY, BOTH)) if responses else None,
                )
            )
        cohorts.append(CohortData(dose, tuple(patients)))
    return TrialData(tuple(dose_labels), tuple(cohorts), source="notation", cells=cells)


def _dose(text: str, dose_labels: tuple[str, ...], cells: bool, where: str) -> int:
    """0-based dose index of a token's dose part (a level number, or a cell label with ``cells``)."""
    D = len(dose_labels)
    if cells:
        if "." not in text:
            raise DataError(
                f"{where}: name the cell as j.k (drug A level, drug B level), e.g. '{text}.1' or '1.{text}'"
            )
        j, k = (int(x) for x in text.split("."))
        label = f"{j}.{k}"
        if label not in dose_labels:
            raise DataError(
                f"{where}: cell {label} does not exist; this grid has cells {dose_labels[0]} to "
                f"{dose_labels[-1]}"
            )
        return dose_labels.index(label)
    if "." in text:
        raise DataError(
            f"{where}: {text!r} is not a dose level (cells j.k belong to two-drug designs); "
            f"write a whole level number 1 to {D}"
        )
    level = int(text)
    if not 1 <= level <= D:
        raise DataError(f"{where}: dose level {level} does not exist; this design has levels 1 to {D}")
    return level - 1
