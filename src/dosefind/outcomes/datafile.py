"""Trial data files: CSV with one row per patient, in the order patients were treated.

Required columns (header names are case-insensitive; spaces become underscores):

* ``patient_id`` (or ``patient``, ``id``, ``subject``, ``subject_id``): unique per patient;
* ``dose`` (or ``dose_label``, ``dose_level``, ``level``): a dose label of the design, or its 1-based
  level number when no label is itself a number; for a two-drug (combination) design the cell label
  ``j.k`` (drug A level, drug B level, 1-based, e.g. ``2.1``);
* ``dlt`` (or ``tox``, ``toxicity``): 1/0, yes/no, y/n, true/false.

Optional: ``cohort`` (patients sharing a value form one cohort, in order of first appearance; a cohort
must be treated at one dose), ``response`` (or ``efficacy``; same values as dlt; empty = not assessed
yet; kept for phase I/II data), and any ``*_date`` column (ISO dates YYYY-MM-DD, kept for the record).
Other columns are ignored; a row with more (non-empty) fields than the header has columns is refused.
Without a cohort column, consecutive patients at the same dose are split into cohorts of the design's
cohort size, in file order (the last may be incomplete).

Phase I/II arms (escalation, then expansion cohorts) add a ``phase`` column: ``escalation`` or
``extension`` (``expansion`` is accepted too) on every row, escalation rows first. In a file with a phase
column, ``cohort`` names the expansion cohort of an extension patient (one of the arm's [[cohorts]]
names) and is empty on escalation rows; escalation cohorts are then given by an optional
``escalation_cohort`` column (else split into runs as above). Extension patients need the response
column (empty while a response is not yet assessed) and are treated at the dose the escalation selected.

A design with backfill (``[design.backfill]``, BF-BOIN) takes ``phase = backfill`` rows, between the
escalation rows in treatment order: patients treated at a lower dose while an escalation cohort was
under observation. They are not part of any escalation cohort; their outcomes count by their dates
(``recommend --as-of``).
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import re
from pathlib import Path

from ..errors import DataError
from .trial import CohortData, Patient, Phase, TrialData

ALIASES = {
    "patient_id": ("patient_id", "patient", "id", "subject", "subject_id"),
    "dose": ("dose", "dose_label", "dose_level", "level"),
    "dlt": ("dlt", "tox", "toxicity"),
    "cohort": ("cohort",),
    "efficacy": ("efficacy", "response"),
    "phase": ("phase",),
    "escalation_cohort": ("escalation_cohort",),
}
REQUIRED = ("patient_id", "dose", "dlt")
_TRUE = {"1", "yes", "y", "true", "t"}
_FALSE = {"0", "no", "n", "false", "f"}
_PHASES = {
    "escalation": Phase.ESCALATION,
    "dose escalation": Phase.ESCALATION,
    "extension": Phase.EXTENSION,
    "expansion": Phase.EXTENSION,
    "backfill": Phase.BACKFILL,
    "back-fill": Phase.BACKFILL,
}
_CELL = re.compile(r"^(\d+)\s*\.\s*(\d+)$")


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


def _dose_index(value: str, labels: tuple[str, ...], where: str, cells: bool = False) -> int:
    v = value.strip()
    if cells:
        return _cell_index(v, labels, where)
    if v in labels:
        return labels.index(v)
    numeric_labels = any(lab.strip().lstrip("-").replace(".", "", 1).isdigit() for lab in labels)
    if v.isdigit() and not numeric_labels and 1 <= int(v) <= len(labels):
        return int(v) - 1
    shown = ", ".join(repr(x) for x in labels)
    if not v:
        raise DataError(f"{where}: empty dose; write one of the design's doses: {shown}")
    raise DataError(f"{where}: unknown dose {v!r}; the design's doses are {shown}")


def _cell_index(v: str, labels: tuple[str, ...], where: str) -> int:
    """0-based index of a cell label ``j.k`` among a grid's cell labels."""
    span = f"{labels[0]} to {labels[-1]}"
    if not v:
        raise DataError(f"{where}: empty dose; write the cell as j.k (drug A level, drug B level), {span}")
    m = _CELL.match(v)
    if m is None:
        raise DataError(
            f"{where}: {v!r} is not a cell; write the cell as j.k (drug A level, drug B level, 1-based), "
            f"e.g. 2.1; this grid has cells {span}"
        )
    label = f"{int(m.group(1))}.{int(m.group(2))}"
    if label not in labels:
        raise DataError(f"{where}: unknown cell {label!r}; this grid has cells {span}")
    return labels.index(label)


