"""Historical trial data for MAP priors, read from CSV files and validated row by row.

Two shapes:

* binary endpoint: one row per trial, columns ``study, n, r`` (patients, events), as RBesT's ``AS`` data;
* dose-toxicity (BLRM): one row per (trial, dose), columns ``study, dose, n, r`` (patients, DLTs), as
  OncoBayes2's ``hist_SA`` (``group_id, drug_A, num_patients, num_toxicities``).

Every problem is a :class:`~dosefind.errors.DataError` naming the file, the row (as a spreadsheet shows
it: the header is row 1), the column and the fix.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError

ENDPOINTS = ("binary", "blrm")
_COLUMNS = {"binary": ("study", "n", "r"), "blrm": ("study", "dose", "n", "r")}


@dataclass(frozen=True)
class HistoricalData:
    """Historical trials: per row a study label, patients ``n``, events ``r`` and (BLRM) a dose.

    ``study_index`` maps each row to its trial (0-based, in order of first appearance).
    """

    endpoint: str
    study: tuple[str, ...]
    n: np.ndarray
    r: np.ndarray
    dose: np.ndarray | None = None
    source: str = ""
    sha256: str = ""

    @property
    def studies(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.study))

    @property
    def study_index(self) -> np.ndarray:
        order = {s: i for i, s in enumerate(self.studies)}
        return np.array([order[s] for s in self.study], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.study)


def _fail(source: str, row: int | None, column: str | None, problem: str, fix: str) -> DataError:
    where = source
    if row is not None:
        where += f", row {row}"
    if column is not None:
        where += f", column {column}"
    return DataError(f"{where}: {problem}; {fix}")


def _count(source: str, row: int, column: str, text: str) -> int:
    what = "patients" if column == "n" else "events (DLTs or responders)"
    try:
        x = float(text)
    except ValueError:
        raise _fail(source, row, column, f"{text!r} is not a number", f"write the number of {what}") from None
    if not math.isfinite(x) or x < 0:
        raise _fail(source, row, column, f"{text} is negative or not finite", f"write a count of {what} >= 0")
    if not x.is_integer():
        raise _fail(source, row, column, f"{text} is not a whole number", f"write a whole number of {what}")
    return int(x)


def parse_history(text: str, endpoint: str, source: str = "historical data") -> HistoricalData:
    """Parse CSV text of historical trials (see the module docstring for the columns)."""
    if endpoint not in ENDPOINTS:
        raise DataError(f"endpoint {endpoint!r} is not known; use one of: {', '.join(ENDPOINTS)}")
    need = _COLUMNS[endpoint]
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise _fail(source, None, None, "no rows", f"write a header {','.join(need)} and one row per trial")
    reader = csv.reader(io.StringIO("\n".join(lines)))
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in need if c not in header]
    if missing:
        example = ",".join(need)
        raise _fail(
            source,
            1,
            None,
            f"missing column(s) {', '.join(missing)} (header is {','.join(header)})",
            f"for --endpoint {endpoint} the header must be {example}",
        )
    extra = [c for c in header if c not in need]
    if extra:
        raise _fail(
            source,
            1,
            None,
            f"unknown column(s) {', '.join(extra)}",
            f"for --endpoint {endpoint} use exactly the columns {','.join(need)}",
        )
    pos = {c: header.index(c) for c in need}
    study, ns, rs, doses, seen = [], [], [], [], {}
    for i, fields in enumerate(reader, start=2):
        if len(fields) != len(header):
            raise _fail(
                source,
                i,
                None,
                f"{len(fields)} fields, the header has {len(header)}",
                "give one value per column (quote a study label that contains a comma)",
            )
        label = fields[pos["study"]].strip()
        if not label:
            raise _fail(source, i, "study", "empty study label", "name the trial each row belongs to")
        n = _count(source, i, "n", fields[pos["n"]].strip())
        r = _count(source, i, "r", fields[pos["r"]].strip())
        if r > n:
            raise _fail(
                source,
                i,
                "r",
                f"{r} events but only {n} patients (n)",
                "r counts patients with the event, so r <= n; check the two columns are not swapped",
            )
        if n == 0:
            raise _fail(source, i, "n", "0 patients", "leave out rows without patients")
        key: tuple = (label,)
        if endpoint == "blrm":
            text_d = fields[pos["dose"]].strip()
            try:
                d = float(text_d)
            except ValueError:
                raise _fail(
                    source, i, "dose", f"{text_d!r} is not a number", "write the dose as a number"
                ) from None
            if not math.isfinite(d) or d <= 0:
                raise _fail(
                    source,
                    i,
                    "dose",
                    f"dose {text_d} is not positive",
                    "the BLRM uses log(dose / reference dose): give doses > 0",
                )
            doses.append(d)
            key = (label, d)
        if key in seen:
            what = f"study {label!r}" + (f" at dose {key[1]:g}" if endpoint == "blrm" else "")
            raise _fail(
                source,
                i,
                None,
                f"{what} already appears in row {seen[key]}",
                "give each trial" + (" and dose" if endpoint == "blrm" else "") + " once (add up the counts)",
            )
        seen[key] = i
        study.append(label)
        ns.append(n)
        rs.append(r)
    if not study:
        raise _fail(source, None, None, "a header but no rows", "add one row per historical trial")
    return HistoricalData(
        endpoint=endpoint,
        study=tuple(study),
        n=np.array(ns, dtype=np.int64),
        r=np.array(rs, dtype=np.int64),
        dose=np.array(doses, dtype=float) if endpoint == "blrm" else None,
        source=source,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def read_history(path: str | Path, endpoint: str) -> HistoricalData:
    """Read and validate a CSV file of historical trials."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found; give the path of a CSV file of historical trials") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror}); check the path and permissions") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text; save the file as CSV (UTF-8)") from None
    out = parse_history(text, endpoint, source=str(path))
    return HistoricalData(
        endpoint=out.endpoint,
        study=out.study,
        n=out.n,
        r=out.r,
        dose=out.dose,
        source=str(path),
        sha256=hashlib.sha256(data).hexdigest(),
    )
