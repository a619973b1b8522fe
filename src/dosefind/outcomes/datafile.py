"""Trial data files: CSV with one row per patient, in the order patients were treated.

Required columns (header names are case-insensitive; spaces become underscores):

* ``patient_id`` (or ``patient``, ``id``, ``subject``, ``subject_id``): unique per patient;
* ``dose`` (or ``dose_label``, ``dose_level``, ``level``): a dose label of the design, or its 1-based
  level number when no label is itself a number;
* ``dlt`` (or ``tox``, ``toxicity``): 1/0, yes/no, y/n, true/false.

Optional: ``cohort`` (patients sharing a value form one cohort, in order of first appearance; a cohort
must be treated at one dose), ``efficacy`` (or ``response``; same values as dlt; kept for efficacy
designs), and any ``*_date`` column (ISO dates YYYY-MM-DD, kept for the record). Other columns are
ignored. Without a cohort column, consecutive patients at the same dose are split into cohorts of the
design's cohort size, in file order (the last may be incomplete).
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
from pathlib import Path

from ..errors import DataError
from .trial import CohortData, Patient, TrialData

ALIASES = {
    "patient_id": ("patient_id", "patient", "id", "subject", "subject_id"),
    "dose": ("dose", "dose_label", "dose_level", "level"),
    "dlt": ("dlt", "tox", "toxicity"),
    "cohort": ("cohort",),
    "efficacy": ("efficacy", "response"),
}
REQUIRED = ("patient_id", "dose", "dlt")
_TRUE = {"1", "yes", "y", "true", "t"}
_FALSE = {"0", "no", "n", "false", "f"}


def _binary(value: str, where: str, what: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    if not v:
        hint = (
            "; if the patient is still in the DLT window, leave the row out until the assessment is done"
            if what == "DLT"
            else ""
        )
        raise DataError(f"{where}: empty {what} value; write 1/0 or yes/no{hint}")
    raise DataError(f"{where}: {value.strip()!r} is not a {what} value; write 1/0 or yes/no")


def _dose_index(value: str, labels: tuple[str, ...], where: str) -> int:
    v = value.strip()
    if v in labels:
        return labels.index(v)
    numeric_labels = any(lab.strip().lstrip("-").replace(".", "", 1).isdigit() for lab in labels)
    if v.isdigit() and not numeric_labels and 1 <= int(v) <= len(labels):
        return int(v) - 1
    shown = ", ".join(repr(x) for x in labels)
    if not v:
        raise DataError(f"{where}: empty dose; write one of the design's doses: {shown}")
    raise DataError(f"{where}: unknown dose {v!r}; the design's doses are {shown}")


def read_trial_csv(
    path: str | Path, dose_labels: tuple[str, ...], cohort_size: int, efficacy: bool = False
) -> TrialData:
    """Read a trial data file; every error names the file, line and column, and says how to fix it."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path.name}: file not found; check the --data path") from None
    except OSError as e:
        raise DataError(f"{path.name}: cannot read the file ({e.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{path.name}: not UTF-8 text; save the file as CSV (UTF-8)") from None
    return parse_trial_csv(text, dose_labels, cohort_size, path.name, efficacy)


def parse_trial_csv(
    text: str, dose_labels: tuple[str, ...], cohort_size: int, name: str = "data", efficacy: bool = False
) -> TrialData:
    if not text.strip():
        raise DataError(
            f"{name}: the file is empty; write a header line 'patient_id,dose,dlt' and one row per patient"
        )
    try:
        sample = text[:4096]
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    header = [h.strip().lower().replace(" ", "_") for h in rows[0]]
    column: dict[str, int] = {}
    for key, names in ALIASES.items():
        found = [i for i, h in enumerate(header) if h in names]
        if len(found) > 1:
            raise DataError(
                f"{name}, line 1: columns {', '.join(repr(rows[0][i]) for i in found)} all mean "
                f"'{key}'; keep one"
            )
        if found:
            column[key] = found[0]
    missing = [k for k in REQUIRED if k not in column]
    if missing:
        k = missing[0]
        raise DataError(
            f"{name}, line 1: missing column '{k}' (accepted names: {', '.join(ALIASES[k])}); "
            f"the header has {', '.join(repr(h) for h in rows[0])}"
        )
    date_cols = [i for i, h in enumerate(header) if h.endswith("_date") or h == "date"]

    patients: list[Patient] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank line
        if len(row) < len(header):
            row = row + [""] * (len(header) - len(row))

        def where(col: str, line=line) -> str:
            return f"{name}, line {line}, column '{rows[0][column[col]].strip()}'"

        pid = row[column["patient_id"]].strip()
        if not pid:
            raise DataError(f"{where('patient_id')}: empty patient id; give every patient a unique id")
        if pid in seen:
            raise DataError(
                f"{where('patient_id')}: patient {pid!r} already appears on line {seen[pid]}; "
                "patient ids must be unique (one row per patient)"
            )
        seen[pid] = line
        dose = _dose_index(row[column["dose"]], dose_labels, where("dose"))
        dlt = _binary(row[column["dlt"]], where("dlt"), "DLT")
        cohort = None
        if "cohort" in column:
            cohort = row[column["cohort"]].strip()
            if not cohort:
                raise DataError(
                    f"{where('cohort')}: empty cohort; fill the cohort of every patient or drop the column"
                )
        eff = None
        if "efficacy" in column and row[column["efficacy"]].strip():
            eff = _binary(row[column["efficacy"]], where("efficacy"), "efficacy")
        dates = []
        for i in date_cols:
            value = row[i].strip()
            if value:
                try:
                    _dt.date.fromisoformat(value)
                except ValueError:
                    raise DataError(
                        f"{name}, line {line}, column '{rows[0][i].strip()}': {value!r} is not a date; "
                        "write YYYY-MM-DD"
                    ) from None
                dates.append((header[i], value))
        patients.append(Patient(pid, dose, dlt, cohort, eff if efficacy else None, tuple(dates), line))
    if not patients:
        raise DataError(f"{name}: no patient rows under the header; add one row per treated patient")

    if "cohort" in column:
        groups: dict[str, list[Patient]] = {}
        for p in patients:
            groups.setdefault(p.cohort, []).append(p)
        cohorts = []
        for label, members in groups.items():
            doses = sorted({p.dose for p in members})
            if len(doses) > 1:
                spread = ", ".join(
                    f"{dose_labels[d]} (line {next(p.line for p in members if p.dose == d)})" for d in doses
                )
                raise DataError(
                    f"{name}, column 'cohort': cohort {label!r} is spread over doses {spread}; a cohort "
                    "is treated at one dose: correct the dose or give those patients their own cohort"
                )
            cohorts.append(CohortData(doses[0], tuple(members)))
    else:
        cohorts = []
        run: list[Patient] = []
        for p in patients:
            if run and (p.dose != run[0].dose or len(run) == cohort_size):
                cohorts.append(CohortData(run[0].dose, tuple(run)))
                run = []
            run.append(p)
        cohorts.append(CohortData(run[0].dose, tuple(run)))
    return TrialData(tuple(dose_labels), tuple(cohorts), source=name)