def read_trial_csv(
    path: str | Path,
    dose_labels: tuple[str, ...],
    cohort_size: int,
    efficacy: bool = False,
    cells: bool = False,
    expansion_cohorts: tuple[str, ...] | None = None,
) -> TrialData:
    """Read a trial data file; every error names the file, line and column, and says how to fix it.

    ``cells``: the doses are a two-drug grid's cells (``j.k``). ``expansion_cohorts``: the names of a
    phase I/II arm's expansion cohorts (None: not an arm, extension rows are refused); an arm's data
    always keep responses.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path.name}: file not found; check the --data path") from None
    except OSError as e:
        raise DataError(f"{path.name}: cannot read the file ({e.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise DataError(
            f"{path.name}, line {line}: not UTF-8 text (byte 0x{raw[e.start]:02x}); save the file as "
            "CSV UTF-8 (in Excel: Save As, CSV UTF-8)"
        ) from None
    return parse_trial_csv(text, dose_labels, cohort_size, path.name, efficacy, cells, expansion_cohorts)


def parse_trial_csv(
    text: str,
    dose_labels: tuple[str, ...],
    cohort_size: int,
    name: str = "data",
    efficacy: bool = False,
    cells: bool = False,
    expansion_cohorts: tuple[str, ...] | None = None,
) -> TrialData:
    """The trial data of a CSV text (see the module docstring); ``name`` is the file name for messages."""
    if expansion_cohorts is not None:
        efficacy = True
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
    phased = "phase" in column
    if not phased and "escalation_cohort" in column:
        if "cohort" in column:
            raise DataError(
                f"{name}, line 1: columns {rows[0][column['cohort']]!r} and "
                f"{rows[0][column['escalation_cohort']]!r} both give the escalation cohort; keep one "
                "(in a phase I/II file with a 'phase' column, 'cohort' names the expansion cohort)"
            )
        column["cohort"] = column.pop("escalation_cohort")
    group_key = "escalation_cohort" if phased else "cohort"

    patients: list[Patient] = []
    extension: list[Patient] = []
    backfill: list[Patient] = []
    seen: dict[str, int] = {}
    first_extension: int | None = None
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank line
        if len(row) < len(header):
            row = row + [""] * (len(header) - len(row))
        extra = [cell for cell in row[len(header) :] if cell.strip()]
        if extra:
            raise DataError(
                f"{name}, line {line}: {len(row)} fields but the header has {len(header)} columns "
                f"(extra: {', '.join(repr(c.strip()) for c in extra)}); remove the extra fields, quote a "
                "value that contains the separator, or name the column in the header"
            )

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
        phase = _phase(row[column["phase"]], where("phase")) if phased else Phase.ESCALATION
        dose = _dose_index(row[column["dose"]], dose_labels, where("dose"), cells)
        dlt = _binary(row[column["dlt"]], where("dlt"), "DLT")
        eff = None
        if "efficacy" in column and row[column["efficacy"]].strip():
            eff = _binary(row[column["efficacy"]], where("efficacy"), "response")
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
        if phase == Phase.EXTENSION:
            expansion = _expansion(row, column, where, expansion_cohorts)
            if "efficacy" not in column:
                raise DataError(
                    f"{where('phase')}: an extension patient needs a response; add a column 'response' "
                    "(1/0, empty while not yet assessed)"
                )
            if first_extension is None:
                first_extension = line
            extension.append(Patient(pid, dose, dlt, None, eff, tuple(dates), line, expansion))
            continue
        if first_extension is not None:
            raise DataError(
                f"{where('phase')}: an {phase.value} patient after the extension started (line "
                f"{first_extension}); escalation ends before the expansion cohorts start: list the "
                "escalation patients first, in the order they were treated, or correct the phase"
            )
        if phase == Phase.BACKFILL:
            backfill.append(Patient(pid, dose, dlt, None, eff, tuple(dates), line, backfill=True))
            continue
        if phased and "cohort" in column and row[column["cohort"]].strip():
            raise DataError(
                f"{where('cohort')}: {row[column['cohort']].strip()!r} on an escalation row; column "
                "'cohort' names the expansion cohort of extension patients: leave it empty here (give "
                "escalation cohorts in a column 'escalation_cohort')"
            )
        cohort = None
        if group_key in column:
            cohort = row[column[group_key]].strip()
            if not cohort:
                raise DataError(
                    f"{where(group_key)}: empty cohort; fill the cohort of every patient or drop the column"
                )
        patients.append(Patient(pid, dose, dlt, cohort, eff if efficacy else None, tuple(dates), line))
    if backfill and not patients:
        raise DataError(
            f"{name}, line {backfill[0].line}: backfill patients but no escalation patient; backfill starts "
            "once the first escalation cohort is under observation"
        )
    if not patients and not extension:
        raise DataError(f"{name}: no patient rows under the header; add one row per treated patient")

    cohorts = []
    if group_key in column:
        groups: dict[str, list[Patient]] = {}
        for p in patients:
            groups.setdefault(p.cohort, []).append(p)
        for label, members in groups.items():
            doses = sorted({p.dose for p in members})
            if len(doses) > 1:
                spread = ", ".join(
                    f"{dose_labels[d]} (line {next(p.line for p in members if p.dose == d)})" for d in doses
                )
                raise DataError(
                    f"{name}, column '{rows[0][column[group_key]].strip()}': cohort {label!r} is spread "
                    f"over doses {spread}; a cohort is treated at one dose: correct the dose or give those "
                    "patients their own cohort"
                )
            cohorts.append(CohortData(doses[0], tuple(members)))
    elif patients:
        run: list[Patient] = []
        for p in patients:
            if run and (p.dose != run[0].dose or len(run) == cohort_size):
                cohorts.append(CohortData(run[0].dose, tuple(run)))
                run = []
            run.append(p)
        cohorts.append(CohortData(run[0].dose, tuple(run)))
    return TrialData(
        tuple(dose_labels),
        tuple(cohorts),
        source=name,
        cells=cells,
        extension=tuple(extension),
        backfill=tuple(backfill),
    )


def _phase(value: str, where: str) -> Phase:
    v = " ".join(value.strip().lower().split())
    if v in _PHASES:
        return _PHASES[v]
    shown = f"{value.strip()!r} is not a phase" if v else "empty phase"
    raise DataError(f"{where}: {shown}; write escalation, extension or backfill")


def _expansion(row, column, where, expansion_cohorts: tuple[str, ...] | None) -> str:
    """The expansion cohort named on an extension row."""
    if expansion_cohorts is None:
        raise DataError(
            f"{where('phase')}: extension patients belong to a phase I/II arm; give --design an arm file "
            "(with [[cohorts]]), or remove the extension rows"
        )
    names = ", ".join(repr(x) for x in expansion_cohorts)
    if "cohort" not in column:
        raise DataError(
            f"{where('phase')}: an extension patient needs its expansion cohort; add a column 'cohort' "
            f"with one of the arm's cohorts: {names}"
        )
    value = row[column["cohort"]].strip()
    if not value:
        raise DataError(f"{where('cohort')}: empty expansion cohort; write one of the arm's cohorts: {names}")
    if value not in expansion_cohorts:
        folded = {x.casefold(): x for x in expansion_cohorts}
        if value.casefold() in folded:
            return folded[value.casefold()]
        raise DataError(
            f"{where('cohort')}: unknown expansion cohort {value!r}; the arm's cohorts are {names}"
        )
    return value
